"""Gaussian-process regression: an RBF kernel with a learned amplitude, lengthscale and noise,
fitted by maximising the log marginal likelihood (Cholesky factor, cho_solve, gradients with
respect to the hyperparameters), then the posterior mean and variance at test points."""

import jax
import jax.numpy as jnp
import jax.scipy as scipy
from jax import random

jax.config.update("jax_enable_x64", True)


def softplus(x):
    return jnp.logaddexp(x, 0.0)


def cov_map(cov_func, xs, xs2=None):
    if xs2 is None:
        return jax.vmap(lambda x: jax.vmap(lambda y: cov_func(x, y))(xs))(xs)
    return jax.vmap(lambda x: jax.vmap(lambda y: cov_func(x, y))(xs))(xs2).T


def exp_quadratic(x1, x2):
    return jnp.exp(-jnp.sum((x1 - x2) ** 2))


def gp(params, x, y, xtest=None, compute_marginal_likelihood=False):
    noise = softplus(params["noise"])
    amp = softplus(params["amplitude"])
    ls = softplus(params["lengthscale"])
    y_mean = jnp.mean(y)
    y = y - y_mean
    x = x / ls
    train_cov = amp * cov_map(exp_quadratic, x) + (noise + 1e-6) * jnp.eye(x.shape[0])
    chol = scipy.linalg.cholesky(train_cov, lower=True)
    kinvy = scipy.linalg.solve_triangular(
        chol.T, scipy.linalg.solve_triangular(chol, y, lower=True)
    )
    if compute_marginal_likelihood:
        log2pi = jnp.log(2.0 * jnp.pi)
        ml = jnp.sum(
            -0.5 * jnp.dot(y.T, kinvy)
            - jnp.sum(jnp.log(jnp.diag(chol)))
            - 0.5 * x.shape[0] * log2pi
        )
        return ml
    xtest = xtest / ls
    cross_cov = amp * cov_map(exp_quadratic, x, xtest)
    mu = jnp.dot(cross_cov.T, kinvy) + y_mean
    v = scipy.linalg.solve_triangular(chol, cross_cov, lower=True)
    var = amp * jnp.ones(xtest.shape[0]) - jnp.sum(v * v, axis=0)
    return mu, var


def cho_solve_check(params, x, y):
    """The same solve through cho_factor/cho_solve, as many GP codes write it."""
    noise, amp, ls = (softplus(params[k]) for k in ("noise", "amplitude", "lengthscale"))
    cov = amp * cov_map(exp_quadratic, x / ls) + (noise + 1e-6) * jnp.eye(x.shape[0])
    factor = scipy.linalg.cho_factor(cov, lower=True)
    return scipy.linalg.cho_solve(factor, y - jnp.mean(y))


if __name__ == "__main__":
    key = random.PRNGKey(0)
    num_points = 20
    x = (random.uniform(key, shape=(num_points, 1)) * 4.0) - 2.0
    y = jnp.sin(2 * x[:, 0]) + 0.1 * random.normal(random.fold_in(key, 1), (num_points,))
    xtest = jnp.linspace(-2.5, 2.5, 7)[:, None]

    params = {"amplitude": jnp.array(0.0), "noise": jnp.array(-5.0), "lengthscale": jnp.array(0.0)}
    marginal_likelihood = lambda params: -gp(params, x, y, compute_marginal_likelihood=True)  # noqa: E731
    grad_fun = jax.jit(jax.grad(marginal_likelihood))

    momentums = jax.tree.map(jnp.zeros_like, params)
    scales = jax.tree.map(jnp.ones_like, params)
    lr, momentum_mass, eps = 0.01, 0.9, 1e-8
    for i in range(200):
        grads = grad_fun(params)
        for k in params:
            momentums[k] = momentum_mass * momentums[k] + (1 - momentum_mass) * grads[k]
            scales[k] = 0.9 * scales[k] + 0.1 * grads[k] ** 2
            params[k] -= lr * momentums[k] / jnp.sqrt(scales[k] + eps)
        if i % 40 == 0:
            print(
                f"step {i:3d} negative log marginal likelihood {marginal_likelihood(params):.10f}"
            )

    for k in sorted(params):
        print(f"{k} {softplus(params[k]):.10f}")
    mu, var = gp(params, x, y, xtest=xtest)
    for xt, m, v in zip(xtest[:, 0], mu, var, strict=True):
        print(f"x {xt:+.3f} posterior mean {m:+.10f} std {jnp.sqrt(v):.10f}")
    alpha = cho_solve_check(params, x, y)
    print(f"cho_solve alpha norm {jnp.linalg.norm(alpha):.10f}")
    g = grad_fun(params)
    print("final grads", {k: float(v) for k, v in sorted(g.items())})
