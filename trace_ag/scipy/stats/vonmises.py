"""The von Mises distribution on the circle with concentration ``kappa``,
``jax.scipy.stats.vonmises``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.scipy.stats._util import promote_args, special


def logpdf(x: Any, kappa: Any) -> Any:
    """The log density ``kappa (cos(x) - 1) - log(2 pi i0e(kappa))``; nan unless
    ``kappa > 0``. Needs ``trace_ag.scipy.special.i0e``.

    Examples:
        >>> from trace_ag.scipy.stats import vonmises
        >>> print(vonmises.logpdf(np.array([0.0, 1.0]), 2.0).round(6))
        [-0.661871 -1.581266]
    """
    x, kappa = promote_args("vonmises.logpdf", x, kappa)
    value = kappa * (tnp.cos(x) - 1) - tnp.log(2 * math.pi * special("i0e")(kappa))
    return tnp.where(kappa > 0, value, np.nan)


def pdf(x: Any, kappa: Any) -> Any:
    """The density, ``exp(logpdf)``. Needs ``trace_ag.scipy.special.i0e``."""
    return tnp.exp(logpdf(x, kappa))
