"""The Cauchy distribution, ``jax.scipy.stats.cauchy``: ``loc`` is the median, ``scale`` the
half width at half maximum."""

from __future__ import annotations

import math
from typing import Any

from trace_ag import numpy as tnp
from trace_ag.scipy.stats._util import promote_args


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The log density ``-log(pi * scale) - log1p(z ** 2)``, ``z = (x - loc) / scale``.

    Examples:
        >>> from trace_ag.scipy.stats import cauchy
        >>> print(cauchy.logpdf(np.array([0.0, 1.0])).round(6))
        [-1.14473  -1.837877]
    """
    x, loc, scale = promote_args("cauchy.logpdf", x, loc, scale)
    z = (x - loc) / scale
    return -(tnp.log(math.pi * scale) + tnp.log1p(z * z))


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density ``1 / (pi * scale * (1 + z ** 2))``.

    Examples:
        >>> from trace_ag.scipy.stats import cauchy
        >>> print(cauchy.pdf(np.array([0.0, 1.0]), 0.0, 2.0).round(6))
        [0.159155 0.127324]
    """
    return tnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The CDF ``1/2 + arctan(z) / pi``.

    Examples:
        >>> from trace_ag.scipy.stats import cauchy
        >>> print(cauchy.cdf(np.array([-1.0, 0.0, 1.0])).round(6))
        [0.25 0.5  0.75]
    """
    x, loc, scale = promote_args("cauchy.cdf", x, loc, scale)
    return 0.5 + tnp.arctan((x - loc) / scale) / math.pi


def logcdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(cdf(x))``.

    Examples:
        >>> from trace_ag.scipy.stats import cauchy
        >>> print(cauchy.logcdf(np.array([0.0, 1.0])).round(6))
        [-0.693147 -0.287682]
    """
    return tnp.log(cdf(x, loc, scale))


def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The survival function ``1 - cdf(x)``, as ``cdf`` mirrored about ``loc``.

    Examples:
        >>> from trace_ag.scipy.stats import cauchy
        >>> print(cauchy.sf(np.array([0.0, 1.0])).round(6))
        [0.5  0.25]
    """
    x, loc, scale = promote_args("cauchy.sf", x, loc, scale)
    return cdf(-x, -loc, scale)


def logsf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(sf(x))``.

    Examples:
        >>> from trace_ag.scipy.stats import cauchy
        >>> print(cauchy.logsf(np.array([0.0, 1.0])).round(6))
        [-0.693147 -1.386294]
    """
    x, loc, scale = promote_args("cauchy.logsf", x, loc, scale)
    return logcdf(-x, -loc, scale)


def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The quantile function ``loc + scale * tan(pi * (q - 1/2))``.

    Examples:
        >>> from trace_ag.scipy.stats import cauchy
        >>> print(cauchy.ppf(np.array([0.5, 0.75])).round(6))
        [0. 1.]
    """
    q, loc, scale = promote_args("cauchy.ppf", q, loc, scale)
    return tnp.tan(math.pi * q - math.pi / 2) * scale + loc


def isf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The inverse survival function ``loc + scale * tan(pi * (1/2 - q))``.

    Examples:
        >>> from trace_ag.scipy.stats import cauchy
        >>> print(cauchy.isf(np.array([0.5, 0.25])).round(6))
        [0. 1.]
    """
    q, loc, scale = promote_args("cauchy.isf", q, loc, scale)
    return tnp.tan(math.pi / 2 - math.pi * q) * scale + loc
