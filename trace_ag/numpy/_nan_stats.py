"""NaN-ignoring reductions (``nansum`` ... ``nanquantile``) and ``average``, as composites.

A nan is replaced by the reduction's identity (0 for sums, 1 for products, -inf/inf for
max/min) with ``where``, so its gradient is zero there, as in ``jax.numpy``. Values follow
NumPy; where NumPy raises on an all-nan slice and a traced program cannot (``nanargmax``),
the result is JAX's -1.
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
from trace_ag.numpy._more_index import take_along_axis
from trace_ag.numpy._more_math import cumprod
from trace_ag.numpy._more_stats import sort, to_last_axis


def _filled(a: Any, fill: float) -> tuple[Any, Any]:
    """``a`` with nans replaced by ``fill``, and the mask of its non-nan elements."""
    a = asarray_or_tracer(a)
    if not np.issubdtype(a.dtype, np.inexact):
        return a, np.ones(a.shape, bool)
    keep = uf.logical_not(uf.isnan(a))
    return uf.where(keep, a, np.asarray(fill, a.dtype)), keep


def nansum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims=False) -> Any:
    """Sum treating nans as zero.

    Examples:
        >>> tnp.nansum(np.array([1.0, np.nan, 2.0]))
        np.float64(3.0)
    """
    red.no_out(out, "nansum")
    return red.sum(_filled(a, 0.0)[0], axis, dtype=dtype, keepdims=keepdims)


def nanprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims=False) -> Any:
    """Product treating nans as one."""
    red.no_out(out, "nanprod")
    return red.prod(_filled(a, 1.0)[0], axis, dtype=dtype, keepdims=keepdims)


def nancumsum(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Any:
    """Cumulative sum treating nans as zero."""
    return red.cumsum(_filled(a, 0.0)[0], axis, dtype, out)


def nancumprod(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Any:
    """Cumulative product treating nans as one."""
    red.no_out(out, "nancumprod")
    return cumprod(_filled(a, 1.0)[0], axis, dtype)


def _count(keep: Any, axis: Any, keepdims: bool, dtype: np.dtype) -> Any:
    return red.sum(uf.astype(keep, dtype), axis, keepdims=keepdims)


def nanmean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims=False) -> Any:
    """Mean of the non-nan elements (nan for an all-nan slice).

    Examples:
        >>> tnp.nanmean(np.array([[1.0, np.nan], [3.0, 5.0]]), axis=1)
        array([1., 4.])
    """
    red.no_out(out, "nanmean")
    a = asarray_or_tracer(a)
    if not np.issubdtype(a.dtype, np.inexact):
        return red.mean(a, axis, dtype=dtype, keepdims=keepdims)
    filled, keep = _filled(a, 0.0)
    total = red.sum(filled, axis, dtype=dtype, keepdims=keepdims)
    return total / _count(keep, axis, keepdims, total.dtype)


def nanvar(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0, keepdims=False
) -> Any:
    """Variance of the non-nan elements, ``sum((x - mean)**2) / (count - ddof)``."""
    red.no_out(out, "nanvar")
    a = asarray_or_tracer(a)
    if not np.issubdtype(a.dtype, np.inexact):
        return red.var(a, axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    filled, keep = _filled(a, 0.0)
    mean = nanmean(a, axis, dtype=dtype, keepdims=True)
    centered = uf.where(keep, filled - mean, np.zeros((), mean.dtype))
    if np.issubdtype(centered.dtype, np.complexfloating):
        centered = uf.abs(centered)
    squares = red.sum(centered * centered, axis, keepdims=keepdims)
    count = _count(keep, axis, keepdims, squares.dtype) - ddof
    positive = count > 0  # else nan, with a zero gradient as in JAX
    safe = uf.where(positive, count, np.ones((), count.dtype))
    return uf.where(positive, squares / safe, np.asarray(np.nan, squares.dtype))


def nanstd(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0, keepdims=False
) -> Any:
    """Standard deviation of the non-nan elements."""
    return uf.sqrt(nanvar(a, axis, dtype, out, ddof, keepdims))


def _nan_extreme(a: Any, axis: Any, keepdims: bool, out: Any, name: str, fill: float, op) -> Any:
    red.no_out(out, name)
    a = asarray_or_tracer(a)
    if not np.issubdtype(a.dtype, np.inexact):
        return op(a, axis, keepdims=keepdims)
    filled, keep = _filled(a, fill)
    result = op(filled, axis, keepdims=keepdims)
    some = red.any(keep, axis, keepdims=keepdims)
    return uf.where(some, result, np.asarray(np.nan, a.dtype))  # all-nan slice: nan


def nanmax(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    """Maximum of the non-nan elements (nan for an all-nan slice, as NumPy, without its
    warning)."""
    return _nan_extreme(a, axis, keepdims, out, "nanmax", -np.inf, red.max)


def nanmin(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    """Minimum of the non-nan elements (nan for an all-nan slice)."""
    return _nan_extreme(a, axis, keepdims, out, "nanmin", np.inf, red.min)


def _nan_arg(a: Any, axis: Any, keepdims: bool, name: str, fill: float, op) -> Any:
    a = asarray_or_tracer(a)
    if not np.issubdtype(a.dtype, np.inexact):
        return op(a, axis, keepdims=keepdims)
    filled, keep = _filled(a, fill)
    some = red.any(keep, axis, keepdims=keepdims)
    if not isinstance(some, Tracer) and not np.all(some):
        raise ValueError(f"{name}: All-NaN slice encountered")  # NumPy's error
    found = op(filled, axis, keepdims=keepdims)
    return uf.where(some, found, np.asarray(-1, found.dtype))  # traced: JAX's -1


def nanargmax(a: Any, axis: int | None = None, out: Any = None, *, keepdims=False) -> Any:
    """Index of the largest non-nan element (an all-nan slice: NumPy's ValueError; under a
    transform, where values are unknown, JAX's -1)."""
    red.no_out(out, "nanargmax")
    return _nan_arg(a, axis, keepdims, "nanargmax", -np.inf, red.argmax)


def nanargmin(a: Any, axis: int | None = None, out: Any = None, *, keepdims=False) -> Any:
    """Index of the smallest non-nan element (all-nan slices as ``nanargmax``)."""
    red.no_out(out, "nanargmin")
    return _nan_arg(a, axis, keepdims, "nanargmin", np.inf, red.argmin)


def nanquantile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: Any = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
) -> Any:
    """Quantiles of the non-nan elements with NumPy's 'linear' method (nan for an all-nan
    slice): the sorted values put nans last, and each slice interpolates among its own
    ``count`` valid values.

    Examples:
        >>> float(tnp.nanquantile(np.array([4.0, np.nan, 1.0, 2.0]), 0.5))
        2.0
    """
    red.no_out(out, "nanquantile")
    if method != "linear":
        raise errors.UnsupportedFunctionError(f"nanquantile: method={method!r} is not supported")
    a, q = promote_float(a, q if isinstance(q, (int, float)) else asarray_or_tracer(q))
    if not isinstance(q, Tracer) and not np.all((np.asarray(q) >= 0) & (np.asarray(q) <= 1)):
        raise ValueError("nanquantile: q must be in [0, 1] (nanpercentile: in [0, 100])")
    q = q if isinstance(q, Tracer) else np.asarray(q)
    flat, axes = to_last_axis(a, axis)
    values = sort(flat, axis=-1)  # nans last
    count = red.sum(uf.astype(uf.logical_not(uf.isnan(flat)), flat.dtype), -1, keepdims=True)
    # positions per slice and quantile: batch... x q...
    count = shp.reshape(count, count.shape[:-1] + (1,) * q.ndim)
    pos = q * uf.maximum(count - 1, np.zeros((), count.dtype))
    lo = uf.floor(pos)
    frac = pos - lo
    lo_i = uf.astype(lo, np.int64)
    hi_i = uf.astype(uf.minimum(lo + 1, uf.maximum(count - 1, np.zeros((), count.dtype))), np.int64)
    n_batch = values.ndim - 1
    gather_shape = values.shape[:-1] + (int(np.prod(q.shape, dtype=np.int64)),)
    lo_flat = shp.reshape(shp.broadcast_to(lo_i, values.shape[:-1] + q.shape), gather_shape)
    hi_flat = shp.reshape(shp.broadcast_to(hi_i, values.shape[:-1] + q.shape), gather_shape)
    low = shp.reshape(take_along_axis(values, lo_flat, n_batch), values.shape[:-1] + q.shape)
    high = shp.reshape(take_along_axis(values, hi_flat, n_batch), values.shape[:-1] + q.shape)
    result = low + (high - low) * frac
    result = uf.where(count > 0, result, np.asarray(np.nan, result.dtype))
    if keepdims:
        kept = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
        result = shp.reshape(result, kept + q.shape)
    if q.ndim:  # quantile axes first, as NumPy
        result = shp.moveaxis(result, tuple(range(-q.ndim, 0)), tuple(range(q.ndim)))
    return result


def nanpercentile(
    a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
    method: str = "linear", keepdims: bool = False,
) -> Any:  # fmt: skip
    """``nanquantile`` with ``q`` in percent."""
    q = q / 100.0 if isinstance(q, (int, float, Tracer)) else np.asarray(q) / 100.0
    return nanquantile(a, q, axis, out, overwrite_input, method, keepdims)


def nanmedian(
    a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False, keepdims=False
) -> Any:
    """Median of the non-nan elements."""
    return nanquantile(a, 0.5, axis, out, overwrite_input, keepdims=keepdims)


def average(
    a: Any, axis: Any = None, weights: Any = None, returned: bool = False, *, keepdims=False
) -> Any:
    """The (weighted) mean along ``axis``: ``sum(a * w) / sum(w)``, with ``weights`` of
    ``a``'s shape or 1-d along a single ``axis``, as ``numpy.average``; ``returned=True`` also
    gives the sum of the weights.

    Examples:
        >>> tnp.average(np.array([1.0, 2.0, 4.0]), weights=np.array([1.0, 1.0, 2.0]))
        np.float64(2.75)
    """
    a = asarray_or_tracer(a)
    if weights is None:
        avg = red.mean(a, axis, keepdims=keepdims)
        if not returned:
            return avg
        total = np.asarray(a.size // max(int(np.prod(np.shape(avg), dtype=np.int64)), 1))
        return avg, uf.astype(shp.broadcast_to(total, np.shape(avg)), avg.dtype)
    a, w = promote_float(a, asarray_or_tracer(weights))
    if w.shape != a.shape:
        axes = normalize_axes(axis, a.ndim, "average")
        if axis is None or len(axes) != 1 or w.ndim != 1 or w.shape[0] != a.shape[axes[0]]:
            raise errors.ShapeError(
                errors.at_user_line(
                    f"average: weights of shape {w.shape} for an array of shape {a.shape} "
                    f"and axis={axis}: give weights of the array's shape, or 1-d weights "
                    "along a single axis"
                )
            )
        w = shp.reshape(w, tuple(n if i == axes[0] else 1 for i, n in enumerate(a.shape)))
        w = shp.broadcast_to(w, a.shape)
    total = red.sum(w, axis, keepdims=keepdims)
    if not isinstance(total, Tracer) and np.any(np.asarray(total) == 0):
        raise ZeroDivisionError("average: weights sum to zero, can't be normalized")
    avg = red.sum(a * w, axis, keepdims=keepdims) / total
    return (avg, total) if returned else avg
