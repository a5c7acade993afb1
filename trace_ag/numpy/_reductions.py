"""Reductions of ``trace_ag.numpy`` and the stable composites built on them: mean, var, std,
logsumexp, softmax, log_softmax."""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, float_dtype, normalize_axes, normalize_axis
from trace_ag.primitives import reduce as rd

Axis = int | tuple[int, ...] | None


def _reducer(prim, name: str):
    def fn(x: Any, axis: Axis = None, keepdims: bool = False, dtype: Any = None) -> Any:
        x = asarray_or_tracer(x)
        if dtype is not None:
            x = uf.astype(x, dtype)
        return prim.bind(x, axis=normalize_axes(axis, x.ndim, name), keepdims=bool(keepdims))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}`` over ``axis`` (None: all axes); primitive ``{prim.name}``."
    return fn


sum = _reducer(rd.sum, "sum")
max = amax = _reducer(rd.max, "max")
min = amin = _reducer(rd.min, "min")
prod = _reducer(rd.prod, "prod")
any = _reducer(rd.any, "any")
all = _reducer(rd.all, "all")


def _arg_reducer(prim, name: str):
    def fn(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
        x = asarray_or_tracer(x)
        if axis is not None:
            axis = normalize_axis(axis, x.ndim, name)
        return prim.bind(x, axis=axis, keepdims=bool(keepdims))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}``: indices, no gradient."
    return fn


argmax = _arg_reducer(rd.argmax, "argmax")
argmin = _arg_reducer(rd.argmin, "argmin")


def cumsum(x: Any, axis: int | None = None) -> Any:
    """Cumulative sum along ``axis`` (None: of the flattened array)."""
    x = asarray_or_tracer(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    return rd.cumsum.bind(x, axis=normalize_axis(axis, x.ndim, "cumsum"))


def _count(x: Any, axes: tuple[int, ...]) -> int:
    return int(np.prod([x.shape[a] for a in axes], dtype=np.int64))


def mean(x: Any, axis: Axis = None, keepdims: bool = False, dtype: Any = None) -> Any:
    """Arithmetic mean; integer inputs give float64, as in NumPy."""
    x = asarray_or_tracer(x)
    x = uf.astype(x, dtype if dtype is not None else float_dtype(x.dtype))
    axes = normalize_axes(axis, x.ndim, "mean")
    return sum(x, axes, keepdims) / _count(x, axes)


def var(x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """Variance ``mean((x - mean(x))**2)`` with ``ddof`` delta degrees of freedom."""
    x = asarray_or_tracer(x)
    x = uf.astype(x, float_dtype(x.dtype))
    axes = normalize_axes(axis, x.ndim, "var")
    centered = x - mean(x, axes, keepdims=True)
    return sum(centered * centered, axes, keepdims) / (_count(x, axes) - ddof)


def std(x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """Standard deviation, ``sqrt(var(x))``."""
    return uf.sqrt(var(x, axis, ddof, keepdims))


def _shift(x: Any, axis: Axis) -> Any:
    """The max along ``axis`` (kept), with gradient stopped and infinities replaced by 0."""
    m = uf.stop_gradient(max(x, axis, keepdims=True))
    return uf.where(uf.isfinite(m), m, 0)


def logsumexp(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """``log(sum(exp(x)))`` without overflow: the max is subtracted first.

    Example:
        >>> tnp.logsumexp(np.array([1e4, 0.0]))   # 10000.0, not inf
    """
    (x,) = [uf.astype(asarray_or_tracer(x), float_dtype(asarray_or_tracer(x).dtype))]
    axes = normalize_axes(axis, x.ndim, "logsumexp")
    m = _shift(x, axes)
    out = uf.log(sum(uf.exp(x - m), axes, keepdims=True)) + m
    return (
        out if keepdims else out.reshape(tuple(n for i, n in enumerate(out.shape) if i not in axes))
    )


def softmax(x: Any, axis: Axis = -1) -> Any:
    """``exp(x) / sum(exp(x))`` along ``axis``, computed without overflow."""
    x = asarray_or_tracer(x)
    x = uf.astype(x, float_dtype(x.dtype))
    unnormalized = uf.exp(x - _shift(x, axis))
    return unnormalized / sum(unnormalized, axis, keepdims=True)


def log_softmax(x: Any, axis: Axis = -1) -> Any:
    """``x - logsumexp(x)`` along ``axis``: log-probabilities that never overflow."""
    x = asarray_or_tracer(x)
    x = uf.astype(x, float_dtype(x.dtype))
    shifted = x - _shift(x, axis)
    return shifted - uf.log(sum(uf.exp(shifted), axis, keepdims=True))
