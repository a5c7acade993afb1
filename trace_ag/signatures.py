"""What a jitted function's cache is keyed by: the ``Signature`` of a call (pytree structure,
avals of the array leaves, static values), and, for ``config.explain_cache_misses``, what
differs between two signatures, said with the user's argument names.
"""

from __future__ import annotations

from dataclasses import dataclass

from trace_ag.core import Aval
from trace_ag.tree_util import PyTreeDef, tree_leaves, tree_unflatten


@dataclass(frozen=True)
class Signature:
    """What a compiled graph is specialized to."""

    tree: PyTreeDef
    avals: tuple[Aval, ...]
    static: tuple


def describe_signature(sig: Signature) -> str:
    avals = ", ".join(a.str_short() for a in sig.avals)
    static = f"; static {sig.static}" if any(sig.static) else ""
    return f"({avals}){static}"


def _leaf_paths(tree: PyTreeDef, arg_names: list[str]) -> list[str]:
    """A readable path for each leaf of ``(args, kwargs)``: argument name plus leaf index."""
    dyn_args, dyn_kwargs = tree_unflatten(tree, list(range(tree.num_leaves)))
    paths = [""] * tree.num_leaves
    for i, arg in enumerate(dyn_args):
        name = arg_names[i] if i < len(arg_names) else f"#{i}"
        leaves = tree_leaves(arg)
        for j, leaf in enumerate(leaves):
            paths[leaf] = f"argument {name!r}" + (f" (leaf {j})" if len(leaves) > 1 else "")
    for key, value in dyn_kwargs.items():
        for leaf in tree_leaves(value):
            paths[leaf] = f"keyword argument {key!r}"
    return paths


def explain_miss(old: Signature, new: Signature, arg_names: list[str]) -> str:
    """Say what differs between a cached signature and a new one."""
    if old.tree != new.tree:
        return f"the argument structure changed from {old.tree} to {new.tree}"
    if old.static != new.static:
        return f"a static argument changed: {old.static} -> {new.static}"
    paths = _leaf_paths(new.tree, arg_names)
    changes = [
        f"{paths[i]} changed from {a.str_short()} to {b.str_short()}"
        for i, (a, b) in enumerate(zip(old.avals, new.avals, strict=True))
        if a != b
    ]
    return "; ".join(changes)
