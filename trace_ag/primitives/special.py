"""Special-function primitives for ``trace_ag.scipy.special``: the functions whose values need
SciPy's kernels (``gammaln``, ``digamma``, ``erf``, the Bessel functions, ...) or whose
derivative is a convention a composite would not give (``xlogy`` at ``x = 0``).

Each impl calls ``scipy.special`` (imported lazily, so SciPy stays an optional dependency) and
returns the operand's dtype. Each derivative is expressed with other primitives of this family
(d gammaln = digamma, d digamma = polygamma(1), d erf = a Gaussian), so derivatives of every
order exist. The JAX lowerings use ``jax.lax`` / ``jax.scipy.special``; the Bessel functions
JAX lacks (``jv``, ``yv``, ``ive`` of any order) lower to a ``jax.pure_callback`` into SciPy.
"""

from __future__ import annotations

import math

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.core import Primitive
from trace_ag.errors import TraceAgError
from trace_ag.primitives._rules import broadcast_avals, same_aval, unbroadcast
from trace_ag.primitives._transform_rules import elementwise_batch, elementwise_jvp

_SQRT_PI = math.sqrt(math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def scipy_special():
    """``scipy.special``, or a one-line error naming the extra that installs it."""
    try:
        import scipy.special
    except ImportError:
        raise TraceAgError(
            'trace_ag.scipy.special needs SciPy for this function: pip install "trace-ag[scipy]"'
        ) from None
    return scipy.special


def _kernel(scipy_name: str):
    """An impl calling ``scipy.special.<scipy_name>`` that keeps the first operand's dtype."""

    def impl(*args, **params):
        with np.errstate(all="ignore"):  # poles give inf/nan, as in SciPy, without warnings
            out = getattr(scipy_special(), scipy_name)(*args, **params)
        return np.asarray(out, dtype=np.result_type(*args))

    impl.__name__ = f"scipy_{scipy_name}"
    return impl


def _jax_special(name: str):
    """A JAX lowering calling ``jax.scipy.special.<name>``."""

    def lower(*args, **params):
        import jax.scipy.special as jsp

        return getattr(jsp, name)(*args, **params)

    lower.__name__ = f"jsp_{name}"
    return lower


def _special_unary(name, impl, vjp, jax, **facts):
    return Primitive(
        name,
        impl=impl,
        abstract_eval=same_aval,
        vjp=(vjp,),
        jax=jax,
        jvp=elementwise_jvp(),
        batch=elementwise_batch(),
        allocates=True,  # SciPy's ufuncs and np.asarray of their result: always a new array
        **facts,
    )


def _special_binary(name, impl, vjp_x, vjp_y, jax):
    """A broadcasting binary primitive; each rule's cotangent is summed to its operand's shape."""
    return Primitive(
        name,
        impl=impl,
        abstract_eval=lambda x, y, **_: broadcast_avals(name, x, y),
        vjp=(
            lambda g, out, x, y: unbroadcast(vjp_x(g, out, x, y), np.shape(x)),
            lambda g, out, x, y: unbroadcast(vjp_y(g, out, x, y), np.shape(y)),
        ),
        jax=jax,
        jvp=elementwise_jvp(),
        batch=elementwise_batch(),
        allocates=True,
    )


def _lax(name: str):
    def lower(*args, **params):
        from jax import lax

        return getattr(lax, name)(*args, **params)

    lower.__name__ = f"lax_{name}"
    return lower


# ---------------------------------------------------------------- the gamma family

gammaln = _special_unary(
    "gammaln", _kernel("gammaln"), lambda g, out, x: g * digamma.bind(x), _lax("lgamma")
)
digamma = _special_unary(
    "digamma", _kernel("psi"), lambda g, out, x: g * polygamma.bind(x, n=1), _lax("digamma")
)


def _polygamma_impl(x, *, n):
    with np.errstate(all="ignore"):
        return np.asarray(scipy_special().polygamma(n, x), x.dtype)


def _polygamma_jax(x, *, n):
    import jax.scipy.special as jsp

    return jsp.polygamma(n, x)


# polygamma of a static order n >= 1 (order 0 is digamma); d polygamma(n) = polygamma(n + 1)
polygamma = _special_unary(
    "polygamma",
    _polygamma_impl,
    lambda g, out, x, *, n: g * polygamma.bind(x, n=n + 1),
    _polygamma_jax,
)
gamma = _special_unary(
    "gamma", _kernel("gamma"), lambda g, out, x: g * out * digamma.bind(x), _jax_special("gamma")
)
betaln = _special_binary(
    "betaln",
    _kernel("betaln"),
    lambda g, out, a, b: g * (digamma.bind(a) - digamma.bind(a + b)),
    lambda g, out, a, b: g * (digamma.bind(b) - digamma.bind(a + b)),
    _jax_special("betaln"),
)

# ---------------------------------------------------------------- error function and normal


def _gaussian(x):
    """``exp(-x**2)``, the derivative of erf up to ``2 / sqrt(pi)``."""
    return tnp.exp(-(x * x))


erf = _special_unary(
    "erf", _kernel("erf"), lambda g, out, x: g * (2 / _SQRT_PI) * _gaussian(x), _lax("erf")
)
erfc = _special_unary(
    "erfc", _kernel("erfc"), lambda g, out, x: g * (-2 / _SQRT_PI) * _gaussian(x), _lax("erfc")
)
erfinv = _special_unary(
    "erfinv",
    _kernel("erfinv"),
    lambda g, out, x: g * (_SQRT_PI / 2) * tnp.exp(out * out),
    _lax("erf_inv"),
)
ndtri = _special_unary(
    "ndtri",
    _kernel("ndtri"),
    lambda g, out, p: g * math.exp(_LOG_SQRT_2PI) * tnp.exp(out * out * 0.5),
    _jax_special("ndtri"),
)
# d log_ndtr = pdf / cdf = exp(log pdf - log_ndtr), as jax.scipy.special.log_ndtr's rule
log_ndtr = _special_unary(
    "log_ndtr",
    _kernel("log_ndtr"),
    lambda g, out, x: g * tnp.exp(-0.5 * x * x - _LOG_SQRT_2PI - out),
    _jax_special("log_ndtr"),
)

# ---------------------------------------------------------------- x log y with 0 log 0 = 0


def _xlog_impl(log):
    def impl(x, y):
        with np.errstate(all="ignore"):
            out = np.where((x != 0) | np.isnan(y), x * log(y), np.zeros((), x.dtype))
        return np.asarray(out, np.result_type(x, y))

    impl.__name__ = f"x{log.__name__}"
    return impl


# The value is 0 where x == 0 (unless y is nan); the derivatives are JAX's, taken as if the
# formula were x * log(y) everywhere (so -inf / nan at x = y = 0, as jax.grad gives).
xlogy = _special_binary(
    "xlogy",
    _xlog_impl(np.log),
    lambda g, out, x, y: g * tnp.log(y),
    lambda g, out, x, y: g * x / y,
    _jax_special("xlogy"),
)
xlog1py = _special_binary(
    "xlog1py",
    _xlog_impl(np.log1p),
    lambda g, out, x, y: g * tnp.log1p(y),
    lambda g, out, x, y: g * x / (1 + y),
    _jax_special("xlog1py"),
)


def _logit_impl(p):
    with np.errstate(all="ignore"):
        return np.asarray(np.log(p / (1 - p)), p.dtype)


# A primitive for JAX's derivative 1 / (p (1 - p)), which stays inf (not nan) at p = 1.
logit = _special_unary(
    "logit", _logit_impl, lambda g, out, p: g / (p * (1 - p)), _jax_special("logit")
)
