"""The Laplace (double exponential) distribution, ``jax.scipy.stats.laplace``."""

from __future__ import annotations

from typing import Any

from trace_ag import numpy as tnp
from trace_ag.scipy.stats._util import promote_args


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The log density ``-|x - loc| / scale - log(2 * scale)``.

    Examples:
        >>> from trace_ag.scipy.stats import laplace
        >>> print(laplace.logpdf(np.array([0.0, 2.0]), 1.0, 2.0).round(6))
        [-1.886294 -1.886294]
    """
    x, loc, scale = promote_args("laplace.logpdf", x, loc, scale)
    return -(tnp.abs(x - loc) / scale + tnp.log(2 * scale))


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density ``exp(-|x - loc| / scale) / (2 * scale)``.

    Examples:
        >>> from trace_ag.scipy.stats import laplace
        >>> print(laplace.pdf(np.array([0.0, 1.0])).round(6))
        [0.5     0.18394]
    """
    return tnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The CDF: ``exp(z) / 2`` below ``loc``, ``1 - exp(-z) / 2`` above (``z = (x - loc) /
    scale``).

    Examples:
        >>> from trace_ag.scipy.stats import laplace
        >>> print(laplace.cdf(np.array([-1.0, 0.0, 1.0])).round(6))
        [0.18394 0.5     0.81606]
    """
    x, loc, scale = promote_args("laplace.cdf", x, loc, scale)
    z = (x - loc) / scale
    return tnp.where(z <= 0, 0.5 * tnp.exp(z), 1 - 0.5 * tnp.exp(-z))
