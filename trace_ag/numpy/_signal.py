"""1-D signal helpers of NumPy: ``convolve``, ``correlate``, ``interp``, ``trapezoid``,
``ediff1d``, ``unwrap``, log- and geometric spacing, and the window functions.

Convolution gathers the padded signal into one window per output and contracts it with the
kernel (a gather and a matmul), so both operands are differentiable; ``interp`` finds the
interval by ``searchsorted`` and is differentiable in ``x`` and ``fp``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trace_ag.core import Tracer, shape_error
from trace_ag.numpy import _complex as cx
from trace_ag.numpy import _reductions as red
from trace_ag.numpy import _shape as shp
from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, cast, normalize_axis, promote, promote_float
from trace_ag.numpy._creation import linspace
from trace_ag.numpy._more_math import diff
from trace_ag.numpy._sets import searchsorted

bartlett, blackman, hamming, hanning, kaiser = (
    np.bartlett,
    np.blackman,
    np.hamming,
    np.hanning,
    np.kaiser,
)


def _vectors(fn: str, a: Any, v: Any) -> tuple[Any, Any]:
    a, v = promote(a, v)
    if a.ndim != 1 or v.ndim != 1 or a.shape[0] == 0 or v.shape[0] == 0:
        raise shape_error(fn, f"needs two non-empty 1-D arrays, got {a.shape} and {v.shape}")
    return a, v


def _full_convolution(a: Any, v: Any) -> Any:
    n, m = a.shape[0], v.shape[0]
    padded = shp.pad(a, (m - 1, m - 1))
    windows = padded[np.arange(n + m - 1)[:, None] + np.arange(m)[None, :]]
    return red.sum(windows * shp.flip(v), axis=1)


def convolve(a: Any, v: Any, mode: str = "full", *, precision: Any = None) -> Any:
    """The discrete linear convolution of two 1-D arrays ('full', 'same' or 'valid').

    Examples:
        >>> tnp.convolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
        array([0. , 1. , 2.5, 4. , 1.5])
    """
    a, v = _vectors("convolve", a, v)
    if v.shape[0] > a.shape[0]:
        a, v = v, a
    full = _full_convolution(a, v)
    n, m = a.shape[0], v.shape[0]
    if mode == "full":
        return full
    if mode == "same":
        start = (m - 1) // 2
        return full[start : start + n]
    if mode == "valid":
        return full[m - 1 : n]
    raise ValueError(f"convolve: mode must be 'full', 'same' or 'valid', got {mode!r}")


def correlate(a: Any, v: Any, mode: str = "valid", *, precision: Any = None) -> Any:
    """The cross-correlation ``sum_n a[n + k] * conj(v[n])`` of two 1-D arrays."""
    a, v = _vectors("correlate", a, v)
    return convolve(a, shp.flip(cx.conj(v)), mode)


def interp(
    x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None, period: Any = None
) -> Any:
    """Piecewise-linear interpolation of the points ``(xp, fp)`` (``xp`` increasing) at ``x``.

    Examples:
        >>> xp, fp = np.array([0.0, 1.0, 2.0]), np.array([0.0, 10.0, 0.0])
        >>> tnp.interp(np.array([0.5, 1.5, 9.0]), xp, fp)
        array([5., 5., 0.])
    """
    x, xp, fp = promote_float(x, xp, fp)
    wide = np.dtype(np.complex128 if fp.dtype.kind == "c" else np.float64)  # NumPy's dtype
    x, xp, fp = cast(x, np.dtype(np.float64)), cast(xp, np.dtype(np.float64)), cast(fp, wide)
    if xp.ndim != 1 or fp.ndim != 1 or xp.shape != fp.shape or xp.shape[0] == 0:
        raise shape_error(
            "interp", f"xp and fp must be equal-length 1-D, got {xp.shape}, {fp.shape}"
        )
    if period is not None:
        if left is not None or right is not None:
            raise ValueError("interp: left and right are not used with period")
        period = uf.abs(asarray_or_tracer(period))
        x, xp = uf.remainder(x, period), uf.remainder(xp, period)
        order = _argsort(xp)
        xp, fp = xp[order], fp[order]
        xp = shp.concatenate([xp[-1:] - period, xp, xp[:1] + period])
        fp = shp.concatenate([fp[-1:], fp, fp[:1]])
    n = xp.shape[0]
    if n == 1:
        return shp.broadcast_to(fp[0], x.shape) * 1
    i = uf.clip(searchsorted(xp, x, side="right"), 1, n - 1)
    x_lo, x_hi = shp.take(xp, i - 1), shp.take(xp, i)
    f_lo, f_hi = shp.take(fp, i - 1), shp.take(fp, i)
    dx, df = x_hi - x_lo, f_hi - f_lo
    same = uf.equal(dx, 0)
    out = uf.where(same, f_hi, f_lo + (x - x_lo) / uf.where(same, 1, dx) * df)
    if period is None:
        out = uf.where(uf.less(x, xp[0]), fp[0] if left is None else left, out)
        out = uf.where(uf.greater(x, xp[-1]), fp[-1] if right is None else right, out)
    return out


def _argsort(x: Any) -> Any:
    from trace_ag.numpy._bits import argsort

    return argsort(x)


def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """The integral of ``y`` by the trapezoidal rule along ``axis`` (samples at ``x``, or
    spaced ``dx``).

    Examples:
        >>> print(tnp.trapezoid(np.array([1.0, 2.0, 3.0]), dx=0.5))
        2.0
    """
    (y,) = promote_float(y)
    axis = normalize_axis(axis, y.ndim, "trapezoid")
    if x is None:
        spacing = dx
    else:
        (x,) = promote_float(x)
        spacing = diff(x, axis=axis if x.ndim > 1 else -1)
        if x.ndim == 1:
            shape = [1] * y.ndim
            shape[axis] = -1
            spacing = shp.reshape(spacing, tuple(shape))
    y = shp.moveaxis(y, axis, -1)
    spacing = shp.moveaxis(spacing, axis, -1) if getattr(spacing, "ndim", 0) > 0 else spacing
    return red.sum(spacing * (y[..., 1:] + y[..., :-1]), axis=-1) / 2


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Any:
    """Differences of the flattened ``ary``, with optional values before and after."""
    flat = shp.ravel(asarray_or_tracer(ary))
    parts = [flat[1:] - flat[:-1]]
    if to_begin is not None:
        parts.insert(0, cast(shp.ravel(asarray_or_tracer(to_begin)), flat.dtype))
    if to_end is not None:
        parts.append(cast(shp.ravel(asarray_or_tracer(to_end)), flat.dtype))
    return shp.concatenate(parts)


def unwrap(p: Any, discont: Any = None, axis: int = -1, *, period: Any = 2 * math.pi) -> Any:
    """``p`` with jumps larger than ``discont`` (default ``period / 2``) along ``axis`` replaced
    by their complement modulo ``period``.

    Examples:
        >>> print(np.round(tnp.unwrap(np.array([0.0, 3.0, 6.5])), 4))
        [0.     3.     0.2168]
    """
    (p,) = promote_float(p)
    axis = normalize_axis(axis, p.ndim, "unwrap")
    step = diff(p, axis=axis)
    discont = period / 2 if discont is None else discont
    half = period / 2
    wrapped = uf.remainder(step + half, period) - half
    wrapped = uf.where(uf.logical_and(uf.equal(wrapped, -half), uf.greater(step, 0)), half, wrapped)
    correction = uf.where(uf.less(uf.abs(step), discont), 0, wrapped - step)
    head = shp.take(p, np.arange(1), axis=axis)
    tail = shp.take(p, np.arange(1, p.shape[axis]), axis=axis)
    return shp.concatenate([head, tail + red.cumsum(correction, axis=axis)], axis=axis)


def _traced(*args: Any) -> bool:
    return any(isinstance(a, Tracer) for a in args)


def logspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    base: Any = 10.0,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """``base ** linspace(start, stop)``; differentiable in traced endpoints and base."""
    if not _traced(start, stop, base):
        return np.logspace(start, stop, num, endpoint, base, dtype, axis)
    if axis != 0:
        raise ValueError("logspace: traced endpoints support axis=0 only")
    out = uf.power(base, linspace(start, stop, num, endpoint))
    return uf.astype(out, dtype) if dtype is not None else out


def geomspace(
    start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None, axis: int = 0
) -> Any:
    """Numbers spaced evenly on a log scale from ``start`` to ``stop`` (same sign)."""
    if not _traced(start, stop):
        return np.geomspace(start, stop, num, endpoint, dtype, axis)
    if axis != 0:
        raise ValueError("geomspace: traced endpoints support axis=0 only")
    start, stop = promote_float(start, stop)
    steps = np.linspace(0.0, 1.0, num, endpoint=endpoint).astype(start.dtype)
    out = start * uf.power(stop / start, steps)
    if num > 0:  # exact endpoints, as NumPy
        ends = np.zeros(num, bool)
        ends[0] = True
        out = uf.where(ends, start, out)
        if endpoint and num > 1:
            last = np.zeros(num, bool)
            last[-1] = True
            out = uf.where(last, stop, out)
    return uf.astype(out, dtype) if dtype is not None else out
