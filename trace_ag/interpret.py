"""Interpreting graphs: ``eval_graph`` (the template of every interpreter) and
``typecheck_graph`` (single assignment and avals, checked after every graph pass)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trace_ag.core import Graph, Lit, Var


def eval_graph(graph: Graph, *args: Any, apply: Callable | None = None) -> list[Any]:
    """Run ``graph`` on ``args``; each equation goes to ``apply(eqn, inputs)``, by default
    ``eqn.primitive.bind`` under the current interpreter (so an enclosing trace records it)."""
    env: dict[Var, Any] = dict(zip(graph.constvars, graph.constvals, strict=True))
    env.update(zip(graph.invars, args, strict=True))

    def read(atom: Var | Lit) -> Any:
        return atom.value if isinstance(atom, Lit) else env[atom]

    for eqn in graph.eqns:
        inputs = [read(a) for a in eqn.inputs]
        if apply is None:
            out = eqn.primitive.bind(*inputs, **eqn.params)
        else:
            out = apply(eqn, inputs)
        outs = out if eqn.primitive.multiple_results else (out,)
        env.update(zip(eqn.outputs, outs, strict=True))
    return [read(a) for a in graph.outvars]


class GraphTypeError(Exception):
    """A graph breaks single assignment, uses an undefined variable, or has a wrong aval."""


def typecheck_graph(graph: Graph) -> None:
    """Check that every variable is assigned once before use and every aval follows from the
    primitives' shape rules."""
    defined: set[Var] = set()

    def define(var: Var) -> None:
        if var in defined:
            raise GraphTypeError(f"{var} is assigned twice")
        defined.add(var)

    for var in [*graph.invars, *graph.constvars]:
        define(var)
    for i, eqn in enumerate(graph.eqns):
        for atom in eqn.inputs:
            if isinstance(atom, Var) and atom not in defined:
                raise GraphTypeError(
                    f"equation {i} ({eqn.primitive.name}) uses an undefined variable"
                )
        out = eqn.primitive.abstract_eval(*[a.aval for a in eqn.inputs], **eqn.params)
        avals = list(out) if isinstance(out, tuple) else [out]
        if avals != [v.aval for v in eqn.outputs]:
            raise GraphTypeError(
                f"equation {i} ({eqn.primitive.name}) declares "
                f"{[v.aval for v in eqn.outputs]} but its rule gives {avals}"
            )
        for var in eqn.outputs:
            define(var)
    for atom in graph.outvars:
        if isinstance(atom, Var) and atom not in defined:
            raise GraphTypeError("an output is not defined")


def last_uses(graph: Graph) -> dict[Var, int]:
    """For each variable, the index of the last equation that reads it (``len(eqns)`` for
    graph outputs)."""
    last: dict[Var, int] = {}
    for i, eqn in enumerate(graph.eqns):
        for atom in eqn.inputs:
            if isinstance(atom, Var):
                last[atom] = i
    for atom in graph.outvars:
        if isinstance(atom, Var):
            last[atom] = len(graph.eqns)
    return last
