"""Sub-graphs, the values held in the params of control-flow, checkpoint, custom-derivative
and ``jit_call`` equations: tracing a function into one (its captured constants become leading
inputs), running one as generated NumPy code, lowering one to JAX, vectorizing one, and the
structure checks their callers share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag import errors, tracing
from trace_ag.codegen import CompiledGraph
from trace_ag.core import Aval, Graph, aval_of
from trace_ag.interpret import eval_graph


def run_graph(graph: Graph, *args: Any) -> list:
    """Evaluate a sub-graph on NumPy values with code generated once for it; the code lives
    on the graph, so it is freed with it (eager loops trace a new graph per call)."""
    compiled = graph.cache.get("numpy")
    if compiled is None:
        compiled = graph.cache["numpy"] = CompiledGraph(graph)
    return list(compiled.fn(*args))


def trace_closed(fn: Callable, in_avals: Sequence[Aval], what: str) -> tuple[Graph, list, Any]:
    """Trace ``fn(*args)`` abstractly. The graph takes its captured constants as leading
    inputs; returns (graph, constants, output tree)."""
    _, graph, out_tree = tracing.trace_to_graph(fn, list(in_avals), concrete=False, fn_name=what)
    closed = Graph(graph.constvars + graph.invars, graph.eqns, graph.outvars)
    return closed, list(graph.constvals), out_tree


def avals_of(values: Sequence) -> list[Aval]:
    return [aval_of(v) for v in values]


def check_same_structure(what: str, name_a: str, a: tuple, name_b: str, b: tuple) -> None:
    if a != b:
        raise TypeError(
            errors.at_user_line(
                f"{what}: {name_a} and {name_b} must have the same structure, shapes and dtypes, "
                f"got {a[0]} {list(a[1])} and {b[0]} {list(b[1])}"
            )
        )


def jax_fn(graph: Graph) -> Callable:
    from trace_ag.backends.jax import lower

    return lower(graph)


def vmapped(graph: Graph, in_axes: Sequence, size: int | None = None) -> Callable:
    """``graph`` as a function vectorized over ``in_axes`` (outputs batched first; with no
    mapped input, the outputs are broadcast to ``size``)."""
    from trace_ag import numpy as tnp
    from trace_ag.batching import vmap

    if all(a is None for a in in_axes):
        return lambda *xs: [
            tnp.broadcast_to(o, (size, *np.shape(o))) for o in eval_graph(graph, *xs)
        ]
    return vmap(lambda *xs: eval_graph(graph, *xs), in_axes=tuple(in_axes))
