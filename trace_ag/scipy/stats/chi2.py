"""The chi-squared distribution with ``df`` degrees of freedom, ``jax.scipy.stats.chi2``
(a gamma distribution of shape ``df / 2`` and scale ``2 * scale``)."""

from __future__ import annotations

from typing import Any

from trace_ag import numpy as tnp
from trace_ag.scipy.stats import gamma
from trace_ag.scipy.stats._util import promote_args


def logpdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The log density ``(df/2 - 1) log(y) - y/2 - lgamma(df/2) - df/2 log(2) - log(scale)``,
    ``y = (x - loc) / scale``; ``-inf`` below ``loc``.

    Examples:
        >>> from trace_ag.scipy.stats import chi2
        >>> print(chi2.logpdf(np.array([-1.0, 1.0, 3.0]), 3.0).round(6))
        [     -inf -1.418939 -1.869632]
    """
    x, df, loc, scale = promote_args("chi2.logpdf", x, df, loc, scale)
    return gamma.logpdf(x, df / 2, loc, 2 * scale)


def pdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density, ``exp(logpdf)``.

    Examples:
        >>> from trace_ag.scipy.stats import chi2
        >>> print(chi2.pdf(np.array([1.0, 3.0]), 3.0).round(6))
        [0.241971 0.15418 ]
    """
    return tnp.exp(logpdf(x, df, loc, scale))


def cdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The CDF ``gammainc(df / 2, y / 2)``.

    Examples:
        >>> from trace_ag.scipy.stats import chi2
        >>> print(chi2.cdf(np.array([-1.0, 1.0, 3.0]), 3.0).round(6))
        [0.       0.198748 0.608375]
    """
    x, df, loc, scale = promote_args("chi2.cdf", x, df, loc, scale)
    return gamma.cdf(x, df / 2, loc, 2 * scale)


def logcdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(cdf(x))``.

    Examples:
        >>> from trace_ag.scipy.stats import chi2
        >>> print(chi2.logcdf(np.array([1.0, 3.0]), 3.0).round(6))
        [-1.615717 -0.496964]
    """
    return tnp.log(cdf(x, df, loc, scale))


def sf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The survival function ``gammaincc(df / 2, y / 2)``.

    Examples:
        >>> from trace_ag.scipy.stats import chi2
        >>> print(chi2.sf(np.array([-1.0, 1.0, 3.0]), 3.0).round(6))
        [1.       0.801252 0.391625]
    """
    x, df, loc, scale = promote_args("chi2.sf", x, df, loc, scale)
    return gamma.sf(x, df / 2, loc, 2 * scale)


def logsf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(sf(x))``.

    Examples:
        >>> from trace_ag.scipy.stats import chi2
        >>> print(chi2.logsf(np.array([1.0, 3.0]), 3.0).round(6))
        [-0.22158 -0.93745]
    """
    return tnp.log(sf(x, df, loc, scale))
