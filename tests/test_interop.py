"""Interop with JAX both ways: ``ag.from_jax`` (JAX code inside trace_ag's transforms, optax
as the optimizer of an ``ag.jit`` training step) and ``ag.to_jax`` (trace_ag code under
``jax.jit``, ``jax.grad`` and ``jax.vmap``), each against the same computation in JAX alone."""

from __future__ import annotations

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
optax = pytest.importorskip("optax")


def _loss_jax(p, x):
    return jnp.sum(jnp.tanh(x @ p["w"] + p["b"]) ** 2)


def _loss_ag(p, x):
    return tnp.sum(tnp.tanh(x @ p["w"] + p["b"]) ** 2)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    params = {"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    return params, rng.standard_normal((5, 3))


# ---------------------------------------------------------------- from_jax


def test_from_jax_pytrees_and_every_transform(data):
    params, x = data
    loss = ag.from_jax(_loss_jax)
    np.testing.assert_allclose(loss(params, x), _loss_jax(params, x), rtol=1e-12)
    want = jax.grad(_loss_jax)(params, x)
    for got in (ag.grad(loss)(params, x), ag.jit(ag.grad(loss))(params, x)):
        for k in want:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-12)
    got = ag.jit(ag.grad(loss), backend="jax")(params, x)
    np.testing.assert_allclose(got["w"], want["w"], rtol=1e-12)
    # second order: hessian-vector product through jax.vjp of jax.vjp
    v = {"w": np.ones((3, 2)), "b": np.ones(2)}
    hvp = ag.jvp(ag.grad(loss), (params, x), (v, np.zeros_like(x)))[1]
    want_hvp = jax.jvp(jax.grad(_loss_jax), (params, x), (v, np.zeros_like(x)))[1]
    np.testing.assert_allclose(hvp["w"], want_hvp["w"], rtol=1e-10)
    # vmap over examples: jax.vmap inside
    per_example = ag.vmap(ag.grad(loss), in_axes=(None, 0))(params, x[:, None, :])
    want_pe = jax.vmap(jax.grad(_loss_jax), in_axes=(None, 0))(params, x[:, None, :])
    np.testing.assert_allclose(per_example["w"], want_pe["w"], rtol=1e-12)


def test_from_jax_integer_inputs_and_outputs():
    f = ag.from_jax(lambda x, k: (jnp.sin(x) * k, jnp.argmax(x)))
    x = np.array([0.5, 2.0, 1.0])
    (y, i), (ty, ti) = ag.jvp(lambda x: f(x, np.int64(3)), (x,), (np.ones(3),))
    np.testing.assert_allclose(ty, 3 * np.cos(x), rtol=1e-12)
    assert i == 1 and ti.dtype == np.int64 and ti == 0
    g = ag.grad(lambda x: f(x, np.int64(3))[0].sum())(x)
    np.testing.assert_allclose(g, 3 * np.cos(x), rtol=1e-12)


def test_from_jax_complex_follows_jax_convention():
    f = lambda z: jnp.abs(jnp.exp(1j * z) * z) ** 2  # noqa: E731
    z = np.array([0.3 + 0.4j, -1.0 + 2.0j])
    got = ag.grad(lambda z: tnp.sum(ag.from_jax(f)(z)))(z)
    np.testing.assert_allclose(got, jax.grad(lambda z: jnp.sum(f(z)))(z), rtol=1e-12)


def test_optax_adam_inside_ag_jit_matches_optax_on_jax(data):
    params, x = data
    opt = optax.adam(1e-2)
    update = ag.from_jax(opt.update)
    apply_updates = ag.from_jax(optax.apply_updates)
    calls = []

    @ag.jit
    def step(p, state, x):
        calls.append(1)
        loss, g = ag.value_and_grad(_loss_ag)(p, x)
        updates, state = update(g, state, p)
        return apply_updates(p, updates), state, loss

    @jax.jit
    def jax_step(p, state, x):
        loss, g = jax.value_and_grad(_loss_jax)(p, x)
        updates, state = opt.update(g, state, p)
        return optax.apply_updates(p, updates), state, loss

    p, s = params, opt.init(params)
    pj, sj = params, opt.init(params)
    for _ in range(5):
        p, s, loss = step(p, s, x)
        pj, sj, loss_j = jax_step(pj, sj, x)
        np.testing.assert_allclose(loss, loss_j, rtol=1e-12)
    assert len(calls) == 1  # traced once: the optax state keeps its structure
    for k in p:
        np.testing.assert_allclose(p[k], pj[k], rtol=1e-12)
    assert int(s[0].count) == 5


def test_from_jax_refuses_float64_without_x64():
    f = ag.from_jax(jnp.sin)
    jax.config.update("jax_enable_x64", False)
    try:
        with pytest.raises(ag.TraceAgError, match="jax_enable_x64 is off"):
            f(np.ones(2))
        assert f(np.ones(2, np.float32)).dtype == np.float32
    finally:
        jax.config.update("jax_enable_x64", True)


def test_from_jax_bad_leaf_names_the_function():
    with pytest.raises(TypeError, match=r"from_jax\(<lambda>\).*str"):
        ag.from_jax(lambda x, s: x)(np.ones(2), "text")


# ---------------------------------------------------------------- to_jax


def test_to_jax_under_jax_jit_grad_and_vmap(data):
    params, x = data
    loss = ag.to_jax(_loss_ag)
    np.testing.assert_allclose(loss(params, x), _loss_jax(params, x), rtol=1e-12)
    got = jax.jit(jax.grad(loss))(params, x)
    want = ag.grad(_loss_ag)(params, x)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-12)
    batched = jax.vmap(loss, in_axes=(None, 0))(params, x[:, None, :])
    np.testing.assert_allclose(batched, [_loss_jax(params, r[None]) for r in x], rtol=1e-12)
    hess = jax.hessian(lambda b: loss({"w": params["w"], "b": b}, x))(params["b"])
    want_h = ag.hessian(lambda b: _loss_ag({"w": params["w"], "b": b}, x))(params["b"])
    np.testing.assert_allclose(hess, want_h, rtol=1e-10)


def test_to_jax_traces_once_per_structure():
    traces = []

    def f(x):
        traces.append(x.shape)
        return tnp.cumsum(x) * 2.0

    g = ag.to_jax(f)
    for _ in range(3):
        np.testing.assert_allclose(g(jnp.arange(3.0)), [0.0, 2.0, 6.0])
    g(jnp.arange(4.0))
    assert traces == [(3,), (4,)]


def test_to_jax_round_trip_with_from_jax(data):
    params, x = data
    twice = ag.from_jax(ag.to_jax(_loss_ag))
    np.testing.assert_allclose(ag.grad(twice)(params, x)["w"], ag.grad(_loss_ag)(params, x)["w"])
