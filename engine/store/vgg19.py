"""Which file is Keras' ImageNet VGG19 ``notop`` weights (style transfer's feature network).

The store imports it (``importers.import_vgg19``) and style transfer looks for it
(``engine.style.features``); both check the file by its MD5, the digest Keras publishes.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

VGG19_NOTOP_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
# The MD5 Keras checks when it downloads the file (keras.applications.vgg19, file_hash).
VGG19_NOTOP_MD5 = "253f8cb515780f3b799900260a226db6"
# Digests accepted for the file; tests add the digest of a small fake file here.
TRUSTED_VGG19_MD5: frozenset[str] = frozenset({VGG19_NOTOP_MD5})
# Folder of the user model store where an imported VGG19 file lives.
STORE_FOLDER = "vgg19"


def file_md5(path: Path) -> str:
    """Hex MD5 of a file, remembered while its size and modification time stay the same."""
    stat = path.stat()
    return _md5(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=16)
def _md5(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
