"""trace_ag.random's binomial, multinomial, clone and key_dtype against jax.random: the same
keys give the same numbers (both binomial algorithms, invalid and infinite parameters, float32
and float64, shapes), under jit on both backends and vmap over keys."""

import numpy as np
import pytest

import trace_ag as ag
from trace_ag import random as rnd

jax = pytest.importorskip("jax")

# one compiled reference per shape and dtype (eager calls would compile on every call)
jax_binomial = jax.jit(jax.random.binomial, static_argnames=("shape", "dtype"))
jax_multinomial = jax.jit(jax.random.multinomial, static_argnames=("shape", "dtype"))

N = np.array([0.0, 3.0, 10.0, 25.0, 100.0, 1000.0, 5.5, -1.0, np.inf, 50.0, 40.0, 1e4])
P = np.array([0.5, 0.1, 0.9, 0.4, 0.02, 0.7, 0.3, 0.5, 0.2, np.nan, 1.2, 0.999])


def _keys(count):
    return [np.asarray(jax.random.key_data(jax.random.PRNGKey(s))) for s in range(count)]


def _same(ours, theirs):
    theirs = np.asarray(theirs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)  # nan == nan here


@pytest.mark.parametrize("seed", range(3))
def test_binomial_matches_jax_bit_for_bit(seed):
    key = _keys(seed + 1)[seed]
    _same(rnd.binomial(key, N, P), jax_binomial(key, N, P))


@pytest.mark.parametrize(
    "n, p, shape, dtype",
    [
        (20.0, np.array([0.2, 0.7], np.float32), (3, 2), np.float32),
        (np.array([5.0, 80.0]), 0.6, (3, 2), np.float64),
    ],
    ids=["float32", "float64"],
)
def test_binomial_shapes_and_dtypes(n, p, shape, dtype):
    key = _keys(1)[0]
    _same(rnd.binomial(key, n, p, shape, dtype), jax_binomial(key, n, p, shape, dtype=dtype))


def test_binomial_and_multinomial_under_jit_and_vmap():
    keys = np.stack(_keys(2))
    draw = lambda k: rnd.binomial(k, N[:6], P[:6])  # noqa: E731
    # vmap over keys draws what each key draws alone (compiled references, one per shape)
    want = np.stack([jax_binomial(k, N[:6], P[:6]) for k in keys])
    _same(ag.vmap(draw)(keys), want)
    _same(ag.jit(draw)(keys[0]), want[0])
    _same(ag.jit(draw, backend="jax")(keys[1]), want[1])
    probs = np.array([0.1, 0.0, 0.6, 0.3])
    multi = lambda k: rnd.multinomial(k, 25.0, probs, shape=(2, 4))  # noqa: E731
    want = np.stack([jax_multinomial(k, 25.0, probs, shape=(2, 4)) for k in keys])
    _same(ag.vmap(multi)(keys), want)
    _same(ag.jit(multi)(keys[1]), want[1])


def test_multinomial_matches_jax():
    key = _keys(2)[1]
    p = np.array([[0.2, 0.3, 0.5], [0.9, 0.05, 0.05]])
    n = np.array([12.0, 300.0])
    _same(rnd.multinomial(key, n, p), jax_multinomial(key, n, p))
    _same(
        rnd.multinomial(key, 7, p[0], shape=(4, 3), dtype=np.float32),
        jax_multinomial(key, 7, p[0], shape=(4, 3), dtype=np.float32),
    )
    counts = rnd.multinomial(key, n, p)
    np.testing.assert_array_equal(counts.sum(-1), n)


def test_clone_key_dtype_and_bad_input():
    key = _keys(1)[0]
    np.testing.assert_array_equal(rnd.clone(key), jax.random.clone(key))
    _same(rnd.normal(rnd.clone(key), (3,)), jax.random.normal(jax.random.clone(key), (3,)))
    assert rnd.key_dtype() == np.uint32 == jax.random.key_data(jax.random.PRNGKey(0)).dtype
    with pytest.raises(ValueError, match="float dtype"):
        rnd.binomial(key, 3.0, 0.5, dtype=np.int32)
    with pytest.raises((TypeError, ValueError)):
        rnd.binomial(np.zeros(3), 3.0, 0.5)
    with pytest.raises(ValueError):
        rnd.binomial(key, np.ones(3), 0.5, shape=(2,))
