"""``jit_call``: a jitted function called under another transform stays one compiled equation.

Called with tracers (inside ``grad``, ``vjp``, ``jvp``, ``vmap``, another ``jit``, a loop
body), a ``jit``-ed function binds ``jit_call`` with its optimized graph instead of replaying
the graph equation by equation. Each rule is itself a jitted function derived from the graph
once and cached on it: the vjp rule is ``jit`` of the graph's pullback (which recomputes the
forward pass inside the compiled backward, as ``checkpoint`` does), the jvp rule ``jit`` of its
jvp, the batching rule ``jit`` of its ``vmap``. So ``grad(jit(f))`` runs compiled code forward
and backward, and nests: the derived functions bind ``jit_call`` again under outer transforms.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trace_ag.core import Graph, Primitive
from trace_ag.interpret import eval_graph


def _derived(graph: Graph, key: Any, make: Callable[[], Callable]) -> Callable:
    """A function derived from ``graph`` once (a jitted rule), cached on the graph."""
    fn = graph.cache.get(key)
    if fn is None:
        fn = graph.cache[key] = make()
    return fn


def _as_function(graph: Graph) -> Callable:
    return lambda *xs: eval_graph(graph, *xs)


def _jit_call_vjp(g, out, *args, graph, name):
    from trace_ag.autodiff import vjp
    from trace_ag.jit import jit

    def backward(primals: list, cotangents: list) -> list:
        return list(vjp(_as_function(graph), *primals)[1](cotangents))

    pullback = _derived(graph, "vjp", lambda: jit(_named(backward, f"vjp_of_{name}")))
    return pullback(list(args), list(g))


def _jit_call_jvp(primals, tangents, *, graph, name):
    from trace_ag.forward import instantiate_all, jvp
    from trace_ag.jit import jit

    def forward(ps: list, ts: list) -> tuple:
        out, t_out = jvp(_as_function(graph), ps, ts)
        return tuple(out), tuple(t_out)

    pushforward = _derived(graph, "jvp", lambda: jit(_named(forward, f"jvp_of_{name}")))
    return pushforward(list(primals), instantiate_all(primals, tangents))


def _jit_call_batch(vals, dims, *, size, graph, name):
    from trace_ag.jit import jit
    from trace_ag.subgraphs import vmapped

    def make() -> Callable:
        batched = vmapped(graph, tuple(dims), size)
        return jit(_named(lambda *xs: tuple(batched(*xs)), f"vmap_of_{name}"))

    outs = _derived(graph, ("vmap", tuple(dims), size), make)(*vals)
    return tuple(outs), (0,) * len(outs)


def _jit_call_jax(*args, graph, name):
    from trace_ag.backends.jax import lower

    return tuple(lower(graph)(*args))


def _jit_call_impl(*args, graph, name):
    from trace_ag.subgraphs import run_graph

    return tuple(run_graph(graph, *args))


def _named(fn: Callable, name: str) -> Callable:
    fn.__name__ = fn.__qualname__ = name
    return fn


jit_call = Primitive(
    "jit_call",
    impl=_jit_call_impl,
    abstract_eval=lambda *avals, graph, name: tuple(v.aval for v in graph.outvars),
    vjp=_jit_call_vjp,
    jvp=_jit_call_jvp,
    batch=_jit_call_batch,
    jax=_jit_call_jax,
    multiple_results=True,
    complex_rules=True,
)
