"""The graph IR and the abstract values it is typed with: ``Aval`` (shape and dtype, no data),
``Var`` (a single-assignment value), ``Lit`` (an inline scalar), ``Eqn`` (one primitive
application) and ``Graph`` (a traced function).

IR grammar (printed by ``ir_print``)::

    Graph ::= { lambda invars ; constvars . let Eqn* in ( outvars ) }
    Eqn   ::= outvars = primitive[params] atoms
    Atom  ::= Var | Lit
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from trace_ag.core import Primitive

# ---------------------------------------------------------------- abstract values

_SHORT_DTYPE = {"float": "f", "int": "i", "uint": "u", "complex": "c"}


@dataclass(frozen=True, slots=True)
class Aval:
    """An abstract value: the shape and dtype of an array, no data."""

    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def str_short(self) -> str:
        name = self.dtype.name
        for long, short in _SHORT_DTYPE.items():
            if name.startswith(long) and name[len(long) :].isdigit():
                name = short + name[len(long) :]
        return f"{name}[{','.join(map(str, self.shape))}]"

    def __repr__(self) -> str:
        return self.str_short()


def aval_of(x: Any) -> Aval:
    """The aval of a tracer, a NumPy array or scalar, or a Python number."""
    if isinstance(x, (np.ndarray, np.generic)) or hasattr(x, "__array__"):  # tracers too
        return Aval(tuple(x.shape), np.dtype(x.dtype))
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError(f"{type(x).__name__} is not a valid array value: {x!r:.80}")
    return Aval(arr.shape, arr.dtype)


def zeros_like(x: Any) -> np.ndarray:
    """Concrete zeros shaped like ``x`` (an array, tracer or number): the materialized form
    of a zero cotangent or tangent."""
    aval = aval_of(x)
    return np.zeros(aval.shape, aval.dtype)


def dtype_of(x: Any) -> np.dtype:
    """The dtype of an array, tracer or Python number (NumPy's default for numbers)."""
    dtype = getattr(x, "dtype", None)
    return np.dtype(dtype) if dtype is not None else np.result_type(x)


def is_float(dtype: np.dtype) -> bool:
    return np.issubdtype(dtype, np.floating)


def is_inexact(dtype: np.dtype) -> bool:
    """Float or complex: the dtypes that carry derivatives."""
    return np.issubdtype(dtype, np.inexact)


def is_complex(dtype: np.dtype) -> bool:
    return np.issubdtype(dtype, np.complexfloating)


# ---------------------------------------------------------------- the IR


class Var:
    """A graph variable: one single-assignment value, compared by identity."""

    __slots__ = ("aval",)

    def __init__(self, aval: Aval):
        self.aval = aval

    def __repr__(self) -> str:
        return f"Var<{self.aval.str_short()}>"


class Lit:
    """A literal: a scalar constant written inline in an equation."""

    __slots__ = ("value", "aval")

    def __init__(self, value: Any):
        self.value = value
        self.aval = aval_of(value)

    def __repr__(self) -> str:
        return f"Lit({self.value!r})"


Atom = Var | Lit


@dataclass(slots=True)
class Eqn:
    """One primitive application: ``outputs = primitive[params](*inputs)``."""

    primitive: Primitive
    inputs: list[Atom]
    params: dict[str, Any]
    outputs: list[Var]


@dataclass
class Graph:
    """A traced function: inputs, equations in execution order, outputs, captured constants."""

    invars: list[Var]
    eqns: list[Eqn]
    outvars: list[Atom]
    constvars: list[Var] = field(default_factory=list)
    constvals: list[Any] = field(default_factory=list)
    # what is derived from this graph once and freed with it: generated code, jitted rules
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __str__(self) -> str:
        from trace_ag.ir_print import graph_to_str

        return graph_to_str(self)

    __repr__ = __str__
