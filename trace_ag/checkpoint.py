"""``checkpoint`` (remat): keep only a function's inputs for the backward pass and recompute
its intermediates there, trading compute for memory.

The wrapped function becomes one ``remat`` equation holding its graph. A reverse-mode trace
stores that equation's inputs and outputs only; its vjp rule re-runs the forward pass under
``vjp`` when the cotangent arrives.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from trace_ag import tracing
from trace_ag.autodiff import vjp
from trace_ag.core import Primitive, aval_of
from trace_ag.forward import instantiate_all, jvp
from trace_ag.interpret import eval_graph
from trace_ag.subgraphs import run_graph, trace_closed, vmapped
from trace_ag.tree_util import tree_flatten, tree_unflatten


def _remat_vjp(g, out, *args, graph):
    return list(vjp(lambda *xs: eval_graph(graph, *xs), *args)[1](list(g)))


def _remat_jvp(primals, tangents, *, graph):
    tangents = instantiate_all(primals, tangents)
    out, t_out = jvp(lambda *xs: eval_graph(graph, *xs), list(primals), tangents)
    return tuple(out), tuple(t_out)


def _remat_batch(vals, dims, *, size, graph):
    outs = checkpoint(lambda *xs: tuple(vmapped(graph, dims)(*xs)))(*vals)
    return tuple(outs), (0,) * len(outs)


def _remat_jax(*args, graph):
    import jax

    from trace_ag.backends.jax import lower

    return tuple(jax.checkpoint(lower(graph))(*args))


remat_p = Primitive(
    "remat",
    impl=lambda *args, graph: tuple(run_graph(graph, *args)),
    abstract_eval=lambda *avals, graph: tuple(v.aval for v in graph.outvars),
    vjp=_remat_vjp,
    jvp=_remat_jvp,
    batch=_remat_batch,
    jax=_remat_jax,
    multiple_results=True,
    complex_rules=True,
)


def checkpoint(fn: Callable) -> Callable:
    """``fn`` whose intermediates are recomputed in the backward pass instead of stored
    (``jax.checkpoint``). Values are unchanged; gradients are unchanged; memory held between
    the forward and backward passes shrinks to ``fn``'s inputs and outputs.

    Examples:
        >>> block = ag.checkpoint(lambda h, w: tnp.tanh(h @ w))
    """

    @functools.wraps(fn)
    def wrapped(*args: Any) -> Any:
        flat, in_tree = tree_flatten(args)
        flat = [tracing.as_input_value(x, "checkpoint") for x in flat]
        graph, consts, out_tree = trace_closed(
            lambda *xs: fn(*tree_unflatten(in_tree, list(xs))),
            [aval_of(x) for x in flat],
            "checkpoint",
        )
        outs = remat_p.bind(*consts, *flat, graph=graph)
        return tree_unflatten(out_tree, list(outs))

    return wrapped


remat = checkpoint
