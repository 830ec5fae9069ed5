"""PhotoGAN desktop front end (PySide6). Talks only to ``engine.api``."""
