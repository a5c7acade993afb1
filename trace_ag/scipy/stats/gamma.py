"""The gamma distribution with shape ``a``, ``jax.scipy.stats.gamma``: density
``y ** (a - 1) * exp(-y) / (gamma(a) * scale)``, ``y = (x - loc) / scale >= 0``."""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.scipy.stats._util import clamp, promote_args, special


def logpdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The log density; ``-inf`` below ``loc``.

    Examples:
        >>> from trace_ag.scipy.stats import gamma
        >>> print(gamma.logpdf(np.array([-1.0, 0.5, 2.0]), 2.0).round(6))
        [     -inf -1.193147 -1.306853]
    """
    x, a, loc, scale = promote_args("gamma.logpdf", x, a, loc, scale)
    inside = x >= loc
    # Outside the support y is 1, so neither the value nor the gradient of the discarded
    # branch is nan.
    y = tnp.where(inside, (x - loc) / scale, 1)
    log_probs = special("xlogy")(a - 1, y) - y - special("gammaln")(a) - tnp.log(scale)
    return tnp.where(inside, log_probs, -np.inf)


def pdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density, ``exp(logpdf)``.

    Examples:
        >>> from trace_ag.scipy.stats import gamma
        >>> print(gamma.pdf(np.array([0.5, 2.0]), 2.0, 0.0, 2.0).round(6))
        [0.09735 0.18394]
    """
    return tnp.exp(logpdf(x, a, loc, scale))


def cdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The CDF, the regularized lower incomplete gamma function ``gammainc(a, y)``.

    Examples:
        >>> from trace_ag.scipy.stats import gamma
        >>> print(gamma.cdf(np.array([-1.0, 1.0, 3.0]), 2.0).round(6))
        [0.       0.264241 0.800852]
    """
    x, a, loc, scale = promote_args("gamma.cdf", x, a, loc, scale)
    return special("gammainc")(a, clamp(0, (x - loc) / scale, np.inf))


def logcdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(cdf(x))``.

    Examples:
        >>> from trace_ag.scipy.stats import gamma
        >>> print(gamma.logcdf(np.array([1.0, 3.0]), 2.0).round(6))
        [-1.330893 -0.222079]
    """
    return tnp.log(cdf(x, a, loc, scale))


def sf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The survival function, the regularized upper incomplete gamma ``gammaincc(a, y)``; 1
    below ``loc``.

    Examples:
        >>> from trace_ag.scipy.stats import gamma
        >>> print(gamma.sf(np.array([-1.0, 1.0, 3.0]), 2.0).round(6))
        [1.       0.735759 0.199148]
    """
    x, a, loc, scale = promote_args("gamma.sf", x, a, loc, scale)
    y = (x - loc) / scale
    return tnp.where(y < 0, 1, special("gammaincc")(a, y))


def logsf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(sf(x))``.

    Examples:
        >>> from trace_ag.scipy.stats import gamma
        >>> print(gamma.logsf(np.array([1.0, 3.0]), 2.0).round(6))
        [-0.306853 -1.613706]
    """
    return tnp.log(sf(x, a, loc, scale))
