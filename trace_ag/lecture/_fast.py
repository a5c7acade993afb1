"""The fast path of Scalar operations: a recorded operation replayed instead of traced again.

The first time an operator (``x * 2.0``, ``x.relu()``, ...) meets a given kind of operands
(Scalars and Python floats; ints and bools by value, since ``x ** 2`` records
``integer_pow[y=2]``), it is traced as usual and kept as a *template*: its equations, with a
placeholder ``Var`` where each operand goes. Later calls with operands of the same kinds run the
template's primitives' NumPy impls on the new values and copy its equations with fresh ``Var``s,
the operand ``Var``s and ``Lit``s put in the placeholders' places. The equations are the ones
tracing records (checked when the template is made: a template that would record anything
else is never used), so ``backward()`` applies the same primitives' vjp rules: no derivative is
written here, only the tracing machinery is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trace_ag.core import EVAL, Eqn, Lit, Var, current_interpreter

_NOT_REPLAYABLE = object()
_templates: dict[tuple, Any] = {}
_MAX_TEMPLATES = 4096  # int operands are keyed by value: bounded, cleared when full


def operand_kinds(operands: tuple, scalar_cls: type) -> tuple | None:
    """The template key of these operands, or None when the fast path does not apply."""
    kinds = []
    for x in operands:
        t = type(x)
        if t is scalar_cls:
            kinds.append("s")
        elif t is float:
            kinds.append("f")
        elif t is int or t is bool:
            kinds.append((t, x))
        else:
            return None
    return tuple(kinds)


class Template:
    """The equations one operation recorded, with placeholders for its operands."""

    __slots__ = ("eqns", "placeholders", "out")

    def __init__(self, eqns: list[Eqn], placeholders: list[Var | None], out: Var):
        self.eqns, self.placeholders, self.out = eqns, placeholders, out

    def replay(self, operands: tuple) -> tuple[list[Eqn], dict[Var, Any], Var, Any]:
        """(equations, values of their Vars, output Var, output value) for new operands."""
        subst: dict[Var, Var | Lit] = {}
        env: dict[Var, Any] = {}
        for slot, x in zip(self.placeholders, operands, strict=True):
            if slot is None:
                continue
            if type(x) is float:
                subst[slot] = Lit(np.float64(x))
            else:
                subst[slot] = x._var
                env[x._var] = x._data()
        eqns = []
        for eqn in self.eqns:
            atoms = [subst.get(a, a) if isinstance(a, Var) else a for a in eqn.inputs]
            values = [a.value if isinstance(a, Lit) else env[a] for a in atoms]
            out = eqn.primitive.impl(*values, **eqn.params)
            outs = out if eqn.primitive.multiple_results else (out,)
            new = [Var(v.aval) for v in eqn.outputs]
            for old, var, value in zip(eqn.outputs, new, outs, strict=True):
                subst[old] = var
                env[var] = value
            eqns.append(Eqn(eqn.primitive, atoms, eqn.params, new))
        out_var = subst[self.out]
        return eqns, env, out_var, env[out_var]


def _var_map(replayed: list[Eqn], traced: list[Eqn]) -> dict[Var, Var] | None:
    """How the replayed equations' Vars name the traced ones', if the two lists are the same
    equations up to those names; else None."""
    if len(replayed) != len(traced):
        return None
    names: dict[Var, Var] = {}
    for a, b in zip(replayed, traced, strict=True):
        same = (
            a.primitive is b.primitive
            and a.params == b.params
            and len(a.inputs) == len(b.inputs)
            and len(a.outputs) == len(b.outputs)
        )
        if not same:
            return None
        for x, y in zip(a.inputs, b.inputs, strict=True):
            if isinstance(x, Lit) != isinstance(y, Lit):
                return None
            if isinstance(x, Lit) and not _same_value(x.value, y.value):
                return None
            if isinstance(x, Var) and names.get(x, x) is not y:
                return None
        for x, y in zip(a.outputs, b.outputs, strict=True):
            if x.aval != y.aval:
                return None
            names[x] = y
    return names


def _same_value(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.tobytes() == b.tobytes()


def make_template(
    record: Callable, op: str, fn: Callable, operands: tuple, scalar_cls: type, traced: Any
) -> Any:
    """A template from tracing ``fn`` with a fresh Scalar in each Scalar's and float's place
    (fresh for each position, so ``x * x`` and ``x * y`` share one template with two
    placeholders), checked against ``traced`` (the node recorded from the real operands); or
    ``_NOT_REPLAYABLE``."""
    stand_ins = tuple(
        scalar_cls(x.value if isinstance(x, scalar_cls) else x) if k in ("s", "f") else x
        for x, k in zip(operands, operand_kinds(operands, scalar_cls), strict=True)
    )
    probe = record(op, fn, *stand_ins, _templating=False)
    if not isinstance(probe, scalar_cls) or not probe._eqns:
        return _NOT_REPLAYABLE
    slots = [x._var if isinstance(x, scalar_cls) else None for x in stand_ins]
    if len({id(v) for v in slots if v is not None}) != sum(v is not None for v in slots):
        return _NOT_REPLAYABLE
    template = Template(probe._eqns, slots, probe._var)
    eqns, _, out_var, value = template.replay(operands)
    names = _var_map(eqns, traced._eqns) if isinstance(traced, scalar_cls) else None
    consistent = (
        names is not None
        and names.get(out_var) is traced._var
        and _same_value(value, traced._data())
    )
    return template if consistent else _NOT_REPLAYABLE


def lookup(key: tuple) -> Any:
    """The template for this key: a Template, ``_NOT_REPLAYABLE``, or None (not made yet)."""
    if current_interpreter() is not EVAL:
        return _NOT_REPLAYABLE  # under a transform: trace as usual
    return _templates.get(key)


def remember(key: tuple, template: Any) -> None:
    if len(_templates) >= _MAX_TEMPLATES:
        _templates.clear()
    _templates[key] = template


NOT_REPLAYABLE = _NOT_REPLAYABLE
