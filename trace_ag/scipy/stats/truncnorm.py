"""The normal distribution truncated to ``[a, b]`` (in units of ``scale`` about ``loc``),
``jax.scipy.stats.truncnorm``. Masses are computed in log space and in the left tail (the
right tail by symmetry), as SciPy and JAX do, so far tails stay accurate."""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.scipy.stats import norm
from trace_ag.scipy.stats._util import promote_args, special


def _log_diff(x: Any, y: Any) -> Any:
    """``log(exp(x) - exp(y))`` without overflow."""
    ones = tnp.ones_like(x)
    return special("logsumexp")(tnp.stack([x, y]), b=tnp.stack([ones, -ones]), axis=0)


def _log_gauss_mass(a: Any, b: Any) -> Any:
    """``log(ndtr(b) - ndtr(a))``, accurate in both tails and in the middle."""
    a, b = tnp.broadcast_arrays(a, b)
    left, right = b <= 0, a > 0
    central = ~(left | right)
    # A right-tail interval is mirrored into the left tail, where log_ndtr is accurate.
    a_tail, b_tail = tnp.where(right, -b, a), tnp.where(right, -a, b)
    log_ndtr, ndtr = special("log_ndtr"), special("ndtr")
    mass_tail = _log_diff(log_ndtr(b_tail), log_ndtr(a_tail))
    mass_central = tnp.log1p(-ndtr(a) - ndtr(-b))
    return tnp.where(central, mass_central, mass_tail)


def logpdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The log density: the normal's, less the log mass of ``[a, b]``; ``-inf`` outside, nan
    when ``a >= b``.

    Examples:
        >>> from trace_ag.scipy.stats import truncnorm
        >>> print(truncnorm.logpdf(np.array([-2.0, 0.0, 0.5]), -1.0, 1.0).round(6))
        [     -inf -0.537223 -0.662223]
    """
    x, a, b, loc, scale = promote_args("truncnorm.logpdf", x, a, b, loc, scale)
    value = norm.logpdf(x, loc, scale) - _log_gauss_mass(a, b)
    z = (x - loc) / scale
    value = tnp.where((z < a) | (z > b), -np.inf, value)
    return tnp.where(a >= b, np.nan, value)


def pdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density, ``exp(logpdf)``.

    Examples:
        >>> from trace_ag.scipy.stats import truncnorm
        >>> print(truncnorm.pdf(np.array([0.0, 0.5]), -1.0, 1.0).round(6))
        [0.584369 0.515703]
    """
    return tnp.exp(logpdf(x, a, b, loc, scale))


def logcdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(cdf(x))``: 0 above ``b``, ``-inf`` below ``a``, nan when ``a >= b``.

    Examples:
        >>> from trace_ag.scipy.stats import truncnorm
        >>> print(truncnorm.logcdf(np.array([-2.0, 0.0, 0.5, 2.0]), -1.0, 1.0).round(6))
        [     -inf -0.693147 -0.24788   0.      ]
    """
    x, a, b, loc, scale = promote_args("truncnorm.logcdf", x, a, b, loc, scale)
    x, a, b = tnp.broadcast_arrays(x, a, b)
    z = (x - loc) / scale
    log_mass = _log_gauss_mass(a, b)
    log_cdf = _log_gauss_mass(a, z) - log_mass
    log_sf = _log_gauss_mass(z, b) - log_mass
    # Near 1, log1p(-sf) keeps the digits that log(cdf) loses (SciPy's choice too).
    result = tnp.select(
        [z >= b, z <= a, log_cdf > -0.1, z > a],
        [tnp.zeros_like(z), tnp.zeros_like(z) - np.inf, tnp.log1p(-tnp.exp(log_sf)), log_cdf],
    )
    return tnp.where(a >= b, np.nan, result)


def cdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The CDF, ``exp(logcdf)``.

    Examples:
        >>> from trace_ag.scipy.stats import truncnorm
        >>> print(truncnorm.cdf(np.array([-2.0, 0.0, 0.5]), -1.0, 1.0).round(6))
        [0.       0.5      0.780453]
    """
    return tnp.exp(logcdf(x, a, b, loc, scale))


def logsf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(sf(x))``, the mirrored ``logcdf``.

    Examples:
        >>> from trace_ag.scipy.stats import truncnorm
        >>> print(truncnorm.logsf(np.array([0.0, 0.5]), -1.0, 1.0).round(6))
        [-0.693147 -1.51619 ]
    """
    x, a, b, loc, scale = promote_args("truncnorm.logsf", x, a, b, loc, scale)
    return logcdf(-x, -b, -a, -loc, scale)


def sf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The survival function, ``exp(logsf)``.

    Examples:
        >>> from trace_ag.scipy.stats import truncnorm
        >>> print(truncnorm.sf(np.array([0.0, 0.5]), -1.0, 1.0).round(6))
        [0.5      0.219547]
    """
    return tnp.exp(logsf(x, a, b, loc, scale))
