"""Gaps autograd's own test suite found in trace_ag (docs/peer_suite.md), against JAX: ``fliplr``,
``flipud``, ``rollaxis``, ``flatten_util.ravel_pytree`` and max/min of complex arrays."""

from __future__ import annotations

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag.flatten_util import ravel_pytree

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jax_flatten_util = pytest.importorskip("jax.flatten_util")

X = np.arange(24.0).reshape(2, 3, 4) / 7
CASES = [
    ("fliplr", lambda m, x: m.fliplr(x)),
    ("flipud", lambda m, x: m.flipud(x)),
    ("rollaxis 2", lambda m, x: m.rollaxis(x, 2)),
    ("rollaxis 0 to 3", lambda m, x: m.rollaxis(x, 0, 3)),
    ("rollaxis -1 to 1", lambda m, x: m.rollaxis(x, -1, 1)),
]


@pytest.mark.parametrize("name, f", CASES, ids=[c[0] for c in CASES])
def test_shape_functions_match_numpy_and_jax(name, f):
    np.testing.assert_array_equal(f(tnp, X), f(np, X))
    w = np.random.default_rng(0).standard_normal(f(np, X).shape)
    ours = ag.jit(ag.grad(lambda x: tnp.sum(f(tnp, x) * w)))(X)
    np.testing.assert_array_equal(ours, jax.grad(lambda x: jnp.sum(f(jnp, x) * w))(X))


def test_shape_function_errors():
    with pytest.raises(ValueError, match="fliplr: the input must be at least 2-D"):
        tnp.fliplr(np.ones(3))
    with pytest.raises(ValueError, match="flipud"):
        tnp.flipud(np.float64(1.0))
    with pytest.raises(ValueError, match="rollaxis: start=5"):
        tnp.rollaxis(X, 0, 5)


def test_ravel_pytree_matches_jax_and_differentiates():
    tree = {"w": np.ones((2, 3)), "b": np.arange(2.0), "n": [np.float32(3.0)]}
    flat, unravel = ravel_pytree(tree)
    jflat, junravel = jax_flatten_util.ravel_pytree(tree)
    np.testing.assert_array_equal(flat, jflat)
    assert flat.dtype == jflat.dtype
    back = unravel(flat * 2)
    assert back["n"][0].dtype == np.float32 and back["w"].shape == (2, 3)
    np.testing.assert_array_equal(back["b"], junravel(jflat * 2)["b"])

    def loss(vector):
        p = unravel(vector)
        return tnp.sum(p["w"] ** 2) + tnp.sum(p["b"] * 3.0)

    np.testing.assert_array_equal(ag.grad(loss)(flat), ag.jit(ag.grad(loss))(flat))
    np.testing.assert_allclose(ag.grad(loss)(flat)[:2], [3.0, 3.0])  # b comes first (sorted)
    with pytest.raises(ag.ShapeError, match=r"expected a vector of shape \(9,\)"):
        unravel(np.ones(4))
    empty, unravel_empty = ravel_pytree({})
    assert empty.shape == (0,) and unravel_empty(empty) == {}


# ---------------------------------------------------------------- max / min of complex arrays
# NumPy and JAX order complex numbers lexicographically; ties share the tangent and the
# cotangent equally, as JAX's chooser rule does.
Z = np.array([[1 + 1j, 2 + 0.5j, 2 + 0.5j], [3 - 1j, 3 + 2j, -1j]])
Z_TANGENT = np.array([[1 + 2j, 3 - 1j, 0.5j], [2, 1j, 1]])
CHOOSERS = [
    (name, axis, keepdims)
    for name in ("max", "min")
    for axis, keepdims in ((None, False), (0, False), (1, True))
]


@pytest.mark.parametrize("name, axis, keepdims", CHOOSERS, ids=[f"{c}" for c in CHOOSERS])
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_complex_max_min_match_jax_with_ties(name, axis, keepdims, dtype):
    z, t = Z.astype(dtype), Z_TANGENT.astype(dtype)

    def ours(x):
        return getattr(tnp, name)(x, axis=axis, keepdims=keepdims)

    def theirs(x):
        return getattr(jnp, name)(x, axis=axis, keepdims=keepdims)

    tol = {"rtol": 1e-6 if dtype == np.complex64 else 1e-12}
    for value, tangent in (ag.jvp(ours, (z,), (t,)), ag.jit(lambda x: ag.jvp(ours, (x,), (t,)))(z)):
        want_value, want_tangent = jax.jvp(theirs, (z,), (t,))
        np.testing.assert_allclose(value, want_value, **tol)
        np.testing.assert_allclose(tangent, want_tangent, **tol)
        assert np.asarray(tangent).dtype == dtype
    g = np.full(np.shape(theirs(z)), 1 - 2j, dtype)
    np.testing.assert_allclose(ag.vjp(ours, z)[1](g)[0], jax.vjp(theirs, z)[1](g)[0], **tol)

    def loss(x):
        return tnp.sum(tnp.abs(ours(x)) ** 2)

    if dtype == np.complex64:
        return  # the transforms below are dtype-blind; once is enough
    want = jax.grad(lambda x: jnp.sum(jnp.abs(theirs(x)) ** 2))(z)
    for backend in ("numpy", "jax") if axis is None else ("numpy",):  # JAX compiles slowly
        np.testing.assert_allclose(ag.jit(ag.grad(loss), backend=backend)(z), want, **tol)
    np.testing.assert_allclose(
        ag.vmap(ag.grad(loss))(np.stack([z, z[::-1]])),
        jax.vmap(jax.grad(lambda x: jnp.sum(jnp.abs(theirs(x)) ** 2)))(np.stack([z, z[::-1]])),
        **tol,
    )


# ---------------------------------------------------------------- logaddexp at ties, order 2
# max + log1p(exp(min - max)) is not smooth where x1 == x2: its second derivatives there were
# wrong (autograd's binary_ufunc_check passes one value as both operands). JAX's rule is kept.
TIE_SHAPES = [((), ()), ((2,), (3, 2)), ((1, 2), (3, 2)), ((3, 2), ())]


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
@pytest.mark.parametrize("shapes", TIE_SHAPES, ids=[str(s) for s in TIE_SHAPES])
def test_logaddexp_second_order_at_ties_matches_jax(name, shapes):
    rng = np.random.default_rng(len(shapes[0]) + 3 * len(shapes[1]))
    x1 = rng.uniform(-2, 2, shapes[0])
    x2 = x1.copy() if shapes[0] == shapes[1] else rng.uniform(-2, 2, shapes[1])
    x2.flat[0] = x1.flat[0]  # a tie (all of them where the shapes are equal)
    t1, t2 = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    ours, theirs = getattr(tnp, name), getattr(jnp, name)

    def jvp_of(f, jvp):
        return lambda a, b, ta, tb: jvp(f, (a, b), (ta, tb))[1]

    args = (x1, x2, t1, t2)
    directions = tuple(rng.standard_normal(np.shape(a)) for a in args)
    want = jax.jvp(jvp_of(theirs, jax.jvp), args, directions)[1]
    ours_jvp_of_jvp = jvp_of(ours, ag.jvp)
    np.testing.assert_allclose(ag.jvp(ours_jvp_of_jvp, args, directions)[1], want, rtol=1e-12)
    np.testing.assert_allclose(
        ag.jit(lambda *a: ag.jvp(ours_jvp_of_jvp, a, directions)[1])(*args), want, rtol=1e-12
    )

    def total(a, b):
        return tnp.sum(
            ours(a, b) * np.arange(1.0, 1.0 + ours(x1, x2).size).reshape(np.shape(ours(x1, x2)))
        )

    def total_jax(a, b):
        out = theirs(a, b)
        return jnp.sum(out * np.arange(1.0, 1.0 + out.size).reshape(out.shape))

    hessian = jax.hessian(total_jax, argnums=(0, 1))(x1, x2)
    backends = ("numpy", "jax") if shapes == ((), ()) else ("numpy",)  # JAX compiles slowly
    for backend in backends:
        got = ag.jit(ag.hessian(total, argnums=(0, 1)), backend=backend)(x1, x2)
        for got_row, want_row in zip(got, hessian, strict=True):
            for g, w in zip(got_row, want_row, strict=True):
                np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-14)
    ag.check_grads(total, (x1, x2), order=2)


def test_logaddexp_float32_vmap_and_edges_match_jax():
    x1 = np.array([0.0, -np.inf, np.inf, np.inf, -np.inf, 1.0, 3.0])
    x2 = np.array([0.0, -np.inf, np.inf, -np.inf, 2.0, -np.inf, 3.0])
    t = np.linspace(0.5, 2.0, x1.size)
    for name in ("logaddexp", "logaddexp2"):
        ours, theirs = getattr(tnp, name), getattr(jnp, name)
        with np.errstate(all="ignore"):
            got = ag.jvp(ours, (x1, x2), (t, 2 * t))
            np.testing.assert_allclose(got, jax.jvp(theirs, (x1, x2), (t, 2 * t)), rtol=1e-12)
            np.testing.assert_allclose(
                ag.vjp(ours, x1, x2)[1](t), jax.vjp(theirs, x1, x2)[1](t), rtol=1e-12
            )
        a32, b32 = np.float32([0.25, -1.5]), np.float32([0.25, 2.0])
        grad = ag.vmap(ag.grad(ours))(a32, b32)
        assert grad.dtype == np.float32
        want = jax.vmap(jax.grad(theirs))(a32, b32)
        np.testing.assert_allclose(grad, want, rtol=1e-6)


# ---------------------------------------------------------------- casting a tracer to int
# autograd's test_cast_to_int writes np.int64(W[:, -1]) with np bound to the library's numpy;
# JAX's jnp.int64(x) is a traced cast (zero derivative), and scalar_type gives the same.


def test_scalar_type_casts_tracers_like_jax():
    from trace_ag.numpy._more_math import scalar_type

    int64, float32 = scalar_type(np.int64), scalar_type(np.float32)
    w = np.random.default_rng(1).standard_normal((5, 10))
    w[:, -1] = [0.5, 1.5, 2.5, 0.25, 3.5]  # away from integers: the cast is locally constant

    def ours(m):
        indices = int64(m[:, -1])
        assert indices.dtype == np.int64
        return tnp.sum(m[:, :-1][indices] ** 2)

    def theirs(m):
        return jnp.sum(m[:, :-1][jnp.int64(m[:, -1])] ** 2)

    np.testing.assert_allclose(ag.grad(ours)(w), jax.grad(theirs)(w), rtol=1e-12)
    np.testing.assert_allclose(ag.jvp(ours, (w,), (w,))[1], jax.jvp(theirs, (w,), (w,))[1])
    for backend in ("numpy", "jax"):
        np.testing.assert_allclose(ag.jit(ag.grad(ours), backend=backend)(w), jax.grad(theirs)(w))
    ag.check_grads(ours, (w,), order=2)
    # a float cast keeps the derivative
    np.testing.assert_allclose(ag.grad(lambda x: tnp.sum(float32(x) * 2))(np.float32([1.0])), [2.0])
    # still the NumPy types for comparisons, dtype= and isinstance
    assert int64 == np.int64 and hash(int64) == hash(np.int64) and np.dtype(int64) == np.int64
    assert np.zeros(2, int64).dtype == np.int64 and isinstance(np.int64(3), int64)
    assert int64(2.7) == 2 and type(int64(2.7)) is np.int64
    np.testing.assert_array_equal(int64(np.array([1.5, -2.5])), [1, -2])
