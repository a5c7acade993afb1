"""Automatic differentiation variational inference (ADVI): fit a diagonal Gaussian to a
correlated two-dimensional target by maximising a reparameterized Monte Carlo estimate of the
ELBO, with fresh jax.random samples each step and optimizers.adam."""

from functools import partial

import jax
import jax.numpy as jnp
import jax.scipy.stats.norm as norm
from jax import grad, jit, random, vmap
from jax.example_libraries import optimizers
from jax.scipy.stats import multivariate_normal

jax.config.update("jax_enable_x64", True)

target_mean = jnp.array([1.0, -0.5])
target_cov = jnp.array([[1.0, 0.6], [0.6, 0.8]])


def log_density(z):
    return multivariate_normal.logpdf(z, target_mean, target_cov)


def diag_gaussian_sample(rng, mean, log_std):
    # the reparameterization trick: a sample is a differentiable function of (mean, log_std)
    return mean + jnp.exp(log_std) * random.normal(rng, mean.shape)


def diag_gaussian_logpdf(x, mean, log_std):
    return jnp.sum(vmap(norm.logpdf)(x, mean, jnp.exp(log_std)))


def elbo(logprob, rng, mean, log_std):
    sample = diag_gaussian_sample(rng, mean, log_std)
    return logprob(sample) - diag_gaussian_logpdf(sample, mean, log_std)


def batch_elbo(logprob, rng, params, num_samples):
    rngs = random.split(rng, num_samples)
    vectorized_elbo = vmap(partial(elbo, logprob), in_axes=(0, None, None))
    return jnp.mean(vectorized_elbo(rngs, *params))


if __name__ == "__main__":
    num_samples = 64

    @jit
    def objective(params, t):
        rng = random.PRNGKey(t)
        return -batch_elbo(log_density, rng, params, num_samples)

    init_mean = jnp.zeros(2)
    init_std = jnp.zeros(2)
    init_params = (init_mean, init_std)
    opt_init, opt_update, get_params = optimizers.adam(step_size=0.05, b1=0.9, b2=0.99)
    opt_state = opt_init(init_params)

    @jit
    def update(i, opt_state):
        params = get_params(opt_state)
        gradient = grad(objective)(params, i)
        return opt_update(i, gradient, opt_state)

    for t in range(300):
        opt_state = update(t, opt_state)
        if t % 50 == 0:
            print(f"iteration {t:3d} negative elbo {objective(get_params(opt_state), t):.10f}")

    mean, log_std = get_params(opt_state)
    print("variational mean", mean)
    print("variational std", jnp.exp(log_std))
    # the mean-field optimum: the mean matches, the variances are 1 / diag(precision)
    print("expected std", 1.0 / jnp.sqrt(jnp.diag(jnp.linalg.inv(target_cov))))
    samples = diag_gaussian_sample(random.PRNGKey(7), jnp.tile(mean, (1000, 1)), log_std)
    print(f"sample mean {jnp.mean(samples[:, 0]):.10f} {jnp.mean(samples[:, 1]):.10f}")
    print(f"log density at the mean {log_density(mean):.10f}")
    print(f"norm.cdf check {norm.cdf(0.5, loc=0.1, scale=2.0):.12f} ppf {norm.ppf(0.3):.12f}")
