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

import functools
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import numpy as np

__all__ = [
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "KeyEntry",
    "KeyPath",
    "Partial",
    "PyTreeDef",
    "SequenceKey",
    "all_leaves",
    "flatten_one_level",
    "flatten_one_level_with_keys",
    "is_tree_node",
    "keystr",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "register_pytree_with_keys",
    "register_pytree_with_keys_class",
    "register_static",
    "tree_all",
    "tree_broadcast",
    "tree_flatten",
    "tree_flatten_with_path",
    "tree_leaves",
    "tree_leaves_with_path",
    "tree_map",
    "tree_map_with_path",
    "tree_reduce",
    "tree_reduce_associative",
    "tree_structure",
    "tree_transpose",
    "tree_unflatten",
    "treedef_children",
    "treedef_is_leaf",
    "treedef_tuple",
]

_NoneType = type(None)
LEAF = "*"  # structure marker of a leaf; a node is (type, aux_data, child_specs, num_leaves)
NONE_SPEC = (_NoneType, None, (), 0)
NOT_GIVEN = object()  # the default of an optional argument that may be None (an initializer)

# type -> (flatten(x) -> (children, aux), unflatten(aux, children) -> x)
_REGISTRY: dict[type, tuple[Callable, Callable]] = {}
LEAF_TYPES: set[type] = set()  # types seen to be leaves (neither registered nor namedtuple)


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
    LEAF_TYPES.discard(nodetype)


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


def dict_keys_of(t: type, aux: Any) -> tuple | None:
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
        return LEAF
    t = type(x)
    if t is tuple or t is list:  # fast paths for the common containers
        children, aux = x, None
    elif t is dict:
        children, aux = _flatten_dict(x)
    elif x is None:
        return NONE_SPEC
    else:
        handler = _REGISTRY.get(t)
        if handler is not None:
            children, aux = handler[0](x)
        elif issubclass(t, tuple) and hasattr(t, "_fields"):  # namedtuple
            children, aux = x, None
        else:
            LEAF_TYPES.add(t)
            leaves.append(x)
            return LEAF
    start = len(leaves)
    if is_leaf is not None:
        specs = tuple([_flatten(c, leaves, is_leaf) for c in children])
        return (t, aux, specs, len(leaves) - start)
    spec_list = []
    for c in children:  # leaves of already-seen types are taken inline, saving a call each
        if type(c) in LEAF_TYPES:
            leaves.append(c)
            spec_list.append(LEAF)
        else:
            spec_list.append(_flatten(c, leaves, None))
    return (t, aux, tuple(spec_list), len(leaves) - start)


def _build(spec: Any, leaves: Iterable) -> Any:
    """Rebuild the tree of `spec`, drawing its leaves from the iterator `leaves`."""
    if spec is LEAF:
        return next(leaves)
    t, aux, specs, _ = spec
    children = []
    for s in specs:  # a loop, not a comprehension: no extra frame per node on Python 3.11
        children.append(next(leaves) if s is LEAF else _build(s, leaves))
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
    keys = dict_keys_of(t, aux)
    if keys is not None:
        kind = f"defaultdict({_name(aux[0])})" if t is defaultdict else t.__name__
        return f"{kind} with keys {list(keys)!r}"
    n = len(specs)
    return f"{t.__name__} of {n} {'child' if n == 1 else 'children'}"


def node_children(x: Any) -> tuple[list, Any] | None:
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
        level = node_children(x)
        if level is None:
            raise _Mismatch(f"expected {_describe(spec)}, got a leaf of type {xt.__name__}")
        children, x_aux = level
        if xt is not t or len(children) != len(specs) or not _aux_equal(x_aux, aux):
            got = (xt, x_aux, (LEAF,) * len(children), len(children))
            detail = f"expected {_describe(spec)}, got {_describe(got)}"
            if t not in _BUILTIN and xt is t and len(children) == len(specs):
                detail += f" (aux data {aux!r} vs {x_aux!r})"
            raise _Mismatch(detail)
    for i, (s, c) in enumerate(zip(specs, children, strict=False)):
        if s is LEAF:
            out.append(c)
            continue
        try:
            _up_to(s, c, out)
        except _Mismatch as e:
            e.path.append(_path_entry(t, aux, i))
            raise


def _path_entry(t: type, aux: Any, i: int) -> str:
    keys = dict_keys_of(t, aux)
    if keys is not None:
        return f"key {keys[i]!r}"
    if t is tuple or t is list:
        return f"index {i}"
    if t not in _REGISTRY:
        return f"field {t._fields[i]!r}"
    return f"child {i} of {t.__name__}"


def _repr(spec: Any) -> str:
    if spec is LEAF:
        return "*"
    t, aux, specs, _ = spec
    parts = [_repr(s) for s in specs]
    if t is tuple:
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    if t is list:
        return "[" + ", ".join(parts) + "]"
    if t is _NoneType:
        return "None"
    keys = dict_keys_of(t, aux)
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
        return 1 if self._spec is LEAF else self._spec[3]

    def children(self) -> list[PyTreeDef]:
        """Structures of the root's immediate children (empty for a leaf)."""
        return [] if self._spec is LEAF else [PyTreeDef(s) for s in self._spec[2]]

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
        if self._spec is LEAF:
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
    initializer: Any = NOT_GIVEN,
    is_leaf: Callable[[Any], bool] | None = None,
) -> Any:
    """Fold `f` over the leaves: ``tree_reduce(operator.add, [1, (2, 3)]) == 6``."""
    leaves = tree_leaves(tree, is_leaf)
    if initializer is NOT_GIVEN:
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


def registered_node_types() -> dict[type, tuple[Callable, Callable]]:
    """The node types registered by programs and libraries (not the built-in containers),
    each with its ``(flatten, unflatten)``."""
    return {t: fns for t, fns in _REGISTRY.items() if t not in _BUILTIN}


def is_registered(t: type) -> bool:
    """Whether ``t`` was registered as a pytree node (namedtuples need not be)."""
    return t in _REGISTRY


# Key paths live in their own module; tree_util is where users find them, as in JAX.
# The smaller jax.tree_util names (Partial, one-level flattening, treedef helpers, ...).
from trace_ag._tree_more import (  # noqa: E402
    Partial,
    all_leaves,
    flatten_one_level,
    flatten_one_level_with_keys,
    is_tree_node,
    register_static,
    tree_broadcast,
    tree_reduce_associative,
    treedef_children,
    treedef_is_leaf,
    treedef_tuple,
)
from trace_ag.tree_paths import (  # noqa: E402  # noqa: E402, F401
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    KeyEntry,
    KeyPath,
    SequenceKey,
    keystr,
    register_dataclass,
    register_pytree_with_keys,
    register_pytree_with_keys_class,
    tree_flatten_with_path,
    tree_leaves_with_path,
    tree_map_with_path,
)
