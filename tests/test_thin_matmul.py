"""``matmul`` of thin products in blocks (``linalg.thin_product_plan``): a few rows against a
long axis, as in a first convolution and its weight gradient; and small deep products with
their sides swapped (``linalg.swaps_sides``: a convolution's weight gradient). Each must be the
product (against float64 NumPy and JAX, values and gradients), the jitted one the eager one bit
for bit, and every operand layout must work (views, Fortran order, negative strides)."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import jax_value_vjp_jvp, random_like

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag.primitives import linalg

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

# (x shape, y shape, plan axis): whole blocks only, with a remainder, both sides of the rules.
THIN = [
    ((6, 25), (25, 36864), "columns"),
    ((6, 25), (25, 8192 + 300), "columns"),  # a remainder after the whole blocks
    ((2, 32), (32, 9000), "columns"),
    ((6, 36864), (36864, 25), "depth"),
    ((8, 10000), (10000, 160), "depth"),  # remainder, the widest other side
    ((150, 8192), (8192, 3), "depth"),  # few columns instead of few rows
]
PLAIN = [
    ((1, 25), (25, 36864)),  # one row: a matrix-vector product
    ((9, 25), (25, 36864)),  # more rows than THIN_ROWS
    ((6, 33), (33, 36864)),  # deeper than THIN_DEPTH
    ((6, 25), (25, 8191)),  # shorter than LONG_FROM
    ((6, 8192), (8192, 161)),  # the other side too wide for a deep product
    ((2, 6, 25), (25, 36864)),  # batched: NumPy's own loop
]


@pytest.mark.parametrize("xs, ys, axis", THIN)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_thin_products_are_blocked_and_match_float64(xs, ys, axis, dtype):
    plan = linalg.thin_product_plan(xs, ys, np.dtype(dtype))
    assert plan is not None and plan[0] == axis
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ys).astype(dtype)
    ours = np.asarray(tnp.matmul(x, y))
    exact = x.astype(np.float64) @ y.astype(np.float64)
    assert ours.dtype == dtype and ours.shape == exact.shape
    scale = np.sqrt(xs[-1]) * (1e-5 if dtype == np.float32 else 1e-13)
    np.testing.assert_allclose(ours, exact, atol=scale)
    if axis == "columns":  # each column is the same dot products as in one BLAS call
        np.testing.assert_array_equal(ours[:, : plan[1]], np.matmul(x, y)[:, : plan[1]])


@pytest.mark.parametrize("xs, ys", PLAIN)
def test_other_shapes_run_as_one_numpy_call(xs, ys):
    assert linalg.thin_product_plan(xs, ys[-2:], np.dtype(np.float32)) is None or len(xs) > 2
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ys).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(tnp.matmul(x, y)), np.matmul(x, y))


@pytest.mark.parametrize("dtype", [np.int32, np.float16, np.complex64])
def test_thin_products_of_other_dtypes_are_not_blocked(dtype):
    assert linalg.thin_product_plan((6, 25), (25, 36864), np.dtype(dtype)) is None
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((6, 25)) * 4).astype(dtype)
    y = (rng.standard_normal((25, 9000)) * 4).astype(dtype)
    np.testing.assert_array_equal(np.asarray(tnp.matmul(x, y)), np.matmul(x, y))


def _layouts(a: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "C": a,
        "F": np.asfortranarray(a),
        "transposed view": np.ascontiguousarray(a.T).T,
        "reversed rows": np.ascontiguousarray(a[::-1])[::-1],
        "strided columns": np.repeat(a, 2, axis=1)[:, ::2],
    }


@pytest.mark.parametrize("xs, ys, axis", [THIN[1], THIN[4]])
def test_every_operand_layout(xs, ys, axis):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal(xs), rng.standard_normal(ys)
    exact = x @ y
    for x_name, x_view in _layouts(x).items():
        for y_name, y_view in _layouts(y).items():
            ours = np.asarray(tnp.matmul(x_view, y_view))
            np.testing.assert_allclose(
                ours, exact, rtol=1e-12, atol=1e-10, err_msg=f"{x_name} @ {y_name}"
            )


@pytest.mark.parametrize("xs, ys, axis", THIN[:2] + THIN[3:5])
def test_jit_equals_eager_bit_for_bit(xs, ys, axis):
    """Generated code calls the blocked product directly; eager goes through the impl."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal(xs).astype(np.float32)
    y = rng.standard_normal(ys).astype(np.float32)

    def f(x, y):
        return tnp.sum(tnp.sin(tnp.matmul(x, y)) ** 2)

    step = ag.value_and_grad(f, argnums=(0, 1))
    eager, jitted = step(x, y), ag.jit(step)(x, y)
    for a, b in zip(ag.tree_util.tree_leaves(eager), ag.tree_util.tree_leaves(jitted), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert f"'{axis}'" in ag.jit(step).lower(x, y).source  # the blocked call, not np.matmul


@pytest.mark.parametrize("xs, ys, axis", [THIN[1], THIN[4]])
def test_values_vjp_and_jvp_match_jax(xs, ys, axis):
    """The product's cotangents are thin products too (a wide product's weight gradient is a
    deep one): all of them against JAX in float64."""
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal(xs), rng.standard_normal(ys)
    ct = random_like(rng, np.zeros((xs[0], ys[1])))
    tangents = [random_like(rng, x), random_like(rng, y)]
    out, vjp_fn = ag.vjp(tnp.matmul, x, y)
    jvp_out = ag.jvp(tnp.matmul, (x, y), tuple(tangents))[1]
    ref_out, ref_vjp, ref_jvp = jax_value_vjp_jvp(jnp.matmul, [x, y], ct, tangents)
    np.testing.assert_allclose(np.asarray(out), ref_out, rtol=1e-10, atol=1e-9)
    for ours, ref in zip(vjp_fn(ct), ref_vjp, strict=True):
        np.testing.assert_allclose(np.asarray(ours), ref, rtol=1e-10, atol=1e-8)
    np.testing.assert_allclose(np.asarray(jvp_out), ref_jvp, rtol=1e-10, atol=1e-8)


SWAPPED = [((16, 4096), (4096, 150)), ((16, 1024), (1024, 150)), ((3, 2000), (2000, 7))]


@pytest.mark.parametrize("xs, ys", SWAPPED)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_swapped_sides_for_a_transposed_right_operand(xs, ys, dtype):
    assert linalg.swaps_sides(xs, ys, np.dtype(dtype))
    assert linalg.thin_product_plan(xs, ys, np.dtype(dtype)) is None
    rng = np.random.default_rng(6)
    x = rng.standard_normal(xs).astype(dtype)
    columns = rng.standard_normal(ys[::-1]).astype(dtype)  # y = columns.T, as in a conv
    exact = x.astype(np.float64) @ columns.T.astype(np.float64)
    for y in (columns.T, np.ascontiguousarray(columns.T)):
        ours = np.asarray(tnp.matmul(x, y))
        assert ours.flags.c_contiguous and ours.dtype == dtype
        scale = np.sqrt(xs[1]) * (1e-5 if dtype == np.float32 else 1e-13)
        np.testing.assert_allclose(ours, exact, atol=scale)


@pytest.mark.parametrize(
    "xs, ys",
    [((150, 4096), (4096, 16)), ((16, 1023), (1023, 150)), ((200, 1024), (1024, 400))],
)
def test_sides_stay_for_other_shapes(xs, ys):
    """More rows than columns, a short contracted axis, or a large output."""
    assert not linalg.swaps_sides(xs, ys, np.dtype(np.float32))


def test_swapped_product_under_jit_and_grad():
    """A convolution-like weight gradient: jit equals eager bit for bit and JAX in float64."""
    rng = np.random.default_rng(7)
    g, columns = rng.standard_normal((16, 4096)), rng.standard_normal((150, 4096))

    def f(g, columns):
        return tnp.sum(tnp.cos(tnp.matmul(g, tnp.transpose(columns))))

    step = ag.value_and_grad(f, argnums=(0, 1))
    eager, jitted = step(g, columns), ag.jit(step)(g, columns)
    for a, b in zip(ag.tree_util.tree_leaves(eager), ag.tree_util.tree_leaves(jitted), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert "swapped_matmul" in ag.jit(step).lower(g, columns).source
    ref = jax.value_and_grad(lambda g, c: jnp.sum(jnp.cos(g @ c.T)), argnums=(0, 1))(g, columns)
    for a, b in zip(ag.tree_util.tree_leaves(eager), jax.tree_util.tree_leaves(ref), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-10)
