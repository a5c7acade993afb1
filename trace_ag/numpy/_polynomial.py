"""NumPy's polynomial functions on coefficient arrays (highest power first): ``polyval``,
``polyfit``, ``roots``, ``poly`` and the arithmetic ``polyadd``... ``polydiv``, ``polyder``,
``polyint``, ``vander``.

The degree is static (an array length), so each is a fixed sequence of operations:
``polyval`` by Horner's rule, ``polyfit`` by least squares on the Vandermonde matrix,
``roots`` as eigenvalues of the companion matrix.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag.core import Tracer, shape_error
from trace_ag.numpy import _linalg_more as lm
from trace_ag.numpy import _reductions as red
from trace_ag.numpy import _shape as shp
from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, cast, promote, promote_float
from trace_ag.numpy._complex import real
from trace_ag.numpy._signal import convolve


def _coefficients(fn: str, p: Any) -> Any:
    (p,) = promote(asarray_or_tracer(p))
    p = shp.ravel(p) if p.ndim == 0 else p
    if p.ndim != 1:
        raise shape_error(fn, f"coefficients must be 1-D, got shape {p.shape}")
    return p


def polyval(p: Any, x: Any) -> Any:
    """The polynomial with coefficients ``p`` (highest power first) at ``x``, by Horner's rule.

    Examples:
        >>> tnp.polyval(np.array([1.0, 0.0, -2.0]), np.array([0.0, 2.0]))
        array([-2.,  2.])
    """
    p = _coefficients("polyval", p)
    p, x = promote(p, x)
    out = np.zeros(np.shape(x), p.dtype) if not isinstance(x, Tracer) else x * 0
    for k in range(p.shape[0]):
        out = out * x + p[k]
    return out


def vander(x: Any, N: int | None = None, increasing: bool = False) -> Any:  # noqa: N803
    """The Vandermonde matrix: columns ``x**(N-1), ..., x, 1`` (reversed if ``increasing``)."""
    (x,) = promote(asarray_or_tracer(x))
    if x.ndim != 1:
        raise shape_error("vander", f"x must be 1-D, got shape {x.shape}")
    x = cast(x, np.result_type(x.dtype, np.int64))  # NumPy's dtype (float32 -> float64)
    n = x.shape[0] if N is None else int(N)
    powers = [uf.power(x, k) if k else uf.astype(x, x.dtype) * 0 + 1 for k in range(n)]
    columns = powers if increasing else powers[::-1]
    return shp.stack(columns, axis=1) if columns else np.zeros((x.shape[0], 0), x.dtype)


def _aligned(a1: Any, a2: Any) -> tuple[Any, Any]:
    a1, a2 = promote(_coefficients("polyadd", a1), _coefficients("polyadd", a2))
    n = max(a1.shape[0], a2.shape[0])
    return shp.pad(a1, (n - a1.shape[0], 0)), shp.pad(a2, (n - a2.shape[0], 0))


def polyadd(a1: Any, a2: Any) -> Any:
    """The sum of two polynomials (the shorter padded with leading zeros)."""
    a1, a2 = _aligned(a1, a2)
    return a1 + a2


def polysub(a1: Any, a2: Any) -> Any:
    """The difference of two polynomials."""
    a1, a2 = _aligned(a1, a2)
    return a1 - a2


def polymul(a1: Any, a2: Any) -> Any:
    """The product of two polynomials (a convolution of the coefficients)."""
    return convolve(_coefficients("polymul", a1), _coefficients("polymul", a2))


def polyder(p: Any, m: int = 1) -> Any:
    """The ``m``-th derivative of a polynomial."""
    p = _coefficients("polyder", p)
    if m < 0:
        raise ValueError("polyder: the order of the derivative must be non-negative")
    for _ in range(m):
        n = p.shape[0] - 1
        p = p[:-1] * np.arange(n, 0, -1) if n > 0 else p[:0] * 0
        if p.shape[0] == 0:
            return np.zeros(1, p.dtype)
    return p


def polyint(p: Any, m: int = 1, k: Any = None) -> Any:
    """The ``m``-th antiderivative, with integration constants ``k`` (default 0)."""
    (p,) = promote_float(_coefficients("polyint", p))
    if m < 0:
        raise ValueError("polyint: the order of the integral must be non-negative")
    constants = np.zeros(m) if k is None else np.broadcast_to(np.asarray(k, dtype=float), (m,))
    for j in range(m):
        n = p.shape[0]
        p = shp.concatenate([p / np.arange(n, 0, -1), cast(np.full(1, constants[j]), p.dtype)])
    return p


def polydiv(u: Any, v: Any) -> tuple[Any, Any]:
    """Quotient and remainder of polynomial division. With concrete values the remainder's
    leading (near-)zeros are dropped, as NumPy does; traced, it keeps ``len(u)`` entries.

    Examples:
        >>> tnp.polydiv(np.array([1.0, -3.0, 2.0]), np.array([1.0, -1.0]))
        (array([ 1., -2.]), array([0.]))
    """
    u, v = promote_float(_coefficients("polydiv", u), _coefficients("polydiv", v))
    m, n = u.shape[0] - 1, v.shape[0] - 1
    scale = 1.0 / v[0]
    quotient = []
    rem = u
    for k in range(max(m - n + 1, 0)):
        d = scale * rem[k]
        quotient.append(d)
        update = shp.pad(d * v, (k, m - n - k))
        rem = rem - update
    q = shp.stack(quotient) if quotient else np.zeros(1, u.dtype)
    # the first len(q) entries are zero by construction; NumPy drops them (and any further
    # near-zero leading entries, which only concrete values can show)
    rem = rem[len(quotient) :] if len(quotient) < u.shape[0] else rem[-1:]
    known = rem.concrete_value() if isinstance(rem, Tracer) else np.asarray(rem)
    if known is not None:
        start = 0
        while start < known.shape[0] - 1 and np.allclose(known[start], 0, rtol=1e-14):
            start += 1
        rem = rem[start:]
    return q, rem


def poly(seq_of_zeros: Any) -> Any:
    """The coefficients of the monic polynomial with the given roots (or of a square matrix's
    characteristic polynomial).

    Examples:
        >>> tnp.poly(np.array([1.0, 2.0]))
        array([ 1., -3.,  2.])
    """
    (z,) = promote_float(asarray_or_tracer(seq_of_zeros))
    real_input = not np.issubdtype(z.dtype, np.complexfloating)
    if z.ndim == 2 and z.shape[0] == z.shape[1] and z.shape[0] > 0:
        z = lm.eigvals(z)
    elif z.ndim != 1:
        raise shape_error("poly", f"needs a 1-D array of roots or a square matrix, got {z.shape}")
    out = np.ones(1, z.dtype)
    for k in range(z.shape[0]):
        out = convolve(out, shp.stack([np.ones((), z.dtype), -z[k]]))
    if real_input and np.issubdtype(out.dtype, np.complexfloating):
        out = real(out)  # a real matrix's characteristic polynomial is real
    return out


def roots(p: Any, *, strip_zeros: bool = True) -> Any:
    """The roots of the polynomial ``p``, as eigenvalues of its companion matrix (leading and
    trailing zero coefficients must be concrete; real roots come back real when all are).

    Examples:
        >>> np.sort(tnp.roots(np.array([1.0, -3.0, 2.0])))
        array([1., 2.])
    """
    p = _coefficients("roots", p)
    (p,) = promote_float(p)
    known = p.concrete_value() if isinstance(p, Tracer) else np.asarray(p)
    nonzero = np.flatnonzero(known) if known is not None else np.arange(p.shape[0])
    if nonzero.size == 0:
        return np.zeros(0, p.dtype)
    trailing = p.shape[0] - 1 - int(nonzero[-1])
    p = p[int(nonzero[0]) : int(nonzero[-1]) + 1] if strip_zeros else p
    n = p.shape[0] - 1
    if n < 1:
        return np.zeros(trailing, p.dtype)
    companion = shp.concatenate([(-p[1:] / p[0])[None, :], np.eye(n - 1, n, dtype=p.dtype)])
    out = lm.eigvals(companion)
    if trailing:
        out = shp.concatenate([out, np.zeros(trailing, out.dtype)])
    values = out.concrete_value() if isinstance(out, Tracer) else np.asarray(out)
    if values is not None and np.all(np.imag(values) == 0):
        return real(out)
    return out


def polyfit(
    x: Any,
    y: Any,
    deg: int,
    rcond: Any = None,
    full: bool = False,
    w: Any = None,
    cov: Any = False,
) -> Any:
    """Least-squares coefficients (highest power first) of a degree-``deg`` fit of ``y``
    (1-D, or 2-D with one fit per column) at ``x``, with NumPy's column scaling and weights.

    Examples:
        >>> np.round(tnp.polyfit(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]), 1), 10)
        array([2., 1.])
    """
    if full or cov:
        raise NotImplementedError("polyfit: full=True and cov=True are not supported")
    x, y = (cast(v, np.dtype(np.float64)) for v in promote_float(x, y))  # NumPy fits in float64
    if x.ndim != 1 or y.ndim not in (1, 2) or y.shape[0] != x.shape[0]:
        raise shape_error("polyfit", f"x must be 1-D and y match it, got {x.shape}, {y.shape}")
    lhs = vander(x, int(deg) + 1)
    rhs = y
    if w is not None:
        (w,) = promote(asarray_or_tracer(w))
        lhs = lhs * w[:, None]
        rhs = rhs * (w[:, None] if y.ndim == 2 else w)
    scale = uf.sqrt(red.sum(lhs * lhs, axis=0))
    rcond = x.shape[0] * np.finfo(x.dtype).eps if rcond is None else rcond
    coefficients = lm.lstsq(lhs / scale, rhs, rcond=rcond)[0]
    return coefficients / (scale[:, None] if y.ndim == 2 else scale)
