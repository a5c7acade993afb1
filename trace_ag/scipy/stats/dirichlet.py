"""The Dirichlet distribution on the simplex, ``jax.scipy.stats.dirichlet``."""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.core import shape_error
from trace_ag.scipy.stats._util import promote_args, special


def _is_simplex(x: Any) -> Any:
    return tnp.all(x > 0, axis=0) & (tnp.abs(tnp.sum(x, axis=0) - 1) < 1e-6)


def logpdf(x: Any, alpha: Any) -> Any:
    """The log density ``sum((alpha - 1) log(x)) - (sum(lgamma(alpha)) - lgamma(sum(alpha)))``.

    ``alpha`` has shape ``(K,)``; ``x`` has shape ``(K, ...)`` or ``(K - 1, ...)`` (the last
    coordinate is then ``1 - sum(x)``). Points off the simplex (a coordinate ``<= 0``, or a sum
    further than ``1e-6`` from 1) give ``-inf``.

    Examples:
        >>> from trace_ag.scipy.stats import dirichlet
        >>> print(dirichlet.logpdf(np.array([0.2, 0.3, 0.5]), np.array([1.0, 2.0, 3.0])).round(6))
        1.504077
        >>> print(dirichlet.logpdf(np.array([0.2, 0.3]), np.array([1.0, 2.0, 3.0])).round(6))
        1.504077
    """
    x, alpha = promote_args("dirichlet.logpdf", x, alpha)
    if alpha.ndim != 1:
        raise shape_error("dirichlet.logpdf", f"alpha must be 1-dimensional, got {alpha.shape}")
    if x.ndim == 0 or x.shape[0] not in (alpha.shape[0], alpha.shape[0] - 1):
        raise shape_error(
            "dirichlet.logpdf",
            f"x must have as many entries as alpha or one fewer along its first axis, got x of "
            f"shape {x.shape} and alpha of shape {alpha.shape}",
        )
    if x.shape[0] != alpha.shape[0]:
        x = tnp.concatenate([x, 1 - tnp.sum(x, axis=0, keepdims=True)], axis=0)
    gammaln = special("gammaln")
    normalizer = tnp.sum(gammaln(alpha)) - gammaln(tnp.sum(alpha))
    alpha = tnp.reshape(alpha, alpha.shape + (1,) * (x.ndim - 1))
    log_probs = tnp.sum(special("xlogy")(alpha - 1, x), axis=0) - normalizer
    return tnp.where(_is_simplex(x), log_probs, -np.inf)


def pdf(x: Any, alpha: Any) -> Any:
    """The density, ``exp(logpdf)``.

    Examples:
        >>> from trace_ag.scipy.stats import dirichlet
        >>> print(dirichlet.pdf(np.array([0.2, 0.3, 0.5]), np.array([1.0, 2.0, 3.0])).round(6))
        4.5
    """
    return tnp.exp(logpdf(x, alpha))
