"""The Bernoulli distribution with success probability ``p``, ``jax.scipy.stats.bernoulli``."""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.scipy.stats._util import promote_args, special


def logpmf(k: Any, p: Any, loc: Any = 0) -> Any:
    """``log(p)`` at ``k - loc = 1``, ``log(1 - p)`` at 0 (``xlogy`` forms, so ``p`` may be 0
    or 1); ``-inf`` outside ``[0, 1]``.

    Examples:
        >>> from trace_ag.scipy.stats import bernoulli
        >>> print(bernoulli.logpmf(np.array([0.0, 1.0, 2.0]), 0.25).round(6))
        [-0.287682 -1.386294      -inf]
    """
    k, p, loc = promote_args("bernoulli.logpmf", k, p, loc)
    x = k - loc
    log_probs = special("xlogy")(x, p) + special("xlog1py")(1 - x, -p)
    return tnp.where((x < 0) | (x > 1), -np.inf, log_probs)


def pmf(k: Any, p: Any, loc: Any = 0) -> Any:
    """The probability of ``k``, ``exp(logpmf)``.

    Examples:
        >>> from trace_ag.scipy.stats import bernoulli
        >>> print(bernoulli.pmf(np.array([0, 1]), 0.25).round(6))
        [0.75 0.25]
    """
    return tnp.exp(logpmf(k, p, loc))


def cdf(k: Any, p: Any) -> Any:
    """``P(K <= k)``: 0 below 0, ``1 - p`` on ``[0, 1)``, 1 from 1; nan for nan or ``p``
    outside ``[0, 1]``.

    Examples:
        >>> from trace_ag.scipy.stats import bernoulli
        >>> print(bernoulli.cdf(np.array([-1.0, 0.5, 1.0]), 0.25).round(6))
        [0.   0.75 1.  ]
    """
    k, p = promote_args("bernoulli.cdf", k, p)
    invalid = tnp.isnan(k) | tnp.isnan(p) | (p < 0) | (p > 1)
    conds = [invalid, k < 0, (k >= 0) & (k < 1), k >= 1]
    zero = tnp.zeros_like(k + p)
    return tnp.select(conds, [zero + np.nan, zero, 1 - p + zero, zero + 1])


def ppf(q: Any, p: Any) -> Any:
    """The smallest ``k`` with ``cdf(k) >= q``: 0 for ``q <= 1 - p``, else 1; nan for invalid
    arguments.

    Examples:
        >>> from trace_ag.scipy.stats import bernoulli
        >>> print(bernoulli.ppf(np.array([0.5, 0.8, 1.5]), 0.25))
        [ 0.  1. nan]
    """
    q, p = promote_args("bernoulli.ppf", q, p)
    invalid = tnp.isnan(q) | tnp.isnan(p) | (p < 0) | (p > 1) | (q < 0) | (q > 1)
    return tnp.where(invalid, np.nan, tnp.where(q <= 1 - p, 0.0, 1.0))
