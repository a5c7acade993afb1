"""trace_ag.random's gamma family, poisson and the transformed samplers against jax.random
(the oracle, x64 on): the same keys give the same values (integers exactly, floats to
rounding) eagerly, under vmap over keys, under jit on both backends and inside lax.scan; the
float parameters' gradients equal jax.grad's (gamma's implicit reparameterization included).

JAX compiles each sampler configuration once (the gamma rejection loops take seconds), so
each case's JAX values are computed once, for all keys, and shared by the tests; the cases
beyond one or two per sampler are marked slow.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag import random as rnd

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jr = jax.random

SEEDS = [0, 1, 42, 2**32 + 5, -7]
KEYS = np.stack([np.asarray(jr.PRNGKey(s)) for s in SEEDS])
A = np.array([0.2, 1.0, 3.5])
A32 = A.astype(np.float32)
LAM = np.array([0.0, 0.5, 3.0, 9.9, 10.0, 40.0, 1000.0])
F64, F32 = 1e-12, 2e-5  # float rtols: the same algorithm, rounded by XLA or NumPy

# id, sampler name, args, rtol, slow
CASES = [
    ("gamma[2.0 (3,)]", "gamma", (2.0, (3,)), F64, False),
    ("gamma[a array]", "gamma", (A,), F64, True),
    ("gamma[f32 (2,3)]", "gamma", (A32, (2, 3), np.float32), F32, False),
    ("gamma[tiny a]", "gamma", (np.array([1e-3, 0.05]),), F64, True),
    ("loggamma[0.05 (4,)]", "loggamma", (0.05, (4,)), F64, False),
    ("loggamma[f32]", "loggamma", (A32, None, np.float32), F32, True),
    ("beta[2, 0.5]", "beta", (2.0, 0.5, (3,)), F64, False),
    ("beta[f32 arrays]", "beta", (A32, 1.5, None, np.float32), F32, True),
    ("dirichlet[(2,) x 3]", "dirichlet", (A, (2,)), F64, True),
    ("poisson[all regimes]", "poisson", (LAM,), 0.0, False),
    ("poisson[int32 (5,)]", "poisson", (4.0, (5,), np.int32), 0.0, True),
    ("cauchy", "cauchy", ((4,),), F64, False),
    ("cauchy[f32]", "cauchy", ((4,), np.float32), F32, True),
    ("t[3 (4,)]", "t", (3.0, (4,)), F64, False),
    ("chisquare[df array]", "chisquare", (A,), F64, False),
    ("f[array, 4]", "f", (A, 4.0), F64, True),
    ("pareto", "pareto", (2.0, (3,)), F64, False),
    ("weibull_min", "weibull_min", (1.5, 2.0, (3,)), F64, False),
    ("weibull_min[f32]", "weibull_min", (1.5, 2.0, (3,), np.float32), F32, True),
    ("maxwell", "maxwell", ((3,),), F64, False),
    ("double_sided_maxwell", "double_sided_maxwell", (0.5, 2.0, (3,)), F64, False),
    ("double_sided_maxwell[param shape]", "double_sided_maxwell", (np.zeros(2), 1.0), F64, True),
    ("rayleigh", "rayleigh", (2.0, (3,)), F64, False),
    ("wald[mean array]", "wald", (A,), F64, False),
    ("geometric", "geometric", (0.3, (5,)), 0.0, False),
    ("geometric[f32 p, int32]", "geometric", (np.float32(0.3), (5,), np.int32), 0.0, True),
    ("generalized_normal", "generalized_normal", (1.5, (4,)), F64, True),
    ("ball[d=3 p=2]", "ball", (3, 2, (2,)), F64, True),
    ("ball[f32 p=1.5]", "ball", (2, 1.5, (2,), np.float32), F32, True),
    ("lognormal", "lognormal", (0.5, (3,)), F64, False),
    ("lognormal[defaults]", "lognormal", (), F64, True),
    ("triangular", "triangular", (0.0, 0.3, 1.0, (4,)), F64, False),
]
BY_ID = {c[0]: c for c in CASES}
by_case = pytest.mark.parametrize(
    "case",
    [pytest.param(c[0], id=c[0], marks=[pytest.mark.slow] if c[4] else []) for c in CASES],
)


def ours_of(case: str):
    _, name, args, _, _ = BY_ID[case]
    return lambda k: getattr(rnd, name)(k, *args)


@functools.cache
def jax_values(case: str) -> np.ndarray:
    """JAX's samples for every key (one compile per case)."""
    _, name, args, _, _ = BY_ID[case]
    return np.asarray(jax.jit(jax.vmap(lambda k: getattr(jr, name)(k, *args)))(KEYS))


def assert_same(ours, ref, rtol, what=""):
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape}, jax's {ref.shape}"
    assert ours.dtype == ref.dtype, f"{what}: dtype {ours.dtype}, jax's {ref.dtype}"
    if rtol == 0.0 or ref.dtype.kind != "f":
        np.testing.assert_array_equal(ours, ref, err_msg=what)
    else:
        np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol * 1e-3, err_msg=what)


@by_case
def test_sampler_matches_jax_eagerly(case):
    ours = np.stack([np.asarray(ours_of(case)(k)) for k in KEYS])
    assert_same(ours, jax_values(case), BY_ID[case][3], case)


@by_case
def test_sampler_under_vmap_over_keys(case):
    assert_same(ag.vmap(ours_of(case))(KEYS), jax_values(case), BY_ID[case][3], case)


@by_case
def test_sampler_under_jit_numpy_backend(case):
    jitted = ag.jit(ours_of(case))
    ours = np.stack([np.asarray(jitted(k)) for k in KEYS[:3]])
    assert_same(ours, jax_values(case)[:3], BY_ID[case][3], case)


JAX_BACKEND = ["gamma[f32 (2,3)]", "poisson[all regimes]", "wald[mean array]"]


@pytest.mark.parametrize("case", JAX_BACKEND)
def test_sampler_under_jit_jax_backend(case):
    jitted = ag.jit(ag.vmap(ours_of(case)), backend="jax")
    assert_same(jitted(KEYS), jax_values(case), BY_ID[case][3], case)


def test_gamma_of_batched_keys_and_parameters_under_vmap():
    """vmap over keys and ``a`` together, and over ``a`` alone with one shared key."""
    a = np.array([[0.3, 2.0], [1.0, 5.0], [0.7, 0.9], [3.0, 1.5], [8.0, 0.1]])
    ours = ag.vmap(lambda k, a: rnd.gamma(k, a))(KEYS, a)
    ref = jax.vmap(lambda k, a: jr.gamma(k, a))(KEYS, a)
    assert_same(ours, ref, F64, "keys and a batched")
    ours = ag.vmap(lambda a: rnd.gamma(KEYS[0], a))(a)
    ref = jax.vmap(lambda a: jr.gamma(KEYS[0], a))(a)
    assert_same(ours, ref, F64, "a batched, one key")


def test_samplers_through_scan_match_jax():
    def body(key, lam):
        key, k1, k2 = rnd.split(key, 3)
        return key, (rnd.gamma(k1, lam, (2,)), rnd.poisson(k2, lam, (2,)))

    def jbody(key, lam):
        key, k1, k2 = jr.split(key, 3)
        return key, (jr.gamma(k1, lam, (2,)), jr.poisson(k2, lam, (2,)))

    lams = np.array([0.5, 4.0, 12.0])
    last, (g, p) = ag.lax.scan(body, KEYS[1], lams)
    jlast, (jg, jp) = jax.lax.scan(jbody, KEYS[1], lams)
    assert_same(last, jlast, 0.0)
    assert_same(g, jg, F64)
    assert_same(p, jp, 0.0)
    last_j, (g_j, p_j) = ag.jit(lambda k: ag.lax.scan(body, k, lams))(KEYS[1])
    assert_same(last_j, jlast, 0.0)
    assert_same(g_j, jg, F64)
    assert_same(p_j, jp, 0.0)


# ---------------------------------------------------------------- gradients

PARAMS = {
    "a": np.array([0.4, 1.0, 2.5]),
    "b": 1.7,
    "df": 3.0,
    "scale": 1.3,
    "conc": 2.2,
    "mean": np.array([0.5, 2.0]),
    "sigma": 0.6,
    "mode": 0.35,
    "loc": -0.4,
}


def _loss(r, np_, params, key, everything):
    """A sum over differentiable samplers, each from its own key (``everything``: all of
    them; else gamma, beta, t and the cheap transforms, which compile in a fraction of the
    time)."""
    ks = r.split(key, 12)
    p = params
    terms = [
        r.gamma(ks[0], p["a"]),
        r.beta(ks[2], p["a"], p["b"]),
        r.t(ks[4], p["df"], (3,)),
        r.pareto(ks[7], p["b"], (2,)),
        r.weibull_min(ks[8], p["scale"], p["conc"], (2,)),
        r.rayleigh(ks[9], p["scale"], (2,)) + r.wald(ks[9], p["mean"]).sum(),
        r.lognormal(ks[10], p["sigma"], (2,)) + r.triangular(ks[10], 0.0, p["mode"], 1.0, (2,)),
        r.double_sided_maxwell(ks[11], p["loc"], p["scale"], (2,)),
    ]
    if everything:
        terms += [
            r.loggamma(ks[1], p["a"]),
            r.dirichlet(ks[3], p["a"]),
            r.chisquare(ks[5], p["a"]),
            r.f(ks[6], p["a"], p["df"]),
        ]
    return sum(np_.sum(np_.sin(t)) for t in terms)


@functools.cache
def jax_grads(everything: bool) -> dict:
    return jax.jit(jax.grad(lambda p, k: _loss(jr, jnp, p, k, everything)))(PARAMS, KEYS[2])


@pytest.mark.parametrize(
    "how, everything",
    [
        ("eager", False),
        ("jit numpy", False),
        pytest.param("jit jax", False, marks=pytest.mark.slow),
        pytest.param("eager", True, marks=pytest.mark.slow),
    ],
)
def test_grads_in_float_parameters_match_jax(how, everything):
    grad = ag.grad(lambda p, k: _loss(rnd, tnp, p, k, everything))
    if how != "eager":
        grad = ag.jit(grad, backend=how.split()[1])
    ours, ref = grad(PARAMS, KEYS[2]), jax_grads(everything)
    for name in PARAMS:
        np.testing.assert_allclose(ours[name], ref[name], rtol=1e-9, err_msg=name)


@pytest.mark.parametrize(
    "dtype", [np.float64, pytest.param(np.float32, marks=pytest.mark.slow)], ids=["f64", "f32"]
)
def test_gamma_jvp_and_vjp_match_jax(dtype):
    a = np.array([0.3, 1.0, 4.0, 20.0], dtype)
    t = np.array([1.0, -0.5, 2.0, 0.3], dtype)
    out, tangent = ag.jvp(lambda a: rnd.loggamma(KEYS[3], a, dtype=dtype), (a,), (t,))
    jout, jtangent = jax.jvp(lambda a: jr.loggamma(KEYS[3], a, dtype=dtype), (a,), (t,))
    rtol = F64 if dtype == np.float64 else F32
    assert_same(out, jout, rtol)
    assert_same(tangent, jtangent, rtol * 100)
    g = ag.grad(lambda a: tnp.sum(rnd.gamma(KEYS[3], a, dtype=dtype) ** 2))(a)
    jg = jax.grad(lambda a: jnp.sum(jr.gamma(KEYS[3], a, dtype=dtype) ** 2))(a)
    assert_same(g, jg, rtol * 100)


def test_gamma_grad_matches_lax_over_a_grid():
    a = np.repeat(np.array([0.05, 0.5, 1.0, 3.0, 30.0]), 5)
    x = a * np.tile(np.array([0.01, 0.3, 1.0, 3.0, 10.0]), 5)
    ref = np.asarray(jax.lax.random_gamma_grad(a, x))
    np.testing.assert_allclose(rnd.random_gamma_grad(a, x), ref, rtol=1e-10)
    ref32 = np.asarray(jax.lax.random_gamma_grad(a.astype(np.float32), x.astype(np.float32)))
    ours32 = rnd.random_gamma_grad(a.astype(np.float32), x.astype(np.float32))
    assert ours32.dtype == np.float32
    np.testing.assert_allclose(ours32, ref32, rtol=1e-4)


def test_gamma_second_derivative_says_it_is_unsupported():
    def d_sample(a):
        return ag.grad(lambda a: rnd.gamma(KEYS[0], a))(a)

    assert np.isfinite(d_sample(2.0))
    with pytest.raises(ag.TraceAgError, match="random_gamma_grad is not reverse-mode"):
        ag.grad(d_sample)(2.0)


# ---------------------------------------------------------------- moments and errors


def test_moments_of_large_samples():
    key = rnd.PRNGKey(2024)
    k = rnd.split(key, 4)
    g = rnd.gamma(k[0], 2.5, (20000,))
    assert abs(g.mean() - 2.5) < 0.05 and abs(g.var() - 2.5) < 0.15
    p = rnd.poisson(k[1], np.array([3.0, 50.0]), (20000, 2))
    np.testing.assert_allclose(p.mean(0), [3.0, 50.0], rtol=0.02)
    np.testing.assert_allclose(p.var(0), [3.0, 50.0], rtol=0.06)
    b = rnd.beta(k[2], 2.0, 5.0, (20000,))
    assert abs(b.mean() - 2 / 7) < 0.01
    d = rnd.dirichlet(k[3], np.array([1.0, 2.0, 7.0]), (20000,))
    np.testing.assert_allclose(d.mean(0), [0.1, 0.2, 0.7], atol=0.01)


def test_bad_arguments_raise_clear_errors():
    key = rnd.PRNGKey(0)
    with pytest.raises(ValueError, match="dtype argument to `gamma` must be a float"):
        rnd.gamma(key, 1.0, (2,), np.int32)
    with pytest.raises(ValueError, match="dirichlet requires alpha.ndim >= 1"):
        rnd.dirichlet(key, 1.0)
    with pytest.raises(ValueError, match="`poisson` must be an integer dtype"):
        rnd.poisson(key, 1.0, (2,), np.float32)
    with pytest.raises(TypeError, match="cannot safely cast argument of type float64"):
        rnd.beta(key, np.ones(2), 1.0, None, np.float32)
    with pytest.raises(ValueError, match="broadcast-compatible with shape argument"):
        rnd.gamma(key, np.ones(3), (2,))
    with pytest.raises(ValueError, match="Use ag.vmap for batching"):
        rnd.gamma(KEYS, 1.0)
