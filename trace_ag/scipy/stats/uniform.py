"""The uniform distribution on ``[loc, loc + scale]``, ``jax.scipy.stats.uniform``."""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.scipy.stats._util import promote_args


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``-log(scale)`` on ``[loc, loc + scale]``, ``-inf`` outside.

    Examples:
        >>> from trace_ag.scipy.stats import uniform
        >>> print(uniform.logpdf(np.array([-1.0, 0.5, 1.0]), 0.0, 2.0).round(6))
        [     -inf -0.693147 -0.693147]
    """
    x, loc, scale = promote_args("uniform.logpdf", x, loc, scale)
    outside = (x > loc + scale) | (x < loc)
    return tnp.where(outside, -np.inf, -tnp.log(scale))


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``1 / scale`` on ``[loc, loc + scale]``, 0 outside.

    Examples:
        >>> from trace_ag.scipy.stats import uniform
        >>> print(uniform.pdf(np.array([-1.0, 0.5]), 0.0, 2.0).round(6))
        [0.  0.5]
    """
    return tnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``(x - loc) / scale`` clipped to ``[0, 1]``.

    Examples:
        >>> from trace_ag.scipy.stats import uniform
        >>> print(uniform.cdf(np.array([-1.0, 0.5, 3.0]), 0.0, 2.0).round(6))
        [0.   0.25 1.  ]
    """
    x, loc, scale = promote_args("uniform.cdf", x, loc, scale)
    zero, one = tnp.zeros_like(x), tnp.ones_like(x)
    inside = (x >= loc) & (x <= loc + scale)
    return tnp.select([x < loc, x > loc + scale, inside], [zero, one, (x - loc) / scale])


def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The quantile function ``loc + scale * q``; nan outside ``[0, 1]``.

    Examples:
        >>> from trace_ag.scipy.stats import uniform
        >>> print(uniform.ppf(np.array([0.0, 0.25, 2.0]), 1.0, 2.0).round(6))
        [1.  1.5 nan]
    """
    q, loc, scale = promote_args("uniform.ppf", q, loc, scale)
    outside = tnp.isnan(q) | (q < 0) | (q > 1)
    return tnp.where(outside, np.nan, loc + scale * q)
