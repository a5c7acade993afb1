"""nn.optim: trajectories against optax (float64, 1e-6), jit-compiled updates, and real optax
transformations driving trace_ag parameters."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp
from nn import optim

jax.config.update("jax_enable_x64", True)
STEPS = 25


def _loss(np_like):
    """A non-quadratic loss of a two-leaf pytree, written once for both libraries."""

    def loss(params):
        a, b = params["a"], params["b"]
        return (
            np_like.sum(np_like.sin(3 * a) * a)
            + np_like.sum((b - 1.0) ** 4)
            + 0.1 * np_like.sum(a) * np_like.sum(b)
        )

    return loss


def _params():
    rng = np.random.default_rng(0)
    return {"a": rng.normal(size=(3, 2)), "b": rng.normal(size=4)}


PAIRS = [
    ("sgd", lambda o: o.sgd(0.05)),
    ("sgd momentum", lambda o: o.sgd(0.05, momentum=0.9)),
    ("sgd nesterov", lambda o: o.sgd(0.05, momentum=0.9, nesterov=True)),
    ("sgd schedule", lambda o: o.sgd(lambda n: 0.1 / (1 + n))),
    ("adam", lambda o: o.adam(0.05)),
    ("adam eps_root", lambda o: o.adam(0.05, b1=0.8, b2=0.99, eps=1e-6, eps_root=1e-8)),
    ("adamw", lambda o: o.adamw(0.05, weight_decay=0.1)),
    ("rmsprop", lambda o: o.rmsprop(0.01)),
    ("rmsprop centered momentum", lambda o: o.rmsprop(0.01, centered=True, momentum=0.9)),
    ("rmsprop nesterov", lambda o: o.rmsprop(0.01, decay=0.8, momentum=0.5, nesterov=True)),
    ("clip + adam", lambda o: o.chain(o.clip_by_global_norm(0.5), o.adam(0.1))),
    ("clip + sgd", lambda o: o.chain(o.clip_by_global_norm(100.0), o.sgd(0.01))),
]


@pytest.mark.parametrize("name,make", PAIRS, ids=[p[0] for p in PAIRS])
def test_trajectory_matches_optax(name, make):
    ours, theirs = make(optim), make(optax)
    grad, jax_grad = ag.grad(_loss(tnp)), jax.grad(_loss(jnp))
    params, jax_params = _params(), _params()
    state, jax_state = ours.init(params), theirs.init(jax_params)
    for _ in range(STEPS):
        updates, state = ours.update(grad(params), state, params)
        params = optim.apply_updates(params, updates)
        jax_updates, jax_state = theirs.update(jax_grad(jax_params), jax_state, jax_params)
        jax_params = optax.apply_updates(jax_params, jax_updates)
        for key in params:
            np.testing.assert_allclose(params[key], jax_params[key], rtol=1e-6, atol=1e-6)
    moved = np.abs(params["a"] - _params()["a"]).max()
    assert moved > 1e-3, f"{name}: the parameters barely moved ({moved})"


def test_jitted_update_matches_eager_and_keeps_float32():
    opt = optim.chain(optim.clip_by_global_norm(1.0), optim.adamw(1e-2))
    params = {k: v.astype(np.float32) for k, v in _params().items()}
    grad = ag.grad(_loss(tnp))

    def step(params, state):
        updates, state = opt.update(grad(params), state, params)
        return optim.apply_updates(params, updates), state

    jitted = ag.jit(step)
    eager_p, eager_s = params, opt.init(params)
    jit_p, jit_s = params, opt.init(params)
    for _ in range(5):
        eager_p, eager_s = step(eager_p, eager_s)
        jit_p, jit_s = jitted(jit_p, jit_s)
    for key in params:
        assert eager_p[key].dtype == np.float32 and np.asarray(jit_p[key]).dtype == np.float32
        np.testing.assert_allclose(jit_p[key], eager_p[key], rtol=1e-5, atol=1e-6)
    assert int(jit_s[1][0].count) == 5


def test_real_optax_drives_trace_ag_parameters():
    """optax's own transformations on trace_ag gradients; the same path as nn.optim.adam."""
    grad = ag.grad(_loss(tnp))
    params, ours = _params(), _params()
    opt, our_opt = (
        optax.chain(optax.clip_by_global_norm(1.0), optax.adam(0.05)),
        optim.chain(optim.clip_by_global_norm(1.0), optim.adam(0.05)),
    )
    state, our_state = opt.init(params), our_opt.init(ours)
    start = float(_loss(tnp)(params))
    for _ in range(STEPS):
        updates, state = opt.update(grad(params), state, params)
        params = optax.apply_updates(params, updates)
        our_updates, our_state = our_opt.update(grad(ours), our_state, ours)
        ours = optim.apply_updates(ours, our_updates)
    assert float(_loss(tnp)(params)) < start - 1.0
    for key in params:
        np.testing.assert_allclose(np.asarray(params[key]), ours[key], rtol=1e-6, atol=1e-6)


def test_weight_decay_needs_params():
    with pytest.raises(ValueError, match="add_decayed_weights: update.*needs params"):
        opt = optim.adamw(0.1)
        opt.update(_params(), opt.init(_params()))
