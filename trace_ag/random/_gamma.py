"""Gamma sampling as two primitives, JAX's ``random_gamma`` and ``random_gamma_grad``.

``random_gamma(keys, a)`` draws one Gamma(a) value per element of ``a`` with Marsaglia and
Tsang's rejection method, each element from its own key (``keys`` covers ``a``'s leading axes;
each key is split into one key per remaining element), exactly as ``jax.random`` does, so the
same key gives the same sample. Its derivative in ``a`` is JAX's implicit reparameterization:
``dx/da = -(dF/da) / (dF/dx)`` for the gamma CDF ``F``, which ``random_gamma_grad`` computes
with the series and continued fraction of the incomplete gamma function (forward-only, as in
JAX: neither primitive's derivative is differentiable again).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag import numpy as tnp
from trace_ag.core import EVAL, Aval, Primitive, shape_error, use_interpreter
from trace_ag.primitives._transform_rules import to_front
from trace_ag.random._keys import threefry2x32
from trace_ag.random._special import digamma, erf_inv, lgamma

# ---------------------------------------------------------------- bits of many keys at once


def split_keys(keys: np.ndarray, num: int) -> np.ndarray:
    """``split(key, num)`` for every key of ``keys[..., 2]``: shape ``(..., num, 2)``."""
    counts = np.arange(num, dtype=np.uint64)
    hi, lo = (counts >> np.uint64(32)).astype(np.uint32), counts.astype(np.uint32)
    b1, b2 = threefry2x32(keys[..., 0, None], keys[..., 1, None], hi, lo)
    return np.stack([np.asarray(b1), np.asarray(b2)], axis=-1)


def unit_floats(keys: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``uniform(key, (), dtype)`` for every key of ``keys[..., 2]``."""
    nbits = dtype.itemsize * 8
    zero = np.zeros((), np.uint32)
    b1, b2 = (np.asarray(b) for b in threefry2x32(keys[..., 0], keys[..., 1], zero, zero))
    if nbits == 64:
        raw = (b1.astype(np.uint64) << np.uint64(32)) | b2.astype(np.uint64)
        uint = np.uint64
    else:
        raw, uint = b1 ^ b2, np.uint32
    mantissa = raw >> uint(nbits - np.finfo(dtype).nmant)
    one_bits = np.array(1.0, dtype).view(uint)
    return (mantissa | one_bits).view(dtype) - dtype.type(1)


def normal_floats(keys: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``normal(key, (), dtype)`` for every key of ``keys[..., 2]``."""
    lo = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype))
    u = np.maximum(lo, unit_floats(keys, dtype) * (dtype.type(1) - lo) + lo)
    return dtype.type(np.sqrt(2)) * np.asarray(erf_inv(u))


# ---------------------------------------------------------------- Marsaglia-Tsang


def _accepted(X, V, U, d):
    """The negation of JAX's loop condition: where the proposal ``(X, V, U)`` is kept."""
    typed = d.dtype.type
    squeeze = U >= typed(1) - typed(0.0331) * (X * X)
    log_test = np.log(U) >= X * typed(0.5) + d * ((typed(1) - V) + np.log(V))
    return ~(squeeze & log_test)


def _positive_v(keys, c):
    """Normal proposals ``x`` (and ``v = 1 + c x``), redrawn where ``v <= 0``."""
    dtype = c.dtype
    x, v = np.zeros_like(c), np.full_like(c, -1)
    todo = v <= 0
    while todo.any():
        pair = split_keys(keys[todo], 2)
        keys[todo] = pair[:, 0]
        x_new = normal_floats(pair[:, 1], dtype)
        x[todo], v[todo] = x_new, dtype.type(1) + x_new * c[todo]
        todo = v <= 0
    return x, v


def _gamma_one(keys: np.ndarray, alpha: np.ndarray, log_space: bool) -> np.ndarray:
    """JAX's ``_gamma_one`` for a flat batch: element ``i`` uses ``keys[i]`` only."""
    typed = alpha.dtype.type
    boost = alpha >= typed(1)
    boosted = np.where(boost, alpha, alpha + typed(1))
    d = boosted - typed(1.0 / 3.0)
    c = typed(1.0 / 3.0) / np.sqrt(d)
    pair = split_keys(keys, 2)
    key, subkey = pair[:, 0].copy(), pair[:, 1]
    X, V, U = np.zeros_like(alpha), np.ones_like(alpha), np.full_like(alpha, 2)
    todo = ~_accepted(X, V, U, d)
    while todo.any():
        three = split_keys(key[todo], 3)
        key[todo] = three[:, 0]
        x, v = _positive_v(three[:, 1].copy(), c[todo])
        X[todo], V[todo] = x * x, (v * v) * v
        U[todo] = unit_floats(three[:, 2], alpha.dtype)
        todo = ~_accepted(X, V, U, d)
    if log_space:
        log_samples = np.log1p(-unit_floats(subkey, alpha.dtype))  # -exponential(subkey)
        log_boost = np.where(boost | (log_samples == 0), typed(0), log_samples * (typed(1) / alpha))
        return (np.log(d) + np.log(V)) + log_boost
    samples = typed(1) - unit_floats(subkey, alpha.dtype)
    return (d * V) * np.where(boost, typed(1), samples ** (typed(1) / alpha))


def _gamma_impl(keys: np.ndarray, a: np.ndarray, *, log_space: bool) -> np.ndarray:
    a = np.asarray(a)
    lead = keys.ndim - 1
    per_key = math.prod(a.shape[lead:])
    with use_interpreter(EVAL), np.errstate(all="ignore"):
        flat_keys = split_keys(np.asarray(keys).reshape(-1, 2), per_key).reshape(-1, 2)
        out = _gamma_one(flat_keys, a.reshape(-1).copy(), log_space)
    return out.reshape(a.shape).astype(a.dtype, copy=False)


def _gamma_aval(keys: Aval, a: Aval, *, log_space: bool) -> Aval:
    lead = keys.shape[:-1]
    if keys.dtype != np.uint32 or keys.shape[-1:] != (2,) or a.shape[: len(lead)] != lead:
        raise shape_error(
            "random_gamma",
            f"keys must be uint32[..., 2] covering a's leading axes, got keys "
            f"{keys.dtype}{list(keys.shape)} and a {a.dtype}{list(a.shape)}",
        )
    if np.dtype(a.dtype).kind != "f":
        raise shape_error("random_gamma", f"a must be floating, got {a.dtype}")
    return Aval(a.shape, a.dtype)


def gamma_grad(sample: Any, a: Any, log_space: bool) -> Any:
    """``d sample / d a`` (of ``log sample`` when ``log_space``), as JAX's ``_gamma_grad``."""
    if not log_space:
        return random_gamma_grad(a, sample)
    x = tnp.exp(sample)
    tiny = np.finfo(np.dtype(x.dtype)).tiny
    x = tnp.where(x == 0, np.dtype(x.dtype).type(tiny), x)  # exp underflowed
    return random_gamma_grad(a, x) / x


def _gamma_jvp(primals, tangents, *, log_space):
    keys, a = primals
    out = random_gamma_p.bind(keys, a, log_space=log_space)
    da = tangents[1]
    return out, None if da is None else da * gamma_grad(out, a, log_space)


def _gamma_batch(vals, dims, *, size, log_space):
    keys, a = (to_front(v, d, size) for v, d in zip(vals, dims, strict=True))
    return random_gamma_p.bind(keys, a, log_space=log_space), 0


def _gamma_jax(keys, a, *, log_space):
    import jax

    sampler = jax.random.loggamma if log_space else jax.random.gamma

    def one(key, alpha):
        return sampler(key, alpha, dtype=alpha.dtype)

    for _ in range(keys.ndim - 1):
        one = jax.vmap(one)
    return one(keys, a)


random_gamma_p = Primitive(
    "random_gamma",
    impl=_gamma_impl,
    abstract_eval=_gamma_aval,
    vjp=(None, lambda g, out, keys, a, *, log_space: g * gamma_grad(out, a, log_space)),
    jvp=_gamma_jvp,
    batch=_gamma_batch,
    jax=_gamma_jax,
    allocates=True,
)


# ---------------------------------------------------------------- d sample / d a


def _series(x, a, enabled):
    """The series of the lower incomplete gamma function and its derivative in ``a``."""
    typed = a.dtype.type
    eps = np.finfo(a.dtype).eps
    r, c, ans = a.copy(), np.ones_like(a), np.ones_like(a)
    dc_da, dans_da = np.zeros_like(a), np.zeros_like(a)
    while enabled.any():
        e = enabled
        r_new = r[e] + typed(1)
        dc_new = dc_da[e] * (x[e] / r_new) - (c[e] * x[e]) / (r_new * r_new)
        dans_new = dans_da[e] + dc_new
        c_new = c[e] * (x[e] / r_new)
        r[e], dc_da[e], dans_da[e], c[e], ans[e] = r_new, dc_new, dans_new, c_new, ans[e] + c_new
        enabled = enabled.copy()
        enabled[e] = np.abs(dc_new / dans_new) > eps
    dlogax_da = np.log(x) - np.asarray(digamma(a + typed(1)))
    return -(dans_da + ans * dlogax_da) * x / a


def _continued_fraction(x, a, enabled):
    """The continued fraction of the upper incomplete gamma function, with its derivative."""
    typed = a.dtype.type
    eps = np.finfo(a.dtype).eps
    y = typed(1) - a
    z = x + y + typed(1)
    pkm2, qkm2, pkm1, qkm1 = np.ones_like(x), x.copy(), x + typed(1), z * x
    ans = pkm1 / qkm1
    dpkm2, dqkm2, dpkm1, dqkm1 = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x), -x
    dans = (dpkm1 - ans * dqkm1) / qkm1
    state = [ans, y, z, pkm1, qkm1, pkm2, qkm2, dpkm2, dqkm2, dpkm1, dqkm1, dans]
    count = 0
    while count < 2000 and enabled.any():
        count += 1
        e = enabled
        ans, y, z, pkm1, qkm1, pkm2, qkm2, dpkm2, dqkm2, dpkm1, dqkm1, dans = (s[e] for s in state)
        cc = typed(count)
        y, z = y + typed(1), z + typed(2)
        yc = y * cc
        pk, qk = pkm1 * z - pkm2 * yc, qkm1 * z - qkm2 * yc
        nonzero = qk != 0
        ans = np.where(nonzero, pk / qk, ans)
        dpk = dpkm1 * z - pkm1 - dpkm2 * yc + pkm2 * cc
        dqk = dqkm1 * z - qkm1 - dqkm2 * yc + qkm2 * cc
        dans_new = np.where(nonzero, (dpk - ans * dqk) / qk, dans)
        moved = np.where(nonzero, np.abs(dans_new - dans), typed(1))
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        dpkm2, dqkm2, dpkm1, dqkm1 = dpkm1, dqkm1, dpk, dqk
        big = np.abs(pk) > typed(1) / typed(eps)
        scale = np.where(big, typed(eps), typed(1))
        new = [ans, y, z, pkm1 * scale, qkm1 * scale, pkm2 * scale, qkm2 * scale,
               dpkm2 * scale, dqkm2 * scale, dpkm1 * scale, dqkm1 * scale, dans_new]  # fmt: skip
        for s, n in zip(state, new, strict=True):
            s[e] = n
        enabled = enabled.copy()
        enabled[e] = moved > eps
    ans, dans = state[0], state[-1]
    dlogax_da = np.log(x) - np.asarray(digamma(a))
    return -(dans + ans * dlogax_da) * x


def _gamma_grad_impl(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    a, x = np.broadcast_arrays(np.asarray(a), np.asarray(x))
    shape = a.shape
    a, x = a.reshape(-1).copy(), x.reshape(-1).copy()
    typed = a.dtype.type
    with use_interpreter(EVAL), np.errstate(all="ignore"):
        is_nan = np.isnan(a) | np.isnan(x)
        x_is_zero = x == 0
        domain_error = (x < 0) | (a <= 0)
        use_cf = (x > 1) & (x > a)
        ax = a * np.log(x) - x - np.asarray(lgamma(a))
        underflow = ax < -np.log(np.finfo(a.dtype).max)
        enabled = ~(x_is_zero | domain_error | underflow | is_nan)
        cf = _continued_fraction(x, a, enabled & use_cf)
        series = _series(x, a, enabled & ~use_cf)
        out = np.where(use_cf, -cf, series)
    out = np.where(x_is_zero, typed(0), out)
    out = np.where(domain_error | is_nan, typed(np.nan), out)
    return out.reshape(shape).astype(a.dtype, copy=False)


def _not_twice(g, out, a, x):
    raise errors.TraceAgError(
        errors.at_user_line(
            "random_gamma_grad is not reverse-mode differentiable (as in JAX): the derivative "
            "of a gamma sample in `a` cannot be differentiated again"
        )
    )


def _same_aval(a: Aval, x: Aval) -> Aval:
    if a.shape != x.shape or a.dtype != x.dtype or np.dtype(a.dtype).kind != "f":
        raise shape_error(
            "random_gamma_grad",
            f"a and x must be floats of one shape and dtype, got {a.dtype}{list(a.shape)} "
            f"and {x.dtype}{list(x.shape)}",
        )
    return a


def _gamma_grad_jvp(primals, tangents):
    return random_gamma_grad_p.bind(*primals), _not_twice(None, None, *primals)


def _gamma_grad_batch(vals, dims, *, size):
    a, x = (to_front(v, d, size) for v, d in zip(vals, dims, strict=True))
    return random_gamma_grad_p.bind(a, x), 0


random_gamma_grad_p = Primitive(
    "random_gamma_grad",
    impl=_gamma_grad_impl,
    abstract_eval=_same_aval,
    vjp=(_not_twice, _not_twice),
    jvp=_gamma_grad_jvp,
    batch=_gamma_grad_batch,
    jax=lambda a, x: __import__("jax").lax.random_gamma_grad(a, x),
    allocates=True,
)


def random_gamma_grad(a: Any, x: Any) -> Any:
    """``d x / d a`` for a sample ``x`` of Gamma(a, 1) held at a fixed CDF value (implicit
    reparameterization), as ``jax.lax.random_gamma_grad``.

    Examples:
        >>> round(float(random_gamma_grad(np.float64(1.0), np.float64(1.0))), 10)
        1.1735630272
    """
    a, x = tnp.asarray(a), tnp.asarray(x)
    dtype = np.result_type(a.dtype, x.dtype)
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    shape = np.broadcast_shapes(a.shape, x.shape)
    a = tnp.broadcast_to(tnp.astype(a, dtype), shape)
    x = tnp.broadcast_to(tnp.astype(x, dtype), shape)
    return random_gamma_grad_p.bind(a, x)
