"""The error hierarchy: every error a user can reach names the function, the shapes and their line.

Each error class says what went wrong in the user's terms; `user_frame()` finds the first stack
frame outside trace_ag (and outside NumPy/JAX), so messages can point at the user's own line.
"""

from __future__ import annotations

import linecache
import os
import sys

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
