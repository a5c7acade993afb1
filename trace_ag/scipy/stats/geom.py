"""The geometric distribution (trials up to the first success, ``k >= 1``),
``jax.scipy.stats.geom``."""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.scipy.stats._util import promote_args, special


def logpmf(k: Any, p: Any, loc: Any = 0) -> Any:
    """``(k - 1) log(1 - p) + log(p)`` at ``k - loc``; ``-inf`` at and below 0.

    Examples:
        >>> from trace_ag.scipy.stats import geom
        >>> print(geom.logpmf(np.array([0.0, 1.0, 3.0]), 0.5).round(6))
        [     -inf -0.693147 -2.079442]
    """
    k, p, loc = promote_args("geom.logpmf", k, p, loc)
    x = k - loc
    log_probs = special("xlog1py")(x - 1, -p) + tnp.log(p)
    return tnp.where(x <= 0, -np.inf, log_probs)


def pmf(k: Any, p: Any, loc: Any = 0) -> Any:
    """The probability that the first success is trial ``k``, ``exp(logpmf)``.

    Examples:
        >>> from trace_ag.scipy.stats import geom
        >>> print(geom.pmf(np.array([1, 2, 3]), 0.5).round(6))
        [0.5   0.25  0.125]
    """
    return tnp.exp(logpmf(k, p, loc))
