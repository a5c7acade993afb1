"""The beta distribution with shapes ``a`` and ``b`` on ``[loc, loc + scale]``,
``jax.scipy.stats.beta``."""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.scipy.stats._util import clamp, promote_args, special


def logpdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The log density ``(a-1) log(y) + (b-1) log(1-y) - betaln(a, b) - log(scale)``,
    ``y = (x - loc) / scale``; ``-inf`` outside the support, nan unless ``a, b, scale > 0``.

    Examples:
        >>> from trace_ag.scipy.stats import beta
        >>> print(beta.logpdf(np.array([-0.5, 0.0, 0.25, 1.0]), 2.0, 3.0).round(6))
        [    -inf     -inf 0.523248     -inf]
    """
    x, a, b, loc, scale = promote_args("beta.logpdf", x, a, b, loc, scale)
    y = (x - loc) / scale
    log_linear = special("xlogy")(a - 1, y) + special("xlog1py")(b - 1, -y)
    log_probs = log_linear - special("betaln")(a, b) - tnp.log(scale)
    result = tnp.where((x > loc + scale) | (x < loc), -np.inf, log_probs)
    return tnp.where((a <= 0) | (b <= 0) | (scale <= 0), np.nan, result)


def pdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density, ``exp(logpdf)``.

    Examples:
        >>> from trace_ag.scipy.stats import beta
        >>> print(beta.pdf(np.array([0.25, 0.5]), 2.0, 3.0).round(6))
        [1.6875 1.5   ]
    """
    return tnp.exp(logpdf(x, a, b, loc, scale))


def _unit(x, loc, scale):
    return clamp(0, (x - loc) / scale, 1)


def cdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The CDF, the regularized incomplete beta function ``betainc(a, b, y)`` (0 below the
    support, 1 above). Differentiable in ``x``, ``loc`` and ``scale``, not in ``a`` and ``b``
    (as in JAX).

    Examples:
        >>> from trace_ag.scipy.stats import beta
        >>> print(beta.cdf(np.array([-1.0, 0.25, 0.5, 2.0]), 2.0, 3.0).round(6))
        [0.       0.261719 0.6875   1.      ]
    """
    x, a, b, loc, scale = promote_args("beta.cdf", x, a, b, loc, scale)
    return special("betainc")(a, b, _unit(x, loc, scale))


def logcdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(cdf(x))``.

    Examples:
        >>> from trace_ag.scipy.stats import beta
        >>> print(beta.logcdf(np.array([0.25, 0.5]), 2.0, 3.0).round(6))
        [-1.340485 -0.374693]
    """
    return tnp.log(cdf(x, a, b, loc, scale))


def sf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The survival function ``betainc(b, a, 1 - y)``, accurate where the CDF is near 1.

    Examples:
        >>> from trace_ag.scipy.stats import beta
        >>> print(beta.sf(np.array([0.25, 0.5]), 2.0, 3.0).round(6))
        [0.738281 0.3125  ]
    """
    x, a, b, loc, scale = promote_args("beta.sf", x, a, b, loc, scale)
    return special("betainc")(b, a, 1 - _unit(x, loc, scale))


def logsf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(sf(x))``.

    Examples:
        >>> from trace_ag.scipy.stats import beta
        >>> print(beta.logsf(np.array([0.25, 0.5]), 2.0, 3.0).round(6))
        [-0.30343  -1.163151]
    """
    return tnp.log(sf(x, a, b, loc, scale))
