"""NumPy's dtype names and dtype utilities, for ``trace_ag.numpy``.

The types and constants are NumPy's own objects (``tnp.float_ is np.float64``), so a dtype
made with either library compares equal. The utilities accept tracers wherever NumPy accepts
an array, reading only their dtype or shape (nothing is traced).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag.core import Tracer

float_, double, single = np.float64, np.float64, np.float32
complex_, cdouble, csingle = np.complex128, np.complex128, np.complex64
int_, uint = np.int64, np.uint64
generic, number, inexact, floating = np.generic, np.number, np.inexact, np.floating
integer, signedinteger, unsignedinteger = np.integer, np.signedinteger, np.unsignedinteger
complexfloating, character, flexible, object_ = (
    np.complexfloating,
    np.character,
    np.flexible,
    np.object_,
)
euler_gamma = np.euler_gamma
broadcast_shapes = np.broadcast_shapes
iterable = np.iterable
isdtype = np.isdtype
promote_types = np.promote_types


def _dtype_of(x: Any) -> Any:
    """A tracer's (or array's) dtype; dtypes, type objects and strings pass through."""
    return x.dtype if isinstance(x, (Tracer, np.ndarray, np.generic)) else x


def finfo(dtype: Any) -> np.finfo:
    """``numpy.finfo`` of a float dtype, or of an array or tracer's dtype.

    Examples:
        >>> float(tnp.finfo(np.float32).eps)
        1.1920928955078125e-07
    """
    return np.finfo(_dtype_of(dtype))


def iinfo(dtype: Any) -> np.iinfo:
    """``numpy.iinfo`` of an integer dtype, or of an array or tracer's dtype.

    Examples:
        >>> int(tnp.iinfo(np.int8).min)
        -128
    """
    return np.iinfo(_dtype_of(dtype))


def issubdtype(arg1: Any, arg2: Any) -> bool:
    """``numpy.issubdtype``, accepting arrays and tracers for their dtype."""
    return bool(np.issubdtype(_dtype_of(arg1), _dtype_of(arg2)))


def can_cast(from_: Any, to: Any, casting: str = "safe") -> bool:
    """``numpy.can_cast`` of dtypes (arrays and tracers stand for their dtype; NumPy 2 rejects
    Python numbers here, and so does this).

    Examples:
        >>> tnp.can_cast(np.int32, np.float64), tnp.can_cast(np.float64, np.float32)
        (True, False)
    """
    return bool(np.can_cast(_dtype_of(from_), _dtype_of(to), casting))


def isscalar(element: Any) -> bool:
    """``numpy.isscalar``: True for Python numbers, strings and NumPy scalars. A 0-d array is
    not a scalar, and neither is a 0-d tracer (so jit and eager agree; ``jax.numpy`` says
    True for 0-d arrays).

    Examples:
        >>> tnp.isscalar(3.0), tnp.isscalar(np.float32(1)), tnp.isscalar(np.array(1.0))
        (True, True, False)
    """
    return False if isinstance(element, Tracer) else bool(np.isscalar(element))
