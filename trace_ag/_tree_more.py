"""The smaller ``jax.tree_util`` names, over the pytree machinery of ``tree_util``:
``Partial`` (a ``functools.partial`` that is a pytree, so a transform takes it as an argument),
one-level flattening, treedef helpers, ``register_static``, ``tree_broadcast`` and the
balanced ``tree_reduce_associative``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from trace_ag import tree_util as tu


class _HashableShim:
    """Keeps an inner ``functools.partial`` whole (functools would merge it into the outer
    one, turning its bound arguments into leaves, which JAX does not do)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _HashableShim) and self.fn == other.fn

    def __hash__(self) -> int:
        return hash(self.fn)

    def __repr__(self) -> str:
        return f"_HashableShim({self.fn!r})"


class Partial(functools.partial):
    """``jax.tree_util.Partial``: ``functools.partial`` as a pytree whose leaves are the bound
    arguments and whose static part is the function, so ``jit``/``grad``/``vmap`` accept it as
    an argument (the function must be hashable, as a jit cache key).

    Examples:
        >>> import trace_ag as ag
        >>> scale = ag.tree_util.Partial(lambda k, x: k * x, 3.0)
        >>> print(ag.jit(lambda f, x: f(x))(scale, 2.0))
        6.0
        >>> ag.tree_util.tree_leaves(scale)
        [3.0]
    """

    def __new__(cls, func: Callable, *args: Any, **kwargs: Any) -> Partial:
        if isinstance(func, functools.partial):
            func = _HashableShim(func)
        return super().__new__(cls, func, *args, **kwargs)


tu.register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, children: Partial(func, *children[0], **children[1]),
)


def flatten_one_level(tree: Any) -> tuple[Iterable[Any], Hashable]:
    """``(children, aux_data)`` of the root node of ``tree``; a leaf is a ``ValueError``.

    Examples:
        >>> flatten_one_level({"b": 1, "a": 2})
        ((2, 1), ('a', 'b'))
    """
    if tree is None:
        return (), None
    if type(tree) in (list, tuple):
        return list(tree) if type(tree) is list else tree, None
    if type(tree) is dict:
        keys = tu._sorted_keys(tree)
        return tuple(tree[k] for k in keys), keys
    if not tu.is_registered(type(tree)) and tu._is_namedtuple(type(tree)):
        return list(tree), type(tree)
    found = tu.node_children(tree)
    if found is None:
        raise ValueError(f"can't tree-flatten type: {type(tree)}")
    children, aux = found
    return tuple(children), aux


def flatten_one_level_with_keys(tree: Any) -> tuple[Iterable[tuple[Any, Any]], Hashable]:
    """``flatten_one_level`` with each child paired with its key path entry.

    Examples:
        >>> flatten_one_level_with_keys([3])
        (((SequenceKey(idx=0), 3),), None)
    """
    children, aux = flatten_one_level(tree)
    pairs, _ = tu.tree_flatten_with_path(
        tree, is_leaf=lambda x: x is not tree and any(x is c for c in children)
    )
    keys = [path[0] for path, _ in pairs] if children else []
    return tuple(zip(keys, children, strict=True)), aux


def is_tree_node(typ: type) -> bool:
    """Whether ``typ`` is a pytree node type (a built-in container, a namedtuple or a
    registered class).

    Examples:
        >>> is_tree_node(list), is_tree_node(int)
        (True, False)
    """
    builtin = typ in (list, tuple, dict, type(None))
    return builtin or tu.is_registered(typ) or tu._is_namedtuple(typ)


def all_leaves(iterable: Iterable[Any], is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """Whether every element of ``iterable`` is a leaf (``None`` is not one).

    Examples:
        >>> all_leaves([1, 2.0]), all_leaves([1, (2,)])
        (True, False)
    """
    items = list(iterable)
    leaves = tu.tree_leaves(items, is_leaf)
    return len(leaves) == len(items) and all(a is b for a, b in zip(leaves, items, strict=True))


def treedef_children(treedef: tu.PyTreeDef) -> list[tu.PyTreeDef]:
    """The structures of the root's children.

    Examples:
        >>> treedef_children(tu.tree_structure({"a": (1, 2), "b": 3}))
        [PyTreeDef((*, *)), PyTreeDef(*)]
    """
    return treedef.children()


def treedef_is_leaf(treedef: tu.PyTreeDef) -> bool:
    """Whether ``treedef`` is a single node: a leaf, ``None`` or an empty container.

    Examples:
        >>> treedef_is_leaf(tu.tree_structure(1)), treedef_is_leaf(tu.tree_structure([1]))
        (True, False)
    """
    return not treedef.children()


def treedef_tuple(treedefs: Iterable[tu.PyTreeDef]) -> tu.PyTreeDef:
    """The structure of a tuple of trees of ``treedefs``.

    Examples:
        >>> treedef_tuple([tu.tree_structure(1), tu.tree_structure([1, 2])])
        PyTreeDef((*, [*, *]))
    """
    specs = tuple(t._spec for t in treedefs)
    return tu.PyTreeDef((tuple, None, specs, sum(t.num_leaves for t in treedefs)))


def register_static(cls: type) -> type:
    """Register ``cls`` as a pytree with no leaves: its instances are static (hashable)
    structure, as jit's static arguments are.

    Examples:
        >>> @register_static
        ... class Config:
        ...     pass
        >>> tu.tree_leaves([Config(), 1])
        [1]
    """
    tu.register_pytree_node(cls, lambda x: ((), x), lambda x, _: x)
    return cls


def tree_broadcast(prefix_tree: Any, full_tree: Any, is_leaf: Callable | None = None) -> Any:
    """``prefix_tree`` with each leaf repeated over the matching subtree of ``full_tree``.

    Examples:
        >>> tree_broadcast(1, {"a": 2, "b": [3]})
        {'a': 1, 'b': [1]}
    """
    from trace_ag.tree import broadcast

    return broadcast(prefix_tree, full_tree, is_leaf)


def tree_reduce_associative(
    operation: Callable[[Any, Any], Any],
    tree: Any,
    *,
    identity: Any = tu.NOT_GIVEN,
    is_leaf: Callable | None = None,
) -> Any:
    """Reduce the leaves with the associative ``operation`` as a balanced tree (each half
    reduced, then the halves combined), as ``jax.tree_util.tree_reduce_associative``.

    Examples:
        >>> tree_reduce_associative(lambda a, b: (a, b), [1, 2, 3, 4, 5])
        ((1, 2), (3, (4, 5)))
    """
    leaves = tu.tree_leaves(tree, is_leaf)
    if not leaves:
        if identity is tu.NOT_GIVEN:
            raise TypeError("Must specify identity for parallel reduction of empty sequence.")
        return identity

    def halves(items: list) -> Any:
        if len(items) == 1:
            return items[0]
        middle = len(items) // 2
        return operation(halves(items[:middle]), halves(items[middle:]))

    return halves(leaves)
