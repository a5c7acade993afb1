"""A two-hidden-layer MLP classifier written from scratch, trained by minibatch SGD with a
jit-compiled update, on scikit-learn's 8x8 digits (a small MNIST that ships with sklearn)."""

import itertools

import jax
import jax.numpy as jnp
import numpy.random as npr
from jax import grad, jit, random
from jax.scipy.special import logsumexp
from sklearn.datasets import load_digits

jax.config.update("jax_enable_x64", True)


def digits_dataset():
    digits = load_digits()
    images = jnp.asarray(digits.data / 16.0)
    labels = jax.nn.one_hot(digits.target, 10)
    return images[:1500], labels[:1500], images[1500:], labels[1500:]


def init_random_params(scale, layer_sizes, rng):
    keys = random.split(rng, len(layer_sizes) - 1)
    params = []
    for key, m, n in zip(keys, layer_sizes[:-1], layer_sizes[1:], strict=True):
        w_key, b_key = random.split(key)
        params.append((scale * random.normal(w_key, (m, n)), scale * random.normal(b_key, (n,))))
    return params


def predict(params, inputs):
    activations = inputs
    for w, b in params[:-1]:
        outputs = jnp.dot(activations, w) + b
        activations = jnp.tanh(outputs)
    final_w, final_b = params[-1]
    logits = jnp.dot(activations, final_w) + final_b
    return logits - logsumexp(logits, axis=1, keepdims=True)


def loss(params, batch):
    inputs, targets = batch
    preds = predict(params, inputs)
    return -jnp.mean(jnp.sum(preds * targets, axis=1))


def accuracy(params, batch):
    inputs, targets = batch
    target_class = jnp.argmax(targets, axis=1)
    predicted_class = jnp.argmax(predict(params, inputs), axis=1)
    return jnp.mean(predicted_class == target_class)


if __name__ == "__main__":
    layer_sizes = [64, 32, 32, 10]
    param_scale = 0.1
    step_size = 0.5
    num_epochs = 4
    batch_size = 100

    train_images, train_labels, test_images, test_labels = digits_dataset()
    num_train = train_images.shape[0]
    num_complete_batches, leftover = divmod(num_train, batch_size)
    num_batches = num_complete_batches + bool(leftover)

    def data_stream():
        rng = npr.RandomState(0)
        while True:
            perm = rng.permutation(num_train)
            for i in range(num_batches):
                batch_idx = perm[i * batch_size : (i + 1) * batch_size]
                yield train_images[batch_idx], train_labels[batch_idx]

    batches = data_stream()

    @jit
    def update(params, batch):
        grads = grad(loss)(params, batch)
        return [
            (w - step_size * dw, b - step_size * db)
            for (w, b), (dw, db) in zip(params, grads, strict=True)
        ]

    params = init_random_params(param_scale, layer_sizes, random.PRNGKey(0))
    print(f"initial loss {loss(params, (train_images, train_labels)):.10f}")
    for epoch in range(num_epochs):
        for _ in range(num_batches):
            params = update(params, next(batches))
        train_acc = accuracy(params, (train_images, train_labels))
        test_acc = accuracy(params, (test_images, test_labels))
        train_loss = loss(params, (train_images, train_labels))
        print(f"epoch {epoch} train loss {train_loss:.10f}")
        print(f"epoch {epoch} train accuracy {train_acc:.6f} test accuracy {test_acc:.6f}")
    print("batches seen", next(itertools.count(num_epochs * num_batches)))
