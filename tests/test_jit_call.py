"""jit as a primitive: a jitted function called under grad, jvp, vmap, another jit or a loop
body stays one compiled ``jit_call`` equation whose rules are compiled in turn."""

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag import lax

jax = pytest.importorskip("jax")
jnp = jax.numpy


def _f(np_like):
    return lambda x, w: np_like.sum(np_like.tanh(x @ w) ** 2)


X = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
W = np.linspace(0.5, -0.5, 8).reshape(4, 2)


def test_grad_of_jit_is_one_compiled_equation_traced_once():
    jf = ag.jit(_f(tnp))
    graph = ag.make_ir(ag.grad(jf, argnums=1))(X, W)
    assert [e.primitive.name for e in graph.eqns] == ["jit_call", "jit_call"]
    for _ in range(3):
        got = ag.grad(jf, argnums=1)(X, W)
    np.testing.assert_allclose(got, jax.grad(_f(jnp), argnums=1)(X, W), rtol=1e-12)
    assert jf.trace_count == 1
    pullback = jf.lower(X, W).graph.cache["vjp"]
    assert pullback.trace_count == 1  # the backward pass is compiled once too
    assert "def compiled" in pullback.lower([X, W], [1.0]).as_text("source")


def test_second_order_through_jit_matches_jax():
    jf = ag.jit(_f(tnp))
    got = ag.hessian(jf, argnums=1)(X, W)
    want = jax.hessian(_f(jnp), argnums=1)(X, W)
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_jvp_and_vmap_of_jit_match_jax():
    jf = ag.jit(_f(tnp))
    t = np.ones_like(W)
    got = ag.jvp(lambda w: jf(X, w), (W,), (t,))
    want = jax.jvp(lambda w: _f(jnp)(X, w), (W,), (t,))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    xs = np.stack([X, 2 * X, -X])
    np.testing.assert_allclose(
        ag.vmap(jf, in_axes=(0, None))(xs, W),
        jax.vmap(_f(jnp), in_axes=(0, None))(xs, W),
        rtol=1e-12,
    )
    per_example = ag.vmap(ag.grad(jf, argnums=1), in_axes=(0, None))(xs, W)
    np.testing.assert_allclose(
        per_example, jax.vmap(jax.grad(_f(jnp), argnums=1), in_axes=(0, None))(xs, W)
    )


def test_jit_inside_a_scan_body_and_inside_jit():
    step = ag.jit(lambda c, x: tnp.sin(c) + x)

    def loop(c0, xs):
        return lax.scan(lambda c, x: (step(c, x), c), c0, xs)[0]

    def jloop(c0, xs):
        return jax.lax.scan(lambda c, x: (jnp.sin(c) + x, c), c0, xs)[0]

    xs = np.linspace(0, 1, 5)
    np.testing.assert_allclose(ag.jit(loop)(0.3, xs), jloop(0.3, xs))
    np.testing.assert_allclose(ag.grad(loop)(0.3, xs), jax.grad(jloop)(0.3, xs))
    outer = ag.jit(lambda x, w: 2.0 * ag.jit(_f(tnp))(x, w))
    assert "jit_call" in str(outer.lower(X, W).graph)
    np.testing.assert_allclose(outer(X, W), 2.0 * _f(jnp)(X, W))


def test_jit_call_leaves_arguments_intact():
    jf = ag.jit(lambda v: v)  # an identity: the output is the argument itself
    x = np.ones(3)
    out = ag.jit(lambda v: jf(v) * 3.0)(x)
    np.testing.assert_array_equal(x, np.ones(3))
    np.testing.assert_array_equal(out, [3.0, 3.0, 3.0])
