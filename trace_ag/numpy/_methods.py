"""Operators and methods of tracers, and NumPy's dispatch protocols, all routed to
``trace_ag.numpy`` so that ``x + y``, ``x[i]``, ``x.sum()`` and even ``np.sin(x)`` on a tracer
record primitives. A NumPy function trace_ag does not have raises ``UnsupportedFunctionError``.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag.core import Array, Tracer

ADD_PRIMITIVE_HINT = (
    "To add it, declare a Primitive (impl, shape rule, vjp rule, JAX lowering) in "
    "trace_ag/primitives/ and its NumPy-named wrapper in trace_ag/numpy/ (see "
    "docs/adding_a_primitive.md), or write it with existing trace_ag.numpy functions."
)


def unsupported(name: str) -> errors.UnsupportedFunctionError:
    return errors.UnsupportedFunctionError(
        errors.at_user_line(
            f"numpy.{name} is not supported by trace_ag.numpy. {ADD_PRIMITIVE_HINT}"
        )
    )


def _swap(fn):
    return lambda self, other: fn(other, self)


def attach(tnp: types.ModuleType) -> None:
    """Give ``Tracer`` NumPy's operators and the array methods users expect."""
    binary = {
        "add": tnp.add,
        "sub": tnp.subtract,
        "mul": tnp.multiply,
        "truediv": tnp.divide,
        "floordiv": tnp.floor_divide,
        "mod": tnp.remainder,
        "pow": tnp.power,
        "matmul": tnp.matmul,
    }
    for name, fn in binary.items():
        setattr(Tracer, f"__{name}__", lambda self, other, fn=fn: fn(self, other))
        setattr(Tracer, f"__r{name}__", _swap(fn))
    comparisons = {
        "eq": tnp.equal,
        "ne": tnp.not_equal,
        "lt": tnp.less,
        "le": tnp.less_equal,
        "gt": tnp.greater,
        "ge": tnp.greater_equal,
        "and": tnp.logical_and,
        "or": tnp.logical_or,
        "xor": tnp.logical_xor,
    }
    for name, fn in comparisons.items():
        setattr(Tracer, f"__{name}__", lambda self, other, fn=fn: fn(self, other))
    for name in ("and", "or", "xor"):
        setattr(Tracer, f"__r{name}__", _swap(comparisons[name]))
    Tracer.__neg__ = lambda self: tnp.negative(self)
    Tracer.__pos__ = lambda self: self
    Tracer.__abs__ = lambda self: tnp.abs(self)
    Tracer.__invert__ = lambda self: tnp.logical_not(self)
    Tracer.__getitem__ = lambda self, index: tnp.getitem(self, index)
    Tracer.T = property(lambda self: tnp.transpose(self))
    Tracer.mT = property(lambda self: tnp.swapaxes(self, -1, -2))
    Tracer.reshape = lambda self, *shape: tnp.reshape(self, shape[0] if len(shape) == 1 else shape)
    Tracer.transpose = lambda self, *axes: tnp.transpose(
        self, (axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes) or None
    )
    Tracer.flatten = Tracer.ravel = lambda self: tnp.ravel(self)
    Tracer.astype = lambda self, dtype: tnp.astype(self, dtype)
    Tracer.at = Array.at = property(lambda self: tnp.at(self))  # JAX's x.at[idx].set(v) & co
    Array.__getitem__ = _array_getitem
    for name in (
        "sum",
        "mean",
        "max",
        "min",
        "prod",
        "var",
        "std",
        "any",
        "all",
        "argmax",
        "argmin",
        "cumsum",
        "squeeze",
        "swapaxes",
        "clip",
        "dot",
    ):
        setattr(Tracer, name, getattr(tnp, name))
    Tracer.__array_ufunc__ = _array_ufunc(tnp)
    Tracer.__array_function__ = _array_function(tnp)


def _array_ufunc(tnp):
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        fn = getattr(tnp, ufunc.__name__, None)
        if method != "__call__" or kwargs or fn is None:
            raise unsupported(
                f"{ufunc.__name__}{'' if method == '__call__' else '.' + method}"
                f"{' with ' + ', '.join(kwargs) if kwargs else ''}"
            )
        return fn(*inputs)

    return __array_ufunc__


def _array_function(tnp):
    def __array_function__(self, func, types, args, kwargs):
        fn = _counterpart(tnp, func)
        if fn is None or getattr(fn, "__module__", "").startswith("numpy"):
            module = (func.__module__ or "numpy").removeprefix("numpy").lstrip(".")
            name = f"{module}.{func.__name__}" if module else func.__name__
            if module == "lib.scimath":
                name += " (numpy.emath: complex results, which trace_ag does not support yet)"
            raise unsupported(name)
        return fn(*args, **kwargs)

    return __array_function__


def _counterpart(tnp, func):
    """The trace_ag function for the NumPy function ``func``: matched by identity with NumPy's
    top-level function (or ``numpy.linalg``'s) of that name, never by name alone, which would
    send ``np.emath.sqrt`` (complex for negative inputs) to the real ``tnp.sqrt``."""
    import numpy as np

    name = func.__name__
    if getattr(np, name, None) is func:
        return getattr(tnp, name, None)
    if getattr(np.linalg, name, None) is func:
        return getattr(tnp.linalg, name, None)
    return None


def _array_getitem(self: Array, index: Any) -> Any:
    """``table[i]`` with a traced ``i`` (an embedding lookup under jit) records a gather, as
    on a JAX array; any other index is NumPy's."""
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(p, Tracer) for p in parts):
        from trace_ag.numpy import getitem

        return getitem(self, index)
    return np.ndarray.__getitem__(self, index)
