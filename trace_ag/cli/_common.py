"""What every ``trace-ag`` command shares: the one-line user error and the argparse parser
that reports bad options in one line (exit status 2) instead of a usage block.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from typing import NoReturn


class CLIError(Exception):
    """A user error (missing data folder, Graphviz or package): one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line (argparse prints the usage first)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")
        sys.exit(2)


def first_line(error: BaseException) -> str:
    """An exception's message without the ``(at file:line)`` that trace_ag and nn append."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0].strip()


def require(module: str, why: str, extra: str) -> None:
    """Raise ``CLIError`` naming the pip extra when ``module`` is not installed."""
    if importlib.util.find_spec(module) is None:
        raise CLIError(
            f"{why} needs {module}, which is not installed: pip install 'trace-ag[{extra}]'"
        )


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def positive_float(text: str) -> float:
    """An argparse type: a number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value
