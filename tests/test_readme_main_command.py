"""The README's main command, run as a new user runs it, reaches the accuracy the README
states (slow: about 10-30 s of training on two cores; CI runs the slow tests when time allows).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def main_command() -> list[str]:
    """The ``trace-ag ...`` part of the README's first command (after the pip install)."""
    block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    first = block.splitlines()[0]
    assert " && " in first and "trace-ag train" in first, first
    return shlex.split(first.split(" && ", 1)[1])


def stated_floor() -> float:
    """The lowest held-out accuracy the README promises for that command."""
    found = re.search(r"at least (\d+(?:\.\d+)?)% held-out accuracy", README)
    assert found, "the README must state the accuracy its main command reaches"
    return float(found.group(1))


def test_readme_states_its_main_command_and_accuracy():
    assert main_command()[:2] == ["trace-ag", "train"]
    assert 90 <= stated_floor() <= 100


@pytest.mark.slow
def test_readme_main_command_reaches_the_stated_accuracy(tmp_path):
    argv = main_command()
    argv = [str(tmp_path / a) if a.endswith(".png") else a for a in argv]  # curves.png
    cli = [sys.executable, "-m", "trace_ag.cli", *argv[1:]]
    done = subprocess.run(cli, capture_output=True, text=True, cwd=tmp_path, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = re.search(r"held-out accuracy (\d+\.\d+)% .* after (\d+) epochs", done.stdout)
    assert summary, done.stdout[-2000:]
    assert float(summary.group(1)) >= stated_floor(), done.stdout[-500:]
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
