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

When every primitive of a template has a ``float_impl``, the template is also lowered to Python
floats (a ``FloatOp``, see ``_floats``): its equations become ``make``, one generated function
that computes the value on floats and builds the Scalar, and its vjp (``backward_pass`` over
the template, traced once with abstract scalars from the primitives' own rules) becomes
``step``, one generated backward step. A Scalar made this way holds its FloatOp and the values
it was made from; its ``Var`` and equations are made from the template only when asked for
(``to_graph``, ``draw_dot``). Wherever a float result would be inf or nan, or a ``float_impl``
raises (``math.log(0)``, ``1.0 / 0.0``), NumPy computes it instead, so the values and warnings
are NumPy's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trace_ag import config
from trace_ag.core import EVAL, Eqn, Lit, Var, check_floats, current_interpreter
from trace_ag.lecture import _floats

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
        atoms: list[Var | Lit | None] = []
        env: dict[Var, Any] = {}
        for slot, x in zip(self.placeholders, operands, strict=True):
            if slot is None:
                atoms.append(None)
            elif type(x) is float:
                atoms.append(Lit(np.float64(x)))
            else:
                atoms.append(x._var)
                env[x._var] = x._data()
        return self.instantiate(atoms, env, None)

    def instantiate(
        self, atoms: list[Var | Lit | None], env: dict[Var, Any], out_var: Var | None
    ) -> tuple[list[Eqn], dict[Var, Any], Var, Any]:
        """``replay`` with the operands given as atoms (one per placeholder, None where it has
        none) whose Vars' values are in ``env``; the output is ``out_var`` when given."""
        subst: dict[Var, Var | Lit] = {
            slot: atom for slot, atom in zip(self.placeholders, atoms, strict=True) if slot
        }
        eqns = []
        for eqn in self.eqns:
            ins = [subst.get(a, a) if isinstance(a, Var) else a for a in eqn.inputs]
            values = [a.value if isinstance(a, Lit) else env[a] for a in ins]
            out = eqn.primitive.impl(*values, **eqn.params)
            outs = out if eqn.primitive.multiple_results else (out,)
            if config.DEBUG_FLOATS[0]:  # debug_nans / debug_infs, as evaluation checks
                check_floats(eqn.primitive.name, outs)
            new = [
                out_var if old is self.out and out_var is not None else Var(old.aval)
                for old in eqn.outputs
            ]
            for old, var, value in zip(eqn.outputs, new, outs, strict=True):
                subst[old] = var
                env[var] = value
            eqns.append(Eqn(eqn.primitive, ins, eqn.params, new))
        out_var = subst[self.out]
        return eqns, env, out_var, env[out_var]


class FloatOp:
    """A template lowered to Python floats.

    ``make(*operands)`` is the Scalar made from operands of the template's kinds (see
    ``_floats.lower_maker``); ``forward(*slots)`` only its value, from the values of the operands
    that are Scalars or floats (in operand order); ``step(node, unseen)`` the backward step of a
    Scalar it made (see ``_floats.lower_step``), traced from the primitives' vjp rules. All
    raise one of ``_floats.FAILURES`` where NumPy would warn; then NumPy's path runs instead.
    """

    __slots__ = ("op", "template", "kinds", "forward", "step", "make")

    def __init__(self, op: str, template: Template, kinds: tuple, forward, step):
        self.op, self.template, self.kinds = op, template, kinds
        self.forward, self.step = forward, step
        self.make = None  # make(*operands) -> the Scalar (see _floats.lower_maker)

    def materialize(self, inputs: list, args: tuple, out_var: Var | None):
        """The template's equations for a Scalar made by ``make``: its Scalar ``inputs``, its
        ``args`` (output value, then the slots' values). Returns ``instantiate``'s tuple."""
        scalars = iter(inputs)
        values = iter(args[1:])
        atoms: list[Var | Lit | None] = []
        env: dict[Var, Any] = {}
        for kind in self.kinds:
            if kind == "s":
                var = next(scalars)._var
                atoms.append(var)
                env[var] = np.float64(next(values))
            elif kind == "f":
                atoms.append(Lit(np.float64(next(values))))
            else:
                atoms.append(None)
        return self.template.instantiate(atoms, env, out_var)


def lower_to_floats(op: str, template: Any, kinds: tuple, scalar_parts: dict) -> Any:
    """``template`` (a Template, or anything else: returned as it is) as a FloatOp when all its
    primitives have a ``float_impl`` and their vjp rules trace on scalars; else ``template``.
    ``scalar_parts`` is what its ``make`` builds Scalars with (see ``_floats.lower_maker``)."""
    if not isinstance(template, Template):
        return template
    slots = [v for v in template.placeholders if v is not None]
    forward = _floats.lower(slots, template.eqns, [template.out], f"{op}_forward")
    if forward is None:
        return template
    differentiated = [k == "s" for k in kinds if k in ("s", "f")]
    pulled = _floats.pullback_graph(template.eqns, slots, template.out, differentiated)
    if pulled is None:
        return template
    params, eqns, cts = pulled
    step = _floats.lower_step(params, eqns, cts, f"{op}_step")
    if step is None:
        return template
    float_op = FloatOp(op, template, kinds, forward, step)
    parts = {**scalar_parts, "op": op, "float_op": float_op}
    float_op.make = _floats.lower_maker(slots, template.eqns, template.out, kinds, op, parts)
    return float_op if float_op.make is not None else template


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


def forget() -> None:
    """Drop all templates (and FloatOps)."""
    _templates.clear()


def remember(key: tuple, template: Any) -> None:
    if len(_templates) >= _MAX_TEMPLATES:
        _templates.clear()
    _templates[key] = template


NOT_REPLAYABLE = _NOT_REPLAYABLE
