"""Matrix decompositions and solves: ``solve``, ``triangular_solve``, ``slogdet``, ``cholesky``,
``eigh``, ``svd``, ``qr`` and ``eig``.

Every operand is a stack of matrices ``(..., m, n)`` of one float or complex dtype (eigen- and
singular values are real, ``eig``'s outputs complex); operands of two-operand primitives have
equal batch shapes (``trace_ag.numpy.linalg`` broadcasts first), so batching is "move the batch
axis to the front". Derivatives are JAX's (``jax._src.lax.linalg``), under JAX's complex
convention (the vjp is the transpose of the jvp under ``Re(sum(x * y))``): the jvp rules are
JAX's, the vjp rules their transposes, both written with trace_ag ops so they differentiate
again. ``cholesky`` and ``eigh`` read one triangle (NumPy's values) but their derivatives are
those of the Hermitian part of the input, as JAX's ``symmetrize_input=True`` gives.
``eigh``'s, ``eig``'s and ``svd``'s derivatives assume distinct eigen/singular values; at
degenerate ones they are inf/nan, as in JAX, except where only the values are used. ``qr``'s
cover every shape and mode (JAX 0.10's rules for wide matrices and for ``full_matrices`` of
tall ones); ``svd`` with ``full_matrices=True`` has none for non-square matrices, as in JAX.

Eigenvectors and singular vectors are only defined up to sign (a phase, for complex ones), and
LAPACK builds pick them differently; the impls and the JAX lowerings both scale each vector so
that its largest-magnitude entry is real and positive, so the two backends agree. For complex
matrices the derivatives are those of that choice (``_phase_fix``); JAX fixes the phase of the
derivative otherwise, and the two agree on every function that does not depend on the phases.
"""

from __future__ import annotations

import numpy as np

from trace_ag import errors
from trace_ag import numpy as tnp
from trace_ag.core import Aval, ForPrimitive, Primitive, shape_error
from trace_ag.primitives._transform_rules import to_front

# ---------------------------------------------------------------- helpers


def mT(x):
    return tnp.swapaxes(x, -1, -2)


def _is_complex(x) -> bool:
    return np.issubdtype(x.dtype, np.complexfloating)


def _conj(x):
    """``conj(x)``; real values pass unchanged (no equation in the graph)."""
    return tnp.conj(x) if _is_complex(x) else x


def mH(x):
    """The conjugate transpose of a stack of matrices (the transpose for real ones)."""
    return _conj(mT(x))


def _real_dtype(dtype) -> np.dtype:
    return np.finfo(dtype).dtype


def _eye(n: int, like) -> np.ndarray:
    return np.eye(n, dtype=like.dtype)


def _tri(n: int, like, lower: bool, k: int = 0) -> np.ndarray:
    """A 0/1 mask of the lower (upper) triangle, ``k`` diagonals in from the main one."""
    ones = np.ones((n, n), like.dtype)
    return np.tril(ones, -k) if lower else np.triu(ones, k)


def _diag_matrix(v):
    """``(..., k) -> (..., k, k)`` with ``v`` on the diagonal."""
    return tnp.expand_dims(v, -1) * _eye(v.shape[-1], v)


def _diagonal(x):
    return tnp.sum(x * _eye(x.shape[-1], x), axis=-1)


def _sym(x):
    """The Hermitian (for real matrices: symmetric) part ``(x + x^H) / 2``."""
    return (x + mH(x)) * 0.5


def check_matrices(name: str, *avals: Aval, square: bool = True, complex_ok: bool = True) -> None:
    """The shape rule's checks: stacks of (square) matrices of one float or complex dtype
    (real only, where not ``complex_ok``)."""
    kinds = np.inexact if complex_ok else np.floating
    for a in avals:
        if a.ndim < 2:
            raise shape_error(name, f"expected a stack of matrices (..., m, n), got {a.shape}")
        if not np.issubdtype(a.dtype, kinds):
            wanted = "a float or complex" if complex_ok else "a real float"
            raise errors.DTypeError(
                errors.at_user_line(f"{name}: expected {wanted} array, got {a.dtype}")
            )
    if square and avals[0].shape[-1] != avals[0].shape[-2]:
        raise shape_error(name, f"expected square matrices, got shape {avals[0].shape}")
    if len(avals) == 2:
        a, b = avals
        if a.shape[:-2] != b.shape[:-2] or a.shape[-1] != b.shape[-2] or a.dtype != b.dtype:
            raise shape_error(name, f"operands {a} and {b} do not match (..., n, n), (..., n, k)")


def batch_leading() -> ForPrimitive:
    """Batching rule of an op on stacks of matrices: the batch axis goes in front of the stack."""

    def make(prim):
        def batch(vals, dims, *, size, **params):
            out = prim.bind(
                *[to_front(v, d, size) for v, d in zip(vals, dims, strict=True)], **params
            )
            return out, ((0,) * len(out) if prim.multiple_results else 0)

        return batch

    return ForPrimitive(make)


def _jnp():
    import jax.numpy as jnp

    return jnp


def _xp(x):
    """NumPy for NumPy values, jax.numpy for JAX ones (the sign normalization runs in both)."""
    return np if isinstance(x, (np.ndarray, np.generic)) else _jnp()


def _flip_signs(v):
    """Columns of ``v`` times the conjugate sign (phase) of their largest-magnitude entry, so
    that entry is real and positive, and those factors."""
    xp = _xp(v)
    idx = xp.argmax(xp.abs(v), axis=-2)[..., None, :]
    signs = xp.sign(xp.take_along_axis(v, idx, axis=-2))
    signs = xp.conj(xp.where(signs == 0, 1, signs).astype(v.dtype))
    return v * signs, signs


def _largest_entry_mask(v):
    """1 at each column's largest-magnitude entry (the one the normalization makes real),
    else 0."""
    k = tnp.argmax(tnp.abs(v), axis=-2)
    rows = np.arange(v.shape[-2]).reshape(-1, 1)
    return tnp.astype(tnp.expand_dims(k, -2) == rows, v.dtype)


def _phase_fix(v, dv):
    """The real ``t`` (one per column) for which ``dv + i t v`` keeps each column's largest
    entry real: the phase gauge of eigenvectors and singular vectors normalized by
    ``_flip_signs``, so that their derivatives are those of the values returned."""
    mask = _largest_entry_mask(v)
    top = tnp.real(tnp.sum(mask * v, axis=-2))
    return -tnp.imag(tnp.sum(mask * dv, axis=-2)) / top


def _times_i(t, like):
    """``1j * t`` for a real ``t``, in ``like``'s complex dtype."""
    return tnp.astype(t, like.dtype) * 1j


def _phase_fix_cotangent(v, h):
    """The transpose of ``dv -> i _phase_fix(v, dv) v``, given ``h = sum(g_v * v)`` per column:
    the cotangent it adds to ``dv``."""
    mask = _largest_entry_mask(v)
    top = tnp.real(tnp.sum(mask * v, axis=-2))
    return mask * tnp.expand_dims(_times_i(-tnp.imag(h) / top, v), -2)


# ---------------------------------------------------------------- solve


def _solve_vjp(g, x, a, b):
    gb = solve.bind(mT(a), g)
    return [-(gb @ mT(x)), gb]


def _solve_jvp(primals, tangents):
    (a, b), (da, db) = primals, tangents
    x = solve.bind(a, b)
    rhs = (0.0 if db is None else db) - (0.0 if da is None else da @ x)
    return x, solve.bind(a, tnp.broadcast_to(rhs, x.shape))


solve = Primitive(
    "solve",
    impl=np.linalg.solve,
    abstract_eval=lambda a, b: (check_matrices("solve", a, b), b)[1],
    vjp=_solve_vjp,
    jvp=_solve_jvp,
    jax=lambda a, b: _jnp().linalg.solve(a, b),
    batch=batch_leading(),
    complex_rules=True,  # the rules are holomorphic: no conjugates under JAX's convention
)


# ---------------------------------------------------------------- triangular_solve


def _tri_impl(a, b, *, lower, transpose_a):
    t = np.tril(a) if lower else np.triu(a)
    return np.linalg.solve(np.swapaxes(t, -1, -2) if transpose_a else t, b)


def _tri_vjp(g, x, a, b, *, lower, transpose_a):
    gb = triangular_solve.bind(a, g, lower=lower, transpose_a=not transpose_a)
    ga = -(x @ mT(gb)) if transpose_a else -(gb @ mT(x))
    return [ga * _tri(a.shape[-1], a, lower), gb]


def _tri_jvp(primals, tangents, *, lower, transpose_a):
    (a, b), (da, db) = primals, tangents
    x = triangular_solve.bind(a, b, lower=lower, transpose_a=transpose_a)
    rhs = 0.0 if db is None else db
    if da is not None:
        da = da * _tri(a.shape[-1], a, lower)
        rhs = rhs - (mT(da) if transpose_a else da) @ x
    rhs = tnp.broadcast_to(rhs, x.shape)
    return x, triangular_solve.bind(a, rhs, lower=lower, transpose_a=transpose_a)


def _tri_jax(a, b, *, lower, transpose_a):
    from jax.lax import linalg

    return linalg.triangular_solve(a, b, left_side=True, lower=lower, transpose_a=transpose_a)


triangular_solve = Primitive(
    "triangular_solve",
    impl=_tri_impl,
    abstract_eval=lambda a, b, **_: (check_matrices("triangular_solve", a, b), b)[1],
    vjp=_tri_vjp,
    jvp=_tri_jvp,
    jax=_tri_jax,
    batch=batch_leading(),
    complex_rules=True,  # holomorphic in both operands
)


# ---------------------------------------------------------------- slogdet


def _inv_t(a):
    """``inv(a).T`` for a stack of matrices."""
    return solve.bind(mT(a), tnp.broadcast_to(_eye(a.shape[-1], a), a.shape))


def _slogdet_vjp(g, out, a):
    # Real a: the sign is piecewise constant, only log|det| has a derivative. Complex a:
    # with t = tr(a^-1 da), d log|det| = Re(t) and d sign = i Im(t) sign (JAX's rule).
    g_t = g[1]
    if _is_complex(a):
        g_t = tnp.astype(g_t, a.dtype) + _times_i(tnp.imag(g[0] * out[0]), a)
    return [tnp.expand_dims(g_t, (-1, -2)) * _inv_t(a)]


def _slogdet_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    out = slogdet.bind(a)
    t = tnp.sum(_inv_t(a) * da, axis=(-2, -1))
    if not _is_complex(a):
        return out, (None, t)
    return out, (_times_i(tnp.imag(t), a) * out[0], tnp.real(t))


def _slogdet_aval(a):
    check_matrices("slogdet", a)
    return Aval(a.shape[:-2], a.dtype), Aval(a.shape[:-2], _real_dtype(a.dtype))


slogdet = Primitive(
    "slogdet",
    impl=lambda a: tuple(np.linalg.slogdet(a)),
    abstract_eval=_slogdet_aval,
    vjp=_slogdet_vjp,
    jvp=_slogdet_jvp,
    jax=lambda a: tuple(_jnp().linalg.slogdet(a)),
    batch=batch_leading(),
    multiple_results=True,
    complex_rules=True,
)


# ---------------------------------------------------------------- cholesky


def _phi(x):
    """The lower triangle with the diagonal halved."""
    n = x.shape[-1]
    return x * (_tri(n, x, True, 1) + 0.5 * _eye(n, x))


def _cholesky_vjp(g, L, a):
    # Transpose of L' = L phi(L^-1 sym(A') L^-H) under Re(sum(x * y)):
    # A_bar = sym(L^-T phi(L^T g) conj(L^-1)), and x conj(L^-1) = (L^-T x^H)^H.
    x = triangular_solve.bind(L, _phi(mT(L) @ g), lower=True, transpose_a=True)
    return _sym(mH(triangular_solve.bind(L, mH(x), lower=True, transpose_a=True)))


def _cholesky_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    L = cholesky.bind(a)
    tmp = triangular_solve.bind(L, _sym(da), lower=True, transpose_a=False)
    inner = mH(triangular_solve.bind(L, mH(tmp), lower=True, transpose_a=False))
    return L, L @ _phi(inner)


def _cholesky_jax(a):
    from jax.lax import linalg

    return linalg.cholesky(a, symmetrize_input=False)


cholesky = Primitive(
    "cholesky",
    impl=np.linalg.cholesky,
    abstract_eval=lambda a: (check_matrices("cholesky", a), a)[1],
    vjp=(_cholesky_vjp,),
    jvp=_cholesky_jvp,
    jax=_cholesky_jax,
    batch=batch_leading(),
    complex_rules=True,  # Hermitian input: sym and the transposes conjugate
)


# ---------------------------------------------------------------- eigh


def _eigh_impl(a, *, lower, compute_v):
    uplo = "L" if lower else "U"
    if not compute_v:
        return (np.linalg.eigvalsh(a, UPLO=uplo),)
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return w, _flip_signs(v)[0]


def _eigh_jax(a, *, lower, compute_v):
    from jax.lax import linalg

    v, w = linalg.eigh(a, lower=lower, symmetrize_input=False)
    return (w, _flip_signs(v)[0]) if compute_v else (w,)


def _eigh_aval(a, *, lower, compute_v):
    check_matrices("eigh", a)
    w = Aval(a.shape[:-1], _real_dtype(a.dtype))
    return (w, a) if compute_v else (w,)


def _inv_gaps(w):
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it (inf where values repeat)."""
    eye = _eye(w.shape[-1], w)
    return tnp.reciprocal(eye + tnp.expand_dims(w, -2) - tnp.expand_dims(w, -1)) - eye


def _is_zero(g) -> bool:
    """A cotangent the vjp driver filled in for an unused output (a concrete zero array): the
    rules skip its terms, whose eigenvalue gaps are inf at degenerate values (JAX's symbolic
    zeros do the same)."""
    return isinstance(g, np.ndarray) and not g.any()


def _real_part(x):
    return tnp.real(x) if _is_complex(x) else x


def _eigh_vjp(g, out, a, *, lower, compute_v):
    # The transpose of _eigh_jvp: A_bar = sym(conj(v) P_bar v^T).
    if not compute_v or _is_zero(g[1]):  # eigenvalues only: no (inf) gaps needed
        v = out[1] if compute_v else eigh.bind(a, lower=lower, compute_v=True)[1]
        return [(_conj(v) * tnp.expand_dims(g[0], -2)) @ mT(v)]
    (gw, gv), (w, v) = g, out
    if _is_complex(v):
        gv = gv + _phase_fix_cotangent(v, tnp.sum(gv * v, axis=-2))
    inner = _diag_matrix(gw) + _inv_gaps(w) * (mT(v) @ gv)
    return [_sym(_conj(v) @ inner @ mT(v))]


def _eigh_jvp(primals, tangents, *, lower, compute_v):
    # JAX's rule (nondegenerate perturbation theory); for complex input, the phase gauge of
    # the eigenvectors normalized by _flip_signs (JAX leaves diag(v^H dv) = 0 instead: the
    # two agree on every function of v that does not depend on its phases).
    (a,), (da,) = primals, tangents
    w, v = eigh.bind(a, lower=lower, compute_v=True)
    m = mH(v) @ _sym(da) @ v
    dw = _real_part(_diagonal(m))
    if not compute_v:
        return (w,), (dw,)
    dv = v @ (_inv_gaps(w) * m)
    if _is_complex(v):
        dv = dv + v * tnp.expand_dims(_times_i(_phase_fix(v, dv), v), -2)
    return (w, v), (dw, dv)


eigh = Primitive(
    "eigh",
    impl=_eigh_impl,
    abstract_eval=_eigh_aval,
    vjp=_eigh_vjp,
    jvp=_eigh_jvp,
    jax=_eigh_jax,
    batch=batch_leading(),
    multiple_results=True,
    complex_rules=True,
)


# ---------------------------------------------------------------- svd


def _svd_impl(a, *, full_matrices, compute_uv):
    if not compute_uv:
        return (np.linalg.svd(a, compute_uv=False),)
    return _svd_signs(*np.linalg.svd(a, full_matrices=full_matrices))


def _svd_jax(a, *, full_matrices, compute_uv):
    import jax.numpy as jnp

    if not compute_uv:
        return (jnp.linalg.svd(a, compute_uv=False),)
    return _svd_signs(*jnp.linalg.svd(a, full_matrices=full_matrices))


def _svd_signs(u, s, vh):
    """Each singular pair flipped by the sign of its u column's largest entry; the columns
    (rows) of full_matrices' bases beyond them by their own."""
    xp, k = _xp(u), s.shape[-1]
    u_k, signs = _flip_signs(u[..., :, :k])
    vh_k = vh[..., :k, :] * xp.conj(xp.swapaxes(signs, -1, -2))
    if u.shape[-1] > k:
        u_k = xp.concatenate([u_k, _flip_signs(u[..., :, k:])[0]], axis=-1)
    if vh.shape[-2] > k:
        rest = xp.swapaxes(_flip_signs(xp.swapaxes(vh[..., k:, :], -1, -2))[0], -1, -2)
        vh_k = xp.concatenate([vh_k, rest], axis=-2)
    return u_k, s, vh_k


def _svd_aval(a, *, full_matrices, compute_uv):
    check_matrices("svd", a, square=False)
    *batch, m, n = a.shape
    k = min(m, n)
    s = Aval((*batch, k), _real_dtype(a.dtype))
    if not compute_uv:
        return (s,)
    cols, rows = (m, n) if full_matrices else (k, k)
    return Aval((*batch, m, cols), a.dtype), s, Aval((*batch, rows, n), a.dtype)


def _svd_refuse_full(a, full_matrices):
    m, n = a.shape[-2:]
    if full_matrices and m != n:
        raise NotImplementedError(
            errors.at_user_line(
                f"svd: the derivative of full_matrices=True for non-square {a.shape} matrices "
                "is not implemented (as in JAX); use full_matrices=False"
            )
        )


def _svd_gaps(s):
    """``F[i, j] = 1 / (s[j]^2 - s[i]^2)`` off the diagonal, 0 on it."""
    eye = _eye(s.shape[-1], s)
    row, col = tnp.expand_dims(s, -2), tnp.expand_dims(s, -1)
    return tnp.reciprocal((row + col) * (row - col) + eye) - eye


def _safe_reciprocal(s):
    """``1 / s``, and 0 where ``s`` is 0 (JAX's guard for the complex phase term)."""
    zero = s == 0
    return tnp.where(zero, 0.0, 1.0 / tnp.where(zero, 1.0, s))


def _svd_vjp(g, out, a, *, full_matrices, compute_uv):
    # The transpose of _svd_jvp under Re(sum(x * y)); with v = vh^H and g_v = g_vh^H.
    if not compute_uv or (_is_zero(g[0]) and _is_zero(g[2])):  # singular values only
        u, _, vh = out if compute_uv else svd.bind(a, full_matrices=False, compute_uv=True)
        gs = g[1] if compute_uv else g[0]
        k = gs.shape[-1]
        return [_conj((u[..., :, :k] * tnp.expand_dims(gs, -2)) @ vh[..., :k, :])]
    _svd_refuse_full(a, full_matrices)
    (gu, gs, gvh), (u, s, vh) = g, out
    m, n = a.shape[-2:]
    f, row, col = _svd_gaps(s), tnp.expand_dims(s, -2), tnp.expand_dims(s, -1)
    v, gv = mH(vh), mH(gvh)
    if _is_complex(u):
        gu = gu + _phase_fix_cotangent(u, tnp.sum(gu * u, axis=-2) + tnp.sum(gv * v, axis=-2))
    k = mT(u) @ gu
    p, q = f * k, f * (mT(v) @ gv)
    inner = _diag_matrix(gs) + p * row + mH(p * col) + q * col + mH(q * row)
    if _is_complex(u):
        inner = inner + _diag_matrix(_times_i(tnp.imag(_diagonal(k)) * _safe_reciprocal(s), u))
    u_c, vh_c = _conj(u), _conj(vh)
    ga = u_c @ inner @ vh_c
    if m > n:
        ga = ga + ((gu - u_c @ (mT(u) @ gu)) / row) @ vh_c
    if n > m:
        ga = ga + u_c @ ((gvh - (gvh @ _conj(v)) @ vh_c) / col)
    return [ga]


def _svd_jvp(primals, tangents, *, full_matrices, compute_uv):
    # JAX's _svd_jvp_rule; for complex input, the phase gauge of the singular vectors
    # normalized by _svd_signs (JAX's: diag(u^H du) = i Im(diag(u^H da v)) / s, diag(v^H dv) = 0;
    # the two agree on every function of u, v that does not depend on their phases).
    (a,), (da,) = primals, tangents
    u, s, vh = svd.bind(a, full_matrices=False, compute_uv=True)
    ds_mat = mH(u) @ da @ mH(vh)
    ds = _real_part(_diagonal(ds_mat))
    if not compute_uv:
        return (s,), (ds,)
    _svd_refuse_full(a, full_matrices)
    m, n = a.shape[-2:]
    f, row, col = _svd_gaps(s), tnp.expand_dims(s, -2), tnp.expand_dims(s, -1)
    dss, sds = ds_mat * row, ds_mat * col
    du = u @ (f * (dss + mH(dss)))
    dv = mH(vh) @ (f * (sds + mH(sds)))
    if _is_complex(u):
        phase = _times_i(tnp.imag(_diagonal(ds_mat)) * _safe_reciprocal(s), u)
        du = du + u * tnp.expand_dims(phase, -2)
    if m > n:
        dav = da @ mH(vh)
        du = du + (dav - u @ (mH(u) @ dav)) / row
    if n > m:
        dahu = mH(da) @ u
        dv = dv + (dahu - mH(vh) @ (vh @ dahu)) / row
    if _is_complex(u):
        gauge = tnp.expand_dims(_times_i(_phase_fix(u, du), u), -2)
        du, dv = du + u * gauge, dv + mH(vh) * gauge
    return (u, s, vh), (du, ds, mH(dv))


svd = Primitive(
    "svd",
    impl=_svd_impl,
    abstract_eval=_svd_aval,
    vjp=_svd_vjp,
    jvp=_svd_jvp,
    jax=_svd_jax,
    batch=batch_leading(),
    multiple_results=True,
    complex_rules=True,
)


# ---------------------------------------------------------------- qr


def _qr_aval(a, *, full_matrices):
    check_matrices("qr", a, square=False)
    *batch, m, n = a.shape
    k = m if full_matrices else min(m, n)
    return Aval((*batch, m, k), a.dtype), Aval((*batch, k, n), a.dtype)


def _thin_qr_jvp(q, r, dx):
    """Tangents of ``q`` (..., m, n) and ``r`` (..., n, n), m >= n (JAX's ``_thin_qr_jvp``)."""
    x = mT(triangular_solve.bind(r, mT(dx), lower=False, transpose_a=True))  # dx @ inv(r)
    c = mH(q) @ x
    low = c * _tri(c.shape[-1], c, True, 1)
    omega = low - mH(low)
    if _is_complex(c):  # r's diagonal stays real
        omega = omega + _diag_matrix(_times_i(tnp.imag(_diagonal(c)), c))
    return q @ (omega - c) + x, (c - omega) @ r


def _thin_qr_vjp(gq, gr, q, r):
    """The transpose of ``_thin_qr_jvp``: the cotangent of ``dx``."""
    m = mT(q) @ gq - gr @ mT(r)
    c_bar = (m - mH(m)) * _tri(m.shape[-1], m, True, 1) - m
    if _is_complex(m):
        c_bar = c_bar + _diag_matrix(_times_i(tnp.imag(_diagonal(m)), m))
    b = gq + _conj(q) @ c_bar
    return mT(triangular_solve.bind(r, mT(b), lower=False, transpose_a=False))


def _completion(q, n):
    """``Z`` (..., m - n, n) of JAX's full-matrices rule (arXiv:2409.13374, eq. 33):
    ``Z = Q[n:, :n] @ inv(Q[:n, :n] - I)``."""
    q_nn, q_pn = q[..., :n, :n], q[..., n:, :n]
    shifted = q_nn - _eye(n, q)
    return mT(solve.bind(mT(shifted), mT(q_pn)))


def _qr_jvp(primals, tangents, *, full_matrices):
    (a,), (da,) = primals, tangents
    q, r = qr.bind(a, full_matrices=full_matrices)
    m, n = a.shape[-2:]
    if m < n:  # a = [x1, x2], r = [r1, r2]: x1 = q r1 is square, r2 = q.T x2
        dq, dr1 = _thin_qr_jvp(q, r[..., :, :m], da[..., :, :m])
        dr2 = mH(dq) @ a[..., :, m:] + mH(q) @ da[..., :, m:]
        return (q, r), (dq, tnp.concatenate([dr1, dr2], axis=-1))
    if not full_matrices or m == n:
        return (q, r), _thin_qr_jvp(q, r, da)
    q_mn, q_mp = q[..., :, :n], q[..., :, n:]
    dq_mn, dr_nn = _thin_qr_jvp(q_mn, r[..., :n, :], da)
    z = _completion(q, n)
    drift = dq_mn[..., n:, :] - z @ dq_mn[..., :n, :]
    dq_mp = dq_mn @ mH(z) - (q_mn + q_mp @ z) @ mH(drift)
    dr = tnp.concatenate([dr_nn, tnp.zeros((*a.shape[:-2], m - n, n), a.dtype)], axis=-2)
    return (q, r), (tnp.concatenate([dq_mn, dq_mp], axis=-1), dr)


def _qr_vjp(g, out, a, *, full_matrices):
    # The transposes of the three cases of _qr_jvp.
    (gq, gr), (q, r) = g, out
    m, n = a.shape[-2:]
    if m < n:
        gr1, gr2 = gr[..., :, :m], gr[..., :, m:]
        gq = gq + _conj(a[..., :, m:]) @ mH(gr2)
        g_a1 = _thin_qr_vjp(gq, gr1, q, r[..., :, :m])
        return [tnp.concatenate([g_a1, _conj(q) @ gr2], axis=-1)]
    if not full_matrices or m == n:
        return [_thin_qr_vjp(gq, gr, q, r)]
    q_mn, q_mp = q[..., :, :n], q[..., :, n:]
    z = _completion(q, n)
    g_mp = gq[..., :, n:]
    g_drift = -(mH(g_mp) @ _conj(q_mn + q_mp @ z))
    g_mn = gq[..., :, :n] + g_mp @ _conj(z)
    g_mn = g_mn + tnp.concatenate([-(mT(z) @ g_drift), g_drift], axis=-2)
    return [_thin_qr_vjp(g_mn, gr[..., :n, :], q_mn, r[..., :n, :])]


def _qr_jax(a, *, full_matrices):
    import jax.numpy as jnp

    return tuple(jnp.linalg.qr(a, mode="complete" if full_matrices else "reduced"))


qr = Primitive(
    "qr",
    impl=lambda a, *, full_matrices: tuple(
        np.linalg.qr(a, mode="complete" if full_matrices else "reduced")
    ),
    abstract_eval=_qr_aval,
    vjp=_qr_vjp,
    jvp=_qr_jvp,
    jax=_qr_jax,
    batch=batch_leading(),
    multiple_results=True,
    complex_rules=True,
)


# ---------------------------------------------------------------- eig


def _complex_dtype(dtype) -> np.dtype:
    return np.result_type(dtype, np.complex64)


def _normalize_eigvecs(v):
    """LAPACK's eigenvectors have unit norm and a real largest-magnitude entry; make that
    entry positive, so that both backends agree (the derivative below allows this choice)."""
    xp = _xp(v)
    idx = xp.argmax(xp.abs(v), axis=-2)[..., None, :]
    top = xp.real(xp.take_along_axis(v, idx, axis=-2))
    return v * xp.where(top < 0, -1, 1).astype(v.dtype)


def _eig_impl(a, *, compute_v):
    dtype = _complex_dtype(a.dtype)
    if not compute_v:
        return (np.linalg.eigvals(a).astype(dtype),)
    w, v = np.linalg.eig(a)
    return w.astype(dtype), _normalize_eigvecs(v.astype(dtype))


def _eig_jax(a, *, compute_v):
    jnp = _jnp()
    if not compute_v:
        return (jnp.linalg.eigvals(a),)
    w, v = jnp.linalg.eig(a)
    return w, _normalize_eigvecs(v)


def _eig_aval(a, *, compute_v):
    check_matrices("eig", a)
    dtype = _complex_dtype(a.dtype)
    w = Aval(a.shape[:-1], dtype)
    return (w, Aval(a.shape, dtype)) if compute_v else (w,)


def _eig_jvp(primals, tangents, *, compute_v):
    # JAX's eig_jvp_rule with enable_eigvec_derivs=True (nondegenerate perturbation theory):
    # dv_j = u_j + c_j v_j, c_j fixed by LAPACK's normalization of v_j.
    (a,), (da,) = primals, tangents
    w, v = eig.bind(a, compute_v=True)
    p = solve.bind(v, tnp.astype(da, v.dtype) @ v)
    dw = _diagonal(p)
    if not compute_v:
        return (w,), (dw,)
    u = v @ (_inv_gaps(w) * p)
    mask = _largest_entry_mask(v)
    scale = -tnp.real(tnp.sum(tnp.conj(v) * u, axis=-2))
    phase = -tnp.imag(tnp.sum(mask * u, axis=-2)) / tnp.real(tnp.sum(mask * v, axis=-2))
    c = tnp.astype(scale, v.dtype) + tnp.astype(phase, v.dtype) * 1j
    return (w, v), (dw, u + v * tnp.expand_dims(c, -2))


def _eig_vjp(g, out, a, *, compute_v):
    # The transpose of _eig_jvp under Re(sum(x * y)); the real part for a real input.
    if compute_v:
        (gw, gv), (w, v) = g, out
    else:
        (gw,), v = g, eig.bind(a, compute_v=True)[1]
    g_p = _diag_matrix(tnp.astype(gw, v.dtype))
    if compute_v:
        h = tnp.sum(gv * v, axis=-2)
        mask = _largest_entry_mask(v)
        top = tnp.real(tnp.sum(mask * v, axis=-2))
        g_u = (
            gv
            - tnp.conj(v) * tnp.expand_dims(tnp.real(h), -2)
            + mask * tnp.expand_dims(tnp.astype(-tnp.imag(h) / top, v.dtype) * 1j, -2)
        )
        g_p = g_p + _inv_gaps(w) * (mT(v) @ g_u)
    g_a = solve.bind(mT(v), g_p @ mT(v))
    return g_a if _is_complex(a) else tnp.real(g_a)


eig = Primitive(
    "eig",
    impl=_eig_impl,
    abstract_eval=_eig_aval,
    vjp=(_eig_vjp,),
    jvp=_eig_jvp,
    jax=_eig_jax,
    batch=batch_leading(),
    multiple_results=True,
    complex_rules=True,
)
