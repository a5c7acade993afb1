"""``trace_ag.numpy.linalg``'s decompositions, solves and their composites, with NumPy's names,
signatures and values, and JAX's derivatives.

The primitives (``trace_ag.primitives.linalg_decomp``) take stacks of matrices of one float or
complex dtype; here arguments are converted (integers to float64, as NumPy does), batch shapes
are broadcast, and everything else is composed: ``inv`` and ``solve`` from the ``solve``
primitive, ``det`` from ``slogdet``, ``pinv`` and ``lstsq`` from ``svd`` (``pinv`` with JAX's
custom derivative, which holds at repeated singular values too). Complex inputs are
differentiated with JAX's conventions (``grad`` of a real function is ``df/dx - i df/dy``).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from trace_ag import errors
from trace_ag.core import Tracer, shape_error
from trace_ag.numpy import _reductions as red
from trace_ag.numpy import _shape as shp
from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, cast, promote
from trace_ag.numpy._linalg import matmul
from trace_ag.primitives import linalg_decomp as ld

LinAlgError = np.linalg.LinAlgError


class SlogdetResult(NamedTuple):
    sign: Any
    logabsdet: Any


class EighResult(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


class EigResult(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


class SVDResult(NamedTuple):
    U: Any
    S: Any
    Vh: Any


class QRResult(NamedTuple):
    Q: Any
    R: Any


class LstsqResult(NamedTuple):
    x: Any
    residuals: Any
    rank: Any
    s: Any


# ---------------------------------------------------------------- arguments


def real_float(x: Any, fn: str, *, namespace: str = "linalg", complex_ok: bool = False) -> Any:
    """``x`` as a float array (integers to float64); complex input is refused unless
    ``complex_ok``."""
    x = asarray_or_tracer(x)
    if np.issubdtype(x.dtype, np.complexfloating):
        if complex_ok:
            return x
        raise errors.DTypeError(
            errors.at_user_line(
                f"{namespace}.{fn}: complex input ({x.dtype}) is not supported yet; pass a real "
                "float array"
            )
        )
    return x if np.issubdtype(x.dtype, np.floating) else cast(x, np.dtype(np.float64))


def float_matrices(
    x: Any, fn: str, square: bool = True, *, namespace: str = "linalg", complex_ok: bool = True
) -> Any:
    """A float (or complex, where ``complex_ok``) stack of matrices (..., m, n), square unless
    told otherwise."""
    x = real_float(x, fn, namespace=namespace, complex_ok=complex_ok)
    if x.ndim < 2:
        raise shape_error(
            f"{namespace}.{fn}", f"{x.ndim}-dimensional array given; it must be at least 2-D"
        )
    if square and x.shape[-1] != x.shape[-2]:
        raise shape_error(f"{namespace}.{fn}", f"last 2 dimensions {x.shape[-2:]} must be square")
    return x


def _mT(x: Any) -> Any:
    return shp.swapaxes(x, -1, -2)


def _mH(x: Any) -> Any:
    """The conjugate transpose (the transpose of a real stack)."""
    from trace_ag.numpy._complex import conj

    return conj(_mT(x)) if np.issubdtype(x.dtype, np.complexfloating) else _mT(x)


def _eye_like(a: Any) -> np.ndarray:
    return np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)


def _same_batch(a: Any, b: Any, fn: str) -> tuple[Any, Any]:
    """``a`` (..., n, n) and ``b`` (..., n, k) with their batch shapes broadcast together."""
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise shape_error(
            f"linalg.{fn}", f"batch dimensions of {a.shape} and {b.shape} do not broadcast"
        ) from None
    return shp.broadcast_to(a, batch + a.shape[-2:]), shp.broadcast_to(b, batch + b.shape[-2:])


# ---------------------------------------------------------------- solves and determinants


def solve(a: Any, b: Any) -> Any:
    """The solution ``x`` of ``a @ x = b``; ``b`` is a vector when 1-D (NumPy 2), else a stack
    of matrices, batch dimensions broadcasting.

    Examples:
        >>> tnp.linalg.solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([2.0, 2.0]))
        array([1. , 0.5])
    """
    a, b = promote(float_matrices(a, "solve"), real_float(b, "solve", complex_ok=True))
    vector = b.ndim == 1
    if vector:
        b = shp.expand_dims(b, -1)
    if b.shape[-2] != a.shape[-1]:
        raise shape_error("linalg.solve", f"shapes {a.shape} and {b.shape} do not match")
    x = ld.solve.bind(*_same_batch(a, b, "solve"))
    return shp.squeeze(x, -1) if vector else x


def inv(a: Any) -> Any:
    """The inverse of each matrix of a stack ``(..., n, n)``.

    Examples:
        >>> tnp.linalg.inv(np.array([[2.0, 0.0], [0.0, 4.0]]))
        array([[0.5 , 0.  ],
               [0.  , 0.25]])
    """
    a = float_matrices(a, "inv")
    return ld.solve.bind(a, _eye_like(a))


def slogdet(a: Any) -> SlogdetResult:
    """``(sign, log|det|)`` of each matrix; only ``logabsdet`` has a (nonzero) derivative.

    Examples:
        >>> tnp.linalg.slogdet(np.array([[2.0, 0.0], [0.0, -4.0]]))
        SlogdetResult(sign=np.float64(-1.0), logabsdet=np.float64(2.0794415416798357))
    """
    return SlogdetResult(*ld.slogdet.bind(float_matrices(a, "slogdet")))


def det(a: Any) -> Any:
    """The determinant, as ``sign * exp(logabsdet)``.

    Examples:
        >>> tnp.linalg.det(np.array([[2.0, 1.0], [1.0, 2.0]]))
        np.float64(2.9999999999999996)
    """
    sign, logabsdet = slogdet(a)
    return sign * uf.exp(logabsdet)


def tensorsolve(a: Any, b: Any, axes: Sequence[int] | None = None) -> Any:
    """``x`` with ``tensordot(a, x, x.ndim) == b``, as ``numpy.linalg.tensorsolve``."""
    a, b = promote(
        real_float(a, "tensorsolve", complex_ok=True), real_float(b, "tensorsolve", complex_ok=True)
    )
    if axes is not None:
        order = [k for k in range(a.ndim) if k not in [ax % a.ndim for ax in axes]]
        a = shp.transpose(a, order + [ax % a.ndim for ax in axes])
    shape = a.shape[b.ndim :]
    n = int(np.prod(shape, dtype=np.int64))
    if a.size != n * n:
        raise shape_error("linalg.tensorsolve", f"a {a.shape} is not square over b {b.shape}")
    return shp.reshape(solve(shp.reshape(a, (n, n)), shp.ravel(b)), shape)


def tensorinv(a: Any, ind: int = 2) -> Any:
    """The inverse of ``a`` for ``tensordot`` over its first ``ind`` axes."""
    a = real_float(a, "tensorinv", complex_ok=True)
    if ind <= 0:
        raise ValueError("linalg.tensorinv: ind must be a positive integer")
    inv_shape = a.shape[ind:] + a.shape[:ind]
    n = int(np.prod(a.shape[ind:], dtype=np.int64))
    return shp.reshape(inv(shp.reshape(a, (n, -1))), inv_shape)


# ---------------------------------------------------------------- decompositions


def cholesky(a: Any, /, *, upper: bool = False) -> Any:
    """The lower (or ``upper``) Cholesky factor of each symmetric positive-definite matrix, of
    ``(a + a^T) / 2`` as ``jax.numpy.linalg.cholesky`` (NumPy reads the lower triangle only: the
    same for symmetric ``a``), so values and derivatives agree for any input.

    Examples:
        >>> tnp.linalg.cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]))
        array([[2., 0.],
               [1., 2.]])
    """
    L = ld.cholesky.bind(_symmetrized(float_matrices(a, "cholesky")))
    return _mT(L) if upper else L


def _symmetrized(a: Any) -> Any:
    """``(a + a^H) / 2``: what ``jax.numpy.linalg``'s eigh and cholesky decompose. The
    primitives read one triangle but differentiate as if the input were Hermitian (JAX's lax
    convention), so without this a non-Hermitian input got a derivative of another function."""
    return (a + _mH(a)) * np.asarray(0.5, a.dtype)


def _uplo(UPLO: str) -> bool:
    if UPLO not in ("L", "U"):
        raise ValueError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return UPLO == "L"


def eigh(a: Any, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and eigenvectors of each symmetric (Hermitian) matrix, of
    ``(a + a^H) / 2`` as ``jax.numpy.linalg.eigh`` (NumPy reads the ``UPLO`` triangle: the same
    for Hermitian ``a``). Each eigenvector's largest-magnitude entry is real and positive, and
    derivatives (JAX's, for distinct eigenvalues) are those of that choice.

    Examples:
        >>> tnp.linalg.eigh(np.array([[2.0, 0.0], [0.0, 1.0]])).eigenvalues
        array([1., 2.])
    """
    w, v = ld.eigh.bind(_symmetrized(float_matrices(a, "eigh")), lower=_uplo(UPLO), compute_v=True)
    return EighResult(w, v)


def eigvalsh(a: Any, UPLO: str = "L") -> Any:
    """The eigenvalues (ascending) of each symmetric (Hermitian) matrix (of ``(a + a^H) / 2``,
    as JAX).

    Examples:
        >>> tnp.linalg.eigvalsh(np.array([[2.0, 1.0], [1.0, 2.0]]))
        array([1., 3.])
        >>> tnp.linalg.eigvalsh(np.array([[2.0, 1j], [-1j, 2.0]]))
        array([1., 3.])
    """
    a = _symmetrized(float_matrices(a, "eigvalsh"))
    (w,) = ld.eigh.bind(a, lower=_uplo(UPLO), compute_v=False)
    return w


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False):
    """``U, S, Vh`` with ``a = U @ diag(S) @ Vh`` (or ``S`` alone); ``hermitian`` is accepted
    and the general algorithm used. Each pair of singular vectors is signed (phased) so that the
    largest-magnitude entry of the ``U`` column is real and positive. Derivatives as JAX's
    (distinct singular values; ``full_matrices`` of non-square matrices has none), for complex
    ``a`` those of that phase choice.

    Examples:
        >>> tnp.linalg.svd(np.array([[3.0, 0.0], [0.0, -2.0]]), compute_uv=False)
        array([3., 2.])
    """
    a = float_matrices(a, "svd", square=False)
    out = ld.svd.bind(a, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    return SVDResult(*out) if compute_uv else out[0]


def svdvals(x: Any, /) -> Any:
    """The singular values of each matrix, descending."""
    return svd(x, compute_uv=False)


def qr(a: Any, mode: str = "reduced") -> Any:
    """``Q, R`` with ``a = Q @ R`` (``mode`` 'reduced' or 'complete'), or ``R`` ('r').
    Derivatives as JAX's, for every shape and mode.

    Examples:
        >>> q, r = tnp.linalg.qr(np.array([[3.0, 0.0], [4.0, 5.0]]))
        >>> np.allclose(q @ r, [[3.0, 0.0], [4.0, 5.0]])
        True
    """
    if mode not in ("reduced", "complete", "r"):
        raise NotImplementedError(f"linalg.qr: mode={mode!r} is not supported")
    q, r = ld.qr.bind(float_matrices(a, "qr", square=False), full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


def eig(a: Any) -> EigResult:
    """Eigenvalues and eigenvectors of general square matrices, always complex (as JAX; NumPy
    returns real arrays when every eigenvalue is real). Each eigenvector has unit norm and a
    real, positive largest-magnitude entry. Differentiable as JAX's ``jax.lax.linalg.eig``
    with ``enable_eigvec_derivs=True``: valid for distinct eigenvalues, and for the
    eigenvectors only under that normalization (``jax.numpy.linalg.eig`` refuses eigenvector
    derivatives).

    Examples:
        >>> w, v = tnp.linalg.eig(np.array([[2.0, 0.0], [0.0, 1.0]]))
        >>> w
        array([2.+0.j, 1.+0.j])
    """
    w, v = ld.eig.bind(float_matrices(a, "eig"), compute_v=True)
    return EigResult(w, v)


def eigvals(a: Any) -> Any:
    """The eigenvalues of general square matrices, always complex; differentiable (distinct
    eigenvalues), as JAX's.

    Examples:
        >>> tnp.linalg.eigvals(np.array([[0.0, -1.0], [1.0, 0.0]]))
        array([0.+1.j, 0.-1.j])
    """
    (w,) = ld.eig.bind(float_matrices(a, "eigvals"), compute_v=False)
    return w


# ---------------------------------------------------------------- pseudo-inverse, least squares


def _pinv_values(a: Any, rcond: float) -> Any:
    u, s, vh = svd(a, full_matrices=False)
    large = s > rcond * red.max(s, axis=-1, keepdims=True)
    s_inv = uf.where(large, 1.0 / uf.where(large, s, 1.0), 0.0)
    return matmul(_mH(vh), shp.expand_dims(s_inv, -1) * _mH(u))


@functools.cache
def _pinv_fn(rcond: float):
    """pinv with JAX's derivative (Golub & Pereyra 1973), defined for constant rank."""
    from trace_ag.custom import custom_jvp

    @custom_jvp
    def pinv(a):
        return _pinv_values(a, rcond)

    @pinv.defjvp
    def _pinv_jvp(primals, tangents):
        (a,), (da,) = primals, tangents
        p = pinv(a)
        s = matmul(matmul(p, _mH(p)), _mH(da))
        t = matmul(matmul(_mH(da), _mH(p)), p)
        dp = -matmul(matmul(p, da), p) + s - matmul(matmul(s, a), p) + t - matmul(p, matmul(a, t))
        return p, dp

    return pinv


_NO_VALUE = object()


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = _NO_VALUE) -> Any:
    """The Moore-Penrose pseudo-inverse (NumPy's cutoffs: ``rcond`` 1e-15 by default, or
    ``rtol``), from the SVD, differentiated as JAX's ``pinv``.

    Examples:
        >>> np.round(tnp.linalg.pinv(np.array([[1.0, 0.0], [0.0, 0.0]])), 6)
        array([[1., 0.],
               [0., 0.]])
    """
    a = float_matrices(a, "pinv", square=False)
    if rcond is None:
        if rtol is _NO_VALUE:
            rcond = 1e-15
        elif rtol is None:
            rcond = max(a.shape[-2:]) * float(np.finfo(a.dtype).eps)
        else:
            rcond = rtol
    elif rtol is not _NO_VALUE:
        raise ValueError("linalg.pinv: `rtol` and `rcond` can't be both set.")
    if np.ndim(rcond) != 0 or isinstance(rcond, Tracer):
        raise NotImplementedError("linalg.pinv: rcond/rtol must be a Python number")
    return _pinv_fn(float(rcond))(a)


def lstsq(a: Any, b: Any, rcond: Any = None) -> LstsqResult:
    """NumPy's ``(x, residuals, rank, s)`` for ``min ||a @ x - b||`` (``a`` 2-D), from the SVD as
    JAX computes it; ``rank`` and ``s`` carry no derivative. ``residuals`` is empty where NumPy's
    is (rank < n or m <= n) when the rank is known; under jit it is always computed (as JAX).

    Examples:
        >>> tnp.linalg.lstsq(np.array([[1.0], [1.0]]), np.array([1.0, 3.0])).x
        array([2.])
    """
    a, b = promote(real_float(a, "lstsq", complex_ok=True), real_float(b, "lstsq", complex_ok=True))
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise shape_error("linalg.lstsq", f"shapes {a.shape} and {b.shape}: need (m, n), (m[, k])")
    m, n = a.shape
    b2 = shp.expand_dims(b, -1) if b.ndim == 1 else b
    rcond = float(np.finfo(a.dtype).eps) * max(m, n) if rcond is None else rcond
    if rcond < 0:
        rcond = float(np.finfo(a.dtype).eps)
    u, s, vh = svd(a, full_matrices=False)
    mask = (s > 0) & (s >= rcond * uf.stop_gradient(s[0]))
    rank = red.sum(uf.astype(mask, np.int64))
    s_inv = uf.where(mask, 1.0 / uf.where(mask, s, 1.0), 0.0)
    x = matmul(_mH(vh), shp.expand_dims(s_inv, -1) * matmul(_mH(u), b2))
    known = rank.concrete_value() if isinstance(rank, Tracer) else rank
    if known is not None and (int(known) < n or m <= n):
        resid = np.zeros((0,), a.dtype)
    else:
        resid = red.sum(uf.abs(b2 - matmul(a, x)) ** 2, axis=0)
    x = shp.squeeze(x, -1) if b.ndim == 1 else x
    return LstsqResult(x, resid, rank, uf.stop_gradient(s))


# ---------------------------------------------------------------- products and powers


def matrix_power(a: Any, n: int) -> Any:
    """``a`` multiplied by itself ``n`` times (the inverse's powers for negative ``n``; the
    identity for 0), by repeated squaring.

    Examples:
        >>> tnp.linalg.matrix_power(np.array([[1.0, 1.0], [0.0, 1.0]]), 3)
        array([[1., 3.],
               [0., 1.]])
    """
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError("linalg.matrix_power: exponent must be an integer") from None
    a = asarray_or_tracer(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise shape_error("linalg.matrix_power", f"expected square matrices, got {a.shape}")
    if n == 0:
        return shp.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
    if n < 0:
        a, n = inv(a), -n
    result, power = None, a
    while n:
        if n & 1:
            result = power if result is None else matmul(result, power)
        n >>= 1
        if n:
            power = matmul(power, power)
    return result


def matrix_rank(A: Any, tol: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Any:
    """The number of singular values above ``tol`` (NumPy's default tolerance); no derivative.

    Examples:
        >>> tnp.linalg.matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0]]))
        np.int64(1)
    """
    A = uf.stop_gradient(real_float(A, "matrix_rank", complex_ok=True))
    if A.ndim < 2:
        return uf.astype(red.any(A != 0), np.int64)
    S = svd(A, compute_uv=False)
    if tol is None:
        if rtol is None:
            rtol = max(A.shape[-2:]) * float(np.finfo(S.dtype).eps)
        else:
            rtol = shp.expand_dims(asarray_or_tracer(rtol), -1)
        tol = red.max(S, axis=-1, keepdims=True) * rtol
    else:
        tol = shp.expand_dims(asarray_or_tracer(tol), -1)
    return red.sum(uf.astype(S > tol, np.int64), axis=-1)


def _chain_order(dims: list[int]) -> list[list[int]]:
    """The cheapest parenthesization of a matrix chain (NumPy's dynamic programme):
    ``split[i][j]`` is where the product of matrices i..j splits."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(arrays: Sequence[Any], *, out: Any = None) -> Any:
    """The product of two or more arrays in the cheapest order; the first may be 1-D (a row)
    and the last 1-D (a column), as ``numpy.linalg.multi_dot``.

    Examples:
        >>> tnp.linalg.multi_dot([np.ones(2), np.eye(2), np.ones(2)])
        array(2.)
    """
    if out is not None:
        raise NotImplementedError("linalg.multi_dot: out= is not supported (arrays are immutable)")
    arrays = [asarray_or_tracer(x) for x in arrays]
    if len(arrays) < 2:
        raise ValueError("linalg.multi_dot: expecting at least two arrays")
    first_1d, last_1d = arrays[0].ndim == 1, arrays[-1].ndim == 1
    if first_1d:
        arrays[0] = shp.expand_dims(arrays[0], 0)
    if last_1d:
        arrays[-1] = shp.expand_dims(arrays[-1], -1)
    for x in arrays:
        if x.ndim != 2:
            raise shape_error("linalg.multi_dot", f"{x.ndim}-dimensional array given; need 2-D")
    split = _chain_order([arrays[0].shape[0]] + [x.shape[1] for x in arrays])

    def product(i: int, j: int) -> Any:
        if i == j:
            return arrays[i]
        k = split[i][j]
        return matmul(product(i, k), product(k + 1, j))

    result = product(0, len(arrays) - 1)
    if first_1d:
        result = shp.squeeze(result, 0)
    if last_1d:
        result = shp.squeeze(result, -1)
    return result
