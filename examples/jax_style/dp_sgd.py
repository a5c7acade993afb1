"""Differentially private SGD: per-example gradients with vmap, each clipped to an l2 norm
bound, summed, noised with Gaussian noise from jax.random, then averaged; a small MLP on
scikit-learn's digits, with the optimizers library."""

import itertools

import jax
import jax.numpy as jnp
import numpy.random as npr
from jax import grad, jit, random, vmap
from jax.example_libraries import optimizers, stax
from jax.example_libraries.stax import Dense, LogSoftmax, Tanh
from sklearn.datasets import load_digits

jax.config.update("jax_enable_x64", True)

init_random_params, predict = stax.serial(Dense(32), Tanh, Dense(10), LogSoftmax)


def loss(params, batch):
    inputs, targets = batch
    logits = predict(params, inputs)
    return -jnp.mean(jnp.sum(logits * targets, axis=-1))


def accuracy(params, batch):
    inputs, targets = batch
    return jnp.mean(jnp.argmax(predict(params, inputs), axis=1) == jnp.argmax(targets, axis=1))


def clipped_grad(params, l2_norm_clip, single_example_batch):
    grads = grad(loss)(params, single_example_batch)
    nonempty_grads, tree_def = jax.tree_util.tree_flatten(grads)
    total_grad_norm = jnp.linalg.norm(
        jnp.array([jnp.linalg.norm(g.ravel()) for g in nonempty_grads])
    )
    divisor = jnp.maximum(total_grad_norm / l2_norm_clip, 1.0)
    normalized = [g / divisor for g in nonempty_grads]
    return jax.tree_util.tree_unflatten(tree_def, normalized)


def private_grad(params, batch, rng, l2_norm_clip, noise_multiplier, batch_size):
    # add a batch axis of one to each example so that the loss sees a batch
    batch = jax.tree.map(lambda x: x[:, None], batch)
    clipped_grads = vmap(clipped_grad, (None, None, 0))(params, l2_norm_clip, batch)
    clipped_grads_flat, grads_treedef = jax.tree_util.tree_flatten(clipped_grads)
    aggregated = [g.sum(0) for g in clipped_grads_flat]
    rngs = random.split(rng, len(aggregated))
    noised = [
        (g + l2_norm_clip * noise_multiplier * random.normal(r, g.shape)) / batch_size
        for r, g in zip(rngs, aggregated, strict=True)
    ]
    return jax.tree_util.tree_unflatten(grads_treedef, noised)


if __name__ == "__main__":
    digits = load_digits()
    images = jnp.asarray(digits.data / 16.0)
    labels = jax.nn.one_hot(digits.target, 10)
    train, test = (images[:1500], labels[:1500]), (images[1500:], labels[1500:])
    batch_size, num_epochs = 64, 3
    l2_norm_clip, noise_multiplier = 1.5, 0.8
    num_batches = train[0].shape[0] // batch_size

    def data_stream():
        rng = npr.RandomState(0)
        while True:
            perm = rng.permutation(train[0].shape[0])
            for i in range(num_batches):
                idx = perm[i * batch_size : (i + 1) * batch_size]
                yield train[0][idx], train[1][idx]

    batches = data_stream()
    opt_init, opt_update, get_params = optimizers.sgd(0.5)
    key = random.PRNGKey(1337)
    _, init_params = init_random_params(key, (-1, 64))
    opt_state = opt_init(init_params)

    @jit
    def private_update(rng, i, opt_state, batch):
        params = get_params(opt_state)
        rng = random.fold_in(rng, i)
        g = private_grad(params, batch, rng, l2_norm_clip, noise_multiplier, batch_size)
        return opt_update(i, g, opt_state)

    itercount = itertools.count()
    first = next(batches)
    params = get_params(opt_state)
    g = private_grad(params, first, key, l2_norm_clip, noise_multiplier, batch_size)
    print("private grad norms", [f"{jnp.linalg.norm(leaf):.10f}" for leaf in jax.tree.leaves(g)])
    per_example_norms = vmap(
        lambda x, y: optimizers.l2_norm(clipped_grad(params, l2_norm_clip, (x[None], y[None])))
    )(*first)
    print(f"largest clipped per-example norm {jnp.max(per_example_norms):.10f}")
    for epoch in range(num_epochs):
        for _ in range(num_batches):
            opt_state = private_update(key, next(itercount), opt_state, next(batches))
        params = get_params(opt_state)
        print(
            f"epoch {epoch} train loss {loss(params, train):.10f} "
            f"train accuracy {accuracy(params, train):.6f} "
            f"test accuracy {accuracy(params, test):.6f}"
        )
