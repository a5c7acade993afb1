"""Every script in examples/ runs as a script with tiny settings and prints what it promises.
(examples/lecture/ is run by tests/test_lecture.py, examples/lenet5.py by test_nn_train.py.)"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TINY = {
    "demo.py": ["--steps", "20"],
    "relu_fit.py": ["--n-samples", "20", "--steps", "300", "--plot", "fit.png"],
    "logistic_regression.py": ["--n", "120", "--steps", "60"],
    "cross_entropy_overflow.py": ["--scales", "1", "100", "1000"],
    "im2col_walkthrough.py": ["--C", "2", "--H", "4", "--W", "5", "--K", "2", "--N", "2"],
    "cross_entropy_graph.py": ["--out-dir", "graphs"],
}
TESTED_ELSEWHERE = {"lenet5.py": "tests/test_nn_train.py"}


def run(script: str, cwd: Path, *extra: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *TINY[script], *extra],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def number_after(text: str, label: str) -> float:
    return float(re.search(re.escape(label) + r"\s*([-+0-9.eE]+|nan|inf)", text).group(1))


def test_every_example_is_tested():
    scripts = {p.name for p in EXAMPLES.glob("*.py")}
    assert scripts == set(TINY) | set(TESTED_ELSEWHERE)


def test_relu_fit_fits_and_plots(tmp_path):
    out = run("relu_fit.py", tmp_path)
    assert number_after(out, "final training MSE") < number_after(out, "(first") / 10
    assert (tmp_path / "fit.png").read_bytes()[:4] == b"\x89PNG"


def test_logistic_regression_learns_and_its_gradient_is_p_minus_y(tmp_path):
    out = run("logistic_regression.py", tmp_path)
    assert number_after(out, "final BCE") < 0.4
    assert number_after(out, ", accuracy") > 0.85
    assert "grad of bce_from_formula == (p - y) x / n: True" in out
    assert "grad of bce_from_logits == (p - y) x / n: True" in out
    assert re.search(r"formula BCE (nan|inf), logit BCE [0-9.]+", out)


def test_naive_cross_entropy_overflows_and_logsumexp_does_not(tmp_path):
    out = run("cross_entropy_overflow.py", tmp_path)
    assert "naive overflowed (nan/inf) at scales [1000.0]" in out
    assert "stable is finite everywhere: True" in out
    assert "grad(stable) == softmax(z) - one_hot(0) at the last scale: True" in out
    float32 = run("cross_entropy_overflow.py", tmp_path, "--dtype", "float32")
    assert "naive overflowed (nan/inf) at scales [100.0, 1000.0]" in float32


def test_im2col_methods_agree(tmp_path):
    out = run("im2col_walkthrough.py", tmp_path)
    assert "False" not in out
    assert out.count("X_patches == X_flat @ im2col_mat: True") == 3
    assert out.count("conv == strided: True, grad == strided: True") == 3
    assert "im2col_mat: shape (40, 96)" in out
    assert "X_patches[0, 1] =\n [[[ 1.  2.]\n  [ 6.  7.]]" in out
    assert "[[ 9. 10. 11. 12.]" in out and "method='sparse'" in out


def test_cross_entropy_graph_writes_dot_files(tmp_path):
    out = run("cross_entropy_graph.py", tmp_path)
    assert "(the same)" in out and "getitem[spec=[0]]" in out
    forward = (tmp_path / "graphs" / "nll.dot").read_text()
    backward = (tmp_path / "graphs" / "nll_grad.dot").read_text()
    assert forward.startswith("digraph") and "leaf(z)" in forward
    assert "style=dashed" in backward and "style=dashed" not in forward


def test_demo_runs(tmp_path):
    out = run("demo.py", tmp_path)
    assert "The traced graph of f" in out
    assert number_after(out, "final training MSE of the ReLU net on sin(2x):") < 0.5


@pytest.mark.parametrize("script", sorted(TINY))
def test_examples_explain_themselves(script):
    text = (EXAMPLES / script).read_text()
    assert text.startswith('"""') and "Run:" in text.split('"""')[1]


def help_text(*command: str) -> str:
    done = subprocess.run(
        [sys.executable, *command, "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def options_without_help(text: str) -> list[str]:
    """Options in an argparse --help listing with no help text (same line or the next)."""
    lines = text.split("options:", 1)[-1].splitlines()
    missing = []
    for i, line in enumerate(lines):
        entry = re.match(r"^  (-[^ ].*?)(\s{2,}(\S.*))?$", line)
        if not entry or entry.group(3):
            continue
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if not re.match(r"^\s{6,}\S", following) or following.strip().startswith("-"):
            missing.append(entry.group(1))
    return missing


@pytest.mark.parametrize("script", sorted(TINY) + sorted(TESTED_ELSEWHERE))
def test_every_example_help_is_complete(script):
    text = help_text(str(EXAMPLES / script))
    summary = ast.get_docstring(ast.parse((EXAMPLES / script).read_text()))
    last_paragraph_start = summary.strip().split("\n\n")[-1].splitlines()[0]
    assert last_paragraph_start in text, "the description is cut"
    assert options_without_help(text) == []


def test_lenet5_example_speaks_the_cli_vocabulary():
    example = set(re.findall(r"--[a-z][a-z-]+", help_text(str(EXAMPLES / "lenet5.py"))))
    cli = set(re.findall(r"--[a-z][a-z-]+", help_text("-m", "trace_ag.cli", "train")))
    assert {"--dataset", "--conv-method", "--save"} <= example
    assert example - cli == {"--min-accuracy"}  # the one option only a script needs


def test_the_help_checker_finds_options_without_help():
    text = (
        "options:\n  -h, --help  show\n  --steps STEPS\n  --lr LR     learning\n"
        "  --long-option-name X\n                        its help\n"
    )
    assert options_without_help(text) == ["--steps STEPS"]
