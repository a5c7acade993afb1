"""The ``trace-ag`` command: ``train`` with tiny settings (digits, 1 epoch) writes a plot and a
loadable checkpoint; bad options and missing data are one-line errors with exit status 2;
``graph`` writes DOT text and pictures, or says how to install Graphviz."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from nn import recipes
from trace_ag import cli
from trace_ag.cli import graph

ROOT = Path(__file__).resolve().parent.parent
TINY = ["train", "--dataset", "digits", "--epochs", "1", "--quiet"]


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "trace_ag.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=cwd)


def one_line_error(capsys, argv: list[str]) -> str:
    """Run ``main(argv)``, expecting exit status 2 and a single line on stderr."""
    try:
        status = cli.main(argv)
    except SystemExit as e:  # argparse's errors exit from inside parse_args
        status = e.code
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def test_pyproject_declares_the_console_script():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["trace-ag"] == "trace_ag.cli:main"
    for extra in ("nn", "test"):
        names = {req.split(">")[0].split("=")[0] for req in project["optional-dependencies"][extra]}
        assert {"tqdm", "mlxtend", "matplotlib"} <= names


def test_readmes_first_commands_install_and_train_then_test():
    first_block = (ROOT / "README.md").read_text().split("```")[1]
    assert first_block.splitlines()[1:] == [
        'pip install -e ".[nn]" && trace-ag train --plot curves.png',
        'pip install -e ".[test]" && python -m pytest',
    ]


def test_help_lists_the_commands():
    done = run_cli("--help")
    assert done.returncode == 0
    assert "train" in done.stdout and "graph" in done.stdout and "trace-ag train" in done.stdout
    for command in ("train", "graph"):
        assert cli.make_parser().parse_args([command, *(["f:g"] if command == "graph" else [])])
    train_help = run_cli("train", "--help").stdout
    for option in ("--dataset", "--optimizer", "--backend", "--conv-method", "--plot", "--save"):
        assert option in train_help


def test_train_on_digits_writes_a_plot_and_a_loadable_checkpoint(tmp_path, capsys):
    plot, ckpt = tmp_path / "curves.png", tmp_path / "ckpt.npz"
    assert cli.main([*TINY, "--plot", str(plot), "--save", str(ckpt)]) == 0
    out = capsys.readouterr().out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("trained LeNet-5 on digits: held-out accuracy")
    assert "epoch   1/1: held-out accuracy" in out
    accuracy = float(summary.split("accuracy ")[1].split("%")[0]) / 100
    assert accuracy > 0.4  # chance is 0.1; one epoch (44 steps) gives ~0.67
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    like, _ = recipes.model_for((1, 8, 8)).init(0, (1, 8, 8))
    restored = nn.load_checkpoint(ckpt, like=like)
    logits = recipes.model_for((1, 8, 8)).apply(restored, np.zeros((2, 1, 8, 8), np.float32))
    assert np.shape(logits) == (2, 10)


def test_train_runs_as_a_command_with_other_options(tmp_path):
    done = run_cli(*TINY, "--optimizer", "momentum", "--conv-method", "sparse", "--seed", "3")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "momentum (peak lr 0.02, cosine)" in done.stdout and "sparse im2col" in done.stdout
    assert "held-out accuracy" in done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["train", "--dataset", "imagenet"], "unknown dataset 'imagenet'"),
        (["train", "--dataset", "mnist"], "needs its folder: mnist:DIR"),
        (["train", "--dataset", "cifar10:/no/such/folder"], "/no/such/folder does not exist"),
        (["train", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
        (["train", "--epochs", "0"], "expected a positive integer"),
        (["train", "--lr", "fast"], "expected a positive finite number"),
        (["train", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        ([], "required: COMMAND"),
    ],
)
def test_bad_options_are_one_line_errors(capsys, argv, expected):
    assert expected in one_line_error(capsys, argv)


def test_an_empty_data_folder_is_a_one_line_error(tmp_path, capsys):
    line = one_line_error(capsys, ["train", "--dataset", f"mnist:{tmp_path}"])
    assert line.startswith("trace-ag train: error: load_mnist:") and "does not exist" in line
    line = one_line_error(capsys, ["train", "--dataset", f"cifar10:{tmp_path}"])
    assert "data_batch_1 does not exist" in line


def test_errors_from_the_command_have_no_traceback(tmp_path):
    done = run_cli("train", "--dataset", f"mnist:{tmp_path / 'missing'}")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr and "does not exist" in done.stderr


def test_graph_writes_dot_text_of_the_forward_and_backward_graph(tmp_path, capsys):
    target = f"{ROOT / 'examples' / 'cross_entropy_graph.py'}:nll"
    assert cli.main(["graph", target, "--args-shape", "3", "-o", str(tmp_path / "f.dot")]) == 0
    forward = (tmp_path / "f.dot").read_text()
    assert forward.startswith("digraph") and "leaf(z)\\nf64[3]" in forward
    assert "exp" in forward and "style=dashed" not in forward
    assert (
        cli.main(["graph", target, "--args-shape", "3", "--grad", "-o", str(tmp_path / "g.gv")])
        == 0
    )
    backward = (tmp_path / "g.gv").read_text()
    assert "style=dashed" in backward and "grad(z)" in backward
    module = tmp_path / "two_args.py"
    module.write_text("import trace_ag.numpy as tnp\n\ndef f(w, x):\n    return tnp.sum(w * x)\n")
    capsys.readouterr()
    argv = ["graph", f"{module}:f", "--args-shape", "2,3", "--args-shape", "3", "--grad"]
    assert cli.main([*argv, "--argnums", "0,1"]) == 0
    stdout = capsys.readouterr().out
    assert "leaf(w)\\nf64[2,3]" in stdout and "leaf(x)\\nf64[3]" in stdout
    assert "grad(w)\\nf64[2,3]" in stdout and "grad(x)\\nf64[3]" in stdout
    assert "only 2 --args-shape given" in one_line_error(capsys, [*argv, "--argnums", "2"])
    # --values: every node shows its value and, for the scalar output, its gradient
    assert cli.main(["graph", target, "--args-shape", "3", "--values", "--seed", "1"]) == 0
    shown = capsys.readouterr().out
    assert shown.count("\\nvalue ") >= 8 and "\\ngrad 1." in shown


def test_graph_errors_are_one_line(tmp_path, capsys, monkeypatch):
    assert "No module named 'no_such_module'" in one_line_error(
        capsys, ["graph", "no_such_module:f", "--args-shape", "3"]
    )
    assert "has no attribute 'nope'" in one_line_error(capsys, ["graph", "trace_ag.numpy:nope"])
    assert "MODULE:FUNCTION" in one_line_error(capsys, ["graph", "trace_ag.numpy"])
    assert "must return a scalar" in one_line_error(
        capsys, ["graph", "trace_ag.numpy:tanh", "--args-shape", "3", "--grad"]
    )
    assert "a shape is sizes like" in one_line_error(
        capsys, ["graph", "trace_ag.numpy:tanh", "--args-shape", "two"]
    )
    monkeypatch.setattr(graph.shutil, "which", lambda name: None)
    line = one_line_error(
        capsys, ["graph", "trace_ag.numpy:tanh", "--args-shape", "3", "-o", str(tmp_path / "t.svg")]
    )
    assert "apt-get install graphviz" in line and not (tmp_path / "t.svg").exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_graph_renders_a_picture(tmp_path):
    out = tmp_path / "tanh.png"
    assert cli.main(["graph", "trace_ag.numpy:tanh", "--args-shape", "3", "-o", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_parse_shape_and_load_function():
    assert graph.parse_shape("2,3") == (2, 3)
    assert graph.parse_shape("(4,)") == (4,)
    assert graph.parse_shape("scalar") == graph.parse_shape("") == ()
    assert graph.load_function("trace_ag.numpy:tanh")(0.0) == 0.0
    with pytest.raises(cli.CLIError, match="not a function"):
        graph.load_function("trace_ag:__version__")


def test_the_jax_backend_trains_the_same_model(capsys):
    pytest.importorskip("jax")
    results = []
    for backend in ("numpy", "jax"):
        assert cli.main([*TINY, "--backend", backend]) == 0
        out = capsys.readouterr().out
        assert f"{backend} backend" in out.splitlines()[1]
        summary = out.strip().splitlines()[-1]
        accuracy = float(summary.split("accuracy ")[1].split("%")[0]) / 100
        results.append((accuracy, float(summary.split("(loss ")[1].split(")")[0])))
    (acc_numpy, loss_numpy), (acc_jax, loss_jax) = results
    assert abs(acc_numpy - acc_jax) <= 2 / 360 and abs(loss_numpy - loss_jax) < 1e-3
