"""Interpreting graphs: ``eval_graph`` (the template of every interpreter),
``typecheck_graph`` (single assignment and avals, checked after every graph pass), and the
value and gradient of every variable (``variable_values``, ``variable_grads``; the lecture's
pictures show them on the nodes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trace_ag import errors
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


def variable_values(graph: Graph, *args: Any) -> dict[Var, Any]:
    """Every variable's value when ``graph`` runs on ``args`` (inputs, constants, equations)."""
    seen: dict[Var, Any] = dict(zip(graph.invars, args, strict=True))
    seen.update(zip(graph.constvars, graph.constvals, strict=True))

    def record(eqn, inputs):
        out = eqn.primitive.impl(*inputs, **eqn.params)
        seen.update(
            zip(eqn.outputs, out if eqn.primitive.multiple_results else (out,), strict=True)
        )
        return out

    eval_graph(graph, *args, apply=record)
    return seen


def variable_grads(graph: Graph, *args: Any) -> dict[Var, Any]:
    """The gradient of the graph's first output (a float scalar) with respect to every float
    variable: ``grad`` of the graph with a zero added to each variable, so the one set of vjp
    rules computes what the lecture's ``.backward()`` leaves in each node's ``grad``."""
    from trace_ag.autodiff import grad

    out = graph.outvars[0] if graph.outvars else None
    if out is None or out.aval.shape != () or not np.issubdtype(out.aval.dtype, np.floating):
        raise TypeError(
            errors.at_user_line(
                "variable_grads: gradients need a graph whose first output is a float scalar, got "
                f"{out.aval.str_short() if out is not None else 'no output'}"
            )
        )
    tracked = [v for v in (*graph.invars, *(v for e in graph.eqns for v in e.outputs))]
    tracked = [v for v in tracked if np.issubdtype(v.aval.dtype, np.floating)]
    position = {v: i for i, v in enumerate(tracked)}

    def with_zeros_added(zeros: list) -> Any:
        def shifted(var: Var, value: Any) -> Any:
            return value + zeros[position[var]] if var in position else value

        def apply(eqn, inputs):
            value = eqn.primitive.bind(*inputs, **eqn.params)
            if eqn.primitive.multiple_results:
                return tuple(shifted(v, x) for v, x in zip(eqn.outputs, value, strict=True))
            return shifted(eqn.outputs[0], value)

        inputs = [shifted(v, x) for v, x in zip(graph.invars, args, strict=True)]
        return eval_graph(graph, *inputs, apply=apply)[0]

    zeros = [np.zeros(v.aval.shape, v.aval.dtype) for v in tracked]
    return dict(zip(tracked, grad(with_zeros_added)(zeros), strict=True))
