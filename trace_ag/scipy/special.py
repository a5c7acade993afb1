"""``trace_ag.scipy.special``: SciPy's special functions, traceable (like ``jax.scipy.special``).

Values are SciPy's: the kernels are ``scipy.special``'s (the primitives of
``trace_ag.primitives.special``, with SciPy imported lazily); derivatives are JAX's, including
its conventions at edge points (``xlogy(0, 0) = 0`` with ``jax.grad``'s ``-inf``/``nan`` there,
``logsumexp`` of ``-inf``). Functions with a simple formula are composites of those primitives
and ``trace_ag.numpy``, so every transform (grad, jvp, vmap, jit on both backends) reaches them.

Integer and boolean arguments are computed in float, as NumPy would; complex arguments are
refused.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag import nn as _nn
from trace_ag import numpy as tnp
from trace_ag.core import Tracer
from trace_ag.custom import custom_jvp
from trace_ag.numpy._base import promote_float
from trace_ag.primitives import special as sp

__all__ = [
    "bernoulli",
    "bessel_jn",
    "beta",
    "betainc",
    "betaln",
    "boxcox",
    "boxcox1p",
    "comb",
    "dawsn",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcinv",
    "erfcx",
    "erfinv",
    "exp1",
    "expi",
    "expit",
    "expn",
    "factorial",
    "gamma",
    "gammainc",
    "gammaincc",
    "gammaln",
    "gammasgn",
    "hyp1f1",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "iv",
    "ive",
    "j0",
    "j1",
    "jn",
    "jv",
    "kl_div",
    "log_ndtr",
    "log_softmax",
    "loggamma",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "owens_t",
    "poch",
    "polygamma",
    "psi",
    "rel_entr",
    "rgamma",
    "sici",
    "softmax",
    "spence",
    "xlog1py",
    "xlogy",
    "y0",
    "y1",
    "yn",
    "yv",
    "zeta",
]


def _real(fn: str, *args: Any) -> list:
    """The arguments in their common float dtype; complex ones are refused."""
    args = promote_float(*args)
    dtype = np.dtype(getattr(args[0], "dtype", np.float64))
    if np.issubdtype(dtype, np.complexfloating):
        raise errors.TraceAgError(f"{fn}: complex arguments are not supported (got {dtype})")
    return args


# ---------------------------------------------------------------- the gamma family


def gammaln(x: Any) -> Any:
    """``log|Gamma(x)|``, as ``scipy.special.gammaln`` (``inf`` at 0 and the negative integers).

    Examples:
        >>> from trace_ag.scipy.special import gammaln
        >>> print(gammaln(np.array([1.0, 5.0, 0.5])).round(6))
        [0.       3.178054 0.572365]
        >>> print(round(float(ag.grad(gammaln)(1.0)), 6))  # digamma(1) = -Euler's gamma
        -0.577216
    """
    (x,) = _real("gammaln", x)
    return sp.gammaln.bind(x)


def digamma(x: Any) -> Any:
    """``psi(x) = d/dx log Gamma(x)``, as ``scipy.special.digamma``.

    Examples:
        >>> from trace_ag.scipy.special import digamma
        >>> print(digamma(np.array([1.0, 2.0])).round(6))
        [-0.577216  0.422784]
    """
    (x,) = _real("digamma", x)
    return sp.digamma.bind(x)


psi = digamma


def _static_orders(n: Any) -> np.ndarray:
    if isinstance(n, Tracer):
        raise errors.TraceAgError(
            "polygamma: the order n must be a concrete integer (or integer array), not a traced "
            "value; pass it as a static argument"
        )
    return np.asarray(n)


def polygamma(n: Any, x: Any) -> Any:
    """The ``n``-th derivative of ``digamma``, as ``scipy.special.polygamma``; ``n`` is a
    concrete non-negative integer or an array of them (broadcast against ``x``), and is not
    differentiated.

    Examples:
        >>> from trace_ag.scipy.special import polygamma
        >>> print(round(float(polygamma(1, 1.0)), 6))  # pi**2 / 6
        1.644934
    """
    orders = _static_orders(n)
    (x,) = _real("polygamma", x)
    if orders.dtype.kind not in "iub" and not np.all(orders == np.round(orders)):
        raise errors.TraceAgError(f"polygamma: the order n must be an integer, got {n!r}")
    if np.any(orders < 0):
        raise errors.TraceAgError(f"polygamma: the order n must be >= 0, got {n!r}")
    if orders.ndim == 0:
        return _polygamma_of_order(int(orders), x)
    out = None
    for k in np.unique(orders):
        value = tnp.where(orders == k, _polygamma_of_order(int(k), x), 0)
        out = value if out is None else out + value
    return tnp.astype(out, x.dtype)


def _polygamma_of_order(n: int, x: Any) -> Any:
    return sp.digamma.bind(x) if n == 0 else sp.polygamma.bind(x, n=n)


def gamma(x: Any) -> Any:
    """The gamma function, as ``scipy.special.gamma`` (``±inf`` at ``±0``, ``nan`` at the
    negative integers).

    Examples:
        >>> from trace_ag.scipy.special import gamma
        >>> print(gamma(np.array([5.0, 0.5])).round(6))
        [24.        1.772454]
    """
    (x,) = _real("gamma", x)
    return sp.gamma.bind(x)


def betaln(a: Any, b: Any) -> Any:
    """``log|B(a, b)|``, as ``scipy.special.betaln``.

    Examples:
        >>> from trace_ag.scipy.special import betaln
        >>> print(round(float(betaln(2.0, 3.0)), 6))  # log(1 / 12)
        -2.484907
    """
    a, b = _real("betaln", a, b)
    return sp.betaln.bind(a, b)


def beta(a: Any, b: Any) -> Any:
    """The beta function ``Gamma(a) Gamma(b) / Gamma(a + b)`` for positive arguments, from
    ``betaln`` (as ``jax.scipy.special.beta``; the sign of negative arguments is not kept).

    Examples:
        >>> from trace_ag.scipy.special import beta
        >>> print(round(float(beta(2.0, 3.0)), 6))
        0.083333
    """
    a, b = _real("beta", a, b)
    return tnp.exp(sp.betaln.bind(a, b))


# ---------------------------------------------------------------- error function and normal


def erf(x: Any) -> Any:
    """The error function, as ``scipy.special.erf``; for complex ``z`` too (SciPy's kernel;
    the JAX backend calls it back, as ``jax.scipy.special.erf`` is real only), with the
    holomorphic derivative ``2 / sqrt(pi) exp(-z**2)``.

    Examples:
        >>> from trace_ag.scipy.special import erf
        >>> print(erf(np.array([0.0, 0.5, -np.inf])).round(6))
        [ 0.      0.5205 -1.    ]
        >>> print(np.round(erf(1 + 1j), 6))
        (1.316151+0.190453j)
    """
    (x,) = promote_float(x)
    return sp.erf.bind(x)


def erfc(x: Any) -> Any:
    """``1 - erf(x)``, accurate in the right tail, as ``scipy.special.erfc``; complex ``z``
    as for :func:`erf`.

    Examples:
        >>> from trace_ag.scipy.special import erfc
        >>> print(float(erfc(10.0)))
        2.0884875837625446e-45
    """
    (x,) = promote_float(x)
    return sp.erfc.bind(x)


def erfinv(x: Any) -> Any:
    """The inverse of ``erf`` on ``[-1, 1]`` (``±inf`` at ``±1``), as ``scipy.special.erfinv``.

    Examples:
        >>> from trace_ag.scipy.special import erfinv
        >>> print(erfinv(np.array([0.0, 0.5, 1.0])).round(6))
        [0.       0.476936      inf]
    """
    (x,) = _real("erfinv", x)
    return sp.erfinv.bind(x)


def erfcinv(y: Any) -> Any:
    """The inverse of ``erfc`` on ``[0, 2]`` (``inf`` at 0, ``-inf`` at 2, nan outside), as
    ``scipy.special.erfcinv``: ``-ndtri(y / 2) / sqrt(2)``, accurate near 0 where
    ``erfinv(1 - y)`` would lose every digit. (JAX has no ``erfcinv``.)

    Examples:
        >>> from trace_ag.scipy.special import erfcinv
        >>> print(erfcinv(np.array([1e-300, 0.5, 1.0, 2.0])).round(6))
        [26.20947   0.476936 -0.            -inf]
    """
    (y,) = _real("erfcinv", y)
    return -sp.ndtri.bind(y * 0.5) * (1 / math.sqrt(2.0))


def ndtr(x: Any) -> Any:
    """The standard normal CDF, as ``scipy.special.ndtr``: from ``erf`` near 0 and ``erfc`` in
    the tails, where ``1 + erf`` would lose every digit.

    Examples:
        >>> from trace_ag.scipy.special import ndtr
        >>> print(ndtr(np.array([0.0, 1.0, -10.0])))
        [5.00000000e-01 8.41344746e-01 7.61985302e-24]
    """
    (x,) = _real("ndtr", x)
    z = x * (1 / math.sqrt(2.0))
    near = 1 + sp.erf.bind(z)
    tail = tnp.where(z > 0, 2 - sp.erfc.bind(z), sp.erfc.bind(-z))
    return 0.5 * tnp.where(tnp.abs(z) < 1 / math.sqrt(2.0), near, tail)


def ndtri(p: Any) -> Any:
    """The inverse of ``ndtr`` on ``[0, 1]``, as ``scipy.special.ndtri``.

    Examples:
        >>> from trace_ag.scipy.special import ndtri
        >>> print(ndtri(np.array([0.5, 0.975, 0.0])).round(6))
        [0.       1.959964     -inf]
    """
    (p,) = _real("ndtri", p)
    return sp.ndtri.bind(p)


def log_ndtr(x: Any) -> Any:
    """``log(ndtr(x))``, accurate far in the left tail, as ``scipy.special.log_ndtr``.

    Examples:
        >>> from trace_ag.scipy.special import log_ndtr
        >>> print(log_ndtr(np.array([0.0, -40.0])).round(4).tolist())
        [-0.6931, -804.6084]
    """
    (x,) = _real("log_ndtr", x)
    return sp.log_ndtr.bind(x)


# ---------------------------------------------------------------- logs and the logistic


def xlogy(x: Any, y: Any) -> Any:
    """``x * log(y)``, 0 where ``x == 0`` (unless ``y`` is nan), as ``scipy.special.xlogy``;
    derivatives are JAX's (those of ``x * log(y)``).

    Examples:
        >>> from trace_ag.scipy.special import xlogy
        >>> print(xlogy(np.array([0.0, 2.0]), np.array([0.0, np.e])))
        [0. 2.]
    """
    x, y = _real("xlogy", x, y)
    return sp.xlogy.bind(x, y)


def xlog1py(x: Any, y: Any) -> Any:
    """``x * log1p(y)``, 0 where ``x == 0`` (unless ``y`` is nan), as
    ``scipy.special.xlog1py``.

    Examples:
        >>> from trace_ag.scipy.special import xlog1py
        >>> print(xlog1py(np.array([0.0, 2.0]), np.array([-1.0, np.e - 1])))
        [0. 2.]
    """
    x, y = _real("xlog1py", x, y)
    return sp.xlog1py.bind(x, y)


def expit(x: Any) -> Any:
    """The logistic sigmoid ``1 / (1 + exp(-x))``, as ``scipy.special.expit``.

    Examples:
        >>> from trace_ag.scipy.special import expit
        >>> print(expit(np.array([0.0, -800.0])))
        [0.5 0. ]
    """
    (x,) = _real("expit", x)
    return tnp.sigmoid(x)


def logit(p: Any) -> Any:
    """``log(p / (1 - p))``, the inverse of ``expit``, as ``scipy.special.logit``.

    Examples:
        >>> from trace_ag.scipy.special import logit
        >>> print(logit(np.array([0.5, 0.0, 1.0])))
        [  0. -inf  inf]
    """
    (p,) = _real("logit", p)
    return sp.logit.bind(p)


def logsumexp(
    a: Any,
    axis: int | tuple[int, ...] | None = None,
    b: Any = None,
    keepdims: bool = False,
    return_sign: bool = False,
) -> Any:
    """``log(sum(b * exp(a)))`` over ``axis`` without overflow, as
    ``scipy.special.logsumexp``; with ``return_sign=True`` also the sign of the sum (then a
    negative sum is allowed), otherwise a negative sum gives nan.

    Examples:
        >>> from trace_ag.scipy.special import logsumexp
        >>> print(round(float(logsumexp(np.array([1e4, 1e4]))) - 1e4, 6))
        0.693147
        >>> value, sign = logsumexp(np.array([0.0, 1.0]), b=np.array([1.0, -1.0]), return_sign=True)
        >>> print(round(float(value), 6), float(sign))
        0.541325 -1.0
    """
    if b is None:
        (a,) = _real("logsumexp", a)
    else:
        a, b = _real("logsumexp", a, b)
    return _nn.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)


def softmax(x: Any, axis: int | tuple[int, ...] | None = None) -> Any:
    """``exp(x) / sum(exp(x))`` over ``axis`` (all axes by default, as ``scipy.special``).

    Examples:
        >>> from trace_ag.scipy.special import softmax
        >>> print(softmax(np.array([0.0, np.log(3.0)])))
        [0.25 0.75]
    """
    (x,) = _real("softmax", x)
    return _nn.softmax(x, axis=tuple(range(np.ndim(x))) if axis is None else axis)


def log_softmax(x: Any, axis: int | tuple[int, ...] | None = None) -> Any:
    """``x - logsumexp(x)`` over ``axis`` (all axes by default, as ``scipy.special``).

    Examples:
        >>> from trace_ag.scipy.special import log_softmax
        >>> print(log_softmax(np.array([0.0, np.log(3.0)])).round(6))
        [-1.386294 -0.287682]
    """
    (x,) = _real("log_softmax", x)
    return _nn.log_softmax(x, axis=tuple(range(np.ndim(x))) if axis is None else axis)


# ---------------------------------------------------------------- more gamma: rgamma, factorial


def _gamma_sign(x: Any) -> Any:
    """The sign of Gamma(x): +1 for x > 0; for x < 0, -1 on (-1, 0), +1 on (-2, -1), ..."""
    odd = tnp.remainder(tnp.floor(x), 2) == 1
    return tnp.where((x > 0) | ~odd, 1.0, -1.0).astype(x.dtype)


def gammasgn(x: Any) -> Any:
    """The sign of ``Gamma(x)``, as ``scipy.special.gammasgn``: ``+1`` for ``x > 0`` (and
    ``+0``, ``inf``), ``-1`` at ``-0``, alternating on the intervals between the negative
    integers, nan at the negative integers, ``-inf`` and nan. Its derivative is 0 (as JAX's).

    Examples:
        >>> from trace_ag.scipy.special import gammasgn
        >>> print(gammasgn(np.array([2.5, -0.5, -1.5, -2.0, -0.0])))
        [ 1. -1.  1. nan -1.]
    """
    (x,) = _real("gammasgn", x)
    at_zero = tnp.copysign(tnp.ones_like(x), x)
    finite = tnp.where(tnp.isfinite(x), x, 1.0)  # inf's sign is +1; -inf is a pole below
    sign = tnp.where(x == 0, at_zero, _gamma_sign(finite))
    pole = (x < 0) & (tnp.floor(x) == x)  # the negative integers and -inf
    return tnp.where(pole | tnp.isnan(x), np.nan, sign).astype(x.dtype)


def rgamma(x: Any) -> Any:
    """``1 / Gamma(x)``, 0 at the poles of Gamma (0 and the negative integers), as
    ``scipy.special.rgamma``. Its derivative ``-rgamma(x) digamma(x)`` is nan at the poles.

    Examples:
        >>> from trace_ag.scipy.special import rgamma
        >>> print(rgamma(np.array([1.0, 4.0, 0.0, -2.0])).round(6))
        [1.       0.166667 0.       0.      ]
    """
    (x,) = _real("rgamma", x)
    return _gamma_sign(x) * tnp.exp(-sp.gammaln.bind(x))


def multigammaln(a: Any, d: int) -> Any:
    """The log of the multivariate gamma function of dimension ``d`` (a concrete integer),
    ``d (d - 1) / 4 log(pi) + sum_j gammaln(a - j / 2)``, as ``scipy.special.multigammaln``.

    Examples:
        >>> from trace_ag.scipy.special import multigammaln
        >>> print(round(float(multigammaln(3.0, 2)), 6))
        1.550195
    """
    if isinstance(d, Tracer) or int(d) != d or d < 1:
        raise errors.TraceAgError(f"multigammaln: d must be a concrete integer >= 1, got {d!r}")
    (a,) = _real("multigammaln", a)
    d = int(d)
    total = sum(sp.gammaln.bind(a - j / 2) for j in range(d))
    return total + d * (d - 1) / 4 * math.log(math.pi)


def factorial(n: Any, exact: bool = False) -> Any:
    """``n!`` as ``Gamma(n + 1)`` in float, 0 for negative ``n``, as
    ``jax.scipy.special.factorial`` (only ``exact=False``).

    Examples:
        >>> from trace_ag.scipy.special import factorial
        >>> print(factorial(np.array([0, 4, -1])))
        [ 1. 24.  0.]
    """
    if exact:
        raise errors.TraceAgError("factorial: exact=True (Python integers) is not supported")
    (n,) = _real("factorial", n)
    return tnp.where(n < 0, 0.0, tnp.exp(sp.gammaln.bind(n + 1))).astype(n.dtype)


def comb(N: Any, k: Any, exact: bool = False, repetition: bool = False) -> Any:
    """The binomial coefficient "N choose k" in float, from ``gammaln``; 0 where ``k > N``,
    ``N < 0`` or ``k < 0`` (with ``repetition``, "N multichoose k"), as
    ``jax.scipy.special.comb`` (only ``exact=False``).

    Examples:
        >>> from trace_ag.scipy.special import comb
        >>> print(comb(np.array([5.0, 5.0, 3.0]), np.array([2.0, 0.0, 4.0])).round(6))
        [10.  1.  0.]
    """
    if exact:
        raise errors.TraceAgError("comb: exact=True (Python integers) is not supported")
    N, k = _real("comb", N, k)
    if repetition:
        return tnp.where((k == 0) & (N >= 0), 1.0, comb(N + k - 1, k)).astype(N.dtype)
    valid = (k <= N) & (N >= 0) & (k >= 0)
    safe_n, safe_k = tnp.where(valid, N, 0.0), tnp.where(valid, k, 0.0)
    log_comb = (
        sp.gammaln.bind(safe_n + 1)
        - sp.gammaln.bind(safe_k + 1)
        - sp.gammaln.bind(safe_n - safe_k + 1)
    )
    return tnp.where(valid, tnp.exp(log_comb), 0.0).astype(N.dtype)


# ---------------------------------------------------------------- incomplete gamma, zeta, erfcx


def gammainc(a: Any, x: Any) -> Any:
    """The regularized lower incomplete gamma function ``P(a, x)``, as
    ``scipy.special.gammainc``; differentiable in ``x`` and (once) in ``a``.

    Examples:
        >>> from trace_ag.scipy.special import gammainc
        >>> print(round(float(gammainc(1.0, 2.0)), 6))  # 1 - exp(-2)
        0.864665
    """
    a, x = _real("gammainc", a, x)
    return sp.igamma.bind(a, x)


def gammaincc(a: Any, x: Any) -> Any:
    """``Q(a, x) = 1 - P(a, x)``, accurate where ``P`` is near 1, as
    ``scipy.special.gammaincc``.

    Examples:
        >>> from trace_ag.scipy.special import gammaincc
        >>> print(round(float(gammaincc(1.0, 2.0)), 6))  # exp(-2)
        0.135335
    """
    a, x = _real("gammaincc", a, x)
    return sp.igammac.bind(a, x)


def betainc(a: Any, b: Any, x: Any) -> Any:
    """The regularized incomplete beta function ``I_x(a, b)``, the CDF of Beta(a, b) at ``x``,
    as ``scipy.special.betainc`` (nan for ``x`` outside ``[0, 1]``). Differentiable in ``x``
    only, as in JAX: a derivative in ``a`` or ``b`` raises.

    Examples:
        >>> from trace_ag.scipy.special import betainc
        >>> print(round(float(betainc(2.0, 3.0, 0.5)), 6))
        0.6875
        >>> print(round(float(ag.grad(betainc, argnums=2)(2.0, 3.0, 0.5)), 6))  # the density
        1.5
    """
    a, b, x = _real("betainc", a, b, x)
    return sp.betainc.bind(a, b, x)


def zeta(x: Any, q: Any = None) -> Any:
    """The Hurwitz zeta function ``sum_k (k + q)**-x`` (the Riemann one for ``q=None``), as
    ``scipy.special.zeta``; differentiable in ``q`` only.

    Examples:
        >>> from trace_ag.scipy.special import zeta
        >>> print(round(float(zeta(2.0, 1.0)), 6))  # pi**2 / 6
        1.644934
    """
    if q is None:
        q = 1.0
    x, q = _real("zeta", x, q)
    return sp.zeta.bind(x, q)


def erfcx(x: Any) -> Any:
    """The scaled complementary error function ``exp(x**2) erfc(x)``, as
    ``scipy.special.erfcx``.

    Examples:
        >>> from trace_ag.scipy.special import erfcx
        >>> print(erfcx(np.array([0.0, 30.0])).round(6))
        [1.       0.018796]
    """
    (x,) = _real("erfcx", x)
    return sp.erfcx.bind(x)


# ---------------------------------------------------------------- entropies


@custom_jvp
def _xlogx(x: Any) -> Any:
    return sp.xlogy.bind(x, x)


@_xlogx.defjvp
def _xlogx_jvp(primals, tangents):
    # JAX's rule: log(x) + 1 (so entr'(0) = inf, not the nan of the product rule)
    (x,), (t,) = primals, tangents
    return _xlogx(x), t * (tnp.log(x) + 1)


def entr(x: Any) -> Any:
    """``-x log(x)`` for ``x >= 0`` (0 at 0), ``-inf`` below, as ``scipy.special.entr``.

    Examples:
        >>> from trace_ag.scipy.special import entr
        >>> print(entr(np.array([0.0, 0.5, -1.0])).round(6))
        [0.       0.346574     -inf]
    """
    (x,) = _real("entr", x)
    return tnp.where(x < 0, -np.inf, 0.0 - _xlogx(x))  # 0.0 - : entr(0) is +0


def rel_entr(p: Any, q: Any) -> Any:
    """``p log(p / q)`` for positive ``p`` and ``q``, 0 where ``p == 0 <= q``, ``inf``
    elsewhere, as ``scipy.special.rel_entr``.

    Examples:
        >>> from trace_ag.scipy.special import rel_entr
        >>> print(rel_entr(np.array([1.0, 0.0, 1.0]), np.array([0.5, 1.0, 0.0])).round(6))
        [0.693147 0.            inf]
    """
    p, q = _real("rel_entr", p, q)
    positive = (p > 0) & (q > 0)
    safe_p, safe_q = tnp.where(positive, p, 1.0), tnp.where(positive, q, 1.0)
    inner = _xlogx(safe_p) - sp.xlogy.bind(safe_p, safe_q)
    zero, inf = p.dtype.type(0), p.dtype.type(np.inf)
    return tnp.where(positive, inner, tnp.where((p == 0) & (q >= 0), zero, inf))


def kl_div(p: Any, q: Any) -> Any:
    """``p log(p / q) - p + q`` (``rel_entr(p, q) - p + q``), as ``scipy.special.kl_div``.

    Examples:
        >>> from trace_ag.scipy.special import kl_div
        >>> print(kl_div(np.array([1.0, 0.0]), np.array([0.5, 2.0])).round(6))
        [0.193147 2.      ]
    """
    p, q = _real("kl_div", p, q)
    return rel_entr(p, q) - p + q


# ---------------------------------------------------------------- Bessel functions


def i0e(x: Any) -> Any:
    """The exponentially scaled modified Bessel function ``exp(-|x|) I0(x)``, as
    ``scipy.special.i0e``.

    Examples:
        >>> from trace_ag.scipy.special import i0e
        >>> print(i0e(np.array([0.0, 1.0])).round(6))
        [1.      0.46576]
    """
    (x,) = _real("i0e", x)
    return sp.bessel_i0e.bind(x)


def i1e(x: Any) -> Any:
    """``exp(-|x|) I1(x)``, as ``scipy.special.i1e``.

    Examples:
        >>> from trace_ag.scipy.special import i1e
        >>> print(i1e(np.array([0.0, 1.0])).round(6))
        [0.      0.20791]
    """
    (x,) = _real("i1e", x)
    return sp.bessel_i1e.bind(x)


def i0(x: Any) -> Any:
    """The modified Bessel function ``I0``, as ``scipy.special.i0``.

    Examples:
        >>> from trace_ag.scipy.special import i0
        >>> print(round(float(i0(1.0)), 6))
        1.266066
    """
    (x,) = _real("i0", x)
    return tnp.exp(tnp.abs(x)) * sp.bessel_i0e.bind(x)


def i1(x: Any) -> Any:
    """The modified Bessel function ``I1``, as ``scipy.special.i1``.

    Examples:
        >>> from trace_ag.scipy.special import i1
        >>> print(round(float(i1(1.0)), 6))
        0.565159
    """
    (x,) = _real("i1", x)
    return tnp.exp(tnp.abs(x)) * sp.bessel_i1e.bind(x)


def _static_order(fn: str, v: Any, integer: bool = False) -> float:
    if isinstance(v, Tracer) or np.ndim(v) != 0:
        raise errors.TraceAgError(
            f"{fn}: the order must be a concrete scalar (it is static and not differentiated)"
        )
    if integer and float(v) != int(v):
        raise errors.TraceAgError(f"{fn}: the order n must be an integer, got {v!r}")
    return int(v) if float(v).is_integer() else float(v)


def ive(v: Any, x: Any) -> Any:
    """``exp(-|x|) I_v(x)`` of a concrete real order ``v``, as ``scipy.special.ive``.

    Examples:
        >>> from trace_ag.scipy.special import ive
        >>> print(round(float(ive(2, 1.0)), 6))
        0.049939
    """
    v = _static_order("ive", v)
    (x,) = _real("ive", x)
    if v in (0, 1):  # the dedicated kernels, which JAX has too
        return (sp.bessel_i0e if v == 0 else sp.bessel_i1e).bind(x)
    return sp.bessel_ive.bind(x, v=v)


def iv(v: Any, x: Any) -> Any:
    """The modified Bessel function ``I_v`` of a concrete real order ``v``, as
    ``scipy.special.iv``.

    Examples:
        >>> from trace_ag.scipy.special import iv
        >>> print(round(float(iv(2, 1.0)), 6))
        0.135748
    """
    v = _static_order("iv", v)
    (x,) = _real("iv", x)
    return tnp.exp(tnp.abs(x)) * ive(v, x)


def jv(v: Any, x: Any) -> Any:
    """The Bessel function of the first kind ``J_v`` of a concrete real order ``v``, as
    ``scipy.special.jv``.

    Examples:
        >>> from trace_ag.scipy.special import jv
        >>> print(round(float(jv(2.5, 1.0)), 6))
        0.049497
    """
    v = _static_order("jv", v)
    (x,) = _real("jv", x)
    return sp.bessel_jv.bind(x, v=v)


def yv(v: Any, x: Any) -> Any:
    """The Bessel function of the second kind ``Y_v`` of a concrete real order ``v``, as
    ``scipy.special.yv``.

    Examples:
        >>> from trace_ag.scipy.special import yv
        >>> print(round(float(yv(0.5, 1.0)), 6))
        -0.431099
    """
    v = _static_order("yv", v)
    (x,) = _real("yv", x)
    return sp.bessel_yv.bind(x, v=v)


def jn(n: int, x: Any) -> Any:
    """``J_n`` of a concrete integer order ``n``, as ``scipy.special.jn``.

    Examples:
        >>> from trace_ag.scipy.special import jn
        >>> print(round(float(jn(2, 1.0)), 6))
        0.114903
    """
    return jv(_static_order("jn", n, integer=True), x)


def yn(n: int, x: Any) -> Any:
    """``Y_n`` of a concrete integer order ``n``, as ``scipy.special.yn``.

    Examples:
        >>> from trace_ag.scipy.special import yn
        >>> print(round(float(yn(2, 1.0)), 6))
        -1.650683
    """
    return yv(_static_order("yn", n, integer=True), x)


def j0(x: Any) -> Any:
    """``J_0``, as ``scipy.special.j0``.

    Examples:
        >>> from trace_ag.scipy.special import j0
        >>> print(round(float(j0(1.0)), 6))
        0.765198
    """
    return jv(0, x)


def j1(x: Any) -> Any:
    """``J_1``, as ``scipy.special.j1``.

    Examples:
        >>> from trace_ag.scipy.special import j1
        >>> print(round(float(j1(1.0)), 6))
        0.440051
    """
    return jv(1, x)


def y0(x: Any) -> Any:
    """``Y_0``, as ``scipy.special.y0``.

    Examples:
        >>> from trace_ag.scipy.special import y0
        >>> print(round(float(y0(1.0)), 6))
        0.088257
    """
    return yv(0, x)


def y1(x: Any) -> Any:
    """``Y_1``, as ``scipy.special.y1``.

    Examples:
        >>> from trace_ag.scipy.special import y1
        >>> print(round(float(y1(1.0)), 6))
        -0.781213
    """
    return yv(1, x)


# ---------------------------------------------------------------- more of jax.scipy.special


def loggamma(x: Any) -> Any:
    """The principal branch of ``log Gamma`` for real ``x``, as ``scipy.special.loggamma``:
    ``gammaln(x)`` for ``x >= 0`` (``inf`` at 0), nan below 0, where Gamma can be negative.
    Complex arguments are refused.

    Examples:
        >>> from trace_ag.scipy.special import loggamma
        >>> print(loggamma(np.array([0.5, 3.0, -1.5])).round(6))
        [0.572365 0.693147      nan]
    """
    (x,) = _real("loggamma", x)
    return tnp.where(x < 0, np.nan, sp.gammaln.bind(x))


def poch(z: Any, m: Any) -> Any:
    """The Pochhammer symbol ``Gamma(z + m) / Gamma(z)`` (the rising factorial), as
    ``scipy.special.poch``; derivatives ``poch (digamma(z + m) - digamma(z))`` in ``z`` and
    ``poch digamma(z + m)`` in ``m``.

    Examples:
        >>> from trace_ag.scipy.special import poch
        >>> print(poch(np.array([3.0, 0.5, -1.5]), np.array([2.0, 1.5, 2.0])).round(6))
        [12.       0.56419  0.75   ]
    """
    z, m = _real("poch", z, m)
    return sp.poch.bind(z, m)


def exp1(x: Any) -> Any:
    """The exponential integral ``E1(x) = int_x^inf exp(-t) / t dt``, as
    ``scipy.special.exp1`` (``inf`` at 0, nan below).

    Examples:
        >>> from trace_ag.scipy.special import exp1
        >>> print(exp1(np.array([0.5, 2.0])).round(6))
        [0.559774 0.048901]
    """
    (x,) = _real("exp1", x)
    return sp.exp1.bind(x)


def expi(x: Any) -> Any:
    """The exponential integral ``Ei(x)`` (a principal value for ``x > 0``), as
    ``scipy.special.expi``; its slope is ``exp(x) / x``.

    Examples:
        >>> from trace_ag.scipy.special import expi
        >>> print(expi(np.array([-1.0, 0.5, 2.0])).round(6))
        [-0.219384  0.45422   4.954234]
    """
    (x,) = _real("expi", x)
    return sp.expi.bind(x)


def expn(n: int, x: Any) -> Any:
    """The generalized exponential integral ``E_n(x) = int_1^inf exp(-x t) / t**n dt`` of a
    concrete integer order ``n >= 0``, as ``scipy.special.expn``; ``d/dx E_n = -E_{n-1}``.

    Examples:
        >>> from trace_ag.scipy.special import expn
        >>> print(expn(2, np.array([0.5, 2.0])).round(6))
        [0.326644 0.037534]
    """
    order = _static_order("expn", n, integer=True)
    if order < 0:
        raise errors.TraceAgError(f"expn: the order n must be >= 0, got {n}")
    (x,) = _real("expn", x)
    return sp.expn.bind(x, n=int(order))


def dawsn(x: Any) -> Any:
    """Dawson's integral ``exp(-x**2) int_0^x exp(t**2) dt``, as ``scipy.special.dawsn``.

    Examples:
        >>> from trace_ag.scipy.special import dawsn
        >>> print(dawsn(np.array([0.0, 0.5, 2.0])).round(6))
        [0.       0.424436 0.30134 ]
    """
    (x,) = _real("dawsn", x)
    return sp.dawsn.bind(x)


def spence(x: Any) -> Any:
    """Spence's function (the dilogarithm) ``int_1^x log(t) / (1 - t) dt`` for ``x >= 0``, as
    ``scipy.special.spence``; its slope ``log(x) / (1 - x)`` is -1 at ``x = 1`` (the limit;
    JAX's derivative gives 0 there).

    Examples:
        >>> from trace_ag.scipy.special import spence
        >>> print(spence(np.array([0.0, 1.0, 2.0])).round(6))
        [ 1.644934  0.       -0.822467]
    """
    (x,) = _real("spence", x)
    return sp.spence.bind(x)


def sici(x: Any) -> tuple[Any, Any]:
    """The sine and cosine integrals ``(Si(x), Ci(x))``, as ``scipy.special.sici``: ``Si`` is
    ``int_0^x sin(t) / t dt``, ``Ci`` is ``euler_gamma + log(x) + int_0^x (cos(t) - 1) / t dt``
    (nan for ``x < 0``, as JAX's; SciPy's real kernel gives a complex branch's real part there).

    Examples:
        >>> from trace_ag.scipy.special import sici
        >>> si, ci = sici(np.array([0.5, 2.0]))
        >>> print(si.round(6), ci.round(6))
        [0.493107 1.605413] [-0.177784  0.422981]
    """
    (x,) = _real("sici", x)
    return sp.sici_si.bind(x), sp.sici_ci.bind(x)


def boxcox(x: Any, lmbda: Any) -> Any:
    """The Box-Cox transform ``(x**lmbda - 1) / lmbda`` (``log(x)`` at ``lmbda = 0``), as
    ``scipy.special.boxcox``. At ``lmbda = 0`` the derivative in ``lmbda`` is the limit
    ``log(x)**2 / 2`` (JAX's gives 0 there).

    Examples:
        >>> from trace_ag.scipy.special import boxcox
        >>> print(boxcox(np.array([0.5, 2.0, 2.0]), np.array([0.0, 1.5, 0.0])).round(6))
        [-0.693147  1.218951  0.693147]
    """
    x, lmbda = _real("boxcox", x, lmbda)
    return _boxcox_of_log(tnp.log(x), lmbda)


def boxcox1p(x: Any, lmbda: Any) -> Any:
    """``boxcox(1 + x, lmbda)``, accurate for small ``x``, as ``scipy.special.boxcox1p``.

    Examples:
        >>> from trace_ag.scipy.special import boxcox1p
        >>> print(f"{float(boxcox1p(1e-10, 0.5)):.6e}", boxcox1p(1.0, 0.0).round(6))
        1.000000e-10 0.693147
    """
    x, lmbda = _real("boxcox1p", x, lmbda)
    return _boxcox_of_log(tnp.log1p(x), lmbda)


def _boxcox_of_log(log_x: Any, lmbda: Any) -> Any:
    # expm1(lmbda log x) / lmbda; at lmbda = 0 its series log x + lmbda log(x)**2 / 2 +
    # lmbda**2 log(x)**3 / 6, so the value and two derivatives in lmbda are the limits
    at_zero = lmbda == 0
    safe = tnp.where(at_zero, 1.0, lmbda)
    finite = tnp.where(tnp.isfinite(log_x), log_x, 0.0)  # log(0) = -inf keeps its value
    series = log_x + lmbda * finite * finite / 2 * (1 + lmbda * finite / 3)
    return tnp.where(at_zero, series, tnp.expm1(safe * log_x) / safe)


def bessel_jn(z: Any, *, v: int, n_iter: int = 50) -> Any:
    """The Bessel functions of the first kind of orders ``0, 1, ..., v``, stacked on a new
    first axis, as ``jax.scipy.special.bessel_jn`` (SciPy's ``jv`` values; ``n_iter``, JAX's
    series length, is accepted and unused).

    Examples:
        >>> from trace_ag.scipy.special import bessel_jn
        >>> print(bessel_jn(np.array([1.0, 2.0]), v=2).round(6))
        [[0.765198 0.223891]
         [0.440051 0.576725]
         [0.114903 0.352834]]
    """
    order = _static_order("bessel_jn", v, integer=True)
    if order < 0:
        raise errors.TraceAgError(f"bessel_jn: the order v must be >= 0, got {v}")
    (z,) = _real("bessel_jn", z)
    return tnp.stack([jv(k, z) for k in range(int(order) + 1)])


def bernoulli(n: int) -> np.ndarray:
    """The Bernoulli numbers ``B_0 ... B_n`` (``B_1 = -1/2``) of a concrete ``n``, as
    ``scipy.special.bernoulli`` and ``jax.scipy.special.bernoulli``; a constant array.

    Examples:
        >>> from trace_ag.scipy.special import bernoulli
        >>> print(bernoulli(4).round(6))
        [ 1.       -0.5       0.166667  0.       -0.033333]
    """
    if isinstance(n, Tracer) or int(n) != n or n < 0:
        raise errors.TraceAgError(f"bernoulli: n must be a concrete integer >= 0, got {n!r}")
    return np.asarray(sp.scipy_special().bernoulli(int(n)), np.float64)


def owens_t(h: Any, a: Any) -> Any:
    """Owen's T function ``int_0^a exp(-h**2 (1 + x**2) / 2) / (2 pi (1 + x**2)) dx``, as
    ``scipy.special.owens_t``; differentiable in ``h`` and ``a``.

    Examples:
        >>> from trace_ag.scipy.special import owens_t
        >>> print(owens_t(np.array([0.0, 1.0]), np.array([1.0, -2.0])).round(6))
        [ 0.125    -0.078468]
    """
    h, a = _real("owens_t", h, a)
    return sp.owens_t.bind(h, a)


def hyp1f1(a: Any, b: Any, x: Any) -> Any:
    """Kummer's confluent hypergeometric function ``1F1(a; b; x)``, as
    ``scipy.special.hyp1f1``; differentiable in ``x`` (``(a / b) 1F1(a + 1; b + 1; x)``), not in
    ``a`` and ``b`` (that raises).

    Examples:
        >>> from trace_ag.scipy.special import hyp1f1
        >>> print(hyp1f1(np.array([0.5, -2.0]), np.array([1.5, 3.0]), np.array([0.7, -5.0])))
        [1.29175265 6.41666667]
    """
    a, b, x = _real("hyp1f1", a, b, x)
    return sp.hyp1f1.bind(a, b, x)
