"""The negative binomial distribution (failures before the ``n``-th success),
``jax.scipy.stats.nbinom``."""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.scipy.stats._util import promote_args, special


def logpmf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    """``lgamma(y + n) - lgamma(n) - lgamma(y + 1) + n log(p) + y log(1 - p)`` at
    ``y = k - loc``; ``-inf`` below ``loc``.

    Examples:
        >>> from trace_ag.scipy.stats import nbinom
        >>> print(nbinom.logpmf(np.array([-1.0, 0.0, 2.0]), 3.0, 0.5).round(6))
        [     -inf -2.079442 -1.673976]
    """
    k, n, p, loc = promote_args("nbinom.logpmf", k, n, p, loc)
    gammaln, xlogy = special("gammaln"), special("xlogy")
    y = k - loc
    comb = gammaln(y + n) - gammaln(n) - gammaln(y + 1)
    log_probs = comb + xlogy(n, p) + xlogy(y, 1 - p)
    return tnp.where(k < loc, -np.inf, log_probs)


def pmf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    """The probability of ``k`` failures, ``exp(logpmf)``.

    Examples:
        >>> from trace_ag.scipy.stats import nbinom
        >>> print(nbinom.pmf(np.array([0, 1, 2]), 3, 0.5).round(6))
        [0.125  0.1875 0.1875]
    """
    return tnp.exp(logpmf(k, n, p, loc))
