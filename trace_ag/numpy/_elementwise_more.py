"""More of NumPy's elementwise functions (rounding, sign bits, float decomposition, integer
gcd/lcm, bit counts), as composites of ``trace_ag.numpy`` functions.

Values follow NumPy (dtype rules included); derivatives follow JAX, which treats the rounding
functions as flat and the exponent outputs as integers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag.numpy import _bits as bt
from trace_ag.numpy import _more_stats as st
from trace_ag.numpy import _shape as shp
from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, cast, promote, promote_float
from trace_ag.primitives import special as sp

_INT_OF_WIDTH = {2: np.int16, 4: np.int32, 8: np.int64}


def _float_operand(name: str, x: Any) -> Any:
    (x,) = promote_float(x)
    if np.issubdtype(x.dtype, np.complexfloating):
        raise TypeError(f"{name}: complex input is not supported (got {x.dtype})")
    return x


def _is_int(x: Any) -> bool:
    return np.dtype(x.dtype).kind in "iub"


def cbrt(x: Any) -> Any:
    """The real cube root (negative for negative ``x``).

    Examples:
        >>> tnp.cbrt(np.array([-8.0, 27.0]))
        array([-2.,  3.])
    """
    x = _float_operand("cbrt", x)
    return uf.sign(x) * uf.abs(x) ** (1 / 3)


def signbit(x: Any) -> Any:
    """True where the sign bit is set (``-0.0`` and negative nans included), from the bits."""
    (x,) = promote(x)
    if _is_int(x):
        return uf.less(x, 0)
    x = _float_operand("signbit", x)
    return uf.less(bt.bitcast_convert_type(x, _INT_OF_WIDTH[x.dtype.itemsize]), 0)


def copysign(x1: Any, x2: Any) -> Any:
    """``|x1|`` with the sign of ``x2`` (its sign bit, so ``-0.0`` counts as negative)."""
    x1, x2 = promote_float(x1, x2)
    magnitude = uf.abs(x1)
    return uf.where(signbit(x2), -magnitude, magnitude)


def fmod(x1: Any, x2: Any) -> Any:
    """C's remainder: the sign of the dividend ``x1`` (``remainder`` takes the divisor's).

    Examples:
        >>> tnp.fmod(np.array([-7, 7]), 3)
        array([-1,  1])
    """
    x1, x2 = promote(x1, x2)
    rem = uf.remainder(x1, x2)
    # floor-mod and C's remainder differ by one divisor where the signs of rem and x1 differ
    fix = uf.logical_and(uf.not_equal(rem, 0), uf.not_equal(uf.less(rem, 0), uf.less(x1, 0)))
    return uf.where(fix, rem - x2, rem)


def trunc(x: Any) -> Any:
    """Round toward zero (integers pass through, as in NumPy)."""
    (x,) = promote(x)
    if _is_int(x):
        return x
    return uf.where(uf.less(x, 0), uf.ceil(x), uf.floor(x))


def rint(x: Any) -> Any:
    """Round to the nearest integer, halves to even; ints become floats, as in NumPy."""
    x = _float_operand("rint", x)
    return uf.round(x)


def heaviside(x1: Any, x2: Any) -> Any:
    """0 for ``x1 < 0``, ``x2`` at 0, 1 for ``x1 > 0`` (nan stays nan)."""
    x1, x2 = promote_float(x1, x2)
    step = uf.where(uf.less(x1, 0), 0, uf.where(uf.greater(x1, 0), 1, x2))
    return cast(uf.where(uf.isnan(x1), x1, step), x1.dtype)


def ldexp(x1: Any, x2: Any) -> Any:
    """``x1 * 2**x2`` for an integer ``x2``.

    Examples:
        >>> tnp.ldexp(np.array([1.5, -1.0]), np.array([2, -1]))
        array([ 6. , -0.5])
    """
    x2 = asarray_or_tracer(x2)
    if not _is_int(x2):
        raise TypeError(f"ldexp: the exponent must be an integer array, got {x2.dtype}")
    x1 = _float_operand("ldexp", x1)
    # two factors, each a power of two representable on its own, so extreme x2 stays exact
    half = uf.floor_divide(x2, 2)
    return x1 * uf.exp2(cast(half, x1.dtype)) * uf.exp2(cast(x2 - half, x1.dtype))


def frexp(x: Any) -> tuple[Any, Any]:
    """Mantissa in ``[0.5, 1)`` (with ``x``'s sign) and an int32 exponent, ``x = m * 2**e``;
    0, inf and nan give ``(x, 0)`` as in NumPy.

    Examples:
        >>> m, e = tnp.frexp(np.array([8.0, -0.375, 0.0]))
        >>> m, e
        (array([ 0.5 , -0.75,  0.  ]), array([ 4, -1,  0], dtype=int32))
    """
    x = _float_operand("frexp", x)
    special = uf.logical_or(uf.equal(x, 0), uf.logical_not(uf.isfinite(x)))
    safe = uf.where(special, 1, uf.abs(x))
    exponent = uf.floor(uf.log2(safe)) + 1
    mantissa = ldexp(safe, cast(-exponent, np.dtype(np.int64)))
    # log2 can be off by one just below a power of two: renormalize once each way
    high, low = uf.greater_equal(mantissa, 1), uf.less(mantissa, 0.5)
    mantissa = uf.where(high, mantissa / 2, uf.where(low, mantissa * 2, mantissa))
    exponent = exponent + uf.where(high, 1, 0) - uf.where(low, 1, 0)
    mantissa = uf.where(special, x, copysign(mantissa, x))
    return mantissa, uf.where(special, 0, uf.astype(exponent, np.int32))


def modf(x: Any) -> tuple[Any, Any]:
    """Fractional and integral parts, both with ``x``'s sign (``modf(inf) = (0, inf)``)."""
    x = _float_operand("modf", x)
    whole = trunc(x)
    with np.errstate(invalid="ignore"):  # inf - inf, replaced below (NumPy does not warn)
        frac = uf.where(uf.isinf(x), copysign(0.0, x), x - whole)
    return frac, whole


def divmod(x1: Any, x2: Any) -> tuple[Any, Any]:  # noqa: A001  (NumPy's name)
    """``(floor_divide(x1, x2), remainder(x1, x2))``."""
    return uf.floor_divide(x1, x2), uf.remainder(x1, x2)


def nextafter(x1: Any, x2: Any) -> Any:
    """The next float after ``x1`` toward ``x2``, stepping the bit pattern by one.

    Examples:
        >>> float(tnp.nextafter(1.0, 2.0) - 1.0) == float(np.finfo(np.float64).eps)
        True
    """
    x1, x2 = promote_float(x1, x2)
    x1, x2 = _float_operand("nextafter", x1), _float_operand("nextafter", x2)
    int_type = np.dtype(_INT_OF_WIDTH[x1.dtype.itemsize])
    bits = bt.bitcast_convert_type(x1, int_type)
    # away from zero is +1 on the magnitude's bits; toward zero is -1
    away = uf.equal(uf.less(x1, x2), uf.greater(x1, 0))
    stepped = bt.bitcast_convert_type(uf.where(away, bits + 1, bits - 1), x1.dtype)
    tiny = bt.bitcast_convert_type(np.ones((), int_type), x1.dtype)  # the least subnormal
    from_zero = uf.where(uf.less(x2, 0), -tiny, tiny)
    out = uf.where(uf.equal(x1, 0), from_zero, stepped)
    out = uf.where(uf.equal(x1, x2), x2, out)
    return uf.where(uf.logical_or(uf.isnan(x1), uf.isnan(x2)), x1 + x2, out)


def spacing(x: Any) -> Any:
    """The distance from ``x`` to the next float away from zero (negative for negative x)."""
    x = _float_operand("spacing", x)
    toward = uf.where(signbit(x), np.array(-np.inf, x.dtype), np.array(np.inf, x.dtype))
    return nextafter(x, toward) - x


def _integer_operands(name: str, *args: Any) -> list:
    args = promote(*args)
    if not all(np.dtype(a.dtype).kind in "iu" for a in args):
        raise TypeError(f"{name}: needs integer arrays, got {[str(a.dtype) for a in args]}")
    return args


def gcd(x1: Any, x2: Any) -> Any:
    """Greatest common divisor (non-negative), by Euclid's algorithm in a while loop.

    Examples:
        >>> tnp.gcd(np.array([12, -18, 0]), np.array([8, 12, 5]))
        array([4, 6, 5])
    """
    from trace_ag.control_flow import while_loop
    from trace_ag.numpy._reductions import any as any_

    x1, x2 = _integer_operands("gcd", x1, x2)
    a, b = shp.broadcast_arrays(uf.abs(x1), uf.abs(x2))

    def step(ab):
        a, b = ab
        nonzero = uf.not_equal(b, 0)
        rem = uf.remainder(a, uf.where(nonzero, b, 1))
        return uf.where(nonzero, b, a), uf.where(nonzero, rem, 0)

    return while_loop(lambda ab: any_(uf.not_equal(ab[1], 0)), step, (a, b))[0]


def lcm(x1: Any, x2: Any) -> Any:
    """Least common multiple (non-negative; 0 if either is 0).

    Examples:
        >>> tnp.lcm(np.array([4, -6, 0]), np.array([6, 4, 3]))
        array([12, 12,  0])
    """
    x1, x2 = _integer_operands("lcm", x1, x2)
    divisor = gcd(x1, x2)
    zero = uf.equal(divisor, 0)
    return uf.where(zero, 0, uf.abs(uf.floor_divide(x1, uf.where(zero, 1, divisor)) * x2))


def isposinf(x: Any) -> Any:
    """True at ``+inf``."""
    (x,) = promote(x)
    return uf.logical_and(uf.isinf(x), uf.greater(x, 0))


def isneginf(x: Any) -> Any:
    """True at ``-inf``."""
    (x,) = promote(x)
    return uf.logical_and(uf.isinf(x), uf.less(x, 0))


def float_power(x1: Any, x2: Any) -> Any:
    """``x1 ** x2`` computed in float64 (complex128 for complex operands), as NumPy does."""
    x1, x2 = promote(x1, x2)
    wide = np.complex128 if np.issubdtype(x1.dtype, np.complexfloating) else np.float64
    return uf.power(cast(x1, np.dtype(wide)), cast(x2, np.dtype(wide)))


def i0(x: Any) -> Any:
    """The modified Bessel function of order 0, as ``numpy.i0`` (real input only).

    Examples:
        >>> print(np.round(tnp.i0(np.array([0.0, 1.0])), 6))
        [1.       1.266066]
    """
    x = _float_operand("i0", x)
    return uf.exp(uf.abs(x)) * sp.bessel_i0e.bind(x)


def sort_complex(a: Any) -> Any:
    """Sorted by real part, then imaginary part, as a complex array."""
    a = asarray_or_tracer(a)
    small = a.dtype.char in "bhBH?"  # NumPy's rule: small integers give complex64
    complex_type = np.dtype(np.complex64 if small else np.complex128)
    if not np.issubdtype(a.dtype, np.complexfloating):
        return uf.astype(st.sort(a), complex_type)
    from trace_ag.numpy._complex import imag, real
    from trace_ag.numpy._sets import lexsort

    order = lexsort((imag(a), real(a)))
    return a[order]


def bitwise_count(x: Any) -> Any:
    """The number of 1 bits in ``|x|``, as uint8 (NumPy's popcount).

    Examples:
        >>> tnp.bitwise_count(np.array([0, 7, -1, 255]))
        array([0, 3, 1, 8], dtype=uint8)
    """
    (x,) = promote(x)
    if x.dtype == np.bool_:
        return uf.astype(x, np.uint8)
    (x,) = _integer_operands("bitwise_count", x)
    if x.dtype.kind == "i":
        x = uf.abs(x)
    count = uf.astype(x, np.uint8) * 0
    for k in range(8 * x.dtype.itemsize):
        count = count + uf.astype(bt.bitwise_and(bt.right_shift(x, k), 1), np.uint8)
    return count
