"""What every ``trace-ag`` command shares: the one-line user error and the argparse parser
that reports bad options in one line (exit status 2) instead of a usage block.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import sys
from pathlib import Path
from typing import NoReturn


class CLIError(Exception):
    """A user error (missing data folder, Graphviz or package): one line, exit status 2; or,
    with another ``status``, a run that failed (training diverged: status 1)."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


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


def non_negative_int(text: str) -> int:
    """An argparse type: an integer >= 0 (e.g. a random seed)."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return int(text)


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0 (``inf`` and ``nan`` are refused)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


def check_output(option: str, path: Path, make_folders: bool = False) -> None:
    """Raise ``CLIError`` now, before any work, if ``path`` cannot be written: it is a folder,
    or its folder is missing (unless ``make_folders``: then the nearest existing one counts),
    not a folder, or not writable.

    Examples:
        >>> check_output("--save", Path("no_such_dir/m.npz"))  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        CLIError: --save no_such_dir/m.npz: the folder no_such_dir does not exist
    """
    if path.is_dir():
        raise CLIError(f"{option} {path}: is a folder, expected a file name")
    folder = path.parent
    while make_folders and not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.exists():
        raise CLIError(f"{option} {path}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise CLIError(f"{option} {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CLIError(f"{option} {path}: the folder {folder} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise CLIError(f"{option} {path}: the file exists and is not writable")
