"""trace_ag.tree_util against jax.tree_util as the oracle."""

from __future__ import annotations

import operator
import pickle
from collections import OrderedDict, defaultdict, namedtuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trace_ag.tree_util as tu

jtu = pytest.importorskip("jax.tree_util")

Point = namedtuple("Point", ["x", "y"])
Other = namedtuple("Other", ["x", "y"])

TREES = [
    1,
    None,
    (),
    [],
    {},
    (1,),
    [1, 2, 3],
    (1, [2, (3, 4)], 5),
    {"b": 2, "a": 1, "c": [3, 4]},
    {"z": {"y": (1, 2), "x": None}, "a": [None, 3]},
    {1: "one", 0: "zero", 2: ("two", "deux")},
    Point(1, 2),
    Point(x=[1, 2], y={"k": (3, None)}),
    [None, 1, (None,), {"n": None}],
    OrderedDict([("b", 1), ("a", (2, 3))]),
    {"od": OrderedDict([("z", 1), ("y", 2)]), "t": Point(None, [4])},
]


def same_structure_in_jax(tree):
    """Our leaves and round trip must agree with JAX's for `tree`."""
    leaves, treedef = tu.tree_flatten(tree)
    jleaves, jtreedef = jtu.tree_flatten(tree)
    assert leaves == jleaves
    assert treedef.num_leaves == jtreedef.num_leaves
    rebuilt = tu.tree_unflatten(treedef, leaves)
    assert rebuilt == tree
    assert type(rebuilt) is type(tree)
    assert rebuilt == jtu.tree_unflatten(jtreedef, jleaves)


@pytest.mark.parametrize("tree", TREES, ids=repr)
def test_flatten_matches_jax(tree):
    same_structure_in_jax(tree)
    assert tu.tree_leaves(tree) == jtu.tree_leaves(tree)


@pytest.mark.parametrize("tree", TREES, ids=repr)
def test_tree_map_matches_jax(tree):
    f = lambda x: (x, "mapped")
    assert tu.tree_map(f, tree) == jtu.tree_map(f, tree)


def test_dict_children_in_sorted_key_order_ordereddict_in_insertion_order():
    assert tu.tree_leaves({"b": 2, "a": 1}) == [1, 2]
    assert tu.tree_leaves(OrderedDict([("b", 2), ("a", 1)])) == [2, 1]
    assert tu.tree_structure({"b": 0, "a": 0}) == tu.tree_structure({"a": 0, "b": 0})
    assert tu.tree_structure(OrderedDict(b=0, a=0)) != tu.tree_structure(OrderedDict(a=0, b=0))
    assert tu.tree_structure(OrderedDict(a=0)) != tu.tree_structure({"a": 0})


def test_defaultdict_keeps_default_factory():
    tree = defaultdict(list, {"b": 2, "a": (1, None)})
    leaves, treedef = tu.tree_flatten(tree)
    assert leaves == jtu.tree_leaves(tree) == [1, 2]
    rebuilt = treedef.unflatten([10, 20])
    assert type(rebuilt) is defaultdict and rebuilt.default_factory is list
    assert dict(rebuilt) == {"a": (10, None), "b": 20}
    assert rebuilt["missing"] == []
    assert tu.tree_structure(defaultdict(list, {"a": 0})) != tu.tree_structure(
        defaultdict(dict, {"a": 0})
    )


def test_unsortable_dict_keys_raise_clear_error():
    with pytest.raises(ValueError, match="keys must be sortable"):
        tu.tree_flatten({1: "a", "b": 2})
    with pytest.raises(ValueError):
        jtu.tree_flatten({1: "a", "b": 2})


def test_none_is_an_empty_node():
    assert tu.tree_leaves([None, 1]) == [1] == jtu.tree_leaves([None, 1])
    assert tu.tree_leaves(None) == []
    leaves, treedef = tu.tree_flatten(None)
    assert treedef.num_leaves == 0
    assert treedef.unflatten([]) is None
    assert tu.tree_map(lambda x: x + 1, [None, 1, (None, 2)]) == [None, 2, (None, 3)]


def test_is_leaf_stops_descent_like_jax():
    tree = {"a": (1, 2), "b": [None, (3,)]}
    is_tuple = lambda x: isinstance(x, tuple)
    assert tu.tree_leaves(tree, is_leaf=is_tuple) == jtu.tree_leaves(tree, is_leaf=is_tuple)
    assert tu.tree_leaves(tree, is_leaf=is_tuple) == [(1, 2), (3,)]
    is_none = lambda x: x is None
    assert tu.tree_leaves([None, 1], is_leaf=is_none) == [None, 1]
    got = tu.tree_map(lambda x: len(x), tree, is_leaf=is_tuple)
    assert got == jtu.tree_map(lambda x: len(x), tree, is_leaf=is_tuple) == {"a": 2, "b": [None, 1]}
    assert tu.tree_structure(tree, is_leaf=is_tuple).num_leaves == 2


def test_tree_map_multiple_trees():
    a = {"w": [1, 2], "b": (3, None)}
    b = {"w": [10, 20], "b": (30, None)}
    c = {"w": [100, 200], "b": (300, None)}
    f = lambda x, y, z: x + y + z
    expected = {"w": [111, 222], "b": (333, None)}
    assert tu.tree_map(f, a, b, c) == jtu.tree_map(f, a, b, c) == expected


def test_tree_map_rest_trees_may_be_deeper_at_leaves():
    got = tu.tree_map(lambda x, y: (x, y), [1, 2], [(3, 4), {"k": 5}])
    assert got == jtu.tree_map(lambda x, y: (x, y), [1, 2], [(3, 4), {"k": 5}])
    assert got == [(1, (3, 4)), (2, {"k": 5})]


def test_tree_map_with_is_leaf_and_rest():
    first = [(1, 2), (3, 4)]
    second = [[5, 6], [7, 8]]
    is_pair = lambda x: isinstance(x, tuple)
    f = lambda p, q: p[0] * q[1]
    assert tu.tree_map(f, first, second, is_leaf=is_pair) == [6, 24]
    assert tu.tree_map(f, first, second, is_leaf=is_pair) == jtu.tree_map(
        f, first, second, is_leaf=is_pair
    )


@pytest.mark.parametrize(
    "first, other, message",
    [
        (
            {"a": 1, "b": (1, 2)},
            {"a": 1, "b": [1, 2, 3]},
            r"at key 'b': expected tuple of 2 children, got list of 3 children",
        ),
        (
            {"a": 1, "b": (1, 2)},
            {"a": 1, "b": (1, 2, 3)},
            r"at key 'b': expected tuple of 2 children, got tuple of 3 children",
        ),
        (
            {"a": 1, "b": [(1, 2)]},
            {"a": 1, "b": [(1,)]},
            r"at key 'b' -> index 0: expected tuple of 2 children, got tuple of 1 child",
        ),
        (
            {"a": 1, "b": 2},
            {"a": 1, "c": 2},
            r"at the root: expected dict with keys \['a', 'b'\], got dict with keys \['a', 'c'\]",
        ),
        ([1, None], [1, 2], r"at index 1: expected None, got a leaf of type int"),
        ((1, (2, 3)), (1, 5), r"at index 1: expected tuple of 2 children, got a leaf of type int"),
        (Point(1, (2, 3)), Point(1, (2,)), r"at field 'y': expected tuple of 2 children"),
        (Point(1, 2), Other(1, 2), r"at the root: expected Point of 2 children, got Other of 2"),
    ],
)
def test_structure_mismatch_names_the_path(first, other, message):
    with pytest.raises(ValueError, match=r"tree structure mismatch " + message):
        tu.tree_map(lambda x, y: x, first, other)
    with pytest.raises(ValueError, match="tree argument 1"):
        tu.tree_map(lambda x, y: x, first, other)
    with pytest.raises(ValueError):  # JAX agrees that these do not match
        jtu.tree_map(lambda x, y: x, first, other)


def test_mismatch_in_second_rest_tree_is_numbered():
    with pytest.raises(ValueError, match=r"tree argument 2 .* at index 0"):
        tu.tree_map(lambda x, y, z: x, [(1,), 2], [(1,), 2], [1, 2])


def test_flatten_up_to():
    treedef = tu.tree_structure({"a": 0, "b": (0, 0)})
    assert treedef.flatten_up_to({"a": [1, 2], "b": ({"x": 3}, None)}) == [[1, 2], {"x": 3}, None]
    with pytest.raises(ValueError, match=r"at key 'b': expected tuple of 2 children, got list"):
        treedef.flatten_up_to({"a": 1, "b": [1, 2, 3]})


def test_treedef_equality_and_hash():
    t1 = tu.tree_structure({"a": 1, "b": (2, [3, None])})
    t2 = tu.tree_structure({"b": ("x", ["y", None]), "a": "z"})
    assert t1 == t2 and hash(t1) == hash(t2)
    assert len({t1, t2}) == 1
    cache = {t1: "hit"}
    assert cache[t2] == "hit"
    different = [
        tu.tree_structure({"a": 1, "b": (2, [3, 4])}),
        tu.tree_structure({"a": 1, "b": [2, [3, None]]}),
        tu.tree_structure({"a": 1, "c": (2, [3, None])}),
        tu.tree_structure({"a": 1, "b": (2, [3])}),
        tu.tree_structure(Point(1, 2)),
        tu.tree_structure(Other(1, 2)),
        tu.tree_structure((1, 2)),
        tu.tree_structure(1),
        tu.tree_structure(None),
    ]
    for i, d in enumerate(different):
        assert d != t1
        for j, e in enumerate(different):
            assert (d == e) == (i == j)
    assert len(set(different)) == len(different)
    assert t1 != "not a treedef"


def test_treedef_is_immutable_and_picklable():
    treedef = tu.tree_structure({"a": 1, "b": (2, 3)})
    with pytest.raises(AttributeError):
        treedef.num_leaves = 7
    with pytest.raises(AttributeError):
        treedef._spec = None
    again = pickle.loads(pickle.dumps(treedef))
    assert again == treedef and hash(again) == hash(treedef)


@pytest.mark.parametrize(
    "tree",
    [
        {"a": 1, "b": (2, 3)},
        [1, (2,), None],
        5,
        (),
        [None],
        {"k": [1, {"j": 2}]},
        (1, [2, 3]),
    ],
    ids=repr,
)
def test_treedef_repr_matches_jax_for_builtin_containers(tree):
    assert repr(tu.tree_structure(tree)) == repr(jtu.tree_structure(tree))


def test_treedef_repr_of_other_nodes():
    assert repr(tu.tree_structure({"p": Point(1, [2])})) == "PyTreeDef({'p': Point(x=*, y=[*])})"
    assert repr(tu.tree_structure(OrderedDict(b=1, a=2))) == (
        "PyTreeDef(OrderedDict({'b': *, 'a': *}))"
    )


def test_treedef_children_and_num_leaves():
    tree = {"a": 1, "b": (2, [3, None])}
    treedef = tu.tree_structure(tree)
    assert treedef.num_leaves == jtu.tree_structure(tree).num_leaves == 3
    kids = treedef.children()
    assert kids == [tu.tree_structure(1), tu.tree_structure((2, [3, None]))]
    assert [repr(k) for k in kids] == [repr(k) for k in jtu.tree_structure(tree).children()]
    assert tu.tree_structure(7).children() == []


def test_unflatten_wrong_leaf_count():
    treedef = tu.tree_structure((1, [2, 3]))
    with pytest.raises(ValueError, match=r"expected 3, got 2"):
        treedef.unflatten([1, 2])
    with pytest.raises(ValueError, match=r"expected 3, got 4"):
        tu.tree_unflatten(treedef, [1, 2, 3, 4])
    assert tu.tree_unflatten(treedef, iter("abc")) == ("a", ["b", "c"])


class Box:
    def __init__(self, value, label):
        self.value = value
        self.label = label

    def __eq__(self, other):
        return type(other) is Box and (self.value, self.label) == (other.value, other.label)


def _box_flatten(b):
    return (b.value,), b.label


def _box_unflatten(label, children):
    return Box(children[0], label)


tu.register_pytree_node(Box, _box_flatten, _box_unflatten)
jtu.register_pytree_node(Box, _box_flatten, _box_unflatten)


@tu.register_pytree_node_class
class Pair:
    def __init__(self, left, right, tag="t"):
        self.left, self.right, self.tag = left, right, tag

    def tree_flatten(self):
        return (self.left, self.right), self.tag

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children, tag=aux)

    def __eq__(self, other):
        return type(other) is Pair and (self.left, self.right, self.tag) == (
            other.left,
            other.right,
            other.tag,
        )


jtu.register_pytree_node_class(Pair)


def test_register_pytree_node_user_class():
    tree = {"box": Box([1, 2], "lbl"), "x": 3}
    same_structure_in_jax(tree)
    doubled = tu.tree_map(lambda v: v * 2, tree)
    assert doubled == {"box": Box([2, 4], "lbl"), "x": 6}
    assert tu.tree_structure(Box(1, "a")) == tu.tree_structure(Box(2, "a"))
    assert tu.tree_structure(Box(1, "a")) != tu.tree_structure(Box(1, "b"))
    with pytest.raises(
        ValueError,
        match="at the root: expected Box of 1 child, got Box of 1 child"
        r" \(aux data 'a' vs 'b'\)",
    ):
        tu.tree_map(lambda x, y: x, Box(1, "a"), Box(1, "b"))


def test_register_pytree_node_class():
    tree = [Pair(1, (2, None), tag="p"), 4]
    same_structure_in_jax(tree)
    assert tu.tree_map(str, tree) == [Pair("1", ("2", None), tag="p"), "4"]
    with pytest.raises(ValueError, match=r"at index 0 -> child 1 of Pair: expected tuple"):
        tu.tree_map(lambda x, y: x, tree, [Pair(1, 2, tag="p"), 4])


def test_registering_twice_raises():
    with pytest.raises(ValueError, match="Box.*already registered"):
        tu.register_pytree_node(Box, _box_flatten, _box_unflatten)
    with pytest.raises(ValueError, match="builtins.tuple.*already registered"):
        tu.register_pytree_node(tuple, lambda x: (x, None), lambda _, c: tuple(c))


def test_registering_a_type_already_seen_as_a_leaf_makes_it_a_node():
    class Late:
        def __init__(self, a, b):
            self.a, self.b = a, b

    assert tu.tree_leaves([Late(1, 2)])[0].a == 1  # a leaf while unregistered
    tu.register_pytree_node(Late, lambda x: ((x.a, x.b), None), lambda _, ch: Late(*ch))
    assert tu.tree_leaves([Late(1, 2)]) == [1, 2]
    assert tu.tree_leaves({"k": Late(3, (4,))}) == [3, 4]


def test_unregistered_objects_and_container_subclasses_are_leaves():
    class MyList(list):
        pass

    obj = object()
    tree = [obj, MyList([1, 2]), {"s": "str"}]
    assert tu.tree_leaves(tree) == jtu.tree_leaves(tree) == [obj, MyList([1, 2]), "str"]


def test_tree_all_and_tree_reduce():
    assert tu.tree_all([True, (1, None), {"a": "x"}]) is True
    assert tu.tree_all([True, (0,)]) is False
    assert tu.tree_all([None]) is True
    assert tu.tree_all([(1, 2)], is_leaf=lambda x: isinstance(x, tuple)) is True
    tree = [1, (2, 3), {"a": 4}]
    assert tu.tree_reduce(operator.add, tree) == jtu.tree_reduce(operator.add, tree) == 10
    assert tu.tree_reduce(operator.add, tree, 100) == 110
    assert tu.tree_reduce(operator.add, [None], 5) == 5
    with pytest.raises(TypeError):
        tu.tree_reduce(operator.add, [None])


# --- property-based: random nested trees ---------------------------------------------------

_keys = st.text(alphabet="abcdef", min_size=1, max_size=3)
trees = st.recursive(
    st.integers(-100, 100) | st.none(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(_keys, children, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(trees)
def test_random_trees_match_jax(tree):
    same_structure_in_jax(tree)
    treedef = tu.tree_structure(tree)
    assert repr(treedef) == repr(jtu.tree_structure(tree))
    assert tu.tree_structure(tu.tree_map(lambda x: x, tree)) == treedef


@settings(max_examples=100, deadline=None)
@given(trees, trees)
def test_random_treedef_equality_matches_jax(a, b):
    ours = tu.tree_structure(a) == tu.tree_structure(b)
    assert ours == (jtu.tree_structure(a) == jtu.tree_structure(b))
    if ours:
        assert hash(tu.tree_structure(a)) == hash(tu.tree_structure(b))


@settings(max_examples=100, deadline=None)
@given(trees)
def test_random_tree_map_two_trees_matches_jax(tree):
    negated = tu.tree_map(lambda x: -x, tree)
    f = lambda x, y: x + 2 * y
    assert tu.tree_map(f, tree, negated) == jtu.tree_map(f, tree, negated)


# ---------------------------------------------------------------- the smaller jax.tree_util names


@pytest.mark.parametrize("index", range(len(TREES)))
def test_flatten_one_level_and_treedef_helpers_match_jax(index):
    tree = TREES[index]
    if not jtu.is_tree_node(type(tree)):
        with pytest.raises(ValueError, match="can't tree-flatten"):
            tu.flatten_one_level(tree)
    else:
        children, aux = tu.flatten_one_level(tree)
        theirs, their_aux = jtu.flatten_one_level(tree)
        assert list(children) == list(theirs)
        if isinstance(tree, dict) and type(tree) is dict:
            assert tuple(aux) == tuple(their_aux)
        keys = [tu.keystr((k,)) for k, _ in tu.flatten_one_level_with_keys(tree)[0]]
        if isinstance(tree, Point):  # jax 0.10 names every namedtuple child by the first field
            assert keys == [".x", ".y"]
        else:
            their_keyed = jtu.flatten_one_level_with_keys(tree)[0]
            assert keys == [jtu.keystr((k,)) for k, _ in their_keyed]
    assert tu.is_tree_node(type(tree)) == jtu.is_tree_node(type(tree))
    ours, theirs = tu.tree_structure(tree), jtu.tree_structure(tree)
    assert tu.treedef_is_leaf(ours) == jtu.treedef_is_leaf(theirs)
    assert [c.num_leaves for c in tu.treedef_children(ours)] == [
        c.num_leaves for c in jtu.treedef_children(theirs)
    ]
    pair = tu.treedef_tuple([ours, tu.tree_structure([1, 2])])
    assert pair.num_leaves == ours.num_leaves + 2
    assert pair == tu.tree_structure((tree, [1, 2]))


@pytest.mark.parametrize(
    "items", [[1, 2.0, "a"], [1, None], [1, (2,)], [], [[1]], [Point(1, 2)]], ids=str
)
def test_all_leaves_matches_jax(items):
    assert tu.all_leaves(items) == jtu.all_leaves(items)
    is_tuple = lambda x: isinstance(x, tuple)  # noqa: E731
    assert tu.all_leaves(items, is_leaf=is_tuple) == jtu.all_leaves(items, is_leaf=is_tuple)


@pytest.mark.parametrize("n", range(1, 10))
def test_tree_reduce_associative_pairs_leaves_as_jax(n):
    tree = {"a": list(range(n // 2)), "b": tuple(range(n // 2, n))}
    pair = lambda a, b: (a, b)  # noqa: E731
    assert tu.tree_reduce_associative(pair, tree) == jtu.tree_reduce_associative(pair, tree)


def test_tree_reduce_associative_of_nothing_needs_an_identity():
    with pytest.raises(TypeError, match="identity"):
        tu.tree_reduce_associative(operator.add, [])
    assert tu.tree_reduce_associative(operator.add, [], identity=0) == 0


def test_tree_broadcast_matches_jax():
    for prefix, full in [(1, {"a": 2, "b": [3]}), ((1, 2), ((0, 0), [0])), ([None], [None])]:
        assert tu.tree_broadcast(prefix, full) == jtu.tree_broadcast(prefix, full)


def test_partial_is_a_pytree_that_transforms_accept():
    import numpy as np

    import trace_ag as ag

    jax = pytest.importorskip("jax")
    ours = tu.Partial(lambda k, x, *, shift: k * x + shift, 3.0, shift=1.0)
    theirs = jtu.Partial(lambda k, x, *, shift: k * x + shift, 3.0, shift=1.0)
    assert tu.tree_leaves(ours) == jtu.tree_leaves(theirs) == [3.0, 1.0]
    apply = lambda f, x: f(x) ** 2  # noqa: E731
    assert np.allclose(ag.jit(apply)(ours, 2.0), jax.jit(apply)(theirs, 2.0))
    assert np.allclose(ag.jit(apply, backend="jax")(ours, 2.0), 49.0)
    got = ag.grad(apply)(ours, 2.0)
    want = jax.grad(apply)(theirs, 2.0)
    assert isinstance(got, tu.Partial)
    np.testing.assert_allclose(tu.tree_leaves(got), jtu.tree_leaves(want))
    xs = np.arange(3.0)
    np.testing.assert_allclose(
        ag.vmap(apply, (None, 0))(ours, xs), jax.vmap(apply, (None, 0))(theirs, xs)
    )
    nested = tu.Partial(tu.Partial(lambda a, b, c: a + b + c, 1.0), 2.0)
    assert nested(3.0) == 6.0
    assert tu.tree_leaves(nested) == jtu.tree_leaves(
        jtu.Partial(jtu.Partial(lambda a, b, c: a + b + c, 1.0), 2.0)
    )


def test_register_static_makes_a_leafless_node():
    @tu.register_static
    class Settings:
        def __init__(self, depth):
            self.depth = depth

        def __eq__(self, other):
            return isinstance(other, Settings) and other.depth == self.depth

        def __hash__(self):
            return hash(self.depth)

    tree = {"s": Settings(3), "x": 1}
    leaves, treedef = tu.tree_flatten(tree)
    assert leaves == [1]
    assert tu.tree_unflatten(treedef, [5])["s"].depth == 3
    assert tu.is_tree_node(Settings)
