"""Student's t distribution with ``df`` degrees of freedom, ``jax.scipy.stats.t``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

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


def _lower_tail(z: Any, df: Any) -> Any:
    """``P(T < -|z|)``, the smaller tail: ``betainc(df / 2, 1 / 2, df / (df + z**2)) / 2``
    far out (its digits kept), ``(1 - betainc(1 / 2, df / 2, z**2 / (df + z**2))) / 2`` for
    ``z**2 < df``, where the first argument would be near 1 (the same function, by the
    symmetry of the incomplete beta function; JAX's kernel loses digits near 1). At ``z = 0``
    the chain rule through ``z**2`` would give ``0 * inf``: there it is the tangent line
    ``1/2 - pdf(0) |z|`` instead (the same value, slope and second derivative, 0)."""
    betainc, gammaln = special("betainc"), special("gammaln")
    at_zero = z == 0
    safe_z = tnp.where(at_zero, 1.0, z)
    squared = safe_z * safe_z
    near = squared < df
    far_tail = 0.5 * betainc(df / 2, 0.5, df / (df + tnp.where(near, df, squared)))
    near_tail = 0.5 - 0.5 * betainc(0.5, df / 2, tnp.where(near, squared, df) / (df + squared))
    tail = tnp.where(near, near_tail, far_tail)
    density_at_0 = tnp.exp(gammaln((df + 1) / 2) - gammaln(df / 2)) / tnp.sqrt(np.pi * df)
    return tnp.where(at_zero, 0.5 - density_at_0 * tnp.abs(z), tail)


def _standardized(fn: str, x: Any, df: Any, loc: Any, scale: Any) -> tuple:
    x, df, loc, scale = promote_args(fn, x, df, loc, scale)
    return (x - loc) / scale, df


def cdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The CDF, from the regularized incomplete beta function, as ``scipy.stats.t.cdf``.
    Differentiable in ``x``, ``loc`` and ``scale``; not in ``df`` (``betainc`` has no
    derivative in its shapes, as in JAX, which has no ``t.cdf``).

    Examples:
        >>> from trace_ag.scipy.stats import t
        >>> print(t.cdf(np.array([-2.0, 0.0, 1.0]), 3.0).round(6))
        [0.069663 0.5      0.804499]
    """
    z, df = _standardized("t.cdf", x, df, loc, scale)
    tail = _lower_tail(z, df)
    return tnp.where(z < 0, tail, 1 - tail)


def sf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The survival function ``1 - cdf``, accurate in the right tail, as ``scipy.stats.t.sf``.

    Examples:
        >>> from trace_ag.scipy.stats import t
        >>> print(f"{float(t.sf(40.0, 3.0)):.13e}")
        1.7190340394579e-05
    """
    z, df = _standardized("t.sf", x, df, loc, scale)
    tail = _lower_tail(z, df)
    return tnp.where(z > 0, tail, 1 - tail)


def logcdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(cdf(x))``, with ``log1p`` where the cdf is near 1.

    Examples:
        >>> from trace_ag.scipy.stats import t
        >>> print(t.logcdf(np.array([-1e3, 1.0]), 3.0).round(6))
        [-20.625546  -0.217536]
    """
    z, df = _standardized("t.logcdf", x, df, loc, scale)
    tail = _lower_tail(z, df)
    return tnp.where(z < 0, tnp.log(tail), tnp.log1p(-tail))


def logsf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(sf(x))``, with ``log1p`` where the survival function is near 1.

    Examples:
        >>> from trace_ag.scipy.stats import t
        >>> print(t.logsf(np.array([-1.0, 1e3]), 3.0).round(6))
        [ -0.217536 -20.625546]
    """
    z, df = _standardized("t.logsf", x, df, loc, scale)
    tail = _lower_tail(z, df)
    return tnp.where(z > 0, tnp.log(tail), tnp.log1p(-tail))
