"""Primitives behind ``trace_ag.scipy.linalg``: the LU factorization with partial pivoting
(``lu``) and the conversion of LAPACK's pivots to a row permutation
(``lu_pivots_to_permutation``), as XLA has them; the Sylvester solve (``solve_sylvester``),
the principal matrix square root (``sqrtm``) and the Schur form (``schur``), on SciPy's kernels
(imported when first used) and ``jax.scipy.linalg``'s.

``lu`` returns what ``jax.lax.linalg.lu`` returns: the packed factors (``L`` strictly below the
diagonal with an implied unit diagonal, ``U`` on and above it), LAPACK's 0-based pivots
(``int32``) and the permutation ``perm`` with ``a[perm] == L @ U``. Its jvp is JAX's
(``jax._src.lax.linalg._lu_jvp_rule``), its vjp that jvp transposed; both are written with
trace_ag ops, so they differentiate again. Triangular solves reuse ``triangular_solve`` of
``linalg_decomp``. The pivots and the permutation carry no derivative.
"""

from __future__ import annotations

import numpy as np

from trace_ag import errors
from trace_ag import numpy as tnp
from trace_ag.core import Aval, Primitive, shape_error
from trace_ag.primitives._transform_rules import to_front
from trace_ag.primitives.linalg_decomp import batch_leading, check_matrices, mT, triangular_solve

# ---------------------------------------------------------------- lu


def _lu_impl(a):
    """Gaussian elimination with partial pivoting (LAPACK's getf2: the first entry of largest
    magnitude is the pivot; a zero pivot column is left as it is), over any batch shape."""
    *batch, m, n = a.shape
    k = min(m, n)
    lu = np.array(a, copy=True).reshape(-1, m, n)
    count = lu.shape[0]
    rows = np.arange(count)
    pivots = np.zeros((count, k), np.int32)
    perm = np.tile(np.arange(m, dtype=np.int32), (count, 1))
    for j in range(k):
        p = j + np.argmax(np.abs(lu[:, j:, j]), axis=1)
        pivots[:, j] = p
        lu[rows, j], lu[rows, p] = lu[rows, p], lu[rows, j].copy()
        perm[rows, j], perm[rows, p] = perm[rows, p], perm[rows, j].copy()
        pivot = lu[:, j, j]
        lu[:, j + 1 :, j] /= np.where(pivot == 0, 1, pivot)[:, None]
        lu[:, j + 1 :, j + 1 :] -= lu[:, j + 1 :, j : j + 1] * lu[:, j : j + 1, j + 1 :]
    return lu.reshape(a.shape), pivots.reshape((*batch, k)), perm.reshape((*batch, m))


def _lu_aval(a):
    check_matrices("lu", a, square=False)
    *batch, m, n = a.shape
    i32 = np.dtype(np.int32)
    return Aval(a.shape, a.dtype), Aval((*batch, min(m, n)), i32), Aval((*batch, m), i32)


def lu_factors(lu):
    """``L`` (..., m, m), unit lower triangular, and ``U`` (..., n, n), upper triangular, from
    the packed ``(..., m, n)`` factors; beyond ``min(m, n)`` they are padded with the
    identity (JAX's padding, so that both are square and invertible)."""
    *batch, m, n = lu.shape
    k = min(m, n)
    lower = tnp.tril(lu[..., :, :k], -1)
    if m > k:
        lower = tnp.concatenate([lower, tnp.zeros((*batch, m, m - k), lu.dtype)], axis=-1)
    upper = tnp.triu(lu[..., :k, :])
    if n > k:
        upper = tnp.concatenate([upper, tnp.zeros((*batch, n - k, n), lu.dtype)], axis=-2)
    eye_u = np.diag((np.arange(n) >= k).astype(lu.dtype))
    return lower + np.eye(m, dtype=lu.dtype), upper + eye_u


def permute_rows(x, perm):
    """``x[..., perm, :]`` for a stack of permutations ``perm`` (..., m)."""
    return tnp.take_along_axis(x, tnp.expand_dims(perm, -1), axis=-2)


def _right_solve_upper(u, b):
    """``b @ inv(u)`` for upper triangular ``u``."""
    return mT(triangular_solve.bind(u, mT(b), lower=False, transpose_a=True))


def _lu_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    lu_, pivots, perm = lu.bind(a)
    L, U = lu_factors(lu_)
    x = permute_rows(da, perm)
    la = triangular_solve.bind(L, x, lower=True, transpose_a=False)
    lau = _right_solve_upper(U, la)
    return (lu_, pivots, perm), (L @ tnp.tril(lau, -1) + tnp.triu(lau) @ U, None, None)


def _lu_vjp(g, out, a):
    # The transpose of the jvp above, step by step in reverse.
    lu_, _, perm = out
    L, U = lu_factors(lu_)
    g_lau = tnp.triu(g[0] @ mT(U)) + tnp.tril(mT(L) @ g[0], -1)
    g_la = mT(triangular_solve.bind(U, mT(g_lau), lower=False, transpose_a=False))
    g_x = triangular_solve.bind(L, g_la, lower=True, transpose_a=True)
    return [permute_rows(g_x, tnp.argsort(perm, axis=-1))]


def _lu_jax(a):
    from jax.lax import linalg

    return tuple(linalg.lu(a))


lu = Primitive(
    "lu",
    impl=_lu_impl,
    abstract_eval=_lu_aval,
    vjp=_lu_vjp,
    jvp=_lu_jvp,
    jax=_lu_jax,
    batch=batch_leading(),
    multiple_results=True,
    allocates=True,
)


# ---------------------------------------------------------------- lu_pivots_to_permutation


def _pivots_impl(pivots, *, permutation_size):
    *batch, k = pivots.shape
    flat = pivots.reshape(-1, k)
    perm = np.tile(np.arange(permutation_size, dtype=np.int32), (flat.shape[0], 1))
    rows = np.arange(flat.shape[0])
    for j in range(k):
        p = flat[:, j]
        perm[rows, j], perm[rows, p] = perm[rows, p], perm[rows, j].copy()
    return perm.reshape((*batch, permutation_size))


def _pivots_aval(pivots, *, permutation_size):
    if pivots.ndim < 1 or not np.issubdtype(pivots.dtype, np.integer):
        raise shape_error(
            "lu_pivots_to_permutation", f"expected integer pivots (..., k), got {pivots}"
        )
    if pivots.shape[-1] > permutation_size:
        raise shape_error(
            "lu_pivots_to_permutation",
            f"{pivots.shape[-1]} pivots for a permutation of size {permutation_size}",
        )
    return Aval((*pivots.shape[:-1], permutation_size), np.dtype(np.int32))


def _pivots_jax(pivots, *, permutation_size):
    from jax.lax import linalg

    return linalg.lu_pivots_to_permutation(pivots.astype("int32"), permutation_size)


def _pivots_batch(vals, dims, *, size, permutation_size):
    out = lu_pivots_to_permutation.bind(
        to_front(vals[0], dims[0], size), permutation_size=permutation_size
    )
    return out, 0


lu_pivots_to_permutation = Primitive(
    "lu_pivots_to_permutation",
    impl=_pivots_impl,
    abstract_eval=_pivots_aval,
    differentiable=False,
    jax=_pivots_jax,
    batch=_pivots_batch,
    allocates=True,
)


# ---------------------------------------------------------------- SciPy's 2-D kernels


def _scipy_linalg():
    try:
        import scipy.linalg
    except ImportError:  # pragma: no cover - SciPy is an optional dependency
        raise ImportError(
            "this trace_ag.scipy.linalg function needs SciPy: pip install 'trace_ag[scipy]'"
        ) from None
    return scipy.linalg


def _each_matrix(fn, *arrays, out_dtypes):
    """``fn`` (on 2-D operands, returning a tuple) over the batch dimensions of ``arrays``."""
    batch = arrays[0].shape[:-2]
    flat = [x.reshape((-1, *x.shape[-2:])) for x in arrays]
    results = [fn(*(x[i] for x in flat)) for i in range(flat[0].shape[0])]
    return tuple(
        np.asarray([r[k] for r in results], dt).reshape(batch + flat[-1].shape[-2:])
        for k, dt in enumerate(out_dtypes)
    )


def _jax_each_matrix(fn, signature):
    import jax.numpy as jnp

    return jnp.vectorize(fn, signature=signature)


# ---------------------------------------------------------------- solve_sylvester


def _sylvester_aval(a, b, q):
    for x in (a, b, q):
        if x.ndim < 2 or not np.issubdtype(x.dtype, np.inexact):
            raise shape_error("solve_sylvester", f"expected float or complex matrices, got {x}")
    n, m = a.shape[-1], b.shape[-1]
    same_batch = a.shape[:-2] == b.shape[:-2] == q.shape[:-2]
    if (a.shape[-2], b.shape[-2], q.shape[-2:]) != (n, m, (n, m)) or not same_batch:
        raise shape_error(
            "solve_sylvester",
            f"a {a.shape}, b {b.shape} and q {q.shape} must be (..., n, n), (..., m, m), "
            "(..., n, m) with one batch shape",
        )
    if not a.dtype == b.dtype == q.dtype:
        raise shape_error("solve_sylvester", f"dtypes {a.dtype}, {b.dtype}, {q.dtype} differ")
    return q


def _sylvester_impl(a, b, q):
    solve = _scipy_linalg().solve_sylvester
    return _each_matrix(lambda *m: (solve(*m),), a, b, q, out_dtypes=(q.dtype,))[0]


def _sylvester_jvp(primals, tangents):
    # a dx + dx b = dq - da x - x db: the same equation, another right-hand side
    (a, b, q), (da, db, dq) = primals, tangents
    x = solve_sylvester.bind(a, b, q)
    rhs = 0.0 if dq is None else dq
    if da is not None:
        rhs = rhs - da @ x
    if db is not None:
        rhs = rhs - x @ db
    return x, solve_sylvester.bind(a, b, tnp.broadcast_to(rhs, x.shape))


def _sylvester_vjp(g, x, a, b, q):
    # the transpose (no conjugates, JAX's complex convention): a^T y + y b^T = g
    y = solve_sylvester.bind(mT(a), mT(b), g)
    return [-(y @ mT(x)), -(mT(x) @ y), y]


def _sylvester_jax(a, b, q):
    import jax.scipy.linalg as jsl

    return _jax_each_matrix(jsl.solve_sylvester, "(n,n),(m,m),(n,m)->(n,m)")(a, b, q)


solve_sylvester = Primitive(
    "solve_sylvester",
    impl=_sylvester_impl,
    abstract_eval=_sylvester_aval,
    vjp=_sylvester_vjp,
    jvp=_sylvester_jvp,
    jax=_sylvester_jax,
    batch=batch_leading(),
    complex_rules=True,  # holomorphic in all three operands
)


# ---------------------------------------------------------------- sqrtm


def _complex_of(dtype) -> np.dtype:
    return np.result_type(dtype, np.complex64)


def _sqrtm_aval(a):
    check_matrices("sqrtm", a)
    return Aval(a.shape, _complex_of(a.dtype))


def _sqrtm_impl(a):
    sqrtm = _scipy_linalg().sqrtm
    return _each_matrix(lambda m: (sqrtm(m),), a, out_dtypes=(_complex_of(a.dtype),))[0]


def _sqrtm_jvp(primals, tangents):
    # s ds + ds s = da, from s @ s = a
    (a,), (da,) = primals, tangents
    s = sqrtm.bind(a)
    return s, solve_sylvester.bind(s, s, tnp.astype(da, s.dtype))


def _sqrtm_vjp(g, s, a):
    g_a = solve_sylvester.bind(mT(s), mT(s), g)
    return g_a if np.issubdtype(a.dtype, np.complexfloating) else tnp.real(g_a)


def _sqrtm_jax(a):
    import jax.scipy.linalg as jsl

    return _jax_each_matrix(jsl.sqrtm, "(n,n)->(n,n)")(a).astype(_complex_of(a.dtype))


sqrtm = Primitive(
    "sqrtm",
    impl=_sqrtm_impl,
    abstract_eval=_sqrtm_aval,
    vjp=(_sqrtm_vjp,),
    jvp=_sqrtm_jvp,
    jax=_sqrtm_jax,
    batch=batch_leading(),
    complex_rules=True,
)


# ---------------------------------------------------------------- schur


def _schur_aval(a, *, output):
    check_matrices("schur", a)
    dtype = _complex_of(a.dtype) if output == "complex" else a.dtype
    return Aval(a.shape, dtype), Aval(a.shape, dtype)


def _schur_impl(a, *, output):
    schur = _scipy_linalg().schur
    dtype = _complex_of(a.dtype) if output == "complex" else a.dtype
    return _each_matrix(lambda m: schur(m, output=output), a, out_dtypes=(dtype, dtype))


def _schur_jax(a, *, output):
    import jax.scipy.linalg as jsl

    return tuple(jsl.schur(a, output=output))  # batches itself


def _schur_no_derivative(*_, **__):
    raise NotImplementedError(
        errors.at_user_line(
            "scipy.linalg.schur has no derivative (as in JAX); sqrtm and solve_sylvester, "
            "which use it in SciPy, have their own"
        )
    )


schur = Primitive(
    "schur",
    impl=_schur_impl,
    abstract_eval=_schur_aval,
    vjp=_schur_no_derivative,
    jvp=_schur_no_derivative,
    jax=_schur_jax,
    batch=batch_leading(),
    multiple_results=True,
)
