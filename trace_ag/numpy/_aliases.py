"""The names NumPy 2 and the array API standard added for functions ``trace_ag.numpy`` already
has (``acos`` for ``arccos``, ``concat`` for ``concatenate``), and the array API's small linear
algebra helpers (``vecdot``, ``matvec``, ``vecmat``, ``matrix_transpose``).

All are composites, so every transform works on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from trace_ag.core import shape_error
from trace_ag.numpy import _complex as cx
from trace_ag.numpy import _linalg as la
from trace_ag.numpy import _reductions as red
from trace_ag.numpy import _shape as shp
from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, normalize_axis, promote
from trace_ag.numpy._more_math import cumprod

acos, acosh, asin, asinh = uf.arccos, uf.arccosh, uf.arcsin, uf.arcsinh
atan, atan2, atanh = uf.arctan, uf.arctan2, uf.arctanh
pow = uf.power  # noqa: A001  (NumPy 2's name)
bool = np.bool_  # noqa: A001  (NumPy 2's name for the boolean scalar type)


def concat(arrays: Sequence[Any], /, *, axis: int | None = 0) -> Any:
    """``concatenate`` under the array API's name."""
    return shp.concatenate(arrays, axis=axis)


def permute_dims(a: Any, /, axes: Sequence[int]) -> Any:
    """``transpose`` with the axes required, the array API's name."""
    return shp.transpose(a, axes)


def matrix_transpose(x: Any, /) -> Any:
    """Swap the last two axes (a stack of matrices transposed).

    Examples:
        >>> tnp.matrix_transpose(np.zeros((2, 3, 4))).shape
        (2, 4, 3)
    """
    x = asarray_or_tracer(x)
    if x.ndim < 2:
        raise shape_error("matrix_transpose", f"needs at least 2 dimensions, got shape {x.shape}")
    return shp.swapaxes(x, -1, -2)


def unstack(x: Any, /, *, axis: int = 0) -> tuple:
    """The slices of ``x`` along ``axis``, as a tuple (the inverse of ``stack``).

    Examples:
        >>> [v.tolist() for v in tnp.unstack(np.arange(4).reshape(2, 2))]
        [[0, 1], [2, 3]]
    """
    x = asarray_or_tracer(x)
    if x.ndim == 0:
        raise shape_error("unstack", "needs an array of at least one dimension, got a scalar")
    x = shp.moveaxis(x, normalize_axis(axis, x.ndim, "unstack"), 0)
    return tuple(x[i] for i in range(x.shape[0]))


def positive(x: Any, /) -> Any:
    """``+x`` (a copy for numbers; booleans are rejected, as in NumPy)."""
    (x,) = promote(x)
    if x.dtype == np.bool_:
        raise TypeError("positive: the unary + is not supported for booleans")
    return x


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """``sum(conj(x1) * x2, axis)`` with broadcasting, the array API's vector dot product.

    Examples:
        >>> tnp.vecdot(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 1.0]))
        array([3., 7.])
    """
    x1, x2 = promote(x1, x2)
    n1, n2 = x1.shape[axis] if x1.ndim else None, x2.shape[axis] if x2.ndim else None
    if n1 is None or n2 is None or n1 != n2:
        raise shape_error("vecdot", f"axis {axis} differs: shapes {x1.shape} and {x2.shape}")
    return red.sum(cx.conj(x1) * x2, axis=axis)


def matvec(x1: Any, x2: Any, /) -> Any:
    """Matrix (``..., m, n``) times vector (``..., n``), batched with broadcasting."""
    x1, x2 = promote(x1, x2)
    if x1.ndim < 2 or x2.ndim < 1 or x1.shape[-1] != x2.shape[-1]:
        raise shape_error("matvec", f"needs (..., m, n) and (..., n); got {x1.shape}, {x2.shape}")
    return la.matmul(x1, x2[..., None])[..., 0]


def vecmat(x1: Any, x2: Any, /) -> Any:
    """Conjugated vector (``..., n``) times matrix (``..., n, m``), batched with broadcasting."""
    x1, x2 = promote(x1, x2)
    if x1.ndim < 1 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-2]:
        raise shape_error("vecmat", f"needs (..., n) and (..., n, m); got {x1.shape}, {x2.shape}")
    return la.matmul(cx.conj(x1)[..., None, :], x2)[..., 0, :]


def _cumulative(fn: Any, name: str, x: Any, axis: Any, dtype: Any, include_initial: Any, one):
    x = asarray_or_tracer(x)
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"{name}: axis= is required for arrays of more than one dimension")
        axis = 0
    if x.ndim == 0:
        raise shape_error(name, "needs an array of at least one dimension, got a scalar")
    axis = normalize_axis(axis, x.ndim, name)
    out = fn(x, axis=axis, dtype=dtype)
    if include_initial:
        shape = list(out.shape)
        shape[axis] = 1
        out = shp.concatenate([np.full(shape, one, out.dtype), out], axis=axis)
    return out


def cumulative_sum(
    x: Any, /, *, axis: int | None = None, dtype: Any = None, include_initial: Any = False
) -> Any:
    """``cumsum`` with the array API's options (``include_initial`` prepends a 0).

    Examples:
        >>> tnp.cumulative_sum(np.array([1, 2, 3]), include_initial=True)
        array([0, 1, 3, 6])
    """
    return _cumulative(red.cumsum, "cumulative_sum", x, axis, dtype, include_initial, 0)


def cumulative_prod(
    x: Any, /, *, axis: int | None = None, dtype: Any = None, include_initial: Any = False
) -> Any:
    """``cumprod`` with the array API's options (``include_initial`` prepends a 1)."""
    return _cumulative(cumprod, "cumulative_prod", x, axis, dtype, include_initial, 1)
