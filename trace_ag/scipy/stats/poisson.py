"""The Poisson distribution with mean ``mu``, ``jax.scipy.stats.poisson``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.scipy.stats._util import promote_args, special


def logpmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """``k log(mu) - lgamma(k + 1) - mu`` at ``k - loc``; ``-inf`` below 0 and at non-integers.

    Examples:
        >>> from trace_ag.scipy.stats import poisson
        >>> print(poisson.logpmf(np.array([-1.0, 0.0, 2.0, 2.5]), 3.0).round(6))
        [     -inf -3.       -1.495923      -inf]
    """
    k, mu, loc = promote_args("poisson.logpmf", k, mu, loc)
    x = k - loc
    log_probs = special("xlogy")(x, mu) - special("gammaln")(x + 1) - mu
    return tnp.where((x < 0) | (tnp.round(k) != k), -np.inf, log_probs)


def pmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """The probability of ``k``, ``exp(logpmf)``.

    Examples:
        >>> from trace_ag.scipy.stats import poisson
        >>> print(poisson.pmf(np.array([0, 1, 2]), 2.0).round(6))
        [0.135335 0.270671 0.270671]
    """
    return tnp.exp(logpmf(k, mu, loc))


def cdf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """``P(K <= k) = gammaincc(floor(k - loc) + 1, mu)``; 0 below ``loc``.

    Examples:
        >>> from trace_ag.scipy.stats import poisson
        >>> print(poisson.cdf(np.array([-1.0, 0.0, 2.5]), 2.0).round(6))
        [0.       0.135335 0.676676]
    """
    k, mu, loc = promote_args("poisson.cdf", k, mu, loc)
    x = k - loc
    return tnp.where(x < 0, 0, special("gammaincc")(tnp.floor(1 + x), mu))


def _entropy_by_sum(mu, terms: int, upper):
    """``-sum p log p`` over ``k < min(terms, upper)``, the rest being negligible."""
    k = tnp.arange(terms, dtype=mu.dtype)[:, None]
    probs = tnp.where(k < tnp.ceil(upper)[None, :], pmf(k, mu), 0)
    return -tnp.sum(special("xlogy")(probs, probs), axis=0)


def entropy(mu: Any, loc: Any = 0) -> Any:
    """The entropy ``-sum_k pmf(k) log pmf(k)`` (``loc`` does not change it), as JAX computes
    it: a sum of 35 terms below ``mu = 10``, of 250 below 100, the asymptotic series above.

    Examples:
        >>> from trace_ag.scipy.stats import poisson
        >>> print(poisson.entropy(np.array([0.0, 1.0, 50.0, 500.0])).round(6))
        [0.       1.304842 3.373266 4.526076]
    """
    mu, loc = promote_args("poisson.entropy", mu, loc)
    shape = np.broadcast_shapes(mu.shape, loc.shape)
    flat = tnp.ravel(mu)
    # Each regime sees mu only where it is selected (a harmless value elsewhere), so no branch
    # divides by zero or underflows a probability into a nan gradient for the others.
    small_mu = tnp.where(flat < 10, flat, 1.0)
    small = _entropy_by_sum(small_mu, 35, small_mu + 20)
    medium_mu = tnp.where((flat >= 10) & (flat < 100), flat, 10.0)
    medium = _entropy_by_sum(medium_mu, 250, medium_mu + 10 * tnp.sqrt(medium_mu) + 20)
    big = tnp.where(flat < 100, 100.0, flat)
    large = 0.5 * tnp.log(2 * math.pi * math.e * big) - 1 / (12 * big)
    by_size = tnp.where(flat < 10, small, tnp.where(flat < 100, medium, large))
    result = tnp.where(flat == 0, 0, by_size)
    return tnp.broadcast_to(tnp.reshape(result, mu.shape), shape)
