"""jit never writes into an argument's buffer unless that argument is donated.

The NumPy backend runs ufuncs in place (``np.add(a, b, out=a)``) when ``a`` is dead and owned.
Hypothesis draws small random programs over float64 arguments of one 2-d shape (two arrays, a
dict of two arrays, one broadcastable array): elementwise ufuncs that may run in place, views
(reversals, transposes, reshapes, shifted-and-padded slices, broadcasts), operands passed
through unchanged (``cond``/``switch`` with an identity branch, loops of zero iterations, a scan
carrying its value, ``checkpoint``, identity ``custom_vjp``/``custom_jvp``, ``stop_gradient``),
reductions broadcast back, and arguments (or views of them) returned beside computed outputs.
Each jitted program, and its jitted gradient, is called three times: every call must give the
eager result, the same result as the first call, leave every argument that is not donated
unchanged and leave the outputs of earlier calls unchanged.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag import lax
from trace_ag.core import Primitive
from trace_ag.primitives._rules import same_aval
from trace_ag.tree_util import tree_leaves, tree_map

ARG_NAMES = ("x", "y", "d", "b")  # positions of the program's arguments; d = {"p": .., "q": ..}
SHAPES = [(2, 3), (3, 3), (1, 4), (4, 1), (2, 2)]


# ---------------------------------------------------------------- identity custom rules


@ag.custom_vjp
def vjp_identity(u):
    return u


vjp_identity.defvjp(lambda u: (u, None), lambda _, g: (g,))


@ag.custom_jvp
def jvp_identity(u):
    return u


@jvp_identity.defjvp
def _jvp_identity_rule(primals, tangents):
    return primals[0], tangents[0]


# ---------------------------------------------------------------- the steps of a program


def _transpose(u, shape):
    m, n = shape
    return u.T if m == n else tnp.reshape(u, (n, m)).T


def _unary(op):
    return lambda u, v, b, c, shape: op(u)


def _pred(v):
    return tnp.sum(v) > 0


UFUNCS = {  # the equations jit may run in place
    "add": lambda u, v, b, c, shape: u + v,
    "mul": lambda u, v, b, c, shape: u * v,
    "sub": lambda u, v, b, c, shape: u - v,
    "add_b": lambda u, v, b, c, shape: u + b,
    "mul_b": lambda u, v, b, c, shape: b * u,
    "scale": lambda u, v, b, c, shape: u * c,
    "shift": lambda u, v, b, c, shape: u + c,
    "rsub": lambda u, v, b, c, shape: c - u,
    "neg": _unary(lambda u: -u),
    "exp": _unary(tnp.exp),
    "tanh": _unary(tnp.tanh),
    "sin": _unary(tnp.sin),
    "matmul": lambda u, v, b, c, shape: u @ v if shape[0] == shape[1] else u * v,
}
VIEWS = {
    "rev0": _unary(lambda u: u[::-1]),
    "rev1": _unary(lambda u: u[:, ::-1]),
    "transpose": lambda u, v, b, c, shape: _transpose(u, shape),
    "flat_rev": lambda u, v, b, c, shape: tnp.reshape(tnp.reshape(u, (-1,))[::-1], shape),
    "shift_pad": _unary(lambda u: tnp.pad(u[1:], ((0, 1), (0, 0)))),
    "bcast_row": lambda u, v, b, c, shape: tnp.broadcast_to(u[:1], shape),
    "bcast_arg": lambda u, v, b, c, shape: tnp.broadcast_to(b, shape),
}
PASS_THROUGHS = {  # operands passed through unchanged (c = 1. and c = 0. add x * 1, x + 0)
    "cond_id_true": lambda u, v, b, c, shape: lax.cond(_pred(v), lambda a: a, lambda a: -a, u),
    "cond_id_false": lambda u, v, b, c, shape: lax.cond(_pred(v), lambda a: a * c, lambda a: a, u),
    "cond_swap": lambda u, v, b, c, shape: lax.cond(
        _pred(u), lambda a, e: (a, e), lambda a, e: (e, a), u, v
    ),
    "switch": lambda u, v, b, c, shape: lax.switch(
        _pred(v).astype(np.int32) * int(c > 0), [lambda a: a, lambda a: a[::-1], tnp.tanh], u
    ),
    "while0": lambda u, v, b, c, shape: lax.while_loop(
        lambda s: s[0] < 0, lambda s: (s[0] + 1, s[1] * 2.0), (0, u)
    )[1],
    "fori0": _unary(lambda u: lax.fori_loop(0, 0, lambda i, a: a * 2.0, u)),
    "scan_carry": lambda u, v, b, c, shape: lax.scan(
        lambda a, t: (a, tnp.sum(a) * t), u, np.arange(float(int(abs(c)) % 3))
    )[0],
    "scan_rev": lambda u, v, b, c, shape: lax.scan(
        lambda a, _: (a[::-1], None), u, None, length=int(abs(c)) % 3
    )[0],
    "checkpoint": _unary(ag.checkpoint(lambda a: a)),
    "checkpoint_view": _unary(ag.checkpoint(lambda a: a[:, ::-1])),
    "custom_vjp": _unary(vjp_identity),
    "custom_jvp": _unary(jvp_identity),
    "stop_gradient": _unary(ag.stop_gradient),
}
REDUCTIONS = {  # broadcast back
    "sum_keep": lambda u, v, b, c, shape: u - tnp.sum(u, axis=0, keepdims=True),
    "sum_bcast": lambda u, v, b, c, shape: tnp.broadcast_to(
        tnp.sum(u, axis=1, keepdims=True), shape
    ),
    "max_bcast": lambda u, v, b, c, shape: tnp.broadcast_to(
        tnp.max(u, axis=0, keepdims=True), shape
    ),
    "max_all": lambda u, v, b, c, shape: u * tnp.max(u),
    "sum_all": lambda u, v, b, c, shape: tnp.sum(v) + u,
}
THEN = {  # an in-place-able ufunc right after a step: ``cond(...) * 3.``
    "times3": lambda u: u * 3.0,
    "neg": lambda u: -u,
    "tanh": tnp.tanh,
    "plus1": lambda u: 1.0 + u,
}
# Hypothesis favours the start of a list: the pass-throughs, where an argument meets a ufunc.
STEPS = {**PASS_THROUGHS, **UFUNCS, **VIEWS, **REDUCTIONS}
NOT_DIFFERENTIABLE = {"while0"}  # while_loop has no reverse mode, even for zero iterations
ARG_VIEWS = {
    "itself": lambda a: a,
    "rev": lambda a: a[::-1] if a.shape else a,
    "T": lambda a: a.T,
    "flat": lambda a: tnp.reshape(a, (-1,)),
}


def make_program(steps, outputs, arg_outputs, shape):
    """The program as a function ``f(x, y, d, b)``. The pool holds the arguments, then every
    step's results; a step reads two values of it (the first, often, the latest: chains like
    ``cond`` then ``* 3.`` are where jit could write into an argument) and appends its results."""

    def f(x, y, d, b):
        pool = [x, y, d["p"], d["q"]]
        for name, i, j, c, then in steps:
            u = pool[-1] if i is None else pool[i % len(pool)]
            out = STEPS[name](u, pool[j % len(pool)], b, c, shape)
            out = list(out) if isinstance(out, tuple) else [out]
            if then is not None:
                out[0] = THEN[then](out[0])
            pool.extend(out)
        args = {"x": x, "y": y, "p": d["p"], "q": d["q"], "b": b}
        return {
            "last": pool[-1],
            "picked": [pool[k % len(pool)] for k in outputs],
            "args": [ARG_VIEWS[view](args[arg]) for arg, view in arg_outputs],
        }

    return f


def scalar_loss(f):
    def loss(x, y, d, b):
        out = f(x, y, d, b)
        total = tnp.sum(out["last"])
        for k, leaf in enumerate(tree_leaves([out["picked"], out["args"]])):
            total = total + tnp.sum(leaf * (0.5 + k))
        return total

    return loss


@st.composite
def programs(draw, differentiable=False):
    skip = NOT_DIFFERENTIABLE if differentiable else set()
    name = st.sampled_from([name for name in STEPS if name not in skip])
    index = st.integers(0, 30)
    first = st.none() | st.integers(0, 3) | index  # None: the latest value; 0-3: an argument
    const = st.sampled_from([3.0, -0.5, 1.0, 0.0, 2.0])
    then = st.none() | st.sampled_from(sorted(THEN))
    steps = draw(st.lists(st.tuples(name, first, index, const, then), min_size=1, max_size=7))
    outputs = draw(st.lists(index, max_size=3))
    arg_outputs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["x", "y", "p", "q", "b"]), st.sampled_from(sorted(ARG_VIEWS))
            ),
            max_size=2,
        )
    )
    shape = draw(st.sampled_from(SHAPES))
    b_shape = draw(st.sampled_from([shape[1:], (1, shape[1]), (shape[0], 1), ()]))
    seed = draw(st.integers(0, 2**16))
    donate = draw(st.sets(st.integers(0, len(ARG_NAMES) - 1), max_size=3))
    alias_y = not donate & {0, 1} and draw(st.booleans())  # f(x, x, ...): legal, not donated
    return steps, outputs, arg_outputs, shape, b_shape, seed, tuple(sorted(donate)), alias_y


def make_args(shape, b_shape, seed, alias_y):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * 1.5
    y = x if alias_y else rng.normal(size=shape)
    d = {"p": rng.normal(size=shape), "q": rng.normal(size=shape)}
    return [x, y, d, rng.normal(size=b_shape)]


# ---------------------------------------------------------------- checks


def copy_tree(tree):
    return tree_map(np.copy, tree)


def assert_trees_equal(actual, expected, what):
    actual, expected = tree_leaves(actual), tree_leaves(expected)
    assert len(actual) == len(expected), what
    for a, e in zip(actual, expected, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(e), err_msg=what)


def assert_trees_close(actual, expected, what):
    # Not bit for bit: NumPy's SIMD loops may round differently for in-place or strided operands.
    actual, expected = tree_leaves(actual), tree_leaves(expected)
    assert len(actual) == len(expected), what
    for a, e in zip(actual, expected, strict=True):
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape and a.dtype == e.dtype, what
        np.testing.assert_allclose(a, e, rtol=1e-9, atol=1e-12, err_msg=what)


def check_calls(fn, args, donate=(), calls=3):
    """Eager ``fn`` on copies is the reference; ``jit(fn)`` on ``args`` (fresh copies of the
    donated ones each call) must match it on every call without changing what is not donated."""
    snapshot = copy_tree(args)
    with np.errstate(all="ignore"):
        expected = fn(*copy_tree(args))
        fn(*args)
    assert_trees_equal(args, snapshot, "eager evaluation changed an argument")
    jitted = ag.jit(fn, donate_argnums=donate)
    results = []
    for call in range(calls):
        call_args = [copy_tree(a) if k in donate else a for k, a in enumerate(args)]
        with np.errstate(all="ignore"):
            out = jitted(*call_args)
        for k, name in enumerate(ARG_NAMES):
            if k not in donate:
                assert_trees_equal(args[k], snapshot[k], f"call {call} changed argument {name}")
        assert_trees_close(out, expected, f"call {call} differs from eager")
        if results:
            assert_trees_equal(out, results[0][1], f"call {call} differs from call 0")
        results.append((out, copy_tree(out)))
    for call, (out, kept) in enumerate(results):
        assert_trees_equal(out, kept, f"a later call changed the outputs of call {call}")
    assert jitted.trace_count == 1


@settings(max_examples=100, deadline=None)
@given(programs())
def test_random_programs_leave_arguments_alone(program):
    steps, outputs, arg_outputs, shape, b_shape, seed, _, alias_y = program
    f = make_program(steps, outputs, arg_outputs, shape)
    check_calls(f, make_args(shape, b_shape, seed, alias_y))


@settings(max_examples=50, deadline=None)
@given(programs())
def test_random_programs_change_only_donated_arguments(program):
    steps, outputs, arg_outputs, shape, b_shape, seed, donate, _ = program
    f = make_program(steps, outputs, arg_outputs, shape)
    check_calls(f, make_args(shape, b_shape, seed, False), donate)


@settings(max_examples=50, deadline=None)
@given(programs(differentiable=True))
def test_jitted_gradients_of_random_programs_leave_arguments_alone(program):
    steps, outputs, arg_outputs, shape, b_shape, seed, donate, alias_y = program
    loss = scalar_loss(make_program(steps, outputs, arg_outputs, shape))
    grad = ag.grad(loss, argnums=(0, 1, 2, 3))
    check_calls(grad, make_args(shape, b_shape, seed, alias_y and not donate), donate)


# ---------------------------------------------------------------- regressions


REVERSE_VIEW = Primitive(
    "test_jit_argument_safety_reverse_view",
    impl=lambda x: x[::-1],
    abstract_eval=same_aval,
    differentiable=False,
)

IDENTITIES = {
    "cond_identity_branch": lambda v: lax.cond(tnp.sum(v) > 0, lambda u: u, lambda u: -u, v),
    "switch_identity_branch": lambda v: lax.switch(0, [lambda u: u, lambda u: -u], v),
    "while_loop_zero_iterations": lambda v: lax.while_loop(
        lambda s: s[0] < 0, lambda s: (s[0] + 1, s[1] * 2.0), (0, v)
    )[1],
    "fori_loop_0_0": lambda v: lax.fori_loop(0, 0, lambda i, u: u * 2.0, v),
    "scan_carry": lambda v: lax.scan(lambda c, _: (c, None), v, None, length=2)[0],
    "checkpoint_identity": lambda v: ag.checkpoint(lambda u: u)(v),
    "custom_vjp_identity": vjp_identity,
    "custom_jvp_identity": jvp_identity,
    "stop_gradient": ag.stop_gradient,
    "user_primitive_view": REVERSE_VIEW.bind,
}


@pytest.mark.parametrize("name", sorted(IDENTITIES))
def test_passed_through_argument_is_not_written(name):
    through = IDENTITIES[name]
    x = np.arange(1.0, 4.0)
    f = lambda v: through(v) * 3.0  # noqa: E731
    want = np.array(f(x.copy()))
    jitted = ag.jit(f)
    for _ in range(3):
        np.testing.assert_array_equal(jitted(x), want)
        np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_user_primitive_returning_a_view_is_never_written():
    x = np.arange(4.0)
    f = lambda v: REVERSE_VIEW.bind(v) * 2.0 + 1.0  # noqa: E731
    np.testing.assert_array_equal(f(x), [7.0, 5.0, 3.0, 1.0])
    jitted = ag.jit(f)
    for _ in range(3):
        np.testing.assert_array_equal(jitted(x), [7.0, 5.0, 3.0, 1.0])
        np.testing.assert_array_equal(x, np.arange(4.0))


def test_passed_through_argument_is_returned_unchanged_beside_a_computed_output():
    x = np.arange(1.0, 4.0)
    f = ag.jit(lambda v: (lax.cond(tnp.sum(v) > 0, lambda u: u, lambda u: -u, v), v * 3.0))
    for _ in range(3):
        same, tripled = f(x)
        np.testing.assert_array_equal(same, [1.0, 2.0, 3.0])
        np.testing.assert_array_equal(tripled, [3.0, 6.0, 9.0])
        np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
