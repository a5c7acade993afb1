"""Reading dataset files safely: the IDX format of MNIST (plain or gzipped) and the pickled
CIFAR-10 python batches, through an unpickler that loads only what those files contain.

Nothing is allocated before it is checked against the file: an IDX header's declared size must
match a plain file's size, and a gzipped one is decompressed as a stream, only as far as its
header announces (a size no gzip file of that length could hold is refused first). A CIFAR-10
pickle may hold only dicts, lists, strings, numbers and NumPy arrays, its arrays no larger than
the file; the unpickled batch is checked (types, shapes, dtypes, pixel and label ranges) before
anything is converted.

Every failure names the file and what was expected: ``FileNotFoundError`` for a missing file,
``nn.DataError`` for a truncated, corrupt, unsafe or out-of-range one.
"""

from __future__ import annotations

import codecs
import gzip
import math
import pickle
import zlib
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from nn.errors import DataError, at_user_line


def missing_file(path: Path, what: str, hint: str = "") -> FileNotFoundError:
    return FileNotFoundError(at_user_line(f"{what}: {path} does not exist{hint}"))


def data_error(fn: str, path: Path, what: str) -> DataError:
    """The one-line ``DataError`` of loader ``fn`` about the file ``path``."""
    return DataError(at_user_line(f"{fn}: {path}: {what}"))


# ---------------------------------------------------------------- checks shared by the loaders


def check_pixels(x: np.ndarray, top: int, fn: str, path: Path, what: str = "images") -> None:
    """Refuse anything but integer pixel values in ``0..top`` (a float array, e.g. one already
    scaled to [0, 1], would be truncated to 0 by the cast to uint8; 300 would wrap to 44).

    Examples:
        >>> check_pixels(np.array([0, 255], np.uint8), 255, "load_cifar10", Path("test_batch"))
        >>> check_pixels(np.array([0.0, 0.5]), 255, "load_cifar10", Path("test_batch"))
        ... # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        nn.errors.DataError: load_cifar10: test_batch: images have dtype float64, expected
        integer pixel values 0..255...
    """
    if not np.issubdtype(x.dtype, np.integer):
        raise data_error(
            fn, path, f"{what} have dtype {x.dtype.name}, expected integer pixel values 0..{top}"
        )
    if x.size and (x.min() < 0 or x.max() > top):
        raise data_error(
            fn, path, f"{what} have values {x.min()}..{x.max()}, expected pixel values 0..{top}"
        )


def check_labels(y: Any, n: int, num_classes: int, fn: str, path: Path) -> np.ndarray:
    """``y`` as int64 labels, after checking that it holds ``n`` integers in
    ``0..num_classes - 1`` (its length is checked before anything is converted).

    Examples:
        >>> check_labels([3, 1, 4], 3, 10, "load_cifar10", Path("test_batch"))
        array([3, 1, 4])
        >>> check_labels([3, 1, 12], 3, 10, "load_cifar10", Path("test_batch"))
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        nn.errors.DataError: load_cifar10: test_batch: labels 1..12, expected classes 0..9...
    """
    if isinstance(y, list):
        if len(y) != n:
            raise data_error(fn, path, f"{len(y)} labels for {n} images")
        bad = next((v for v in y if type(v) is not int), None)  # noqa: E721 (bool is refused)
        if bad is not None:
            what = f"the {type(bad).__name__} {bad!r:.40}"
            raise data_error(fn, path, f"a label is {what}, not an integer")
        y = np.array(y, dtype=np.int64) if n else np.zeros(0, np.int64)
    elif not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.integer):
        kind = y.dtype.name if isinstance(y, np.ndarray) else type(y).__name__
        raise data_error(fn, path, f"labels of type {kind}, expected integers")
    if y.shape != (n,):
        raise data_error(fn, path, f"labels of shape {y.shape} for {n} images, expected ({n},)")
    if n and (y.min() < 0 or y.max() >= num_classes):
        raise data_error(
            fn, path, f"labels {y.min()}..{y.max()}, expected classes 0..{num_classes - 1}"
        )
    return y.astype(np.int64)


# ---------------------------------------------------------------- IDX

_IDX_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAX_RATIO = 1100  # deflate expands at most ~1032:1, so a bigger announced size is a lie


def _read_up_to(stream: BinaryIO, n: int) -> bytes:
    chunks, left = [], n
    while left > 0:
        chunk = stream.read(min(left, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_idx(stream: BinaryIO, path: Path, file_size: int, gzipped: bool) -> np.ndarray:
    head = _read_up_to(stream, 4)
    if len(head) < 4 or head[:2] != b"\0\0" or head[2] not in _IDX_DTYPES or head[3] == 0:
        raise DataError(
            at_user_line(
                f"load_idx: {path} is not an IDX file: it starts with {head!r}, expected "
                "two zero bytes, a type code (0x08 for uint8) and the number of dimensions"
            )
        )
    ndim, dtype = head[3], np.dtype(_IDX_DTYPES[head[2]])
    raw_dims = _read_up_to(stream, 4 * ndim)
    dims = tuple(int(n) for n in np.frombuffer(raw_dims[: len(raw_dims) // 4 * 4], ">u4"))
    header = 4 + 4 * ndim
    count = math.prod(dims) * dtype.itemsize  # Python ints: no overflow
    expected = header + count

    def corrupt(has: str) -> DataError:
        return DataError(
            at_user_line(
                f"load_idx: {path} is truncated or corrupt: its header announces shape "
                f"{dims if len(dims) == ndim else '?'} of {dtype.name}, {expected} bytes in all, "
                f"but it {has}"
            )
        )

    if len(dims) != ndim:
        raise corrupt(f"has {4 + len(raw_dims)}")
    if not gzipped and file_size != expected:
        raise corrupt(f"has {file_size}")
    if gzipped and count > file_size * _GZIP_MAX_RATIO:
        raise corrupt(f"is a gzip file of {file_size} bytes, which cannot hold that many")
    body = _read_up_to(stream, count + 1)
    if len(body) != count:
        raise corrupt(
            f"decompresses to {header + len(body)}" if len(body) < count else "decompresses to more"
        )
    return np.frombuffer(body, dtype).reshape(dims).astype(dtype.newbyteorder("="))


def load_idx(path: str | Path) -> np.ndarray:
    """An array from an IDX file (the MNIST format), plain or gzipped.

    The header is read first; the data is read (decompressed) only up to the size it
    announces, and only if the file can hold it.

    Examples:
        >>> import tempfile
        >>> folder = tempfile.TemporaryDirectory()
        >>> path = Path(folder.name) / "labels-idx1-ubyte"  # magic 0 0 8 1, then 3 (big-endian)
        >>> _ = path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
        >>> load_idx(path)
        array([7, 2, 1], dtype=uint8)
        >>> folder.cleanup()

        On MNIST: ``load_idx("train-labels-idx1-ubyte.gz").shape`` is ``(60000,)``.
    """
    path = Path(path)
    if not path.exists():
        raise missing_file(path, "load_idx")
    try:
        with path.open("rb") as f:
            size = path.stat().st_size
            gzipped = f.read(2) == b"\x1f\x8b"
            f.seek(0)
            if not gzipped:
                return _read_idx(f, path, size, False)
            with gzip.GzipFile(fileobj=f) as stream:
                return _read_idx(stream, path, size, True)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise DataError(
            at_user_line(f"load_idx: {path} is a truncated or corrupt gzip file: {e}")
        ) from None


# ---------------------------------------------------------------- CIFAR-10

_MAX_PICKLE_BYTES = 1 << 28  # 256 MiB: a CIFAR-10 batch is 31 MB


def _reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    """``ndarray.__reduce__``'s constructor, limited to the empty array it always asks for (its
    data then comes from the pickle itself): no allocation sized by the file's say-so."""
    if subtype is not np.ndarray or not isinstance(shape, tuple) or math.prod(shape) > 1:
        raise pickle.UnpicklingError(f"refusing an array constructor for shape {shape!r}")
    return np.ndarray.__new__(np.ndarray, shape, dtype)


def _encode(text: Any, encoding: str = "utf-8") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it (str to latin-1 bytes), and nothing else:
    codecs such as hex double their input, so chained calls could grow without bound."""
    if not isinstance(text, str) or codecs.lookup(encoding).name != "iso8859-1":
        raise pickle.UnpicklingError(f"refusing _codecs.encode(..., {encoding!r})")
    return text.encode("latin-1")


def _dtype(spec: Any, *args: Any) -> np.dtype:
    dtype = np.dtype(spec, *args)
    if dtype.hasobject:
        raise pickle.UnpicklingError(f"refusing the object dtype {dtype}")
    return dtype


def _frombuffer(buffer: Any, dtype: Any, shape: Any, order: str) -> np.ndarray:
    """How protocol-5 pickles write arrays: a view of bytes the pickle holds (no allocation)."""
    return np.frombuffer(buffer, _dtype(dtype)).reshape(shape, order=order)


_CIFAR_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _dtype,
    ("_codecs", "encode"): _encode,  # how Python 3 writes bytes in protocol-2 pickles
}


class _CifarUnpickler(pickle.Unpickler):
    """Allows only what CIFAR-10 batches hold: builtin containers and NumPy arrays, through
    constructors that allocate nothing the pickle does not itself contain."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _CIFAR_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load the global {module}.{name}")
        return _CIFAR_GLOBALS[module, name]


def _unpickle_cifar(path: Path) -> Any:
    size = path.stat().st_size
    if size > _MAX_PICKLE_BYTES:
        raise data_error(
            "load_cifar10", path, f"{size} bytes, more than any CIFAR-10 batch (31 MB)"
        )
    try:
        with path.open("rb") as f:
            return _CifarUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as e:
        raise DataError(
            at_user_line(
                f"load_cifar10: {path} is not a CIFAR-10 python batch (truncated, corrupt or "
                f"unsafe pickle): {e}"
            )
        ) from None


def read_cifar_batch(path: Path, num_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """The ``(N, 3, 32, 32)`` uint8 images and int64 labels of one CIFAR-10 python batch.

    Examples:
        >>> import pickle, tempfile
        >>> folder = tempfile.TemporaryDirectory()
        >>> path = Path(folder.name) / "test_batch"
        >>> batch = {b"data": np.zeros((2, 3072), np.uint8), b"labels": [3, 8]}
        >>> _ = path.write_bytes(pickle.dumps(batch))
        >>> x, y = read_cifar_batch(path)
        >>> x.shape, y
        ((2, 3, 32, 32), array([3, 8]))
        >>> folder.cleanup()
    """
    if not path.exists():
        raise missing_file(path, "load_cifar10")
    batch = _unpickle_cifar(path)
    get = (lambda k: batch.get(k.encode(), batch.get(k))) if isinstance(batch, dict) else None
    data = get("data") if get else None
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3072:
        described = (
            f"data of shape {data.shape}"
            if isinstance(data, np.ndarray)
            else f"data of type {type(data).__name__}"
        )
        raise data_error(
            "load_cifar10",
            path,
            "expected a dict with 'data' (N, 3072) uint8 and 'labels' (N,), got "
            + (f"a dict with {described}" if get else type(batch).__name__),
        )
    check_pixels(data, 255, "load_cifar10", path, "data")
    labels = check_labels(get("labels"), len(data), num_classes, "load_cifar10", path)
    return data.astype(np.uint8).reshape(-1, 3, 32, 32), labels
