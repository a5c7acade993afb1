"""trace_ag.random against jax.random (the oracle, x64 on): the same keys give the same bits
(exactly) and the same samples (integers and booleans exactly, floats to rounding), eagerly,
under jit (both backends), under vmap over a batch of keys, inside lax.scan and inside grad."""

from __future__ import annotations

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag import random as rnd

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jr = jax.random

SEEDS = [0, 1, 2, 3, 7, 42, 123, 999, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**40 + 3,
         2**63 - 1, -1, -2, -(2**31), -(2**63), 31415926, 271828]  # fmt: skip
FLOATS = [np.float32, np.float64]


def keys_of(seeds=SEEDS) -> np.ndarray:
    return np.stack([np.asarray(jr.PRNGKey(s)) for s in seeds])


KEYS = keys_of()


def assert_same(ours, ref, rtol=0.0, what=""):
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape}, jax's {ref.shape}"
    assert ours.dtype == ref.dtype, f"{what}: dtype {ours.dtype}, jax's {ref.dtype}"
    if rtol == 0.0 or ref.dtype.kind != "f":
        np.testing.assert_array_equal(ours, ref, err_msg=what)
    else:
        np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol, err_msg=what)


def per_key(fn, keys=KEYS) -> np.ndarray:
    """``fn`` applied to each key eagerly, stacked."""
    return np.stack([np.asarray(fn(k)) for k in keys])


# ---------------------------------------------------------------- keys and bits


@pytest.mark.parametrize("seed", SEEDS)
def test_prng_key_and_key_match_jax(seed):
    assert_same(rnd.PRNGKey(seed), jr.PRNGKey(seed))
    assert_same(rnd.key(seed), jr.key_data(jr.key(seed)))


@pytest.mark.parametrize("seed", [np.int32(-5), np.int64(-5), np.uint32(7), np.uint64(2**40)])
def test_prng_key_of_numpy_integer_seeds(seed):
    assert_same(rnd.PRNGKey(seed), jr.PRNGKey(seed), what=repr(seed))


def test_prng_key_of_a_traced_seed_under_vmap_and_jit():
    seeds = np.array([0, 5, -3, 2**40], np.int64)
    assert_same(ag.vmap(rnd.PRNGKey)(seeds), jax.vmap(jr.PRNGKey)(seeds))
    assert_same(ag.jit(rnd.PRNGKey)(np.int64(-3)), jr.PRNGKey(-3))


@pytest.mark.parametrize("num", [2, 3, (2, 3), (1,)], ids=str)
def test_split_matches_jax(num):
    assert_same(per_key(lambda k: rnd.split(k, num)), per_key(lambda k: jr.split(k, num)))


@pytest.mark.parametrize("data", [0, 1, 17, 2**31, 2**32 - 1])
def test_fold_in_matches_jax(data):
    assert_same(per_key(lambda k: rnd.fold_in(k, data)), per_key(lambda k: jr.fold_in(k, data)))


BITS_CASES = [((), np.uint32), ((1,), np.uint32), ((5,), np.uint32), ((2, 3), np.uint32),
              ((4, 1, 3), np.uint64), ((3,), np.uint8), ((7,), np.uint16), ((2, 2), None)]  # fmt: skip  # noqa: E501


SLOW_BITS = {((1,), np.uint32), ((5,), np.uint32), ((7,), np.uint16), ((2, 2), None)}


@pytest.mark.parametrize(
    "shape, dtype",
    [
        pytest.param(
            s,
            d,
            id=f"{s}-{np.dtype(d or np.uint64)}",
            marks=[pytest.mark.slow] if (s, d) in SLOW_BITS else [],
        )  # fmt: skip
        for s, d in BITS_CASES
    ],
)
def test_bits_match_jax(shape, dtype):
    ours = per_key(lambda k: rnd.bits(k, shape, dtype))
    assert_same(ours, jax.vmap(lambda k: jr.bits(k, shape, dtype))(KEYS))


def test_threefry_hash_matches_jax():
    from jax._src.random.threefry2x32 import threefry_2x32

    count = np.arange(7, dtype=np.uint32) * np.uint32(2654435761)
    for k in KEYS[:5]:
        assert_same(rnd.threefry_2x32(k, count), threefry_2x32(k, count))


def test_keys_are_raw_uint32_data():
    k = rnd.key(3)
    assert k.dtype == np.uint32 and k.shape == (2,)
    assert rnd.key_data(k) is k and rnd.wrap_key_data(k) is k
    assert rnd.key_impl(k) == "threefry2x32"


def test_bad_keys_say_what_a_key_is():
    with pytest.raises(TypeError, match="uint32 array of shape"):
        rnd.uniform(np.zeros(2, np.int32))
    with pytest.raises(ValueError, match="Use ag.vmap for batching"):
        rnd.normal(rnd.split(rnd.PRNGKey(0)))
    with pytest.raises(TypeError, match="scalar seed"):
        rnd.PRNGKey(np.arange(2))


# ---------------------------------------------------------------- samplers

P = np.array([0.1, 0.0, 0.3, 0.6])
LOGITS = np.log(np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]))
MEAN = np.array([1.0, -2.0, 0.5])
COV = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]])


def _pair(name, *args, **kwargs):
    """``(trace_ag fn of a key, jax fn of a key)`` for ``random.<name>(key, *args, **kw)``."""
    return (
        lambda k: getattr(rnd, name)(k, *args, **kwargs),
        lambda k: getattr(jr, name)(k, *args, **kwargs),
    )


# id, (ours, jax), float rtol (0: bit-identical)
SAMPLERS = [
    ("uniform[()]", _pair("uniform"), 0.0),
    ("uniform[f32 (2,3)]", _pair("uniform", (2, 3), np.float32), 0.0),
    ("uniform[f64 (7,) -2..3]", _pair("uniform", (7,), np.float64, -2.0, 3.0), 1e-15),
    (
        "uniform[broadcast bounds]",
        _pair("uniform", (2, 3), None, np.zeros(3), np.arange(1, 4.0)),
        1e-15,
    ),  # noqa: E501
    ("normal[()]", _pair("normal"), 1e-13),
    ("normal[f64 (3,4)]", _pair("normal", (3, 4)), 1e-13),
    ("normal[f32 (5,)]", _pair("normal", (5,), np.float32), 2e-6),
    ("randint[(5,) -3..10]", _pair("randint", (5,), -3, 10), 0.0),
    ("randint[int32 (2,3)]", _pair("randint", (2, 3), 0, 1000, np.int32), 0.0),
    ("randint[uint8 0..256]", _pair("randint", (6,), 0, 256, np.uint8), 0.0),
    (
        "randint[int8 array bounds]",
        _pair("randint", (3,), np.array([-100, 0, 5]), 127, np.int8),
        0.0,
    ),  # noqa: E501
    ("randint[full int32 range]", _pair("randint", (4,), -(2**31), 2**31, np.int32), 0.0),
    ("randint[max <= min]", _pair("randint", (3,), 5, 5), 0.0),
    ("bernoulli[0.3 (6,)]", _pair("bernoulli", 0.3, (6,)), 0.0),
    ("bernoulli[p array]", _pair("bernoulli", np.array([0.1, 0.5, 0.9], np.float32)), 0.0),
    ("bernoulli[high]", _pair("bernoulli", 0.5, (4,), "high"), 0.0),
    ("rademacher", _pair("rademacher", (6,)), 0.0),
    ("rademacher[int32]", _pair("rademacher", (3,), np.int32), 0.0),
    ("exponential[f64]", _pair("exponential", (5,)), 1e-13),
    ("exponential[f32]", _pair("exponential", (5,), np.float32), 2e-6),
    ("laplace", _pair("laplace", (5,)), 1e-13),
    ("laplace[f32]", _pair("laplace", (5,), np.float32), 2e-6),
    ("logistic", _pair("logistic", (5,)), 1e-13),
    ("logistic[f32]", _pair("logistic", (5,), np.float32), 2e-6),
    ("gumbel", _pair("gumbel", (5,)), 1e-13),
    ("gumbel[f32]", _pair("gumbel", (5,), np.float32), 2e-6),
    ("gumbel[high]", _pair("gumbel", (4,), mode="high"), 1e-13),
    ("truncated_normal[-1, 2]", _pair("truncated_normal", -1.0, 2.0, (6,)), 1e-12),
    (
        "truncated_normal[arrays]",
        _pair("truncated_normal", np.array([-np.inf, 0.5]), np.array([0.0, np.inf])),
        1e-12,
    ),  # noqa: E501
    ("truncated_normal[f32]", _pair("truncated_normal", -0.5, 1.5, (4,), np.float32), 1e-5),
    ("permutation[int]", _pair("permutation", 10), 0.0),
    ("permutation[array]", _pair("permutation", np.arange(6.0) * 1.5), 0.0),
    ("permutation[2d axis=1]", _pair("permutation", np.arange(12).reshape(3, 4), 1), 0.0),
    ("permutation[independent]", _pair("permutation", np.arange(12).reshape(3, 4), 1, True), 0.0),
    ("permutation[2000: two rounds]", _pair("permutation", 2000), 0.0),
    ("choice[replace]", _pair("choice", 5, (4,)), 0.0),
    ("choice[no replace]", _pair("choice", np.arange(10.0), (3,), False), 0.0),
    ("choice[p replace]", _pair("choice", 4, (6,), True, P), 0.0),
    ("choice[p no replace]", _pair("choice", np.arange(4) * 10, (2,), False, P), 0.0),
    ("choice[2d axis=1]", _pair("choice", np.arange(12.0).reshape(3, 4), (2,), True, None, 1), 0.0),
    ("categorical", _pair("categorical", LOGITS), 0.0),
    ("categorical[axis=0 shape]", _pair("categorical", LOGITS, 0, (5, 3)), 0.0),
    ("categorical[no replace]", _pair("categorical", LOGITS, -1, (2, 2), False), 0.0),
    ("multivariate_normal", _pair("multivariate_normal", MEAN, COV, (4,)), 1e-12),
    ("multivariate_normal[f32]", _pair("multivariate_normal", MEAN, COV, None, np.float32), 2e-5),
    ("orthogonal", _pair("orthogonal", 3), 1e-12),
    ("orthogonal[2x4 batch]", _pair("orthogonal", 2, (2,), None, 4), 1e-12),
]
# The rest of the table runs with --runslow-style selection (-m slow): each new JAX config
# costs a compile (~0.5 s), which is nearly all of this file's time.
SLOW_SAMPLERS = {
    "uniform[f64 (7,) -2..3]", "normal[()]", "randint[int32 (2,3)]", "randint[int8 array bounds]",
    "randint[max <= min]", "bernoulli[p array]", "rademacher[int32]", "exponential[f64]",
    "laplace[f32]", "logistic[f32]", "gumbel[f32]", "gumbel[high]", "truncated_normal[-1, 2]",
    "truncated_normal[f32]", "permutation[int]", "permutation[array]",
    "permutation[2000: two rounds]", "choice[replace]", "choice[2d axis=1]",
    "categorical[axis=0 shape]", "multivariate_normal", "orthogonal[2x4 batch]",
}  # fmt: skip
by_sampler = pytest.mark.parametrize(
    "fns, rtol",
    [
        pytest.param(f, r, id=n, marks=[pytest.mark.slow] if n in SLOW_SAMPLERS else [])
        for n, f, r in SAMPLERS
    ],
)


@by_sampler
def test_sampler_matches_jax(fns, rtol):
    ours, ref = fns
    assert_same(per_key(ours), per_key(ref), rtol)


@by_sampler
def test_sampler_under_vmap_over_keys(fns, rtol):
    ours, ref = fns
    assert_same(ag.vmap(ours)(KEYS[:6]), per_key(ref, KEYS[:6]), rtol)


UNDER_JIT = ["uniform[f32 (2,3)]", "normal[f64 (3,4)]", "randint[(5,) -3..10]", "bernoulli[0.3 (6,)]",  # noqa: E501
             "permutation[2d axis=1]", "choice[p replace]", "categorical",
             "truncated_normal[arrays]"]  # fmt: skip


@pytest.mark.parametrize("name", UNDER_JIT)
def test_sampler_under_jit_numpy_backend(name):
    (ours, ref), rtol = next((f, r) for n, f, r in SAMPLERS if n == name)
    jitted = ag.jit(ours)
    assert_same(per_key(jitted, KEYS[:5]), per_key(ref, KEYS[:5]), rtol)


@pytest.mark.parametrize(
    "name", ["uniform[f32 (2,3)]", "normal[f64 (3,4)]", "randint[(5,) -3..10]"]
)  # noqa: E501
def test_sampler_under_jit_jax_backend(name):
    (ours, ref), rtol = next((f, r) for n, f, r in SAMPLERS if n == name)
    jitted = ag.jit(ours, backend="jax")
    assert_same(per_key(jitted, KEYS[:3]), per_key(ref, KEYS[:3]), rtol)


def test_key_plumbing_under_jit_both_backends():
    def f(k):
        k1, k2 = rnd.split(k)
        return rnd.fold_in(k1, 5), rnd.bits(k2, (3,), np.uint32), rnd.split(k, (2, 2))

    def ref(k):
        k1, k2 = jr.split(k)
        return jr.fold_in(k1, 5), jr.bits(k2, (3,), np.uint32), jr.split(k, (2, 2))

    for backend in ("numpy", "jax"):
        for k in KEYS[:3]:
            for a, b in zip(ag.jit(f, backend=backend)(k), ref(k), strict=True):
                assert_same(a, b, what=backend)


def test_vmap_of_split_and_fold_in_over_keys():
    assert_same(ag.vmap(rnd.split)(KEYS), jax.vmap(jr.split)(KEYS))
    assert_same(
        ag.vmap(lambda k, d: rnd.fold_in(k, d))(KEYS, np.arange(20, dtype=np.uint32)),
        jax.vmap(lambda k, d: jr.fold_in(k, d))(KEYS, np.arange(20, dtype=np.uint32)),
    )


def test_keys_through_scan():
    def step(key, _):
        key, sub = rnd.split(key)
        return key, rnd.normal(sub, (2,))

    def jstep(key, _):
        key, sub = jr.split(key)
        return key, jr.normal(sub, (2,))

    k = rnd.PRNGKey(11)
    last, xs = ag.lax.scan(step, k, None, length=4)
    jlast, jxs = jax.lax.scan(jstep, jr.PRNGKey(11), None, length=4)
    assert_same(last, jlast)
    assert_same(xs, jxs, 1e-13)
    last_j, xs_j = ag.jit(lambda k: ag.lax.scan(step, k, None, length=4))(k)
    assert_same(last_j, jlast)
    assert_same(xs_j, jxs, 1e-13)


# ---------------------------------------------------------------- gradients


def test_grad_through_scaled_samples():
    k = rnd.PRNGKey(5)

    def loss(mu, sigma, key):
        return tnp.sum((mu + sigma * rnd.normal(key, (4,))) ** 2)

    def jloss(mu, sigma, key):
        return jnp.sum((mu + sigma * jr.normal(key, (4,))) ** 2)

    ours = ag.grad(loss, argnums=(0, 1))(0.3, 1.7, k)
    ref = jax.grad(jloss, argnums=(0, 1))(0.3, 1.7, jr.PRNGKey(5))
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    jitted = ag.jit(ag.grad(loss, argnums=(0, 1)))(0.3, 1.7, k)
    np.testing.assert_allclose(jitted, ours, rtol=1e-12)


def test_grad_of_uniform_bounds_and_truncated_normal_bounds():
    k = rnd.PRNGKey(9)

    def ours(lo, hi):
        return tnp.sum(rnd.uniform(k, (5,), minval=lo, maxval=hi) ** 2) + tnp.sum(
            rnd.truncated_normal(k, lo, hi, (5,))
        )

    def ref(lo, hi):
        jk = jr.PRNGKey(9)
        return jnp.sum(jr.uniform(jk, (5,), minval=lo, maxval=hi) ** 2) + jnp.sum(
            jr.truncated_normal(jk, lo, hi, (5,))
        )

    g = ag.grad(ours, argnums=(0, 1))(-0.5, 1.2)
    jg = jax.grad(ref, argnums=(0, 1))(-0.5, 1.2)
    np.testing.assert_allclose(g, jg, rtol=1e-8)


def test_vmap_of_grad_with_per_example_keys():
    def loss(w, key):
        return tnp.sum(w * rnd.uniform(key, (3,)))

    ours = ag.vmap(ag.grad(loss), in_axes=(None, 0))(np.ones(3), KEYS[:4])
    ref = jax.vmap(jax.grad(lambda w, k: jnp.sum(w * jr.uniform(k, (3,)))), in_axes=(None, 0))(
        np.ones(3), KEYS[:4]
    )
    np.testing.assert_array_equal(ours, ref)


def test_special_functions_match_lax():
    from trace_ag.random._special import erf, erf_inv

    x = np.concatenate([np.linspace(-1, 1, 2001), 1 - np.logspace(-16, -1, 50)])
    np.testing.assert_allclose(erf_inv(x), jax.lax.erf_inv(x), rtol=1e-14)
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(erf_inv(x32), jax.lax.erf_inv(x32), rtol=1e-6)
    y = np.linspace(-10, 10, 2001)
    np.testing.assert_allclose(erf(y), jax.scipy.special.erf(y), rtol=1e-15, atol=1e-16)
