"""The normal distribution, ``jax.scipy.stats.norm``: ``loc`` is the mean, ``scale`` the
standard deviation."""

from __future__ import annotations

import math
from typing import Any

from trace_ag import numpy as tnp
from trace_ag.scipy.stats._util import promote_args, special


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The log of the normal density at ``x``.

    Examples:
        >>> from trace_ag.scipy.stats import norm
        >>> print(norm.logpdf(np.array([0.0, 1.0])).round(6))
        [-0.918939 -1.418939]
    """
    x, loc, scale = promote_args("norm.logpdf", x, loc, scale)
    variance = scale * scale
    return (tnp.log(2 * math.pi * variance) + (x - loc) ** 2 / variance) / -2


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The normal density at ``x``.

    Examples:
        >>> from trace_ag.scipy.stats import norm
        >>> print(norm.pdf(np.array([0.0, 2.0]), 0.0, 2.0).round(6))
        [0.199471 0.120985]
    """
    return tnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The normal CDF ``P(X <= x)``.

    Examples:
        >>> from trace_ag.scipy.stats import norm
        >>> print(norm.cdf(np.array([0.0, 1.96])).round(6))
        [0.5      0.975002]
    """
    x, loc, scale = promote_args("norm.cdf", x, loc, scale)
    return special("ndtr")((x - loc) / scale)


def logcdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(cdf(x))``, accurate far in the left tail.

    Examples:
        >>> from trace_ag.scipy.stats import norm
        >>> print(norm.logcdf(np.array([0.0, -30.0])).round(4))
        [  -0.6931 -454.3212]
    """
    x, loc, scale = promote_args("norm.logcdf", x, loc, scale)
    return special("log_ndtr")((x - loc) / scale)


def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The survival function ``1 - cdf(x)``, accurate in the right tail.

    Examples:
        >>> from trace_ag.scipy.stats import norm
        >>> print(norm.sf(np.array([0.0, 10.0])))
        [5.00000000e-01 7.61985302e-24]
    """
    x, loc, scale = promote_args("norm.sf", x, loc, scale)
    return cdf(-x, -loc, scale)


def logsf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(sf(x))``, accurate far in the right tail.

    Examples:
        >>> from trace_ag.scipy.stats import norm
        >>> print(norm.logsf(np.array([0.0, 30.0])).round(4))
        [  -0.6931 -454.3212]
    """
    x, loc, scale = promote_args("norm.logsf", x, loc, scale)
    return logcdf(-x, -loc, scale)


def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The quantile function, the inverse of ``cdf`` (``-inf``/``inf`` at 0/1, nan outside).

    Examples:
        >>> from trace_ag.scipy.stats import norm
        >>> print(norm.ppf(np.array([0.5, 0.975]), 1.0, 2.0).round(6))
        [1.       4.919928]
    """
    q, loc, scale = promote_args("norm.ppf", q, loc, scale)
    return special("ndtri")(q) * scale + loc


def isf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The inverse of ``sf``: ``ppf(1 - q)``.

    Examples:
        >>> from trace_ag.scipy.stats import norm
        >>> print(norm.isf(np.array([0.5, 0.025])).round(6))
        [0.       1.959964]
    """
    q, loc, scale = promote_args("norm.isf", q, loc, scale)
    return ppf(1 - q, loc, scale)
