"""The JAX backend: a graph lowered, equation by equation, to each primitive's ``jax`` rule.
``ag.jit(backend="jax")`` evaluates it inside one ``jax.jit``, so XLA fuses it for CPU, GPU or
TPU, and JAX's dispatch handles pytrees, donation and shardings.

JAX is imported only here, lazily: trace_ag works without it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from trace_ag.core import Graph
from trace_ag.interpret import eval_graph


def import_jax():
    """``jax``, or an ImportError that says how to install it. The node types registered
    with trace_ag's pytrees are made known to JAX's too, so they cross ``jax.jit``.

    The first time, with trace_ag's default float64, JAX's ``jax_enable_x64`` is turned on
    (as ``JAX_ENABLE_X64=1`` would): trace_ag's arrays are float64, and JAX would otherwise
    compute them in float32. A program that turns it off again afterwards still gets float64
    from ``jit(backend="jax")`` (``x64_scope``), and ``from_jax`` refuses float64 inputs."""
    try:
        import jax
    except ImportError as e:
        raise ImportError(
            "backend='jax' needs JAX: pip install 'trace-ag[jax]' (or pip install jax)"
        ) from e
    if not _X64_SET:
        _X64_SET.append(True)
        from trace_ag import config

        if config.default_float_dtype.itemsize == 8 and not jax.config.jax_enable_x64:
            jax.config.update("jax_enable_x64", True)
    share_pytree_types(jax)
    return jax


_X64_SET: list[bool] = []  # once per process


_SHARED_TYPES: set[type] = set()


def share_pytree_types(jax: Any) -> None:
    """Register in JAX every node type registered with ``trace_ag.tree_util`` (with the same
    flatten and unflatten), unless JAX already has its own registration for it."""
    from trace_ag.tree_util import registered_node_types

    for node_type, (flatten, unflatten) in registered_node_types().items():
        if node_type in _SHARED_TYPES:
            continue
        _SHARED_TYPES.add(node_type)
        try:
            jax.tree_util.register_pytree_node(node_type, flatten, unflatten)
        except ValueError:  # registered with JAX by the program itself: JAX's way wins there
            pass


def x64_scope(jax: Any):
    """JAX computes float64 inputs in float64 inside this scope whenever trace_ag's default
    float is float64, whatever the global ``jax_enable_x64`` says (without it JAX would
    silently round them to float32)."""
    from trace_ag import config

    if config.default_float_dtype.itemsize != 8 or jax.config.jax_enable_x64:
        return contextlib.nullcontext()
    enable = getattr(jax, "enable_x64", None)
    if enable is None:  # JAX before 0.6
        from jax.experimental import enable_x64 as enable
    return enable(True)


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
