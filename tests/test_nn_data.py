"""nn.data: every loader on small files of the real formats that these tests write, and clear
errors for missing, truncated, corrupt or unsafe files; the embedded samples; batching."""

import gzip
import pickle
import struct

import numpy as np
import pytest

from nn import DataError, data


def _idx_bytes(array: np.ndarray) -> bytes:
    code = {np.uint8: 0x08, np.int32: 0x0C, np.float32: 0x0D}[array.dtype.type]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_mnist(folder, n_train=6, n_test=4, compress=False):
    rng = np.random.default_rng(0)
    parts = {}
    for part, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        parts[part] = images, labels
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{part}-{kind}-ubyte" + (".gz" if compress else "")
            raw = _idx_bytes(array)
            (folder / name).write_bytes(gzip.compress(raw) if compress else raw)
    return parts


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_plain_and_gzipped(tmp_path, compress):
    parts = _write_mnist(tmp_path, compress=compress)
    d = data.load_mnist(tmp_path)
    assert d.x_train.shape == (6, 1, 28, 28) and d.x_train.dtype == np.float32
    np.testing.assert_array_equal(d.x_train[:, 0] * 255, parts["train"][0])
    np.testing.assert_array_equal(d.y_test, parts["t10k"][1])
    raw = data.load_mnist(tmp_path, as_float=False)
    assert raw.x_test.dtype == np.uint8 and raw.y_train.dtype == np.int64


def test_load_idx_other_dtypes(tmp_path):
    values = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    (tmp_path / "f.idx").write_bytes(_idx_bytes(values))
    np.testing.assert_array_equal(data.load_idx(tmp_path / "f.idx"), values)
    ints = np.array([-5, 70000], np.int32)
    (tmp_path / "i.idx").write_bytes(_idx_bytes(ints))
    np.testing.assert_array_equal(data.load_idx(tmp_path / "i.idx"), ints)


def test_idx_errors_name_the_file(tmp_path):
    _write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(
        DataError,
        match=r"load_idx: .*train-images-idx3-ubyte is truncated .*"
        r"shape \(6, 28, 28\) of uint8, 4720 bytes in all, but it has 4710",
    ):
        data.load_mnist(tmp_path)
    path.write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(DataError, match="train-images-idx3-ubyte is not an IDX file"):
        data.load_idx(path)
    gz = tmp_path / "x.gz"
    gz.write_bytes(gzip.compress(b"\0\0\x08\x01\0\0\0\x28" + b"\0" * 40)[:20])
    with pytest.raises(DataError, match=r"x.gz is a truncated or corrupt gzip file"):
        data.load_idx(gz)
    with pytest.raises(FileNotFoundError, match=r"t10k-images-idx3-ubyte does not exist \(nor"):
        _write_mnist(tmp_path)
        (tmp_path / "t10k-images-idx3-ubyte").unlink()
        data.load_mnist(tmp_path, as_float=False)


def test_fashion_mnist_missing_says_how_to_install(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        data.load_fashion_mnist(tmp_path / "nowhere")
    _write_mnist(tmp_path, compress=True)
    assert data.load_fashion_mnist(tmp_path).x_train.shape == (6, 1, 28, 28)


@pytest.mark.skipif(not data.FASHION_MNIST_DIR.is_dir(), reason="dataset-fashion-mnist absent")
def test_installed_fashion_mnist():
    d = data.load_fashion_mnist(as_float=False)
    assert d.x_train.shape == (60000, 1, 28, 28) and d.x_test.shape == (10000, 1, 28, 28)
    assert sorted(np.unique(d.y_test)) == list(range(10))


def _write_cifar(folder, key_type=bytes, n=3):
    rng = np.random.default_rng(1)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        x = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, n)]
        key = (lambda s: s.encode()) if key_type is bytes else (lambda s: s)
        batch = {key("batch_label"): key("x"), key("labels"): labels, key("data"): x}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
        batches[name] = x, labels
    return batches


@pytest.mark.parametrize("key_type", [bytes, str])
def test_load_cifar10(tmp_path, key_type):
    batches = _write_cifar(tmp_path, key_type)
    d = data.load_cifar10(tmp_path, as_float=False)
    assert d.x_train.shape == (15, 3, 32, 32) and d.x_test.shape == (3, 3, 32, 32)
    x, labels = batches["test_batch"]
    np.testing.assert_array_equal(d.x_test[1, 0].ravel(), x[1, :1024])  # the red plane
    np.testing.assert_array_equal(d.x_test[1, 2].ravel(), x[1, 2048:])  # the blue plane
    np.testing.assert_array_equal(d.y_test, labels)


class _Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_cifar10_refuses_unsafe_truncated_and_wrong_pickles(tmp_path, capsys):
    _write_cifar(tmp_path)
    (tmp_path / "data_batch_2").write_bytes(pickle.dumps({b"data": _Evil()}))
    with pytest.raises(
        DataError,
        match=r"data_batch_2 is not a CIFAR-10 python batch.*refusing "
        r"to load the global builtins.print",
    ):
        data.load_cifar10(tmp_path)
    assert "must never run" not in capsys.readouterr().out
    good = (tmp_path / "data_batch_3").read_bytes()
    (tmp_path / "data_batch_2").write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match="data_batch_2 is not a CIFAR-10 python batch"):
        data.load_cifar10(tmp_path)
    (tmp_path / "data_batch_2").write_bytes(pickle.dumps({b"data": np.zeros((2, 5))}))
    with pytest.raises(DataError, match=r"data_batch_2: expected a dict with 'data' \(N, 3072\)"):
        data.load_cifar10(tmp_path)
    with pytest.raises(FileNotFoundError, match="cifar/data_batch_1 does not exist"):
        data.load_cifar10(tmp_path / "cifar")


def test_embedded_mnist_sample():
    d = data.load_mnist_sample()
    assert d.x_train.shape == (4000, 1, 28, 28) and d.x_test.shape == (1000, 1, 28, 28)
    assert 0 <= d.x_train.min() and d.x_train.max() == 1.0
    counts = np.bincount(np.concatenate([d.y_train, d.y_test]))
    np.testing.assert_array_equal(counts, [500] * 10)
    again = data.load_mnist_sample()
    np.testing.assert_array_equal(again.y_test, d.y_test)  # a fixed split


def test_digits():
    d = data.load_digits()
    assert d.x_train.shape == (1437, 1, 8, 8) and d.x_test.shape == (360, 1, 8, 8)
    assert d.x_train.max() == 1.0 and set(np.unique(d.y_train)) == set(range(10))


def test_batches_shuffle_by_seed_and_cover_everything():
    x, y = np.arange(10)[:, None], np.arange(10)
    first = [yb.tolist() for _, yb in data.batches(x, y, 4, seed=3)]
    assert first == [yb.tolist() for _, yb in data.batches(x, y, 4, seed=3)]
    assert first != [yb.tolist() for _, yb in data.batches(x, y, 4, seed=4)]
    assert sorted(sum(first, [])) == list(range(10)) and [len(b) for b in first] == [4, 4, 2]
    assert [len(b) for _, b in data.batches(x, y, 4, seed=3, drop_last=True)] == [4, 4]
    assert [b.tolist() for _, b in data.batches(x, y, 5)] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    for xb, yb in data.batches(x, y, 3, seed=0):
        np.testing.assert_array_equal(xb[:, 0], yb)


def test_normalization_and_shift():
    scale = np.array([1.0, 2.0, 3.0])[None, :, None, None]
    x = (np.random.default_rng(0).uniform(size=(50, 3, 4, 4)) * scale).astype(np.float32)
    mean, std = data.channel_stats(x)
    z = data.normalize(x, mean, std)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=(0, 2, 3)), 1, atol=1e-4)
    image = np.zeros((1, 1, 5, 5))
    image[0, 0, 2, 2] = 1
    shifted = data.random_shift(np.repeat(image, 30, 0), np.random.default_rng(0), max_shift=2)
    positions = {tuple(np.argwhere(s[0])[0]) for s in shifted}
    assert len(positions) > 5 and all(s.sum() == 1 for s in shifted)
