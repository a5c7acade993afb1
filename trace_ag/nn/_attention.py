"""``jax.nn.dot_product_attention`` (JAX's "xla" implementation, numbers included: the
softmax runs in float32 for every input dtype, as JAX's does) and ``log1mexp``."""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.core import shape_error
from trace_ag.custom import custom_jvp
from trace_ag.nn._functions import logsumexp, softmax
from trace_ag.numpy._base import asarray_or_tracer, promote_float
from trace_ag.numpy._ufuncs import stop_gradient


@custom_jvp
def log1mexp(x: Any) -> Any:
    """``log(1 - exp(-x))`` for ``x > 0``, accurate for small and large ``x`` (expm1 below
    log 2, log1p above), with JAX's derivative ``1 / expm1(x)``.

    Examples:
        >>> from trace_ag import nn as jnn
        >>> print(jnn.log1mexp(np.array([1e-10, 1.0, 50.0])))
        [-2.30258509e+01 -4.58675145e-01 -1.92874985e-22]
    """
    (x,) = promote_float(x)
    return tnp.where(x < np.log(2.0), tnp.log(-tnp.expm1(-x)), tnp.log1p(-tnp.exp(-x)))


log1mexp.defjvp(lambda p, t: (log1mexp(p[0]), t[0] / tnp.expm1(p[0])))


def _four_d(x: Any) -> Any:
    x = asarray_or_tracer(x)
    return tnp.reshape(x, (1,) * (4 - x.ndim) + tuple(x.shape)) if x.ndim < 4 else x


def _check(t: Any, shape: tuple, dtype: Any, name: str) -> None:
    if t is None:
        return
    ok = t.ndim == len(shape) and all(s in (-1, n) for s, n in zip(shape, t.shape, strict=True))
    if not ok:
        raise shape_error("dot_product_attention", f"{name} has shape {t.shape}, needs {shape}")
    if dtype is not None and np.dtype(t.dtype) != np.dtype(dtype):
        raise ValueError(f"dot_product_attention: {name} dtype should be {dtype}, got {t.dtype}")


def _grouped(t: Any, heads: int, groups: int) -> Any:
    """A (B, N, T, S) bias or mask as (B, K, G, T, S), N = K * G (or N = 1, broadcast)."""
    if t is None:
        return None
    b, n, tq, s = t.shape
    if n == 1:
        return tnp.reshape(t, (b, 1, 1, tq, s))
    if n != heads * groups:
        raise shape_error("dot_product_attention", f"bias/mask has {n} heads, query has "
                          f"{heads * groups}")  # fmt: skip
    return tnp.reshape(t, (b, heads, groups, tq, s))


def _masks(shape: tuple, mask, is_causal, q_len, kv_len, window) -> Any:
    """The combined boolean mask broadcastable to ``shape`` (B, K, G, T, S), or None."""
    t, s = shape[-2], shape[-1]
    rows, cols = np.arange(t)[:, None], np.arange(s)[None, :]
    keep = None if mask is None else mask

    def both(a, b):
        return b if a is None else tnp.logical_and(a, b)

    if is_causal:
        keep = both(keep, rows >= cols)
    if window is not None:
        left, right = window
        keep = both(keep, (rows <= cols + left) & (rows >= cols - right))
    if q_len is not None:
        keep = both(keep, tnp.reshape(np.arange(t)[None, :, None] < q_len[:, None, None],
                                      (-1, 1, 1, t, 1)))  # fmt: skip
    if kv_len is not None:
        keep = both(keep, tnp.reshape(np.arange(s)[None, None, :] < kv_len[:, None, None],
                                      (-1, 1, 1, 1, s)))  # fmt: skip
    return keep


def dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    bias: Any = None,
    mask: Any = None,
    *,
    scale: float | None = None,
    is_causal: bool = False,
    query_seq_lengths: Any = None,
    key_value_seq_lengths: Any = None,
    local_window_size: int | tuple[int, int] | None = None,
    implementation: str | None = None,
    return_residual: bool = False,
) -> Any:
    """Scaled dot-product attention ``softmax(q k^T * scale + bias, masked) v`` over
    ``query`` (B, T, N, H), ``key``/``value`` (B, S, K, H) with N a multiple of K (grouped
    query attention), or the same without B. ``mask`` is boolean (True keeps); ``is_causal``,
    ``local_window_size`` and the sequence lengths add masks, as ``jax.nn``'s. Only the
    "xla" implementation exists here.

    Examples:
        >>> from trace_ag import nn as jnn
        >>> q = k = v = np.ones((1, 2, 1, 4))
        >>> jnn.dot_product_attention(q, k, v, is_causal=True).shape
        (1, 2, 1, 4)
    """
    if implementation not in (None, "xla"):
        raise ValueError(f"dot_product_attention: unsupported implementation {implementation!r}")
    out_shape = tuple(asarray_or_tracer(query).shape)
    q, k, v = _four_d(query), _four_d(key), _four_d(value)
    bias = None if bias is None else _four_d(bias)
    mask = None if mask is None else _four_d(mask)
    q_len = None if query_seq_lengths is None else asarray_or_tracer(query_seq_lengths)
    kv_len = None if key_value_seq_lengths is None else asarray_or_tracer(key_value_seq_lengths)
    b, s, heads, h = k.shape
    _check(v, (b, s, heads, h), k.dtype, "value")
    _check(q, (b, -1, -1, h), k.dtype, "query")
    _check(mask, (-1,) * 4, bool, "mask")
    _check(bias, (-1,) * 4, None, "bias")
    _check(q_len, (b,), np.int32, "query_seq_lengths")
    _check(kv_len, (b,), np.int32, "key_value_seq_lengths")
    t, n = q.shape[1], q.shape[2]
    if n % heads:
        raise ValueError(
            f"dot_product_attention: the {n} query heads must be a multiple of the {heads} "
            "key/value heads"
        )
    groups = n // heads
    window = (local_window_size,) * 2 if isinstance(local_window_size, int) else local_window_size
    scale = 1.0 / np.sqrt(h) if scale is None else scale
    logits_dtype = np.promote_types(np.dtype(q.dtype), np.float32)
    q5 = tnp.reshape(q, (b, t, heads, groups, h))
    logits = tnp.astype(tnp.einsum("btkgh,bskh->bkgts", q5, k), logits_dtype)
    logits = logits * np.asarray(scale, logits_dtype)
    if bias is not None:
        logits = tnp.astype(logits + _grouped(bias, heads, groups), logits_dtype)
    keep = _masks(logits.shape, _grouped(mask, heads, groups), is_causal, q_len, kv_len, window)
    if keep is not None:
        top = min(np.finfo(logits_dtype).max, np.finfo(np.float32).max)
        logits = tnp.where(keep, logits, np.asarray(-0.7 * top, logits_dtype))
    padded = tnp.astype(logits, np.float32)  # JAX computes the softmax in float32 always
    probs = tnp.astype(softmax(padded, axis=-1), k.dtype)
    encoded = tnp.einsum("bkgts,bskh->btkgh", probs, v)
    if q_len is not None:
        encoded = encoded * tnp.astype(
            tnp.reshape(np.arange(t)[None, :] < q_len[:, None], (b, t, 1, 1, 1)), encoded.dtype
        )
    encoded = tnp.reshape(encoded, out_shape)
    if not return_residual:
        return encoded
    lse = tnp.astype(logsumexp(padded, axis=-1), k.dtype)  # (B, K, G, T)
    lse = tnp.reshape(tnp.transpose(lse, (0, 3, 1, 2)), out_shape[:-1])
    return encoded, stop_gradient(lse)
