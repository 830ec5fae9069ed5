"""PhotoGAN engine: everything but the Qt front end.

Importing this package is cheap: Keras and TensorFlow load only when a model-backed task runs.
"""

__version__ = "0.1.0"
