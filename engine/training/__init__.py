"""Training: datasets and synthetic degradations, trainers, checkpoints and runs.

Layout (each module says more):

- ``datasets.py``, ``degrade.py``: folders -> batches of float32 NHWC ``[0, 1]`` images.
- ``presets.py``: every trainer option with its default, and the quick / standard / long
  presets (plain data, no Keras import; the CLI help and the wizard read it).
- ``step.py``: the only backend-specific code: gradient steps (tensorflow ``GradientTape``
  in ``tf.function``, torch autograd), the WGAN-GP gradient penalty, the linear-decay
  schedule and Adam factory, seeding.
- ``losses.py``: adversarial, pixel, gradient and VGG19 perceptual losses in ``keras.ops``.
- ``trainers/``: one trainer per GAN (``deblur``, ``srgan`` for upscale, ``cyclegan``,
  ``dcgan``), registered by kind.
- ``checkpoint.py``: models, optimizers and trainer state in a folder, swapped in atomically.
- ``runner.py``: the run loop shared by all trainers (run folder, exact resume, history,
  samples, best checkpoint, progress, cancel, export to the model store).

Front ends call ``engine.api.train`` (``photogan train`` is ``engine/cli/cmd_train.py``).
"""
