"""nn layers: each layer's output and parameter/input gradients against the same layer written
in plain jax.numpy / jax.lax (float64), initializers, Sequential, Dropout and shape errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import nn
import trace_ag as ag
import trace_ag.numpy as tnp
from nn import init, layers

jax.config.update("jax_enable_x64", True)
F64 = np.float64


def _jax_conv(p, x, stride=1, padding=0):
    pads = [(padding, padding)] * 2
    y = lax.conv_general_dilated(x, p["w"], (stride, stride), pads, precision=lax.Precision.HIGHEST)
    return y + p["b"][None, :, None, None]


def _jax_pool(x, op, window, stride):
    init_value, fn = (-jnp.inf, lax.max) if op == "max" else (0.0, lax.add)
    y = lax.reduce_window(
        x, init_value, fn, (1, 1, window, window), (1, 1, stride, stride), "VALID"
    )
    return y if op == "max" else y / window**2


CASES = [
    # (layer, per-example input shape, the same layer in JAX: f(params, x))
    (layers.Linear(5, dtype=F64), (7,), lambda p, x: x @ p["w"] + p["b"]),
    (layers.Conv2d(4, 3, dtype=F64), (2, 6, 6), _jax_conv),
    (
        layers.Conv2d(3, 2, stride=2, padding=1, dtype=F64),
        (2, 5, 5),
        lambda p, x: _jax_conv(p, x, 2, 1),
    ),
    (layers.MaxPool2d(2), (3, 6, 6), lambda p, x: _jax_pool(x, "max", 2, 2)),
    (layers.AvgPool2d(3, stride=1), (2, 5, 5), lambda p, x: _jax_pool(x, "avg", 3, 1)),
    (layers.Flatten(), (2, 3, 4), lambda p, x: x.reshape(x.shape[0], -1)),
    (layers.Activation(layers.relu), (6,), lambda p, x: jax.nn.relu(x)),
    (layers.Activation(layers.tanh), (6,), lambda p, x: jnp.tanh(x)),
    (layers.Activation(layers.sigmoid), (6,), lambda p, x: jax.nn.sigmoid(x)),
    (layers.Activation(layers.gelu), (6,), lambda p, x: jax.nn.gelu(x, approximate=True)),
    (layers.Activation(layers.softmax), (6,), lambda p, x: jax.nn.softmax(x, axis=-1)),
    (layers.Dropout(0.5), (6,), lambda p, x: x),  # identity when not training
]


@pytest.mark.parametrize(
    "layer,shape,reference",
    CASES,
    ids=[f"{i}-{type(layer).__name__}" for i, (layer, _, _) in enumerate(CASES)],  # stable ids
)
def test_layer_matches_jax(layer, shape, reference):
    rng = np.random.default_rng(0)
    params, out_shape = layer.init(rng, shape)
    params = {k: v.astype(F64) for k, v in params.items()}
    x = rng.normal(size=(3, *shape))
    ours, vjp_fn = ag.vjp(lambda p, x: layer.apply(p, x), params, x)
    theirs, jax_vjp = jax.vjp(reference, params, x)
    assert ours.shape == (3, *out_shape)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    ct = rng.normal(size=ours.shape)
    (g_params, g_x), (j_params, j_x) = vjp_fn(ct), jax_vjp(ct)
    np.testing.assert_allclose(g_x, j_x, rtol=1e-10, atol=1e-12)
    for key in params:
        np.testing.assert_allclose(g_params[key], j_params[key], rtol=1e-10, atol=1e-12)


def test_sequential_matches_a_jax_model():
    model = nn.Sequential(
        [
            layers.Conv2d(4, 3, dtype=F64),
            layers.relu,
            layers.MaxPool2d(2),
            layers.Flatten(),
            layers.Linear(5, dtype=F64),
        ]
    )
    params, out_shape = model.init(np.random.default_rng(1), (2, 8, 8))
    assert out_shape == (5,) and [sorted(p) for p in params] == [["b", "w"], [], [], [], ["b", "w"]]

    def jax_model(params, x):
        y = _jax_pool(jax.nn.relu(_jax_conv(params[0], x)), "max", 2, 2)
        return y.reshape(x.shape[0], -1) @ params[4]["w"] + params[4]["b"]

    x = np.random.default_rng(2).normal(size=(4, 2, 8, 8))
    loss = lambda p, x: tnp.sum(model.apply(p, x) ** 2)  # noqa: E731
    jax_loss = lambda p, x: jnp.sum(jax_model(p, x) ** 2)  # noqa: E731
    np.testing.assert_allclose(loss(params, x), jax_loss(params, x), rtol=1e-10)
    ours, theirs = ag.grad(loss)(params, x), jax.grad(jax_loss)(params, x)
    for a, b in zip(ours, theirs, strict=True):
        for key in a:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-9, atol=1e-12)


def test_same_seed_same_parameters():
    model = nn.models.lenet5((3, 32, 32))
    (a, shape), (b, _) = model.init(7, (3, 32, 32)), model.init(7, (3, 32, 32))
    c, _ = model.init(8, (3, 32, 32))
    assert shape == (10,) and a[7]["w"].shape == (400, 120)
    for x, y in zip(ag.tree_util.tree_leaves(a), ag.tree_util.tree_leaves(b), strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0]["w"], c[0]["w"])


@pytest.mark.parametrize(
    "initializer,variance",
    [
        (init.glorot_uniform, 2 / (3 * 9 + 64 * 9)),
        (init.glorot_normal, 2 / (3 * 9 + 64 * 9)),
        (init.he_uniform, 2 / (3 * 9)),
        (init.he_normal, 2 / (3 * 9)),
    ],
)
def test_initializer_variance_follows_the_fans(initializer, variance):
    w = initializer(np.random.default_rng(0), (64, 3, 3, 3), np.float64)
    assert w.shape == (64, 3, 3, 3) and w.dtype == np.float64
    assert abs(w.var() / variance - 1) < 0.1
    assert init.fans((64, 3, 3, 3)) == (27, 576) and init.fans((7, 5)) == (7, 5)


def test_dropout_masks_and_rescales_only_while_training():
    x = np.ones((200, 50))
    layer = layers.Dropout(0.25)
    np.testing.assert_array_equal(layer.apply({}, x), x)
    y = layer.apply({}, x, rng=np.random.default_rng(0), training=True)
    assert set(np.unique(y)) == {0.0, 1 / 0.75}
    assert abs((y == 0).mean() - 0.25) < 0.02
    z = layer.apply({}, x, rng=np.random.default_rng(0), training=True)
    np.testing.assert_array_equal(y, z)  # an explicit rng: reproducible
    g = ag.grad(lambda x: tnp.sum(layer.apply({}, x, rng=np.random.default_rng(0), training=True)))(
        x
    )
    np.testing.assert_array_equal(g, y)


def test_dropout_errors():
    with pytest.raises(TypeError, match=r"Dropout.apply\(training=True\) needs rng="):
        layers.Dropout(0.5).apply({}, np.ones(3), training=True)
    step = ag.jit(
        lambda x: layers.Dropout(0.5).apply({}, x, rng=np.random.default_rng(0), training=True)
    )
    with pytest.raises(TypeError, match="under ag.jit would bake one random mask"):
        step(np.ones(3))


def test_shape_errors_name_the_layer_and_the_users_line():
    model = nn.Sequential([layers.Flatten(), layers.Linear(3)])
    params, _ = model.init(0, (4,))
    with pytest.raises(ag.ShapeError) as info:
        model.apply(params, np.ones((2, 5)))  # the user's line
    message = str(info.value)
    assert "Linear.apply: expects a batch of vectors (N, 4), got shape (2, 5)" in message
    assert "test_nn_layers.py" in message and "the user's line" in message
    with pytest.raises(
        ag.ShapeError,
        match=r"Conv2d.apply: expects a batch of images "
        r"\(N, 3, \?, \?\), got shape \(2, 1, 8, 8\)",
    ):
        conv = layers.Conv2d(2, 3)
        conv.apply(conv.init(0, (3, 8, 8))[0], np.ones((2, 1, 8, 8)))
    with pytest.raises(ag.ShapeError, match="Linear.init: expects a flat input shape"):
        layers.Linear(3).init(0, (1, 8, 8))
    with pytest.raises(ag.ShapeError, match="Sequential.apply: expects a list of 2 layer params"):
        model.apply(params[:1], np.ones((2, 4)))


def test_relu_matches_jax_relu_at_zero_nan_and_infinities():
    x = np.array([-1.0, 0.0, 2.0, np.nan, -np.inf, np.inf])
    np.testing.assert_array_equal(layers.relu(x), jax.nn.relu(x))
    ours = ag.grad(lambda x: tnp.sum(layers.relu(x) * x))(x[:3])
    theirs = jax.grad(lambda x: jnp.sum(jax.nn.relu(x) * x))(x[:3])
    np.testing.assert_array_equal(ours, theirs)  # 0 at 0, as jax.nn.relu
    jitted = ag.jit(ag.grad(lambda x: tnp.sum(layers.relu(x))))
    np.testing.assert_array_equal(jitted(x), [0, 0, 1, 0, 0, 1])
