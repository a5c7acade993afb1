"""``jax.lax``'s elementwise operations: the strict forms of NumPy's ufuncs.

Unlike ``trace_ag.numpy``, a lax binary operation neither broadcasts nor promotes: both
operands have one shape (a rank-0 operand is allowed against any shape, as in JAX) and one
dtype, except that a Python scalar takes the other operand's dtype. Integer ``div`` truncates
toward zero and ``rem`` takes the sign of the dividend (C's ``/`` and ``%``), ``round``
rounds halves away from zero by default. Everything is written with trace_ag operations, so
grad, jvp, vmap and jit (both backends) come from them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag import numpy as tnp
from trace_ag.core import shape_error
from trace_ag.numpy._base import asarray_or_tracer
from trace_ag.numpy._ufuncs import stop_gradient
from trace_ag.scipy import special

_PY_SCALARS = (bool, int, float, complex)


def _same_kind(value: Any, dtype: np.dtype) -> bool:
    """Whether a weakly typed Python scalar may take ``dtype`` (JAX's weak-type rule)."""
    return dtype.kind in {bool: "b", int: "iufc", float: "fc", complex: "c"}[type(value)]


def operands(name: str, *args: Any) -> list:
    """``args`` as arrays of one dtype and compatible shapes, or JAX's error for ``lax.name``."""
    # only Python scalars are weakly typed: NumPy scalars keep their dtype, as in JAX
    arrays = [None if type(a) in _PY_SCALARS else asarray_or_tracer(a) for a in args]
    typed = [a for a in arrays if a is not None]
    if not typed:
        arrays = [asarray_or_tracer(a) for a in args]
        typed = arrays
    dtype = np.dtype(typed[0].dtype)
    for a in typed[1:]:
        if np.dtype(a.dtype) != dtype:
            raise errors.DTypeError(
                errors.at_user_line(
                    f"lax.{name} requires arguments to have the same dtypes, got "
                    + ", ".join(str(np.dtype(t.dtype)) for t in typed)
                    + f" (trace_ag.numpy.{name} promotes types)"
                )
            )
    out = []
    for value, array in zip(args, arrays, strict=True):
        if array is None:
            if not _same_kind(value, dtype):
                raise errors.DTypeError(
                    errors.at_user_line(
                        f"lax.{name}: the Python scalar {value!r} cannot take the dtype {dtype}"
                    )
                )
            array = np.asarray(value, dtype)
        out.append(array)
    shapes = {tuple(a.shape) for a in out if a.ndim}
    if len(shapes) > 1:
        raise shape_error(
            f"lax.{name}",
            "operands must have one shape (lax does not broadcast; a rank-0 operand is allowed),"
            " got " + ", ".join(str(tuple(a.shape)) for a in out),
        )
    return out


def _binary(name: str, fn: Callable, doc: str) -> Callable:
    def op(x: Any, y: Any) -> Any:
        return fn(*operands(name, x, y))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _unary(name: str, fn: Callable, doc: str) -> Callable:
    def op(x: Any) -> Any:
        return fn(asarray_or_tracer(x) if type(x) in _PY_SCALARS else x)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _is_int(x: Any) -> bool:
    return np.dtype(x.dtype).kind in "iu"


def _trunc(x: Any) -> Any:
    return tnp.where(x < 0, tnp.ceil(x), tnp.floor(x))


def _div(x: Any, y: Any) -> Any:
    if not _is_int(x):
        return tnp.true_divide(x, y)
    quotient = tnp.floor_divide(x, y)
    # floor and truncation differ when the signs differ and the division is inexact
    inexact = (tnp.remainder(x, y) != 0) & ((x < 0) != (y < 0))
    return tnp.where(inexact, quotient + 1, quotient)


def _rem(x: Any, y: Any) -> Any:
    if _is_int(x):
        return x - y * _div(x, y)
    # Python's remainder has the divisor's sign; moving it to the dividend's gives C's fmod
    # (and JAX's derivative in y, -trunc(x / y))
    value = tnp.remainder(x, y)
    return tnp.where((value != 0) & ((value < 0) != (x < 0)), value - y, value)


class RoundingMethod(enum.IntEnum):
    """``jax.lax.RoundingMethod``: how ``lax.round`` breaks ties."""

    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def round(x: Any, rounding_method: Any = RoundingMethod.AWAY_FROM_ZERO) -> Any:  # noqa: A001
    """``jax.lax.round``: halves go away from zero by default, to the even neighbour with
    ``RoundingMethod.TO_NEAREST_EVEN``. Its derivative is zero.

    Examples:
        >>> lax.round(np.array([0.5, 1.5, -2.5]))
        array([ 1.,  2., -3.])
        >>> lax.round(np.array([0.5, 1.5, -2.5]), lax.RoundingMethod.TO_NEAREST_EVEN)
        array([ 0.,  2., -2.])
    """
    x = asarray_or_tracer(x)
    if RoundingMethod(rounding_method) == RoundingMethod.TO_NEAREST_EVEN:
        return tnp.round(x)
    whole = _trunc(x)
    return stop_gradient(tnp.where(tnp.abs(x - whole) >= 0.5, whole + tnp.sign(x), whole))


def _bits(x: Any) -> int:
    return np.dtype(x.dtype).itemsize * 8


def _shift(name: str, kind: str) -> Callable:
    def shift(x: Any, y: Any) -> Any:
        x, y = operands(name, x, y)
        if not _is_int(x):
            raise errors.DTypeError(
                errors.at_user_line(f"lax.{name} needs integers, got {x.dtype}")
            )
        bits = _bits(x)
        in_range = (y >= 0) & (y < bits)
        safe = tnp.where(in_range, y, tnp.zeros_like(y))
        if kind == "left":
            return tnp.where(in_range, tnp.left_shift(x, safe), tnp.zeros_like(x))
        shifted = tnp.right_shift(x, safe)
        if kind == "arithmetic":  # out of range: every bit is the sign bit
            return tnp.where(in_range, shifted, tnp.where(x < 0, -1 - tnp.zeros_like(x), 0 * x))
        if np.dtype(x.dtype).kind == "i":  # clear the copies of the sign bit
            one = np.asarray(1, x.dtype)
            mask = tnp.left_shift(one, bits - tnp.maximum(safe, 1)) - one
            shifted = tnp.where(safe > 0, tnp.bitwise_and(shifted, mask), shifted)
        return tnp.where(in_range, shifted, tnp.zeros_like(x))

    shift.__name__ = shift.__qualname__ = name
    shift.__doc__ = (
        f"``jax.lax.{name}``: shift amounts outside ``[0, bits)`` give "
        + ("0." if kind != "arithmetic" else "the sign bit everywhere.")
        + f"\n\n    Examples:\n        >>> print(lax.{name}(np.int32(-8), np.int32(1)))\n"
        + {
            "left": "        -16\n",
            "arithmetic": "        -4\n",
            "logical": "        2147483644\n",
        }[kind]
    )
    return shift


shift_left = _shift("shift_left", "left")
shift_right_arithmetic = _shift("shift_right_arithmetic", "arithmetic")
shift_right_logical = _shift("shift_right_logical", "logical")


def _doc(name: str, what: str, example: str, result: str) -> str:
    example = f"\n\n    Examples:\n        >>> print({example})\n        {result}\n"
    return f"``jax.lax.{name}``: {what}{example}"


_B = "(same shapes and dtypes; no broadcasting or promotion)."
add = _binary("add", tnp.add, _doc("add", "x + y " + _B, "lax.add(1.0, 2.0)", "3.0"))
sub = _binary("sub", tnp.subtract, _doc("sub", "x - y " + _B, "lax.sub(1.0, 2.0)", "-1.0"))
mul = _binary("mul", tnp.multiply, _doc("mul", "x * y " + _B, "lax.mul(3, 2)", "6"))
div = _binary(
    "div", _div, _doc("div", "x / y, truncating toward zero for integers.", "lax.div(-7, 2)", "-3")
)
rem = _binary(
    "rem", _rem, _doc("rem", "C's remainder: the sign of the dividend.", "lax.rem(-7, 3)", "-1")
)
max = _binary("max", tnp.maximum, _doc("max", "elementwise maximum " + _B, "lax.max(1, 2)", "2"))  # noqa: A001
min = _binary("min", tnp.minimum, _doc("min", "elementwise minimum " + _B, "lax.min(1, 2)", "1"))  # noqa: A001
atan2 = _binary("atan2", tnp.arctan2, _doc("atan2", "arctan(x / y) by quadrant.", "lax.atan2(0.0, 1.0)", "0.0"))  # fmt: skip  # noqa: E501
eq = _binary("eq", tnp.equal, _doc("eq", "x == y " + _B, "lax.eq(1, 1)", "True"))
ne = _binary("ne", tnp.not_equal, _doc("ne", "x != y " + _B, "lax.ne(1, 1)", "False"))
lt = _binary("lt", tnp.less, _doc("lt", "x < y " + _B, "lax.lt(1, 2)", "True"))
le = _binary("le", tnp.less_equal, _doc("le", "x <= y " + _B, "lax.le(2, 2)", "True"))
gt = _binary("gt", tnp.greater, _doc("gt", "x > y " + _B, "lax.gt(1, 2)", "False"))
ge = _binary("ge", tnp.greater_equal, _doc("ge", "x >= y " + _B, "lax.ge(1, 2)", "False"))
bitwise_and = _binary("bitwise_and", tnp.bitwise_and, _doc("bitwise_and", "x & y.", "lax.bitwise_and(6, 3)", "2"))  # fmt: skip  # noqa: E501
bitwise_or = _binary("bitwise_or", tnp.bitwise_or, _doc("bitwise_or", "x | y.", "lax.bitwise_or(6, 3)", "7"))  # fmt: skip  # noqa: E501
bitwise_xor = _binary("bitwise_xor", tnp.bitwise_xor, _doc("bitwise_xor", "x ^ y.", "lax.bitwise_xor(6, 3)", "5"))  # fmt: skip  # noqa: E501
bitwise_not = _unary("bitwise_not", tnp.bitwise_not, _doc("bitwise_not", "~x.", "lax.bitwise_not(6)", "-7"))  # fmt: skip  # noqa: E501


def pow(x: Any, y: Any) -> Any:  # noqa: A001
    """``jax.lax.pow``: ``x ** y`` for a float (or complex) ``x`` and an exponent of its dtype
    or an integer exponent array of the same shape.

    Examples:
        >>> print(lax.pow(2.0, 3.0))
        8.0
    """
    y_arr = None if type(y) in _PY_SCALARS else asarray_or_tracer(y)
    if y_arr is not None and _is_int(y_arr):
        x = asarray_or_tracer(x)
        if _is_int(x):
            raise errors.DTypeError(errors.at_user_line("lax.pow needs a float or complex base"))
        if x.ndim and y_arr.ndim and tuple(x.shape) != tuple(y_arr.shape):
            raise shape_error("lax.pow", f"operands have shapes {x.shape} and {y_arr.shape}")
        return tnp.power(x, y_arr)
    return tnp.power(*operands("pow", x, y))


def integer_pow(x: Any, y: int) -> Any:
    """``jax.lax.integer_pow``: ``x ** y`` for a static Python integer ``y``.

    Examples:
        >>> lax.integer_pow(np.array([1.0, 2.0]), 3)
        array([1., 8.])
    """
    if not isinstance(y, (int, np.integer)) or isinstance(y, bool):
        raise TypeError(errors.at_user_line(f"lax.integer_pow: y must be a Python int, got {y!r}"))
    x = asarray_or_tracer(x)
    if int(y) < 0 and _is_int(x):
        raise errors.DTypeError(
            errors.at_user_line("lax.integer_pow: a negative power of an integer array")
        )
    return tnp.power(x, int(y))


def clamp(min: Any, x: Any, max: Any) -> Any:  # noqa: A002
    """``jax.lax.clamp``: ``x`` clipped into ``[min, max]`` (``min``/``max`` scalars or of
    ``x``'s shape). Derivatives as JAX's: ``x`` gets the cotangent only strictly inside the
    interval, ``min`` only strictly above ``x``, ``max`` only strictly below it.

    Examples:
        >>> lax.clamp(0.0, np.array([-1.0, 0.5, 2.0]), 1.0)
        array([0. , 0.5, 1. ])
    """
    x = asarray_or_tracer(x)
    lo, x, hi = operands("clamp", min, x, max)
    inside = (x > lo) & (x < hi)
    lo_wins = (lo > x) & (lo < hi)
    tie = stop_gradient(tnp.minimum(tnp.maximum(x, lo), hi))  # no derivative at the ends
    return tnp.where(inside, x, tnp.where(lo_wins, lo, tnp.where(hi < x, hi, tie)))


def select_n(which: Any, *cases: Any) -> Any:
    """``jax.lax.select_n``: ``cases[which]`` elementwise; ``which`` is boolean (two cases) or
    an int32 array, a scalar or of the cases' shape.

    Examples:
        >>> lax.select_n(np.array([0, 2, 1]), np.zeros(3), np.ones(3), np.full(3, 2.0))
        array([0., 2., 1.])
    """
    if not cases:
        raise ValueError(errors.at_user_line("lax.select_n needs at least one case"))
    which = asarray_or_tracer(which)
    cases = operands("select_n", *cases)
    if np.dtype(which.dtype) == bool and len(cases) > 2:
        raise errors.DTypeError(errors.at_user_line("lax.select_n: a boolean which picks 1 of 2"))
    if which.ndim and any(c.ndim and tuple(c.shape) != tuple(which.shape) for c in cases):
        raise shape_error("lax.select_n", f"which {which.shape} and the cases differ in shape")
    out = cases[0]
    for i, case in enumerate(cases[1:], start=1):
        out = tnp.where(which == i, case, out)
    return out


def _rsqrt(x: Any) -> Any:
    return tnp.reciprocal(tnp.sqrt(x))


_UNARY = {
    "neg": (tnp.negative, "-x", "lax.neg(2.0)", "-2.0"),
    "abs": (tnp.abs, "|x|", "lax.abs(-2.0)", "2.0"),
    "sign": (tnp.sign, "the sign of x", "lax.sign(-2.0)", "-1.0"),
    "floor": (tnp.floor, "floor", "lax.floor(1.5)", "1.0"),
    "ceil": (tnp.ceil, "ceiling", "lax.ceil(1.5)", "2.0"),
    "is_finite": (tnp.isfinite, "not inf or nan", "lax.is_finite(np.inf)", "False"),
    "exp": (tnp.exp, "e**x", "lax.exp(0.0)", "1.0"),
    "exp2": (tnp.exp2, "2**x", "lax.exp2(3.0)", "8.0"),
    "expm1": (tnp.expm1, "e**x - 1", "lax.expm1(0.0)", "0.0"),
    "log": (tnp.log, "natural log", "lax.log(1.0)", "0.0"),
    "log1p": (tnp.log1p, "log(1 + x)", "lax.log1p(0.0)", "0.0"),
    "sqrt": (tnp.sqrt, "square root", "lax.sqrt(4.0)", "2.0"),
    "rsqrt": (_rsqrt, "1 / sqrt(x)", "lax.rsqrt(4.0)", "0.5"),
    "square": (tnp.square, "x * x", "lax.square(3.0)", "9.0"),
    "reciprocal": (tnp.reciprocal, "1 / x", "lax.reciprocal(4.0)", "0.25"),
    "sin": (tnp.sin, "sine", "lax.sin(0.0)", "0.0"),
    "cos": (tnp.cos, "cosine", "lax.cos(0.0)", "1.0"),
    "tan": (tnp.tan, "tangent", "lax.tan(0.0)", "0.0"),
    "asin": (tnp.arcsin, "arcsine", "lax.asin(0.0)", "0.0"),
    "acos": (tnp.arccos, "arccosine", "lax.acos(1.0)", "0.0"),
    "atan": (tnp.arctan, "arctangent", "lax.atan(0.0)", "0.0"),
    "sinh": (tnp.sinh, "hyperbolic sine", "lax.sinh(0.0)", "0.0"),
    "cosh": (tnp.cosh, "hyperbolic cosine", "lax.cosh(0.0)", "1.0"),
    "tanh": (tnp.tanh, "hyperbolic tangent", "lax.tanh(0.0)", "0.0"),
    "asinh": (tnp.arcsinh, "inverse sinh", "lax.asinh(0.0)", "0.0"),
    "acosh": (tnp.arccosh, "inverse cosh", "lax.acosh(1.0)", "0.0"),
    "atanh": (tnp.arctanh, "inverse tanh", "lax.atanh(0.0)", "0.0"),
    "real": (tnp.real, "real part", "lax.real(1.0 + 2.0j)", "1.0"),
    "imag": (tnp.imag, "imaginary part", "lax.imag(1.0 + 2.0j)", "2.0"),
    "conj": (tnp.conj, "complex conjugate", "lax.conj(1.0 + 2.0j)", "(1-2j)"),
    "logistic": (special.expit, "1 / (1 + e**-x)", "lax.logistic(0.0)", "0.5"),
    "erf": (special.erf, "the error function", "lax.erf(0.0)", "0.0"),
    "erfc": (special.erfc, "1 - erf(x)", "lax.erfc(0.0)", "1.0"),
    "erf_inv": (special.erfinv, "the inverse of erf", "lax.erf_inv(0.0)", "0.0"),
    "lgamma": (special.gammaln, "log |gamma(x)|", "lax.lgamma(1.0)", "0.0"),
    "digamma": (special.digamma, "d/dx log gamma(x)", "lax.digamma(1.0).round(6)", "-0.577216"),
    "bessel_i0e": (special.i0e, "e**-|x| I0(x)", "lax.bessel_i0e(0.0)", "1.0"),
    "bessel_i1e": (special.i1e, "e**-|x| I1(x)", "lax.bessel_i1e(0.0)", "0.0"),
}
for _name, (_fn, _what, _ex, _res) in _UNARY.items():
    globals()[_name] = _unary(_name, _fn, _doc(_name, _what + ".", _ex, _res))
del _name, _fn, _what, _ex, _res

igamma = _binary("igamma", special.gammainc, _doc("igamma", "the regularized lower incomplete gamma P(a, x).", "lax.igamma(1.0, 0.0)", "0.0"))  # fmt: skip  # noqa: E501
igammac = _binary("igammac", special.gammaincc, _doc("igammac", "1 - igamma(a, x).", "lax.igammac(1.0, 0.0)", "1.0"))  # fmt: skip  # noqa: E501
polygamma = _binary("polygamma", special.polygamma, _doc("polygamma", "the m-th derivative of digamma.", "lax.polygamma(0.0, 1.0).round(6)", "-0.577216"))  # fmt: skip  # noqa: E501
zeta = _binary("zeta", special.zeta, _doc("zeta", "the Hurwitz zeta function.", "lax.zeta(2.0, 1.0).round(6)", "1.644934"))  # fmt: skip  # noqa: E501


def complex(x: Any, y: Any) -> Any:  # noqa: A001
    """``jax.lax.complex``: ``x + 1j * y`` from two real arrays of one float dtype.

    Examples:
        >>> print(lax.complex(1.0, 2.0))
        (1+2j)
    """
    x, y = operands("complex", x, y)
    if np.dtype(x.dtype).kind != "f":
        raise errors.DTypeError(errors.at_user_line(f"lax.complex needs floats, got {x.dtype}"))
    unit = np.asarray(1j, np.result_type(x.dtype, np.complex64))
    return x + unit * y
