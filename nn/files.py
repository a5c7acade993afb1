"""Reading dataset files safely: the IDX format of MNIST (plain or gzipped) and the pickled
CIFAR-10 python batches, through an unpickler that loads only what those files contain.

Every failure names the file and what was expected: ``FileNotFoundError`` for a missing file,
``nn.DataError`` for a truncated, corrupt or unsafe one.
"""

from __future__ import annotations

import gzip
import pickle
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from nn.errors import DataError, at_user_line


def missing_file(path: Path, what: str, hint: str = "") -> FileNotFoundError:
    return FileNotFoundError(at_user_line(f"{what}: {path} does not exist{hint}"))


_IDX_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_bytes(path: Path, fn: str) -> bytes:
    if not path.exists():
        raise missing_file(path, fn)
    try:
        with path.open("rb") as f:
            raw = f.read()
        return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise DataError(
            at_user_line(f"{fn}: {path} is a truncated or corrupt gzip file: {e}")
        ) from None


def load_idx(path: str | Path) -> np.ndarray:
    """An array from an IDX file (the MNIST format), plain or gzipped.

    Example:
        >>> load_idx("train-labels-idx1-ubyte.gz").shape
        (60000,)
    """
    path = Path(path)
    raw = _read_bytes(path, "load_idx")
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _IDX_DTYPES:
        raise DataError(
            at_user_line(
                f"load_idx: {path} is not an IDX file: it starts with {raw[:4]!r}, expected "
                "two zero bytes, a type code (0x08 for uint8) and the number of dimensions"
            )
        )
    ndim, dtype = raw[3], np.dtype(_IDX_DTYPES[raw[2]])
    header = 4 + 4 * ndim
    dims = tuple(int(n) for n in np.frombuffer(raw[4:header], ">u4")) if len(raw) >= header else ()
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(dims) != ndim or len(raw) != expected:
        raise DataError(
            at_user_line(
                f"load_idx: {path} is truncated or corrupt: its header announces shape "
                f"{dims or '?'} of {dtype.name}, {expected} bytes in all, but it has {len(raw)}"
            )
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


_CIFAR_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),  # how Python 3 writes bytes in protocol-2 pickles
}


class _CifarUnpickler(pickle.Unpickler):
    """Allows only what CIFAR-10 batches hold: builtin containers and NumPy arrays."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _CIFAR_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load the global {module}.{name}")
        return super().find_class(module, name)


def read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.exists():
        raise missing_file(path, "load_cifar10")
    try:
        with path.open("rb") as f:
            batch = _CifarUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as e:
        raise DataError(
            at_user_line(
                f"load_cifar10: {path} is not a CIFAR-10 python batch (truncated, corrupt or "
                f"unsafe pickle): {e}"
            )
        ) from None
    get = (lambda k: batch.get(k.encode(), batch.get(k))) if isinstance(batch, dict) else None
    data = np.asarray(get("data")) if get else None
    labels = np.asarray(get("labels")) if get else None
    if data is None or data.ndim != 2 or data.shape[1] != 3072 or labels.shape != data.shape[:1]:
        raise DataError(
            at_user_line(
                f"load_cifar10: {path}: expected a dict with 'data' (N, 3072) uint8 and "
                f"'labels' (N,), got {type(batch).__name__}"
                + (f" with data {getattr(data, 'shape', None)}" if get else "")
            )
        )
    return data.astype(np.uint8).reshape(-1, 3, 32, 32), labels.astype(np.int64)
