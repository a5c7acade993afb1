"""Pytrees: nested containers of arrays, flattened to a list of leaves plus a structure.

The one concept: a transform (``grad``, ``vjp``, ...) accepts and returns *pytrees* -- tuples,
lists, dicts, namedtuples, ``None`` and registered classes nested to any depth -- but its core
works only on flat lists of arrays. The pytree is flattened to ``(leaves, treedef)`` exactly
once, at the transform's public boundary, and rebuilt from ``treedef`` when results go back to
the user. ``PyTreeDef`` is immutable and hashable, so it can key caches of traced functions.

Node types follow ``jax.tree_util``: dict children are ordered by sorted key, OrderedDict by
insertion, ``None`` is a node with no children, and anything unregistered is a leaf.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import numpy as np

__all__ = [
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "PyTreeDef",
    "SequenceKey",
    "keystr",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "register_pytree_with_keys",
    "register_pytree_with_keys_class",
    "tree_all",
    "tree_flatten",
    "tree_flatten_with_path",
    "tree_leaves",
    "tree_leaves_with_path",
    "tree_map",
    "tree_map_with_path",
    "tree_reduce",
    "tree_structure",
    "tree_transpose",
    "tree_unflatten",
]

_NoneType = type(None)
_LEAF = "*"  # structure marker of a leaf; a node is (type, aux_data, child_specs, num_leaves)
_NONE_SPEC = (_NoneType, None, (), 0)
_NO_INIT = object()

# type -> (flatten(x) -> (children, aux), unflatten(aux, children) -> x)
_REGISTRY: dict[type, tuple[Callable, Callable]] = {}
_LEAF_TYPES: set[type] = set()  # types seen to be leaves (neither registered nor namedtuple)


def register_pytree_node(
    nodetype: type,
    flatten_func: Callable[[Any], tuple[Iterable, Hashable]],
    unflatten_func: Callable[[Any, Iterable], Any],
) -> None:
    """Make instances of `nodetype` pytree nodes rather than leaves.

    Examples:
        >>> class Box:
        ...     def __init__(self, value): self.value = value
        >>> register_pytree_node(Box, lambda b: ((b.value,), None), lambda aux, ch: Box(*ch))
        >>> tree_leaves([Box(1), Box((2, 3))])
        [1, 2, 3]
    """
    if nodetype in _REGISTRY:
        raise ValueError(
            f"pytree node type {nodetype.__module__}.{nodetype.__qualname__} is already registered"
        )
    _REGISTRY[nodetype] = (flatten_func, unflatten_func)
    _LEAF_TYPES.discard(nodetype)


def register_pytree_node_class(cls: type) -> type:
    """Class decorator: register `cls` via its ``tree_flatten`` / ``tree_unflatten`` methods.

    Examples:
        >>> @register_pytree_node_class
        ... class Pair:
        ...     def tree_flatten(self): return (self.a, self.b), None
        ...     @classmethod
        ...     def tree_unflatten(cls, aux, children): return cls(*children)
    """
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


def _sorted_keys(d: dict) -> tuple:
    try:
        return tuple(sorted(d))
    except TypeError:
        raise ValueError(
            "pytree dict keys must be sortable (children are ordered by sorted "
            f"key); got keys {list(d)!r}"
        ) from None


def _flatten_dict(x: dict) -> tuple[list, tuple]:
    keys = _sorted_keys(x)
    return [x[k] for k in keys], keys


def _flatten_defaultdict(x: defaultdict) -> tuple[list, tuple]:
    keys = _sorted_keys(x)
    return [x[k] for k in keys], (x.default_factory, keys)


for _type, _flat, _unflat in [
    (tuple, lambda x: (x, None), lambda _, ch: tuple(ch)),
    (list, lambda x: (x, None), lambda _, ch: list(ch)),
    (_NoneType, lambda x: ((), None), lambda _, ch: None),
    (dict, _flatten_dict, lambda keys, ch: dict(zip(keys, ch, strict=True))),
    (
        OrderedDict,
        lambda x: (list(x.values()), tuple(x)),
        lambda keys, ch: OrderedDict(zip(keys, ch, strict=True)),
    ),
    (
        defaultdict,
        _flatten_defaultdict,
        lambda aux, ch: defaultdict(aux[0], zip(aux[1], ch, strict=True)),
    ),
]:
    register_pytree_node(_type, _flat, _unflat)
del _type, _flat, _unflat
_BUILTIN = frozenset(_REGISTRY)


def _dict_keys(t: type, aux: Any) -> tuple | None:
    """The keys of a dict-like node's children, or None for other node types."""
    if t is dict or t is OrderedDict:
        return aux
    return aux[1] if t is defaultdict else None


def _name(obj: Any) -> str:
    return getattr(obj, "__name__", repr(obj))


def _is_namedtuple(t: type) -> bool:
    return issubclass(t, tuple) and hasattr(t, "_fields")


def _flatten(x: Any, leaves: list, is_leaf: Callable[[Any], bool] | None) -> Any:
    """Append the leaves of `x` to `leaves`; return the structure spec of `x`."""
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    t = type(x)
    if t is tuple or t is list:  # fast paths for the common containers
        children, aux = x, None
    elif t is dict:
        children, aux = _flatten_dict(x)
    elif x is None:
        return _NONE_SPEC
    else:
        handler = _REGISTRY.get(t)
        if handler is not None:
            children, aux = handler[0](x)
        elif issubclass(t, tuple) and hasattr(t, "_fields"):  # namedtuple
            children, aux = x, None
        else:
            _LEAF_TYPES.add(t)
            leaves.append(x)
            return _LEAF
    start = len(leaves)
    if is_leaf is not None:
        specs = tuple([_flatten(c, leaves, is_leaf) for c in children])
        return (t, aux, specs, len(leaves) - start)
    spec_list = []
    for c in children:  # leaves of already-seen types are taken inline, saving a call each
        if type(c) in _LEAF_TYPES:
            leaves.append(c)
            spec_list.append(_LEAF)
        else:
            spec_list.append(_flatten(c, leaves, None))
    return (t, aux, tuple(spec_list), len(leaves) - start)


def _build(spec: Any, leaves: Iterable) -> Any:
    """Rebuild the tree of `spec`, drawing its leaves from the iterator `leaves`."""
    if spec is _LEAF:
        return next(leaves)
    t, aux, specs, _ = spec
    children = []
    for s in specs:  # a loop, not a comprehension: no extra frame per node on Python 3.11
        children.append(next(leaves) if s is _LEAF else _build(s, leaves))
    if t is tuple:
        return tuple(children)
    if t is list:
        return children
    if t is dict:
        return dict(zip(aux, children, strict=False))
    handler = _REGISTRY.get(t)
    if handler is None:  # namedtuple
        return t(*children)
    return handler[1](aux, tuple(children))


class _Mismatch(Exception):
    """Internal: raised where structures differ; each frame adds its path entry on the way up."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.path: list[str] = []


def _describe(spec: Any) -> str:
    t, aux, specs, _ = spec
    if t is _NoneType:
        return "None"
    keys = _dict_keys(t, aux)
    if keys is not None:
        kind = f"defaultdict({_name(aux[0])})" if t is defaultdict else t.__name__
        return f"{kind} with keys {list(keys)!r}"
    n = len(specs)
    return f"{t.__name__} of {n} {'child' if n == 1 else 'children'}"


def _one_level(x: Any) -> tuple[list, Any] | None:
    """``(children, aux_data)`` of `x` if it is a pytree node, else None (a leaf)."""
    handler = _REGISTRY.get(type(x))
    if handler is not None:
        children, aux = handler[0](x)
        return list(children), aux
    if _is_namedtuple(type(x)):
        return list(x), None
    return None


def _aux_equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # e.g. arrays in aux data
        return a is b


def _dict_children_in_order(x: dict, keys: tuple) -> list | None:
    """`x`'s values in the order of `keys`, or None if `x` has other keys (no sort needed)."""
    if len(x) != len(keys):
        return None
    try:
        return [x[k] for k in keys]
    except KeyError:
        return None


def _up_to(spec: Any, x: Any, out: list) -> None:
    """Append to `out` the subtrees of `x` at the leaves of `spec`; raise _Mismatch if none fit."""
    t, aux, specs, _ = spec
    xt = type(x)
    if xt is t and (t is tuple or t is list) and len(x) == len(specs):  # fast paths
        children = x
    elif xt is t and t is dict and (children := _dict_children_in_order(x, aux)) is not None:
        pass
    else:
        level = _one_level(x)
        if level is None:
            raise _Mismatch(f"expected {_describe(spec)}, got a leaf of type {xt.__name__}")
        children, x_aux = level
        if xt is not t or len(children) != len(specs) or not _aux_equal(x_aux, aux):
            got = (xt, x_aux, (_LEAF,) * len(children), len(children))
            detail = f"expected {_describe(spec)}, got {_describe(got)}"
            if t not in _BUILTIN and xt is t and len(children) == len(specs):
                detail += f" (aux data {aux!r} vs {x_aux!r})"
            raise _Mismatch(detail)
    for i, (s, c) in enumerate(zip(specs, children, strict=False)):
        if s is _LEAF:
            out.append(c)
            continue
        try:
            _up_to(s, c, out)
        except _Mismatch as e:
            e.path.append(_path_entry(t, aux, i))
            raise


def _path_entry(t: type, aux: Any, i: int) -> str:
    keys = _dict_keys(t, aux)
    if keys is not None:
        return f"key {keys[i]!r}"
    if t is tuple or t is list:
        return f"index {i}"
    if t not in _REGISTRY:
        return f"field {t._fields[i]!r}"
    return f"child {i} of {t.__name__}"


def _repr(spec: Any) -> str:
    if spec is _LEAF:
        return "*"
    t, aux, specs, _ = spec
    parts = [_repr(s) for s in specs]
    if t is tuple:
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    if t is list:
        return "[" + ", ".join(parts) + "]"
    if t is _NoneType:
        return "None"
    keys = _dict_keys(t, aux)
    if keys is not None:
        body = "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(keys, parts, strict=True)) + "}"
        if t is dict:
            return body
        if t is OrderedDict:
            return f"OrderedDict({body})"
        return f"defaultdict({_name(aux[0])}, {body})"
    if t not in _REGISTRY:  # namedtuple
        fields = ", ".join(f"{f}={p}" for f, p in zip(t._fields, parts, strict=True))
        return f"{t.__name__}({fields})"
    return f"CustomNode({t.__name__}[{aux!r}], [{', '.join(parts)}])"


def _hashable(obj: Any) -> Hashable:
    """A hashable stand-in for `obj` that is equal exactly when the originals are equal: how
    aux data that is a dict, list, set or array keys jit's cache (JAX requires hashable aux)."""
    if isinstance(obj, tuple):
        return tuple(_hashable(o) for o in obj)
    if isinstance(obj, list):
        return ("list", tuple(_hashable(o) for o in obj))
    if isinstance(obj, dict):
        return ("dict", frozenset((_hashable(k), _hashable(v)) for k, v in obj.items()))
    if isinstance(obj, set | frozenset):
        return ("set", frozenset(_hashable(o) for o in obj))
    if hasattr(obj, "__array__") and hasattr(obj, "dtype"):
        a = np.asarray(obj)
        return ("array", a.shape, a.dtype.str, a.tobytes())
    try:
        hash(obj)
    except TypeError:
        return ("unhashable", type(obj))  # equal objects must hash alike, so only the type
    return obj


class PyTreeDef:
    """The structure of a pytree, without its leaves: immutable, hashable, comparable.

    Examples:
        >>> treedef = tree_structure({"a": 1, "b": (2, 3)})
        >>> treedef, treedef.num_leaves
        (PyTreeDef({'a': *, 'b': (*, *)}), 3)
    """

    __slots__ = ("_spec", "_hash")

    def __init__(self, spec: Any) -> None:  # internal: use tree_structure / tree_flatten
        object.__setattr__(self, "_spec", spec)
        object.__setattr__(self, "_hash", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("PyTreeDef is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        if self is other:
            return True
        try:
            return bool(self._spec == other._spec)
        except (TypeError, ValueError):  # arrays in aux data: compare their values
            return _hashable(self._spec) == _hashable(other._spec)

    def __hash__(self) -> int:
        if self._hash is None:
            try:
                h = hash(self._spec)
            except TypeError:  # unhashable aux data (a dict, a list, an array): hash its value
                h = hash(_hashable(self._spec))
            object.__setattr__(self, "_hash", h)
        return self._hash

    def __repr__(self) -> str:
        return f"PyTreeDef({_repr(self._spec)})"

    def __reduce__(self) -> tuple:
        return PyTreeDef, (self._spec,)

    @property
    def num_leaves(self) -> int:
        """Number of leaves in a tree of this structure."""
        return 1 if self._spec is _LEAF else self._spec[3]

    def children(self) -> list[PyTreeDef]:
        """Structures of the root's immediate children (empty for a leaf)."""
        return [] if self._spec is _LEAF else [PyTreeDef(s) for s in self._spec[2]]

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        """Build a tree of this structure from `leaves`, e.g. ``treedef.unflatten([1, 2, 3])``."""
        if not isinstance(leaves, list | tuple):
            leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(
                f"wrong number of leaves for {self!r}: expected {self.num_leaves}, "
                f"got {len(leaves)}"
            )
        return _build(self._spec, iter(leaves))

    def flatten_up_to(self, tree: Any) -> list[Any]:
        """Flatten `tree` only as deep as this structure; its subtrees at our leaves stay whole.

        Examples:
            >>> tree_structure((1, 2)).flatten_up_to(([1, 2], {"a": 3}))
            [[1, 2], {'a': 3}]
        """
        if self._spec is _LEAF:
            return [tree]
        out: list[Any] = []
        try:
            _up_to(self._spec, tree, out)
        except _Mismatch as e:
            where = " -> ".join(reversed(e.path)) if e.path else "the root"
            raise ValueError(f"tree structure mismatch at {where}: {e.detail}") from None
        return out


def tree_flatten(
    tree: Any, is_leaf: Callable[[Any], bool] | None = None
) -> tuple[list[Any], PyTreeDef]:
    """Flatten `tree` into its leaves and its structure.

    Examples:
        >>> tree_flatten({"b": [2, None], "a": 1})
        ([1, 2], PyTreeDef({'a': *, 'b': [*, None]}))
    """
    leaves: list[Any] = []
    spec = _flatten(tree, leaves, is_leaf)
    return leaves, PyTreeDef(spec)


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    """Inverse of `tree_flatten`: ``tree_unflatten(tree_structure((0, 0)), [1, 2]) == (1, 2)``."""
    return treedef.unflatten(leaves)


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    """The leaves of `tree`, in flatten order: ``tree_leaves([None, {"a": 1}]) == [1]``."""
    leaves: list[Any] = []
    _flatten(tree, leaves, is_leaf)
    return leaves


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    """The structure of `tree`: ``tree_structure((1, [2])) == tree_structure((0, [0]))``."""
    return PyTreeDef(_flatten(tree, [], is_leaf))


def tree_map(
    f: Callable[..., Any], tree: Any, *rest: Any, is_leaf: Callable[[Any], bool] | None = None
) -> Any:
    """Apply `f` leaf-wise over `tree` and the trees in `rest` (which must share its structure).

    Examples:
        >>> tree_map(lambda x, y: x + y, {"a": 1, "b": (2,)}, {"a": 10, "b": (20,)})
        {'a': 11, 'b': (22,)}
    """
    leaves: list[Any] = []
    spec = _flatten(tree, leaves, is_leaf)
    if not rest:
        return _build(spec, iter([f(x) for x in leaves]))
    treedef = PyTreeDef(spec)
    others = []
    for i, other in enumerate(rest, start=1):
        try:
            others.append(treedef.flatten_up_to(other))
        except ValueError as e:
            raise ValueError(
                f"tree_map: tree argument {i} does not match the structure of the first tree: {e}"
            ) from None
    return _build(spec, iter([f(*xs) for xs in zip(leaves, *others, strict=False)]))


def tree_all(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """True if every leaf is truthy: ``tree_all([True, (1, None)]) is True``."""
    return all(tree_leaves(tree, is_leaf))


def tree_reduce(
    f: Callable[[Any, Any], Any],
    tree: Any,
    initializer: Any = _NO_INIT,
    is_leaf: Callable[[Any], bool] | None = None,
) -> Any:
    """Fold `f` over the leaves: ``tree_reduce(operator.add, [1, (2, 3)]) == 6``."""
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _NO_INIT:
        return functools.reduce(f, leaves)
    return functools.reduce(f, leaves, initializer)


def tree_transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None, pytree: Any) -> Any:
    """Swap the outer and inner levels of `pytree`, an `outer_treedef` of `inner_treedef`s.

    Examples:
        >>> tree_transpose(tree_structure([0, 0]), tree_structure((0, 0)), [(1, 2), (3, 4)])
        ([1, 3], [2, 4])
    """
    inner_trees = outer_treedef.flatten_up_to(pytree)
    if inner_treedef is None:
        inner_treedef = tree_structure(inner_trees[0]) if inner_trees else tree_structure(())
    columns = [inner_treedef.flatten_up_to(t) for t in inner_trees]
    rows = zip(*columns, strict=True) if columns else [[]] * inner_treedef.num_leaves
    return inner_treedef.unflatten([outer_treedef.unflatten(list(r)) for r in rows])


# ---- key paths: where each leaf sits, as JAX names it ----------------------------------------


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
    level = _one_level(x)
    if level is None:
        return None
    children, aux = level
    if t is tuple or t is list:
        keys = [SequenceKey(i) for i in range(len(children))]
    elif (dict_keys := _dict_keys(t, aux)) is not None:
        keys = [DictKey(k) for k in dict_keys]
    elif t not in _REGISTRY:  # namedtuple
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
        return _LEAF
    if x is None:
        return _NONE_SPEC
    node = _children_with_keys(x)
    if node is None:
        out.append((path, x))
        return _LEAF
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
