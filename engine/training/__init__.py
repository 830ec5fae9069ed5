"""Training: datasets and synthetic degradations, trainers, checkpoints and runs.

Layout (each module says more):

- ``kinds/<kind>.py``: one ``KindSpec`` (``spec.py``) per training kind, found by scanning
  the folder: data layout, trainer module, option defaults, presets, seconds per step, crop
  and option rules, degradation preview, the wizard's labels and help. Adding a kind is one
  file there (plus its trainer and tests); the modules below read the specs.
- ``request.py``: ``TrainRequest``, what a caller asks of a run (CLI, GUI and ``api.train``).
- ``datasets.py`` (the factory and synthetic pairs), ``dataset_types.py`` (paired, unpaired,
  single), ``scan.py`` (folders and pairing), ``crops.py`` (cache, decoding, crops),
  ``degrade.py``: folders -> batches of float32 NHWC ``[0, 1]`` images.
- ``presets.py``: every trainer option with its default, and the quick / standard / long
  presets read from the specs (plain data, no Keras import); ``limits.py``: what settings
  must satisfy; ``survey.py``: what the wizard shows about a folder.
- ``step.py``: the only backend-specific code: gradient steps (tensorflow ``GradientTape``
  in ``tf.function``, torch autograd), the WGAN-GP gradient penalty, the linear-decay
  schedule and Adam factory, seeding.
- ``losses.py``: adversarial, pixel, gradient and VGG19 perceptual losses in ``keras.ops``.
- ``trainers/``: one trainer per GAN (``deblur``, ``srgan`` for upscale, ``cyclegan``,
  ``dcgan``), registered by kind.
- ``checkpoint.py``: models, optimizers and trainer state in a folder, swapped in atomically.
- ``runner.py``: the run loop shared by all trainers (run folder, exact resume, history,
  samples, best checkpoint, progress, cancel); ``run_config.py``: a run's resolved settings
  (``config.json``); ``exports.py``: fine-tuning from and export to the model store.

Front ends call ``engine.api.train`` (``photogan train`` is ``engine/cli/cmd_train.py``).
"""
