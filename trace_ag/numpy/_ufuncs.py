"""Elementwise functions of ``trace_ag.numpy``: promote like NumPy 2, then bind a primitive."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trace_ag.core import Tracer
from trace_ag.numpy._base import (
    PY_SCALARS,
    asarray_or_tracer,
    cast,
    promote,
    promote_float,
    result_dtype,
)
from trace_ag.primitives import elementwise as ew


def _unary(prim, name: str, to_float: bool):
    promote_fn = promote_float if to_float else promote

    def fn(x: Any) -> Any:
        (x,) = promote_fn(x)
        return prim.bind(x)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}``, like ``numpy.{name}``; differentiable: primitive "
    fn.__doc__ += f"``{prim.name}``."
    return fn


def _binary(prim, name: str, to_float: bool = False):
    promote_fn = promote_float if to_float else promote

    def fn(x: Any, y: Any) -> Any:
        return prim.bind(*promote_fn(x, y))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` with NumPy broadcasting and promotion (primitive "
    fn.__doc__ += f"``{prim.name}``)."
    return fn


exp = _unary(ew.exp, "exp", True)
log = _unary(ew.log, "log", True)
log1p = _unary(ew.log1p, "log1p", True)
expm1 = _unary(ew.expm1, "expm1", True)
sqrt = _unary(ew.sqrt, "sqrt", True)
sin = _unary(ew.sin, "sin", True)
cos = _unary(ew.cos, "cos", True)
tan = _unary(ew.tan, "tan", True)
tanh = _unary(ew.tanh, "tanh", True)
arcsin = _unary(ew.arcsin, "arcsin", True)
arccos = _unary(ew.arccos, "arccos", True)
arctan = _unary(ew.arctan, "arctan", True)
sinh = _unary(ew.sinh, "sinh", True)
cosh = _unary(ew.cosh, "cosh", True)
arcsinh = _unary(ew.arcsinh, "arcsinh", True)
arccosh = _unary(ew.arccosh, "arccosh", True)
arctanh = _unary(ew.arctanh, "arctanh", True)
floor = _unary(ew.floor, "floor", True)
ceil = _unary(ew.ceil, "ceil", True)
negative = _unary(ew.neg, "negative", False)
absolute = abs = _unary(ew.abs, "absolute", False)
sign = _unary(ew.sign, "sign", False)
round = around = _unary(ew.round, "round", False)
isfinite = _unary(ew.isfinite, "isfinite", False)
isnan = _unary(ew.isnan, "isnan", False)
isinf = _unary(ew.isinf, "isinf", False)
logical_not = _unary(ew.logical_not, "logical_not", False)

add = _binary(ew.add, "add")
subtract = _binary(ew.sub, "subtract")
multiply = _binary(ew.mul, "multiply")
divide = true_divide = _binary(ew.div, "divide", to_float=True)
maximum = _binary(ew.maximum, "maximum")
minimum = _binary(ew.minimum, "minimum")
arctan2 = _binary(ew.arctan2, "arctan2", to_float=True)
remainder = mod = _binary(ew.remainder, "remainder")
floor_divide = _binary(ew.floor_divide, "floor_divide")
equal = _binary(ew.equal, "equal")
not_equal = _binary(ew.not_equal, "not_equal")
less = _binary(ew.less, "less")
less_equal = _binary(ew.less_equal, "less_equal")
greater = _binary(ew.greater, "greater")
greater_equal = _binary(ew.greater_equal, "greater_equal")
logical_and = _binary(ew.logical_and, "logical_and")
logical_or = _binary(ew.logical_or, "logical_or")
logical_xor = _binary(ew.logical_xor, "logical_xor")


def power(x: Any, y: Any) -> Any:
    """``x ** y``; a Python int exponent records ``integer_pow`` (exact for negative ``x``)."""
    if isinstance(y, int) and not isinstance(y, bool):
        (x,) = promote(x)
        if y < 0 and not np.issubdtype(x.dtype, np.inexact):
            raise ValueError("power: integers to negative integer powers are not allowed")
        return ew.integer_pow.bind(x, y=y)
    y_dtype = result_dtype(y if isinstance(y, PY_SCALARS) else asarray_or_tracer(y))
    x, y = promote(x, y)
    if np.issubdtype(y_dtype, np.integer) and np.issubdtype(x.dtype, np.inexact):
        # JAX keeps an integer exponent's dtype, and with it d/dx x**0 = 0 at x = 0
        return ew.pow.bind(x, y, int_exponent=True)
    return ew.pow.bind(x, y)


def square(x: Any) -> Any:
    return power(x, 2)


def reciprocal(x: Any) -> Any:
    return divide(1, x)


def exp2(x: Any) -> Any:
    (x,) = promote_float(x)
    return power(np.asarray(2, x.dtype), x)


def log2(x: Any) -> Any:
    return log(x) / math.log(2)


def log10(x: Any) -> Any:
    return log(x) / math.log(10)


def astype(x: Any, dtype: Any) -> Any:
    """``x`` converted to ``dtype`` (its gradient is converted back)."""
    return cast(asarray_or_tracer(x), np.dtype(dtype))


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """``x`` where ``condition`` holds, else ``y`` (broadcasting). The one-argument form is
    ``nonzero`` and needs a concrete condition."""
    if x is None and y is None:
        from trace_ag.numpy._shape import nonzero

        return nonzero(condition)
    if x is None or y is None:
        raise TypeError("where: give both x and y, or neither")
    condition = asarray_or_tracer(condition)
    if condition.dtype != np.bool_:
        condition = not_equal(condition, 0)
    return ew.select.bind(condition, *promote(x, y))


def clip(x: Any, a_min: Any = None, a_max: Any = None, *, min: Any = None, max: Any = None):
    """Clamp ``x`` to ``[a_min, a_max]`` as ``minimum(maximum(x, a_min), a_max)`` (JAX's rule:
    at a bound exactly, the gradient is split between ``x`` and the bound)."""
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    if lo is not None:
        x = maximum(x, lo)
    if hi is not None:
        x = minimum(x, hi)
    return x


def stop_gradient(x: Any) -> Any:
    """``x`` itself, but no gradient flows through it (``jax.lax.stop_gradient``)."""
    x = asarray_or_tracer(x)
    return ew.stop_gradient.bind(x) if isinstance(x, Tracer) else x


def sigmoid(x: Any) -> Any:
    """The logistic function ``1 / (1 + exp(-x))``, computed without overflow."""
    (x,) = promote_float(x)
    return ew.logistic.bind(x)


def relu(x: Any) -> Any:
    """``max(x, 0)`` as ``jax.nn.relu``: nan stays nan, and the gradient is ``where(x > 0, g, 0)``
    (0 at 0 and at nan).

    Examples:
        >>> print(tnp.relu(np.array([-1.0, 0.0, 2.0, np.nan])))
        [ 0.  0.  2. nan]
    """
    (x,) = promote(x)
    if not np.issubdtype(x.dtype, np.inexact):
        return where(x > 0, x, 0)
    return where(x > 0, x, stop_gradient(where(x <= 0, 0, x)))  # the inner where: nan only
