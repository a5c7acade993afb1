"""Spec rows: ``trace_ag.scipy.special`` against ``jax.scipy.special``.

Where a function's domain is not one of ``oracle.DOMAINS``, the row's function maps the drawn
values into it (the same map on both sides), e.g. ``ndtri((p + 1) / 2)``.
"""

from __future__ import annotations

import pytest
from oracle import Spec, broadcasting, one

import trace_ag.scipy.special as tsp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jsp = pytest.importorskip("jax.scipy.special")

R = Spec
rows: list[Spec] = []

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
    R("special.polygamma[3]", _polygamma, _jpolygamma, domain="positive", kwargs={"n": 3}),
]

BINARY = [
    ("betaln", tsp.betaln, jsp.betaln, ("positive", "positive"), 2),
    ("beta", tsp.beta, jsp.beta, ("positive", "positive"), 1),
    ("xlogy", tsp.xlogy, jsp.xlogy, ("real", "positive"), 2),
    ("xlog1py", tsp.xlog1py, jsp.xlog1py, ("real", "gt_m1"), 2),
]
rows += [
    R(f"special.{name}", f, r, arity=2, domain=dom, shapes=broadcasting(), order=order)
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
    R("special.logsumexp[keepdims]", tsp.logsumexp, jsp.logsumexp, shapes=_axis_of_rank,
      kwargs={"keepdims": True}),
    R("special.logsumexp[b]", lambda a, b: tsp.logsumexp(a, b=b),
      lambda a, b: jsp.logsumexp(a, b=b), arity=2, domain=("real", "positive"),
      shapes=broadcasting(2, min_dims=1), order=2),
    R("special.logsumexp[return_sign]", _lse_sign, _jlse_sign, arity=2,
      domain=("real", "nonzero"), shapes=lambda d: ([(4,), (4,)], {})),
    R("special.softmax", tsp.softmax, jsp.softmax, shapes=_axis_of_rank, order=2),
    R("special.log_softmax", tsp.log_softmax, jsp.log_softmax, shapes=_axis_of_rank),
    R("special.softmax[all axes]", tsp.softmax, lambda x: jsp.softmax(x, axis=None),
      shapes=one(1, 3)),
]  # fmt: skip

ROWS = rows
