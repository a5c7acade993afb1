"""The error hierarchy: every error a user can reach names the function, the shapes and their line.

Each error class says what went wrong in the user's terms; `user_frame()` finds the first stack
frame outside trace_ag (and outside NumPy/JAX), so messages can point at the user's own line.
"""

from __future__ import annotations

import functools
import linecache
import os
import sys
import types
from collections.abc import Callable

_LIBRARY_DIRS = [os.path.dirname(os.path.abspath(__file__)) + os.sep]
_SKIP_PARTS = (os.sep + "numpy" + os.sep, os.sep + "jax" + os.sep, os.sep + "contextlib.py")


def register_library_dir(path: str) -> None:
    """Skip frames under ``path`` too when looking for the user's line (``nn`` does this)."""
    directory = os.path.dirname(os.path.abspath(path)) + os.sep
    if directory not in _LIBRARY_DIRS:
        _LIBRARY_DIRS.append(directory)


class TraceAgError(Exception):
    """Base class of every error trace_ag raises on purpose."""


class ShapeError(TraceAgError, ValueError):
    """An operation got operands whose shapes (or dtypes) do not fit together."""


class InvalidIndexError(TraceAgError, IndexError):
    """An index out of bounds, or otherwise invalid for the indexed shape."""


class DTypeError(TraceAgError, TypeError):
    """An operation got operands of dtypes it does not accept."""


class TransformError(TraceAgError, TypeError):
    """A transform that a function does not support (forward mode of a custom_vjp function)."""


class ConcretizationTypeError(TraceAgError, TypeError):
    """Python needed a concrete value (``if x > 0``, ``float(x)``) of an abstract tracer."""


class TracerArrayConversionError(ConcretizationTypeError):
    """A tracer was handed to raw NumPy (``np.asarray(tracer)``, ``np.float64(tracer)``), which
    would drop the trace: a concretization NumPy asked for."""


class UnexpectedTracerError(TraceAgError):
    """A tracer was used outside the transform that created it (it escaped)."""


class UnsupportedFunctionError(TraceAgError, NotImplementedError):
    """A NumPy function with no trace_ag primitive or composite was called on a tracer."""


class NonConcreteIndexError(TraceAgError, IndexError):
    """Boolean-mask indexing of an abstract tracer: the output shape would depend on values."""


def user_frame() -> str:
    """Describe the innermost stack frame outside trace_ag as ``file:line in func: source``."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        inside = filename.startswith(tuple(_LIBRARY_DIRS)) or any(
            p in filename for p in _SKIP_PARTS
        )
        if not inside and not filename.startswith("<frozen"):
            source = linecache.getline(filename, frame.f_lineno).strip()
            where = f"{filename}:{frame.f_lineno} in {frame.f_code.co_name}"
            return f"{where}: {source}" if source else where
        frame = frame.f_back
    return "<unknown location>"


def at_user_line(message: str) -> str:
    """Append the user's source line to an error message."""
    return f"{message}\n  (at {user_frame()})"


_FILTER_NOTE = (
    "(trace_ag's internal frames are hidden from this traceback; "
    'ag.config.update("traceback_filtering", "off") shows them)'
)


def _is_library_file(filename: str) -> bool:
    filename = os.path.abspath(filename)
    return filename.startswith(tuple(_LIBRARY_DIRS)) or filename.endswith("contextlib.py")


def filter_traceback(tb: types.TracebackType | None) -> types.TracebackType | None:
    """The traceback without trace_ag's own frames: the user's frames are what remain."""
    kept = []
    while tb is not None:
        if not _is_library_file(tb.tb_frame.f_code.co_filename):
            kept.append(tb)
        tb = tb.tb_next
    filtered = None
    for entry in reversed(kept):
        filtered = types.TracebackType(filtered, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return filtered


def api_boundary(fn: Callable) -> Callable:
    """Wrap a public entry point so that a ``TraceAgError`` leaving it carries a traceback of
    the user's frames only (``config.traceback_filtering``)."""

    @functools.wraps(fn)
    def boundary(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TraceAgError as e:
            from trace_ag import config

            if config.read("traceback_filtering") == "off":
                raise
            if _FILTER_NOTE not in getattr(e, "__notes__", ()):
                e.add_note(_FILTER_NOTE)
            raise e.with_traceback(filter_traceback(e.__traceback__))  # noqa: B904 (the same error, re-raised)

    return boundary
