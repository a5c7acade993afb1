"""trace_ag.tree and the key-path half of trace_ag.tree_util against jax.tree / jax.tree_util:
the same leaves, the same key paths printed the same way (keystr), dataclasses and keyed
registrations, transpose and broadcast, and unhashable aux data (a dict) under ag.jit."""

from __future__ import annotations

import dataclasses
import operator
from collections import OrderedDict, defaultdict, namedtuple
from typing import Any

import numpy as np
import pytest

import trace_ag as ag
from trace_ag import tree
from trace_ag import tree_util as tu

jax = pytest.importorskip("jax")
jtu = jax.tree_util

Point = namedtuple("Point", "x y")

TREES = [
    {"b": [1, (2, 3)], "a": 4, "c": None},
    [Point(1, 2), (3,), [], {"z": 5}],
    OrderedDict([("b", 1), ("a", (2, 3))]),
    defaultdict(int, {"q": 1, "p": [2]}),
    (1, None, [None, 2]),
    7,
]


def paths(pairs, keystr):
    return [(keystr(p), leaf) for p, leaf in pairs]


@pytest.mark.parametrize("t", TREES, ids=range(len(TREES)))
def test_same_leaves_and_paths_as_jax(t):
    assert tree.leaves(t) == jax.tree.leaves(t)
    assert paths(tree.leaves_with_path(t), tu.keystr) == paths(
        jax.tree.leaves_with_path(t), jtu.keystr
    )
    ours = [tu.keystr(p, simple=True, separator="/") for p, _ in tree.leaves_with_path(t)]
    ref = [jtu.keystr(p, simple=True, separator="/") for p, _ in jax.tree.leaves_with_path(t)]
    assert ours == ref
    assert tree.map(lambda x: x * 3, t) == jax.tree.map(lambda x: x * 3, t)
    labelled = tree.map_with_path(lambda p, x: (tu.keystr(p), x), t)
    assert labelled == jax.tree.map_with_path(lambda p, x: (jtu.keystr(p), x), t)
    (pairs, treedef), jtreedef = tree.flatten_with_path(t), jax.tree.structure(t)
    assert treedef == tree.structure(t) and treedef.num_leaves == jtreedef.num_leaves
    assert tree.unflatten(treedef, [x for _, x in pairs]) == t


def test_key_classes_print_as_jax():
    for ours, ref in [
        (tu.DictKey("a"), jtu.DictKey("a")),
        (tu.SequenceKey(2), jtu.SequenceKey(2)),
        (tu.GetAttrKey("w"), jtu.GetAttrKey("w")),
        (tu.FlattenedIndexKey(1), jtu.FlattenedIndexKey(1)),
    ]:
        assert str(ours) == str(ref)
        assert repr(ours).split("(")[0] == repr(ref).split("(")[0]
    assert tu.DictKey("a") == tu.DictKey("a") and hash(tu.SequenceKey(1)) == hash(tu.SequenceKey(1))
    path = (tu.DictKey("a"), tu.SequenceKey(0), tu.GetAttrKey("x"))
    jpath = (jtu.DictKey("a"), jtu.SequenceKey(0), jtu.GetAttrKey("x"))
    assert tu.keystr(path) == jtu.keystr(jpath) == "['a'][0].x"
    assert tu.keystr(path, simple=True, separator=".") == jtu.keystr(
        jpath, simple=True, separator="."
    )


def test_is_leaf_with_and_without_path():
    t = {"a": [1, 2], "b": (3, [4])}
    ours = tree.leaves_with_path(t, is_leaf=lambda x: isinstance(x, list))
    ref = jax.tree.leaves_with_path(t, is_leaf=lambda x: isinstance(x, list))
    assert paths(ours, tu.keystr) == paths(ref, jtu.keystr)

    def stop_at_b(path, x):
        return len(path) == 1 and str(path[0]) == "['b']"

    ours = tree.leaves_with_path(t, is_leaf=stop_at_b, is_leaf_takes_path=True)
    ref = jax.tree.leaves_with_path(t, is_leaf=stop_at_b, is_leaf_takes_path=True)
    assert paths(ours, tu.keystr) == paths(ref, jtu.keystr)


def _register_both(cls, **kw):
    tu.register_dataclass(cls, **kw)
    jtu.register_dataclass(cls, **kw)
    return cls


@dataclasses.dataclass
class Layer:
    w: Any
    b: Any
    name: str = dataclasses.field(default="layer", metadata=dict(static=True))


_register_both(Layer)


@dataclasses.dataclass
class Explicit:
    kernel: Any
    act: str


_register_both(Explicit, data_fields=["kernel"], meta_fields=["act"])


def test_register_dataclass():
    t = [Layer(np.ones(2), 3.0, "first"), Explicit({"k": 1}, "relu")]
    assert paths(tree.leaves_with_path(t), tu.keystr) == paths(
        jax.tree.leaves_with_path(t), jtu.keystr
    )
    out = tree.map(lambda x: x * 2, t)
    assert isinstance(out[0], Layer) and out[0].name == "first" and out[1].act == "relu"
    np.testing.assert_array_equal(out[0].w, [2.0, 2.0])
    assert tree.structure(Layer(1, 2, "a")) != tree.structure(Layer(1, 2, "b"))  # meta is static
    g = ag.grad(lambda layer: ag.numpy.sum(layer.w * layer.b))(Layer(np.ones(2), 3.0))
    assert isinstance(g, Layer) and float(g.b) == 2.0
    with pytest.raises(TypeError, match="not a dataclass"):
        tu.register_dataclass(type("Plain", (), {}))


class Pair:
    def __init__(self, left, right):
        self.left, self.right = left, right


tu.register_pytree_with_keys(
    Pair,
    lambda p: (((tu.GetAttrKey("left"), p.left), (tu.GetAttrKey("right"), p.right)), None),
    lambda aux, ch: Pair(*ch),
)
jtu.register_pytree_with_keys(
    Pair,
    lambda p: (((jtu.GetAttrKey("left"), p.left), (jtu.GetAttrKey("right"), p.right)), None),
    lambda aux, ch: Pair(*ch),
)


class Unkeyed:
    def __init__(self, a, b):
        self.a, self.b = a, b


tu.register_pytree_node(Unkeyed, lambda u: ((u.a, u.b), None), lambda aux, ch: Unkeyed(*ch))
jtu.register_pytree_node(Unkeyed, lambda u: ((u.a, u.b), None), lambda aux, ch: Unkeyed(*ch))


def test_keyed_and_unkeyed_registrations():
    t = {"p": Pair(1, [2, 3]), "u": Unkeyed(4, (5,))}
    assert paths(tree.leaves_with_path(t), tu.keystr) == paths(
        jax.tree.leaves_with_path(t), jtu.keystr
    )
    out = tree.map(lambda x: -x, t)
    assert isinstance(out["p"], Pair) and out["p"].right == [-2, -3]


@tu.register_pytree_with_keys_class
class Box:
    def __init__(self, v):
        self.v = v

    def tree_flatten_with_keys(self):
        return ((tu.GetAttrKey("v"), self.v),), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


def test_register_pytree_with_keys_class():
    assert tu.keystr(tree.leaves_with_path([Box(1)])[0][0]) == "[0].v"
    assert tree.map(lambda x: x + 1, Box(1)).v == 2


def test_reduce_all_transpose_broadcast():
    t = {"a": 1, "b": (2, 3)}
    assert tree.reduce(operator.add, t) == jax.tree.reduce(operator.add, t) == 6
    assert tree.reduce(operator.add, t, 10) == 16
    assert tree.all([True, (1, None)]) and not tree.all([True, 0])
    outer, inner = tree.structure([0, 0, 0]), tree.structure({"x": 0, "y": 0})
    batch = [{"x": i, "y": 10 * i} for i in range(3)]
    ref = jax.tree.transpose(
        jax.tree.structure([0, 0, 0]), jax.tree.structure({"x": 0, "y": 0}), batch
    )
    assert tree.transpose(outer, inner, batch) == ref == {"x": [0, 1, 2], "y": [0, 10, 20]}
    assert tree.transpose(outer, None, batch) == ref
    full = ({"a": 0, "b": [0, 0]}, (0,))
    assert tree.broadcast((1, 2), full) == jax.tree.broadcast((1, 2), full)


class Meta:
    def __init__(self, x, config):
        self.x, self.config = x, config


tu.register_pytree_node(Meta, lambda m: ((m.x,), m.config), lambda aux, ch: Meta(ch[0], aux))


def test_unhashable_aux_data_under_jit():
    traces = []

    @ag.jit
    def f(m):
        traces.append(1)
        return m.x * m.config["scale"]

    x = np.arange(3.0)
    np.testing.assert_array_equal(f(Meta(x, {"scale": 2.0})), 2 * x)
    np.testing.assert_array_equal(f(Meta(x + 1, {"scale": 2.0})), 2 * (x + 1))
    assert len(traces) == 1  # an equal dict is the same signature
    np.testing.assert_array_equal(f(Meta(x, {"scale": 3.0})), 3 * x)
    assert len(traces) == 2
    s1, s2 = tree.structure(Meta(0, {"a": [1, 2]})), tree.structure(Meta(0, {"a": [1, 2]}))
    assert s1 == s2 and hash(s1) == hash(s2)
    s3 = tree.structure(Meta(0, np.arange(3)))  # arrays in aux data: compared by value
    assert s3 == tree.structure(Meta(1, np.arange(3))) != tree.structure(Meta(1, np.ones(3)))
    assert hash(s3) == hash(tree.structure(Meta(1, np.arange(3))))


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_reduce_associative_pairs_leaves_as_jax(n):
    t = {"a": list(range(n - 1)), "b": (n - 1,)}
    pair = lambda x, y: (x, y)  # noqa: E731  (the shape of the result shows the pairing)
    assert tree.reduce_associative(pair, t) == jax.tree.reduce_associative(pair, t)
    assert tree.reduce_associative(operator.add, [], identity=0) == 0
    with pytest.raises((TypeError, ValueError)):
        tree.reduce_associative(operator.add, [])
