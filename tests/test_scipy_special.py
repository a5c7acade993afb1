"""``trace_ag.scipy.special`` at the points the spec rows do not draw: poles, zeros, infinities,
nan and large arguments, against ``scipy.special`` (values) and ``jax.grad`` (derivatives and
their conventions); integer orders and the errors. The drawn comparisons with JAX (values,
vjps, jvp, vmap, jit on both backends, float32) are the ``special.*`` rows of
``tests/spec_rows/special.py``.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.scipy.special as tsp

scipy_special = pytest.importorskip("scipy.special")
jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jsp = pytest.importorskip("jax.scipy.special")

INF, NAN = np.inf, np.nan

EDGES = {
    # name: (ours, scipy's, points)
    "gammaln": (tsp.gammaln, scipy_special.gammaln,
                [0.0, -0.0, -1.0, -2.0, -2.5, 0.5, 171.5, 1e5, 1e300, INF, -INF, NAN]),
    "digamma": (tsp.digamma, scipy_special.digamma,
                [0.0, -1.0, -2.5, 1e-300, 1e8, INF, NAN]),
    "psi": (tsp.psi, scipy_special.psi, [0.5, 3.0, -0.5]),
    "gamma": (tsp.gamma, scipy_special.gamma,
              [0.0, -0.0, -1.0, -3.0, -2.5, 0.5, 171.0, 172.0, INF, -INF, NAN]),
    "erf": (tsp.erf, scipy_special.erf, [0.0, -0.0, 1e-300, 6.0, -30.0, INF, -INF, NAN]),
    "erfc": (tsp.erfc, scipy_special.erfc, [0.0, 10.0, 27.0, 30.0, -30.0, INF, -INF, NAN]),
    "erfinv": (tsp.erfinv, scipy_special.erfinv, [0.0, 1.0, -1.0, 1 - 1e-16, 1.5, NAN]),
    "ndtr": (tsp.ndtr, scipy_special.ndtr,
             [0.0, 0.7, -0.7, -10.0, -40.0, 10.0, 40.0, INF, -INF, NAN]),
    "ndtri": (tsp.ndtri, scipy_special.ndtri, [0.0, 1.0, 0.5, 1e-300, 1 - 1e-16, -0.1, 2.0, NAN]),
    "log_ndtr": (tsp.log_ndtr, scipy_special.log_ndtr,
                 [0.0, -5.0, -40.0, -1e3, 6.0, 10.0, 40.0, INF, -INF, NAN]),
    "expit": (tsp.expit, scipy_special.expit, [0.0, -800.0, 800.0, 30.0, INF, -INF, NAN]),
    "logit": (tsp.logit, scipy_special.logit, [0.0, 1.0, 0.5, 1e-300, -0.1, 1.5, NAN]),
    "erfcx": (tsp.erfcx, scipy_special.erfcx, [0.0, -30.0, 30.0, 1e10, INF, -INF, NAN]),
    "entr": (tsp.entr, scipy_special.entr, [0.0, -1.0, 1e-300, 0.5, INF, NAN]),
    "i0e": (tsp.i0e, scipy_special.i0e, [0.0, -3.0, 1e3, INF, -INF, NAN]),
    "i1e": (tsp.i1e, scipy_special.i1e, [0.0, -3.0, 1e3, INF, -INF, NAN]),
    "i0": (tsp.i0, scipy_special.i0, [0.0, -3.0, 700.0, NAN]),
    "i1": (tsp.i1, scipy_special.i1, [0.0, -3.0, 700.0, NAN]),
    "factorial": (tsp.factorial, scipy_special.factorial, [0.0, 1.0, 5.0, 20.0, 60.0, -1.0, NAN]),
    "gammasgn": (tsp.gammasgn, scipy_special.gammasgn,
                 [0.0, -0.0, -1.0, -2.0, -0.5, -1.5, -2.5, -1e-300, 0.5, INF, -INF, NAN]),
}  # fmt: skip

# Functions JAX does not have: the JAX backend calls SciPy's kernels (or composes JAX's)
NOT_IN_JAX = {
    "rgamma": (tsp.rgamma, scipy_special.rgamma, [0.0, -1.0, -2.0, -2.5, 0.5, 4.0, 180.0, INF]),
    "j0": (tsp.j0, scipy_special.j0, [0.0, -2.0, 1e3, INF, NAN]),
    "j1": (tsp.j1, scipy_special.j1, [0.0, -2.0, 1e3, INF, NAN]),
    "y0": (tsp.y0, scipy_special.y0, [0.0, -1.0, 1e-300, 1e3, INF, NAN]),
    "y1": (tsp.y1, scipy_special.y1, [0.0, -1.0, 1e-300, 1e3, INF, NAN]),
    "jn(4)": (lambda x: tsp.jn(4, x), lambda x: scipy_special.jn(4, x), [0.0, -2.0, 50.0, NAN]),
    "yn(3)": (lambda x: tsp.yn(3, x), lambda x: scipy_special.yn(3, x), [0.0, 2.0, 50.0, NAN]),
    "iv(2.5)": (lambda x: tsp.iv(2.5, x), lambda x: scipy_special.iv(2.5, x),
                [0.0, -1.0, 3.0, 700.0, NAN]),
    "ive(3)": (lambda x: tsp.ive(3, x), lambda x: scipy_special.ive(3, x),
               [0.0, -1.0, 3.0, 1e4, NAN]),
    "erfcinv": (tsp.erfcinv, scipy_special.erfcinv,
                [0.0, 1e-300, 1e-20, 0.05, 0.5, 1.0, 1.5, 1.95, 2.0 - 1e-15, 2.0, -0.1, 2.1, NAN]),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(NOT_IN_JAX))
def test_functions_jax_lacks_match_scipy_on_both_backends(name):
    ours, theirs, points = NOT_IN_JAX[name]
    x = np.asarray(points)
    with np.errstate(all="ignore"):
        expected = theirs(x)
    for fn in (ours, ag.jit(ours), ag.jit(ours, backend="jax")):
        np.testing.assert_allclose(fn(x), expected, rtol=1e-13, atol=0, equal_nan=True)
    f32 = ours(x.astype(np.float32))
    assert f32.dtype == np.float32
    with np.errstate(all="ignore"):  # SciPy's float32 kernels: overflow gives inf
        expected32 = np.asarray(theirs(x.astype(np.float32)), np.float32)
    np.testing.assert_allclose(f32, expected32, rtol=2e-6, atol=1e-30, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", sorted(EDGES))
def test_edge_values_match_scipy(name, dtype):
    """Eagerly and under jit (NumPy backend) the values, nan and infinities included, are
    SciPy's, in the input's dtype."""
    ours, theirs, points = EDGES[name]
    x = np.asarray(points, dtype)
    with np.errstate(all="ignore"):
        expected = theirs(x)
    rtol = 1e-13 if dtype == np.float64 else 2e-6
    for value in (ours(x), ag.jit(ours)(x)):
        assert np.asarray(value).dtype == dtype
        np.testing.assert_allclose(value, expected, rtol=rtol, atol=0, equal_nan=True)


@pytest.mark.parametrize("name", sorted(EDGES))
def test_edge_values_on_the_jax_backend_match_jax(name):
    """``jit(backend="jax")`` computes with jax.scipy.special, so it gives JAX's values (which
    agree with SciPy's away from these points, see the spec rows)."""
    ours, _, points = EDGES[name]
    x = np.asarray([p for p in points if abs(p) < 1e200 or not np.isfinite(p)])
    expected = getattr(jsp, name if name != "psi" else "digamma")(x)
    np.testing.assert_allclose(ag.jit(ours, backend="jax")(x), expected, rtol=1e-12, equal_nan=True)


def test_integer_arguments_compute_in_float64():
    assert tsp.gammaln(np.arange(1, 4)).dtype == np.float64
    np.testing.assert_allclose(tsp.gammaln(np.arange(1, 4)), np.log([1.0, 1.0, 2.0]), atol=1e-15)
    np.testing.assert_allclose(tsp.xlogy(2, 3), 2 * np.log(3.0), rtol=1e-15)


# ---------------------------------------------------------------- derivatives at edge points

GRAD_POINTS = [
    # name, ours, jax's, arguments (differentiated in every argument)
    ("xlogy at x=0, y=0", tsp.xlogy, jsp.xlogy, (0.0, 0.0)),
    ("xlogy at x=0, y=2", tsp.xlogy, jsp.xlogy, (0.0, 2.0)),
    ("xlogy at x=1, y=0", tsp.xlogy, jsp.xlogy, (1.0, 0.0)),
    ("xlog1py at x=0, y=-1", tsp.xlog1py, jsp.xlog1py, (0.0, -1.0)),
    ("xlog1py at x=0, y=0", tsp.xlog1py, jsp.xlog1py, (0.0, 0.0)),
    ("logit at 0", tsp.logit, jsp.logit, (0.0,)),
    ("logit at 1", tsp.logit, jsp.logit, (1.0,)),
    ("erfinv at 1", tsp.erfinv, jsp.erfinv, (1.0,)),
    ("erfinv at 0", tsp.erfinv, jsp.erfinv, (0.0,)),
    ("log_ndtr at -40", tsp.log_ndtr, jsp.log_ndtr, (-40.0,)),
    ("log_ndtr at -1000", tsp.log_ndtr, jsp.log_ndtr, (-1000.0,)),
    ("log_ndtr at 40", tsp.log_ndtr, jsp.log_ndtr, (40.0,)),
    ("ndtr at -40", tsp.ndtr, jsp.ndtr, (-40.0,)),
    ("gammaln at 1e5", tsp.gammaln, jsp.gammaln, (1e5,)),
    ("gammaln at -2.5", tsp.gammaln, jsp.gammaln, (-2.5,)),
    ("digamma at 1e-3", tsp.digamma, jsp.digamma, (1e-3,)),
    ("gamma at -2.5", tsp.gamma, jsp.gamma, (-2.5,)),
    ("erfc at 20", tsp.erfc, jsp.erfc, (20.0,)),
    ("expit at -800", tsp.expit, jsp.expit, (-800.0,)),
    ("entr at 0", tsp.entr, jsp.entr, (0.0,)),
    ("rel_entr at p=0", tsp.rel_entr, jsp.rel_entr, (0.0, 1.0)),
    ("kl_div at p=0", tsp.kl_div, jsp.kl_div, (0.0, 2.0)),
    ("i1e at 0", tsp.i1e, jsp.i1e, (0.0,)),
    ("i0e at 0", tsp.i0e, jsp.i0e, (0.0,)),
    ("i0 at -2", tsp.i0, jsp.i0, (-2.0,)),
    ("erfcx at -3", tsp.erfcx, jsp.erfcx, (-3.0,)),
    ("gammainc at x=0", tsp.gammainc, jsp.gammainc, (2.0, 0.0)),
    ("gammaincc at a=0.3 x=50", tsp.gammaincc, jsp.gammaincc, (0.3, 50.0)),
    ("comb 5 choose 2", tsp.comb, jsp.comb, (5.0, 2.0)),
    ("betainc in x at 0, a<1", lambda x: tsp.betainc(0.5, 2.0, x),
     lambda x: jsp.betainc(0.5, 2.0, x), (0.0,)),
    ("betainc in x at 1", lambda x: tsp.betainc(2.0, 3.0, x),
     lambda x: jsp.betainc(2.0, 3.0, x), (1.0,)),
    ("betainc in x at 0.3", lambda x: tsp.betainc(2.5, 0.7, x),
     lambda x: jsp.betainc(2.5, 0.7, x), (0.3,)),
    ("gammasgn at -1.5", tsp.gammasgn, jsp.gammasgn, (-1.5,)),
]  # fmt: skip


@pytest.mark.parametrize("name, f, ref, args", GRAD_POINTS, ids=[p[0] for p in GRAD_POINTS])
def test_gradients_at_edge_points_match_jax(name, f, ref, args):
    """Eager grad and grad under jit on both backends give jax.grad's numbers, its inf and nan
    conventions included (JAX's log_ndtr keeps about 11 digits in the far left tail, where
    SciPy's, which we use, keeps 15)."""
    argnums = tuple(range(len(args)))
    expected = jax.grad(ref, argnums=argnums)(*args)
    for grad in (
        ag.grad(f, argnums=argnums),
        ag.jit(ag.grad(f, argnums=argnums)),
        ag.jit(ag.grad(f, argnums=argnums), backend="jax"),
    ):
        with np.errstate(all="ignore"):
            got = grad(*args)
        # log_ndtr: JAX's tail; gammainc's shape derivative keeps about 11 digits
        rtol = 1e-10 if name.startswith(("log_ndtr", "gammainc")) else 1e-12
        np.testing.assert_allclose(got, expected, rtol=rtol, equal_nan=True, err_msg=name)


def test_ndtri_slope_at_0_is_inf():
    """The slope of ndtri at p = 0 is infinite; jax.grad gives 0 there (an artifact of its
    piecewise formula), trace_ag the limit."""
    assert ag.grad(tsp.ndtri)(0.0) == np.inf
    assert ag.grad(tsp.ndtri)(1.0) == np.inf


LSE_CASES = [
    # name, a, b
    ("one -inf", [-INF, 0.0, 1.0], None),
    ("all -inf", [-INF, -INF], None),
    ("an inf", [INF, 0.0], None),
    ("huge", [1e4, 1e4 - 1.0], None),
    ("b with a zero", [1.0, 2.0, 3.0], [1.0, 0.0, 2.0]),
    ("b zero where a is inf", [1.0, INF], [1.0, 0.0]),
]


@pytest.mark.parametrize("name, a, b", LSE_CASES, ids=[c[0] for c in LSE_CASES])
def test_logsumexp_edges_match_scipy_and_jax(name, a, b):
    a = np.asarray(a)
    b = None if b is None else np.asarray(b)
    with np.errstate(all="ignore"):
        expected = scipy_special.logsumexp(a, b=b)
    np.testing.assert_allclose(tsp.logsumexp(a, b=b), expected, rtol=1e-14, equal_nan=True)
    with np.errstate(all="ignore"):
        grad = ag.grad(lambda v: tsp.logsumexp(v, b=b))(a)
    np.testing.assert_allclose(
        grad, jax.grad(lambda v: jsp.logsumexp(v, b=b))(a), rtol=1e-14, equal_nan=True
    )


def test_logsumexp_sign_of_a_negative_sum():
    a, b = np.array([0.0, 1.0, 2.0]), np.array([1.0, -1.0, -0.5])
    value, sign = tsp.logsumexp(a, b=b, return_sign=True)
    expected_value, expected_sign = scipy_special.logsumexp(a, b=b, return_sign=True)
    np.testing.assert_allclose(value, expected_value, rtol=1e-14)
    assert sign == expected_sign == -1.0
    with np.errstate(invalid="ignore"):
        assert np.isnan(tsp.logsumexp(a, b=b))  # without the sign, a negative sum is nan
    assert np.isnan(jsp.logsumexp(a, b=b))


def test_logsumexp_axis_keepdims_match_scipy():
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    for axis in (None, 0, -1, (0, 2)):
        for keepdims in (False, True):
            np.testing.assert_allclose(
                tsp.logsumexp(a, axis=axis, keepdims=keepdims),
                scipy_special.logsumexp(a, axis=axis, keepdims=keepdims),
                rtol=1e-14,
            )


def test_softmax_matches_scipy_over_all_axes_by_default():
    x = np.random.default_rng(1).standard_normal((2, 3))
    np.testing.assert_allclose(tsp.softmax(x), scipy_special.softmax(x), rtol=1e-14)
    np.testing.assert_allclose(tsp.log_softmax(x, axis=1), scipy_special.log_softmax(x, axis=1))


# ---------------------------------------------------------------- polygamma's integer orders


def test_polygamma_orders_match_scipy_and_jax():
    x = np.array([0.3, 1.0, 2.5, 7.0])
    for n in range(5):
        np.testing.assert_allclose(tsp.polygamma(n, x), scipy_special.polygamma(n, x), rtol=1e-13)
        grad = ag.grad(lambda v, n=n: ag.numpy.sum(tsp.polygamma(n, v)))(x)
        expected = jax.grad(lambda v, n=n: jnp.sum(jsp.polygamma(n, v)))(x)
        np.testing.assert_allclose(grad, expected, rtol=1e-10)


def test_polygamma_with_an_array_of_orders_broadcasts():
    n, x = np.array([[0], [1], [2]]), np.array([0.5, 1.5])
    np.testing.assert_allclose(tsp.polygamma(n, x), scipy_special.polygamma(n, x), rtol=1e-13)
    hessian = ag.hessian(lambda v: ag.numpy.sum(tsp.polygamma(n, v)))(x)
    expected = jax.hessian(lambda v: jnp.sum(jsp.polygamma(n, v)))(x)
    np.testing.assert_allclose(hessian, expected, rtol=1e-10)


def test_gammaln_derivatives_of_every_order_are_the_polygammas():
    x = 1.7
    d1 = ag.grad(tsp.gammaln)
    d2, d3 = ag.grad(d1), ag.grad(ag.grad(d1))
    expected = [scipy_special.polygamma(k, x) for k in range(3)]
    np.testing.assert_allclose([d1(x), d2(x), d3(x)], expected, rtol=1e-13)


@pytest.mark.parametrize(
    "ours, theirs, xs",
    [
        (tsp.digamma, jsp.digamma, [0.4, 1.3, 2.2]),
        (tsp.erfinv, jsp.erfinv, [-0.6, 0.1, 0.9]),
        (tsp.log_ndtr, jsp.log_ndtr, [-8.0, -2.0, 3.0]),
    ],
    ids=["digamma", "erfinv", "log_ndtr"],
)
def test_vmap_and_jit_of_second_derivatives_match_jax(ours, theirs, xs):
    xs = np.asarray(xs)
    expected = jax.vmap(jax.grad(jax.grad(theirs)))(xs)
    second = ag.grad(ag.grad(ours))
    for fn in (
        ag.vmap(second),
        ag.jit(ag.vmap(second)),
        ag.jit(ag.vmap(second), backend="jax"),
    ):
        np.testing.assert_allclose(fn(xs), expected, rtol=1e-9)


def test_gammainc_shape_gradient_matches_jax_across_regimes():
    """d/da of P and Q (SciPy's kernels differenced where each is small) against JAX's
    lax.igamma_grad_a, from x << a to x >> a and large shapes."""
    rng = np.random.default_rng(3)
    a = np.concatenate([rng.uniform(0.05, 5, 40), rng.uniform(5, 500, 40), [1e4, 0.3, 7.0]])
    x = np.concatenate([rng.uniform(0, 20, 40), a[40:80] * rng.uniform(0.5, 1.5, 40),
                        [1e4 + 60, 40.0, 0.0]])  # fmt: skip
    for ours, theirs in [(tsp.gammainc, jsp.gammainc), (tsp.gammaincc, jsp.gammaincc)]:
        got = ag.grad(lambda v, f=ours: ag.numpy.sum(f(v, x)))(a)
        expected = jax.grad(lambda v, f=theirs: jnp.sum(f(v, x)))(a)
        np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-14)


def test_bessel_derivatives_match_scipy():
    x = np.array([0.3, 1.7, 4.0, 11.0])
    for ours, slope in [
        (lambda v: tsp.jv(2.5, v), scipy_special.jvp(2.5, x)),
        (tsp.y0, scipy_special.yvp(0, x)),
        (lambda v: tsp.yn(3, v), scipy_special.yvp(3, x)),
        (lambda v: tsp.iv(1.5, v), scipy_special.ivp(1.5, x)),
        (tsp.j1, scipy_special.jvp(1, x)),
    ]:
        grad = ag.vmap(ag.grad(ours))(x)
        np.testing.assert_allclose(grad, slope, rtol=1e-10)
        np.testing.assert_allclose(ag.jit(ag.vmap(ag.grad(ours)), backend="jax")(x), grad)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_bessel_j_matches_jax_bessel_jn_in_float64(n):
    x = np.array([-3.0, -0.7, 0.4, 1.9, 6.0])
    ours = (tsp.j0, tsp.j1, None, lambda v: tsp.jn(3, v))[n]
    theirs = lambda v: jsp.bessel_jn(v, v=n)[n]  # noqa: E731
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-12)
    np.testing.assert_allclose(ag.vmap(ag.grad(ours))(x), jax.vmap(jax.grad(theirs))(x), rtol=1e-10)


def test_second_derivatives_not_implemented_raise():
    with pytest.raises(ag.TraceAgError, match="second derivative in the shape a"):
        ag.grad(ag.grad(tsp.gammainc))(2.0, 1.0)
    with pytest.raises(ag.TraceAgError, match="zeta: the derivative in the exponent x"):
        ag.grad(tsp.zeta)(3.0, 2.0)
    with pytest.raises(ag.TraceAgError, match="jn: the order n must be an integer"):
        tsp.jn(1.5, 1.0)
    with pytest.raises(ag.TraceAgError, match="iv: the order must be a concrete scalar"):
        ag.grad(lambda v: tsp.iv(v, 1.0))(1.0)


def test_zeta_riemann_and_hurwitz_match_scipy():
    x = np.array([2.0, 3.5, 10.0])
    np.testing.assert_allclose(tsp.zeta(x), scipy_special.zeta(x), rtol=1e-14)
    np.testing.assert_allclose(tsp.zeta(x, 0.5), scipy_special.zeta(x, 0.5), rtol=1e-14)


# ---------------------------------------------------------------- errors


def test_polygamma_order_must_be_a_concrete_non_negative_integer():
    with pytest.raises(ag.TraceAgError, match="polygamma: the order n must be a concrete"):
        ag.grad(lambda n: tsp.polygamma(n, 1.0))(1.0)
    with pytest.raises(ag.TraceAgError, match="must be >= 0"):
        tsp.polygamma(-1, 1.0)
    with pytest.raises(ag.TraceAgError, match="must be an integer"):
        tsp.polygamma(1.5, 1.0)


def test_complex_arguments_are_refused():
    with pytest.raises(ag.TraceAgError, match="gammaln: complex arguments are not supported"):
        tsp.gammaln(np.array([1 + 1j]))


def test_binary_shapes_that_do_not_broadcast_are_named():
    with pytest.raises(ag.ShapeError, match=r"betaln.*\(2,\).*\(3,\)"):
        ag.jit(tsp.betaln)(np.ones(2), np.ones(3))


def test_missing_scipy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.special", None)
    with pytest.raises(ag.TraceAgError, match=r'pip install "trace-ag\[scipy\]"'):
        tsp.gammaln(np.array([1.5]))


# ---------------------------------------------------------------- betainc, erfcinv


def test_betainc_matches_scipy_and_jax_with_broadcasting_and_edges():
    a = np.array([[0.5], [1.0], [2.5], [30.0]])
    b = np.array([0.7, 1.0, 4.0, 0.0, -1.0])
    x = np.array([0.0, 1e-10, 0.3, 0.999, 1.0]).reshape(5, 1, 1)
    with np.errstate(all="ignore"):
        expected = scipy_special.betainc(a, b, x)
    for fn in (tsp.betainc, ag.jit(tsp.betainc)):
        np.testing.assert_allclose(fn(a, b, x), expected, rtol=1e-13, equal_nan=True)
    inside = np.array([0.05, 0.3, 0.999])
    np.testing.assert_allclose(
        ag.jit(tsp.betainc, backend="jax")(a[:, :, None], b[:3], inside),
        jsp.betainc(a[:, :, None], b[:3], inside),
        rtol=1e-10,
    )
    got32 = tsp.betainc(np.float32(2.0), np.float32(3.0), np.float32([0.25, 0.5]))
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, scipy_special.betainc(2.0, 3.0, [0.25, 0.5]), rtol=1e-6)
    with np.errstate(all="ignore"):
        outside = tsp.betainc(2.0, 3.0, np.array([-0.1, 1.1, NAN]))
    assert np.isnan(outside).all()


def test_betainc_slope_in_x_is_the_beta_density_and_shapes_raise():
    a, b = np.array([0.8, 2.0, 5.0]), np.array([1.5, 3.0, 0.9])
    x = np.array([0.2, 0.5, 0.9])
    slope = ag.vmap(ag.grad(tsp.betainc, argnums=2))(a, b, x)
    np.testing.assert_allclose(slope, scipy_stats_beta_pdf(x, a, b), rtol=1e-12)
    # the second derivative is the density's slope, pdf * ((a - 1) / x - (b - 1) / (1 - x))
    density_slope = scipy_stats_beta_pdf(0.4, 2.0, 3.0) * (1 / 0.4 - 2 / 0.6)
    np.testing.assert_allclose(
        ag.hessian(lambda v: tsp.betainc(2.0, 3.0, v))(0.4), density_slope, rtol=1e-12
    )
    for argnums in (0, 1):
        with pytest.raises(ag.TraceAgError, match="betainc: the derivatives in the shapes"):
            ag.grad(tsp.betainc, argnums=argnums)(2.0, 3.0, 0.5)
        with pytest.raises(ag.TraceAgError, match="betainc: the derivatives in the shapes"):
            ag.jvp(lambda s: tsp.betainc(s, s, 0.5), (2.0,), (1.0,))
    with pytest.raises(ag.ShapeError, match=r"betainc.*\(2,\).*\(3,\)"):
        ag.jit(tsp.betainc)(np.ones(2), np.ones(3), 0.5)


def scipy_stats_beta_pdf(x, a, b):
    import scipy.stats

    return scipy.stats.beta.pdf(x, a, b)


def test_erfcinv_inverts_erfc_with_scipys_slope():
    y = np.array([1e-200, 1e-5, 0.3, 1.0, 1.7, 2 - 1e-9])
    np.testing.assert_allclose(scipy_special.erfc(tsp.erfcinv(y)), y, rtol=1e-13)
    # d erfcinv(y) = -sqrt(pi) / 2 exp(erfcinv(y)**2), from the derivative of erfc
    expected = -np.sqrt(np.pi) / 2 * np.exp(scipy_special.erfcinv(y[1:]) ** 2)
    for grad in (
        ag.vmap(ag.grad(tsp.erfcinv)),
        ag.jit(ag.vmap(ag.grad(tsp.erfcinv)), backend="jax"),
    ):
        np.testing.assert_allclose(grad(y[1:]), expected, rtol=1e-9)


# ---------------------------------------------------------------- complex erf, erfc


def _jax_complex_oracle(scipy_fn, slope):
    """SciPy's complex kernel in JAX (a host callback) with the holomorphic derivative
    ``slope(z)``: what jax.scipy.special would give if it took complex arguments."""

    @jax.custom_jvp
    def f(z):
        def host(v):
            return np.asarray(scipy_fn(np.asarray(v)), np.asarray(v).dtype)

        return jax.pure_callback(
            host, jax.ShapeDtypeStruct(z.shape, z.dtype), z, vmap_method="broadcast_all"
        )

    @f.defjvp
    def _(primals, tangents):
        (z,), (t,) = primals, tangents
        return f(z), t * slope(z)

    return f


COMPLEX_ERFS = [
    ("erf", tsp.erf, scipy_special.erf, lambda z: 2 / jnp.sqrt(jnp.pi) * jnp.exp(-z * z)),
    ("erfc", tsp.erfc, scipy_special.erfc, lambda z: -2 / jnp.sqrt(jnp.pi) * jnp.exp(-z * z)),
]


@pytest.mark.parametrize("name, ours, theirs, slope", COMPLEX_ERFS, ids=["erf", "erfc"])
def test_complex_erf_and_erfc_match_scipy_with_holomorphic_derivatives(name, ours, theirs, slope):
    import trace_ag.numpy as tnp

    z = np.array([[0.4 + 0.1j, -1.2 + 0.3j, 2.5 - 1.5j], [0.0 + 0.0j, -0.3j, 3.0 + 0.0j]])
    for fn in (ours, ag.jit(ours), ag.jit(ours, backend="jax"), ag.vmap(ours)):
        np.testing.assert_allclose(fn(z), theirs(z), rtol=1e-13)
    z64 = z.astype(np.complex64)
    assert ours(z64).dtype == np.complex64
    np.testing.assert_allclose(ours(z64), theirs(z64), rtol=1e-6)
    oracle = _jax_complex_oracle(theirs, slope)
    t = np.full(z.shape, 0.5 - 1.5j)
    np.testing.assert_allclose(ag.jvp(ours, (z,), (t,))[1], jax.jvp(oracle, (z,), (t,))[1])

    def loss(v):
        return tnp.sum(tnp.abs(ours(v)) ** 2 + tnp.real(ours(v * v)))

    def jax_loss(v):
        return jnp.sum(jnp.abs(oracle(v)) ** 2 + jnp.real(oracle(v * v)))

    want = jax.grad(jax_loss)(z)
    for backend in ("numpy", "jax"):
        np.testing.assert_allclose(ag.jit(ag.grad(loss), backend=backend)(z), want, rtol=1e-12)
    np.testing.assert_allclose(
        ag.grad(lambda v: tnp.real(ours(v)), holomorphic=False)(z[0, 0]),
        jax.grad(lambda v: jnp.real(oracle(v)))(z[0, 0]),
        rtol=1e-12,
    )


# ---------------------------------------------------------------- more of jax.scipy.special

BREADTH_EDGES = {
    # name: (ours, scipy's, points); values follow SciPy (loggamma(0) = inf; JAX says nan)
    "loggamma": (tsp.loggamma, scipy_special.loggamma, [0.0, 1e-300, -0.5, -2.0, 0.5, 1e5, INF]),
    "exp1": (tsp.exp1, scipy_special.exp1, [0.0, 1e-300, 1e-5, 700.0, -1.0, INF, NAN]),
    "expi": (tsp.expi, scipy_special.expi, [0.0, -1e-5, 1e-5, -700.0, 700.0, -INF, NAN]),
    "expn(3)": (lambda x: tsp.expn(3, x), lambda x: scipy_special.expn(3, x),
                [0.0, 1e-5, 50.0, 700.0, -1.0, INF, NAN]),
    "dawsn": (tsp.dawsn, scipy_special.dawsn, [0.0, -3.0, 1e-300, 1e10, INF, -INF, NAN]),
    "spence": (tsp.spence, scipy_special.spence, [0.0, 1.0, 1e-300, 0.5, 2.0, 1e10, -1.0, NAN]),
    "si": (lambda x: tsp.sici(x)[0], lambda x: scipy_special.sici(x)[0],
           [0.0, -2.0, 1e-300, 1e5, INF, -INF, NAN]),
    "ci": (lambda x: tsp.sici(x)[1], lambda x: scipy_special.sici(x)[1],
           [0.0, 1e-300, 2.0, 1e5, INF, NAN]),
    "poch(., 2.5)": (lambda z: tsp.poch(z, 2.5), lambda z: scipy_special.poch(z, 2.5),
                     [0.0, -1.0, -2.5, 0.5, 100.0, NAN]),
    "boxcox(., 0)": (lambda x: tsp.boxcox(x, 0.0), lambda x: scipy_special.boxcox(x, 0.0),
                     [0.0, 1e-300, 1.0, 1e300, -1.0, INF]),
    "boxcox1p(., -0.5)": (lambda x: tsp.boxcox1p(x, -0.5),
                          lambda x: scipy_special.boxcox1p(x, -0.5),
                          [0.0, 1e-20, -1.0, 3.0, -2.0, INF]),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BREADTH_EDGES))
def test_more_special_functions_match_scipy_at_edges(name):
    ours, theirs, points = BREADTH_EDGES[name]
    x = np.asarray(points)
    with np.errstate(all="ignore"):
        expected = theirs(x)
        for value in (ours(x), ag.jit(ours)(x)):
            np.testing.assert_allclose(value, expected, rtol=1e-13, atol=0, equal_nan=True)
        x32 = x.astype(np.float32)
        got32 = ours(x32)
        assert got32.dtype == np.float32
        expected32 = np.asarray(theirs(x32), np.float32)
    np.testing.assert_allclose(got32, expected32, rtol=2e-6, atol=1e-30, equal_nan=True)


def test_more_special_derivatives_at_their_limits():
    # spence' = log(x) / (1 - x) -> -1 at x = 1 (JAX's derivative gives 0 there)
    np.testing.assert_allclose(ag.grad(tsp.spence)(1.0), -1.0)
    np.testing.assert_allclose(ag.grad(tsp.spence)(1.0 + 1e-6), -1.0, rtol=1e-6)
    # Si' = sin(x) / x -> 1 at 0
    np.testing.assert_allclose(ag.grad(lambda x: tsp.sici(x)[0])(0.0), 1.0)
    # boxcox at lmbda = 0: the limits log(x)**2 / 2 and log(x)**3 / 3 in lmbda, 1/x in x
    log_x = np.log(2.5)
    np.testing.assert_allclose(ag.grad(tsp.boxcox, argnums=1)(2.5, 0.0), log_x**2 / 2)
    second = ag.grad(ag.grad(tsp.boxcox, argnums=1), argnums=1)(2.5, 0.0)
    np.testing.assert_allclose(second, log_x**3 / 3)
    np.testing.assert_allclose(ag.grad(tsp.boxcox)(2.5, 0.0), 1 / 2.5)
    step = 1e-5  # the same numbers as central differences across lmbda = 0
    central = (tsp.boxcox(2.5, step) - tsp.boxcox(2.5, -step)) / (2 * step)
    np.testing.assert_allclose(ag.grad(tsp.boxcox, argnums=1)(2.5, 0.0), central, rtol=1e-9)
    np.testing.assert_allclose(ag.grad(tsp.boxcox1p, argnums=1)(1.5, 0.0), log_x**2 / 2)
    # d E_n / dx = -E_{n-1}, down to E_0 = exp(-x) / x
    x = np.array([0.3, 1.0, 4.0])
    for n in (0, 1, 3):
        slope = ag.vmap(ag.grad(lambda v, n=n: tsp.expn(n, v)))(x)
        expected = -scipy_special.expn(n - 1, x) if n else -np.exp(-x) * (1 / x + 1 / x**2)
        np.testing.assert_allclose(slope, expected, rtol=1e-12)
        ag.check_grads(lambda v, n=n: tsp.expn(n, v), (x,), order=2)
    # poch in both arguments against JAX, on both backends
    want = jax.grad(jsp.poch, argnums=(0, 1))(2.5, 1.5)
    for grad in (
        ag.grad(tsp.poch, argnums=(0, 1)),
        ag.jit(ag.grad(tsp.poch, argnums=(0, 1)), backend="jax"),
    ):
        np.testing.assert_allclose(grad(2.5, 1.5), want, rtol=1e-12)


def test_bessel_jn_and_bernoulli_match_jax_and_scipy():
    z = np.array([0.5, 2.0, 7.5])
    np.testing.assert_allclose(tsp.bessel_jn(z, v=3), jsp.bessel_jn(z, v=3), rtol=1e-10)
    np.testing.assert_allclose(
        ag.jit(lambda v: tsp.bessel_jn(v, v=3), backend="jax")(z),
        jsp.bessel_jn(z, v=3),
        rtol=1e-10,
    )
    jac = ag.vmap(ag.grad(lambda v: tsp.bessel_jn(v, v=2)[2]))(z)
    np.testing.assert_allclose(jac, scipy_special.jvp(2, z), rtol=1e-12)
    np.testing.assert_allclose(tsp.bernoulli(6), scipy_special.bernoulli(6), rtol=1e-15)
    np.testing.assert_allclose(tsp.bernoulli(6), jsp.bernoulli(6), rtol=1e-5)
    assert tsp.bernoulli(0).shape == (1,)
    with pytest.raises(ag.TraceAgError, match="bernoulli: n must be a concrete integer"):
        tsp.bernoulli(2.5)
    with pytest.raises(ag.TraceAgError, match="expn: the order n must be >= 0"):
        tsp.expn(-1, 1.0)
    with pytest.raises(ag.TraceAgError, match="expn"):
        tsp.expn(1.5, 1.0)
    with pytest.raises(ag.TraceAgError, match="loggamma: complex arguments"):
        tsp.loggamma(1j)


def test_owens_t_and_hyp1f1_match_scipy_and_jax():
    h = np.array([0.0, 1.0, -1.0, 3.0, INF, -2.0])
    a = np.array([1.0, -2.0, 0.5, 100.0, 1.0, 0.0])
    for fn in (tsp.owens_t, ag.jit(tsp.owens_t)):
        np.testing.assert_allclose(fn(h, a), scipy_special.owens_t(h, a), rtol=1e-13)
    want = jax.vmap(jax.grad(jsp.owens_t, argnums=(0, 1)))(h[:4], a[:4])
    got = ag.vmap(ag.grad(tsp.owens_t, argnums=(0, 1)))(h[:4], a[:4])
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-300)
    pa, pb = np.array([0.5, -2.0, 1.0, 3.0]), np.array([1.5, 3.0, 1.0, 0.5])
    x = np.array([0.7, -5.0, 30.0, -0.2])
    for fn in (tsp.hyp1f1, ag.jit(tsp.hyp1f1), ag.jit(tsp.hyp1f1, backend="jax")):
        np.testing.assert_allclose(fn(pa, pb, x), scipy_special.hyp1f1(pa, pb, x), rtol=1e-10)
    slope = ag.vmap(ag.grad(tsp.hyp1f1, argnums=2))(pa, pb, x)
    np.testing.assert_allclose(slope, pa / pb * scipy_special.hyp1f1(pa + 1, pb + 1, x), rtol=1e-12)
    ag.check_grads(lambda v: tsp.hyp1f1(0.5, 1.5, v), (x[:2],), order=2)
    with pytest.raises(ag.TraceAgError, match="hyp1f1: the derivatives in the parameters"):
        ag.grad(tsp.hyp1f1)(0.5, 1.5, 0.7)
