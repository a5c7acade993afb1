"""The JAX backend: a graph lowered, equation by equation, to each primitive's ``jax`` rule and
compiled as one ``jax.jit`` function, so XLA fuses it for CPU, GPU or TPU.

JAX is imported only here, lazily: trace_ag works without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from trace_ag.core import Graph
from trace_ag.interpret import eval_graph
from trace_ag.tree_util import PyTreeDef, tree_leaves, tree_structure


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


def flat_shardings(shardings: Any, tree: PyTreeDef, what: str, name: str = "fn") -> list | None:
    """One sharding per leaf of ``tree`` (``None``: unspecified), read as ``jax.jit`` reads
    ``in_shardings``/``out_shardings``: a single sharding applies to every leaf, a pytree of
    them must be a prefix of ``tree`` and each applies to all leaves below it.

    The lowered graph takes and returns flat leaves, so the user's per-argument pytree of
    shardings is flattened here to match them.

    Example:
        >>> flat_shardings((rep, {"w": rep}), tree_structure((x, {"w": w})), "in_shardings")
        [rep, rep]
    """
    if shardings is None:
        return None
    if isinstance(shardings, list):
        shardings = tuple(shardings)  # as in jax.jit: the arguments always form a tuple
    is_leaf = lambda s: s is None  # None means "unspecified" here, not an empty subtree
    prefix = tree_structure(shardings, is_leaf=is_leaf)
    try:
        subtrees = prefix.flatten_up_to(tree.unflatten(list(range(tree.num_leaves))))
    except ValueError as e:
        raise ValueError(
            f"jit({name}): {what} must be one sharding or a pytree prefix of the {tree.num_leaves} "
            f"array leaves it applies to: {e}"
        ) from None
    flat: list = [None] * tree.num_leaves
    for sharding, subtree in zip(tree_leaves(shardings, is_leaf), subtrees, strict=True):
        for index in tree_leaves(subtree):
            flat[index] = sharding
    return flat


def compile_graph(
    graph: Graph,
    donate_argnums: Sequence[int] = (),
    in_shardings: Any = None,
    out_shardings: Any = None,
    in_tree: PyTreeDef | None = None,
    out_tree: PyTreeDef | None = None,
    name: str = "fn",
) -> Callable[..., Any]:
    """``jax.jit`` of the lowered graph (flat arguments, list of flat outputs).

    ``in_tree`` is the structure of ``(positional args, keyword args)`` and ``out_tree`` that
    of the outputs; the shardings, given per argument and output as to ``jax.jit``, are
    flattened against them (keyword arguments get no sharding, as in ``jax.jit``).
    """
    jax = import_jax()
    options: dict[str, Any] = {"donate_argnums": tuple(donate_argnums)}
    if in_shardings is not None:
        args_tree = in_tree.children()[0]
        flat = flat_shardings(in_shardings, args_tree, "in_shardings", name)
        options["in_shardings"] = tuple(flat + [None] * (in_tree.num_leaves - len(flat)))
    if out_shardings is not None:
        options["out_shardings"] = flat_shardings(out_shardings, out_tree, "out_shardings", name)
    return jax.jit(lower(graph), **options)
