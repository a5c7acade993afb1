"""Binomial and multinomial samples with JAX's algorithms, so the same key gives the same
numbers: geometric-gap inversion where ``n * min(p, 1 - p) <= 10``, Hormann's BTRS rejection
elsewhere (both run and one is selected, as JAX does), and the multinomial as a scan of
binomials over the categories' conditional probabilities. ``clone`` and ``key_dtype`` are
here too (keys are raw ``uint32[2]`` arrays, so both are simple)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.control_flow import while_loop
from trace_ag.numpy._base import asarray_or_tracer
from trace_ag.random._distributions import shape_of
from trace_ag.random._keys import check_key, split
from trace_ag.random._samplers import float_dtype, uniform

# log(k!) - the Stirling approximation of it, for k = 0..9 (larger k use the series)
_STIRLING_TAIL = np.array([0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                           0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                           0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                           0.00833056343336287])  # fmt: skip


def _stirling_tail(k: Any) -> Any:
    small = k <= 9
    k = tnp.clip(k, 0.0, 9.0)
    kp1sq = (k + 1) * (k + 1)
    series = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)
    index = tnp.clip(tnp.astype(tnp.floor(k), np.int32), 0, 9)  # nan/inf k use the series
    table = tnp.take(_STIRLING_TAIL.astype(k.dtype), index)
    return tnp.where(small, table, series)


def _inversion(key: Any, count: Any, prob: Any, shape: tuple) -> Any:
    """Count geometric gaps between successes until they pass ``count``."""
    log1mp = tnp.log1p(-prob)

    def body(carry):
        num_geom, geom_sum, rng = carry
        keys = split(rng)
        num_geom = tnp.where(geom_sum <= count, num_geom + 1, num_geom)
        u = uniform(keys[0], shape, prob.dtype)
        return num_geom, geom_sum + tnp.ceil(tnp.log(u) / log1mp), keys[1]

    zeros = tnp.zeros(shape, prob.dtype)
    num_geom = while_loop(lambda c: tnp.any(c[1] <= count), body, (zeros, zeros, key))[0]
    return num_geom - 1


def _btrs(key: Any, count: Any, prob: Any, shape: tuple) -> Any:
    """Hormann's transformed rejection with squeeze (for ``count * prob > 10``)."""
    stddev = tnp.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = tnp.floor((count + 1) * prob)
    bound_m = (m + 0.5) * tnp.log((m + 1) / (r * (count - m + 1)))
    bound_m = bound_m + _stirling_tail(m) + _stirling_tail(count - m)

    def body(carry):
        k_out, accepted, rng = carry
        keys = split(rng, 3)
        u = uniform(keys[1], shape, prob.dtype) - 0.5
        v = uniform(keys[2], shape, prob.dtype)
        us = 0.5 - tnp.abs(u)
        quick = (us >= 0.07) & (v <= v_r)
        k = tnp.floor((2 * a / us + b) * u + c)
        outside = (k < 0) | (k > count)
        log_v = tnp.log(v * alpha / (a / (us * us) + b))
        bound = (
            bound_m
            + (count + 1) * tnp.log((count - m + 1) / (count - k + 1))
            + (k + 0.5) * tnp.log(r * (count - k + 1) / (k + 1))
            - _stirling_tail(k)
            - _stirling_tail(count - k)
        )
        accept = quick | (~outside & (log_v <= bound))
        return tnp.where(accept, k, k_out), accepted | accept, keys[0]

    init = (tnp.full(shape, -1.0, prob.dtype), tnp.zeros(shape, bool), key)
    return while_loop(lambda c: tnp.any(~c[1]), body, init)[0]


def binomial(key: Any, n: Any, p: Any, shape: Sequence[int] | None = None,
             dtype: Any = None) -> Any:  # fmt: skip
    """Binomial counts of successes in ``n`` trials of probability ``p``, as floats of
    ``dtype``, with JAX's algorithm (the same key gives JAX's numbers). Invalid parameters
    (``n < 0``, ``p`` outside [0, 1], nan) give nan; ``n = inf`` gives inf.

    Examples:
        >>> import trace_ag as ag
        >>> ag.random.binomial(ag.random.PRNGKey(0), 10.0, 0.3, (4,)).shape
        (4,)
    """
    key = check_key("binomial", key)
    dtype = float_dtype("binomial", dtype)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        # both algorithms run everywhere, the unused one on placeholder parameters
        return _binomial(key, n, p, shape, dtype)


def _binomial(key: Any, n: Any, p: Any, shape: Any, dtype: np.dtype) -> Any:
    shape = shape_of("binomial", shape, n, p)
    prob = asarray_or_tracer(p)
    if np.dtype(prob.dtype).kind not in "fc":
        prob = tnp.astype(prob, float_dtype("binomial", None))
    count = tnp.broadcast_to(tnp.astype(asarray_or_tracer(n), prob.dtype), shape)
    prob = tnp.broadcast_to(prob, shape)
    low = prob < 0.5
    q = tnp.where(low, prob, 1.0 - prob)
    bad_count = tnp.isnan(count) | (count < 0.0)
    inf_count = tnp.isinf(count)
    q_nan, q_neg = tnp.isnan(q), q < 0.0
    q = tnp.where(q_nan | q_neg, tnp.full_like(q, 0.01), q)
    inversion = bad_count | (count * q <= 10.0)
    count = tnp.floor(count)
    samples = tnp.where(
        inversion,
        _inversion(key, tnp.where(inversion, count, 0.0), q, shape),
        _btrs(key, tnp.where(inversion, 1e4, count), tnp.where(inversion, 0.5, q), shape),
    )
    samples = tnp.astype(samples, dtype)
    invalid = q_neg | q_nan | bad_count
    samples = tnp.where(invalid, dtype.type(np.nan), samples)
    samples = tnp.where(inf_count & ~invalid, dtype.type(np.inf), samples)
    keep = low | bad_count | q_nan | inf_count
    return tnp.where(keep, samples, tnp.astype(count, dtype) - samples)


def multinomial(key: Any, n: Any, p: Any, *, shape: Sequence[int] | None = None,
                dtype: Any = None, unroll: int | bool = 1) -> Any:  # fmt: skip
    """Counts of each outcome in ``n`` draws with probabilities ``p`` (outcomes along the
    last axis), as JAX's: one binomial per outcome, for the draws the earlier outcomes left.
    The result has shape ``p.shape``, or ``shape + (p.shape[-1],)``.

    Examples:
        >>> import trace_ag as ag
        >>> counts = ag.random.multinomial(ag.random.PRNGKey(0), 20.0, np.array([0.2, 0.3, 0.5]))
        >>> float(counts.sum())
        20.0
    """
    from trace_ag.scan import scan

    key = check_key("multinomial", key)
    n, p = asarray_or_tracer(n), asarray_or_tracer(p)
    inexact = np.result_type(
        *(a.dtype if np.dtype(a.dtype).kind in "fc" else float_dtype("multinomial", None)
          for a in (n, p))
    )  # fmt: skip
    n, p = tnp.astype(n, inexact), tnp.astype(p, inexact)
    shape = tuple(p.shape) if shape is None else tuple(int(s) for s in shape)
    n = tnp.broadcast_to(n, shape[:-1])
    p = tnp.moveaxis(tnp.broadcast_to(p, shape), -1, 0)
    remaining = tnp.flip(tnp.cumsum(tnp.flip(p, 0), axis=0), 0)
    ratios = p / tnp.where(remaining == 0, 1, remaining)

    def step(left, ratio_and_key):
        ratio, k = ratio_and_key
        count = binomial(k, left, tnp.clip(ratio, 0, 1), dtype=left.dtype)
        return left - count, count

    _, counts = scan(step, n, (ratios, split(key, ratios.shape[0])))
    return tnp.astype(tnp.moveaxis(counts, 0, -1), float_dtype("multinomial", dtype))


def clone(key: Any) -> Any:
    """The key itself, as ``jax.random.clone`` outside key-reuse checking.

    Examples:
        >>> import trace_ag as ag
        >>> key = ag.random.PRNGKey(0)
        >>> bool((ag.random.clone(key) == key).all())
        True
    """
    return check_key("clone", key)


def key_dtype(impl_spec: Any = None) -> np.dtype:
    """The dtype of trace_ag's keys: raw ``uint32[2]`` arrays, so ``uint32`` (JAX's typed
    keys from ``jax.random.key`` have a key dtype instead).

    Examples:
        >>> import trace_ag as ag
        >>> ag.random.key_dtype()
        dtype('uint32')
    """
    return np.dtype(np.uint32)
