"""trace_ag.nn against jax.nn (x64): values and first and second derivatives of every
activation (kinks, nan and the tails included), softmax family with axes and masks, one_hot,
standardize, and jax.nn.initializers drawing the same numbers from the same keys; under jit
and vmap too."""

from __future__ import annotations

import numpy as np
import pytest

import trace_ag as ag
from trace_ag import nn as tnn
from trace_ag import random as rnd

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

POINTS = np.array([-40.0, -7.5, -3.0, -1.0, -0.5, -0.0, 0.0, 1e-3, 0.5, 1.0, 2.5, 6.0, 7.0, 30.0])
ELEMENTWISE = [
    "relu", "relu6", "silu", "swish", "sigmoid", "softplus", "soft_sign", "elu", "selu", "celu",
    "leaky_relu", "hard_tanh", "hard_sigmoid", "hard_silu", "hard_swish", "log_sigmoid", "mish",
    "squareplus", "sparse_plus", "sparse_sigmoid", "identity", "tanh",
]  # fmt: skip
GELUS = ["gelu_tanh", "gelu_exact"]


def _pair(name):
    if name.startswith("gelu_"):
        approximate = name == "gelu_tanh"
        return (
            lambda x: tnn.gelu(x, approximate=approximate),
            lambda x: jax.nn.gelu(x, approximate=approximate),
        )
    return getattr(tnn, name), getattr(jax.nn, name)


def close(ours, ref, rtol=1e-12, atol=1e-300):
    np.testing.assert_allclose(np.asarray(ours), np.asarray(ref), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", ELEMENTWISE + GELUS)
def test_elementwise_values_and_derivatives(name):
    ours, ref = _pair(name)
    out = ours(POINTS)
    close(out, ref(POINTS))
    assert np.asarray(out).dtype == np.float64
    close(ag.vmap(ag.grad(ours))(POINTS), jax.vmap(jax.grad(ref))(POINTS), atol=1e-15)
    d2 = ag.vmap(ag.grad(ag.grad(ours)))(POINTS)
    close(d2, jax.vmap(jax.grad(jax.grad(ref)))(POINTS), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["relu", "relu6", "softplus", "gelu_exact", "elu"])
def test_under_jit_and_jvp(name):
    ours, ref = _pair(name)
    x = POINTS[1:-1]
    close(ag.jit(ours)(x), ref(x))
    close(ag.jit(ag.grad(lambda v: ours(v).sum()))(x), jax.grad(lambda v: ref(v).sum())(x))
    ours_t = ag.jvp(ours, (x,), (np.ones_like(x),))[1]
    close(ours_t, jax.jvp(ref, (x,), (jnp.ones_like(x),))[1], atol=1e-15)


def test_relu_kinks_and_nan_as_jax():
    assert np.isnan(tnn.relu(np.nan)) and np.isnan(tnn.relu6(np.nan))
    assert float(ag.grad(tnn.relu)(0.0)) == 0.0 == float(jax.grad(jax.nn.relu)(0.0))
    assert float(ag.grad(tnn.relu6)(6.0)) == 0.0
    assert float(ag.grad(tnn.relu)(np.nan)) == float(jax.grad(jax.nn.relu)(np.nan))
    np.testing.assert_array_equal(tnn.relu(np.array([-2, 0, 3])), [0, 0, 3])  # ints stay ints
    assert tnn.relu(np.array([-2, 3], np.int32)).dtype == np.int32


def test_parameters_and_float32():
    x = POINTS
    close(tnn.elu(x, 0.3), jax.nn.elu(x, 0.3))
    close(tnn.celu(x, 2.0), jax.nn.celu(x, 2.0))
    close(tnn.leaky_relu(x, 0.2), jax.nn.leaky_relu(x, 0.2))
    x32 = x.astype(np.float32)
    for name in ["gelu_tanh", "gelu_exact", "softplus", "silu"]:
        ours, ref = _pair(name)
        assert np.asarray(ours(x32)).dtype == np.float32
        close(ours(x32), ref(x32), rtol=2e-6, atol=1e-30)


AXES = [-1, 0, (0, 2), None]


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp", "standardize"])
def test_reducing_functions(name, axis, rng):
    x = rng.normal(size=(3, 4, 5)) * 3
    ours, ref = getattr(tnn, name), getattr(jax.nn, name)
    close(ours(x, axis=axis), ref(x, axis=axis), atol=1e-14)
    w = rng.normal(size=np.shape(ref(x, axis=axis)))
    g = ag.grad(lambda v: (ours(v, axis=axis) * w).sum())(x)
    close(g, jax.grad(lambda v: (ref(v, axis=axis) * w).sum())(x), rtol=1e-10, atol=1e-13)
    close(ag.jit(lambda v: ours(v, axis=axis))(x), ref(x, axis=axis), atol=1e-14)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_masks_and_infinities(name, rng):
    x = rng.normal(size=(4, 6))
    mask = rng.random((4, 6)) > 0.3
    ours, ref = getattr(tnn, name), getattr(jax.nn, name)
    close(ours(x, axis=-1, where=mask), ref(x, axis=-1, where=mask), atol=1e-14)
    xi = x.copy()
    xi[0, :] = -np.inf
    xi[1, 2] = -np.inf
    with np.errstate(invalid="ignore", divide="ignore"):
        np.testing.assert_allclose(ours(xi, axis=-1), ref(xi, axis=-1), rtol=1e-12)


def test_logsumexp_options(rng):
    a = rng.normal(size=(3, 4))
    b = rng.normal(size=(3, 4))
    for kw in [dict(axis=1, b=b, return_sign=True), dict(axis=0, keepdims=True), dict(b=np.abs(b))]:
        ours, ref = tnn.logsumexp(a, **kw), jax.nn.logsumexp(a, **kw)
        for o, r in zip(
            np.atleast_1d(ours) if not isinstance(ours, tuple) else ours,
            np.atleast_1d(ref) if not isinstance(ref, tuple) else ref,
            strict=True,
        ):
            close(o, r, atol=1e-14)
    g = ag.grad(lambda v: tnn.logsumexp(v, axis=1, b=np.abs(b)).sum())(a)
    close(g, jax.grad(lambda v: jax.nn.logsumexp(v, axis=1, b=np.abs(b)).sum())(a))
    close(tnn.logmeanexp(a, axis=1), jax.nn.logmeanexp(a, axis=1))


def test_standardize_options(rng):
    x = rng.normal(size=(3, 5)) + 2
    for kw in [dict(algorithm="stable"), dict(epsilon=0.1), dict(mean=1.0, variance=2.0)]:
        close(tnn.standardize(x, **kw), jax.nn.standardize(x, **kw), atol=1e-14)
    mask = rng.random((3, 5)) > 0.3
    mask[:, 0] = True
    close(tnn.standardize(x, where=mask), jax.nn.standardize(x, where=mask), atol=1e-14)
    with pytest.raises(ValueError, match="algorithm"):
        tnn.standardize(x, algorithm="slow")


def test_glu(rng):
    x = rng.normal(size=(3, 6))
    close(tnn.glu(x), jax.nn.glu(x))
    close(tnn.glu(x, axis=0 if x.shape[0] % 2 == 0 else -1), jax.nn.glu(x))
    close(ag.grad(lambda v: tnn.glu(v).sum())(x), jax.grad(lambda v: jax.nn.glu(v).sum())(x))
    with pytest.raises(ValueError, match="odd"):
        tnn.glu(x, axis=0)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_one_hot(axis):
    x = np.array([[0, 2, 5], [-1, 1, 4]])
    ours, ref = tnn.one_hot(x, 5, axis=axis), jax.nn.one_hot(x, 5, axis=axis)
    np.testing.assert_array_equal(ours, ref)
    assert ours.dtype == ref.dtype == np.float64
    assert tnn.one_hot(x, 3, dtype=np.int32).dtype == np.int32
    batched = ag.vmap(lambda v: tnn.one_hot(v, 5))(x)
    np.testing.assert_array_equal(batched, jax.nn.one_hot(x, 5))
    np.testing.assert_array_equal(ag.jit(lambda v: tnn.one_hot(v, 5, axis=axis))(x), ref)


INITS = ["glorot_uniform", "glorot_normal", "xavier_uniform", "xavier_normal", "lecun_uniform",
         "lecun_normal", "he_uniform", "he_normal", "kaiming_uniform", "kaiming_normal",
         "orthogonal"]  # fmt: skip


@pytest.mark.parametrize("name", INITS)
def test_initializers_match_jax(name):
    ours, ref = getattr(tnn.initializers, name)(), getattr(jax.nn.initializers, name)()
    for seed, shape in [(0, (4, 3)), (7, (2, 3, 5))]:
        a, b = ours(rnd.PRNGKey(seed), shape), ref(jax.random.PRNGKey(seed), shape)
        assert a.shape == b.shape and np.asarray(a).dtype == np.float64
        close(a, b, rtol=1e-13, atol=1e-15)


def test_parametrized_initializers():
    ti, ji = tnn.initializers, jax.nn.initializers
    key, jkey = rnd.PRNGKey(5), jax.random.PRNGKey(5)
    pairs = [
        (ti.normal(0.5), ji.normal(0.5)),
        (ti.uniform(2.0), ji.uniform(2.0)),
        (ti.constant(3.0), ji.constant(3.0)),
    ] + [
        (getattr(ti, name)(*args, **kw), getattr(ji, name)(*args, **kw))
        for name, args, kw in [
            ("truncated_normal", (1.5,), dict(lower=-1.0, upper=3.0)),
            ("variance_scaling", (0.3, "fan_geo_avg", "normal"), {}),
            ("variance_scaling", (2.0, "fan_out", "uniform"), dict(in_axis=0, out_axis=(1, 2))),
            ("orthogonal", (2.0,), dict(column_axis=0)),
        ]
    ]
    for ours, ref in pairs:
        close(ours(key, (3, 4, 2)), ref(jkey, (3, 4, 2)), rtol=1e-13, atol=1e-15)
        a32, b32 = ours(key, (4, 3, 2), np.float32), ref(jkey, (4, 3, 2), np.float32)
        assert np.asarray(a32).dtype == np.float32
        close(a32, b32, rtol=1e-5, atol=1e-6)
    for f in (ti.zeros, ti.ones):
        np.testing.assert_array_equal(f(key, (2, 3)), getattr(ji, f.__name__)(jkey, (2, 3)))
    with pytest.raises(ValueError, match="mode"):
        ti.variance_scaling(1.0, "fan_sideways", "normal")
    with pytest.raises(ValueError, match="2D"):
        ti.glorot_normal()(key, (3,))


def test_initializer_under_jit_and_vmap():
    init = tnn.initializers.he_normal()
    keys = np.stack([np.asarray(rnd.PRNGKey(i)) for i in range(3)])
    ref = jax.vmap(lambda k: jax.nn.initializers.he_normal()(k, (3, 2)))(jnp.asarray(keys))
    close(ag.vmap(lambda k: init(k, (3, 2)))(keys), ref, rtol=1e-13, atol=1e-15)
    close(ag.jit(lambda k: init(k, (3, 2)))(keys[0]), ref[0], rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------- log1mexp, dot_product_attention


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log1mexp_matches_jax_with_its_derivative(dtype):
    x = np.array([1e-8, 0.1, 0.6931, 0.7, 3.0, 40.0], dtype)
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(tnn.log1mexp(x), jax.nn.log1mexp(x), rtol=rtol)
    got = ag.vmap(ag.grad(tnn.log1mexp))(x)
    want = jax.vmap(jax.grad(jax.nn.log1mexp))(x)
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-13)
    np.testing.assert_allclose(
        ag.jit(tnn.log1mexp, backend="jax")(x), jax.nn.log1mexp(x), rtol=1e-6
    )
    ag.check_grads(tnn.log1mexp, (np.array([0.3, 2.0]),), order=2)


def _attention_inputs(dtype, batch=True, n=4, k=2):
    r = np.random.default_rng(3)
    lead = (2,) if batch else ()
    q = r.normal(size=(*lead, 5, n, 3)).astype(dtype)
    kv = [r.normal(size=(*lead, 6, k, 3)).astype(dtype) for _ in range(2)]
    return q, *kv


ATTENTION_OPTIONS = {
    "plain": {},
    "causal": {"is_causal": True},
    "bias_mask": {"bias": "bias", "mask": "mask", "scale": 0.3},
    "window": {"local_window_size": (1, 2)},
    "lengths": {
        "query_seq_lengths": np.array([3, 5], np.int32),
        "key_value_seq_lengths": np.array([6, 2], np.int32),
    },  # fmt: skip
    "window_int_causal": {"local_window_size": 1, "is_causal": True},
}


def _options(name, q):
    r = np.random.default_rng(5)
    opts = dict(ATTENTION_OPTIONS[name])
    if "bias" in opts:
        opts["bias"] = r.normal(size=(2, 1, 5, 6)).astype(q.dtype)
        opts["mask"] = r.uniform(size=(2, 4, 5, 6)) > 0.3
    return opts


@pytest.mark.parametrize("name", sorted(ATTENTION_OPTIONS))
def test_dot_product_attention_matches_jax(name):
    q, k, v = _attention_inputs(np.float64)
    opts = _options(name, q)
    want = jax.nn.dot_product_attention(q, k, v, **opts)
    got = tnn.dot_product_attention(q, k, v, **opts)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)  # JAX's softmax is float32
    loss = lambda f: lambda q, k, v: (f(q, k, v, **opts) ** 2).sum()  # noqa: E731
    got_g = ag.grad(loss(tnn.dot_product_attention), (0, 1, 2))(q, k, v)
    want_g = jax.grad(loss(jax.nn.dot_product_attention), (0, 1, 2))(q, k, v)
    for a, b in zip(got_g, want_g, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_dot_product_attention_unbatched_jit_float32_and_residual():
    q, k, v = _attention_inputs(np.float32, batch=False, n=2, k=2)
    want = jax.nn.dot_product_attention(q, k, v, is_causal=True)
    for backend in ["numpy", "jax"]:
        got = ag.jit(lambda q, k, v: tnn.dot_product_attention(q, k, v, is_causal=True),
                     backend=backend)(q, k, v)  # fmt: skip
        assert got.dtype == np.float32 and got.shape == q.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    q, k, v = _attention_inputs(np.float64)
    out, lse = tnn.dot_product_attention(q, k, v, return_residual=True)
    want_out, want_lse = jax.nn.dot_product_attention(q, k, v, return_residual=True)
    np.testing.assert_allclose(lse, want_lse, rtol=1e-6)
    batched = ag.vmap(tnn.dot_product_attention)(q, k, v)
    np.testing.assert_allclose(
        batched, jax.vmap(jax.nn.dot_product_attention)(q, k, v), rtol=1e-6, atol=1e-7
    )


def test_dot_product_attention_bad_input():
    q, k, v = _attention_inputs(np.float64, n=3, k=2)
    with pytest.raises(ValueError, match="multiple"):
        tnn.dot_product_attention(q, k, v)
    q, k, v = _attention_inputs(np.float64)
    with pytest.raises(ValueError):
        tnn.dot_product_attention(q, k, v.astype(np.float32))
    with pytest.raises(ValueError):
        tnn.dot_product_attention(q, k, v, mask=np.ones((2, 4, 5, 6)))  # not boolean
    with pytest.raises(ValueError):
        tnn.dot_product_attention(q, k, v, implementation="cudnn")
