"""``trace_ag.lax`` beyond the spec rows (tests/spec_rows/lax_more.py): traced start indices,
``select``, ``map``, pytree ``associative_scan``, loops that index NumPy constants with their
loop counter, ``cond`` with operands, and bad input."""

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag import errors, lax

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jlax = jax.lax

BACKENDS = ["numpy", "jax"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_traced_starts_are_wrapped_and_clamped_as_in_jax(backend, rng):
    x = rng.normal(size=(5, 6))
    u = rng.normal(size=(2, 3))

    def ours(x, u, i, j):
        return (
            lax.dynamic_slice(x, (i, j), (3, 2)),
            lax.dynamic_update_slice(x, u, (i, j)),
            lax.dynamic_index_in_dim(x, i, axis=0, keepdims=False),
            lax.dynamic_slice_in_dim(x, j, 4, axis=1),
            lax.dynamic_update_index_in_dim(x, u[0, :1] + tnp.zeros(6), i, axis=0),
        )

    def theirs(x, u, i, j):
        return (
            jlax.dynamic_slice(x, (i, j), (3, 2)),
            jlax.dynamic_update_slice(x, u, (i, j)),
            jlax.dynamic_index_in_dim(x, i, axis=0, keepdims=False),
            jlax.dynamic_slice_in_dim(x, j, 4, axis=1),
            jlax.dynamic_update_index_in_dim(x, u[0, :1] + jnp.zeros(6), i, axis=0),
        )

    f = ag.jit(ours, backend=backend)
    for i, j in [(0, 0), (-1, 3), (4, -7), (9, 9), (-9, 2)]:
        i, j = np.int64(i), np.int64(j)
        for got, want in zip(f(x, u, i, j), theirs(x, u, i, j), strict=True):
            np.testing.assert_allclose(got, want)


def test_dynamic_slicing_derivatives_and_vmap_match_jax(rng):
    x, u = rng.normal(size=(5, 4)), rng.normal(size=(2, 4))

    def ours(x, u, i):
        y = lax.dynamic_update_slice(x, u * x[:2], (i, 0))
        return tnp.sum(tnp.sin(lax.dynamic_slice(y, (i + 1, 1), (3, 2))))

    def theirs(x, u, i):
        y = jlax.dynamic_update_slice(x, u * x[:2], (i, 0))
        return jnp.sum(jnp.sin(jlax.dynamic_slice(y, (i + 1, 1), (3, 2))))

    for i in (0, 2, 4):
        want = jax.grad(theirs, argnums=(0, 1))(x, u, i)
        for got, w in zip(ag.grad(ours, argnums=(0, 1))(x, u, np.int64(i)), want, strict=True):
            np.testing.assert_allclose(got, w)
    starts = np.array([0, 3, 1, 7])
    np.testing.assert_allclose(
        ag.vmap(ours, in_axes=(None, None, 0))(x, u, starts),
        jax.vmap(theirs, in_axes=(None, None, 0))(x, u, starts),
    )
    tx, tu = rng.normal(size=x.shape), rng.normal(size=u.shape)
    np.testing.assert_allclose(
        ag.jvp(lambda a, b: ours(a, b, np.int64(2)), (x, u), (tx, tu))[1],
        jax.jvp(lambda a, b: theirs(a, b, 2), (x, u), (tx, tu))[1],
    )


def test_select_matches_jax_and_refuses_broadcasting():
    pred = np.array([True, False, True])
    a, b = np.arange(3.0), -np.arange(3.0)
    np.testing.assert_array_equal(lax.select(pred, a, b), jlax.select(pred, a, b))
    np.testing.assert_array_equal(lax.select(np.True_, a, b), jlax.select(np.True_, a, b))
    g = ag.grad(lambda a: tnp.sum(lax.select(pred, a, b) * a))(a)
    np.testing.assert_allclose(g, jax.grad(lambda a: jnp.sum(jlax.select(pred, a, b) * a))(a))
    with pytest.raises(errors.ShapeError, match="select"):
        lax.select(pred, a, np.zeros(1))
    with pytest.raises(TypeError, match="boolean"):
        lax.select(np.array([1, 0, 1]), a, b)


@pytest.mark.parametrize("batch_size", [None, 2, 3])
def test_map_matches_jax(batch_size, rng):
    xs = {"a": rng.normal(size=(5, 3)), "b": rng.normal(size=5)}

    def f(d):
        return d["a"] * d["b"], tnp.sum(d["a"])

    def fj(d):
        return d["a"] * d["b"], jnp.sum(d["a"])

    ours = lax.map(f, xs, batch_size=batch_size)
    theirs = jlax.map(fj, xs, batch_size=batch_size)
    for got, want in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(got, want)
    g = ag.jit(ag.grad(lambda a: tnp.sum(lax.map(lambda v: tnp.sin(v) * v, a) ** 2)))(xs["a"])
    want = jax.grad(lambda a: jnp.sum(jlax.map(lambda v: jnp.sin(v) * v, a) ** 2))(xs["a"])
    np.testing.assert_allclose(g, want)


def test_associative_scan_on_pytrees_matches_jax(rng):
    """A linear recurrence h_t = a_t * h_{t-1} + b_t as an associative scan over pairs."""
    a, b = rng.uniform(0.5, 1, (7, 2)), rng.normal(size=(7, 2))

    def compose(p, q):
        return (q[0] * p[0], q[0] * p[1] + q[1])

    for reverse in (False, True):
        ours = lax.associative_scan(compose, (a, b), reverse=reverse)
        theirs = jlax.associative_scan(compose, (a, b), reverse=reverse)
        for got, want in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12)
    f = ag.jit(lambda a, b: tnp.sum(lax.associative_scan(compose, (a, b))[1]), backend="jax")
    fj = lambda a, b: jnp.sum(jlax.associative_scan(compose, (a, b))[1])  # noqa: E731
    np.testing.assert_allclose(ag.grad(f, argnums=(0, 1))(a, b)[0], jax.grad(fj)(a, b))


TABLE = np.arange(12.0).reshape(4, 3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_loops_index_numpy_constants_with_the_loop_counter(backend):
    def ours(w):
        def body(i, acc):
            row = tnp.getitem(TABLE, i) + lax.dynamic_index_in_dim(TABLE, i, keepdims=False)
            return acc + tnp.at(TABLE)[i].get() * w + row

        return lax.fori_loop(0, 4, body, tnp.zeros(3))

    def theirs(w):
        table = jnp.asarray(TABLE)
        return jlax.fori_loop(0, 4, lambda i, acc: acc + table[i] * w + 2 * table[i], jnp.zeros(3))

    np.testing.assert_allclose(ag.jit(ours, backend=backend)(2.0), theirs(2.0))
    g = ag.jit(ag.grad(lambda w: tnp.sum(ours(w))), backend=backend)(2.0)
    np.testing.assert_allclose(g, jax.grad(lambda w: jnp.sum(theirs(w)))(2.0))

    def step(carry, i):
        return carry + tnp.getitem(TABLE, i), lax.dynamic_index_in_dim(TABLE, i)

    got = ag.jit(lambda: lax.scan(step, tnp.zeros(3), np.arange(4)), backend=backend)()
    np.testing.assert_allclose(got[0], TABLE.sum(0))
    np.testing.assert_allclose(got[1], TABLE[:, None])


def test_take_of_a_numpy_constant_with_a_traced_index():
    out = lax.fori_loop(0, 4, lambda i, acc: acc + tnp.take(TABLE, i, axis=0), tnp.zeros(3))
    np.testing.assert_allclose(out, TABLE.sum(0))


def test_cond_with_operands_and_stop_gradient_as_jax():
    def ours(x, y):
        return lax.cond(x > y, lambda a, b: a * b, lambda a, b: a - lax.stop_gradient(b), x, y)

    def theirs(x, y):
        return jlax.cond(x > y, lambda a, b: a * b, lambda a, b: a - jlax.stop_gradient(b), x, y)

    for args in [(3.0, 2.0), (1.0, 2.0)]:
        np.testing.assert_allclose(ours(*args), theirs(*args))
        for got, want in zip(
            ag.jit(ag.grad(ours, argnums=(0, 1)))(*args),
            jax.grad(theirs, argnums=(0, 1))(*args),
            strict=True,
        ):
            np.testing.assert_allclose(got, want)


def test_reduce_window_with_base_dilation_and_a_custom_computation(rng):
    x = rng.normal(size=(4, 5))
    args = ((2, 2), (1, 2), ((1, 0), (0, 1)), (2, 1), (1, 2))
    np.testing.assert_allclose(
        lax.reduce_window(x, 0.0, lax.add, *args), jlax.reduce_window(x, 0.0, jlax.add, *args)
    )
    ours = lax.reduce_window(x, 1.0, lambda a, b: a * b, (2, 3), (1, 1), "SAME")
    theirs = jlax.reduce_window(x, 1.0, jlax.mul, (2, 3), (1, 1), "SAME")
    np.testing.assert_allclose(ours, theirs)


def test_conv_general_dilated_accepts_precision_and_refuses_what_it_lacks(rng):
    x, w = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3))
    for precision in (lax.Precision.HIGHEST, "highest", None):
        np.testing.assert_allclose(
            lax.conv_general_dilated(x, w, (1, 1), "SAME", precision=precision),
            jlax.conv_general_dilated(x, w, (1, 1), "SAME"),
        )
    np.testing.assert_allclose(
        lax.conv(x, w, (2, 2), "VALID"), jlax.conv(x, w, (2, 2), "VALID"), rtol=1e-12
    )
    with pytest.raises(errors.UnsupportedFunctionError, match="batch_group_count"):
        lax.conv_general_dilated(x, w, (1, 1), "SAME", batch_group_count=2)
    with pytest.raises(errors.UnsupportedFunctionError, match="1-D and 2-D"):
        lax.conv_general_dilated(x[..., None], w[..., None], (1, 1, 1), "SAME")
    with pytest.raises(ValueError, match="lhs_dilation"):
        lax.conv_general_dilated(x, w, (1, 1), "SAME", lhs_dilation=(2, 2))
    with pytest.raises(errors.ShapeError, match="feature_group_count"):
        lax.conv_general_dilated(x, w, (1, 1), "SAME", feature_group_count=2)


def test_dynamic_slice_refuses_bad_sizes():
    with pytest.raises(errors.ShapeError, match="one start index"):
        lax.dynamic_slice(np.zeros((2, 3)), (0,), (1, 1))
    with pytest.raises(errors.ShapeError, match="does not fit"):
        lax.dynamic_slice(np.zeros(3), (0,), (4,))
