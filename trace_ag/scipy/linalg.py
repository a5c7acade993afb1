"""``trace_ag.scipy.linalg``: SciPy's linear algebra with SciPy's names and defaults
(``cholesky`` gives the *upper* factor unless ``lower=True``), traceable and differentiable
like ``jax.scipy.linalg``.

Everything is composed from primitives: the triangular solves, Cholesky, eigh, svd and qr of
``trace_ag.primitives.linalg_decomp`` and the pivoted LU of ``trace_ag.primitives.linalg_scipy``;
``expm`` is JAX's Padé scaling-and-squaring written with trace_ag ops, so its derivative (and
``expm_frechet``) is the derivative of that computation, as in JAX; ``solve_sylvester``,
``sqrtm`` and ``schur`` run SciPy's kernels (``jax.scipy.linalg``'s under jit), the first two
differentiable (JAX's are not), ``schur`` not (as in JAX). Leading batch dimensions are
allowed wherever SciPy allows them. The arguments SciPy has for its LAPACK work arrays
(``overwrite_a``, ``check_finite``, ``lwork``, ...) are accepted and ignored, as JAX does.
Inputs are real (integers become float64), except for ``solve_sylvester``, ``sqrtm`` and
``schur``, which take complex ones too.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag import numpy as tnp
from trace_ag.core import Tracer, shape_error
from trace_ag.numpy import linalg as _np_linalg
from trace_ag.numpy._base import asarray_or_tracer, promote
from trace_ag.numpy._linalg_more import float_matrices, real_float
from trace_ag.primitives import linalg_decomp as ld
from trace_ag.primitives import linalg_scipy as ls

__all__ = [
    "block_diag",
    "cho_factor",
    "cho_solve",
    "cholesky",
    "det",
    "eigh",
    "expm",
    "expm_frechet",
    "inv",
    "lu",
    "lu_factor",
    "lu_solve",
    "qr",
    "schur",
    "solve",
    "solve_sylvester",
    "solve_triangular",
    "sqrtm",
    "svd",
    "tril",
    "triu",
]

# ---------------------------------------------------------------- arguments


def _real(x: Any, fn: str) -> Any:
    return real_float(x, fn, namespace="scipy.linalg")


def _matrices(x: Any, fn: str, square: bool = True) -> Any:
    return float_matrices(x, fn, square, namespace="scipy.linalg", complex_ok=False)


def _mT(x: Any) -> Any:
    return tnp.swapaxes(x, -1, -2)


def _with_rhs(a: Any, b: Any, fn: str) -> tuple[Any, Any, bool]:
    """``a`` (..., n, n) and ``b`` as (..., n, k) matrices with one broadcast batch shape; a 1-D
    ``b`` is one vector (the returned flag says so)."""
    a, b = promote(_matrices(a, fn), _real(b, fn))
    vector = b.ndim == 1
    if vector:
        b = tnp.expand_dims(b, -1)
    if b.ndim < 2 or b.shape[-2] != a.shape[-1]:
        raise shape_error(f"scipy.linalg.{fn}", f"shapes of a {a.shape} and b {b.shape} differ")
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise shape_error(
            f"scipy.linalg.{fn}", f"batch dimensions of a {a.shape} and b {b.shape} differ"
        ) from None
    a = tnp.broadcast_to(a, batch + a.shape[-2:])
    return a, tnp.broadcast_to(b, batch + b.shape[-2:]), vector


def _vector_back(x: Any, vector: bool) -> Any:
    return tnp.squeeze(x, -1) if vector else x


def _unit_diagonal(a: Any) -> Any:
    """``a`` with ones on its diagonal (whose entries then get no gradient)."""
    n = a.shape[-1]
    return a * (1 - np.eye(n, dtype=a.dtype)) + np.eye(n, dtype=a.dtype)


def _transposes(trans: Any, fn: str, letters: bool = True) -> bool:
    """Whether ``trans`` asks for ``a.T`` (2 and 'C', the conjugate transpose, are the same for
    real input); ``lu_solve`` takes the integers only, as SciPy's."""
    if isinstance(trans, (int, np.integer)) and not isinstance(trans, bool) and trans in (0, 1, 2):
        return trans != 0
    if letters and isinstance(trans, str) and trans in ("N", "T", "C"):
        return trans != "N"
    allowed = "0, 1, 2, 'N', 'T' or 'C'" if letters else "0, 1 or 2"
    raise ValueError(f"scipy.linalg.{fn}: trans must be {allowed}, got {trans!r}")


# ---------------------------------------------------------------- triangular and Cholesky


def solve_triangular(
    a: Any,
    b: Any,
    trans: Any = 0,
    lower: bool = False,
    unit_diagonal: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Any:
    """The solution ``x`` of ``a x = b`` (``trans=1``: ``a.T x = b``) reading only the
    ``lower`` (or upper) triangle of ``a``, and its diagonal as ones with ``unit_diagonal``.

    Examples:
        >>> a = np.array([[2.0, 0.0], [1.0, 4.0]])
        >>> ag.scipy.linalg.solve_triangular(a, np.array([2.0, 9.0]), lower=True)
        array([1., 2.])
    """
    transpose = _transposes(trans, "solve_triangular")
    a, b, vector = _with_rhs(a, b, "solve_triangular")
    if unit_diagonal:
        a = _unit_diagonal(a)
    x = ld.triangular_solve.bind(a, b, lower=bool(lower), transpose_a=transpose)
    return _vector_back(x, vector)


def cholesky(
    a: Any, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True
) -> Any:
    """The Cholesky factor of each symmetric positive-definite matrix: upper (``a = U.T @ U``,
    SciPy's default, from the upper triangle) or ``lower`` (``a = L @ L.T``, from the lower
    triangle). A matrix that is not positive definite raises ``LinAlgError``, as in SciPy.

    Examples:
        >>> ag.scipy.linalg.cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]))
        array([[2., 1.],
               [0., 2.]])
    """
    a = _matrices(a, "cholesky")
    if lower:
        return ld.cholesky.bind(a)
    return _mT(ld.cholesky.bind(_mT(a)))


def cho_factor(
    a: Any, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True
) -> tuple[Any, bool]:
    """``(c, lower)`` for ``cho_solve``: ``c`` is ``cholesky(a, lower)`` (zeros in the other
    triangle, as JAX's; SciPy leaves what was there, which ``cho_solve`` never reads).

    Examples:
        >>> c, lower = ag.scipy.linalg.cho_factor(np.array([[4.0, 2.0], [2.0, 5.0]]))
        >>> ag.scipy.linalg.cho_solve((c, lower), np.array([6.0, 7.0]))
        array([1., 1.])
    """
    return cholesky(a, lower=lower), bool(lower)


def cho_solve(
    c_and_lower: tuple[Any, bool], b: Any, overwrite_b: bool = False, check_finite: bool = True
) -> Any:
    """The solution of ``a x = b`` from ``cho_factor(a)``'s ``(c, lower)``."""
    c, lower = c_and_lower
    c, b, vector = _with_rhs(c, b, "cho_solve")
    lower = bool(lower)
    y = ld.triangular_solve.bind(c, b, lower=lower, transpose_a=not lower)
    x = ld.triangular_solve.bind(c, y, lower=lower, transpose_a=lower)
    return _vector_back(x, vector)


# ---------------------------------------------------------------- LU


def _permutation_matrix(perm: Any, dtype: np.dtype) -> Any:
    """``p`` with ``p[i, j] = 1`` where ``perm[j] == i`` (so ``a = p @ l @ u``)."""
    m = perm.shape[-1]
    hits = tnp.expand_dims(perm, -2) == np.arange(m, dtype=np.int32)[:, None]
    return tnp.astype(hits, dtype)


def lu(
    a: Any,
    permute_l: bool = False,
    overwrite_a: bool = False,
    check_finite: bool = True,
    p_indices: bool = False,
) -> tuple:
    """``p, l, u`` with ``a = p @ l @ u`` (partial pivoting): ``l`` (..., m, k) unit lower
    triangular, ``u`` (..., k, n) upper triangular, ``k = min(m, n)``. ``permute_l=True``:
    ``(p @ l, u)``; ``p_indices=True``: ``p`` as row indices, with ``a = l[p] @ u``.

    Examples:
        >>> p, l, u = ag.scipy.linalg.lu(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> p
        array([[0., 1.],
               [1., 0.]])
        >>> u
        array([[3.        , 4.        ],
               [0.        , 0.66666667]])
    """
    a = _matrices(a, "lu", square=False)
    packed, _, perm = ls.lu.bind(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    l_ = tnp.tril(packed[..., :, :k], -1) + np.eye(m, k, dtype=a.dtype)
    u = tnp.triu(packed[..., :k, :])
    if permute_l:
        return ls.permute_rows(l_, tnp.argsort(perm, axis=-1)), u
    if p_indices:
        return tnp.argsort(perm, axis=-1), l_, u
    return _permutation_matrix(perm, a.dtype), l_, u


def lu_factor(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> tuple[Any, Any]:
    """``(lu, piv)`` for ``lu_solve``: the packed factors and LAPACK's 0-based row
    interchanges (``int32``). A singular matrix gives a zero on ``u``'s diagonal, no error (as
    JAX; SciPy warns); ``lu_solve`` with it raises ``LinAlgError``.

    Examples:
        >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> ag.scipy.linalg.lu_solve(ag.scipy.linalg.lu_factor(a), np.array([5.0, 11.0]))
        array([1., 2.])
    """
    packed, pivots, _ = ls.lu.bind(_matrices(a, "lu_factor", square=False))
    return packed, pivots


def lu_solve(
    lu_and_piv: tuple[Any, Any],
    b: Any,
    trans: Any = 0,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Any:
    """The solution of ``a x = b`` (``trans=1``: ``a.T x = b``) from ``lu_factor(a)``."""
    transpose = _transposes(trans, "lu_solve", letters=False)
    packed, pivots = lu_and_piv
    packed, b, vector = _with_rhs(packed, b, "lu_solve")
    pivots = asarray_or_tracer(pivots)
    if not np.issubdtype(pivots.dtype, np.integer) or pivots.shape[-1:] != packed.shape[-1:]:
        raise shape_error(
            "scipy.linalg.lu_solve", f"pivots {pivots.shape} do not fit lu {packed.shape}"
        )
    n = packed.shape[-1]
    perm = ls.lu_pivots_to_permutation.bind(pivots, permutation_size=n)
    perm = tnp.broadcast_to(perm, packed.shape[:-1])
    unit_l, upper = _unit_diagonal(packed), packed
    if not transpose:
        y = ld.triangular_solve.bind(
            unit_l, ls.permute_rows(b, perm), lower=True, transpose_a=False
        )
        x = ld.triangular_solve.bind(upper, y, lower=False, transpose_a=False)
    else:
        y = ld.triangular_solve.bind(upper, b, lower=False, transpose_a=True)
        z = ld.triangular_solve.bind(unit_l, y, lower=True, transpose_a=True)
        x = ls.permute_rows(z, tnp.argsort(perm, axis=-1))
    return _vector_back(x, vector)


# ---------------------------------------------------------------- as numpy.linalg


def det(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> Any:
    """The determinant of each square matrix (``numpy.linalg.det``).

    Examples:
        >>> ag.scipy.linalg.det(np.array([[2.0, 0.0], [0.0, 3.0]]))
        np.float64(6.0)
    """
    return _np_linalg.det(_matrices(a, "det"))


def inv(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> Any:
    """The inverse of each square matrix; a singular one raises ``LinAlgError``."""
    return _np_linalg.inv(_matrices(a, "inv"))


_ASSUME_A = {
    "gen": "gen",
    "general": "gen",
    "sym": "gen",
    "symmetric": "gen",
    "her": "gen",
    "hermitian": "gen",
    "pos": "pos",
    "positive definite": "pos",
    "lower triangular": "lower",
    "upper triangular": "upper",
    "diagonal": "diagonal",
}


def solve(
    a: Any,
    b: Any,
    lower: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    assume_a: str | None = None,
    transposed: bool = False,
) -> Any:
    """The solution of ``a x = b`` (``transposed``: ``a.T x = b``); ``b`` is a vector when 1-D.

    ``assume_a``: 'gen' (default), 'sym', 'her' and 'pos' solve with all of ``a`` (as JAX, whose
    derivative is the general solve's; for a symmetric ``a`` the values are SciPy's), 'pos'
    first checks positive definiteness with ``lower``'s triangle (``LinAlgError`` if not);
    'lower triangular', 'upper triangular' and 'diagonal' read only that part of ``a``.

    Examples:
        >>> a = np.array([[3.0, 1.0], [1.0, 2.0]])
        >>> ag.scipy.linalg.solve(a, np.array([9.0, 8.0]), assume_a="pos")
        array([2., 3.])
    """
    kind = _ASSUME_A.get("gen" if assume_a is None else assume_a)
    if kind is None:
        raise ValueError(
            f"scipy.linalg.solve: assume_a={assume_a!r} is not supported; use one of "
            f"{sorted(_ASSUME_A)}"
        )
    a, b, vector = _with_rhs(a, b, "solve")
    if transposed:
        a = _mT(a)
    if kind == "pos":
        cholesky(tnp.stop_gradient(a), lower=lower)  # raises LinAlgError as SciPy does
    if kind in ("lower", "upper"):
        x = ld.triangular_solve.bind(a, b, lower=kind == "lower", transpose_a=False)
    elif kind == "diagonal":
        x = b / tnp.expand_dims(tnp.diagonal(a, 0, -2, -1), -1)
    else:
        x = ld.solve.bind(a, b)
    return _vector_back(x, vector)


def eigh(
    a: Any,
    b: Any = None,
    *,
    lower: bool = True,
    eigvals_only: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    type: int = 1,
    check_finite: bool = True,
    subset_by_index: Any = None,
    subset_by_value: Any = None,
    driver: Any = None,
) -> Any:
    """Eigenvalues (ascending) and eigenvectors of each symmetric matrix, from its ``lower``
    (or upper) triangle; ``eigvals_only`` gives the eigenvalues alone and ``subset_by_index``
    ``(lo, hi)`` those from ``lo`` to ``hi`` inclusive. Each eigenvector's largest-magnitude
    entry is positive. The generalized problem (``b``) is not supported.

    Examples:
        >>> ag.scipy.linalg.eigh(np.array([[2.0, 1.0], [1.0, 2.0]]), eigvals_only=True)
        array([1., 3.])
    """
    if b is not None or type != 1 or subset_by_value is not None:
        raise NotImplementedError(
            "scipy.linalg.eigh: only the standard problem (b=None, type=1) is supported, "
            "without subset_by_value"
        )
    a = _matrices(a, "eigh")
    if eigvals_only:
        (w,) = ld.eigh.bind(a, lower=bool(lower), compute_v=False)
        v = None
    else:
        w, v = ld.eigh.bind(a, lower=bool(lower), compute_v=True)
    if subset_by_index is not None:
        lo, hi = (int(i) for i in subset_by_index)
        n = a.shape[-1]
        if not 0 <= lo <= hi < n:
            raise ValueError(
                f"scipy.linalg.eigh: subset_by_index {subset_by_index} outside [0, {n})"
            )
        w = w[..., lo : hi + 1]
        v = None if v is None else v[..., :, lo : hi + 1]
    return w if eigvals_only else (w, v)


def svd(
    a: Any,
    full_matrices: bool = True,
    compute_uv: bool = True,
    overwrite_a: bool = False,
    check_finite: bool = True,
    lapack_driver: str = "gesdd",
) -> Any:
    """``(U, s, Vh)`` with ``a = U @ diag(s) @ Vh`` (or ``s`` alone), as ``numpy.linalg.svd``;
    derivatives as JAX's (none for ``full_matrices`` of a non-square matrix).

    Examples:
        >>> ag.scipy.linalg.svd(np.array([[3.0, 0.0], [0.0, -2.0]]), compute_uv=False)
        array([3., 2.])
    """
    if lapack_driver not in ("gesdd", "gesvd"):
        raise ValueError("scipy.linalg.svd: lapack_driver must be 'gesdd' or 'gesvd'")
    out = _np_linalg.svd(_matrices(a, "svd", square=False), full_matrices, compute_uv)
    return tuple(out) if compute_uv else out


def qr(
    a: Any,
    overwrite_a: bool = False,
    lwork: Any = None,
    mode: str = "full",
    pivoting: bool = False,
    check_finite: bool = True,
) -> tuple:
    """``(Q, R)`` with ``a = Q @ R``: ``mode='full'`` (``Q`` square), 'economic' (``Q``
    (..., m, k)), or 'r' (the one-element tuple ``(R,)`` with the full ``R``, as SciPy).

    Examples:
        >>> (r,) = ag.scipy.linalg.qr(np.array([[3.0], [4.0]]), mode="r")
        >>> np.abs(r)
        array([[5.],
               [0.]])
    """
    if pivoting:
        raise NotImplementedError("scipy.linalg.qr: pivoting=True is not supported")
    if mode not in ("full", "economic", "r"):
        raise ValueError(
            f"scipy.linalg.qr: mode={mode!r} is not supported (use 'full', 'economic' or 'r')"
        )
    a = _matrices(a, "qr", square=False)
    q, r = ld.qr.bind(a, full_matrices=mode != "economic")
    return (r,) if mode == "r" else (q, r)


# ---------------------------------------------------------------- expm


def _pade_coefficients(m: int) -> list[float]:
    """The numerator coefficients of the degree-``m`` Padé approximant of ``exp``, scaled so
    that the last is 1 (Higham 2005): ``b_j ∝ (2m - j)! / (j! (m - j)!)``."""
    c = [
        Fraction(math.factorial(2 * m - j), math.factorial(j) * math.factorial(m - j))
        for j in range(m + 1)
    ]
    return [float(cj / c[m]) for cj in c]


# float64 and float32: the largest 1-norm handled without squaring, the 1-norm thresholds below
# which each degree is accurate, the degrees (Higham 2005, Table 2.3; as JAX's expm)
_EXPM_PLAN = {
    8: (
        5.371920351148152,
        (1.495585217958292e-2, 2.539398330063230e-1, 9.504178996162932e-1, 2.097847961257068e0),
        (3, 5, 7, 9, 13),
    ),
    4: (3.925724783138660, (4.258730016922831e-1, 1.880152677804762e0), (3, 5, 7)),
}


def _pade_u_v(a: Any, degree: int, powers: dict) -> tuple[Any, Any]:
    """The odd part ``U`` and even part ``V`` of the numerator, so ``P = V + U``, ``Q = V - U``."""
    b = _pade_coefficients(degree)
    if degree == 13:  # Higham's grouping: three products instead of six powers
        a6 = powers[6]
        u_inner = a6 @ (b[13] * a6 + b[11] * powers[4] + b[9] * powers[2])
        u = a @ (u_inner + b[7] * a6 + b[5] * powers[4] + b[3] * powers[2] + b[1] * powers[0])
        v_inner = a6 @ (b[12] * a6 + b[10] * powers[4] + b[8] * powers[2])
        v = v_inner + b[6] * a6 + b[4] * powers[4] + b[2] * powers[2] + b[0] * powers[0]
        return u, v
    odd = _combination([(b[j], powers[j - 1]) for j in range(degree, 0, -2)])
    even = _combination([(b[j], powers[j]) for j in range(degree - 1, -1, -2)])
    return a @ odd, even


def _combination(terms: list) -> Any:
    """``c0 * x0 + c1 * x1 + ...``, summed in the order given."""
    total = terms[0][0] * terms[0][1]
    for c, x in terms[1:]:
        total = total + c * x
    return total


def _known_max(x: Any) -> float | None:
    """The largest value of ``x`` where it is known now (not under jit or vmap)."""
    value = x.concrete_value() if isinstance(x, Tracer) else x
    return None if value is None else float(np.max(value, initial=0.0))


def expm(a: Any, *, upper_triangular: bool = False, max_squarings: int = 16) -> Any:
    """The matrix exponential of each square matrix, by JAX's (and SciPy's) Padé approximation
    with scaling and squaring: the degree and the number of squarings follow from the 1-norm.
    The derivative is that of this computation (as JAX's); more than ``max_squarings``
    squarings needed gives nan, as in JAX.

    Examples:
        >>> ag.scipy.linalg.expm(np.array([[0.0, 1.0], [0.0, 0.0]]))
        array([[1., 1.],
               [0., 1.]])
    """
    a = _matrices(a, "expm")
    if a.dtype.itemsize not in _EXPM_PLAN:
        raise errors.DTypeError(f"scipy.linalg.expm: float32 or float64 input, got {a.dtype}")
    max_norm, thresholds, degrees = _EXPM_PLAN[a.dtype.itemsize]
    norm1 = tnp.stop_gradient(tnp.max(tnp.sum(tnp.abs(a), axis=-2), axis=-1))
    tiny = np.finfo(a.dtype).tiny  # log2(0) would warn; any tiny value gives 0 squarings too
    squarings = tnp.maximum(0.0, tnp.floor(tnp.log2(tnp.maximum(norm1 / max_norm, tiny))))
    scaled = a / tnp.expand_dims(2.0**squarings, (-1, -2))
    choice = sum(tnp.astype(norm1 >= t, np.int32) for t in thresholds)
    n = a.shape[-1]
    eye = np.eye(n, dtype=a.dtype)
    powers = {0: eye, 2: scaled @ scaled}
    highest = max(6 if d == 13 else d - 1 for d in degrees)
    for k in range(4, highest + 1, 2):
        powers[k] = powers[k - 2] @ powers[2]
    u = v = None
    for i, degree in enumerate(degrees):
        u_i, v_i = _pade_u_v(scaled, degree, powers)
        pick = tnp.expand_dims(choice == i, (-1, -2))
        u, v = (u_i, v_i) if u is None else (tnp.where(pick, u_i, u), tnp.where(pick, v_i, v))
    q, p = v - u, v + u
    if upper_triangular:
        r = ld.triangular_solve.bind(q, p, lower=False, transpose_a=False)
    else:
        r = ld.solve.bind(q, p)
    known = _known_max(squarings)
    steps = max_squarings if known is None else min(int(known), max_squarings)
    for i in range(steps):
        r = tnp.where(tnp.expand_dims(squarings > i, (-1, -2)), r @ r, r)
    too_many = tnp.expand_dims(squarings > max_squarings, (-1, -2))
    return tnp.where(too_many, np.array(np.nan, a.dtype), r)


def expm_frechet(a: Any, e: Any, *, method: str | None = None, compute_expm: bool = True) -> Any:
    """The Fréchet derivative of ``expm`` at ``a`` in the direction ``e`` (with ``expm(a)``
    first when ``compute_expm``), as the forward-mode derivative of ``expm``, like JAX.

    Examples:
        >>> a = np.zeros((2, 2))
        >>> ag.scipy.linalg.expm_frechet(a, np.eye(2), compute_expm=False)
        array([[1., 0.],
               [0., 1.]])
    """
    from trace_ag.forward import jvp

    a, e = promote(_matrices(a, "expm_frechet"), _matrices(e, "expm_frechet"))
    if a.shape != e.shape:
        raise shape_error("scipy.linalg.expm_frechet", f"a {a.shape} and e {e.shape} differ")
    value, derivative = jvp(expm, (a,), (e,))
    return (value, derivative) if compute_expm else derivative


def _inexact_matrices(x: Any, fn: str, square: bool = True) -> Any:
    return float_matrices(x, fn, square, namespace="scipy.linalg")


def sqrtm(a: Any, disp: bool = True, blocksize: int = 64) -> Any:
    """The principal square root ``s`` (``s @ s == a``) of each square matrix, by SciPy's
    Schur method. Always complex, as ``jax.scipy.linalg.sqrtm`` (SciPy returns a real array
    when the root is real: the same values). Differentiable where ``a`` has no eigenvalue on
    the closed negative real axis: ``ds`` solves ``s ds + ds s = da`` (JAX has no derivative).

    Examples:
        >>> ag.scipy.linalg.sqrtm(np.array([[4.0, 0.0], [0.0, 9.0]])).real
        array([[2., 0.],
               [0., 3.]])
    """
    if not disp:
        raise NotImplementedError(
            "scipy.linalg.sqrtm: disp=False (an error estimate) is not supported"
        )
    return ls.sqrtm.bind(_inexact_matrices(a, "sqrtm"))


def solve_sylvester(a: Any, b: Any, q: Any) -> Any:
    """The ``x`` with ``a @ x + x @ b == q`` (``a`` (..., n, n), ``b`` (..., m, m), ``q``
    (..., n, m)), by SciPy's Bartels-Stewart; differentiable in all three (JAX's is not).

    Examples:
        >>> ag.scipy.linalg.solve_sylvester(np.eye(2), 2 * np.eye(2), 3 * np.eye(2))
        array([[1., 0.],
               [0., 1.]])
    """
    a = _inexact_matrices(a, "solve_sylvester")
    b = _inexact_matrices(b, "solve_sylvester")
    a, b, q = promote(a, b, _inexact_matrices(q, "solve_sylvester", square=False))
    if q.shape[-2:] != (a.shape[-1], b.shape[-1]):
        raise shape_error(
            "scipy.linalg.solve_sylvester",
            f"q {q.shape} must be (..., {a.shape[-1]}, {b.shape[-1]})",
        )
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2], q.shape[:-2])
    except ValueError:
        raise shape_error(
            "scipy.linalg.solve_sylvester",
            f"batch dimensions of {a.shape}, {b.shape} and {q.shape} do not broadcast",
        ) from None
    a, b, q = (tnp.broadcast_to(x, batch + x.shape[-2:]) for x in (a, b, q))
    return ls.solve_sylvester.bind(a, b, q)


def schur(
    a: Any,
    output: str = "real",
    lwork: Any = None,
    overwrite_a: bool = False,
    sort: Any = None,
    check_finite: bool = True,
) -> tuple[Any, Any]:
    """``T, Z`` with ``a = Z @ T @ Z^H``, ``Z`` unitary and ``T`` upper (quasi-)triangular
    (``output='real'``: 2 x 2 blocks for complex pairs of a real ``a``; ``'complex'``:
    triangular), SciPy's values. No derivative, as in JAX; ``sort`` is not supported.

    Examples:
        >>> t, z = ag.scipy.linalg.schur(np.array([[1.0, 2.0], [0.0, 3.0]]))
        >>> np.allclose(z @ t @ z.T, [[1.0, 2.0], [0.0, 3.0]])
        True
    """
    if output not in ("real", "complex", "r", "c"):
        raise ValueError(f"scipy.linalg.schur: output must be 'real' or 'complex', got {output!r}")
    if sort is not None:
        raise NotImplementedError("scipy.linalg.schur: sort= is not supported")
    output = "complex" if output in ("complex", "c") else "real"
    return tuple(ls.schur.bind(_inexact_matrices(a, "schur"), output=output))


# ---------------------------------------------------------------- building matrices


def block_diag(*arrs: Any) -> Any:
    """The block-diagonal matrix of the arguments (scalars and 1-D arrays are 1-row blocks).

    Examples:
        >>> ag.scipy.linalg.block_diag(np.ones((1, 2)), 3.0)
        array([[1., 1., 0.],
               [0., 0., 3.]])
    """
    if not arrs:
        return np.zeros((1, 0))
    arrs = promote(*arrs)
    for i, x in enumerate(arrs):
        if x.ndim > 2:
            raise ValueError(
                f"scipy.linalg.block_diag: arguments must have at most 2 dimensions, got shape "
                f"{x.shape} at argument {i}"
            )
    blocks = [tnp.atleast_2d(x) for x in arrs]
    total = sum(x.shape[1] for x in blocks)
    rows, start = [], 0
    for x in blocks:
        cols = x.shape[1]
        rows.append(tnp.pad(x, ((0, 0), (start, total - start - cols))))
        start += cols
    return tnp.concatenate(rows, axis=0)


def tril(m: Any, k: int = 0) -> Any:
    """Zeros above the ``k``-th diagonal (SciPy's ``tril``, removed in SciPy 1.13; kept for old
    code, same as ``numpy.tril``)."""
    return tnp.tril(m, k)


def triu(m: Any, k: int = 0) -> Any:
    """Zeros below the ``k``-th diagonal (SciPy's ``triu``, removed in SciPy 1.13; kept for old
    code, same as ``numpy.triu``)."""
    return tnp.triu(m, k)
