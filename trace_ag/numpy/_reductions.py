"""Reductions of ``trace_ag.numpy`` and the stable composites built on them: mean, var, std,
logsumexp, softmax, log_softmax."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, float_dtype, normalize_axes, normalize_axis
from trace_ag.primitives import reduce as rd

Axis = int | tuple[int, ...] | None


def no_out(out: Any, name: str) -> None:
    if out is not None:
        raise TypeError(f"{name}: out= is not supported (trace_ag arrays are never written to)")


def _reducer(prim, name: str, with_dtype: bool):
    """A reduction with NumPy's positional order, ``(x, axis, dtype, out, keepdims)`` for sum and
    prod, ``(x, axis, out, keepdims)`` for max, min, any, all (``dtype`` keyword-only there), so
    ``np.sum(tracer, 0, np.float32)`` means what it means in NumPy."""

    def reduce(x: Any, axis: Axis, dtype: Any, keepdims: bool) -> Any:
        x = asarray_or_tracer(x)
        if dtype is not None:
            x = uf.astype(x, dtype)
        out = prim.bind(x, axis=normalize_axes(axis, x.ndim, name), keepdims=bool(keepdims))
        # NumPy accumulates in ``dtype`` itself (sum(int8, dtype=int8) wraps and stays int8).
        # The primitive widens small integers, but wrapping arithmetic makes the cast exact.
        return uf.astype(out, dtype) if with_dtype and dtype is not None else out

    if with_dtype:

        def fn(x: Any, axis: Axis = None, dtype: Any = None, out: Any = None, keepdims=False):
            no_out(out, name)
            return reduce(x, axis, dtype, keepdims)

    else:

        def fn(x: Any, axis: Axis = None, out: Any = None, keepdims=False, *, dtype=None):
            no_out(out, name)
            return reduce(x, axis, dtype, keepdims)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}`` over ``axis`` (None: all axes); primitive ``{prim.name}``."
    return fn


sum = _reducer(rd.sum, "sum", with_dtype=True)
max = amax = _reducer(rd.max, "max", with_dtype=False)
min = amin = _reducer(rd.min, "min", with_dtype=False)
prod = _reducer(rd.prod, "prod", with_dtype=True)
any = _reducer(rd.any, "any", with_dtype=False)
all = _reducer(rd.all, "all", with_dtype=False)


def _arg_reducer(prim, name: str):
    def fn(x: Any, axis: int | None = None, out: Any = None, *, keepdims: bool = False) -> Any:
        no_out(out, name)
        x = asarray_or_tracer(x)
        if axis is not None:
            axis = normalize_axis(axis, x.ndim, name)
        return prim.bind(x, axis=axis, keepdims=bool(keepdims))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}``: indices, no gradient."
    return fn


argmax = _arg_reducer(rd.argmax, "argmax")
argmin = _arg_reducer(rd.argmin, "argmin")


def cumsum(x: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Any:
    """Cumulative sum along ``axis`` (None: of the flattened array), accumulated in ``dtype``
    (default: NumPy's, e.g. int64 for bools and small integers)."""
    no_out(out, "cumsum")
    x = asarray_or_tracer(x)
    if dtype is not None:
        x = uf.astype(x, dtype)
    if axis is None:
        x, axis = x.reshape(-1), 0
    out = rd.cumsum.bind(x, axis=normalize_axis(axis, x.ndim, "cumsum"))
    return out if dtype is None else uf.astype(out, dtype)  # exact: see ``_reducer``


def _count(x: Any, axes: tuple[int, ...]) -> int:
    return int(np.prod([x.shape[a] for a in axes], dtype=np.int64))


def _divide(total: Any, count: int, dtype: np.dtype) -> Any:
    """``total / count`` rounded to ``dtype``, as NumPy's ``true_divide(total, intp(count),
    casting="unsafe")``: the count is exact in the divisor (a float16 cannot hold 100000), and
    an integer ``dtype`` truncates the quotient."""
    if np.issubdtype(dtype, np.inexact) and count <= 2 ** (np.finfo(dtype).nmant + 1):
        return total / count  # a weak Python int: stays in ``dtype``, correctly rounded
    wide = np.complex128 if np.issubdtype(dtype, np.complexfloating) else np.float64
    return uf.astype(uf.astype(total, wide) / count, dtype)


def _accumulator(dtype: np.dtype) -> np.dtype:
    """NumPy's default accumulator of mean/var: float64 for bools and integers."""
    return np.dtype(np.float64) if not np.issubdtype(dtype, np.inexact) else dtype


def mean(
    x: Any, axis: Axis = None, dtype: Any = None, out: Any = None, keepdims: bool = False
) -> Any:
    """Arithmetic mean, with NumPy's dtypes: bools and integers give float64, float16 is
    accumulated in float32 and rounded back, ``dtype`` sets both.

    Examples:
        >>> m = tnp.mean(np.ones(100000, bool))   # not a float16 overflow
        >>> print(m, m.dtype)
        1.0 float64
    """
    no_out(out, "mean")
    x = asarray_or_tracer(x)
    axes = normalize_axes(axis, x.ndim, "mean")
    if dtype is not None:
        acc = result = np.dtype(dtype)
    elif x.dtype == np.float16:
        acc, result = np.dtype(np.float32), x.dtype
    else:
        acc = result = _accumulator(x.dtype)
    total = sum(x, axes, dtype=acc, keepdims=keepdims)
    return uf.astype(_divide(total, _count(x, axes), total.dtype), result)


def var(
    x: Any,
    axis: Axis = None,
    dtype: Any = None,
    out: Any = None,
    ddof: int = 0,
    keepdims: bool = False,
) -> Any:
    """Variance ``sum((x - mean(x))**2) / max(n - ddof, 0)``, step by step as NumPy computes it
    (bools and integers in float64, float16 in float16, ``dtype`` for both sums)."""
    no_out(out, "var")
    x = asarray_or_tracer(x)
    axes = normalize_axes(axis, x.ndim, "var")
    acc = np.dtype(dtype) if dtype is not None else _accumulator(x.dtype)
    count = _count(x, axes)
    total = sum(x, axes, dtype=acc, keepdims=True)
    centered = x - _divide(total, count, total.dtype)
    if np.issubdtype(centered.dtype, np.complexfloating):  # |d|**2, real, as NumPy
        centered = uf.abs(centered)
        acc = centered.dtype if dtype is None else acc
    squares = sum(centered * centered, axes, dtype=acc, keepdims=keepdims)
    return _divide(squares, builtins.max(count - ddof, 0), squares.dtype)


def std(
    x: Any,
    axis: Axis = None,
    dtype: Any = None,
    out: Any = None,
    ddof: int = 0,
    keepdims: bool = False,
) -> Any:
    """Standard deviation, ``sqrt(var(x))`` in the variance's dtype."""
    no_out(out, "std")
    v = var(x, axis, dtype, ddof=ddof, keepdims=keepdims)
    return uf.astype(uf.sqrt(v), v.dtype)


def _shift(x: Any, axis: Axis) -> Any:
    """The max along ``axis`` (kept), with gradient stopped and infinities replaced by 0."""
    m = uf.stop_gradient(max(x, axis, keepdims=True))
    return uf.where(uf.isfinite(m), m, 0)


def logsumexp(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """``log(sum(exp(x)))`` without overflow: the max is subtracted first.

    Examples:
        >>> print(tnp.logsumexp(np.array([1e4, 0.0])))   # not inf
        10000.0
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
