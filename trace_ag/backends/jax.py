"""The JAX backend: a graph lowered, equation by equation, to each primitive's ``jax`` rule.
``ag.jit(backend="jax")`` evaluates it inside one ``jax.jit``, so XLA fuses it for CPU, GPU or
TPU, and JAX's dispatch handles pytrees, donation and shardings.

JAX is imported only here, lazily: trace_ag works without it.
"""

from __future__ import annotations

from collections.abc import Callable
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
