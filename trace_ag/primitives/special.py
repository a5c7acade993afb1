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


def _special_nary(name, impl, rules, jax):
    """A broadcasting primitive of several operands; each rule's cotangent is summed to its
    operand's shape."""

    def summed(rule, position):
        def vjp(g, out, *args):
            return unbroadcast(rule(g, out, *args), np.shape(args[position]))

        return vjp

    return Primitive(
        name,
        impl=impl,
        abstract_eval=lambda *avals, **_: broadcast_avals(name, *avals),
        vjp=tuple(summed(rule, i) for i, rule in enumerate(rules)),
        jax=jax,
        jvp=elementwise_jvp(),
        batch=elementwise_batch(),
        allocates=True,
    )


def _special_binary(name, impl, vjp_x, vjp_y, jax):
    """A broadcasting binary primitive; each rule's cotangent is summed to its operand's shape."""
    return _special_nary(name, impl, (vjp_x, vjp_y), jax)


def _lax(name: str):
    def lower(*args, **params):
        from jax import lax

        return getattr(lax, name)(*args, **params)

    lower.__name__ = f"lax_{name}"
    return lower


def _broadcasting_lax(name: str):
    """A lowering to ``jax.lax.<name>``, which wants operands of one shape."""

    def lower(*args):
        import jax.numpy as jnp
        from jax import lax

        return getattr(lax, name)(*jnp.broadcast_arrays(*args))

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


def _real_lax_complex_callback(lax_name: str, scipy_name: str):
    """``jax.lax.<lax_name>`` for real operands; for complex ones, which XLA's kernel lacks, a
    host callback into SciPy's."""
    kernel = _kernel(scipy_name)
    real_kernel = _lax(lax_name)

    def lower(x):
        if np.issubdtype(x.dtype, np.complexfloating):
            return _callback_lowering(kernel)(x)
        return real_kernel(x)

    lower.__name__ = f"lax_{lax_name}_or_scipy"
    return lower


# Holomorphic rules (g times the complex derivative), so complex arguments differentiate too
erf = _special_unary(
    "erf",
    _kernel("erf"),
    lambda g, out, x: g * (2 / _SQRT_PI) * _gaussian(x),
    _real_lax_complex_callback("erf", "erf"),
    complex_rules=True,
)
erfc = _special_unary(
    "erfc",
    _kernel("erfc"),
    lambda g, out, x: g * (-2 / _SQRT_PI) * _gaussian(x),
    _real_lax_complex_callback("erfc", "erfc"),
    complex_rules=True,
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


# erfcx(x) = exp(x**2) erfc(x); d erfcx = 2 x erfcx - 2 / sqrt(pi)
erfcx = _special_unary(
    "erfcx",
    _kernel("erfcx"),
    lambda g, out, x: g * (2 * x * out - 2 / _SQRT_PI),
    _jax_special("erfcx"),
)

# ---------------------------------------------------------------- Bessel functions

# d i0e = i1e - sign(x) i0e, and d i1e = i0e - i1e (sign(x) + 1 / x) (1/2 at x = 0), as JAX's
bessel_i0e = _special_unary(
    "bessel_i0e",
    _kernel("i0e"),
    lambda g, out, x: g * (bessel_i1e.bind(x) - tnp.sign(x) * out),
    _lax("bessel_i0e"),
)


def _i1e_vjp(g, out, x):
    nonzero = x != 0
    safe_x = tnp.where(nonzero, x, 1)
    slope = bessel_i0e.bind(x) - out * (tnp.sign(safe_x) + 1 / safe_x)
    return g * tnp.where(nonzero, slope, 0.5)


bessel_i1e = _special_unary("bessel_i1e", _kernel("i1e"), _i1e_vjp, _lax("bessel_i1e"))


def _by_order(x, v, kernels, general):
    """SciPy's dedicated kernel for an integer order where it has one (j0, j1, y0, y1, yn),
    its general-order one otherwise."""
    special = scipy_special()
    with np.errstate(all="ignore"):
        if v in kernels:
            out = getattr(special, kernels[v])(x)
        elif float(v).is_integer() and "n" in kernels:
            out = getattr(special, kernels["n"])(int(v), x)
        else:
            out = getattr(special, general)(v, x)
    return np.asarray(out, x.dtype)


def _callback_lowering(impl):
    """A JAX lowering for a kernel JAX lacks: a host callback into the SciPy impl."""

    def lower(x, **params):
        import jax

        return jax.pure_callback(
            lambda value: impl(np.asarray(value), **params),
            jax.ShapeDtypeStruct(x.shape, x.dtype),
            x,
            vmap_method="broadcast_all",
        )

    lower.__name__ = f"callback_{impl.__name__}"
    return lower


def _jv_impl(x, *, v):
    return _by_order(x, v, {0: "j0", 1: "j1"}, "jv")


def _yv_impl(x, *, v):
    return _by_order(x, v, {0: "y0", 1: "y1", "n": "yn"}, "yv")


def _ive_impl(x, *, v):
    return _by_order(x, v, {0: "i0e", 1: "i1e"}, "ive")


def _cylinder_vjp(prim, sign):
    """d C_v = (C_{v-1} + sign * C_{v+1}) / 2 for the Bessel functions J and Y (sign -1)."""
    return lambda g, out, x, *, v: g * 0.5 * (prim.bind(x, v=v - 1) + sign * prim.bind(x, v=v + 1))


# Bessel functions of the first (jv) and second (yv) kind of a static real order v
bessel_jv = _special_unary(
    "bessel_jv",
    _jv_impl,
    lambda *a, **k: _cylinder_vjp(bessel_jv, -1)(*a, **k),
    _callback_lowering(_jv_impl),
)
bessel_yv = _special_unary(
    "bessel_yv",
    _yv_impl,
    lambda *a, **k: _cylinder_vjp(bessel_yv, -1)(*a, **k),
    _callback_lowering(_yv_impl),
)


def _ive_vjp(g, out, x, *, v):
    # ive = exp(-|x|) iv and iv' = (i_{v-1} + i_{v+1}) / 2
    halves = 0.5 * (bessel_ive.bind(x, v=v - 1) + bessel_ive.bind(x, v=v + 1))
    return g * (halves - tnp.sign(x) * out)


# The exponentially scaled modified Bessel function exp(-|x|) I_v(x), of a static order v
bessel_ive = _special_unary("bessel_ive", _ive_impl, _ive_vjp, _callback_lowering(_ive_impl))

# ---------------------------------------------------------------- incomplete gamma and zeta


def _igamma_dx(g, out, a, x):
    """d/dx of the regularized lower incomplete gamma: the Gamma(a) density at x."""
    return g * tnp.exp((a - 1) * tnp.log(x) - x - gammaln.bind(a))


def _igamma_grad_a_impl(a, x):
    """d/da P(a, x), by Richardson-extrapolated central differences of SciPy's P or Q,
    whichever is smaller (its differences keep their digits), with steps scaled to how fast P
    varies in a (like a for small a, like sqrt(a) for large): about 10 correct digits."""
    special = scipy_special()
    a64, x64 = np.asarray(a, np.float64), np.asarray(x, np.float64)
    use_q = x64 > a64
    step = 1e-3 * np.minimum(a64, np.sqrt(a64))

    def slope(h):
        upper, lower = a64 + h, a64 - h
        p_diff = special.gammainc(upper, x64) - special.gammainc(lower, x64)
        q_diff = special.gammaincc(lower, x64) - special.gammaincc(upper, x64)
        return np.where(use_q, q_diff, p_diff) / (2 * h)

    with np.errstate(all="ignore"):
        out = (4 * slope(step / 2) - slope(step)) / 3
        out = np.where((x64 == 0) | (x64 == np.inf), 0.0, out)
    return np.asarray(out, np.result_type(a, x))


def _no_second_derivative_in_a(g, out, a, x):
    raise TraceAgError(
        "gammainc/gammaincc: the second derivative in the shape a is not implemented"
    )


# d/da of P(a, x); its own derivative in x is d/da of the density, (log x - digamma(a)) times it
igamma_grad_a = _special_binary(
    "igamma_grad_a",
    _igamma_grad_a_impl,
    _no_second_derivative_in_a,
    lambda g, out, a, x: _igamma_dx(g, out, a, x) * (tnp.log(x) - digamma.bind(a)),
    _broadcasting_lax("igamma_grad_a"),
)
# The regularized lower (igamma, P) and upper (igammac, Q = 1 - P) incomplete gamma functions
igamma = _special_binary(
    "igamma",
    _kernel("gammainc"),
    lambda g, out, a, x: g * igamma_grad_a.bind(a, x),
    _igamma_dx,
    _jax_special("gammainc"),
)
igammac = _special_binary(
    "igammac",
    _kernel("gammaincc"),
    lambda g, out, a, x: -(g * igamma_grad_a.bind(a, x)),
    lambda g, out, a, x: -_igamma_dx(g, out, a, x),
    _jax_special("gammaincc"),
)


def _zeta_impl(x, q):
    with np.errstate(all="ignore"):
        return np.asarray(scipy_special().zeta(x, q), np.result_type(x, q))


def _zeta_dx(g, out, x, q):
    raise TraceAgError("zeta: the derivative in the exponent x is not implemented (only in q)")


# Hurwitz zeta(x, q) = sum_k (k + q)**-x; d/dq = -x zeta(x + 1, q)
zeta = _special_binary(
    "zeta",
    _zeta_impl,
    _zeta_dx,
    lambda g, out, x, q: -(g * x * zeta.bind(x + 1, q)),
    _jax_special("zeta"),
)


# ---------------------------------------------------------------- incomplete beta


def _betainc_dx(g, out, a, b, x):
    """d/dx of the regularized incomplete beta function: the Beta(a, b) density at x."""
    log_density = (a - 1) * tnp.log(x) + (b - 1) * tnp.log1p(-x) - betaln.bind(a, b)
    return g * tnp.exp(log_density)


def _betainc_no_shape_derivative(g, out, a, b, x):
    raise TraceAgError(
        "betainc: the derivatives in the shapes a and b are not implemented (as in JAX); "
        "differentiate in x only, or wrap a and b in ag.stop_gradient"
    )


# The regularized incomplete beta function I_x(a, b), differentiable in x (as JAX's)
betainc = _special_nary(
    "betainc",
    _kernel("betainc"),
    (_betainc_no_shape_derivative, _betainc_no_shape_derivative, _betainc_dx),
    _jax_special("betainc"),
)

# ---------------------------------------------------------------- Pochhammer, exponential integrals


# poch(z, m) = Gamma(z + m) / Gamma(z); SciPy's kernel keeps the limits at the poles of Gamma
poch = _special_binary(
    "poch",
    _kernel("poch"),
    lambda g, out, z, m: g * out * (digamma.bind(z + m) - digamma.bind(z)),
    lambda g, out, z, m: g * out * digamma.bind(z + m),
    _jax_special("poch"),
)
# E1(x) = int_x^inf exp(-t) / t dt and Ei(x) = -E1(-x) (principal value): slopes -exp(-x) / x
# and exp(x) / x
exp1 = _special_unary(
    "exp1", _kernel("exp1"), lambda g, out, x: -(g * tnp.exp(-x) / x), _jax_special("exp1")
)
expi = _special_unary(
    "expi", _kernel("expi"), lambda g, out, x: g * tnp.exp(x) / x, _jax_special("expi")
)


def _expn_impl(x, *, n):
    with np.errstate(all="ignore"):
        return np.asarray(scipy_special().expn(n, x), x.dtype)


def _expn_jax(x, *, n):
    import jax.scipy.special as jsp

    return jsp.expn(n, x)


def _expn_vjp(g, out, x, *, n):
    # d E_n = -E_{n-1}, down to E_0(x) = exp(-x) / x
    if n == 0:
        return -(g * out * (1 + 1 / x))
    return -(g * expn.bind(x, n=n - 1))


# The generalized exponential integral E_n(x) = int_1^inf exp(-x t) / t**n dt, static n >= 0
expn = _special_unary("expn", _expn_impl, _expn_vjp, _expn_jax)
# Dawson's integral D(x) = exp(-x**2) int_0^x exp(t**2) dt, D' = 1 - 2 x D
dawsn = _special_unary(
    "dawsn", _kernel("dawsn"), lambda g, out, x: g * (1 - 2 * x * out), _jax_special("dawsn")
)


def _spence_vjp(g, out, x):
    # spence(x) = int_1^x log(t) / (1 - t) dt: the slope log(x) / (1 - x), -1 in the limit x = 1
    at_one = x == 1
    safe = tnp.where(at_one, 2.0, x)
    return g * tnp.where(at_one, -1.0, tnp.log(safe) / (1 - safe))


spence = _special_unary("spence", _kernel("spence"), _spence_vjp, _jax_special("spence"))


def _sici_part(index: int):
    def impl(x):
        with np.errstate(all="ignore"):
            return np.asarray(scipy_special().sici(x)[index], x.dtype)

    def lower(x):
        import jax.scipy.special as jsp

        return jsp.sici(x)[index]

    impl.__name__, lower.__name__ = f"scipy_sici_{index}", f"jsp_sici_{index}"
    return impl, lower


def _sinc_like(x, fn):
    """``fn(x) / x``, with the limit 1 of ``sin(x) / x`` at 0 (Si's slope there)."""
    at_zero = x == 0
    safe = tnp.where(at_zero, 1.0, x)
    return tnp.where(at_zero, 1.0, fn(safe) / safe)


# The sine and cosine integrals Si(x) = int_0^x sin(t) / t dt, Ci(x) = gamma + log x + ...
_si_impl, _si_jax = _sici_part(0)
_ci_impl, _ci_jax = _sici_part(1)
sici_si = _special_unary("sici_si", _si_impl, lambda g, out, x: g * _sinc_like(x, tnp.sin), _si_jax)
sici_ci = _special_unary("sici_ci", _ci_impl, lambda g, out, x: g * tnp.cos(x) / x, _ci_jax)

# ---------------------------------------------------------------- Owen's T, Kummer's 1F1


def _owens_t_dh(g, out, h, a):
    # dT/dh = -phi(h) erf(a h / sqrt 2) / 2
    gaussian = tnp.exp(-0.5 * h * h - _LOG_SQRT_2PI)
    return -(g * 0.5 * gaussian * erf.bind(a * h * (1 / math.sqrt(2.0))))


def _owens_t_da(g, out, h, a):
    # dT/da = exp(-h**2 (1 + a**2) / 2) / (2 pi (1 + a**2))
    spread = 1 + a * a
    return g * tnp.exp(-0.5 * h * h * spread) / (2 * math.pi * spread)


# Owen's T function T(h, a) = int_0^a exp(-h**2 (1 + x**2) / 2) / (2 pi (1 + x**2)) dx
owens_t = _special_binary(
    "owens_t", _kernel("owens_t"), _owens_t_dh, _owens_t_da, _jax_special("owens_t")
)


def _hyp1f1_no_parameter_derivative(g, out, a, b, x):
    raise TraceAgError(
        "hyp1f1: the derivatives in the parameters a and b are not implemented; differentiate "
        "in x only, or wrap a and b in ag.stop_gradient"
    )


# Kummer's confluent hypergeometric 1F1(a; b; x); d/dx = (a / b) 1F1(a + 1; b + 1; x)
hyp1f1 = _special_nary(
    "hyp1f1",
    _kernel("hyp1f1"),
    (
        _hyp1f1_no_parameter_derivative,
        _hyp1f1_no_parameter_derivative,
        lambda g, out, a, b, x: g * (a / b) * hyp1f1.bind(a + 1, b + 1, x),
    ),
    _jax_special("hyp1f1"),
)
