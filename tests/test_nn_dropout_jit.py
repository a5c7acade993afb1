"""Dropout with trace_ag.random keys: the mask is JAX's (``bernoulli(key, 1 - rate)``, as Flax
draws it), a training step with dropout runs under ``ag.jit`` with a fresh key each step, and
the jitted step gives the eager step's numbers for the same key. Initializers take keys too."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import trace_ag as ag
from nn import init, layers, losses, optim
from trace_ag import random as rnd

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dropout_mask_is_jax_bernoulli_of_the_key(dtype):
    x = np.random.default_rng(0).normal(size=(6, 5)).astype(dtype)
    key = rnd.PRNGKey(3)
    ours = layers.Dropout(0.3).apply({}, x, key=key, training=True)
    keep = jax.random.bernoulli(jax.random.PRNGKey(3), 0.7, x.shape)
    ref = jnp.where(keep, x / 0.7, 0)
    assert ours.dtype == dtype
    np.testing.assert_allclose(ours, ref, rtol=1e-6 if dtype == np.float32 else 1e-15)
    np.testing.assert_array_equal(layers.Dropout(0.3).apply({}, x, key=key), x)  # not training
    np.testing.assert_array_equal(layers.Dropout(1.0).apply({}, x, key=key, training=True), 0 * x)


def test_dropout_gradient_is_the_mask_scaling():
    x = np.ones((4, 8))
    key = rnd.PRNGKey(1)
    layer = layers.Dropout(0.5)
    y = layer.apply({}, x, key=key, training=True)
    g = ag.grad(lambda x: ag.numpy.sum(layer.apply({}, x, key=key, training=True)))(x)
    np.testing.assert_array_equal(g, y)  # x is all ones: the output is the scaled mask


def _setup():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 0.5)
    model = nn.Sequential([layers.Linear(32, dtype=np.float64), layers.relu,
                           layers.Dropout(0.3), layers.Linear(3, dtype=np.float64)])  # fmt: skip
    params, _ = model.init(rnd.PRNGKey(0), (4,))
    opt = optim.adam(3e-2)
    traces = []

    def step(params, opt_state, key):
        traces.append(1)

        def objective(p):
            return losses.cross_entropy(model.apply(p, x, rng=key, training=True), y)

        loss, grads = ag.value_and_grad(objective)(params)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optim.apply_updates(params, updates), opt_state, loss

    return model, params, opt, step, traces, x, y


def test_training_with_dropout_under_jit_lowers_the_loss_and_equals_eager():
    model, params, opt, step, traces, x, y = _setup()
    jitted = ag.jit(step)
    opt_state = opt.init(params)
    key = rnd.PRNGKey(7)
    first_key = rnd.split(key)[1]
    eager_out = step(params, opt_state, first_key)
    jit_out = jitted(params, opt_state, first_key)
    for a, b in zip(ag.tree_util.tree_leaves(jit_out), ag.tree_util.tree_leaves(eager_out),
                    strict=True):  # fmt: skip
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    n_traces = len(traces)
    history = []
    for _ in range(40):
        key, sub = rnd.split(key)
        params, opt_state, loss = jitted(params, opt_state, sub)
        history.append(float(loss))
    assert len(traces) == n_traces, "a new key retraced the step: the mask must be traced"
    assert np.mean(history[-5:]) < 0.5 * np.mean(history[:3]), history
    evaluated = model.apply(params, x)  # no dropout when not training
    assert losses.accuracy(evaluated, y) > 0.8


def test_masks_differ_between_keys_under_jit():
    drop = ag.jit(lambda x, k: layers.Dropout(0.5).apply({}, x, key=k, training=True))
    x = np.ones((10, 10))
    a, b = drop(x, rnd.PRNGKey(0)), drop(x, rnd.PRNGKey(1))
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, drop(x, rnd.PRNGKey(0)))


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal"])
def test_initializers_take_keys(name):
    initializer = getattr(init, name)
    key = rnd.PRNGKey(5)
    w = initializer(key, (30, 40), np.float32)
    assert w.shape == (30, 40) and w.dtype == np.float32
    np.testing.assert_array_equal(ag.jit(lambda k: initializer(k, (30, 40), np.float32))(key), w)
    fan_in, fan_out = init.fans((30, 40))
    var = (2.0 / (fan_in + fan_out)) if name.startswith("glorot") else 2.0 / fan_in
    assert abs(w.var() / var - 1) < 0.15
    if name.endswith("uniform"):
        limit = np.sqrt(3 * var)
        ref = jax.random.uniform(jax.random.PRNGKey(5), (30, 40), jnp.float32, -limit, limit)
        np.testing.assert_allclose(w, ref, rtol=1e-6, atol=1e-6 * limit)  # XLA may fuse (FMA)
    # the Generator path is unchanged
    g = initializer(np.random.default_rng(0), (3, 4), np.float64)
    assert g.shape == (3, 4) and g.dtype == np.float64


def test_layers_init_from_a_key_is_reproducible():
    model = nn.Sequential([layers.Linear(5), layers.relu, layers.Linear(2)])
    p1, _ = model.init(rnd.PRNGKey(9), (3,))
    p2, _ = model.init(rnd.PRNGKey(9), (3,))
    p3, _ = model.init(rnd.PRNGKey(10), (3,))
    for a, b in zip(ag.tree_util.tree_leaves(p1), ag.tree_util.tree_leaves(p2), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(p1[0]["w"], p3[0]["w"])
    with pytest.raises(TypeError, match="a traced key cannot seed a NumPy Generator"):
        ag.jit(lambda k: model.init(k, (3,))[0][0]["w"])(rnd.PRNGKey(0))


def test_sequential_gives_each_dropout_layer_its_own_mask():
    model = nn.Sequential([nn.Dropout(0.5), nn.Dropout(0.5)])
    params = model.init(ag.random.PRNGKey(0), (1000,))
    x = np.ones(1000)
    key = ag.random.PRNGKey(3)
    first = model.layers[0].apply(params[0], x, rng=ag.random.fold_in(key, 0), training=True)
    both = model.apply(params, x, rng=key, training=True)
    # the second layer's mask is drawn from another key: the result is not first's mask again
    assert not np.array_equal(both != 0, first != 0)
    np.testing.assert_array_equal(both[first == 0], 0.0)
