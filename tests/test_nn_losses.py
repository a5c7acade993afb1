"""nn losses: values and gradients against optax / jax (float64), stability at huge logits."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import trace_ag as ag
from nn import losses

jax.config.update("jax_enable_x64", True)


def _check(ours, theirs, *args, argnum=0):
    np.testing.assert_allclose(ours(*args), theirs(*args), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        ag.grad(ours, argnum)(*args), jax.grad(theirs, argnum)(*args), rtol=1e-10, atol=1e-12
    )


def test_mse():
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    _check(losses.mse, lambda p, t: jnp.mean(optax.l2_loss(p, t)) * 2, pred, target)


def test_cross_entropy_with_integer_and_one_hot_labels():
    rng = np.random.default_rng(1)
    logits, labels = rng.normal(size=(6, 5)) * 3, rng.integers(0, 5, 6)
    reference = lambda z, y: jnp.mean(  # noqa: E731
        optax.softmax_cross_entropy_with_integer_labels(z, y)
    )
    _check(losses.cross_entropy, reference, logits, labels)
    one_hot = np.eye(5)[labels]
    _check(
        losses.cross_entropy,
        lambda z, y: jnp.mean(optax.softmax_cross_entropy(z, y)),
        logits,
        one_hot,
    )
    soft = rng.dirichlet(np.ones(5), size=6)  # probability labels
    _check(
        losses.cross_entropy, lambda z, y: jnp.mean(optax.softmax_cross_entropy(z, y)), logits, soft
    )


def test_cross_entropy_of_huge_logits_is_finite():
    logits = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0]])
    labels = np.array([1, 1])
    loss, grad = ag.value_and_grad(losses.cross_entropy)(logits, labels)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(loss, 5e3)
    np.testing.assert_allclose(grad, [[0.5, -0.5, 0], [0, 0, 0]], atol=1e-12)


def test_binary_cross_entropy_with_logits():
    rng = np.random.default_rng(2)
    logits = np.concatenate([rng.normal(size=7) * 4, [0.0, 1e4, -1e4]])
    labels = rng.uniform(size=10)
    reference = lambda z, y: jnp.mean(optax.sigmoid_binary_cross_entropy(z, y))  # noqa: E731
    _check(losses.binary_cross_entropy_with_logits, reference, logits, labels)
    grad = ag.grad(losses.binary_cross_entropy_with_logits)(np.zeros(1), np.ones(1))
    np.testing.assert_allclose(grad, [-0.5])  # sigmoid(0) - 1, also at exactly 0


def test_accuracy_with_integer_and_one_hot_labels():
    logits = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    labels = np.array([1, 1, 1, 0])
    assert float(losses.accuracy(logits, labels)) == 0.75
    assert float(losses.accuracy(logits, np.eye(2)[labels])) == 0.75


def test_label_shape_errors():
    with pytest.raises(
        ag.ShapeError,
        match=r"cross_entropy: integer labels of shape \(3,\) for "
        r"logits of shape \(4, 5\): expected \(4,\)",
    ):
        losses.cross_entropy(np.zeros((4, 5)), np.zeros(3, int))
    with pytest.raises(ag.ShapeError, match=r"one-hot labels of shape \(4, 3\)"):
        losses.cross_entropy(np.zeros((4, 5)), np.zeros((4, 3)))
    with pytest.raises(ag.ShapeError, match=r"mse: predictions \(2,\) and targets \(3,\)"):
        losses.mse(np.zeros(2), np.zeros(3))
