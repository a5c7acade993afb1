"""The ``jax.lax`` names built from trace_ag operations (trace_ag/_lax_ops.py, _lax_arrays.py,
_lax_reduce.py) against ``jax.lax``: values, reverse-mode derivatives, jit on both backends,
vmap, and the errors lax raises where NumPy would broadcast or promote."""

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag import errors, lax

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jlax = jax.lax

R = np.random.default_rng(7)
X = R.normal(size=(3, 4))
Y = R.normal(size=(3, 4))
POS = R.uniform(0.5, 2.0, size=(3, 4))
UNIT = R.uniform(-0.9, 0.9, size=(3, 4))
INTS = np.array([[-7, 7, -8, 9], [3, -3, 0, 5], [11, -11, 6, -6]], np.int32)
DIVS = np.array([[2, -2, 3, 4], [-5, 5, 1, 3], [4, 4, -7, 7]], np.int32)
SHIFTS = np.array([[0, 1, 31, 32], [2, 33, -1, 5], [3, 7, 30, 1]], np.int32)

# name -> (operands, static keyword args, differentiable in the operands)
CASES = {
    "add": ((X, Y), {}, True),
    "sub": ((X, Y), {}, True),
    "mul": ((X, Y), {}, True),
    "div": ((X, POS), {}, True),
    "div_int": ((INTS, DIVS), {}, False),
    "rem": ((X * 5, POS), {}, True),
    "rem_int": ((INTS, DIVS), {}, False),
    "pow": ((POS, X), {}, True),
    "max": ((X, Y), {}, True),
    "min": ((X, Y), {}, True),
    "atan2": ((X, Y), {}, True),
    "eq": ((INTS, DIVS), {}, False),
    "lt": ((X, Y), {}, False),
    "ge": ((X, Y), {}, False),
    "bitwise_and": ((INTS, DIVS), {}, False),
    "bitwise_xor": ((INTS, DIVS), {}, False),
    "bitwise_not": ((INTS,), {}, False),
    "shift_left": ((INTS, SHIFTS), {}, False),
    "shift_right_arithmetic": ((INTS, SHIFTS), {}, False),
    "shift_right_logical": ((INTS, SHIFTS), {}, False),
    "integer_pow": ((X,), {"y": 3}, True),
    "rsqrt": ((POS,), {}, True),
    "square": ((X,), {}, True),
    "sign": ((X,), {}, False),
    "round": ((X * 3,), {}, False),
    "exp2": ((X,), {}, True),
    "logistic": ((X,), {}, True),
    "erf_inv": ((UNIT,), {}, True),
    "lgamma": ((POS,), {}, True),
    "digamma": ((POS,), {}, True),
    "igamma": ((POS, POS[::-1]), {}, False),
    "igammac": ((POS, POS[::-1]), {}, False),
    "asinh": ((X,), {}, True),
    "atanh": ((UNIT,), {}, True),
    "is_finite": ((X,), {}, False),
    "clamp": ((np.full_like(X, -0.3), X, np.full_like(X, 0.5)), {}, True),
    "clamp_scalar_ends": ((-0.3, X, 0.5), {}, False),
    "select_n": ((INTS % 3, X, Y, POS), {}, True),
    "broadcast_in_dim": ((X[0],), {"shape": (2, 4, 3), "broadcast_dimensions": (1,)}, True),
    "broadcast": ((X,), {"sizes": (2,)}, True),
    "convert_element_type": ((X * 3,), {"new_dtype": np.int32}, False),
    "concatenate": (([X, Y],), {"dimension": 1}, True),
    "pad": ((X, 0.5), {"padding_config": [(1, -1, 2), (-2, 3, 1)]}, True),
    "slice": ((X,), {"start_indices": (1, 0), "limit_indices": (3, 4), "strides": (1, 2)}, True),
    "slice_in_dim": ((X,), {"start_index": 1, "limit_index": None, "axis": 1}, True),
    "index_in_dim": ((X,), {"index": -1, "axis": 0, "keepdims": False}, True),
    "expand_dims": ((X,), {"dimensions": (0, 3)}, True),
    "squeeze": ((X[:1],), {"dimensions": (0,)}, True),
    "reshape": ((X,), {"new_sizes": (2, 6), "dimensions": (1, 0)}, True),
    "rev": ((X,), {"dimensions": (0, 1)}, True),
    "transpose": ((X,), {"permutation": (1, 0)}, True),
    "collapse": ((X,), {"start_dimension": 0, "stop_dimension": 2}, True),
    "split": ((X,), {"sizes": (1, 3), "axis": 1}, True),
    "complex": ((X, Y), {}, False),
    "argmax": ((X,), {"axis": 1, "index_dtype": np.int32}, False),
    "argmin": ((X,), {"axis": 0, "index_dtype": np.int64}, False),
    "reduce_sum": ((X,), {"axes": (0, 1)}, True),
    "reduce_max": ((np.round(X),), {"axes": (1,)}, True),  # ties: the cotangent is shared
    "reduce_min": ((X,), {"axes": (0,)}, True),
    "reduce_prod": ((X,), {"axes": (1,)}, True),
    "reduce_and": ((INTS,), {"axes": (1,)}, False),
    "reduce_or": ((INTS > 0,), {"axes": (0,)}, False),
    "reduce_xor": ((INTS,), {"axes": (0,)}, False),
    "cumsum": ((X,), {"axis": 1, "reverse": True}, True),
    "cumprod": ((X,), {"axis": 0}, True),
    "cummax": ((np.round(X),), {"axis": 1}, True),
    "cummin": ((X,), {"axis": 1, "reverse": True}, True),
    "cumlogsumexp": ((X,), {"axis": 0}, True),
    "sort": ((X,), {"dimension": 0}, True),
    "sort_multi": (((INTS % 2, X),), {"num_keys": 1}, False),  # derivative: sort_key_val
    "sort_key_val": ((INTS, X), {"dimension": 1}, True),
    "top_k": ((np.round(X * 2),), {"k": 3}, True),
    "dot_general": (
        (R.normal(size=(2, 3, 4)), R.normal(size=(4, 2, 5))),
        {"dimension_numbers": (((2,), (0,)), ((0,), (1,)))},
        True,
    ),  # fmt: skip
    "dot": ((X, Y.T), {}, True),
    "batch_matmul": ((R.normal(size=(2, 3, 4)), R.normal(size=(2, 4, 2))), {}, True),
    "conv_with_general_padding": (
        (R.normal(size=(2, 3, 6, 5)), R.normal(size=(4, 3, 3, 2))),
        {
            "window_strides": (2, 1),
            "padding": [(1, 2), (0, 1)],
            "lhs_dilation": (1, 2),
            "rhs_dilation": (2, 1),
        },
        True,
    ),  # fmt: skip
    "conv_transpose": (
        (R.normal(size=(2, 5, 6, 3)), R.normal(size=(3, 2, 4, 3))),
        {"strides": (2, 1), "padding": "SAME", "transpose_kernel": True},
        True,
    ),
    "conv_transpose_valid_1d": (
        (R.normal(size=(2, 5, 3)), R.normal(size=(2, 3, 4))),
        {"strides": (3,), "padding": "VALID"},
        True,
    ),
}
_FN_NAME = {"div_int": "div", "rem_int": "rem", "sort_multi": "sort", "clamp_scalar_ends": "clamp"}
_FN_NAME["conv_transpose_valid_1d"] = "conv_transpose"


def _pair(case):
    name = _FN_NAME.get(case, case)
    args, kwargs, diff = CASES[case]
    return (
        (lambda *a: getattr(lax, name)(*a, **kwargs)),
        (lambda *a: getattr(jlax, name)(*a, **kwargs)),
        args,
        diff,
    )


def _float_positions(args):
    return [
        i
        for i, a in enumerate(args)
        if isinstance(a, np.ndarray) and a.dtype.kind == "f" or isinstance(a, float)
    ]


def _assert_tree_close(ours, theirs, rtol=1e-10, atol=1e-12):
    ours_leaves, ours_def = ag.tree_util.tree_flatten(ours)
    theirs_leaves = jax.tree_util.tree_leaves(theirs)
    assert len(ours_leaves) == len(theirs_leaves), (ours_def, theirs)
    for a, b in zip(ours_leaves, theirs_leaves, strict=True):
        b = np.asarray(b)
        a = np.asarray(a)
        assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_match_jax_eagerly_and_under_jit(case):
    ours, theirs, args, _ = _pair(case)
    expected = theirs(*args)
    _assert_tree_close(ours(*args), expected)
    _assert_tree_close(ag.jit(ours)(*args), expected)
    if case not in _SLOW_TO_COMPILE:
        _assert_tree_close(ag.jit(ours, backend="jax")(*args), expected)


_SLOW_TO_COMPILE = {"igamma", "igammac"}  # their JAX lowerings take seconds to compile
_JIT_GRAD_CASES = {"rem", "clamp", "pad", "sort_key_val", "top_k", "conv_transpose", "cumsum"}


def _scalar(fn):
    def total(*args):
        leaves = [x for x in ag.tree_util.tree_leaves(fn(*args))]
        return sum(tnp.sum(tnp.sin(x)) for x in leaves if np.dtype(x.dtype).kind == "f")

    return total


def _jax_scalar(fn):
    def total(*args):
        leaves = jax.tree_util.tree_leaves(fn(*args))
        return sum(jnp.sum(jnp.sin(x)) for x in leaves if x.dtype.kind == "f")

    return total


@pytest.mark.parametrize("case", sorted(c for c in CASES if CASES[c][2]))
def test_derivatives_match_jax(case):
    ours, theirs, args, _ = _pair(case)
    argnums = tuple(_float_positions(args))
    if not argnums:  # the float operand is inside a list or tuple
        argnums = (0,)
    args = tuple(np.float64(a) if isinstance(a, float) else a for a in args)
    got = ag.grad(_scalar(ours), argnums=argnums)(*args)
    want = jax.grad(_jax_scalar(theirs), argnums=argnums)(*args)
    _assert_tree_close(got, want, rtol=1e-9, atol=1e-12)
    if case in _JIT_GRAD_CASES:
        got_jit = ag.jit(ag.grad(_scalar(ours), argnums=argnums), backend="jax")(*args)
        _assert_tree_close(got_jit, want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "case", ["add", "rem", "clamp", "pad", "cummax", "sort_key_val", "top_k", "dot_general"]
)
def test_vmap_over_a_leading_batch_matches_jax(case):
    ours, theirs, args, _ = _pair(case)
    batched = tuple(np.stack([a, a * 0.5 + 1]) if isinstance(a, np.ndarray) else a for a in args)
    axes = tuple(0 if isinstance(a, np.ndarray) else None for a in args)
    _assert_tree_close(ag.vmap(ours, in_axes=axes)(*batched), jax.vmap(theirs, axes)(*batched))


@pytest.mark.parametrize("case", ["pow", "cumlogsumexp", "dot", "clamp"])
def test_float32_matches_jax(case):
    ours, theirs, args, _ = _pair(case)
    args = tuple(a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in args)
    _assert_tree_close(ours(*args), theirs(*args), rtol=2e-6, atol=1e-6)


def test_grad_of_pad_reaches_the_padding_value():
    config = [(2, -1, 1), (0, 1, 0)]
    # (JAX's own rule needs the operand differentiated too)
    got = ag.grad(lambda x, v: tnp.sum(lax.pad(x, v, config) ** 2), (0, 1))(X, 0.7)
    want = jax.grad(lambda x, v: jnp.sum(jlax.pad(x, v, config) ** 2), (0, 1))(X, 0.7)
    _assert_tree_close(got, want)


def test_clamp_derivatives_at_the_ends_are_jax_s():
    x = np.array([-1.0, 0.0, 0.3, 1.0, 2.0])
    for argnum in range(3):
        ends = (np.zeros_like(x), x, np.ones_like(x))  # JAX differentiates array ends only
        got = ag.grad(lambda *a: tnp.sum(lax.clamp(*a)), argnums=argnum)(*ends)
        want = jax.grad(lambda *a: jnp.sum(jlax.clamp(*a)), argnums=argnum)(*ends)
        np.testing.assert_array_equal(got, want)


def test_reduce_with_a_generic_monoid_and_pytree_operands():
    def argmin_pair(a, b):
        first = a[0] <= b[0]
        return tnp.where(first, a[0], b[0]), tnp.where(first, a[1], b[1])

    def jax_argmin_pair(a, b):
        first = a[0] <= b[0]
        return jnp.where(first, a[0], b[0]), jnp.where(first, a[1], b[1])

    idx = np.broadcast_to(np.arange(4), X.shape)
    ours = lax.reduce((X, idx), (np.inf, 0), argmin_pair, (1,))
    theirs = jlax.reduce((X, idx), (np.inf, 0), jax_argmin_pair, (1,))
    _assert_tree_close(ours, theirs)
    np.testing.assert_allclose(
        lax.reduce(X, 2.0, lax.mul, (0,)), jlax.reduce(X, 2.0, jlax.mul, (0,))
    )
    np.testing.assert_allclose(lax.reduce(X, 0.0, lambda a, b: a + b, (0, 1)), X.sum())
    empty = np.zeros((0, 3))
    np.testing.assert_allclose(lax.reduce(empty, 5.0, lax.add, (0,)), np.full(3, 5.0))


def test_iota_full_and_weak_python_scalars():
    np.testing.assert_array_equal(lax.iota(np.int32, 4), jlax.iota(np.int32, 4))
    np.testing.assert_array_equal(
        lax.broadcasted_iota(np.float32, (2, 3), 0), jlax.broadcasted_iota(np.float32, (2, 3), 0)
    )
    assert lax.full((2, 2), 3).dtype == jlax.full((2, 2), 3).dtype
    assert lax.full_like(X.astype(np.float32), 2).dtype == np.float32
    assert lax.add(X.astype(np.float32), 1.0).dtype == np.float32  # a weak Python scalar
    assert lax.mul(INTS, 2).dtype == np.int32
    assert lax.broadcast_shapes((3, 1), (4,)) == jlax.broadcast_shapes((3, 1), (4,))
    np.testing.assert_allclose(lax.add(X, np.float64(2.0)), X + 2.0)  # rank 0 against any shape


@pytest.mark.parametrize(
    "call",
    [
        lambda: lax.add(X, X[0]),
        lambda: lax.add(X, X.astype(np.float32)),
        lambda: lax.mul(INTS, 1.5),
        lambda: lax.eq(X, INTS),
        lambda: lax.clamp(np.zeros(2), X, 1.0),
        lambda: lax.broadcast_in_dim(X, (3, 4), (1, 0)),
        lambda: lax.squeeze(X, (0,)),
        lambda: lax.slice(X, (0, 0), (4, 4)),
        lambda: lax.pad(X, np.float32(0), [(0, 0, 0)] * 2),
        lambda: lax.pad(X, 0.0, [(0, 0, -1)] * 2),
        lambda: lax.transpose(X, (0, 0)),
        lambda: lax.reshape(X, (5,)),
        lambda: lax.concatenate([X, INTS], 0),
        lambda: lax.dot_general(X, Y, (((1,), (0,)), ((), ()))),
        lambda: lax.batch_matmul(X, Y),
        lambda: lax.top_k(X, 5),
        lambda: lax.shift_left(X, X),
        lambda: lax.integer_pow(X, 1.5),
        lambda: lax.split(X, (1, 1), axis=1),
        lambda: lax.broadcast_shapes((3,), (4,)),
        lambda: lax.complex(INTS, INTS),
    ],
)
def test_bad_input_raises_as_jax_does(call):
    with pytest.raises((TypeError, ValueError, errors.TraceAgError)):
        call()


def test_reduce_window_and_associative_scan_still_take_the_strict_names():
    x = R.normal(size=(4, 4))
    np.testing.assert_allclose(
        lax.reduce_window(x, -np.inf, lax.max, (2, 2), (1, 1), "VALID"),
        jlax.reduce_window(x, -np.inf, jlax.max, (2, 2), (1, 1), "VALID"),
    )
    np.testing.assert_allclose(
        lax.associative_scan(lax.add, x, axis=1), jlax.associative_scan(jlax.add, x, axis=1)
    )


@pytest.mark.parametrize(
    "layout", [("NHWC", "HWIO", "NHWC"), ("NCHW", "OIHW", "NCHW"), None, ("NWC", "WIO", "NWC")]
)
def test_conv_dimension_numbers_match_jax_and_drive_the_convolution(layout):
    lhs_layout, rhs_layout, _ = layout or ("NCHW", "OIHW", "NCHW")
    sizes = {"N": 2, "C": 3, "H": 5, "W": 6, "O": 4, "I": 3}
    kernel = {"H": 2, "W": 3}
    lhs_shape = tuple(sizes[c] for c in lhs_layout)
    rhs_shape = tuple(kernel.get(c, sizes[c]) for c in rhs_layout)
    rank = len(lhs_shape)
    ours = lax.conv_dimension_numbers(lhs_shape, rhs_shape, layout)
    theirs = jlax.conv_dimension_numbers(lhs_shape, rhs_shape, layout)
    assert tuple(ours) == tuple(theirs)
    x, w = R.normal(size=lhs_shape), R.normal(size=rhs_shape)
    np.testing.assert_allclose(
        lax.conv_general_dilated(x, w, (1,) * (rank - 2), "VALID", dimension_numbers=ours),
        jlax.conv_general_dilated(x, w, (1,) * (rank - 2), "VALID", dimension_numbers=theirs),
        rtol=1e-12,
    )


@pytest.mark.parametrize("padding", ["SAME", "SAME_LOWER", "VALID"])
def test_padtype_to_pads_matches_jax(padding):
    for shape, window, strides in [
        ((5, 6), (2, 3), (1, 2)),
        ((7,), (4,), (3,)),
        ((2,), (5,), (1,)),
    ]:
        ours = lax.padtype_to_pads(shape, window, strides, padding)
        assert [tuple(p) for p in ours] == [
            tuple(p) for p in jlax.padtype_to_pads(shape, window, strides, padding)
        ]


def test_barrier_sharding_constraint_bitcast_and_gamma_grad():
    tree = {"a": X, "b": (Y,)}
    assert lax.optimization_barrier(tree) is tree
    np.testing.assert_allclose(
        ag.grad(lambda x: tnp.sum(lax.optimization_barrier(x) ** 2))(X), 2 * X
    )
    np.testing.assert_array_equal(lax.with_sharding_constraint(X, None), X)
    np.testing.assert_array_equal(
        lax.bitcast_convert_type(X, np.int64), jlax.bitcast_convert_type(X, np.int64)
    )
    np.testing.assert_allclose(
        lax.random_gamma_grad(POS, POS[::-1]), jlax.random_gamma_grad(POS, POS[::-1]), rtol=1e-8
    )
