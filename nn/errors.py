"""Errors raised by ``nn``, pointing at the user's own line (outside both trace_ag and nn).

``trace_ag.errors.at_user_line`` skips trace_ag's frames; ``nn`` adds its own folder, so a bad
input shape given to ``model.apply`` names the line that called ``apply``, not a line in
``nn/layers.py``.
"""

from __future__ import annotations

import linecache
import os
import sys

from trace_ag import errors

_NN_DIR = os.path.dirname(os.path.abspath(__file__))
_TRACE_AG_DIR = os.path.dirname(os.path.abspath(errors.__file__))
_SKIP = (os.sep + "numpy" + os.sep, os.sep + "jax" + os.sep, os.sep + "contextlib.py")


class DataError(errors.TraceAgError, ValueError):
    """A data file is missing, truncated or not in the format its loader expects."""


class CheckpointError(errors.TraceAgError, ValueError):
    """A checkpoint does not fit the parameters it is loaded into."""


def user_frame() -> str:
    """``file:line in func: source`` of the innermost frame outside trace_ag and nn."""
    frame = sys._getframe(1)
    while frame is not None:
        name = os.path.abspath(frame.f_code.co_filename)
        inside = name.startswith((_NN_DIR + os.sep, _TRACE_AG_DIR + os.sep))
        if not inside and not any(p in name for p in _SKIP) and not name.startswith("<frozen"):
            source = linecache.getline(name, frame.f_lineno).strip()
            where = f"{name}:{frame.f_lineno} in {frame.f_code.co_name}"
            return f"{where}: {source}" if source else where
        frame = frame.f_back
    return "<unknown location>"


def at_user_line(message: str) -> str:
    """``message`` followed by the user's line."""
    return f"{message}\n  (at {user_frame()})"


def shape_error(fn: str, message: str) -> errors.ShapeError:
    """A ``trace_ag.ShapeError`` naming the function and the user's line."""
    return errors.ShapeError(at_user_line(f"{fn}: {message}"))
