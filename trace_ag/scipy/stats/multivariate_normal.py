"""The multivariate normal distribution, ``jax.scipy.stats.multivariate_normal``: ``mean`` of
shape ``(..., n)`` (or a scalar), ``cov`` a scalar variance or ``(..., n, n)`` matrices."""

from __future__ import annotations

import math
from typing import Any

from trace_ag import numpy as tnp
from trace_ag.core import shape_error
from trace_ag.scipy.stats._util import promote_args


def logpdf(x: Any, mean: Any, cov: Any, allow_singular: None = None) -> Any:
    """The log density ``-|L^-1 (x - mean)|^2 / 2 - n log(2 pi) / 2 - sum(log(diag(L)))`` with
    ``L`` the Cholesky factor of ``cov``; batch dimensions broadcast.

    ``allow_singular`` is not supported (as in JAX): anything but ``None`` raises.

    Examples:
        >>> from trace_ag.scipy.stats import multivariate_normal
        >>> cov = np.array([[2.0, 0.5], [0.5, 1.0]])
        >>> print(multivariate_normal.logpdf(np.array([1.0, -1.0]), np.zeros(2), cov).round(6))
        -3.260542
        >>> print(multivariate_normal.logpdf(np.array([0.5, 1.0]), 0.0, 2.0).round(6))
        [-1.328012 -1.515512]
    """
    if allow_singular is not None:
        raise NotImplementedError("multivariate_normal.logpdf: allow_singular is not supported")
    x, mean, cov = promote_args("multivariate_normal.logpdf", x, mean, cov)
    if mean.ndim == 0:
        return -((x - mean) ** 2) / cov / 2 - (math.log(2 * math.pi) + tnp.log(cov)) / 2
    n = mean.shape[-1]
    diff = x - mean
    if cov.ndim == 0:
        squares = tnp.sum(diff * diff, axis=-1)
        return -squares / cov / 2 - n / 2 * (math.log(2 * math.pi) + tnp.log(cov))
    if cov.ndim < 2 or cov.shape[-2:] != (n, n):
        raise shape_error(
            "multivariate_normal.logpdf",
            f"cov must be a scalar or have shape (..., {n}, {n}) for a mean of shape "
            f"{mean.shape}, got {cov.shape}",
        )
    chol = tnp.linalg.cholesky(cov)
    whitened = tnp.linalg.solve(chol, diff[..., None])[..., 0]
    log_det = tnp.sum(tnp.log(tnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    squares = tnp.sum(whitened * whitened, axis=-1)
    return -squares / 2 - n / 2 * math.log(2 * math.pi) - log_det


def pdf(x: Any, mean: Any, cov: Any) -> Any:
    """The density, ``exp(logpdf)``.

    Examples:
        >>> from trace_ag.scipy.stats import multivariate_normal
        >>> print(multivariate_normal.pdf(np.zeros(2), np.zeros(2), np.eye(2)).round(6))
        0.159155
    """
    return tnp.exp(logpdf(x, mean, cov))
