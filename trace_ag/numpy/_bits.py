"""Bitwise functions of ``trace_ag.numpy`` (``bitwise_and``, ``left_shift``, ...), the
integer meaning of the tracer operators ``&``, ``|``, ``^``, ``~``, ``<<`` and ``>>``, and
``argsort`` (its primitive lives with the bit primitives: ``trace_ag.random`` sorts random bits).

As in NumPy, ``&``, ``|``, ``^`` and ``~`` are bitwise on integers and logical on booleans;
``>>`` is arithmetic on signed integers and logical on unsigned ones. Operands are promoted
like NumPy 2 (Python ints weak: ``uint32_array ^ 0x1BD11BDA`` stays uint32).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag.core import Tracer
from trace_ag.numpy._base import asarray_or_tracer, normalize_axis, promote
from trace_ag.numpy._shape import ravel as tnp_ravel
from trace_ag.primitives import bits
from trace_ag.primitives import elementwise as ew


def _integer_operands(name: str, *args: Any) -> list:
    args = promote(*args)
    dtype = np.dtype(args[0].dtype) if hasattr(args[0], "dtype") else np.result_type(args[0])
    if dtype.kind not in "biu":
        raise TypeError(
            f"{name} needs integer or boolean operands, got {dtype}; convert with tnp.astype "
            "(or reinterpret a float's bits with bitcast_convert_type)"
        )
    return args


def _logical_or_bitwise(name: str, logical, bitwise):
    def fn(x: Any, y: Any) -> Any:
        x, y = _integer_operands(name, x, y)
        return (logical if x.dtype == np.bool_ else bitwise).bind(x, y)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``numpy.{name}`` (logical on booleans); no gradient."
    return fn


bitwise_and = _logical_or_bitwise("bitwise_and", ew.logical_and, bits.bitwise_and)
bitwise_or = _logical_or_bitwise("bitwise_or", ew.logical_or, bits.bitwise_or)
bitwise_xor = _logical_or_bitwise("bitwise_xor", ew.logical_xor, bits.bitwise_xor)


def invert(x: Any) -> Any:
    """``~x``: bitwise not of integers, logical not of booleans, like ``numpy.invert``."""
    (x,) = _integer_operands("invert", x)
    return (ew.logical_not if x.dtype == np.bool_ else bits.bitwise_not).bind(x)


bitwise_not = bitwise_invert = invert


def _shift_operands(name: str, x: Any, y: Any) -> list:
    x, y = _integer_operands(name, x, y)
    if x.dtype == np.bool_:
        raise TypeError(f"{name} needs integer operands, got bool")
    return [x, y]


def left_shift(x: Any, y: Any) -> Any:
    """``x << y`` (0 once ``y`` reaches the bit width), like ``numpy.left_shift``."""
    return bits.shift_left.bind(*_shift_operands("left_shift", x, y))


def right_shift(x: Any, y: Any) -> Any:
    """``x >> y``: arithmetic for signed integers, logical for unsigned, like NumPy."""
    x, y = _shift_operands("right_shift", x, y)
    prim = bits.shift_right_logical if x.dtype.kind == "u" else bits.shift_right_arithmetic
    return prim.bind(x, y)


bitwise_left_shift, bitwise_right_shift = left_shift, right_shift


def bitcast_convert_type(x: Any, new_dtype: Any) -> Any:
    """The bits of ``x`` read as ``new_dtype`` of the same width, like
    ``jax.lax.bitcast_convert_type`` (``uint32`` -> ``float32``, ``uint64`` -> ``float64``)."""
    x = asarray_or_tracer(x)
    new_dtype = np.dtype(new_dtype)
    return x if x.dtype == new_dtype else bits.bitcast_convert_type.bind(x, new_dtype=new_dtype)


def _is_integer(x: Any) -> bool:
    dtype = getattr(x, "dtype", None)
    return dtype is not None and np.dtype(dtype).kind in "iu"


def attach_operators() -> None:
    """Make ``&``, ``|``, ``^``, ``~`` bitwise when a tracer holds integers (they stay logical
    otherwise, as ``trace_ag.numpy._methods`` defines them), and give tracers ``<<``/``>>``."""
    for name, fn in (("and", bitwise_and), ("or", bitwise_or), ("xor", bitwise_xor)):
        logical = getattr(Tracer, f"__{name}__")
        r_logical = getattr(Tracer, f"__r{name}__")

        def op(self, other, fn=fn, logical=logical):
            return fn(self, other) if _is_integer(self) else logical(self, other)

        def rop(self, other, fn=fn, r_logical=r_logical):
            return fn(other, self) if _is_integer(self) else r_logical(self, other)

        setattr(Tracer, f"__{name}__", op)
        setattr(Tracer, f"__r{name}__", rop)
    logical_not = Tracer.__invert__
    Tracer.__invert__ = lambda self: invert(self) if _is_integer(self) else logical_not(self)
    Tracer.__lshift__ = lambda self, other: left_shift(self, other)
    Tracer.__rlshift__ = lambda self, other: left_shift(other, self)
    Tracer.__rshift__ = lambda self, other: right_shift(self, other)
    Tracer.__rrshift__ = lambda self, other: right_shift(other, self)


def argsort(x: Any, axis: int | None = -1, kind: Any = None, stable: Any = None) -> Any:
    """Indices that sort ``x`` along ``axis`` (``None``: flattened), like ``numpy.argsort``.
    Always a stable sort (``kind`` and ``stable`` are accepted for NumPy's signature); no
    gradient.

    Examples:
        >>> argsort(np.array([3, 1, 2, 1]))
        array([1, 3, 2, 0])
    """
    x = asarray_or_tracer(x)
    if axis is None:
        x, axis = tnp_ravel(x), 0
    if x.ndim == 0:
        raise ValueError("argsort needs an array of at least one dimension")
    return bits.argsort.bind(x, axis=normalize_axis(axis, x.ndim, "argsort"))
