"""The logistic distribution, ``jax.scipy.stats.logistic``."""

from __future__ import annotations

from typing import Any

from trace_ag import numpy as tnp
from trace_ag.scipy.stats._util import promote_args, special


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The log density ``-2 * logaddexp(z / 2, -z / 2) - log(scale)``, ``z = (x - loc) /
    scale`` (symmetric, so it neither overflows nor loses digits for large ``|z|``).

    Examples:
        >>> from trace_ag.scipy.stats import logistic
        >>> print(logistic.logpdf(np.array([0.0, 800.0])).round(6))
        [  -1.386294 -800.      ]
    """
    x, loc, scale = promote_args("logistic.logpdf", x, loc, scale)
    half = (x - loc) / scale / 2
    return -2 * tnp.logaddexp(half, -half) - tnp.log(scale)


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density ``exp(-z) / (scale * (1 + exp(-z)) ** 2)``.

    Examples:
        >>> from trace_ag.scipy.stats import logistic
        >>> print(logistic.pdf(np.array([0.0, 1.0])).round(6))
        [0.25     0.196612]
    """
    return tnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The CDF ``expit(z)``.

    Examples:
        >>> from trace_ag.scipy.stats import logistic
        >>> print(logistic.cdf(np.array([0.0, 1.0])).round(6))
        [0.5      0.731059]
    """
    x, loc, scale = promote_args("logistic.cdf", x, loc, scale)
    return special("expit")((x - loc) / scale)


def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The survival function ``expit(-z)``.

    Examples:
        >>> from trace_ag.scipy.stats import logistic
        >>> print(logistic.sf(np.array([0.0, 1.0])).round(6))
        [0.5      0.268941]
    """
    x, loc, scale = promote_args("logistic.sf", x, loc, scale)
    return special("expit")(-((x - loc) / scale))


def ppf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The quantile function ``loc + scale * logit(q)`` (JAX names its argument ``x``).

    Examples:
        >>> from trace_ag.scipy.stats import logistic
        >>> print(logistic.ppf(np.array([0.5, 0.75])).round(6))
        [0.       1.098612]
    """
    x, loc, scale = promote_args("logistic.ppf", x, loc, scale)
    return special("logit")(x) * scale + loc


def isf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The inverse survival function ``loc - scale * logit(q)``.

    Examples:
        >>> from trace_ag.scipy.stats import logistic
        >>> print(logistic.isf(np.array([0.5, 0.25])).round(6))
        [0.       1.098612]
    """
    x, loc, scale = promote_args("logistic.isf", x, loc, scale)
    return -special("logit")(x) * scale + loc
