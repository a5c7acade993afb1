"""The JAX backend: a graph lowered, equation by equation, to each primitive's ``jax`` rule and
compiled as one ``jax.jit`` function, so XLA fuses it for CPU, GPU or TPU.

JAX is imported only here, lazily: trace_ag works without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from trace_ag.core import Graph
from trace_ag.interpret import eval_graph


def import_jax():
    """``jax``, or an ImportError that says how to install it."""
    try:
        import jax
    except ImportError as e:
        raise ImportError(
            "backend='jax' needs JAX: pip install 'trace-ag[jax]' (or pip install jax)"
        ) from e
    return jax


def lower(graph: Graph) -> Callable[..., list]:
    """A Python function of JAX arrays that evaluates ``graph`` with the JAX lowerings."""

    def apply(eqn, inputs):
        lowering = eqn.primitive.jax
        if lowering is None:
            raise NotImplementedError(f"primitive {eqn.primitive.name} has no JAX lowering")
        return lowering(*inputs, **eqn.params)

    def lowered(*args: Any) -> list:
        return eval_graph(graph, *args, apply=apply)

    return lowered


def compile_graph(
    graph: Graph,
    donate_argnums: Sequence[int] = (),
    in_shardings: Any = None,
    out_shardings: Any = None,
) -> Callable[..., Any]:
    """``jax.jit`` of the lowered graph (flat arguments, list of flat outputs)."""
    jax = import_jax()
    options: dict[str, Any] = {"donate_argnums": tuple(donate_argnums)}
    if in_shardings is not None:
        options["in_shardings"] = in_shardings
    if out_shardings is not None:
        options["out_shardings"] = out_shardings
    return jax.jit(lower(graph), **options)
