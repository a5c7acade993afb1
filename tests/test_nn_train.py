"""nn.train and nn.checkpoint: a short real training run that must learn, jit and eager steps
agreeing, checkpoints round-tripping and refusing mismatched models, and the LeNet-5 example
run with tiny settings."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from nn import CheckpointError, data, layers, models, optim, train
from trace_ag.tree_util import tree_leaves

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def digits():
    return data.load_digits()


def test_short_training_run_on_digits_learns(digits):
    model = models.lenet5_small()
    params, _ = model.init(0, (1, 8, 8))
    initial_loss, initial_acc = train.evaluate(model, params, digits.x_test, digits.y_test)
    params, history = train.fit(
        model, params, digits, optim.adam(3e-3), epochs=3, batch_size=32, progress=False
    )
    assert history["test_loss"][-1] < initial_loss / 2
    assert history["test_accuracy"][-1] > 0.8 > initial_acc
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert all(len(v) == 3 for v in history.values())


def test_jit_and_eager_steps_agree(digits):
    small = data.Dataset(
        digits.x_train[:256], digits.y_train[:256], digits.x_test[:64], digits.y_test[:64]
    )
    model = models.lenet5_small()
    params, _ = model.init(0, (1, 8, 8))
    runs = [
        train.fit(
            model,
            params,
            small,
            optim.sgd(0.05, momentum=0.9),
            epochs=2,
            batch_size=64,
            progress=False,
            jit=use_jit,
        )
        for use_jit in (True, False)
    ]
    (p_jit, h_jit), (p_eager, h_eager) = runs
    np.testing.assert_allclose(h_jit["train_loss"], h_eager["train_loss"], rtol=1e-4)
    for a, b in zip(tree_leaves(p_jit), tree_leaves(p_eager), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)
    np.testing.assert_array_equal(params[0]["w"], model.init(0, (1, 8, 8))[0][0]["w"])


def test_dropout_models_train_eagerly(digits):
    model = layers.Sequential(
        [layers.Flatten(), layers.Linear(32), layers.relu, layers.Dropout(0.2), layers.Linear(10)]
    )
    params, _ = model.init(0, (1, 8, 8))
    _, history = train.fit(model, params, digits, optim.adam(1e-2), epochs=2, progress=False)
    assert history["test_accuracy"][-1] > 0.8


def test_checkpoint_round_trip_and_mismatch(tmp_path):
    model = models.lenet5((1, 28, 28))
    params, _ = model.init(0, (1, 28, 28))
    path = nn.save_checkpoint(tmp_path / "lenet", params)
    assert path.name == "lenet.npz" and path.exists()
    loaded = nn.load_checkpoint(path, like=params)
    assert isinstance(loaded, list) and sorted(loaded[0]) == ["b", "w"] and loaded[1] == {}
    for a, b in zip(tree_leaves(loaded), tree_leaves(params), strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    other, _ = models.lenet5((3, 32, 32)).init(0, (3, 32, 32))
    with pytest.raises(
        CheckpointError,
        match=r"lenet.npz does not fit .* at \[0\]\['w'\], the "
        r"checkpoint has shape \(6, 1, 5, 5\) but the model expects "
        r"\(6, 3, 5, 5\)",
    ):
        nn.load_checkpoint(path, like=other)
    with pytest.raises(
        CheckpointError, match=r"the checkpoint has 12 entries but the model has 10"
    ):
        nn.load_checkpoint(path, like=models.lenet5_small().init(0, (1, 8, 8))[0])
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match="bad.npz is not a checkpoint"):
        nn.load_checkpoint(tmp_path / "bad.npz")
    with pytest.raises(FileNotFoundError, match="missing.npz does not exist"):
        nn.load_checkpoint(tmp_path / "missing.npz")


def test_fit_writes_a_checkpoint(tmp_path, digits):
    small = data.Dataset(
        digits.x_train[:64], digits.y_train[:64], digits.x_test[:32], digits.y_test[:32]
    )
    model = models.lenet5_small()
    params, _ = model.init(0, (1, 8, 8))
    trained, _ = train.fit(
        model,
        params,
        small,
        optim.sgd(0.1),
        epochs=1,
        progress=False,
        checkpoint=tmp_path / "ck.npz",
    )
    restored = nn.load_checkpoint(tmp_path / "ck.npz", like=params)
    np.testing.assert_array_equal(restored[0]["w"], trained[0]["w"])


def test_lenet5_example_runs_with_tiny_settings(tmp_path):
    command = [
        sys.executable,
        str(ROOT / "examples" / "lenet5.py"),
        "--epochs",
        "1",
        "--train-size",
        "128",
        "--test-size",
        "64",
        "--quiet",
        "--checkpoint",
        str(tmp_path / "lenet5.npz"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout and (tmp_path / "lenet5.npz").exists()
    failing = subprocess.run(
        command[:-2] + ["--min-accuracy", "1.01"], capture_output=True, text=True, timeout=300
    )
    assert failing.returncode == 1 and "FAILED: accuracy" in failing.stdout


def test_lenet5_on_3x32x32_images_trains_one_epoch():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(64, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    model = models.lenet5((3, 32, 32))
    params, shape = model.init(0, (3, 32, 32))
    assert shape == (10,) and params[7]["w"].shape == (400, 120)
    _, history = train.fit(
        model,
        params,
        data.Dataset(x, y, x[:16], y[:16]),
        optim.adam(1e-3),
        epochs=2,
        batch_size=32,
        progress=False,
    )
    assert np.isfinite(history["test_loss"]).all()
    assert history["train_loss"][1] < history["train_loss"][0]
