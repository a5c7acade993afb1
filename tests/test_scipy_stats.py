"""``trace_ag.scipy.stats`` against ``scipy.stats`` (values) and ``jax.scipy.stats`` (values and
``jax.grad`` in ``x`` and in every parameter), in float64 and float32, under vmap and jit, and
at the boundary points (outside the support, the ends of beta's interval, non-integer counts).

Every array is drawn with shape (5,) (JAX compiles each operation once per shape, so one shape
keeps the test fast); the table gives each argument a domain.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag.scipy import special as tsp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jstats = pytest.importorskip("jax.scipy.stats")
sstats = pytest.importorskip("scipy.stats")

N = 5
DOMAINS = {
    "real": lambda rng: rng.normal(size=N),
    "small": lambda rng: rng.uniform(-0.3, 0.3, size=N),
    "positive": lambda rng: rng.uniform(0.5, 3.0, size=N),
    "above1": lambda rng: rng.uniform(1.2, 4.0, size=N),
    "unit": lambda rng: rng.uniform(0.05, 0.95, size=N),
    "count": lambda rng: rng.integers(0, 6, size=N).astype(float),
    "trials": lambda rng: rng.integers(1, 6, size=N).astype(float),
    "n": lambda rng: rng.integers(5, 9, size=N).astype(float),
    "binary": lambda rng: np.array([0.0, 1.0, 1.0, 0.0, 1.0]),
    "below": lambda rng: rng.uniform(-2.0, -0.5, size=N),
    "above": lambda rng: rng.uniform(0.5, 2.0, size=N),
}

LOC_SCALE = ("real", "real", "positive")
Q_LOC_SCALE = ("unit", "real", "positive")
# Required special functions per family (the cdfs through incomplete gamma functions).
GAMMAINC = ("gammainc", "gammaincc")


def _rows():
    """(distribution, method, argument domains, differentiable argnums, special functions)."""
    rows = []
    for method in ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]:
        rows.append(("norm", method, LOC_SCALE, (0, 1, 2), ()))
    rows += [("norm", m, Q_LOC_SCALE, (0, 1, 2), ()) for m in ["ppf", "isf"]]
    rows += [("laplace", m, LOC_SCALE, (0, 1, 2), ()) for m in ["logpdf", "pdf", "cdf"]]
    for method in ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]:
        rows.append(("cauchy", method, LOC_SCALE, (0, 1, 2), ()))
    rows += [("cauchy", m, Q_LOC_SCALE, (0, 1, 2), ()) for m in ["ppf", "isf"]]
    rows += [("logistic", m, LOC_SCALE, (0, 1, 2), ()) for m in ["logpdf", "pdf", "cdf", "sf"]]
    rows += [("logistic", m, Q_LOC_SCALE, (0, 1, 2), ()) for m in ["ppf", "isf"]]
    for method in ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]:
        rows.append(("expon", method, ("positive", "small", "positive"), (0, 1, 2), ()))
    rows.append(("expon", "ppf", Q_LOC_SCALE, (0, 1, 2), ()))
    for method in ["logpdf", "pdf", "cdf"]:
        rows.append(("uniform", method, ("unit", "small", "above1"), (0, 1, 2), ()))
    rows.append(("uniform", "ppf", Q_LOC_SCALE, (0, 1, 2), ()))
    rows += [
        ("t", m, ("real", "positive", "real", "positive"), (0, 1, 2, 3), ())
        for m in ["logpdf", "pdf"]
    ]
    gamma_args = ("above1", "positive", "small", "positive")
    rows += [("gamma", m, gamma_args, (0, 1, 2, 3), ()) for m in ["logpdf", "pdf"]]
    rows += [
        ("gamma", m, gamma_args, (0, 2, 3), GAMMAINC) for m in ["cdf", "logcdf", "sf", "logsf"]
    ]
    chi2_args = ("above1", "positive", "small", "positive")
    rows += [("chi2", m, chi2_args, (0, 1, 2, 3), ()) for m in ["logpdf", "pdf"]]
    rows += [("chi2", m, chi2_args, (0, 2, 3), GAMMAINC) for m in ["cdf", "logcdf", "sf", "logsf"]]
    beta_args = ("unit", "positive", "positive")
    rows += [("beta", m, beta_args, (0, 1, 2), ()) for m in ["logpdf", "pdf"]]
    rows.append(
        ("beta", "logpdf", ("unit", "positive", "positive", "small", "above1"), (0, 1, 2, 3, 4), ())
    )
    rows += [("beta", m, beta_args, (0,), ("betainc",)) for m in ["cdf", "logcdf", "sf", "logsf"]]
    rows += [("poisson", m, ("count", "positive"), (1,), ()) for m in ["logpmf", "pmf"]]
    rows.append(("poisson", "cdf", ("count", "positive"), (1,), ("gammaincc",)))
    rows += [("bernoulli", m, ("binary", "unit"), (1,), ()) for m in ["logpmf", "pmf"]]
    rows.append(("bernoulli", "cdf", ("real", "unit"), (1,), ()))
    rows.append(("bernoulli", "ppf", ("unit", "unit"), (), ()))
    rows += [("binom", m, ("count", "n", "unit"), (2,), ()) for m in ["logpmf", "pmf"]]
    rows += [("geom", m, ("trials", "unit"), (1,), ()) for m in ["logpmf", "pmf"]]
    rows += [("nbinom", m, ("count", "positive", "unit"), (1, 2), ()) for m in ["logpmf", "pmf"]]
    for method in ["logpdf", "pdf", "logcdf", "cdf", "logsf", "sf"]:
        rows.append(
            (
                "truncnorm",
                method,
                ("real", "below", "above", "small", "positive"),
                (0, 1, 2, 3, 4),
                (),
            )
        )
    rows += [("vonmises", m, ("real", "positive"), (0, 1), ("i0e",)) for m in ["logpdf", "pdf"]]
    return rows


ROWS = [pytest.param(*row, id=f"{row[0]}.{row[1]}-{len(row[2])}args") for row in _rows()]


def _ours(dist, method):
    return getattr(importlib.import_module(f"trace_ag.scipy.stats.{dist}"), method)


def _needs(special_fns):
    missing = [name for name in special_fns if not hasattr(tsp, name)]
    if missing:
        pytest.skip(f"trace_ag.scipy.special lacks {missing}")


def _draw(domains, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [DOMAINS[d](rng).astype(dtype) for d in domains]


@pytest.mark.parametrize("dist, method, domains, argnums, needs", ROWS)
def test_values_match_scipy_and_jax(dist, method, domains, argnums, needs):
    _needs(needs)
    args = _draw(domains, 0)
    ours = _ours(dist, method)(*args)
    np.testing.assert_allclose(ours, getattr(getattr(sstats, dist), method)(*args), rtol=1e-9)
    if dist == "truncnorm" and method in {"pdf", "cdf", "sf"}:
        return  # exp of the log forms, compared with JAX there (each JAX call compiles)
    np.testing.assert_allclose(ours, getattr(getattr(jstats, dist), method)(*args), rtol=1e-9)


# pdf/pmf/cdf/sf are exp of the log forms (or their mirror images), so their gradients are
# checked here only where they are computed separately; truncnorm (jitted inside JAX, a compile
# per call) is checked against JAX in its log forms, its others by finite differences below.
EXP_OF_LOG = {"pdf", "pmf"}
GRAD_ROWS = [
    r
    for r in ROWS
    if r.values[1] not in EXP_OF_LOG
    and r.values[3]
    and not (r.values[0] == "truncnorm" and r.values[1] not in {"logpdf", "logcdf"})
]


@pytest.mark.parametrize("dist, method, domains, argnums, needs", GRAD_ROWS)
def test_grads_match_jax(dist, method, domains, argnums, needs):
    _needs(needs)
    args = _draw(domains, 1)
    ours = ag.grad(lambda *a: tnp.sum(_ours(dist, method)(*a)), argnums=argnums)(*args)
    jfn = getattr(getattr(jstats, dist), method)
    theirs = jax.grad(lambda *a: jnp.sum(jfn(*a)), argnums=argnums)(*args)
    for i, o, t in zip(argnums, ours, theirs, strict=True):
        np.testing.assert_allclose(o, t, rtol=1e-8, atol=1e-12, err_msg=f"argument {i}")


# A float32 sample: one row of each distribution.
F32_ROWS = [
    r
    for r in ROWS
    if r.id.split("-")[0]
    in {
        "norm.logcdf",
        "t.logpdf",
        "beta.logpdf",
        "poisson.logpmf",
    }
]


@pytest.mark.parametrize("method", ["pdf", "cdf", "sf", "logsf"])
def test_truncnorm_grads_by_finite_differences(method):
    from trace_ag.scipy.stats import truncnorm

    args = _draw(("real", "below", "above", "small", "positive"), 1)
    ag.check_grads(getattr(truncnorm, method), args, order=1)


@pytest.mark.parametrize("dist, method, domains, argnums, needs", F32_ROWS)
def test_float32_matches_jax(dist, method, domains, argnums, needs):
    _needs(needs)
    args = _draw(domains, 2, np.float32)
    fn, jfn = _ours(dist, method), getattr(getattr(jstats, dist), method)
    ours = fn(*args)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, jfn(*args), rtol=2e-5, atol=1e-6)
    grads = ag.grad(lambda *a: tnp.sum(fn(*a)), argnums=argnums)(*args)
    jgrads = jax.grad(lambda *a: jnp.sum(jfn(*a)), argnums=argnums)(*args)
    for g, j in zip(grads, jgrads, strict=True):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, j, rtol=2e-4, atol=1e-5)


def test_python_scalars_are_weak():
    from trace_ag.scipy.stats import norm

    x = np.float32(0.5)
    assert norm.logpdf(x, 0, 1).dtype == np.float32
    assert norm.cdf(np.arange(3), 0.5, 2).dtype == np.float64


# ---------------------------------------------------------------- multivariate


def _spd(rng, n, batch=()):
    a = rng.normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def test_multivariate_normal_matches_scipy_and_jax(rng):
    from trace_ag.scipy.stats import multivariate_normal as mvn

    x, mean, cov = rng.normal(size=(4, 3)), rng.normal(size=3), _spd(rng, 3)
    ours = mvn.logpdf(x, mean, cov)
    np.testing.assert_allclose(ours, sstats.multivariate_normal.logpdf(x, mean, cov), rtol=1e-10)
    np.testing.assert_allclose(mvn.pdf(x, mean, cov), sstats.multivariate_normal.pdf(x, mean, cov))
    grads = ag.grad(lambda *a: tnp.sum(mvn.logpdf(*a)), argnums=(0, 1, 2))(x, mean, cov)
    jfn = jstats.multivariate_normal.logpdf
    jgrads = jax.grad(lambda *a: jnp.sum(jfn(*a)), argnums=(0, 1, 2))(x, mean, cov)
    for g, j in zip(grads, jgrads, strict=True):
        np.testing.assert_allclose(g, j, rtol=1e-9, atol=1e-12)
    # A scalar mean, and a scalar variance with a vector mean (both as in JAX).
    for args in [(x[:, 0], 0.5, 2.0), (x, mean, 2.0)]:
        np.testing.assert_allclose(mvn.logpdf(*args), jfn(*args), rtol=1e-10)
        ag.check_grads(mvn.logpdf, args, order=1)


def test_multivariate_normal_batched_covariances_and_vmap(rng):
    from trace_ag.scipy.stats import multivariate_normal as mvn

    x, mean, cov = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), _spd(rng, 3, (2,))
    np.testing.assert_allclose(
        mvn.logpdf(x, mean, cov), jstats.multivariate_normal.logpdf(x, mean, cov), rtol=1e-10
    )
    per_mean = ag.vmap(lambda m: mvn.logpdf(x[0], m, cov[0]))(mean)
    expected = [sstats.multivariate_normal.logpdf(x[0], m, cov[0]) for m in mean]
    np.testing.assert_allclose(per_mean, expected, rtol=1e-10)


def test_multivariate_normal_bad_arguments():
    from trace_ag.scipy.stats import multivariate_normal as mvn

    with pytest.raises(ValueError, match=r"cov must be a scalar or have shape \(\.\.\., 3, 3\)"):
        mvn.logpdf(np.zeros(3), np.zeros(3), np.eye(2))
    with pytest.raises(TypeError, match="allow_singular must be None, False or True"):
        mvn.logpdf(np.zeros(3), np.zeros(3), np.eye(3), allow_singular="yes")
    with pytest.raises(ValueError, match=r"entropy: cov must be square"):
        mvn.entropy(cov=np.ones((2, 3)))


def test_dirichlet_matches_scipy_and_jax(rng):
    from trace_ag.scipy.stats import dirichlet

    alpha = rng.uniform(0.5, 3.0, size=3)
    x = rng.dirichlet(np.full(3, 5.0), size=5).T  # (3, 5): five points inside the simplex
    ours = dirichlet.logpdf(x, alpha)
    np.testing.assert_allclose(ours, sstats.dirichlet.logpdf(x, alpha), rtol=1e-10)
    np.testing.assert_allclose(ours, jstats.dirichlet.logpdf(x, alpha), rtol=1e-10)
    np.testing.assert_allclose(dirichlet.logpdf(x[:2], alpha), ours, rtol=1e-10)
    np.testing.assert_allclose(dirichlet.pdf(x, alpha), sstats.dirichlet.pdf(x, alpha))
    grads = ag.grad(lambda *a: tnp.sum(dirichlet.logpdf(*a)), argnums=(0, 1))(x, alpha)
    jfn = jstats.dirichlet.logpdf
    jgrads = jax.grad(lambda *a: jnp.sum(jfn(*a)), argnums=(0, 1))(x, alpha)
    for g, j in zip(grads, jgrads, strict=True):
        np.testing.assert_allclose(g, j, rtol=1e-9)
    ag.check_grads(dirichlet.logpdf, (x[:2], alpha), order=1)
    off_simplex = np.array([[0.5, 0.0], [0.6, 0.3], [0.1, 0.7]])
    np.testing.assert_array_equal(dirichlet.logpdf(off_simplex, alpha), [-np.inf, -np.inf])
    per_alpha = ag.vmap(lambda a: dirichlet.logpdf(x[:, 0], a))(rng.uniform(1, 2, size=(4, 3)))
    assert per_alpha.shape == (4,)
    with pytest.raises(ValueError, match=r"alpha of shape \(3,\)"):
        dirichlet.logpdf(np.ones((4, 2)) / 4, alpha)
    with pytest.raises(ValueError, match="alpha must be 1-dimensional"):
        dirichlet.logpdf(x, np.ones((3, 1)))


def test_poisson_entropy_matches_scipy_and_jax():
    from trace_ag.scipy.stats import poisson

    mu = np.array([0.0, 0.3, 4.0, 9.5, 30.0, 99.0, 150.0, 1e4])
    ours = poisson.entropy(mu)
    # SciPy sums far more terms; above mu = 100 JAX's two-term series is off by 4e-4 at 1e4.
    np.testing.assert_allclose(ours[:-1], sstats.poisson.entropy(mu[:-1]), rtol=1e-6)
    np.testing.assert_allclose(ours, jstats.poisson.entropy(mu), rtol=1e-10)
    grad = ag.grad(lambda m: tnp.sum(poisson.entropy(m)))(mu[1:6])
    jgrad = jax.grad(lambda m: jnp.sum(jstats.poisson.entropy(m)))(mu[1:6])
    np.testing.assert_allclose(grad, jgrad, rtol=1e-8)
    # JAX's gradient is nan at 1e4 (an underflowed probability in a discarded branch); ours is
    # the series' derivative.
    ag.check_grads(poisson.entropy, (mu[6:],), order=1)


# ---------------------------------------------------------------- boundary points


def _in_fives(args):
    """The arguments broadcast together and cut into chunks of shape (5,) (edge-padded): JAX
    then reuses what it compiled for the table above instead of compiling each new shape."""
    flat = [np.ravel(a) for a in np.broadcast_arrays(*[np.asarray(a, float) for a in args])]
    pad = -len(flat[0]) % N
    flat = [np.pad(a, (0, pad), mode="edge") for a in flat]
    return [[a[i : i + N] for a in flat] for i in range(0, len(flat[0]), N)], pad


def _compare_with_jax(fn, jfn, *args, scipy_fn=None):
    chunks, pad = _in_fives(args)
    results = []
    for chunk in chunks:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ours = fn(*chunk)
            if scipy_fn is not None:
                np.testing.assert_allclose(ours, scipy_fn(*chunk), rtol=1e-10)
        np.testing.assert_allclose(ours, jfn(*chunk), rtol=1e-10)
        results.append(ours)
    out = np.concatenate(results)
    return out[: len(out) - pad]


def test_outside_the_support_gives_minus_inf():
    from trace_ag.scipy import stats

    cases = [
        ("expon", "logpdf", (np.array([-1.0, 0.0, 1.0]), 0.0, 2.0)),
        ("gamma", "logpdf", (np.array([-1.0, 0.0, 1.0]), 2.5)),
        ("chi2", "logpdf", (np.array([-1.0, 1.0]), 3.0)),
        ("uniform", "logpdf", (np.array([-0.5, 0.0, 2.0, 2.5]), 0.0, 2.0)),
        ("uniform", "cdf", (np.array([-0.5, 0.0, 2.0, 2.5]), 0.0, 2.0)),
        ("beta", "logpdf", (np.array([-0.5, 1.5]), 2.0, 3.0)),
        ("truncnorm", "logpdf", (np.array([-2.0, -1.0, 1.0, 3.0]), -1.0, 1.0)),
        ("truncnorm", "logcdf", (np.array([-2.0, -1.0, 1.0, 3.0]), -1.0, 1.0)),
        ("bernoulli", "logpmf", (np.array([-1.0, 2.0]), 0.3)),
        ("binom", "logpmf", (np.array([-1.0, 5.0]), 4.0, 0.3)),
        ("geom", "logpmf", (np.array([0.0, -1.0]), 0.3)),
        ("nbinom", "logpmf", (np.array([-1.0, 0.0]), 2.0, 0.3)),
    ]
    for dist, method, args in cases:
        fn = getattr(getattr(stats, dist), method)
        scipy_fn = getattr(getattr(sstats, dist), method)
        _compare_with_jax(fn, getattr(getattr(jstats, dist), method), *args, scipy_fn=scipy_fn)


def test_beta_at_the_ends_of_its_interval():
    from trace_ag.scipy.stats import beta

    x = np.array([0.0, 1.0])
    for a, b in [(1.0, 2.0), (2.0, 1.0), (0.5, 0.5), (3.0, 4.0), (1.0, 1.0)]:
        _compare_with_jax(beta.logpdf, jstats.beta.logpdf, x, a, b, scipy_fn=sstats.beta.logpdf)
    # Invalid shapes or scale give nan, as in JAX.
    invalid = (
        0.5,
        np.array([0.0, 1.0, 1.0]),
        np.array([1.0, -1.0, 1.0]),
        0.0,
        np.array([1.0, 1.0, -1.0]),
    )
    assert np.isnan(_compare_with_jax(beta.logpdf, jstats.beta.logpdf, *invalid)).all()


def test_poisson_at_integers_and_between():
    from trace_ag.scipy.stats import poisson

    k = np.array([-1.0, 0.0, 1.0, 2.0, 2.5, 7.0])
    ours = _compare_with_jax(poisson.logpmf, jstats.poisson.logpmf, k, 2.0)
    np.testing.assert_array_equal(np.isinf(ours), [True, False, False, False, True, False])
    integers = k[k % 1 == 0]
    np.testing.assert_allclose(poisson.pmf(integers, 2.0), sstats.poisson.pmf(integers, 2.0))
    np.testing.assert_allclose(
        poisson.pmf(np.arange(4), 3.0, loc=1), sstats.poisson.pmf(np.arange(4), 3.0, loc=1)
    )
    # mu = 0: all mass at 0 (xlogy(0, 0) = 0).
    _compare_with_jax(poisson.logpmf, jstats.poisson.logpmf, np.array([0.0, 1.0]), 0.0)


def test_discrete_edge_probabilities():
    from trace_ag.scipy.stats import bernoulli, binom

    k = np.array([0.0, 1.0])
    for p in [0.0, 1.0]:
        _compare_with_jax(
            bernoulli.logpmf, jstats.bernoulli.logpmf, k, p, scipy_fn=sstats.bernoulli.logpmf
        )
        _compare_with_jax(
            binom.logpmf,
            jstats.binom.logpmf,
            np.array([0.0, 3.0]),
            3.0,
            p,
            scipy_fn=sstats.binom.logpmf,
        )
    _compare_with_jax(
        binom.logpmf, jstats.binom.logpmf, np.array([0.0]), 0.0, 0.4, scipy_fn=sstats.binom.logpmf
    )
    q = np.array([0.0, 0.7, 1.0, 1.5, np.nan])
    _compare_with_jax(bernoulli.ppf, jstats.bernoulli.ppf, q, 0.3)
    _compare_with_jax(bernoulli.cdf, jstats.bernoulli.cdf, np.array([0.5, 1.0]), 1.5)


def test_quantiles_at_0_and_1():
    from trace_ag.scipy.stats import cauchy, expon, logistic, norm, uniform

    q = np.array([0.0, 1.0])
    for mod, jmod in [
        (norm, jstats.norm),
        (logistic, jstats.logistic),
        (expon, jstats.expon),
        (uniform, jstats.uniform),
    ]:
        _compare_with_jax(mod.ppf, jmod.ppf, q, 0.5, 2.0)
    _compare_with_jax(cauchy.cdf, jstats.cauchy.cdf, np.array([-np.inf, np.inf]))
    _compare_with_jax(expon.ppf, jstats.expon.ppf, np.array([-0.5, 1.5, np.nan]))
    _compare_with_jax(
        norm.logcdf, jstats.norm.logcdf, np.array([-40.0, 40.0]), scipy_fn=sstats.norm.logcdf
    )
    _compare_with_jax(
        norm.logsf, jstats.norm.logsf, np.array([-40.0, 40.0]), scipy_fn=sstats.norm.logsf
    )


def test_truncnorm_in_the_far_tails():
    from trace_ag.scipy.stats import truncnorm

    x = np.array([8.5, 9.0, 11.0])
    for method in ["logpdf", "logcdf", "logsf"]:
        _compare_with_jax(
            getattr(truncnorm, method),
            getattr(jstats.truncnorm, method),
            x,
            8.0,
            12.0,
            scipy_fn=getattr(sstats.truncnorm, method),
        )
    _compare_with_jax(truncnorm.logpdf, jstats.truncnorm.logpdf, np.array([0.0]), 1.0, 1.0)


def test_complex_arguments_are_refused():
    from trace_ag.scipy.stats import norm

    with pytest.raises(TypeError, match="norm.logpdf: complex arguments"):
        norm.logpdf(np.array([1j]))


# ---------------------------------------------------------------- transforms


def test_vmap_over_parameters():
    from trace_ag.scipy.stats import beta, norm, t

    rng = np.random.default_rng(3)
    x = rng.normal(size=N)
    loc, scale, df = rng.normal(size=4), rng.uniform(0.5, 2, size=4), rng.uniform(1, 4, size=4)
    out = ag.vmap(lambda m, s: norm.logcdf(x, m, s))(loc, scale)
    np.testing.assert_allclose(out, sstats.norm.logcdf(x[None], loc[:, None], scale[:, None]))
    out = ag.vmap(ag.grad(lambda d: tnp.sum(t.logpdf(x, d))))(df)
    jout = jax.vmap(jax.grad(lambda d: jnp.sum(jstats.t.logpdf(x, d))))(df)
    np.testing.assert_allclose(out, jout, rtol=1e-9)
    a = rng.uniform(0.5, 2, size=4)
    u = rng.uniform(0.1, 0.9, size=N)
    out = ag.vmap(lambda a_: beta.logpdf(u, a_, 2.0))(a)
    np.testing.assert_allclose(out, sstats.beta.logpdf(u[None], a[:, None], 2.0), rtol=1e-10)


JIT_CASES = [
    ("norm", "logcdf", LOC_SCALE),
    ("t", "logpdf", ("real", "positive", "real", "positive")),
    ("beta", "logpdf", ("unit", "positive", "positive")),
    ("poisson", "logpmf", ("count", "positive")),
    ("truncnorm", "logpdf", ("real", "below", "above", "small", "positive")),
]


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize(
    "dist, method, domains", JIT_CASES, ids=[f"{d}.{m}" for d, m, _ in JIT_CASES]
)
def test_jit_matches_eager(dist, method, domains, backend):
    args = _draw(domains, 4)
    fn = _ours(dist, method)
    argnums = tuple(range(1, len(args)))
    value_and_grad = ag.value_and_grad(lambda *a: tnp.sum(fn(*a)), argnums=argnums)
    eager = value_and_grad(*args)
    jitted = ag.jit(value_and_grad, backend=backend)(*args)
    np.testing.assert_allclose(jitted[0], eager[0], rtol=1e-12)
    for j, e in zip(jitted[1], eager[1], strict=True):
        np.testing.assert_allclose(j, e, rtol=1e-12)


def test_second_order_grads():
    from trace_ag.scipy.stats import gamma, logistic, norm

    rng = np.random.default_rng(5)
    x, loc, scale = rng.normal(size=3), rng.normal(size=3), rng.uniform(0.5, 2, size=3)
    ag.check_grads(lambda *a: norm.logcdf(*a), (x, loc, scale), order=2)
    ag.check_grads(lambda *a: logistic.logpdf(*a), (x, loc, scale), order=2)
    ag.check_grads(lambda x_, a_: gamma.logpdf(x_, a_), (scale + 0.5, scale), order=2)


# ---------------------------------------------------------------- t's cdf family (via betainc)

T_POINTS = np.array([-1e4, -40.0, -2.5, -1e-8, 0.0, 1e-8, 0.7, 3.0, 40.0, 1e4])


@pytest.mark.parametrize("method", ["cdf", "sf", "logcdf", "logsf"])
def test_t_cdf_family_matches_scipy_far_out_and_at_0(method):
    ours, theirs = _ours("t", method), getattr(sstats.t, method)
    df = np.array([[0.7], [3.0], [50.0]])
    for fn in (ours, ag.jit(ours), ag.jit(ours, backend="jax")):
        np.testing.assert_allclose(fn(T_POINTS, df), theirs(T_POINTS, df), rtol=1e-11)
    x32 = np.float32([-3.0, 0.0, 2.0])
    got32 = ours(x32, np.float32(4.0), np.float32(0.5), np.float32(2.0))
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, theirs(x32, 4.0, 0.5, 2.0), rtol=1e-5)


def test_t_cdf_derivatives_are_the_density_and_df_raises():
    from trace_ag.scipy.stats import t

    x = np.array([-3.0, -0.5, 0.0, 0.5, 2.0])
    df, loc, scale = 2.5, 0.25, 1.5
    pdf = sstats.t.pdf(x, df, loc, scale)
    np.testing.assert_allclose(
        ag.vmap(ag.grad(t.cdf), (0, None, None, None))(x, df, loc, scale), pdf, rtol=1e-11
    )
    np.testing.assert_allclose(
        ag.vmap(ag.grad(t.sf), (0, None, None, None))(x, df, loc, scale), -pdf, rtol=1e-11
    )
    np.testing.assert_allclose(
        ag.vmap(ag.grad(t.logcdf), (0, None, None, None))(x, df, loc, scale),
        pdf / sstats.t.cdf(x, df, loc, scale),
        rtol=1e-10,
    )
    # at x == loc (z = 0) too: value, slope and the second derivative -(pdf)' = 0 there
    second = ag.grad(ag.grad(t.cdf))(loc, df, loc, scale)
    expected = ag.grad(t.pdf)(loc, df, loc, scale)
    np.testing.assert_allclose(second, expected, atol=1e-14)
    ag.check_grads(lambda v, m, s: t.cdf(v, df, m, s), (x[[0, 1, 3, 4]], loc, scale), order=2)
    ag.check_grads(lambda v: t.logsf(v, df, loc, scale), (x[[0, 1, 3, 4]],), order=2)
    with pytest.raises(ag.TraceAgError, match="betainc: the derivatives in the shapes"):
        ag.grad(t.cdf, argnums=1)(0.5, df)


def test_beta_cdf_family_derivatives_in_x_loc_scale_and_shapes_raise():
    from trace_ag.scipy.stats import beta

    x = np.array([0.1, 0.45, 0.8])
    a, b, loc, scale = 2.5, 0.8, -0.1, 1.2
    for method in ("cdf", "sf", "logcdf", "logsf"):
        ours = getattr(beta, method)
        theirs = getattr(jstats.beta, method)
        got = ag.vmap(ag.grad(ours, argnums=(0, 3, 4)), (0, None, None, None, None))(
            x, a, b, loc, scale
        )
        want = jax.vmap(jax.grad(theirs, argnums=(0, 3, 4)), (0, None, None, None, None))(
            x, a, b, loc, scale
        )
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-10, err_msg=method)
        np.testing.assert_allclose(
            ag.jit(ours, backend="jax")(x, a, b, loc, scale),
            getattr(sstats.beta, method)(x, a, b, loc, scale),
            rtol=1e-10,
        )
    np.testing.assert_allclose(beta.cdf(np.array([-1.0, 2.0]), a, b), [0.0, 1.0])
    with pytest.raises(ag.TraceAgError, match="betainc: the derivatives in the shapes"):
        ag.grad(beta.cdf, argnums=1)(0.5, a, b)


# ---------------------------------------------------------------- multivariate normal, more


def _singular_cov(rng, n=4, rank=2):
    basis, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return basis @ np.diag(np.r_[rng.uniform(0.5, 2.0, rank), np.zeros(n - rank)]) @ basis.T, basis


def test_multivariate_normal_allow_singular_matches_scipy(rng):
    from trace_ag.scipy.stats import multivariate_normal as mvn

    cov, basis = _singular_cov(rng)
    mean = rng.standard_normal(4)
    on = mean + rng.standard_normal((5, 2)) @ basis[:, :2].T
    off = on + 1e-3 * basis[:, 3]
    for x in (on, off, np.vstack([on[:2], off[:2]])):
        expected = sstats.multivariate_normal.logpdf(x, mean, cov, allow_singular=True)
        for fn in (mvn.logpdf, ag.jit(mvn.logpdf, static_argnums=3)):
            np.testing.assert_allclose(fn(x, mean, cov, True), expected, rtol=1e-10)
        np.testing.assert_allclose(
            mvn.pdf(x, mean, cov, allow_singular=True),
            sstats.multivariate_normal.pdf(x, mean, cov, allow_singular=True),
            rtol=1e-10,
        )
    # a positive definite cov: the same numbers as without allow_singular
    spd = _spd(rng, 4)
    np.testing.assert_allclose(
        mvn.logpdf(on, mean, spd, allow_singular=True), mvn.logpdf(on, mean, spd), rtol=1e-12
    )
    np.testing.assert_array_equal(
        mvn.logpdf(on, mean, spd, allow_singular=False), mvn.logpdf(on, mean, spd)
    )

    # differentiable in x and mean within the support (autograd's test_mvn_sing_cov)
    def along_support(u, m):
        x = m + u @ basis[:, :2].T  # x - mean stays in the range of cov
        return tnp.sum(mvn.logpdf(x, m, cov, allow_singular=True))

    u = rng.standard_normal((3, 2))
    ag.check_grads(along_support, (u, mean), order=2)
    expected_grad = -np.linalg.pinv(cov) @ (on[0] - mean)
    got = ag.grad(lambda v: mvn.logpdf(v, mean, cov, allow_singular=True))(on[0])
    np.testing.assert_allclose(got, expected_grad, rtol=1e-8, atol=1e-12)


def test_multivariate_normal_entropy_matches_scipy_and_jax(rng):
    from trace_ag.scipy.stats import multivariate_normal as mvn

    spd = _spd(rng, 3)
    singular, _ = _singular_cov(rng, 3, 2)
    for cov in (spd, singular, np.eye(3)):
        expected = sstats.multivariate_normal.entropy(np.zeros(3), cov)
        for fn in (mvn.entropy, ag.jit(mvn.entropy), ag.jit(mvn.entropy, backend="jax")):
            np.testing.assert_allclose(fn(np.zeros(3), cov), expected, rtol=1e-12)
    np.testing.assert_allclose(mvn.entropy(cov=2.0), sstats.multivariate_normal.entropy(cov=2.0))
    np.testing.assert_allclose(
        mvn.entropy(np.zeros(3), 2.0), sstats.multivariate_normal.entropy(np.zeros(3), 2.0)
    )
    batch = np.stack([spd, np.eye(3) * 0.5])
    np.testing.assert_allclose(
        mvn.entropy(cov=batch), [sstats.multivariate_normal.entropy(cov=c) for c in batch]
    )

    def jax_entropy(c):
        return 0.5 * (3 * (1 + np.log(2 * np.pi)) + jnp.linalg.slogdet(c)[1])

    for cov in (spd, np.eye(3)):  # np.eye: repeated eigenvalues, the gradient stays finite
        np.testing.assert_allclose(
            ag.grad(lambda c: mvn.entropy(cov=c))(cov), jax.grad(jax_entropy)(cov), rtol=1e-10
        )
    np.testing.assert_allclose(
        ag.vmap(ag.grad(lambda c: mvn.entropy(cov=c)))(batch),
        jax.vmap(jax.grad(jax_entropy))(batch),
        rtol=1e-10,
    )
    assert mvn.entropy(cov=spd.astype(np.float32)).dtype == np.float32
