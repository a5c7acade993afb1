"""Student's t distribution with ``df`` degrees of freedom, ``jax.scipy.stats.t``."""

from __future__ import annotations

import math
from typing import Any

from trace_ag import numpy as tnp
from trace_ag.scipy.stats._util import promote_args, special


def logpdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The log density ``lgamma((df + 1) / 2) - lgamma(df / 2) - log(pi * df * scale ** 2) / 2
    - (df + 1) / 2 * log1p(z ** 2 / df)``, ``z = (x - loc) / scale``.

    Examples:
        >>> from trace_ag.scipy.stats import t
        >>> print(t.logpdf(np.array([0.0, 1.0]), 3.0).round(6))
        [-1.000889 -1.576253]
    """
    x, df, loc, scale = promote_args("t.logpdf", x, df, loc, scale)
    gammaln = special("gammaln")
    z = (x - loc) / scale
    half_df = df / 2
    half_df_plus_half = half_df + 0.5
    normalizer = (
        gammaln(half_df) + tnp.log(scale * scale * math.pi * df) / 2 - gammaln(half_df_plus_half)
    )
    return -(normalizer + half_df_plus_half * tnp.log1p(z * z / df))


def pdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density, ``exp(logpdf)``.

    Examples:
        >>> from trace_ag.scipy.stats import t
        >>> print(t.pdf(np.array([0.0, 1.0]), 3.0).round(6))
        [0.367553 0.206748]
    """
    return tnp.exp(logpdf(x, df, loc, scale))
