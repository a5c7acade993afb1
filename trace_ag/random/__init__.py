"""``trace_ag.random``: JAX's counter-based PRNG, bit for bit.

The same key gives the same bits and samples as ``jax.random`` (threefry2x32, the default
implementation, with JAX's default ``jax_threefry_partitionable=True``; default dtypes as with
``jax_enable_x64``). Keys are JAX's *raw* keys: ``uint32[2]`` arrays. ``key(seed)`` returns
that same raw form (trace_ag has no key dtype), and ``key_data``/``wrap_key_data`` are
identities. Keys are ordinary values, so everything here works under ``jit`` (either backend),
``vmap`` over a batch of keys, ``lax.scan`` and ``grad`` (no gradient flows into keys; samples
scaled or shifted by float parameters are differentiable in those parameters).

Examples:
    >>> import trace_ag.random as random
    >>> key = random.PRNGKey(0)
    >>> key, sub = random.split(key)
    >>> random.normal(sub, (2,)).shape
    (2,)
"""

from trace_ag.random._binomial import binomial, clone, key_dtype, multinomial
from trace_ag.random._distributions import (
    ball,
    beta,
    cauchy,
    chisquare,
    dirichlet,
    double_sided_maxwell,
    f,
    gamma,
    generalized_normal,
    geometric,
    loggamma,
    lognormal,
    maxwell,
    pareto,
    poisson,
    rayleigh,
    t,
    triangular,
    wald,
    weibull_min,
)
from trace_ag.random._gamma import random_gamma_grad
from trace_ag.random._keys import (
    PRNGKey,
    bits,
    fold_in,
    key,
    key_data,
    key_impl,
    split,
    threefry2x32,
    threefry_2x32,
    wrap_key_data,
)
from trace_ag.random._samplers import (
    bernoulli,
    categorical,
    choice,
    exponential,
    gumbel,
    laplace,
    logistic,
    multivariate_normal,
    normal,
    orthogonal,
    permutation,
    rademacher,
    randint,
    truncated_normal,
    uniform,
)

__all__ = [
    "ball",
    "bernoulli",
    "beta",
    "binomial",
    "bits",
    "categorical",
    "cauchy",
    "chisquare",
    "choice",
    "clone",
    "dirichlet",
    "double_sided_maxwell",
    "exponential",
    "f",
    "fold_in",
    "gamma",
    "generalized_normal",
    "geometric",
    "gumbel",
    "key",
    "key_data",
    "key_dtype",
    "key_impl",
    "laplace",
    "loggamma",
    "logistic",
    "lognormal",
    "maxwell",
    "multinomial",
    "multivariate_normal",
    "normal",
    "orthogonal",
    "pareto",
    "permutation",
    "poisson",
    "PRNGKey",
    "rademacher",
    "randint",
    "random_gamma_grad",
    "rayleigh",
    "split",
    "t",
    "threefry2x32",
    "threefry_2x32",
    "triangular",
    "truncated_normal",
    "uniform",
    "wald",
    "weibull_min",
    "wrap_key_data",
]
