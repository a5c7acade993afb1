"""The binomial distribution of ``n`` trials with success probability ``p``,
``jax.scipy.stats.binom``."""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.scipy.stats._util import promote_args, special


def logpmf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    """``log C(n, y) + y log(p) + (n - y) log(1 - p)`` at ``y = k - loc``; ``-inf`` outside
    ``[0, n]``.

    Examples:
        >>> from trace_ag.scipy.stats import binom
        >>> print(binom.logpmf(np.array([-1.0, 0.0, 2.0, 5.0]), 4.0, 0.25).round(6))
        [     -inf -1.150728 -1.556193      -inf]
    """
    k, n, p, loc = promote_args("binom.logpmf", k, n, p, loc)
    gammaln = special("gammaln")
    y = k - loc
    comb = gammaln(n + 1) - (gammaln(y + 1) + gammaln(n - y + 1))
    log_linear = special("xlogy")(y, p) + special("xlog1py")(n - y, -p)
    # Certain outcomes (n = 0, or p at 0 or 1 with y at that end) have probability exactly 1.
    certain = ((y == 0) & (n == 0)) | (log_linear == 0)
    log_probs = tnp.where(certain, 0.0, comb + log_linear)
    return tnp.where((k >= loc) & (k < loc + n + 1), log_probs, -np.inf)


def pmf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    """The probability of ``k`` successes, ``exp(logpmf)``.

    Examples:
        >>> from trace_ag.scipy.stats import binom
        >>> print(binom.pmf(np.array([0, 1, 2]), 2, 0.5).round(6))
        [0.25 0.5  0.25]
    """
    return tnp.exp(logpmf(k, n, p, loc))
