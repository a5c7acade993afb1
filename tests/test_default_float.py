"""``config.update("default_float", "float32")`` (and ``jax_enable_x64=False``): JAX's float32
defaults. A program written against JAX's defaults gives float32 results that match JAX's
float32 results, eagerly and under every transform; NumPy arrays passed in keep their dtype."""

from __future__ import annotations

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")


@pytest.fixture
def float32_mode():
    ag.config.update("jax_enable_x64", False)
    try:
        yield
    finally:
        ag.config.update("jax_enable_x64", True)


def test_option_values_and_jax_name():
    assert ag.config.read("default_float") == "float64" and ag.config.jax_enable_x64
    ag.config.update("default_float", np.float32)
    try:
        assert ag.config.read("default_float") == "float32" and not ag.config.jax_enable_x64
    finally:
        ag.config.update("default_float", "float64")
    with pytest.raises(ValueError, match="choose one of"):
        ag.config.update("default_float", "float16")


CREATED = [
    ("array of floats", lambda m: m.array([1.0, 2.0])),
    ("asarray of a float", lambda m: m.asarray(1.5)),
    ("complex", lambda m: m.array([1 + 2j])),
    ("zeros", lambda m: m.zeros((2, 3))),
    ("ones", lambda m: m.ones(2)),
    ("eye", lambda m: m.eye(3)),
    ("identity", lambda m: m.identity(2)),
    ("full of a float", lambda m: m.full((2,), 0.5)),
    ("arange of floats", lambda m: m.arange(0.0, 1.0, 0.25)),
    ("linspace", lambda m: m.linspace(0, 1, 5)),
    ("exp of ints", lambda m: m.exp(m.array([1, 2]).astype(m.int32))),
    ("python scalars added", lambda m: m.add(1.0, 2.0)),
    ("sin of a python float", lambda m: m.sin(0.5)),
]


@pytest.mark.parametrize("name, make", CREATED, ids=[c[0] for c in CREATED])
def test_created_arrays_have_jax_float32_dtypes(float32_mode, name, make):
    with jax.enable_x64(False):
        want = make(jnp)
    got = make(tnp)
    assert np.asarray(got).dtype == want.dtype, name
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6)


def test_numpy_inputs_keep_their_dtype(float32_mode):
    x64 = np.linspace(0.0, 1.0, 4)  # NumPy's own linspace: float64
    assert tnp.sin(x64).dtype == np.float64
    assert ag.jit(tnp.sin)(x64).dtype == np.float64
    assert ag.grad(lambda x: tnp.sum(tnp.sin(x)))(x64).dtype == np.float64


def test_float32_program_matches_jax_float32(float32_mode):
    """A small regression written with Python floats and created arrays only, as a float32
    JAX program is: trace_ag's float32 results equal JAX's (float32 rounding)."""

    def program(m, grad, jit):
        x = m.linspace(-1.0, 1.0, 16)
        y = 0.5 * x**3 - x + 0.25
        w = m.zeros(4)

        def loss(w):
            features = m.stack([x**0, x, x**2, x**3], axis=1)
            return m.mean((features @ w - y) ** 2)

        step = jit(lambda w: w - 0.3 * grad(loss)(w))
        for _ in range(20):
            w = step(w)
        return w, loss(w), grad(loss)(1.0 * m.ones(4))

    with jax.enable_x64(False):
        want = program(jnp, jax.grad, jax.jit)
    for jit in (ag.jit, lambda f: ag.jit(f, backend="jax"), lambda f: f):
        got = program(tnp, ag.grad, jit)
        for g, w in zip(got, want, strict=True):
            assert np.asarray(g).dtype == np.float32 == w.dtype
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-5, atol=1e-6)


SAMPLERS = [
    ("uniform", lambda r, k: r.uniform(k, (5,))),
    ("normal", lambda r, k: r.normal(k, (2, 3))),
    ("gamma", lambda r, k: r.gamma(k, 2.0, (4,))),
    ("exponential", lambda r, k: r.exponential(k, (3,))),
]


@pytest.mark.parametrize("name, sample", SAMPLERS, ids=[s[0] for s in SAMPLERS])
def test_random_samples_are_float32_and_match_jax_without_x64(float32_mode, name, sample):
    with jax.enable_x64(False):
        want = sample(jax.random, jax.random.PRNGKey(7))
    got = sample(ag.random, ag.random.PRNGKey(7))
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_allclose(got, np.asarray(want), rtol=2e-6, atol=1e-7)
