"""Neural style transfer (Gatys et al. 2016): feature networks, losses and the optimisers.

``features`` finds the feature network (ImageNet VGG19 when its weights file is present and
verified, else a seeded random multi-scale network) and the bundled style images; ``losses``
holds the content, Gram-matrix style and total-variation losses written with ``keras.ops``;
``optimize`` computes their gradient with a tiny per-backend function and runs L-BFGS-B or
Adam on the image pixels. ``features`` does not import keras; the other two do.
"""
