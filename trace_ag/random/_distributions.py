"""The samplers built on gamma draws and on simple transforms of uniform and normal draws,
with ``jax.random``'s names, signatures, key splits and arithmetic, so the same key gives the
same values (floats to rounding, integers exactly): gamma, loggamma, beta, dirichlet, poisson,
cauchy, t, chisquare, f, pareto, weibull_min, maxwell, double_sided_maxwell, rayleigh, wald,
geometric, generalized_normal, ball, lognormal and triangular.

Each is a composite of trace_ag operations (gamma through the ``random_gamma`` primitive,
poisson through ``while_loop``), so it works under ``jit`` (both backends), ``vmap`` over keys,
``lax.scan``, and ``grad`` in its float parameters where JAX's does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.control_flow import while_loop
from trace_ag.numpy._base import asarray_or_tracer, result_dtype
from trace_ag.random._gamma import random_gamma_p
from trace_ag.random._keys import canonical_shape, check_key, split
from trace_ag.random._samplers import (
    check_shape,
    exponential,
    float_dtype,
    normal,
    rademacher,
    split2,
    uniform,
)
from trace_ag.random._special import lgamma

_ONE_F32 = np.float32(1)  # JAX's default sigma


def shape_of(name: str, shape: Any, *params: Any) -> tuple[int, ...]:
    """``shape``, or the broadcast of the parameters' shapes when it is None (JAX's rule)."""
    shapes = [np.shape(p) for p in params]
    if shape is None:
        return np.broadcast_shapes(*shapes) if shapes else ()
    shape = canonical_shape(name, shape)
    check_shape(name, shape, *shapes)
    return shape


def _check_safe_cast(name: str, dtype: np.dtype, *args: Any) -> None:
    """JAX's refusal to narrow a float array to ``dtype`` (Python scalars are weak: fine)."""
    for arg in args:
        if isinstance(arg, (bool, int, float)):
            continue
        have = np.dtype(asarray_or_tracer(arg).dtype)
        if have.kind in "fc" and have.itemsize > dtype.itemsize:
            raise TypeError(
                f"In arguments to {name}, cannot safely cast argument of type {have} to {dtype}"
            )


def _param(x: Any, dtype: np.dtype, shape: tuple[int, ...] | None = None) -> Any:
    x = tnp.astype(asarray_or_tracer(x), dtype)
    return x if shape is None or tuple(x.shape) == shape else tnp.broadcast_to(x, shape)


# ---------------------------------------------------------------- gamma and its family


def _gamma(name: str, key, a, shape, dtype, log_space: bool):
    key = check_key(name, key)
    dtype = float_dtype(name, dtype)
    shape = np.shape(a) if shape is None else canonical_shape(name, shape)
    check_shape(name, shape, np.shape(a))
    return random_gamma_p.bind(key, _param(a, dtype, shape), log_space=log_space)


def gamma(key: Any, a: Any, shape: Sequence[int] | None = None, dtype: Any = None) -> Any:
    """Gamma(a, 1) floats (Marsaglia-Tsang), differentiable in ``a`` (implicit
    reparameterization, as JAX).

    Examples:
        >>> x = gamma(ag.random.PRNGKey(0), 2.0, (3,))
        >>> x.shape, bool((x > 0).all())
        ((3,), True)
    """
    return _gamma("gamma", key, a, shape, dtype, log_space=False)


def loggamma(key: Any, a: Any, shape: Sequence[int] | None = None, dtype: Any = None) -> Any:
    """``log`` of Gamma(a, 1) floats, computed in log space (accurate for small ``a``).

    Examples:
        >>> loggamma(ag.random.PRNGKey(0), 0.01, (2,)).shape
        (2,)
    """
    return _gamma("loggamma", key, a, shape, dtype, log_space=True)


def beta(key: Any, a: Any, b: Any, shape: Sequence[int] | None = None, dtype: Any = None):
    """Beta(a, b) floats, from two log-gamma draws.

    Examples:
        >>> x = beta(ag.random.PRNGKey(0), 2.0, 3.0, (4,))
        >>> bool(((0 <= x) & (x <= 1)).all())
        True
    """
    key = check_key("beta", key)
    dtype = float_dtype("beta", dtype)
    _check_safe_cast("beta", dtype, a, b)
    shape = shape_of("beta", shape, a, b)
    key_a, key_b = split2(key)
    log_a = loggamma(key_a, _param(a, dtype, shape), shape, dtype)
    log_b = loggamma(key_b, _param(b, dtype, shape), shape, dtype)
    log_max = tnp.maximum(log_a, log_b)  # the ratio without overflow
    scaled_a, scaled_b = tnp.exp(log_a - log_max), tnp.exp(log_b - log_max)
    return scaled_a / (scaled_a + scaled_b)


def dirichlet(key: Any, alpha: Any, shape: Sequence[int] | None = None, dtype: Any = None):
    """Dirichlet(alpha) vectors over the last axis of ``alpha``: normalized log-gamma draws.

    Examples:
        >>> x = dirichlet(ag.random.PRNGKey(0), np.array([1.0, 2.0, 3.0]), (2,))
        >>> x.shape, np.allclose(x.sum(-1), 1)
        ((2, 3), True)
    """
    key = check_key("dirichlet", key)
    dtype = float_dtype("dirichlet", dtype)
    if np.ndim(alpha) < 1:
        raise ValueError(f"dirichlet requires alpha.ndim >= 1, got alpha.ndim == {np.ndim(alpha)}")
    batch = tuple(np.shape(alpha)[:-1])
    shape = batch if shape is None else canonical_shape("dirichlet", shape)
    check_shape("dirichlet", shape, batch)
    alpha = _param(alpha, dtype)
    log_g = loggamma(key, alpha, (*shape, alpha.shape[-1]), dtype)
    unnormalized = tnp.exp(log_g - tnp.stop_gradient(tnp.max(log_g, axis=-1, keepdims=True)))
    return unnormalized / tnp.sum(unnormalized, axis=-1, keepdims=True)


def t(key: Any, df: Any, shape: Sequence[int] | None = None, dtype: Any = None) -> Any:
    """Student's t floats with ``df`` degrees of freedom: ``normal * sqrt(df / 2 / gamma)``.

    Examples:
        >>> t(ag.random.PRNGKey(0), 3.0, (2,)).shape
        (2,)
    """
    key = check_key("t", key)
    dtype = float_dtype("t", dtype)
    _check_safe_cast("t", dtype, df)
    shape = shape_of("t", shape, df)
    key_n, key_g = split2(key)
    n = normal(key_n, shape, dtype)
    half_df = _param(df, dtype) / dtype.type(2)
    return n * tnp.sqrt(half_df / gamma(key_g, half_df, shape, dtype))


def chisquare(key: Any, df: Any, shape: Sequence[int] | None = None, dtype: Any = None) -> Any:
    """Chi-square floats with ``df`` degrees of freedom: twice a Gamma(df / 2) draw.

    Examples:
        >>> chisquare(ag.random.PRNGKey(0), 4.0, (3,)).shape
        (3,)
    """
    key = check_key("chisquare", key)
    dtype = float_dtype("chisquare", dtype)
    _check_safe_cast("chisquare", dtype, df)
    shape = shape_of("chisquare", shape, df)
    half_df = _param(df, dtype) / dtype.type(2)
    return tnp.exp(loggamma(key, half_df, shape, dtype)) * dtype.type(2)


def f(key: Any, dfnum: Any, dfden: Any, shape: Sequence[int] | None = None, dtype: Any = None):
    """F-distribution floats: the ratio of two chi-square draws, each over its ``df``.

    Examples:
        >>> f(ag.random.PRNGKey(0), 5.0, 7.0, (2,)).shape
        (2,)
    """
    key = check_key("f", key)
    dtype = float_dtype("f", dtype)
    _check_safe_cast("f", dtype, dfnum, dfden)
    shape = shape_of("f", shape, dfnum, dfden)
    dfnum, dfden = _param(dfnum, dtype), _param(dfden, dtype)
    key_dfd, key_dfn = split2(key)
    num = chisquare(key_dfn, dfnum, shape, dtype) / dfnum
    return num / (chisquare(key_dfd, dfden, shape, dtype) / dfden)


def generalized_normal(key: Any, p: float, shape: Sequence[int] = (), dtype: Any = None) -> Any:
    """Generalized normal floats with density ``exp(-|x|**p)`` (up to a constant).

    Examples:
        >>> generalized_normal(ag.random.PRNGKey(0), 1.5, (3,)).shape
        (3,)
    """
    key = check_key("generalized_normal", key)
    dtype = float_dtype("generalized_normal", dtype)
    shape = canonical_shape("generalized_normal", shape)
    keys = split(key)
    g = gamma(keys[0], 1 / p, shape, dtype)
    return rademacher(keys[1], shape, dtype) * g ** (1 / p)


def ball(key: Any, d: int, p: float = 2, shape: Sequence[int] = (), dtype: Any = None) -> Any:
    """Points drawn uniformly from the unit ``p``-norm ball in ``d`` dimensions.

    Examples:
        >>> x = ball(ag.random.PRNGKey(0), 3, shape=(5,))
        >>> x.shape, bool((np.linalg.norm(x, axis=-1) <= 1).all())
        ((5, 3), True)
    """
    key = check_key("ball", key)
    dtype = float_dtype("ball", dtype)
    shape = canonical_shape("ball", shape)
    d = int(d)
    k1, k2 = split2(key)
    g = generalized_normal(k1, p, (*shape, d), dtype)
    e = exponential(k2, shape, dtype)
    return g / tnp.expand_dims((tnp.sum(tnp.abs(g) ** p, axis=-1) + e) ** (1 / p), -1)


# ---------------------------------------------------------------- poisson


def _poisson_knuth(key, lam, shape, dtype):
    """Multiply uniforms until the product drops below ``exp(-lam)`` (lam < 10)."""

    def body(carry):
        k, rng, log_prod = carry
        rng, subkey = split2(rng)
        k = tnp.where(log_prod > -lam, k + 1, k)
        return k, rng, log_prod + tnp.log(uniform(subkey, shape, np.float32))

    def cond(carry):
        return tnp.any(carry[2] > -lam)

    init = (tnp.zeros(shape, dtype), key, tnp.zeros(shape, np.float32))
    return tnp.astype(while_loop(cond, body, init)[0] - 1, dtype)


def _poisson_rejection(key, lam, shape, dtype):
    """Hormann's transformed rejection (lam >= 10)."""
    log_lam = tnp.log(lam)
    b = 0.931 + 2.53 * tnp.sqrt(lam)
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)

    def body(carry):
        k_out, accepted, rng = carry
        keys = split(rng, 3)
        u = uniform(keys[1], shape, lam.dtype) - 0.5
        v = uniform(keys[2], shape, lam.dtype)
        u_shifted = 0.5 - tnp.abs(u)
        k = tnp.floor((2 * a / u_shifted + b) * u + lam + 0.43)
        s = tnp.log(v * inv_alpha / (a / (u_shifted * u_shifted) + b))
        t = -lam + k * log_lam - lgamma(k + 1)
        accept1 = (u_shifted >= 0.07) & (v <= v_r)
        reject = (k < 0) | ((u_shifted < 0.013) & (v > u_shifted))
        accept = accept1 | (~reject & (s <= t))
        return tnp.where(accept, k, k_out), accepted | accept, keys[0]

    init = (tnp.full(shape, -1.0, lam.dtype), tnp.zeros(shape, bool), key)
    k = while_loop(lambda carry: tnp.any(~carry[1]), body, init)[0]
    return tnp.astype(k, dtype)


def poisson(key: Any, lam: Any, shape: Sequence[int] | None = None, dtype: Any = None) -> Any:
    """Poisson(lam) integers (``int64`` by default): Knuth's method below ``lam = 10``,
    transformed rejection above, in float32 as JAX computes them.

    Examples:
        >>> poisson(ag.random.PRNGKey(0), np.array([0.5, 3.0, 40.0])).dtype
        dtype('int64')
    """
    key = check_key("poisson", key)
    dtype = np.dtype(np.int64 if dtype is None else dtype)
    if dtype.kind not in "iu":
        raise ValueError(f"dtype argument to `poisson` must be an integer dtype, got {dtype}")
    shape = np.shape(lam) if shape is None else canonical_shape("poisson", shape)
    lam = tnp.astype(tnp.broadcast_to(asarray_or_tracer(lam), shape), np.float32)
    use_knuth = tnp.isnan(lam) | (lam < 10)
    knuth = _poisson_knuth(key, tnp.where(use_knuth, lam, np.float32(0)), shape, dtype)
    rejection = _poisson_rejection(key, tnp.where(use_knuth, np.float32(1e5), lam), shape, dtype)
    result = tnp.where(use_knuth, knuth, rejection)
    return tnp.where(lam == 0, tnp.zeros_like(result), result)


# ---------------------------------------------------------------- transforms of one draw


def cauchy(key: Any, shape: Sequence[int] = (), dtype: Any = None) -> Any:
    """Standard Cauchy floats, ``tan(pi * (u - 1/2))``.

    Examples:
        >>> cauchy(ag.random.PRNGKey(0), (3,)).shape
        (3,)
    """
    key = check_key("cauchy", key)
    dtype = float_dtype("cauchy", dtype)
    u = uniform(key, canonical_shape("cauchy", shape), dtype, np.finfo(dtype).eps, 1.0)
    return tnp.tan(dtype.type(np.pi) * (u - dtype.type(0.5)))


def pareto(key: Any, b: Any, shape: Sequence[int] | None = None, dtype: Any = None) -> Any:
    """Pareto floats with shape parameter ``b``: ``exp(exponential / b)``.

    Examples:
        >>> bool((pareto(ag.random.PRNGKey(0), 2.0, (3,)) >= 1).all())
        True
    """
    key = check_key("pareto", key)
    dtype = float_dtype("pareto", dtype)
    _check_safe_cast("pareto", dtype, b)
    shape = shape_of("pareto", shape, b)
    return tnp.exp(exponential(key, shape, dtype) / _param(b, dtype))


def weibull_min(key: Any, scale: Any, concentration: Any, shape: Sequence[int] = (), dtype=None):
    """Weibull floats, by the inverse CDF.

    Examples:
        >>> weibull_min(ag.random.PRNGKey(0), 1.0, 2.0, (3,)).shape
        (3,)
    """
    key = check_key("weibull_min", key)
    dtype = float_dtype("weibull_min", dtype)
    u = uniform(key, canonical_shape("weibull_min", shape), dtype, 0.0, 1.0)
    if not isinstance(concentration, (int, float)):
        concentration = asarray_or_tracer(concentration)
    return tnp.power(-tnp.log1p(-u), 1.0 / concentration) * scale


def maxwell(key: Any, shape: Sequence[int] = (), dtype: Any = None) -> Any:
    """One-sided Maxwell floats: the norm of three standard normals.

    Examples:
        >>> maxwell(ag.random.PRNGKey(0), (2,)).shape
        (2,)
    """
    key = check_key("maxwell", key)
    dtype = float_dtype("maxwell", dtype)
    z = normal(key, (*canonical_shape("maxwell", shape), 3), dtype)
    return tnp.sqrt(tnp.sum(z * z, axis=-1))


def double_sided_maxwell(
    key: Any, loc: Any, scale: Any, shape: Sequence[int] = (), dtype: Any = None
) -> Any:
    """Double-sided Maxwell floats, ``loc + scale * sign * maxwell``. The parameters' shape
    is appended to ``shape`` (and, when ``shape`` is empty, appended to itself), as JAX does.

    Examples:
        >>> double_sided_maxwell(ag.random.PRNGKey(0), 0.0, 1.0, (3,)).shape
        (3,)
    """
    key = check_key("double_sided_maxwell", key)
    dtype = float_dtype("double_sided_maxwell", dtype)
    params_shape = np.broadcast_shapes(np.shape(loc), np.shape(scale))
    shape = canonical_shape("double_sided_maxwell", shape) or params_shape
    shape = (*shape, *params_shape)
    maxwell_key, sign_key = split2(key)
    rvs = maxwell(maxwell_key, shape, dtype)
    return rademacher(sign_key, shape, dtype) * rvs * scale + loc


def rayleigh(key: Any, scale: Any, shape: Sequence[int] | None = None, dtype: Any = None):
    """Rayleigh floats, ``scale * sqrt(-2 log u)``.

    Examples:
        >>> rayleigh(ag.random.PRNGKey(0), 2.0, (3,)).shape
        (3,)
    """
    key = check_key("rayleigh", key)
    dtype = float_dtype("rayleigh", dtype)
    shape = shape_of("rayleigh", shape, scale)
    u = uniform(key, shape, dtype)
    return _param(scale, dtype, shape) * tnp.sqrt(tnp.log(u) * dtype.type(-2))


def wald(key: Any, mean: Any, shape: Sequence[int] | None = None, dtype: Any = None) -> Any:
    """Wald (inverse Gaussian) floats with the given ``mean`` and unit shape parameter.

    Examples:
        >>> bool((wald(ag.random.PRNGKey(0), 1.5, (4,)) > 0).all())
        True
    """
    key = check_key("wald", key)
    dtype = float_dtype("wald", dtype)
    shape = shape_of("wald", shape, mean)
    k1, k2 = split2(key)
    mean = _param(mean, dtype, shape)
    v, z = normal(k1, shape, dtype), uniform(k2, shape, dtype)
    y = v * v
    mean_sq = mean * mean
    sqrt_term = tnp.sqrt(4 * mean * y + mean_sq * (y * y))
    x = mean + mean_sq * y / 2 - mean / 2 * sqrt_term
    return tnp.where(z <= mean / (mean + x), x, mean_sq / x)


def geometric(key: Any, p: Any, shape: Sequence[int] | None = None, dtype: Any = None) -> Any:
    """Geometric integers (trials up to the first success, ``int64`` by default).

    Examples:
        >>> bool((geometric(ag.random.PRNGKey(0), 0.3, (5,)) >= 1).all())
        True
    """
    key = check_key("geometric", key)
    dtype = np.dtype(np.int64 if dtype is None else dtype)
    if dtype.kind not in "iu":
        raise ValueError(f"dtype argument to `geometric` must be an int dtype, got {dtype}")
    shape = shape_of("geometric", shape, p)
    p_dtype = result_dtype(p) if isinstance(p, float) else np.dtype(asarray_or_tracer(p).dtype)
    p = tnp.astype(asarray_or_tracer(p), p_dtype if p_dtype.kind == "f" else np.float64)
    u = uniform(key, shape, p.dtype)
    u = tnp.where(u == 0, np.dtype(p.dtype).type(1), u)  # JAX's guard against log(0)
    log_one_minus_p = tnp.broadcast_to(tnp.log1p(-p), shape)
    return tnp.astype(tnp.floor(tnp.log(u) / log_one_minus_p) + 1, dtype)


def triangular(
    key: Any,
    left: Any,
    mode: Any,
    right: Any,
    shape: Sequence[int] | None = None,
    dtype: Any = None,
) -> Any:
    """Triangular floats on ``[left, right]`` peaking at ``mode``, by the inverse CDF.

    Examples:
        >>> x = triangular(ag.random.PRNGKey(0), 0.0, 0.3, 1.0, (4,))
        >>> bool(((0 <= x) & (x <= 1)).all())
        True
    """
    key = check_key("triangular", key)
    dtype = float_dtype("triangular", dtype)
    shape = shape_of("triangular", shape, left, mode, right)
    left, right, mode = (_param(v, dtype, shape) for v in (left, right, mode))
    fc = (mode - left) / (right - left)
    u = uniform(key, shape, dtype)
    out1 = left + tnp.sqrt(u * (right - left) * (mode - left))
    out2 = right - tnp.sqrt((1 - u) * (right - left) * (right - mode))
    return tnp.where(u < fc, out1, out2)


def lognormal(
    key: Any, sigma: Any = _ONE_F32, shape: Sequence[int] | None = None, dtype: Any = None
) -> Any:
    """Log-normal floats, ``exp(sigma * normal)``.

    Examples:
        >>> bool((lognormal(ag.random.PRNGKey(0), 0.5, (3,)) > 0).all())
        True
    """
    key = check_key("lognormal", key)
    dtype = float_dtype("lognormal", dtype)
    shape = shape_of("lognormal", shape, sigma)
    return tnp.exp(normal(key, shape, dtype) * _param(sigma, dtype))
