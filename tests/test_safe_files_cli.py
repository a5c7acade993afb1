"""``trace-ag train`` / ``graph`` check what they can before any work (output paths, a training
split smaller than a batch, non-finite or negative numbers: one line, exit status 2), stop a
diverging run with one line and exit status 1, and write one line per epoch, no carriage
returns, when the output is not a terminal; ``nn.train.fit`` raises ``NonFiniteLossError`` on a
NaN loss, keeping the last good checkpoint."""

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import nn
from nn import data, losses, models, optim, train
from trace_ag import cli

ROOT = Path(__file__).resolve().parent.parent
TINY = ["train", "--dataset", "digits", "--epochs", "1", "--quiet", "--train-size", "64"]


def one_line_error(capsys, argv: list[str], status: int = 2) -> str:
    try:
        code = cli.main(argv)
    except SystemExit as e:  # argparse's errors exit from inside parse_args
        code = e.code
    captured = capsys.readouterr()
    assert code == status, captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert "held-out images" not in captured.out  # refused before loading data and training
    return lines[0]


def test_a_save_path_in_a_missing_folder_is_refused_before_training(tmp_path, capsys):
    line = one_line_error(capsys, [*TINY, "--save", str(tmp_path / "no_such_dir" / "m.npz")])
    assert "--save" in line and "no_such_dir does not exist" in line


@pytest.mark.parametrize("option", ["--save", "--plot"])
def test_output_paths_that_cannot_be_written_are_refused_before_training(tmp_path, capsys, option):
    (tmp_path / "file").write_text("x")
    line = one_line_error(capsys, [*TINY, option, str(tmp_path / "file" / "out.png")])
    assert f"{option} " in line and "is not a folder" in line
    folder = tmp_path / ("folder.npz" if option == "--save" else "folder.png")
    folder.mkdir()
    assert "is a folder" in one_line_error(capsys, [*TINY, option, str(folder)])


def test_a_plot_suffix_matplotlib_cannot_write_is_refused_before_training(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    line = one_line_error(capsys, [*TINY, "--plot", str(tmp_path / "curves.xyz")])
    assert "--plot" in line and "the suffix must be one of" in line and ".png" in line


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--train-size", "10"], "--train-size 10 is smaller than --batch-size 32"),
        (["--lr", "inf"], "expected a positive finite number, got 'inf'"),
        (["--lr", "nan"], "expected a positive finite number, got 'nan'"),
        (["--seed", "-1"], "expected an integer >= 0, got '-1'"),
    ],
)
def test_arguments_that_would_train_nothing_or_on_nan_are_refused(capsys, argv, expected):
    assert expected in one_line_error(capsys, [*TINY, *argv])


def test_graph_refuses_a_negative_seed_and_a_missing_output_folder(tmp_path, capsys):
    fn = ["graph", "trace_ag.numpy:tanh", "--args-shape", "3"]
    assert "expected an integer >= 0" in one_line_error(capsys, [*fn, "--seed", "-1"])
    line = one_line_error(capsys, [*fn, "-o", str(tmp_path / "missing" / "f.dot")])
    assert line.startswith("trace-ag graph: error: -o ") and "missing does not exist" in line


def test_a_diverging_run_stops_with_one_line_and_exit_status_1(tmp_path, capsys):
    ckpt = tmp_path / "m.npz"
    argv = [*TINY, "--optimizer", "sgd", "--lr", "1e30", "--save", str(ckpt), "--no-augment"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = cli.main(argv)
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]  # no overflow noise
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    assert lines[0].startswith("trace-ag train: error: the training loss is ")
    assert "no checkpoint was written" in lines[0] and not ckpt.exists()
    assert "trained LeNet-5" not in captured.out


def _small_digits():
    d = data.load_digits()
    return data.Dataset(d.x_train[:64], d.y_train[:64], d.x_test[:32], d.y_test[:32])


def test_fit_stops_on_a_nan_loss_and_keeps_the_last_good_checkpoint(tmp_path):
    small, model = _small_digits(), models.lenet5_small()
    params, _ = model.init(0, (1, 8, 8))
    calls = []

    def loss_fn(logits, y):  # NaN after epoch 1 (2 steps and 1 evaluation batch)
        calls.append(1)
        return losses.cross_entropy(logits, y) * (np.nan if len(calls) > 3 else 1.0)

    options = dict(batch_size=32, jit=False, progress=False)
    ckpt = tmp_path / "ck.npz"
    with pytest.raises(
        train.NonFiniteLossError,
        match=r"fit: the training loss is nan at step 1 of epoch 2, so training stopped .*"
        r"ck.npz keeps the parameters after epoch 1",
    ):
        train.fit(
            model,
            params,
            small,
            optim.sgd(0.1),
            epochs=3,
            checkpoint=ckpt,
            loss_fn=loss_fn,
            **options,
        )
    one_epoch, _ = train.fit(model, params, small, optim.sgd(0.1), epochs=1, **options)
    kept = nn.load_checkpoint(ckpt, like=params)
    np.testing.assert_array_equal(kept[0]["w"], one_epoch[0]["w"])


def test_fit_refuses_a_training_split_smaller_than_one_batch():
    small, model = _small_digits(), models.lenet5_small()
    params, _ = model.init(0, (1, 8, 8))
    with pytest.raises(ValueError, match=r"fit: 64 training examples are fewer than batch_size="):
        train.fit(model, params, small, optim.sgd(0.1), batch_size=100, progress=False)


def test_progress_in_a_log_is_one_line_per_epoch_without_carriage_returns():
    argv = ["train", "--dataset", "digits", "--epochs", "2", "--train-size", "128"]
    command = [sys.executable, "-m", "trace_ag.cli", *argv, "--test-size", "64"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "\r" not in done.stdout and "\r" not in done.stderr
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines[:2]), lines[:2]
    epochs = [line for line in done.stderr.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in epochs] == ["epoch 1/2", "epoch 2/2"]
    assert "held-out accuracy" in epochs[-1]
    assert lines[-1].startswith("trained LeNet-5 on digits")
