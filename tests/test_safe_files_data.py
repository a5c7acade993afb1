"""nn.data and nn.files refuse bad data instead of returning wrong numbers: float or out-of-range
pixels, out-of-range or non-integer labels, and size bombs (IDX headers announcing more than the
file holds, gzip streams longer than announced, CIFAR pickles that expand or allocate beyond
their size) are one-line ``DataError``s, raised before anything large is allocated."""

import gzip
import pickle
import struct
import tracemalloc

import numpy as np
import pytest

from nn import DataError, data, files


def _idx(array: np.ndarray, code: int | None = None) -> bytes:
    code = code or {np.uint8: 0x08, np.int32: 0x0C, np.float32: 0x0D}[array.dtype.type]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_mnist(folder, images=None, labels=None):
    rng = np.random.default_rng(0)
    for part in ("train", "t10k"):
        x = rng.integers(0, 256, (4, 28, 28), dtype=np.uint8) if images is None else images
        y = rng.integers(0, 10, len(x)).astype(np.uint8) if labels is None else labels
        (folder / f"{part}-images-idx3-ubyte").write_bytes(_idx(x))
        (folder / f"{part}-labels-idx1-ubyte").write_bytes(_idx(y))


# ---------------------------------------------------------------- IDX / MNIST


def test_mnist_labels_out_of_range_are_refused(tmp_path):
    _write_mnist(tmp_path, labels=np.array([0, 1, 10, 2], np.uint8))
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte: labels 0..10, expected classes"):
        data.load_mnist(tmp_path)
    assert data.load_mnist(tmp_path, num_classes=11).y_train.tolist() == [0, 1, 10, 2]


def test_mnist_float_or_out_of_range_images_are_refused(tmp_path):
    _write_mnist(tmp_path, images=np.full((4, 28, 28), 0.5, np.float32))
    with pytest.raises(DataError, match=r"images-idx3-ubyte: images have dtype float32, expected"):
        data.load_mnist(tmp_path)
    _write_mnist(tmp_path, images=np.full((4, 28, 28), 300, np.int32))
    with pytest.raises(DataError, match=r"images have values 300..300, expected pixel values"):
        data.load_mnist(tmp_path)


def test_idx_dimensions_whose_product_overflows_are_a_data_error(tmp_path):
    path = tmp_path / "big.idx"
    # 65536**4 = 2**64 wraps to 0 in int64: the file's 20 header bytes looked complete
    path.write_bytes(struct.pack(">BBBB4I", 0, 0, 0x08, 4, *(65536,) * 4))
    with pytest.raises(DataError, match=r"big.idx is truncated or corrupt: its header announces"):
        data.load_idx(path)


def test_an_idx_gz_announcing_more_than_it_can_hold_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(struct.pack(">BBBB3I", 0, 0, 0x08, 3, 60000, 28, 28)))
    with pytest.raises(DataError, match=r"bomb.gz is truncated .* of \d+ bytes, which cannot hold"):
        data.load_idx(path)


def test_an_idx_gz_decompressing_beyond_its_header_is_not_decompressed_whole(tmp_path):
    # ~1 MB on disk, 1 GiB decompressed: 64 gzip members of 16 MiB of zeros after a valid header
    zeros = gzip.compress(bytes(1 << 24), compresslevel=1)
    path = tmp_path / "bomb-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(_idx(np.arange(10, dtype=np.uint8))) + zeros * 64)
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"bomb-idx1-ubyte.gz is truncated .* to more"):
            data.load_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20


def test_a_short_gzip_stream_is_a_data_error(tmp_path):
    raw = _idx(np.arange(10, dtype=np.uint8))
    (tmp_path / "short.gz").write_bytes(gzip.compress(raw[:-3]))
    with pytest.raises(DataError, match=r"short.gz is truncated .* decompresses to 15"):
        data.load_idx(tmp_path / "short.gz")
    (tmp_path / "ok.gz").write_bytes(gzip.compress(raw))
    assert data.load_idx(tmp_path / "ok.gz").tolist() == list(range(10))


def test_the_mnist_sample_is_checked_too(tmp_path, monkeypatch):
    table = np.zeros((3, 785), np.int64)
    table[1, 5] = 300
    path = tmp_path / "mnist_5k.csv.gz"
    with gzip.open(path, "wt") as f:
        np.savetxt(f, table, fmt="%d", delimiter=",")
    monkeypatch.setattr(data, "mnist_sample_path", lambda: path)
    with pytest.raises(DataError, match=r"load_mnist_sample: .*images have values 0..300"):
        data.load_mnist_sample(test_size=1)


# ---------------------------------------------------------------- CIFAR-10


def _write_cifar(folder, x=None, labels=None, raw: bytes | None = None):
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        xb = rng.integers(0, 256, (3, 3072), dtype=np.uint8) if x is None else x
        yb = [int(v) for v in rng.integers(0, 10, 3)] if labels is None else labels
        blob = pickle.dumps({b"data": xb, b"labels": yb}, protocol=2)
        (folder / name).write_bytes(blob if raw is None or name != "data_batch_2" else raw)


@pytest.mark.parametrize(
    "x, labels, expected",
    [
        (np.full((3, 3072), 0.5), None, r"data have dtype float64, expected integer pixel"),
        (np.full((3, 3072), 300, np.int16), None, r"data have values 300..300, expected pixel"),
        (None, [0, -1, 2], r"labels -1..2, expected classes 0..9"),
        (None, [0, 57, 2], r"labels 0..57, expected classes 0..9"),
        (None, ["cat", "dog", "cat"], r"a label is the str 'cat', not an integer"),
        (None, [0, 1], r"2 labels for 3 images"),
        (None, np.zeros(3), r"labels of type float64, expected integers"),
        (np.zeros((3, 3072), np.uint8).tolist(), None, r"expected a dict .*data of type list"),
    ],
    ids=[
        "float-data",
        "data-300",
        "label-minus-1",
        "label-57",
        "str",
        "count",
        "float-labels",
        "list",
    ],
)
def test_cifar10_refuses_bad_pixels_and_labels(tmp_path, x, labels, expected):
    _write_cifar(tmp_path, x, labels)
    with pytest.raises(DataError, match=r"load_cifar10: .*data_batch_1: " + expected) as info:
        data.load_cifar10(tmp_path)
    assert len(str(info.value).splitlines()) == 2 and "(at " in str(info.value)


def test_cifar10_reads_protocol_5_pickles(tmp_path):
    x = np.arange(3 * 3072).reshape(3, 3072).astype(np.uint8)
    raw = pickle.dumps({"data": x, "labels": [1, 2, 3]}, protocol=5)
    _write_cifar(tmp_path, raw=raw)
    loaded = data.load_cifar10(tmp_path, as_float=False).x_train[3:6]  # data_batch_2
    np.testing.assert_array_equal(loaded, x.reshape(3, 3, 32, 32))


def test_cifar10_accepts_int_arrays_in_range_and_numpy_labels(tmp_path):
    _write_cifar(tmp_path, np.full((3, 3072), 255, np.int64), np.array([0, 9, 3]))
    d = data.load_cifar10(tmp_path, as_float=False)
    assert d.x_train.dtype == np.uint8 and d.x_train.max() == 255
    assert d.y_test.tolist() == [0, 9, 3] and d.y_test.dtype == np.int64


def test_a_cifar_pickle_of_repeated_references_is_refused_before_expanding(tmp_path):
    row = [0] * 3072
    raw = pickle.dumps({b"data": [row] * 20000, b"labels": [0] * 20000}, protocol=2)
    assert len(raw) < 200_000  # 20000 x 3072 ints: 490 MB as int64
    _write_cifar(tmp_path, raw=raw)
    with pytest.raises(DataError, match=r"data_batch_2: expected a dict .*data of type list"):
        data.load_cifar10(tmp_path)


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def test_a_cifar_pickle_cannot_allocate_an_array_of_its_choosing(tmp_path):
    # _reconstruct(ndarray, (10**11,), b"b"): 100 GB allocated before any data is read
    raw = (
        b"\x80\x02"
        + _global("numpy._core.multiarray", "_reconstruct")
        + _global("numpy", "ndarray")
        + b"\x8a\x05"
        + (10**11).to_bytes(5, "little")
        + b"\x85C\x01b\x87R."
    )
    _write_cifar(tmp_path, raw=raw)
    with pytest.raises(DataError, match=r"data_batch_2 is not .*refusing an array constructor"):
        data.load_cifar10(tmp_path)


def test_a_cifar_pickle_cannot_grow_strings_with_codecs(tmp_path):
    # _codecs.encode(b, "hex") doubles b: 40 nested calls would make a terabyte
    nested = b"C\x01x"
    for _ in range(40):
        nested = _global("_codecs", "encode") + nested + b"X\x03\x00\x00\x00hex\x86R"
    _write_cifar(tmp_path, raw=b"\x80\x02" + nested + b".")
    with pytest.raises(DataError, match=r"data_batch_2 is not .*refusing _codecs.encode"):
        data.load_cifar10(tmp_path)


def test_a_cifar_pickle_larger_than_any_batch_is_refused_unread(tmp_path, monkeypatch):
    _write_cifar(tmp_path)
    monkeypatch.setattr(files, "_MAX_PICKLE_BYTES", 1000)
    with pytest.raises(DataError, match=r"data_batch_1: \d+ bytes, more than any CIFAR-10 batch"):
        data.load_cifar10(tmp_path)


def test_object_arrays_are_refused_in_cifar_pickles(tmp_path):
    raw = pickle.dumps({b"data": np.array([[1, "a"]], dtype=object), b"labels": [0]}, protocol=2)
    _write_cifar(tmp_path, raw=raw)
    with pytest.raises(DataError, match=r"data_batch_2 is not .*refusing the object dtype"):
        data.load_cifar10(tmp_path)
