"""Controllers: connect views, the queue model and the worker with private ``_on_*`` handlers."""
