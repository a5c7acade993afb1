"""Samplers with ``jax.random``'s names, signatures and algorithms, so the same key gives the
same values (integers and booleans exactly, floats to the last bit or two of rounding).

Default dtypes are those of JAX with ``jax_enable_x64``: ``float64`` and ``int64`` (floats
follow ``config.default_float``, so float32 there as in JAX without x64).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from trace_ag import config
from trace_ag import numpy as tnp
from trace_ag.numpy._base import asarray_or_tracer, result_dtype
from trace_ag.numpy._bits import bitcast_convert_type
from trace_ag.random._keys import UINT, canonical_shape, check_key, random_bits, split
from trace_ag.random._special import cholesky, erf, erf_inv


def float_dtype(name: str, dtype: Any) -> np.dtype:
    dtype = config.default_float_dtype if dtype is None else np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype argument to `{name}` must be a float dtype, got {dtype}")
    return dtype


def check_shape(name: str, shape: tuple[int, ...], *param_shapes) -> None:
    try:
        result = np.broadcast_shapes(shape, *param_shapes)
    except ValueError:
        result = None  # not broadcastable at all
    if result != shape:
        raise ValueError(
            f"{name} parameter shapes must be broadcast-compatible with shape argument, and "
            f"the result of broadcasting the shapes must equal the shape argument, but got "
            f"result {result} for shape argument {shape} (parameter shapes {list(param_shapes)})."
        )


def split2(key: Any) -> tuple[Any, Any]:
    keys = split(key)
    return keys[0], keys[1]


# ---------------------------------------------------------------- uniform and friends


def _uniform(key: Any, shape: tuple, dtype: np.dtype, minval: Any, maxval: Any) -> Any:
    """Random mantissa bits under the exponent of 1.0, minus 1, scaled to [minval, maxval)."""
    minval, maxval = tnp.astype(minval, dtype), tnp.astype(maxval, dtype)
    check_shape("uniform", shape, np.shape(minval), np.shape(maxval))
    finfo = np.finfo(dtype)
    uint = UINT[finfo.bits]
    raw = random_bits(key, finfo.bits, shape)
    mantissa = tnp.right_shift(raw, uint(finfo.bits - finfo.nmant))
    one_bits = np.array(1.0, dtype).view(uint)
    floats = bitcast_convert_type(tnp.bitwise_or(mantissa, one_bits), dtype) - dtype.type(1)
    return tnp.maximum(minval, floats * (maxval - minval) + minval)


def uniform(
    key: Any, shape: Sequence[int] = (), dtype: Any = None, minval: Any = 0.0, maxval: Any = 1.0
) -> Any:
    """Uniform floats in ``[minval, maxval)``.

    Examples:
        >>> x = uniform(ag.random.PRNGKey(0), (3,))
        >>> bool(((0 <= x) & (x < 1)).all())
        True
    """
    key = check_key("uniform", key)
    dtype = float_dtype("uniform", dtype)
    return _uniform(key, canonical_shape("uniform", shape), dtype, minval, maxval)


def normal(key: Any, shape: Sequence[int] = (), dtype: Any = None) -> Any:
    """Standard normal floats: ``sqrt(2) * erf_inv(u)`` for ``u`` uniform in ``(-1, 1)``.

    Examples:
        >>> normal(ag.random.PRNGKey(0), (2, 3)).shape
        (2, 3)
    """
    key = check_key("normal", key)
    dtype = float_dtype("normal", dtype)
    lo = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype), dtype=dtype)
    u = _uniform(key, canonical_shape("normal", shape), dtype, lo, np.array(1.0, dtype))
    return dtype.type(np.sqrt(2)) * erf_inv(u)


def _next_toward(x: Any, up: bool) -> Any:
    """``nextafter(x, +inf)`` (``up``) or ``nextafter(x, -inf)``, on the bits of ``x``."""
    dtype = np.dtype(x.dtype)
    uint = UINT[dtype.itemsize * 8]
    sign = 1 if up else -1
    y = x * dtype.type(sign)  # next_down(x) = -next_up(-x)
    bits = bitcast_convert_type(y, uint)
    stepped = tnp.where(y >= 0, tnp.add(bits, uint(1)), tnp.subtract(bits, uint(1)))
    smallest = dtype.type(np.finfo(dtype).smallest_subnormal)
    out = tnp.where(y == 0, smallest, bitcast_convert_type(stepped, dtype))
    out = tnp.where((y == np.inf) | (y != y), y, out)
    return out * dtype.type(sign)


def truncated_normal(
    key: Any, lower: Any, upper: Any, shape: Sequence[int] | None = None, dtype: Any = None
) -> Any:
    """Standard normal floats conditioned on ``lower < x < upper`` (inverse-CDF sampling).

    Examples:
        >>> x = truncated_normal(ag.random.PRNGKey(0), -1.0, 2.0, (100,))
        >>> bool(((-1 < x) & (x < 2)).all())
        True
    """
    key = check_key("truncated_normal", key)
    dtype = float_dtype("truncated_normal", dtype)
    if shape is None:
        shape = np.broadcast_shapes(np.shape(lower), np.shape(upper))
    shape = canonical_shape("truncated_normal", shape)
    check_shape("truncated_normal", shape, np.shape(lower), np.shape(upper))
    sqrt2 = dtype.type(np.sqrt(2))
    lower, upper = tnp.astype(lower, dtype), tnp.astype(upper, dtype)
    u = _uniform(key, shape, dtype, erf(lower / sqrt2), erf(upper / sqrt2))
    out = sqrt2 * erf_inv(u)
    low = _next_toward(tnp.stop_gradient(lower), up=True)
    high = _next_toward(tnp.stop_gradient(upper), up=False)
    return tnp.minimum(tnp.maximum(out, low), high)


def bernoulli(key: Any, p: Any = 0.5, shape: Sequence[int] | None = None, mode: str = "low"):
    """Booleans that are True with probability ``p`` (``mode="high"`` resolves tiny ``p``).

    Examples:
        >>> bernoulli(ag.random.PRNGKey(0), 0.3, (4,)).dtype
        dtype('bool')
    """
    if mode not in ("high", "low"):
        raise ValueError(f"got mode={mode!r}, expected 'high' or 'low'")
    key = check_key("bernoulli", key)
    dtype = result_dtype(p) if isinstance(p, float) else np.dtype(asarray_or_tracer(p).dtype)
    if dtype.kind != "f":
        raise TypeError(f"bernoulli probability `p` must have a floating dtype, got {dtype}.")
    shape = np.shape(p) if shape is None else canonical_shape("bernoulli", shape)
    check_shape("bernoulli", shape, np.shape(p))
    if mode == "high":
        u = _uniform(key, (2, *shape), dtype, 0.0, 1.0)
        u2 = u[1] * dtype.type(2.0 ** -np.finfo(dtype).nmant)
        return u2 < p - u[0]
    return _uniform(key, shape, dtype, 0.0, 1.0) < p


def rademacher(key: Any, shape: Sequence[int] = (), dtype: Any = None) -> Any:
    """-1 or +1 with equal probability (``int64`` by default)."""
    dtype = np.dtype(np.int64 if dtype is None else dtype)
    b = tnp.astype(bernoulli(key, 0.5, canonical_shape("rademacher", shape)), dtype)
    return tnp.astype(2 * b - 1, dtype)


def exponential(key: Any, shape: Sequence[int] = (), dtype: Any = None) -> Any:
    """Exponential(1) floats, ``-log1p(-u)``."""
    key = check_key("exponential", key)
    dtype = float_dtype("exponential", dtype)
    u = _uniform(key, canonical_shape("exponential", shape), dtype, 0.0, 1.0)
    return -tnp.log1p(-u)


def laplace(key: Any, shape: Sequence[int] = (), dtype: Any = None) -> Any:
    """Laplace(0, 1) floats."""
    key = check_key("laplace", key)
    dtype = float_dtype("laplace", dtype)
    minval = dtype.type(-1.0) + np.finfo(dtype).epsneg
    u = _uniform(key, canonical_shape("laplace", shape), dtype, minval, 1.0)
    return tnp.sign(u) * tnp.log1p(-tnp.abs(u))


def logistic(key: Any, shape: Sequence[int] = (), dtype: Any = None) -> Any:
    """Standard logistic floats, ``log(u) - log1p(-u)``."""
    key = check_key("logistic", key)
    dtype = float_dtype("logistic", dtype)
    x = _uniform(key, canonical_shape("logistic", shape), dtype, np.finfo(dtype).tiny, 1.0)
    return tnp.log(x) - tnp.log1p(-x)


def gumbel(key: Any, shape: Sequence[int] = (), dtype: Any = None, mode: str | None = None):
    """Standard Gumbel floats, ``-log(-log(u))`` (``mode="high"``: two uniforms per value)."""
    key = check_key("gumbel", key)
    dtype = float_dtype("gumbel", dtype)
    shape = canonical_shape("gumbel", shape)
    mode = "low" if mode is None else mode
    if mode not in ("high", "low"):
        raise ValueError(f"gumbel: mode must be 'high' or 'low' ('highest' is JAX-only), {mode!r}")
    info = np.finfo(dtype)
    if mode == "high":
        u = _uniform(key, (2, *shape), dtype, 0.0, 1.0)
        high, low = u[0], u[1]
        x = tnp.where(high >= 0.5, high, high + dtype.type(2.0**-info.nmant) * low + info.tiny)
        return -tnp.log(-tnp.log1p(-x))
    return -tnp.log(-tnp.log(_uniform(key, shape, dtype, info.tiny, 1.0)))


# ---------------------------------------------------------------- integers


def _clip_convert(val: Any, dtype: np.dtype) -> Any:
    """``val`` (integers) in ``dtype``, clipped to its range rather than wrapped."""
    have, want = np.iinfo(val.dtype), np.iinfo(dtype)
    lo = np.array(max(want.min, have.min), val.dtype)
    hi = np.array(min(want.max, have.max), val.dtype)
    return tnp.astype(tnp.minimum(tnp.maximum(val, lo), hi), dtype)


def _rem(x: Any, span: Any) -> Any:
    """``x % span`` for unsigned integers, with XLA's ``x % 0 == x`` (the full-range span)."""
    zero = span == 0
    return tnp.where(zero, x, tnp.remainder(x, tnp.where(zero, span.dtype.type(1), span)))


def _as_int_array(x: Any) -> Any:
    x = asarray_or_tracer(x)
    return x if np.dtype(x.dtype).kind in "iu" else tnp.astype(x, np.int64)


def randint(key: Any, shape: Sequence[int], minval: Any, maxval: Any, dtype: Any = None):
    """Integers in ``[minval, maxval)`` from twice the bits of ``dtype`` reduced modulo the
    span (JAX's algorithm, including its small bias when the span is not a power of two).

    Examples:
        >>> randint(ag.random.PRNGKey(0), (3,), 0, 10).dtype
        dtype('int64')
    """
    key = check_key("randint", key)
    dtype = np.dtype(np.int64 if dtype is None else dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"randint only accepts integer dtypes, got {dtype}")
    shape = canonical_shape("randint", shape)
    minval, maxval = _as_int_array(minval), _as_int_array(maxval)
    sampling = dtype
    info = np.iinfo(dtype)
    if info.bits < 32:  # sampled in 32 bits, as JAX does, to keep the bias small
        sampling = np.dtype(np.int32)
        minval = tnp.clip(tnp.astype(minval, np.int32), int(info.min), int(info.max))
        maxval = tnp.clip(tnp.astype(maxval, np.int32), int(info.min), int(info.max) + 1)
    return tnp.astype(_randint(key, shape, minval, maxval, sampling), dtype)


def _randint(key: Any, shape: tuple, minval: Any, maxval: Any, dtype: np.dtype) -> Any:
    check_shape("randint", shape, np.shape(minval), np.shape(maxval))
    top = _clip_convert(np.array(np.iinfo(dtype).max, dtype), np.dtype(maxval.dtype))
    maxval_out_of_range = maxval > top
    minval, maxval = _clip_convert(minval, dtype), _clip_convert(maxval, dtype)
    nbits = np.iinfo(dtype).bits
    uint = UINT[nbits]
    k1, k2 = split2(key)
    higher, lower = random_bits(k1, nbits, shape), random_bits(k2, nbits, shape)
    span = tnp.astype(tnp.subtract(maxval, minval), uint)  # wraps, as in JAX
    span = tnp.where(maxval <= minval, uint(1), span)
    span = tnp.where(maxval_out_of_range & (maxval > minval), tnp.add(span, uint(1)), span)
    multiplier = _rem(tnp.full_like(span, 2 ** (nbits // 2)), span)
    multiplier = _rem(tnp.multiply(multiplier, multiplier), span)
    offset = tnp.add(tnp.multiply(_rem(higher, span), multiplier), _rem(lower, span))
    offset = _rem(offset, span)  # the wrapping arithmetic is JAX's too
    return minval + tnp.astype(offset, dtype)


# ---------------------------------------------------------------- permutations and choices


def _take_along(x: Any, order: Any, axis: int) -> Any:
    """``numpy.take_along_axis(x, order, axis)`` for ``order`` of ``x``'s shape."""
    index = tuple(
        order if d == axis else np.arange(n).reshape((n,) + (1,) * (x.ndim - d - 1))
        for d, n in enumerate(x.shape)
    )
    return tnp.getitem(x, index)


def _take(x: Any, indices: Any, axis: int) -> Any:
    """``take`` through ``tnp.getitem``, so a NumPy ``x`` may take traced indices; the taken
    axis goes first (a leading index array is what getitem's batching rule handles)."""
    out = tnp.getitem(tnp.moveaxis(x, axis, 0), asarray_or_tracer(indices))
    k = np.ndim(indices)
    return tnp.moveaxis(out, list(range(k)), list(range(axis, axis + k))) if axis else out


def _shuffle(key: Any, x: Any, axis: int) -> Any:
    """Sort by fresh random 32-bit keys, enough rounds that ties are unlikely (JAX's rule)."""
    size = math.prod(x.shape)
    rounds = int(np.ceil(3 * np.log(max(1, size)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        key, subkey = split2(key)
        sort_keys = random_bits(subkey, 32, tuple(x.shape))
        x = _take_along(x, tnp.argsort(sort_keys, axis=axis), axis)
    return x


def permutation(key: Any, x: Any, axis: int = 0, independent: bool = False) -> Any:
    """A random permutation of ``arange(x)`` (an int ``x``) or of ``x`` along ``axis``.

    Examples:
        >>> sorted(permutation(ag.random.PRNGKey(0), 5).tolist())
        [0, 1, 2, 3, 4]
    """
    key = check_key("permutation", key)
    x = asarray_or_tracer(x)
    if not x.ndim:
        if np.dtype(x.dtype).kind not in "iu":
            raise TypeError("x must be an integer or at least 1-dimensional")
        return _shuffle(key, np.arange(int(x)), 0)
    axis = axis % x.ndim
    if independent or x.ndim == 1:
        return _shuffle(key, x, axis)
    order = _shuffle(key, np.arange(x.shape[axis]), 0)
    return _take(x, order, axis)


def _top_k_indices(x: Any, k: int) -> Any:
    """The indices of the ``k`` largest entries of the last axis, largest first (ties: lower
    index first), as ``lax.top_k``."""
    return tnp.argsort(-x, axis=-1)[..., :k]


def choice(
    key: Any,
    a: Any,
    shape: Sequence[int] = (),
    replace: bool = True,
    p: Any = None,
    axis: int = 0,
    mode: str | None = None,
) -> Any:
    """Draws from ``a`` (an array along ``axis``, or ``arange(a)``), with or without
    replacement, uniformly or with probabilities ``p``.

    Examples:
        >>> choice(ag.random.PRNGKey(0), 10, (3,), replace=False).shape
        (3,)
    """
    key = check_key("choice", key)
    shape = canonical_shape("choice", shape)
    arr = asarray_or_tracer(a)
    n_inputs = int(a) if arr.ndim == 0 else arr.shape[axis % arr.ndim]
    axis = axis % arr.ndim if arr.ndim else 0
    n_draws = math.prod(shape)
    if n_draws == 0:
        return np.zeros(shape, arr.dtype)
    if n_inputs <= 0:
        raise ValueError("a must be greater than 0 unless no samples are taken")
    if not replace and n_draws > n_inputs:
        raise ValueError(
            f"Cannot take a larger sample (size {n_draws}) than population (size {n_inputs}) "
            "when 'replace=False'"
        )
    if p is None and replace:
        ind = randint(key, shape, 0, n_inputs)
    elif p is None:
        perm = permutation(key, n_inputs if arr.ndim == 0 else arr, axis)
        result = perm[(slice(None),) * axis + (slice(n_draws),)]
        return _choice_shape(result, arr, shape, axis)
    else:
        p = asarray_or_tracer(p)
        if np.dtype(p.dtype).kind != "f":
            p = tnp.astype(p, np.float64)
        if tuple(p.shape) != (n_inputs,):
            raise ValueError(
                "p must be None or a 1D vector with the same size as a.shape[axis]. "
                f"p has shape {tuple(p.shape)} and a.shape[axis] is {n_inputs}."
            )
        if replace:
            p_cuml = tnp.cumsum(p)
            r = p_cuml[-1] * (1 - uniform(key, shape, dtype=p_cuml.dtype))
            below = tnp.astype(p_cuml < tnp.expand_dims(r, -1), np.int64)
            ind = tnp.sum(below, axis=-1)  # searchsorted(p_cuml, r), side="left"
        else:
            g = gumbel(key, (n_inputs,), dtype=p.dtype, mode=mode) + tnp.log(p)
            ind = _top_k_indices(g, n_draws)
    result = ind if arr.ndim == 0 else _take(arr, ind, axis)
    return _choice_shape(result, arr, shape, axis)


def _choice_shape(result: Any, arr: Any, shape: tuple, axis: int) -> Any:
    if arr.ndim == 0:
        return tnp.reshape(result, shape)
    return tnp.reshape(result, tuple(arr.shape[:axis]) + shape + tuple(arr.shape[axis + 1 :]))


def categorical(
    key: Any,
    logits: Any,
    axis: int = -1,
    shape: Sequence[int] | None = None,
    replace: bool = True,
    mode: str | None = None,
) -> Any:
    """Category indices drawn with probabilities ``softmax(logits, axis)`` (the Gumbel-max
    trick; without replacement, Gumbel top-k).

    Examples:
        >>> categorical(ag.random.PRNGKey(0), np.log(np.array([0.2, 0.8])), shape=(4,)).shape
        (4,)
    """
    key = check_key("categorical", key)
    logits = asarray_or_tracer(logits)
    ndim = logits.ndim
    axis = axis % ndim
    batch_shape = tuple(logits.shape[:axis]) + tuple(logits.shape[axis + 1 :])
    shape = batch_shape if shape is None else canonical_shape("categorical", shape)
    check_shape("categorical", shape, batch_shape)
    prefix = shape[: len(shape) - len(batch_shape)]
    if replace:
        logits_shape = list(shape[len(shape) - len(batch_shape) :])
        logits_shape.insert(axis, logits.shape[axis])
        g = gumbel(key, (*prefix, *logits_shape), logits.dtype, mode=mode)
        expanded = tnp.reshape(logits, (1,) * len(prefix) + tuple(logits.shape))
        return tnp.argmax(g + expanded, axis=axis - ndim)
    noisy = logits + gumbel(key, tuple(logits.shape), logits.dtype, mode=mode)
    k = math.prod(prefix)
    if k > logits.shape[axis]:
        raise ValueError(
            f"Number of samples without replacement ({k}) cannot exceed number of "
            f"categories ({logits.shape[axis]})."
        )
    indices = _top_k_indices(tnp.moveaxis(noisy, axis, -1), k)  # batch_shape + (k,)
    indices = tnp.moveaxis(tnp.astype(indices, np.int32), -1, 0)  # lax.top_k's int32
    return tnp.reshape(indices, shape)


# ---------------------------------------------------------------- multivariate


def multivariate_normal(
    key: Any,
    mean: Any,
    cov: Any,
    shape: Sequence[int] | None = None,
    dtype: Any = None,
    method: str = "cholesky",
) -> Any:
    """Normal vectors with mean ``mean[..., n]`` and covariance ``cov[..., n, n]``:
    ``mean + cholesky(cov) @ z``. Only ``method="cholesky"`` (JAX's default) is supported.

    Examples:
        >>> multivariate_normal(ag.random.PRNGKey(0), np.zeros(2), np.eye(2), (5,)).shape
        (5, 2)
    """
    key = check_key("multivariate_normal", key)
    if method != "cholesky":
        raise NotImplementedError(
            f"multivariate_normal: method={method!r} needs svd/eigh, which trace_ag lacks; "
            "use method='cholesky' (the default) for positive definite covariances"
        )
    mean, cov = asarray_or_tracer(mean), asarray_or_tracer(cov)
    common = result_dtype(mean, cov)
    common = common if common.kind == "f" else np.dtype(np.float64)
    mean, cov = tnp.astype(mean, common), tnp.astype(cov, common)
    dtype = common if dtype is None else float_dtype("multivariate_normal", dtype)
    n = mean.shape[-1]
    if tuple(cov.shape[-2:]) != (n, n):
        raise ValueError(
            f"multivariate_normal requires cov.shape == (..., n, n) for n={n}, "
            f"but got cov.shape == {tuple(cov.shape)}."
        )
    batch = np.broadcast_shapes(tuple(mean.shape[:-1]), tuple(cov.shape[:-2]))
    shape = batch if shape is None else canonical_shape("multivariate_normal", shape)
    check_shape("normal", shape, tuple(mean.shape[:-1]), tuple(cov.shape[:-2]))
    factor = cholesky(cov)
    z = normal(key, (*shape, n), dtype)
    return mean + tnp.matmul(factor, tnp.expand_dims(z, -1))[..., 0]


def orthogonal(key: Any, n: int, shape: Sequence[int] = (), dtype: Any = None, m=None) -> Any:
    """A uniformly random orthogonal ``n x m`` matrix (semi-orthogonal when ``n != m``): the
    Q factor, with a positive diagonal of R, of a normal matrix (Gram-Schmidt here; JAX uses
    Householder QR, which gives the same factor up to rounding).

    Examples:
        >>> q = orthogonal(ag.random.PRNGKey(0), 3)
        >>> bool(np.allclose(q @ q.T, np.eye(3)))
        True
    """
    key = check_key("orthogonal", key)
    dtype = float_dtype("orthogonal", dtype)
    m = n if m is None else int(m)
    shape = canonical_shape("orthogonal", shape)
    z = normal(key, (*shape, max(n, m), min(n, m)), dtype)
    q_columns: list = []
    for j in range(min(n, m)):
        v = z[..., :, j]
        for q in q_columns:  # modified Gram-Schmidt
            v = v - tnp.sum(q * v, axis=-1, keepdims=True) * q
        q_columns.append(v / tnp.sqrt(tnp.sum(v * v, axis=-1, keepdims=True)))
    x = tnp.stack(q_columns, axis=-1)
    return tnp.swapaxes(x, -1, -2) if n < m else x
