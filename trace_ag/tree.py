"""``trace_ag.tree``: the short names of ``jax.tree`` over ``trace_ag.tree_util``.

Examples:
    >>> from trace_ag import tree
    >>> tree.map(lambda x: x * 2, {"a": 1, "b": (2, 3)})
    {'a': 2, 'b': (4, 6)}
    >>> tree.leaves([1, (2, None)])
    [1, 2]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from trace_ag import tree_util as tu

__all__ = [
    "all",
    "broadcast",
    "flatten",
    "flatten_with_path",
    "leaves",
    "leaves_with_path",
    "map",
    "map_with_path",
    "reduce",
    "reduce_associative",
    "structure",
    "transpose",
    "unflatten",
]

IsLeaf = Callable[..., bool] | None


def all(tree: Any, *, is_leaf: IsLeaf = None) -> bool:  # noqa: A001 (JAX's name)
    """True if every leaf is truthy."""
    return tu.tree_all(tree, is_leaf)


def flatten(tree: Any, is_leaf: IsLeaf = None) -> tuple[list[Any], tu.PyTreeDef]:
    """``(leaves, treedef)`` of `tree`."""
    return tu.tree_flatten(tree, is_leaf)


def leaves(tree: Any, is_leaf: IsLeaf = None) -> list[Any]:
    """The leaves of `tree`, in flatten order."""
    return tu.tree_leaves(tree, is_leaf)


def structure(tree: Any, is_leaf: IsLeaf = None) -> tu.PyTreeDef:
    """The treedef of `tree`."""
    return tu.tree_structure(tree, is_leaf)


def unflatten(treedef: tu.PyTreeDef, leaves: Iterable[Any]) -> Any:
    """The tree of structure `treedef` with `leaves`."""
    return tu.tree_unflatten(treedef, leaves)


def map(f: Callable[..., Any], tree: Any, *rest: Any, is_leaf: IsLeaf = None) -> Any:  # noqa: A001
    """``f`` applied leaf-wise over `tree` and `rest` (which share its structure)."""
    return tu.tree_map(f, tree, *rest, is_leaf=is_leaf)


def reduce(
    function: Callable[[Any, Any], Any],
    tree: Any,
    initializer: Any = tu.NOT_GIVEN,
    is_leaf: IsLeaf = None,
) -> Any:
    """``function`` folded over the leaves of `tree` (from `initializer` if given)."""
    return tu.tree_reduce(function, tree, initializer, is_leaf)


def transpose(outer_treedef: tu.PyTreeDef, inner_treedef: tu.PyTreeDef | None, tree: Any) -> Any:
    """An `outer_treedef` of `inner_treedef`s as an `inner_treedef` of `outer_treedef`s."""
    return tu.tree_transpose(outer_treedef, inner_treedef, tree)


def reduce_associative(
    operation: Callable[[Any, Any], Any],
    tree: Any,
    *,
    identity: Any = tu.NOT_GIVEN,
    is_leaf: IsLeaf = None,
) -> Any:
    """``operation`` over the leaves as a balanced tree (``tree_util.tree_reduce_associative``).

    Examples:
        >>> reduce_associative(lambda a, b: a + b, [1, (2, 3)])
        6
    """
    return tu.tree_reduce_associative(operation, tree, identity=identity, is_leaf=is_leaf)


def broadcast(prefix_tree: Any, full_tree: Any, is_leaf: IsLeaf = None) -> Any:
    """`prefix_tree` with each leaf repeated over the matching subtree of `full_tree`.

    Examples:
        >>> broadcast((1, 2), ((0, 0), [0]))
        ((1, 1), [2])
    """
    prefix_leaves, treedef = tu.tree_flatten(prefix_tree, is_leaf)
    subtrees = treedef.flatten_up_to(full_tree)
    return treedef.unflatten(
        [
            tu.tree_map(lambda _, p=p: p, sub, is_leaf=is_leaf)
            for p, sub in zip(prefix_leaves, subtrees, strict=True)
        ]
    )


def flatten_with_path(
    tree: Any, is_leaf: IsLeaf = None, is_leaf_takes_path: bool = False
) -> tuple[list[tuple[tu.KeyPath, Any]], tu.PyTreeDef]:
    """``([(key_path, leaf), ...], treedef)`` of `tree`."""
    return tu.tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)


def leaves_with_path(
    tree: Any, is_leaf: IsLeaf = None, is_leaf_takes_path: bool = False
) -> list[tuple[tu.KeyPath, Any]]:
    """``[(key_path, leaf), ...]`` of `tree`."""
    return tu.tree_leaves_with_path(tree, is_leaf, is_leaf_takes_path)


def map_with_path(
    f: Callable[..., Any],
    tree: Any,
    *rest: Any,
    is_leaf: IsLeaf = None,
    is_leaf_takes_path: bool = False,
) -> Any:
    """``f(key_path, leaf, *others)`` applied over `tree` and `rest`."""
    return tu.tree_map_with_path(
        f, tree, *rest, is_leaf=is_leaf, is_leaf_takes_path=is_leaf_takes_path
    )
