"""Per-example gradients of LeNet-5, ``ag.vmap(ag.grad(loss), in_axes=(None, 0, 0))`` on a batch
of 8 MNIST-sized images, against the same model written in plain JAX (float64)."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import trace_ag as ag
from nn import losses, models

jax.config.update("jax_enable_x64", True)


def jax_lenet5(params, x):
    """nn.models.lenet5 in plain jax.numpy / lax, for one image (C, 28, 28)."""

    def conv(p, h):
        y = lax.conv_general_dilated(
            h[None], p["w"], (1, 1), "VALID", precision=lax.Precision.HIGHEST
        )[0]
        return y + p["b"][:, None, None]

    def pool(h):
        return lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2), (1, 2, 2), "VALID")

    h = pool(jax.nn.relu(conv(params[0], x)))
    h = pool(jax.nn.relu(conv(params[3], h))).reshape(-1)
    h = jax.nn.relu(h @ params[7]["w"] + params[7]["b"])
    h = jax.nn.relu(h @ params[9]["w"] + params[9]["b"])
    return h @ params[11]["w"] + params[11]["b"]


def test_per_example_gradients_of_lenet5_match_jax():
    model = models.lenet5((1, 28, 28))
    params, _ = model.init(0, (1, 28, 28))
    params = ag.tree_util.tree_map(lambda p: np.asarray(p, np.float64), params)
    rng = np.random.default_rng(0)
    images, labels = rng.standard_normal((8, 1, 28, 28)), rng.integers(0, 10, 8)

    def loss(p, x, y):
        return losses.cross_entropy(model.apply(p, x[None]), y[None])

    def jax_loss(p, x, y):
        return -jax.nn.log_softmax(jax_lenet5(p, x))[y]

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no primitive on this path falls back to a loop
        ours = ag.vmap(ag.grad(loss), in_axes=(None, 0, 0))(params, images, labels)
    theirs = jax.vmap(jax.grad(jax_loss), in_axes=(None, 0, 0))(params, images, labels)
    assert len(ag.tree_util.tree_leaves(ours)) == len(jax.tree_util.tree_leaves(theirs)) == 10
    for a, b in zip(ag.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(theirs), strict=True):
        assert a.shape[0] == 8
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    one = ag.grad(loss)(params, images[3], labels[3])  # and equal to one example at a time
    for a, b in zip(ag.tree_util.tree_leaves(ours), ag.tree_util.tree_leaves(one), strict=True):
        np.testing.assert_allclose(a[3], b, rtol=1e-10, atol=1e-12)
