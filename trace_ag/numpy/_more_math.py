"""NumPy's elementwise and numerical extras, written as composites of ``trace_ag.numpy``.

Nothing here is a primitive: each function is built from ones that have every rule (vjp, jvp,
batching, JAX lowering), so grad, jvp, vmap and jit work for free. Formulas follow
``jax.numpy`` where its derivatives are a convention (ties of ``fmax``, ``hypot`` at 0, ``sinc``
at 0); values follow NumPy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from trace_ag.core import Tracer
from trace_ag.custom import custom_jvp
from trace_ag.numpy import _reductions as red
from trace_ag.numpy import _shape as shp
from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, normalize_axis, promote, promote_float


def fabs(x: Any) -> Any:
    """``|x|`` as a float (ints and bools become floats), like ``numpy.fabs``."""
    (x,) = promote_float(x)
    return uf.abs(x)


def hypot(x1: Any, x2: Any) -> Any:
    """``sqrt(x1**2 + x2**2)`` without overflow, JAX's formula (gradient 0 at the origin).

    Examples:
        >>> tnp.hypot(3.0, 4.0)
        array(5.)
    """
    x1, x2 = (uf.abs(v) for v in promote_float(x1, x2))
    is_inf = uf.logical_or(uf.equal(x1, np.inf), uf.equal(x2, np.inf))
    hi, lo = uf.maximum(x1, x2), uf.minimum(x1, x2)
    zero = uf.equal(hi, 0)
    out = uf.where(zero, hi, hi * uf.sqrt(1 + uf.square(lo / uf.where(zero, 1, hi))))
    return uf.where(is_inf, np.inf, out)


def _logaddexp_value(x1: Any, x2: Any, exp_fn: Any, scale: float) -> Any:
    # max + log1p(exp(min - max)) is accurate (no overflow)
    hi, lo = uf.maximum(x1, x2), uf.minimum(x1, x2)
    out = hi + uf.log1p(exp_fn(lo - hi)) * scale
    return uf.where(uf.isnan(x1 - x2), x1 + x2, out)  # nans, or infinities of one sign


def _finite_or_zero(x: Any) -> Any:
    """``x`` with ``+inf`` as 0, so that ``exp(x - out)`` is 1, not nan, where both are inf."""
    return uf.where(uf.equal(x, np.inf), 0, x)


def _logaddexp_rule(exp_fn: Any, scale: float) -> Any:
    """The function and JAX's derivative ``t1 exp(x1 - out) + t2 exp(x2 - out)``: the max/min
    formula alone is not smooth where ``x1 == x2``, so its second derivatives would be wrong
    there (the first ones happen to be right)."""

    @custom_jvp
    def fn(x1: Any, x2: Any) -> Any:
        return _logaddexp_value(x1, x2, exp_fn, scale)

    @fn.defjvp
    def fn_jvp(primals: Sequence, tangents: Sequence) -> tuple:
        (x1, x2), (t1, t2) = primals, tangents
        out = fn(x1, x2)
        safe_out = _finite_or_zero(out)
        weight1 = exp_fn(_finite_or_zero(x1) - safe_out)
        weight2 = exp_fn(_finite_or_zero(x2) - safe_out)
        return out, t1 * weight1 + t2 * weight2

    return fn


def _logaddexp(x1: Any, x2: Any, rule: Any) -> Any:
    x1, x2 = promote_float(x1, x2)
    return rule(x1, x2)


_logaddexp_e = _logaddexp_rule(uf.exp, 1.0)
_logaddexp_2 = _logaddexp_rule(uf.exp2, 1 / math.log(2))


def logaddexp(x1: Any, x2: Any) -> Any:
    """``log(exp(x1) + exp(x2))`` without overflow.

    Examples:
        >>> tnp.logaddexp(1000.0, 1000.0)
        array(1000.69314718)
    """
    return _logaddexp(x1, x2, _logaddexp_e)


def logaddexp2(x1: Any, x2: Any) -> Any:
    """``log2(2**x1 + 2**x2)`` without overflow."""
    return _logaddexp(x1, x2, _logaddexp_2)


def fmax(x1: Any, x2: Any) -> Any:
    """Elementwise maximum that ignores a nan (nan only where both are), like ``numpy.fmax``;
    at ties the gradient goes to ``x2`` (JAX's rule)."""
    x1, x2 = promote(x1, x2)
    return uf.where(uf.logical_or(uf.greater(x1, x2), uf.isnan(x2)), x1, x2)


def fmin(x1: Any, x2: Any) -> Any:
    """Elementwise minimum that ignores a nan (nan only where both are), like ``numpy.fmin``."""
    x1, x2 = promote(x1, x2)
    return uf.where(uf.logical_or(uf.less(x1, x2), uf.isnan(x2)), x1, x2)


def degrees(x: Any) -> Any:
    """Radians to degrees."""
    (x,) = promote_float(x)
    return x * (180 / math.pi)


def radians(x: Any) -> Any:
    """Degrees to radians."""
    (x,) = promote_float(x)
    return x * (math.pi / 180)


rad2deg = degrees
deg2rad = radians


def sinc(x: Any) -> Any:
    """``sin(pi x) / (pi x)``, 1 at 0, with JAX's derivatives at 0 to every order.

    At 0 the value is taken from the Maclaurin series of ``sin(t)/t`` evaluated at ``t = pi x``,
    so ``grad`` at 0 is 0 and the second derivative is ``-pi**2 / 3``, as in JAX.
    """
    (x,) = promote_float(x)
    zero = uf.equal(x, 0)
    t = x * math.pi
    safe = uf.where(zero, 1, t)
    series = 1 - t * t / 6 + t**4 / 120 - t**6 / 5040
    return uf.where(zero, series, uf.sin(safe) / safe)


def nan_to_num(
    x: Any, copy: bool = True, nan: float = 0.0, posinf: Any = None, neginf: Any = None
) -> Any:
    """nan, +inf and -inf replaced by ``nan``, ``posinf`` (default: the dtype's max) and
    ``neginf`` (default: its min); integers and bools pass through."""
    x = asarray_or_tracer(x)
    if not np.issubdtype(x.dtype, np.floating):
        return x
    info = np.finfo(x.dtype)
    hi = np.asarray(info.max if posinf is None else posinf, x.dtype)
    lo = np.asarray(info.min if neginf is None else neginf, x.dtype)
    out = uf.where(uf.isnan(x), np.asarray(nan, x.dtype), x)
    out = uf.where(uf.equal(out, np.inf), hi, out)
    return uf.where(uf.equal(out, -np.inf), lo, out)


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """``|a - b| <= atol + rtol * |b|`` elementwise (infinities equal only to themselves)."""
    a, b = promote(a, b)
    if not np.issubdtype(a.dtype, np.inexact):
        a, b = promote_float(a, b)
    close = uf.less_equal(uf.abs(a - b), atol + rtol * uf.abs(b))
    out = uf.logical_or(uf.logical_and(close, uf.isfinite(b)), uf.equal(a, b))
    if equal_nan:
        out = uf.logical_or(out, uf.logical_and(uf.isnan(a), uf.isnan(b)))
    return out


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """Whether ``isclose`` holds everywhere (a 0-d bool, a tracer under a transform)."""
    return red.all(isclose(a, b, rtol, atol, equal_nan))


def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Any:
    """The first choice whose condition holds, elementwise (``default`` where none does)."""
    if len(condlist) != len(choicelist):
        raise ValueError("select: condlist and choicelist must have the same length")
    out = default
    for cond, choice in zip(reversed(condlist), reversed(choicelist), strict=True):
        out = uf.where(cond, choice, out)
    return asarray_or_tracer(out)


def piecewise(x: Any, condlist: Any, funclist: Sequence[Any], *args: Any, **kw: Any) -> Any:
    """``numpy.piecewise``: ``funclist[i]`` where ``condlist[i]`` (later ones win), an extra
    last function where none holds. Every function is evaluated on all of ``x`` and the
    results are selected, so a function must not raise (or give nan gradients) outside its
    piece; the result has ``x``'s dtype."""
    x = asarray_or_tracer(x)
    if isinstance(condlist, (Tracer, np.ndarray)) and condlist.ndim == x.ndim:
        condlist = [condlist]
    conds = [asarray_or_tracer(c) for c in condlist]
    if len(funclist) == len(conds) + 1:
        none = ~red.any(shp.stack(conds), axis=0) if conds else np.ones(x.shape, bool)
        conds = [*conds, none]
    elif len(funclist) != len(conds):
        raise ValueError("piecewise: give one function per condition, plus an optional default")
    out = np.zeros(x.shape, x.dtype)
    for cond, fn in zip(conds, funclist, strict=True):
        value = fn(x, *args, **kw) if callable(fn) else fn
        out = uf.where(cond, uf.astype(asarray_or_tracer(value), x.dtype), out)
    return out


def cumprod(x: Any, axis: int | None = None, dtype: Any = None) -> Any:
    """Cumulative product along ``axis`` (None: flattened), by a Hillis-Steele prefix scan of
    multiplications: ``ceil(log2(n))`` steps, no division, so derivatives are exact at zeros
    and negative values (as JAX's associative scan).

    Examples:
        >>> tnp.cumprod(np.array([2.0, 0.0, 3.0]))
        array([2., 0., 0.])
    """
    x = asarray_or_tracer(x)
    if dtype is not None:
        x = uf.astype(x, dtype)
    elif x.dtype == np.bool_ or (np.issubdtype(x.dtype, np.integer) and x.dtype.itemsize < 8):
        x = uf.astype(x, np.uint64 if np.issubdtype(x.dtype, np.unsignedinteger) else np.int64)
    if axis is None:
        x, axis = shp.ravel(x), 0
    axis = normalize_axis(axis, x.ndim, "cumprod")
    n, shift = x.shape[axis], 1
    lead = (slice(None),) * axis
    while shift < n:
        ones = np.ones(x.shape[:axis] + (shift,) + x.shape[axis + 1 :], x.dtype)
        x = x * shp.concatenate([ones, x[lead + (slice(0, n - shift),)]], axis=axis)
        shift *= 2
    return x


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """The ``n``-th forward difference along ``axis`` (``prepend``/``append`` joined first)."""
    a = asarray_or_tracer(a)
    axis = normalize_axis(axis, a.ndim, "diff")
    parts = [a]
    for i, extra in ((0, prepend), (1, append)):
        if extra is not None:
            extra = asarray_or_tracer(extra)
            if extra.ndim == 0:
                extra = shp.broadcast_to(extra, a.shape[:axis] + (1,) + a.shape[axis + 1 :])
            parts.insert(i * len(parts), extra)
    a = shp.concatenate(parts, axis=axis)
    lead = (slice(None),) * axis
    for _ in range(n):
        hi, lo = a[lead + (slice(1, None),)], a[lead + (slice(None, -1),)]
        a = uf.not_equal(hi, lo) if a.dtype == np.bool_ else hi - lo
    return a


def _gradient_1d(f: Any, h: Any, axis: int, edge_order: int) -> Any:
    def at(s):
        return f[(slice(None),) * axis + (s,)]

    n = f.shape[axis]
    if n < edge_order + 1:
        raise ValueError(
            f"gradient: an axis of size {n} needs at least {edge_order + 1} points "
            f"for edge_order={edge_order}"
        )
    inner = (at(slice(2, None)) - at(slice(None, -2))) / (2 * h)
    if edge_order == 1:
        first = (at(slice(1, 2)) - at(slice(0, 1))) / h
        last = (at(slice(-1, None)) - at(slice(-2, -1))) / h
    else:
        first = (-1.5 * at(slice(0, 1)) + 2 * at(slice(1, 2)) - 0.5 * at(slice(2, 3))) / h
        last = (0.5 * at(slice(-3, -2)) - 2 * at(slice(-2, -1)) + 1.5 * at(slice(-1, None))) / h
    return shp.concatenate([first, inner, last], axis=axis)


def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """``numpy.gradient`` with uniform spacing: central differences inside, one-sided ones
    (first or second order, ``edge_order``) at the ends. ``varargs`` are one scalar spacing,
    or one per axis; coordinate arrays are not supported. Returns a list for several axes.

    Examples:
        >>> tnp.gradient(np.array([1.0, 2.0, 4.0, 7.0]))
        array([1. , 1.5, 2.5, 3. ])
    """
    (f,) = promote_float(f)
    axes = list(range(f.ndim)) if axis is None else np.atleast_1d(axis).tolist()
    axes = [normalize_axis(a, f.ndim, "gradient") for a in axes]
    spacing = list(varargs) if varargs else [1.0]
    if len(spacing) == 1:
        spacing = spacing * len(axes)
    if len(spacing) != len(axes):
        raise TypeError("gradient: give one spacing, or one per axis")
    if any(np.ndim(h) != 0 for h in spacing):
        raise NotImplementedError("gradient: only scalar (uniform) spacings are supported")
    if edge_order not in (1, 2):
        raise ValueError("gradient: edge_order must be 1 or 2")
    out = [_gradient_1d(f, h, a, edge_order) for a, h in zip(axes, spacing, strict=True)]
    return out[0] if len(out) == 1 else out


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None):
    """Cross product of 3-vectors (or 2-vectors: the z component) along the given axes."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = promote(a, b)
    a, b = shp.moveaxis(a, axisa, -1), shp.moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError("cross: incompatible dimensions (vectors must have 2 or 3 components)")
    if a.shape[-1] == b.shape[-1] == 2:
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    a, b = (
        v if v.shape[-1] == 3 else shp.pad(v, [(0, 0)] * (v.ndim - 1) + [(0, 1)]) for v in (a, b)
    )
    a0, a1, a2 = (a[..., i] for i in range(3))
    b0, b1, b2 = (b[..., i] for i in range(3))
    out = shp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return shp.moveaxis(out, -1, axisc)


def kron(a: Any, b: Any) -> Any:
    """Kronecker product: block ``(i, j, ...)`` is ``a[i, j, ...] * b``."""
    a, b = promote(a, b)
    nd = max(a.ndim, b.ndim)
    a = shp.reshape(a, (1,) * (nd - a.ndim) + a.shape)
    b = shp.reshape(b, (1,) * (nd - b.ndim) + b.shape)
    a_shape = sum(((n, 1) for n in a.shape), ())
    b_shape = sum(((1, n) for n in b.shape), ())
    out = shp.reshape(a, a_shape) * shp.reshape(b, b_shape)
    return shp.reshape(out, tuple(p * q for p, q in zip(a.shape, b.shape, strict=True)))


# ---------------------------------------------------------------- callable scalar types


class _ScalarTypeMeta(type):
    """``jax.numpy``'s scalar types: ``tnp.int64(x)`` casts like ``tnp.asarray(x, np.int64)``
    (so it traces: a cast to an integer has a zero derivative, as in JAX, rather than raising
    on a tracer as ``np.int64(x)`` does), while the type still compares, hashes and converts
    (``np.dtype``, ``dtype=``) as the NumPy one and ``isinstance`` checks against it."""

    def __call__(cls, x: Any = 0) -> Any:
        if isinstance(x, Tracer):
            from trace_ag import numpy as tnp  # the package imports this module

            return tnp.astype(x, cls.dtype)
        return cls.dtype.type(x)

    def __eq__(cls, other: Any) -> bool:
        return cls is other or cls.dtype.type == other

    def __hash__(cls) -> int:
        return hash(cls.dtype.type)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls.dtype.type)

    def __repr__(cls) -> str:
        return f"trace_ag.numpy.{cls.dtype.name}"


def scalar_type(np_type: type) -> type:
    """A callable scalar type for ``np_type`` (``trace_ag.numpy``'s ``int64``, ``float32``...).

    Examples:
        >>> import trace_ag as ag
        >>> from trace_ag.numpy._more_math import scalar_type
        >>> int64 = scalar_type(np.int64)
        >>> print(ag.grad(lambda w: tnp.sum(w * int64(w)))(np.array([1.5, 2.5])))
        [1. 2.]
        >>> int64 == np.int64, np.dtype(int64), np.zeros(2, int64).dtype
        (True, dtype('int64'), dtype('int64'))
        >>> isinstance(np.int64(1), int64), int64(2.7)
        (True, np.int64(2))
    """
    doc = (
        f"NumPy's ``{np_type.__name__}`` as JAX's callable scalar type: "
        f"``tnp.{np_type.__name__}(x)`` casts (traced, with a zero derivative for integers); "
        "equal to NumPy's for ``dtype=``."
    )
    return _ScalarTypeMeta(np_type.__name__, (), {"dtype": np.dtype(np_type), "__doc__": doc})
