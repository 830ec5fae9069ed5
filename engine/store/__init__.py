"""The model store: shipped weights in ``resources/weights/`` and the user's imported or trained
models in the per-user data folder, each a folder with a ``manifest.json`` and a weights file."""
