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
from trace_ag.numpy._base import promote_float
from trace_ag.primitives import special as sp

__all__ = [
    "betaln",
    "beta",
    "digamma",
    "erf",
    "erfc",
    "erfinv",
    "expit",
    "gamma",
    "gammaln",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "softmax",
    "xlog1py",
    "xlogy",
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
    """The error function, as ``scipy.special.erf``.

    Examples:
        >>> from trace_ag.scipy.special import erf
        >>> print(erf(np.array([0.0, 0.5, -np.inf])).round(6))
        [ 0.      0.5205 -1.    ]
    """
    (x,) = _real("erf", x)
    return sp.erf.bind(x)


def erfc(x: Any) -> Any:
    """``1 - erf(x)``, accurate in the right tail, as ``scipy.special.erfc``.

    Examples:
        >>> from trace_ag.scipy.special import erfc
        >>> print(float(erfc(10.0)))
        2.0884875837625446e-45
    """
    (x,) = _real("erfc", x)
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
