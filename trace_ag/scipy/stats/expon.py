"""The exponential distribution, ``jax.scipy.stats.expon``: support ``x >= loc``, mean
``loc + scale``."""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.scipy.stats._util import promote_args


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The log density ``-(x - loc) / scale - log(scale)``; ``-inf`` below ``loc``.

    Examples:
        >>> from trace_ag.scipy.stats import expon
        >>> print(expon.logpdf(np.array([-1.0, 0.0, 2.0]), 0.0, 2.0).round(6))
        [     -inf -0.693147 -1.693147]
    """
    x, loc, scale = promote_args("expon.logpdf", x, loc, scale)
    log_probs = -((x - loc) / scale + tnp.log(scale))
    return tnp.where(x < loc, -np.inf, log_probs)


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density ``exp(-(x - loc) / scale) / scale``; 0 below ``loc``.

    Examples:
        >>> from trace_ag.scipy.stats import expon
        >>> print(expon.pdf(np.array([-1.0, 0.0, 1.0])).round(6))
        [0.       1.       0.367879]
    """
    return tnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The CDF ``-expm1(-(x - loc) / scale)``; 0 below ``loc``.

    Examples:
        >>> from trace_ag.scipy.stats import expon
        >>> print(expon.cdf(np.array([-1.0, 1.0, 2.0])).round(6))
        [0.       0.632121 0.864665]
    """
    x, loc, scale = promote_args("expon.cdf", x, loc, scale)
    neg_z = (loc - x) / scale
    return tnp.where(x < loc, tnp.zeros_like(neg_z), -tnp.expm1(neg_z))


def logsf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(sf(x)) = -(x - loc) / scale``; 0 below ``loc``.

    Examples:
        >>> from trace_ag.scipy.stats import expon
        >>> print(expon.logsf(np.array([-1.0, 0.0, 1.0])).round(6))
        [ 0.  0. -1.]
    """
    x, loc, scale = promote_args("expon.logsf", x, loc, scale)
    neg_z = (loc - x) / scale
    return tnp.where(x < loc, tnp.zeros_like(neg_z), neg_z)


def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The survival function ``exp(-(x - loc) / scale)``; 1 below ``loc``.

    Examples:
        >>> from trace_ag.scipy.stats import expon
        >>> print(expon.sf(np.array([-1.0, 0.0, 1.0])).round(6))
        [1.       1.       0.367879]
    """
    return tnp.exp(logsf(x, loc, scale))


def logcdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(cdf(x)) = log1p(-sf(x))``; ``-inf`` at and below ``loc``.

    Examples:
        >>> from trace_ag.scipy.stats import expon
        >>> print(expon.logcdf(np.array([0.0, 1.0])).round(6))
        [     -inf -0.458675]
    """
    return tnp.log1p(-sf(x, loc, scale))


def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The quantile function ``loc - scale * log1p(-q)``; nan outside ``[0, 1]``.

    Examples:
        >>> from trace_ag.scipy.stats import expon
        >>> print(expon.ppf(np.array([0.0, 0.5, 1.5])).round(6))
        [0.       0.693147      nan]
    """
    q, loc, scale = promote_args("expon.ppf", q, loc, scale)
    outside = tnp.isnan(q) | (q < 0) | (q > 1)
    return tnp.where(outside, np.nan, loc - scale * tnp.log1p(-q))
