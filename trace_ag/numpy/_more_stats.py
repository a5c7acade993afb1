"""Sorting and order statistics of ``trace_ag.numpy``: sort, partition, quantile, percentile,
median, as composites of the ``argsort`` primitive and a gather.

``argsort`` has no gradient (indices), but the values are gathered from the input with
``take_along_axis``, whose gradient scatter-adds: the cotangent of each sorted value goes
back to the element it came from, as in JAX.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag.core import Tracer
from trace_ag.numpy import _reductions as red
from trace_ag.numpy import _shape as shp
from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, normalize_axes, promote_float
from trace_ag.numpy._bits import argsort
from trace_ag.numpy._more_index import take_along_axis


def sort(a: Any, axis: int | None = -1, kind: Any = None, order: Any = None, **_: Any) -> Any:
    """Sorted values along ``axis`` (None: flattened), as ``take_along_axis(a, argsort(a))``:
    the gradient flows back through the gather (nans sort last, as in NumPy)."""
    a = asarray_or_tracer(a)
    if order is not None:
        raise errors.UnsupportedFunctionError("sort: order= (structured arrays) is not supported")
    if axis is None:
        a, axis = shp.ravel(a), 0
    return take_along_axis(a, argsort(a, axis=axis), axis)


def partition(a: Any, kth: Any, axis: int | None = -1) -> Any:
    """A full sort, which satisfies ``numpy.partition``'s contract for every ``kth`` (NumPy's
    order of the other elements is unspecified, and differs)."""
    return sort(a, axis)


def argpartition(a: Any, kth: Any, axis: int | None = -1) -> Any:
    """``argsort``, which satisfies ``numpy.argpartition``'s contract for every ``kth``."""
    return argsort(a, axis=axis)


_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def to_last_axis(a: Any, axis: Any) -> tuple[Any, tuple[int, ...]]:
    """``a`` with the reduced ``axis`` (None: all) moved to the end and merged into one."""
    axes = normalize_axes(axis, a.ndim, "quantile")
    rest = [i for i in range(a.ndim) if i not in axes]
    a = shp.transpose(a, rest + list(axes))
    return shp.reshape(a, tuple(a.shape[: len(rest)]) + (-1,)), axes


def _positions(q: Any, n: int, method: str) -> tuple[Any, Any, Any]:
    """The lower and upper sorted indices of each quantile and the weight of the upper one
    (for 'lower', 'higher' and 'nearest' the upper index is the chosen one, weight None)."""
    pos = q * (n - 1)
    lo = uf.clip(uf.floor(pos), 0, n - 1)
    frac = pos - lo
    lo = uf.astype(lo, np.int64)
    hi = uf.minimum(lo + 1, n - 1)
    if method == "lower":
        return lo, lo, None
    if method == "higher":
        return lo, uf.where(frac > 0, hi, lo), None
    if method == "nearest":  # NumPy rounds the position half to even
        return lo, uf.astype(uf.clip(uf.round(pos), 0, n - 1), np.int64), None
    if method == "midpoint":
        one, zero = np.ones((), pos.dtype), np.zeros((), pos.dtype)
        frac = uf.where(frac > 0, one / 2, zero)
    return lo, hi, frac


def quantile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: Any = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    interpolation: str | None = None,
) -> Any:
    """The ``q``-th quantiles (``0 <= q <= 1``) along ``axis`` with NumPy's ``method`` 'linear'
    (also 'lower', 'higher', 'nearest', 'midpoint'), via a sort; nan if a slice holds a nan.
    Quantile axes come first in the result, as in NumPy. ``q`` may be traced.

    Examples:
        >>> tnp.quantile(np.array([1.0, 2.0, 4.0, 8.0]), 0.5)
        array(3.)
    """
    method = interpolation or method
    if method not in _METHODS:
        raise errors.UnsupportedFunctionError(f"quantile: method={method!r} is not supported")
    if out is not None:
        raise errors.UnsupportedFunctionError("quantile: out= is not supported")
    if method in ("lower", "higher", "nearest"):  # picks elements: NumPy keeps the dtype
        a = asarray_or_tracer(a)
        q = asarray_or_tracer(q)
        if not isinstance(q, Tracer):
            q = np.asarray(q, np.result_type(q.dtype, np.float64))
    else:  # NumPy's dtype: a Python-number q is weak, an array q joins the promotion
        a, q = promote_float(a, q if isinstance(q, (int, float)) else asarray_or_tracer(q))
        q = q if isinstance(q, Tracer) else np.asarray(q)
    if not isinstance(q, Tracer) and not np.all((q >= 0) & (q <= 1)):
        raise ValueError("quantile: q must be in [0, 1] (percentile: in [0, 100])")
    flat, axes = to_last_axis(a, axis)
    values = sort(flat, axis=-1)
    lo, hi, frac = _positions(q, flat.shape[-1], method)
    if frac is None:
        result = shp.getitem(values, (Ellipsis, hi))
    else:
        low, high = shp.getitem(values, (Ellipsis, lo)), shp.getitem(values, (Ellipsis, hi))
        result = low + (high - low) * frac
    if np.issubdtype(flat.dtype, np.inexact):
        has_nan = red.any(uf.isnan(flat), axis=-1)
        result = uf.where(shp.reshape(has_nan, has_nan.shape + (1,) * q.ndim), np.nan, result)
    if keepdims:
        result = shp.reshape(result, _kept_shape(a.shape, axes) + q.shape)
    return (
        shp.moveaxis(result, tuple(range(-q.ndim, 0)), tuple(range(q.ndim))) if q.ndim else result
    )


def _kept_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def percentile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: Any = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    interpolation: Any = None,
):
    """``quantile(a, q / 100)``: the ``q``-th percentiles along ``axis``."""
    q = q / 100 if isinstance(q, (int, float)) else asarray_or_tracer(q) / 100
    return quantile(a, q, axis, out, overwrite_input, method, keepdims, interpolation=interpolation)


def median(
    a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False, keepdims: bool = False
) -> Any:
    """The median along ``axis`` (the mean of the two middle values for an even count)."""
    return quantile(a, 0.5, axis, out, overwrite_input, keepdims=keepdims)
