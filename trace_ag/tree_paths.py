"""Key paths: where each leaf of a pytree sits, named as ``jax.tree_util`` names it
(``['a'][0].w``), and registering node types whose children have names (dataclasses, classes
flattened with keys). Re-exported by ``trace_ag.tree_util``, where users find them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from trace_ag.tree_util import (
    LEAF,
    NONE_SPEC,
    PyTreeDef,
    dict_keys_of,
    is_registered,
    node_children,
    register_pytree_node,
    tree_leaves,  # noqa: F401  (the doctests use it)
)


@dataclasses.dataclass(frozen=True)
class DictKey:
    """A dict entry's key in a key path; prints as ``['a']``."""

    key: Hashable

    def __str__(self) -> str:
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True)
class SequenceKey:
    """A tuple or list position in a key path; prints as ``[0]``."""

    idx: int

    def __str__(self) -> str:
        return f"[{self.idx!r}]"


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    """An attribute (namedtuple field, dataclass field) in a key path; prints as ``.name``."""

    name: str

    def __str__(self) -> str:
        return f".{self.name}"


@dataclasses.dataclass(frozen=True)
class FlattenedIndexKey:
    """The i-th child of a node registered without keys; prints as ``[<flat index i>]``."""

    key: int

    def __str__(self) -> str:
        return f"[<flat index {self.key}>]"


KeyEntry = DictKey | SequenceKey | GetAttrKey | FlattenedIndexKey | Any
KeyPath = tuple[KeyEntry, ...]

# type -> flatten_with_keys(x) -> (((key, child), ...), aux), for types registered with keys
_KEYED: dict[type, Callable] = {}


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """A key path as text, as ``jax.tree_util.keystr``.

    Examples:
        >>> path = (DictKey("a"), SequenceKey(1), GetAttrKey("w"))
        >>> keystr(path), keystr(path, simple=True, separator="/")
        ("['a'][1].w", 'a/1/w')
    """
    if not simple:
        return separator.join(str(k) for k in keys)
    plain = {DictKey: "key", SequenceKey: "idx", GetAttrKey: "name", FlattenedIndexKey: "key"}
    return separator.join(
        str(getattr(k, plain[type(k)])) if type(k) in plain else str(k) for k in keys
    )


def _children_with_keys(x: Any) -> tuple[list, list, Any] | None:
    """``(keys, children, aux)`` of the node `x`, or None if `x` is a leaf."""
    t = type(x)
    if t in _KEYED:
        pairs, aux = _KEYED[t](x)
        pairs = list(pairs)
        return [k for k, _ in pairs], [c for _, c in pairs], aux
    level = node_children(x)
    if level is None:
        return None
    children, aux = level
    if t is tuple or t is list:
        keys = [SequenceKey(i) for i in range(len(children))]
    elif (dict_keys := dict_keys_of(t, aux)) is not None:
        keys = [DictKey(k) for k in dict_keys]
    elif not is_registered(t):  # namedtuple
        keys = [GetAttrKey(f) for f in t._fields]
    else:
        keys = [FlattenedIndexKey(i) for i in range(len(children))]
    return keys, children, aux


def _flatten_path(
    x: Any, path: tuple, out: list, is_leaf: Callable | None, takes_path: bool
) -> Any:
    """As `_flatten`, appending ``(path, leaf)`` pairs; returns the structure spec."""
    if is_leaf is not None and (is_leaf(path, x) if takes_path else is_leaf(x)):
        out.append((path, x))
        return LEAF
    if x is None:
        return NONE_SPEC
    node = _children_with_keys(x)
    if node is None:
        out.append((path, x))
        return LEAF
    keys, children, aux = node
    start = len(out)
    specs = tuple(
        _flatten_path(c, (*path, k), out, is_leaf, takes_path)
        for k, c in zip(keys, children, strict=True)
    )
    return (type(x), aux, specs, len(out) - start)


def tree_flatten_with_path(
    tree: Any, is_leaf: Callable[..., bool] | None = None, is_leaf_takes_path: bool = False
) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
    """As `tree_flatten`, with each leaf paired with its key path.

    Examples:
        >>> pairs, _ = tree_flatten_with_path({"a": [1, 2]})
        >>> [(keystr(p), leaf) for p, leaf in pairs]
        [("['a'][0]", 1), ("['a'][1]", 2)]
    """
    out: list = []
    spec = _flatten_path(tree, (), out, is_leaf, is_leaf_takes_path)
    return out, PyTreeDef(spec)


def tree_leaves_with_path(
    tree: Any, is_leaf: Callable[..., bool] | None = None, is_leaf_takes_path: bool = False
) -> list[tuple[KeyPath, Any]]:
    """The ``(key_path, leaf)`` pairs of `tree`, in flatten order."""
    return tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def tree_map_with_path(
    f: Callable[..., Any],
    tree: Any,
    *rest: Any,
    is_leaf: Callable[..., bool] | None = None,
    is_leaf_takes_path: bool = False,
) -> Any:
    """As `tree_map`, calling ``f(key_path, leaf, *others)``.

    Examples:
        >>> tree_map_with_path(lambda p, x: keystr(p) if x is None else x * 10, {"a": 1, "b": [2]})
        {'a': 10, 'b': [20]}
    """
    pairs, treedef = tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    others = [treedef.flatten_up_to(r) for r in rest]
    outs = [f(p, x, *xs) for (p, x), *xs in zip(pairs, *others, strict=True)]
    return treedef.unflatten(outs)


def register_pytree_with_keys(
    nodetype: type,
    flatten_with_keys: Callable[[Any], tuple[Iterable[tuple[Any, Any]], Hashable]],
    unflatten_func: Callable[[Any, Iterable], Any],
    flatten_func: Callable[[Any], tuple[Iterable, Hashable]] | None = None,
) -> None:
    """Register `nodetype` with a flatten that names its children (``((key, child), ...), aux``)
    so key paths show those keys.

    Examples:
        >>> class Point:
        ...     def __init__(self, x, y): self.x, self.y = x, y
        >>> register_pytree_with_keys(
        ...     Point,
        ...     lambda p: (((GetAttrKey("x"), p.x), (GetAttrKey("y"), p.y)), None),
        ...     lambda aux, ch: Point(*ch))
        >>> keystr(tree_flatten_with_path([Point(1, 2)])[0][1][0])
        '[0].y'
    """
    if flatten_func is None:

        def flatten_func(x: Any) -> tuple[list, Any]:
            pairs, aux = flatten_with_keys(x)
            return [c for _, c in pairs], aux

    register_pytree_node(nodetype, flatten_func, unflatten_func)
    _KEYED[nodetype] = flatten_with_keys


def register_pytree_with_keys_class(cls: type) -> type:
    """Class decorator: register `cls` by its ``tree_flatten_with_keys`` and ``tree_unflatten``
    methods (and ``tree_flatten`` if it has one)."""
    flat = getattr(cls, "tree_flatten", None)
    register_pytree_with_keys(
        cls,
        lambda x: x.tree_flatten_with_keys(),
        cls.tree_unflatten,
        (lambda x: x.tree_flatten()) if flat is not None else None,
    )
    return cls


def register_dataclass(
    nodetype: type,
    data_fields: Iterable[str] | None = None,
    meta_fields: Iterable[str] | None = None,
    drop_fields: Iterable[str] = (),
) -> type:
    """Register a dataclass as a pytree node: `data_fields` are children (key paths
    ``.name``), `meta_fields` static aux data. Without both lists, fields marked
    ``field(metadata=dict(static=True))`` are meta and the other init fields data. Returns
    `nodetype`, so it can decorate the class.

    Examples:
        >>> @register_dataclass
        ... @dataclasses.dataclass
        ... class Params:
        ...     w: Any
        ...     name: str = dataclasses.field(default="p", metadata=dict(static=True))
        >>> tree_leaves(Params(w=[1, 2]))
        [1, 2]
    """
    if data_fields is None and meta_fields is None:
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError(
                f"register_dataclass: {nodetype.__name__} is not a dataclass; pass "
                "data_fields and meta_fields explicitly"
            )
        dropped = set(drop_fields)
        fields = [f for f in dataclasses.fields(nodetype) if f.init and f.name not in dropped]
        meta = tuple(f.name for f in fields if f.metadata.get("static", False))
        data = tuple(f.name for f in fields if not f.metadata.get("static", False))
    elif data_fields is None or meta_fields is None:
        raise TypeError("register_dataclass: give both data_fields and meta_fields, or neither")
    else:
        data, meta = tuple(data_fields), tuple(meta_fields)

    def flatten_with_keys(x: Any) -> tuple[tuple, tuple]:
        pairs = tuple((GetAttrKey(n), getattr(x, n)) for n in data)
        return pairs, tuple(getattr(x, n) for n in meta)

    def unflatten(aux: tuple, children: Iterable) -> Any:
        kwargs = dict(zip(meta, aux, strict=True))
        kwargs.update(zip(data, children, strict=True))
        return nodetype(**kwargs)

    def flatten(x: Any) -> tuple[list, tuple]:
        return [getattr(x, n) for n in data], tuple(getattr(x, n) for n in meta)

    register_pytree_with_keys(nodetype, flatten_with_keys, unflatten, flatten)
    return nodetype
