"""Kernel least squares: a Gram matrix built with nested vmap, a kernel ridge fit solved exactly
with jnp.linalg.solve, and the same objective minimised by jit-compiled gradient descent."""

from functools import partial

import jax
import jax.numpy as jnp
from jax import grad, jit, random, vmap

jax.config.update("jax_enable_x64", True)


def gram(kernel, xs):
    return vmap(lambda x: vmap(lambda y: kernel(x, y))(xs))(xs)


def rbf(x, y, lengthscale=0.5):
    return jnp.exp(-jnp.sum((x - y) ** 2) / (2 * lengthscale**2))


def minimize(f, x, num_steps=300, step_size=0.002):
    @jit
    def step(x):
        return x - step_size * grad(f)(x)

    for i in range(num_steps):
        x = step(x)
        if i % 60 == 0:
            print(f"step {i:3d} objective {f(x):.10f}")
    return x


def train(kernel, xs, ys, regularization=0.1):
    gram_matrix = gram(kernel, xs)

    @jit
    def objective(v):
        risk = 0.5 * jnp.sum((jnp.dot(gram_matrix, v) - ys) ** 2.0)
        reg = regularization * jnp.dot(v, jnp.dot(gram_matrix, v))
        return risk + reg

    v = minimize(objective, jnp.zeros(xs.shape[0]))

    exact = jnp.linalg.solve(gram_matrix + 2 * regularization * jnp.eye(xs.shape[0]), ys)
    print(f"objective at gradient-descent solution {objective(v):.10f}")
    print(f"objective at exact solution {objective(exact):.10f}")

    def predict(x):
        prods = vmap(lambda x_: kernel(x, x_))(xs)
        return jnp.sum(v * prods)

    return jit(vmap(predict)), gram_matrix


if __name__ == "__main__":
    key_x, key_noise = random.split(random.PRNGKey(1))
    n = 24
    xs = random.uniform(key_x, (n, 1), minval=-2.0, maxval=2.0)
    ys = jnp.sin(2 * xs[:, 0]) + 0.1 * random.normal(key_noise, (n,))
    print(f"data mean {jnp.mean(ys):.10f} std {jnp.std(ys):.10f}")

    predict, gram_matrix = train(partial(rbf, lengthscale=0.5), xs, ys)
    sign, logdet = jnp.linalg.slogdet(gram_matrix + 0.2 * jnp.eye(n))
    print(f"gram trace {jnp.trace(gram_matrix):.10f} regularized logdet {sign * logdet:.10f}")
    x_test = jnp.linspace(-2.0, 2.0, 5)[:, None]
    for x, y in zip(x_test[:, 0], predict(x_test), strict=True):
        print(f"predict({x:+.2f}) = {y:.10f}   sin(2x) = {jnp.sin(2 * x):.10f}")
    train_mse = jnp.mean((predict(xs) - ys) ** 2)
    print(f"train mse {train_mse:.10f}")
