"""The stax + optimizers classifier: a small network built with jax.example_libraries.stax,
trained with optimizers.momentum (and then adam) on scikit-learn's digits."""

import itertools

import jax
import jax.numpy as jnp
import numpy.random as npr
from jax import grad, jit, random
from jax.example_libraries import optimizers, stax
from jax.example_libraries.stax import Dense, LogSoftmax, Relu
from sklearn.datasets import load_digits

jax.config.update("jax_enable_x64", True)


def digits_dataset():
    digits = load_digits()
    images = jnp.asarray(digits.data / 16.0)
    labels = jax.nn.one_hot(digits.target, 10)
    return images[:1500], labels[:1500], images[1500:], labels[1500:]


def loss(params, batch):
    inputs, targets = batch
    preds = predict(params, inputs)
    return -jnp.mean(jnp.sum(preds * targets, axis=1))


def accuracy(params, batch):
    inputs, targets = batch
    target_class = jnp.argmax(targets, axis=1)
    predicted_class = jnp.argmax(predict(params, inputs), axis=1)
    return jnp.mean(predicted_class == target_class)


def make_update(opt_update, get_params):
    @jit
    def update(i, opt_state, batch):
        params = get_params(opt_state)
        return opt_update(i, grad(loss)(params, batch), opt_state)

    return update


init_random_params, predict = stax.serial(Dense(48), Relu, Dense(24), Relu, Dense(10), LogSoftmax)

if __name__ == "__main__":
    rng = random.PRNGKey(0)
    step_size = 0.05
    num_epochs = 3
    batch_size = 128
    momentum_mass = 0.9

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

    for name, (opt_init, opt_update, get_params) in [
        ("momentum", optimizers.momentum(step_size, mass=momentum_mass)),
        ("adam", optimizers.adam(optimizers.exponential_decay(0.01, 10, 0.9))),
    ]:
        batches = data_stream()

        update = make_update(opt_update, get_params)
        _, init_params = init_random_params(rng, (-1, 64))
        opt_state = opt_init(init_params)
        itercount = itertools.count()
        print(f"{name} parameter shapes", jax.tree.map(lambda p: p.shape, init_params))
        for epoch in range(num_epochs):
            for _ in range(num_batches):
                opt_state = update(next(itercount), opt_state, next(batches))
            params = get_params(opt_state)
            train_acc = accuracy(params, (train_images, train_labels))
            test_acc = accuracy(params, (test_images, test_labels))
            train_loss = loss(params, (train_images, train_labels))
            print(f"{name} epoch {epoch} train loss {train_loss:.10f}")
            print(
                f"{name} epoch {epoch} train accuracy {train_acc:.6f} test accuracy {test_acc:.6f}"
            )
