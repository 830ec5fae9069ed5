"""Reads PyTorch ``.pth`` state dicts without torch and without running pickle code.

Both of torch's formats are understood: the zip archive (torch >= 1.6: ``*/data.pkl`` plus one
raw file per storage) and the legacy stream (magic number, protocol, system info, the pickled
object, storage keys, then raw storages). The unpickler resolves only an allow-list of globals
(ordered dicts, torch's tensor-rebuild functions and storage types, replaced here by plain
numpy code); anything else, such as ``os.system``, is refused before it could run.
"""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

from engine.errors import ModelError

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_DTYPES = {
    "FloatStorage": np.float32, "HalfStorage": np.float16, "DoubleStorage": np.float64,
    "BFloat16Storage": None, "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class _StorageType:
    """Stand-in for ``torch.FloatStorage`` etc.: only remembers the element type."""

    def __init__(self, name: str) -> None:
        if _DTYPES.get(name) is None:
            raise ModelError(f"Unsupported tensor type {name} in the .pth file.")
        self.dtype = np.dtype(_DTYPES[name])


def _rebuild_tensor(storage, offset, size, stride, *_ignored):
    """numpy version of ``torch._utils._rebuild_tensor_v2`` (views by offset and strides)."""
    flat = storage
    size, stride = tuple(size), tuple(stride)
    if not size:
        return flat[offset].copy()
    item = flat.itemsize
    view = np.lib.stride_tricks.as_strided(flat[offset:], shape=size,
                                           strides=tuple(s * item for s in stride))
    return np.array(view)


def _rebuild_parameter(data, *_ignored):
    return data


_ALLOWED = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}
_REBUILDERS = {("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor")}


class _Unpickler(pickle.Unpickler):
    """Allow-listed globals; storages come from ``load_storage(key, storage_type)`` and
    tensors from ``rebuild`` (immediate for zip files, deferred for the legacy format)."""

    def __init__(self, stream, load_storage, rebuild=_rebuild_tensor) -> None:
        super().__init__(stream)
        self._load_storage = load_storage
        self._rebuild = rebuild

    def find_class(self, module: str, name: str):
        if (module, name) in _REBUILDERS:
            return self._rebuild
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        raise ModelError(f"The .pth file wants to load '{module}.{name}', which a weights "
                         "file never needs; refusing it (the file may be unsafe).")

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise ModelError("The .pth file holds an unknown kind of persistent object.")
        storage_type, key = pid[1], str(pid[2])
        if isinstance(storage_type, str):  # newer torch: a dtype name
            storage_type = _StorageType(storage_type)
        return self._load_storage(key, storage_type)


def _read_zip(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), None)
        if pkl is None:
            raise ModelError(f"{path.name} is a zip file but not a PyTorch checkpoint.")
        prefix = pkl[: -len("data.pkl")]

        def load_storage(key: str, storage_type: _StorageType) -> np.ndarray:
            raw = archive.read(f"{prefix}data/{key}")
            return np.frombuffer(raw, dtype=storage_type.dtype.newbyteorder("<"))

        with archive.open(pkl) as stream:
            return _Unpickler(io.BytesIO(stream.read()), load_storage).load()


def _read_legacy(path: Path) -> dict:
    data = path.read_bytes()
    stream = io.BytesIO(data)
    header = _Unpickler(stream, None)
    if header.load() != _LEGACY_MAGIC:
        raise ModelError(f"{path.name} is not a PyTorch checkpoint.")
    header.load()  # protocol version
    header.load()  # system info
    pending: dict[str, _StorageType] = {}

    def remember(key: str, storage_type: _StorageType) -> tuple:
        pending[key] = storage_type
        return ("pending", key)

    obj = _Unpickler(stream, remember, _deferred_rebuild).load()
    keys = _Unpickler(stream, None).load()
    storages = {}
    for key in keys:
        (count,) = struct.unpack("<q", stream.read(8))
        dtype = pending[key].dtype.newbyteorder("<")
        storages[key] = np.frombuffer(stream.read(count * dtype.itemsize), dtype=dtype)
    return _resolve(obj, storages)


def _resolve(obj, storages):
    """Legacy tensors were built before their storage was read: rebuild them now."""
    if isinstance(obj, _Pending):
        return obj.build(storages)
    if isinstance(obj, dict):
        return OrderedDict((k, _resolve(v, storages)) for k, v in obj.items())
    return obj


class _Pending:
    def __init__(self, key, offset, size, stride) -> None:
        self.key, self.offset, self.size, self.stride = key, offset, size, stride

    def build(self, storages):
        return _rebuild_tensor(storages[self.key], self.offset, self.size, self.stride)


def _deferred_rebuild(storage, offset, size, stride, *_ignored):
    if isinstance(storage, tuple) and storage and storage[0] == "pending":
        return _Pending(storage[1], offset, size, stride)
    return _rebuild_tensor(storage, offset, size, stride)


def read_state_dict(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a ``.pth`` state dict as numpy arrays, keyed as in the file.

    A ``{"state_dict": ...}`` or ``{"model": ...}`` wrapper is unwrapped and a ``module.``
    prefix (from DataParallel) removed.

    Raises:
        ModelError: not a PyTorch file, an unsafe or unsupported one, or no tensors in it.
    """
    path = Path(path)
    try:
        obj = _read_zip(path) if zipfile.is_zipfile(path) else _read_legacy(path)
    except ModelError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, struct.error,
            zipfile.BadZipFile, AttributeError, TypeError, IndexError) as exc:
        raise ModelError(f"{path.name} is not a readable PyTorch checkpoint ({exc}).") from None
    return _tensors(obj, path)


def _tensors(obj, path: Path) -> dict[str, np.ndarray]:
    for wrapper in ("state_dict", "model", "netG", "generator"):
        if isinstance(obj, dict) and isinstance(obj.get(wrapper), dict):
            obj = obj[wrapper]
    if not isinstance(obj, dict):
        raise ModelError(f"{path.name} does not hold a state dict of tensors.")
    tensors = {k.removeprefix("module."): v for k, v in obj.items()
               if isinstance(v, np.ndarray)}
    if not tensors:
        raise ModelError(f"{path.name} holds no tensors.")
    return tensors
