"""Elementwise primitives: one line each, impl and vjp side by side (the factories add the jvp,
derived from the vjp rules, and the broadcasting batching rule).

Unary rules are ``rule(g, out, x)``; binary rules are one callable per input,
``rule(g, out, x, y)``, reduced to the input's shape by ``unbroadcast``. Operands reach these
primitives with equal dtypes: ``trace_ag.numpy`` promotes first, as ``jax.numpy`` does over lax.

``float_impl`` is the same value on Python floats (the lecture's Scalars run on it): ``math``'s
functions raise where NumPy would warn and return inf or nan (``log(0)``, ``exp(1000)``,
``1.0 / 0.0``), and the caller then runs the NumPy impl, so no value differs.
"""

from __future__ import annotations

import functools
import math
import operator
from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.core import Aval, Primitive, shape_error
from trace_ag.primitives._rules import (
    broadcast_avals,
    jnp_fn,
    lax_fn,
    same_aval,
    same_aval_noop,
    unbroadcast,
)
from trace_ag.primitives._transform_rules import elementwise_batch, elementwise_jvp, linear_jvp


def unary(
    name,
    np_fn,
    vjp=None,
    jax_name=None,
    out_dtype=None,
    complex_rules=False,
    float_impl=None,
    **facts,
):
    """Declare an elementwise unary primitive; ``vjp=None`` means it has zero gradient;
    ``complex_rules``: the rule is right for complex values too (a holomorphic ``g * f'(z)``);
    ``float_impl``: the value on a Python float (see ``Primitive``), e.g. ``math.exp``."""
    if out_dtype is None:
        abstract_eval = same_aval
    else:
        abstract_eval = lambda x, **_: Aval(x.shape, np.dtype(out_dtype))  # noqa: E731
    return Primitive(
        name,
        impl=np_fn,
        abstract_eval=abstract_eval,
        float_impl=float_impl,
        vjp=None if vjp is None else (vjp,),
        differentiable=vjp is not None,
        jax=jnp_fn(jax_name or np_fn.__name__),
        jvp=None if vjp is None else elementwise_jvp(),
        batch=elementwise_batch(),
        complex_rules=complex_rules,
        **facts,
    )


def binary(
    name,
    np_fn,
    vjp_x=None,
    vjp_y=None,
    out_dtype=None,
    jax_name=None,
    complex_rules=False,
    float_impl=None,
    **facts,
):
    """Declare a broadcasting binary primitive with one vjp rule per operand; ``float_impl``:
    the value on two Python floats (see ``Primitive``), e.g. ``operator.mul``."""
    differentiable = vjp_x is not None or vjp_y is not None
    return Primitive(
        name,
        impl=np_fn,
        abstract_eval=lambda x, y, **_: broadcast_avals(name, x, y, out_dtype=out_dtype),
        float_impl=float_impl,
        vjp=(vjp_x, vjp_y) if differentiable else None,
        differentiable=differentiable,
        jax=jnp_fn(jax_name or np_fn.__name__),
        jvp=elementwise_jvp() if differentiable else None,
        batch=elementwise_batch(),
        complex_rules=complex_rules,
        **facts,
    )


def _stable_logistic(x):
    return np.exp(-np.logaddexp(np.zeros((), x.dtype), -x))


def _float_logistic(x):
    """``_stable_logistic`` on a Python float: ``exp(-logaddexp(0, -x))`` with logaddexp as
    NumPy computes it (the larger operand plus ``log1p(exp(-distance))``)."""
    t = -x
    if t == 0:
        return math.exp(-math.log(2.0))
    if t < 0:
        return math.exp(-math.log1p(math.exp(t)))
    if t > 0:
        return math.exp(-(t + math.log1p(math.exp(-t))))
    return x  # nan


# ---- differentiable unary ops:  d out = rule(g, out, x)
neg = unary(
    "neg",
    np.negative,
    lambda g, out, x: -g,
    complex_rules=True,
    involution=True,
    float_impl=operator.neg,
)
exp = unary("exp", np.exp, lambda g, out, x: g * out, complex_rules=True, float_impl=math.exp)
log = unary("log", np.log, lambda g, out, x: g / x, complex_rules=True, float_impl=math.log)
log1p = unary(
    "log1p", np.log1p, lambda g, out, x: g / (1 + x), complex_rules=True, float_impl=math.log1p
)
expm1 = unary(
    "expm1", np.expm1, lambda g, out, x: g * (out + 1), complex_rules=True, float_impl=math.expm1
)
sqrt = unary(
    "sqrt", np.sqrt, lambda g, out, x: g / (2 * out), complex_rules=True, float_impl=math.sqrt
)
sin = unary(
    "sin", np.sin, lambda g, out, x: g * tnp.cos(x), complex_rules=True, float_impl=math.sin
)
cos = unary(
    "cos", np.cos, lambda g, out, x: -(g * tnp.sin(x)), complex_rules=True, float_impl=math.cos
)
tan = unary("tan", np.tan, lambda g, out, x: g * (1 + out * out), complex_rules=True)
tanh = unary(
    "tanh", np.tanh, lambda g, out, x: g * (1 - out * out), complex_rules=True, float_impl=math.tanh
)
arcsin = unary("arcsin", np.arcsin, lambda g, out, x: g / tnp.sqrt(1 - x * x), complex_rules=True)
arccos = unary("arccos", np.arccos, lambda g, out, x: -g / tnp.sqrt(1 - x * x), complex_rules=True)
arctan = unary("arctan", np.arctan, lambda g, out, x: g / (1 + x * x), complex_rules=True)
sinh = unary("sinh", np.sinh, lambda g, out, x: g * tnp.cosh(x), complex_rules=True)
cosh = unary("cosh", np.cosh, lambda g, out, x: g * tnp.sinh(x), complex_rules=True)
arcsinh = unary(
    "arcsinh", np.arcsinh, lambda g, out, x: g / tnp.sqrt(x * x + 1), complex_rules=True
)
arccosh = unary(
    "arccosh", np.arccosh, lambda g, out, x: g / tnp.sqrt(x * x - 1), complex_rules=True
)
arctanh = unary("arctanh", np.arctanh, lambda g, out, x: g / (1 - x * x), complex_rules=True)


def _abs_aval(x, **_):
    return Aval(x.shape, np.empty(0, x.dtype).real.dtype)  # |complex128| is float64


def _abs_direction(out, x):
    """d|x|/dx as a multiplier: the sign of a real x (+1 at 0, as JAX), conj(z)/|z| for a
    complex z (0 at 0)."""
    if not np.issubdtype(x.dtype, np.complexfloating):
        return None
    magnitude = tnp.astype(tnp.where(out == 0, 1, out), x.dtype)
    return tnp.conj(x) / magnitude


def _abs_vjp(g, out, x):
    direction = _abs_direction(out, x)
    if direction is None:
        return tnp.where(x >= 0, g, -g)
    return tnp.astype(g, x.dtype) * direction


def _abs_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    out = abs.bind(x)
    direction = _abs_direction(out, x)
    if direction is None:
        return out, tnp.where(x >= 0, t, -t)
    return out, tnp.real(t * direction)


abs = Primitive(
    "abs",
    impl=np.abs,
    abstract_eval=_abs_aval,
    vjp=(_abs_vjp,),
    jax=jnp_fn("abs"),
    jvp=_abs_jvp,
    batch=elementwise_batch(),
    complex_rules=True,
)
logistic = Primitive(
    "logistic",
    impl=_stable_logistic,
    abstract_eval=same_aval,
    float_impl=_float_logistic,
    vjp=(lambda g, out, x: g * out * (1 - out),),
    jax=lax_fn("logistic"),
    jvp=elementwise_jvp(),
    batch=elementwise_batch(),
    complex_rules=True,
    allocates=True,  # always a new array
)

# ---- zero-gradient unary ops (piecewise constant) and predicates
sign = unary("sign", np.sign)
floor = unary("floor", np.floor)
ceil = unary("ceil", np.ceil)
round = unary("round", np.round, jax_name="round")
isfinite = unary("isfinite", np.isfinite, out_dtype=np.bool_)
isnan = unary("isnan", np.isnan, out_dtype=np.bool_)
isinf = unary("isinf", np.isinf, out_dtype=np.bool_)
logical_not = unary("logical_not", np.logical_not, out_dtype=np.bool_)


# ---- binary arithmetic:  one rule per operand
def _balanced_eq(x, out, y):
    """1 where x alone attains the max/min, 1/2 where x and y tie, else 0 (JAX's rule)."""
    typed = np.dtype(out.dtype).type
    return tnp.where(x == out, tnp.where(y == out, typed(0.5), typed(1)), typed(0))


def _pow_vjp_x(g, out, x, y, *, int_exponent=False):
    """``y * x**(y-1)``, as JAX's ``_pow_jvp_lhs``: an exponent that was an integer array
    (``int_exponent``) gives 0 where ``y == 0``, so ``d/dx x**0`` is 0 even at ``x = 0``; a float
    exponent gives nan there. The inner power is a float one, so second derivatives at ``x = 0``
    are JAX's too (nan for ``y == 1``)."""
    if int_exponent:
        jac = tnp.where(y == 0, 0, tnp.where(y == 0, 1, y) * x ** (y - 1))
    else:
        jac = y * x ** (y - 1)
    return unbroadcast(g * jac, np.shape(x))


def _pow_vjp_y(g, out, x, y, **_):
    return unbroadcast(g * tnp.log(tnp.where(x == 0, 1, x)) * out, np.shape(y))


def _pow_impl(x, y, *, int_exponent=False):
    return np.power(x, y)


def _pow_float(x, y, *, int_exponent=False):
    """``math.pow``, which raises where np.power gives nan or inf (-8 ** 0.5, 0 ** -1); a
    square root for ``y == 0.5`` as NumPy's float64 power (``-0.0 ** 0.5`` is ``-0.0``)."""
    return math.sqrt(x) if y == 0.5 else math.pow(x, y)


def _pow_jax(x, y, *, int_exponent=False):
    import jax.numpy as jnp

    return jnp.power(x, y)


add = binary(
    "add",
    np.add,
    lambda g, out, x, y: unbroadcast(g, np.shape(x)),
    lambda g, out, x, y: unbroadcast(g, np.shape(y)),
    complex_rules=True,
    identities={0: -0.0, 1: -0.0},
    float_impl=operator.add,
)
sub = binary(
    "sub",
    np.subtract,
    lambda g, out, x, y: unbroadcast(g, np.shape(x)),
    lambda g, out, x, y: unbroadcast(-g, np.shape(y)),
    complex_rules=True,
    identities={1: 0.0},
    float_impl=operator.sub,
)
mul = binary(
    "mul",
    np.multiply,
    lambda g, out, x, y: unbroadcast(g * y, np.shape(x)),
    lambda g, out, x, y: unbroadcast(g * x, np.shape(y)),
    complex_rules=True,
    identities={0: 1, 1: 1},
    float_impl=operator.mul,
)
div = binary(
    "div",
    np.true_divide,
    lambda g, out, x, y: unbroadcast(g / y, np.shape(x)),
    lambda g, out, x, y: unbroadcast(-g * out / y, np.shape(y)),
    jax_name="true_divide",
    complex_rules=True,
    identities={1: 1},
    float_impl=operator.truediv,  # 1.0 / 0.0 raises ZeroDivisionError, not inf
)
# ``int_exponent=True`` (set by ``tnp.power`` for an integer-dtype exponent) only changes the
# derivative at x = 0; the exponent itself arrives promoted to x's float dtype.
pow = Primitive(
    "pow",
    impl=_pow_impl,
    abstract_eval=lambda x, y, **_: broadcast_avals("pow", x, y),
    float_impl=_pow_float,
    vjp=(_pow_vjp_x, _pow_vjp_y),
    jax=_pow_jax,
    jvp=elementwise_jvp(),
    batch=elementwise_batch(),
    complex_rules=True,
    allocates=True,  # always a new array
)
maximum = binary(
    "maximum",
    np.maximum,
    lambda g, out, x, y: unbroadcast(g * _balanced_eq(x, out, y), np.shape(x)),
    lambda g, out, x, y: unbroadcast(g * _balanced_eq(y, out, x), np.shape(y)),
)
minimum = binary(
    "minimum",
    np.minimum,
    lambda g, out, x, y: unbroadcast(g * _balanced_eq(x, out, y), np.shape(x)),
    lambda g, out, x, y: unbroadcast(g * _balanced_eq(y, out, x), np.shape(y)),
)
#: From this many elements on, generated code takes ``maximum``/``minimum`` against a scalar
#: as against a row of it (``extremum_with_scalar``): NumPy's loop for a scalar operand of
#: these two ufuncs is not vectorized (a relu over LeNet-5's 64x6x24x24 activations: 80 us
#: against 34 us with a row).
EXTREMUM_ROW_FROM = 1 << 14


@functools.lru_cache(maxsize=32)
def _constant_row(value: bytes, dtype: np.dtype, n: int) -> np.ndarray:
    row = np.full(n, np.frombuffer(value, dtype)[0], dtype)
    row.flags.writeable = False
    return row


def extremum_with_scalar(ufunc: np.ufunc, x: Any, y: Any, out=None) -> np.ndarray:
    """``ufunc(x, y)`` (``np.maximum``/``np.minimum``: the same bits, nan payloads and signed
    zeros too) where one operand is an array and the other a scalar of its dtype: the scalar is
    broadcast as a contiguous row along the array's innermost axis in memory, so both operands
    stream through the vectorized loop."""
    if np.ndim(y) == 0:
        return ufunc(x, _row_like(x, y), out=out)
    return ufunc(_row_like(y, x), y, out=out)


def _row_like(a: np.ndarray, scalar: Any) -> np.ndarray:
    """``scalar`` broadcast to ``a``'s shape from a row along ``a``'s innermost memory axis."""
    spans = [s if s >= 0 else -s for s in a.strides]  # (``abs`` is a primitive here)
    axis = min((k for k in range(a.ndim) if a.shape[k] > 1), key=spans.__getitem__, default=0)
    shape = [1] * a.ndim
    shape[axis] = a.shape[axis]
    row = _constant_row(np.asarray(scalar, a.dtype).tobytes(), a.dtype, a.shape[axis])
    return np.broadcast_to(row.reshape(shape), a.shape)


arctan2 = binary(
    "arctan2",
    np.arctan2,
    lambda g, out, y, x: unbroadcast(g * x / (x * x + y * y), np.shape(y)),
    lambda g, out, y, x: unbroadcast(-g * y / (x * x + y * y), np.shape(x)),
)
remainder = binary(
    "remainder",
    np.remainder,
    lambda g, out, x, y: unbroadcast(g, np.shape(x)),
    lambda g, out, x, y: unbroadcast(-g * tnp.floor(x / y), np.shape(y)),
)
floor_divide = binary("floor_divide", np.floor_divide)

# ---- comparisons and logic: boolean results, no gradient
equal = binary("eq", np.equal, out_dtype=np.bool_, float_impl=operator.eq)
not_equal = binary("ne", np.not_equal, out_dtype=np.bool_, float_impl=operator.ne)
less = binary("lt", np.less, out_dtype=np.bool_, float_impl=operator.lt)
less_equal = binary("le", np.less_equal, out_dtype=np.bool_, float_impl=operator.le)
greater = binary("gt", np.greater, out_dtype=np.bool_, float_impl=operator.gt)
greater_equal = binary("ge", np.greater_equal, out_dtype=np.bool_, float_impl=operator.ge)
logical_and = binary("logical_and", np.logical_and, out_dtype=np.bool_)
logical_or = binary("logical_or", np.logical_or, out_dtype=np.bool_)
logical_xor = binary("logical_xor", np.logical_xor, out_dtype=np.bool_)


# ---- the rest: select, integer_pow, astype, stop_gradient
def _select_aval(c, x, y):
    if c.dtype != np.bool_:
        raise shape_error("select", f"the condition must be boolean, got {c.dtype}")
    aval = broadcast_avals("select", x, y)
    return Aval(broadcast_avals("select", c, Aval(aval.shape, c.dtype)).shape, x.dtype)


SELECT_WHERE_BELOW = 4096  # select's impl is np.where for conditions with fewer elements


def _select_impl(c, x, y):
    """``np.where`` by bit masks for floats: exact (NaN payloads too) and branch-free, which on
    irregular masks is several times faster than ``np.where``'s per-element branch."""
    dtype = np.result_type(x, y)
    if dtype.kind != "f" or np.size(c) < SELECT_WHERE_BELOW:
        return np.where(c, x, y)
    bits = np.dtype(f"u{dtype.itemsize}")
    mask = np.negative(np.asarray(c).astype(bits))  # True -> all ones
    x_bits, y_bits = np.asarray(x, dtype).view(bits), np.asarray(y, dtype).view(bits)
    return ((x_bits & mask) | (y_bits & ~mask)).view(dtype)


select = Primitive(
    "select",
    impl=_select_impl,
    abstract_eval=_select_aval,
    float_impl=lambda c, x, y: x if c else y,
    vjp=(
        None,
        lambda g, out, c, x, y: unbroadcast(tnp.where(c, g, 0), np.shape(x)),
        lambda g, out, c, x, y: unbroadcast(tnp.where(c, 0, g), np.shape(y)),
    ),
    jax=jnp_fn("where"),
    jvp=elementwise_jvp(),
    batch=elementwise_batch(),
    complex_rules=True,
    allocates=True,  # always a new array
)

integer_pow = Primitive(
    "integer_pow",
    impl=lambda x, *, y: np.power(x, y),
    abstract_eval=same_aval,
    float_impl=lambda x, *, y: math.pow(x, y),  # raises where np.power gives inf (0 ** -1)
    vjp=(lambda g, out, x, *, y: g * 0 if y == 0 else g * (y * tnp.power(x, y - 1)),),
    jax=lax_fn("integer_pow"),
    jvp=elementwise_jvp(),
    batch=elementwise_batch(),
    complex_rules=True,
    allocates=True,  # always a new array
    noop=lambda params, x, out: params["y"] == 1,
)


def _astype_jax(x, *, dtype):
    from jax import dtypes

    return x.astype(dtypes.canonicalize_dtype(dtype))  # int64 is int32 unless x64 is on


def _astype_vjp(g, out, x, *, dtype):
    """To a real input from a complex output the cotangent's real part flows (JAX's rule)."""
    if np.issubdtype(g.dtype, np.complexfloating) and not np.issubdtype(
        x.dtype, np.complexfloating
    ):
        g = tnp.real(g)
    return tnp.astype(g, x.dtype)


astype = Primitive(
    "astype",
    impl=lambda x, *, dtype: x.astype(dtype),
    abstract_eval=lambda x, *, dtype: Aval(x.shape, np.dtype(dtype)),
    vjp=(_astype_vjp,),
    jax=_astype_jax,
    jvp=linear_jvp(),
    batch=elementwise_batch(),
    complex_rules=True,
    allocates=True,  # always a new array
    noop=same_aval_noop,
)

stop_gradient = Primitive(
    "stop_gradient",
    impl=lambda x: x,
    abstract_eval=same_aval,
    float_impl=lambda x: x,
    differentiable=False,
    jax=lax_fn("stop_gradient"),
    batch=elementwise_batch(),
)
