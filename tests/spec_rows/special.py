"""Spec rows: ``trace_ag.scipy.special`` against ``jax.scipy.special``.

Where a function's domain is not one of ``oracle.DOMAINS``, the row's function maps the drawn
values into it (the same map on both sides), e.g. ``ndtri((p + 1) / 2)``.
"""

from __future__ import annotations

import numpy as np
import pytest
from oracle import Spec, broadcasting

import trace_ag.scipy.special as tsp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jsp = pytest.importorskip("jax.scipy.special")

R = Spec
rows: list[Spec] = []

# One shape per row (a broadcasting pair for binary ones): JAX compiles each new shape, and its
# special functions (igamma, zeta, betainc) take seconds to compile; the drawn values still vary
_ONE = lambda d: ([(2, 3)], {})  # noqa: E731
_PAIR = lambda d: ([(2, 3), (3,)], {})  # noqa: E731

UNARY = [
    # name, ours, jax's, domain, check_grads order
    ("gammaln", tsp.gammaln, jsp.gammaln, "frac", 2),
    ("digamma", tsp.digamma, jsp.digamma, "frac", 2),
    ("gamma", tsp.gamma, jsp.gamma, "frac", 2),
    ("erf", tsp.erf, jsp.erf, "real", 2),
    ("erfc", tsp.erfc, jsp.erfc, "real", 2),
    ("erfinv", tsp.erfinv, jsp.erfinv, "open_unit", 2),
    ("expit", tsp.expit, jsp.expit, "real", 2),
]
rows += [R(f"special.{name}", f, r, domain=dom, order=order) for name, f, r, dom, order in UNARY]

MAPPED = [
    # name, ours, jax's: each maps the drawn values into the function's domain itself
    ("ndtr", lambda x: tsp.ndtr(4 * x), lambda x: jsp.ndtr(4 * x)),
    ("ndtri", lambda x: tsp.ndtri(tsp.expit(4 * x)), lambda x: jsp.ndtri(jsp.expit(4 * x))),
    # JAX loses digits past x = 5 (SciPy is right there): the map keeps x in [-16, 4]
    ("log_ndtr", lambda x: tsp.log_ndtr(5 * x - 6), lambda x: jsp.log_ndtr(5 * x - 6)),
    ("logit", lambda p: tsp.logit((p + 1) / 2), lambda p: jsp.logit((p + 1) / 2)),
]
rows += [R(f"special.{name}", f, r, order=2) for name, f, r in MAPPED]
rows[-1].domain = "open_unit"  # logit's (p + 1) / 2 lies in (0.05, 0.95)


def _polygamma(x, *, n):
    return tsp.polygamma(n, x)


def _jpolygamma(x, *, n):
    return jsp.polygamma(n, x)


rows += [
    R("special.polygamma[1]", _polygamma, _jpolygamma, domain="positive", kwargs={"n": 1}, order=2),
]

BINARY = [
    ("betaln", tsp.betaln, jsp.betaln, ("positive", "positive"), 2),
    ("beta", tsp.beta, jsp.beta, ("positive", "positive"), 1),
    ("xlogy", tsp.xlogy, jsp.xlogy, ("real", "positive"), 2),
    ("xlog1py", tsp.xlog1py, jsp.xlog1py, ("real", "gt_m1"), 2),
]
rows += [
    R(f"special.{name}", f, r, arity=2, domain=dom, shapes=_PAIR, order=order)
    for name, f, r, dom, order in BINARY
]


def _axis_of_rank(d):
    shape = d.shape(1, 3)
    return [shape], {"axis": d.int(-len(shape), len(shape) - 1)}


def _lse_sign(a, b, **kw):
    return tsp.logsumexp(a, b=b, return_sign=True, **kw)


def _jlse_sign(a, b, **kw):
    return jsp.logsumexp(a, b=b, return_sign=True, **kw)


rows += [
    R("special.logsumexp", tsp.logsumexp, jsp.logsumexp, order=2),
    R("special.logsumexp[axis]", tsp.logsumexp, jsp.logsumexp, shapes=_axis_of_rank),
    R("special.logsumexp[b]", lambda a, b: tsp.logsumexp(a, b=b),
      lambda a, b: jsp.logsumexp(a, b=b), arity=2, domain=("real", "positive"),
      shapes=broadcasting(2, min_dims=1), order=2),
    R("special.logsumexp[return_sign]", _lse_sign, _jlse_sign, arity=2,
      domain=("real", "nonzero"), shapes=lambda d: ([(4,), (4,)], {})),
    R("special.softmax", tsp.softmax, jsp.softmax, shapes=_axis_of_rank, order=2),
    R("special.log_softmax", tsp.log_softmax, jsp.log_softmax, shapes=_axis_of_rank),
]  # fmt: skip


# ---------------------------------------------------------------- part two

UNARY_MORE = [
    ("erfcx", tsp.erfcx, jsp.erfcx, "real", 2),
    ("i0e", tsp.i0e, jsp.i0e, "real", 2),
    ("i1e", tsp.i1e, jsp.i1e, "real", 2),
    ("i0", tsp.i0, jsp.i0, "real", 1),
    ("i1", tsp.i1, jsp.i1, "real", 1),
    ("entr", tsp.entr, jsp.entr, "positive", 2),
    ("factorial", tsp.factorial, jsp.factorial, "positive", 1),
    ("rgamma", tsp.rgamma, lambda x: 1 / jsp.gamma(x), "frac", 1),  # JAX has no rgamma
]
rows += [
    R(f"special.{name}", f, r, domain=dom, order=order) for name, f, r, dom, order in UNARY_MORE
]
rows += [
    R("special.multigammaln[3]", lambda x: tsp.multigammaln(x * x + 1.5, 3),
      lambda x: jsp.multigammaln(x * x + 1.5, 3), order=2),
    R("special.zeta[q]", lambda q: tsp.zeta(3.0, q + 0.5), lambda q: jsp.zeta(3.0, q + 0.5),
      domain="positive", order=2),
]  # fmt: skip

BINARY_MORE = [
    ("gammainc", tsp.gammainc, jsp.gammainc, ("positive", "positive")),
    ("gammaincc", tsp.gammaincc, jsp.gammaincc, ("positive", "positive")),
    ("rel_entr", tsp.rel_entr, jsp.rel_entr, ("positive", "positive")),
    ("kl_div", tsp.kl_div, jsp.kl_div, ("positive", "positive")),
    # k in (0.3, 3) below N + 3: away from comb's cut to 0 at k > N
    ("comb", lambda n, k: tsp.comb(n + 3, k), lambda n, k: jsp.comb(n + 3, k),
     ("positive", "positive")),
]  # fmt: skip
rows += [
    R(f"special.{name}", f, r, arity=2, domain=dom, shapes=_PAIR) for name, f, r, dom in BINARY_MORE
]


def _grad_in_shape(f):
    """d/da of sum(f(a, x)) at a = 1.5 (a constant), as a function of x."""
    import trace_ag as ag
    import trace_ag.numpy as tnp

    return lambda x: ag.grad(lambda a: tnp.sum(f(a, x)))(np.full(np.shape(x), 1.5, x.dtype))


def _jax_gammainc_grad_a():
    # JAX's value (lax.igamma_grad_a); JAX cannot differentiate it, so its slope in x is given
    # here: d/dx of d/da P = (log x - digamma(a)) times the Gamma(a) density
    @jax.custom_jvp
    def grad_a(x):
        return jax.grad(lambda a: jnp.sum(jsp.gammainc(a, x)))(jnp.full(x.shape, 1.5, x.dtype))

    @grad_a.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        density = jnp.exp(0.5 * jnp.log(x) - x - jsp.gammaln(1.5))
        return grad_a(x), t * density * (jnp.log(x) - jsp.digamma(1.5))

    return grad_a


rows += [
    R("special.gammainc[d/da]", _grad_in_shape(tsp.gammainc), _jax_gammainc_grad_a(),
      domain="positive", grad_rtol=1e-5, f32_rtol=1e-3),
]  # fmt: skip

# ---------------------------------------------------------------- Bessel functions


def _scipy_ref(value, slope):
    """A JAX function for a Bessel function JAX lacks: SciPy's values and SciPy's derivative
    (``scipy.special.jvp`` and friends), through host callbacks."""
    import scipy.special as ss

    def call(fn, x):
        def host(v):
            return np.asarray(fn(ss, np.asarray(v)), np.asarray(v).dtype)

        shape = jax.ShapeDtypeStruct(x.shape, x.dtype)
        return jax.pure_callback(host, shape, x, vmap_method="broadcast_all")

    @jax.custom_jvp
    def f(x):
        return call(value, x)

    @f.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), t * call(slope, x)

    return f


def _ive_slope(v):
    return lambda ss, x: np.exp(-np.abs(x)) * (ss.ivp(v, x) - np.sign(x) * ss.iv(v, x))


BESSEL = [
    # name, ours, jax's (or SciPy's through a callback), domain
    # JAX's bessel_jn (a series) is nan in float32 and off near 0: SciPy is the oracle here;
    # tests/test_scipy_special.py compares with bessel_jn in float64 away from 0
    ("j0", tsp.j0, _scipy_ref(lambda ss, x: ss.j0(x), lambda ss, x: ss.jvp(0, x)), "real"),
    ("j1", tsp.j1, _scipy_ref(lambda ss, x: ss.j1(x), lambda ss, x: ss.jvp(1, x)), "real"),
    ("jn[3]", lambda x: tsp.jn(3, x),
     _scipy_ref(lambda ss, x: ss.jn(3, x), lambda ss, x: ss.jvp(3, x)), "real"),
    ("jv[2.5]", lambda x: tsp.jv(2.5, x),
     _scipy_ref(lambda ss, x: ss.jv(2.5, x), lambda ss, x: ss.jvp(2.5, x)), "positive"),
    ("y0", tsp.y0, _scipy_ref(lambda ss, x: ss.y0(x), lambda ss, x: ss.yvp(0, x)), "positive"),
    ("y1", tsp.y1, _scipy_ref(lambda ss, x: ss.y1(x), lambda ss, x: ss.yvp(1, x)), "positive"),
    ("yn[2]", lambda x: tsp.yn(2, x),
     _scipy_ref(lambda ss, x: ss.yn(2, x), lambda ss, x: ss.yvp(2, x)), "positive"),
    ("ive[2.5]", lambda x: tsp.ive(2.5, x),
     _scipy_ref(lambda ss, x: ss.ive(2.5, x), _ive_slope(2.5)), "positive"),
    ("iv[2]", lambda x: tsp.iv(2, x),
     _scipy_ref(lambda ss, x: ss.iv(2, x), lambda ss, x: ss.ivp(2, x)), "real"),
]  # fmt: skip
rows += [R(f"special.{name}", f, r, domain=dom) for name, f, r, dom in BESSEL]

# ---------------------------------------------------------------- betainc, gammasgn, erfcinv

# betainc is differentiable in x only (as JAX's): the shapes are constants of the row, which
# broadcast against the drawn x of shape (2, 3)
_BETA_A, _BETA_B = np.array([0.7, 2.0, 3.5]), np.array([[1.5], [0.6]])
rows += [
    R("special.betainc[x]",
      lambda u: tsp.betainc(_BETA_A.astype(u.dtype), _BETA_B.astype(u.dtype), (u + 1) / 2),
      lambda u: jsp.betainc(_BETA_A.astype(u.dtype), _BETA_B.astype(u.dtype), (u + 1) / 2),
      domain="open_unit", order=2,
      grad_rtol=1e-5, f32_rtol=1e-3),
    R("special.gammasgn", tsp.gammasgn, jsp.gammasgn, domain="frac"),
    # JAX has no erfcinv: the reference is SciPy's formula in JAX, erfcinv(y) = -ndtri(y/2)/sqrt 2
    R("special.erfcinv", lambda u: tsp.erfcinv(u + 1),
      lambda u: -jsp.ndtri((u + 1) / 2) / 2.0**0.5, domain="open_unit", order=2),
]  # fmt: skip

# ---------------------------------------------------------------- more of jax.scipy.special


def _jax_spence():
    # JAX's values; its own derivative is nan at some points (x near 1.5), so the slope
    # log(x) / (1 - x) is given here
    @jax.custom_jvp
    def spence(x):
        return jsp.spence(x)

    @spence.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return spence(x), t * jnp.log(x) / (1 - x)

    return spence


def _expn2(x):
    return tsp.expn(2, x)


def _jexpn2(x):
    return jsp.expn(2, x)


UNARY_BREADTH = [
    ("loggamma", tsp.loggamma, jsp.loggamma, "positive", 2),
    # JAX's exp1/expi take ~15 s to compile per row: SciPy's values and slopes through a
    # callback instead (the JAX lowering itself is still compared with the impl)
    (
        "exp1",
        tsp.exp1,
        _scipy_ref(lambda ss, x: ss.exp1(x), lambda ss, x: -np.exp(-x) / x),
        "positive",
        2,
    ),
    (
        "expi",
        tsp.expi,
        _scipy_ref(lambda ss, x: ss.expi(x), lambda ss, x: np.exp(x) / x),
        "nonzero",
        2,
    ),
    ("expn[2]", _expn2, _jexpn2, "positive", 2),
    ("dawsn", tsp.dawsn, jsp.dawsn, "real", 2),
    ("spence", tsp.spence, _jax_spence(), "positive", 2),
    ("sici.si", lambda x: tsp.sici(x)[0], lambda x: jsp.sici(x)[0], "real", 2),
    ("sici.ci", lambda x: tsp.sici(x)[1], lambda x: jsp.sici(x)[1], "positive", 2),
]
rows += [
    R(f"special.{name}", f, r, domain=dom, order=order) for name, f, r, dom, order in UNARY_BREADTH
]
rows += [
    R("special.poch", tsp.poch, jsp.poch, arity=2, domain=("positive", "positive"),
      shapes=_PAIR, order=2),
    R("special.boxcox", tsp.boxcox, jsp.boxcox, arity=2, domain=("positive", "nonzero"),
      shapes=_PAIR, order=2),
    R("special.boxcox1p", tsp.boxcox1p, jsp.boxcox1p, arity=2, domain=("gt_m1", "nonzero"),
      shapes=_PAIR, order=2),
]  # fmt: skip

_HYP_A, _HYP_B = np.array([0.5, -1.5, 2.0]), np.array([[1.5], [3.0]])
rows += [
    # JAX's owens_t computes float32 arguments in float64: cast back (ours keeps float32)
    R("special.owens_t", tsp.owens_t, lambda h, a: jsp.owens_t(h, a).astype(h.dtype),
      arity=2, domain=("real", "real"),
      shapes=_PAIR, order=2),
    # differentiable in x only: the parameters are constants of the row
    R("special.hyp1f1[x]",
      lambda x: tsp.hyp1f1(_HYP_A.astype(x.dtype), _HYP_B.astype(x.dtype), x),
      lambda x: jsp.hyp1f1(_HYP_A.astype(x.dtype), _HYP_B.astype(x.dtype), x), order=2),
]  # fmt: skip

for row in rows:
    if row.shapes is None:
        row.shapes = _ONE
ROWS = rows
