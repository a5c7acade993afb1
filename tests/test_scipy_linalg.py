"""``trace_ag.scipy.linalg`` against ``scipy.linalg`` (values) and ``jax.scipy.linalg``
(derivatives). The spec rows (tests/spec_rows/scipy_linalg.py) check the solves, LU, Cholesky,
expm and block_diag against JAX under vjp, jvp, vmap and jit on both backends; here: SciPy's
values and conventions, the functions of eigen/singular vectors (through sign-invariant
functions of them), batches, float32 and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp
import trace_ag.scipy.linalg as L

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jL = pytest.importorskip("jax.scipy.linalg")
sl = pytest.importorskip("scipy.linalg")


def _spd(a):
    return a @ np.swapaxes(a, -1, -2) + a.shape[-1] * np.eye(a.shape[-1])


def _close(ours, ref, rtol=1e-10, what=""):
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, f"{what}: {ours.shape} != {ref.shape}"
    assert ours.dtype == ref.dtype, f"{what}: {ours.dtype} != {ref.dtype}"
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol * np.abs(ref).max(), err_msg=what)


@pytest.fixture
def a(rng):
    return rng.standard_normal((4, 4))


@pytest.fixture
def b(rng):
    return rng.standard_normal((4, 2))


# ---------------------------------------------------------------- values as SciPy's


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_factorizations_match_scipy(rng, dtype):
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    a = rng.standard_normal((5, 5)).astype(dtype)
    spd = _spd(a).astype(dtype)
    for lower in (False, True):
        _close(L.cholesky(spd, lower=lower), sl.cholesky(spd, lower=lower), rtol, "cholesky")
    for shape in [(5, 5), (3, 5), (5, 3)]:
        x = a[: shape[0], : shape[1]]
        for ours, ref in zip(L.lu(x), sl.lu(x), strict=True):
            _close(ours, ref, rtol, f"lu {shape}")
        for ours, ref in zip(L.lu(x, permute_l=True), sl.lu(x, permute_l=True), strict=True):
            _close(ours, ref, rtol, f"lu permute_l {shape}")
        p, l_, u = L.lu(x, p_indices=True)
        np.testing.assert_array_equal(p, sl.lu(x, p_indices=True)[0])
    packed, piv = L.lu_factor(a)
    ref_packed, ref_piv = sl.lu_factor(a)
    _close(packed, ref_packed, rtol, "lu_factor")
    np.testing.assert_array_equal(piv, ref_piv)
    assert piv.dtype == ref_piv.dtype == np.int32
    _close(L.expm(a), sl.expm(a), 100 * rtol, "expm")
    _close(L.det(a), np.asarray(np.linalg.det(a)), rtol, "det")  # SciPy's float32 det is float64
    np.testing.assert_allclose(L.det(a), sl.det(a), rtol=rtol)
    _close(L.inv(a), sl.inv(a), rtol, "inv")


@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("trans", [0, 1, 2, "N", "T", "C"])
def test_solve_triangular_matches_scipy(a, b, trans, lower):
    a = a + 3 * np.eye(4)
    for unit in (False, True):
        ref = sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)
        _close(L.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit), ref)
    vector = sl.solve_triangular(a, b[:, 0], trans=trans, lower=lower)
    _close(L.solve_triangular(a, b[:, 0], trans=trans, lower=lower), vector)


def test_solves_match_scipy(a, b):
    spd = _spd(a)
    for lower in (False, True):
        ref = sl.cho_solve(sl.cho_factor(spd, lower=lower), b)
        _close(L.cho_solve(L.cho_factor(spd, lower=lower), b), ref, what="cho_solve")
        # SciPy's factor (garbage in the other triangle) works too
        _close(L.cho_solve(sl.cho_factor(spd, lower=lower), b), ref, what="cho_solve(scipy's)")
    for trans in (0, 1, 2):
        ref = sl.lu_solve(sl.lu_factor(a), b, trans=trans)
        _close(L.lu_solve(L.lu_factor(a), b, trans=trans), ref, what=f"lu_solve {trans}")
        vector = sl.lu_solve(sl.lu_factor(a), b[:, 0], trans=trans)
        _close(L.lu_solve(sl.lu_factor(a), b[:, 0], trans=trans), vector, what="lu_solve 1-D")
    for assume_a in (None, "gen", "sym", "pos", "lower triangular", "upper triangular"):
        m = spd if assume_a in ("sym", "pos") else a
        _close(L.solve(m, b, assume_a=assume_a), sl.solve(m, b, assume_a=assume_a), 1e-9)
    _close(L.solve(a, b, transposed=True), sl.solve(a, b, transposed=True))
    _close(L.solve(a, b[:, 0], assume_a="diagonal"), sl.solve(a, b[:, 0], assume_a="diagonal"))


def test_batches_match_scipy(rng):
    a = rng.standard_normal((2, 3, 4, 4)) + 3 * np.eye(4)
    b = rng.standard_normal((3, 4, 2))  # broadcast against a's batch
    _close(L.solve_triangular(a, b, lower=True), sl.solve_triangular(a, b, lower=True))
    for ours, ref in zip(L.lu(a), sl.lu(a), strict=True):
        _close(ours, ref)
    _close(L.lu_solve(L.lu_factor(a), b), sl.lu_solve(sl.lu_factor(a), b))
    _close(L.expm(a * 0.5), sl.expm(a * 0.5), 1e-9)
    spd = _spd(a)
    _close(L.cho_solve(L.cho_factor(spd), b), sl.cho_solve(sl.cho_factor(spd), b))


def test_decompositions_match_scipy(a):
    sym = a + a.T
    _close(L.eigh(sym, eigvals_only=True), sl.eigh(sym, eigvals_only=True))
    _close(L.eigh(np.triu(sym), lower=False)[0], sl.eigvalsh(sym))  # reads one triangle
    w, v = L.eigh(sym, subset_by_index=(1, 2))
    _close(w, sl.eigh(sym, subset_by_index=(1, 2))[0], 1e-9)
    np.testing.assert_allclose(sym @ v, v * w, atol=1e-10)
    u, s, vh = L.svd(a[:, :3])
    assert (u.shape, s.shape, vh.shape) == ((4, 4), (3,), (3, 3))
    _close(s, sl.svd(a[:, :3], compute_uv=False))
    for mode in ("full", "economic", "r"):
        ours, ref = L.qr(a[:, :3], mode=mode), sl.qr(a[:, :3], mode=mode)
        assert [o.shape for o in ours] == [r.shape for r in ref], mode
        _close(np.abs(ours[-1]), np.abs(ref[-1]), what=f"qr {mode}")


def test_block_diag_expm_frechet_and_triangles(rng, a):
    blocks = (np.ones((1, 2)), 3, [4.0, 5.0], rng.standard_normal((2, 2)))
    _close(L.block_diag(*blocks), sl.block_diag(*blocks))
    assert L.block_diag().shape == sl.block_diag().shape == (1, 0)
    e = rng.standard_normal((4, 4))
    value, frechet = L.expm_frechet(a, e)
    ref_value, ref_frechet = sl.expm_frechet(a, e)
    _close(value, ref_value, 1e-9)
    _close(frechet, ref_frechet, 1e-8)
    _close(L.tril(a, -1), np.tril(a, -1))
    _close(L.triu(a, 1), np.triu(a, 1))
    upper = np.triu(a)
    _close(L.expm(upper, upper_triangular=True), sl.expm(upper), 1e-9)
    grad = ag.grad(lambda x: tnp.sum(L.expm(tnp.triu(x), upper_triangular=True) ** 2))
    jax_grad = jax.grad(lambda x: jnp.sum(jL.expm(jnp.triu(x), upper_triangular=True) ** 2))
    _close(grad(a), np.asarray(jax_grad(a)), 1e-9)
    # expm(0) = I, and nan where more than max_squarings would be needed (as JAX)
    _close(L.expm(np.zeros((3, 3))), np.eye(3))
    assert np.isnan(L.expm(np.eye(2) * 1e6, max_squarings=4)).all()


# ---------------------------------------------------------------- derivatives vs JAX


def _sym(xp, a):
    return a + xp.swapaxes(a, -1, -2) + xp.diag(xp.arange(a.shape[-1], dtype=a.dtype) * 3)


def _vector_functions(linalg, xp, a):
    """eigh, svd, qr and lu outputs through functions that do not depend on vector signs."""
    w, v = linalg.eigh(_sym(xp, a))
    u, s, vh = linalg.svd(a, full_matrices=False)
    q, r = linalg.qr(a, mode="economic")
    p, l_, up = linalg.lu(a)
    return (
        xp.sum(w * xp.sum(v**2, axis=0)) + xp.sum((v * w) @ v.T),
        xp.sum(s**3) + xp.sum(u[:, :1] * vh[:1]),
        xp.sum((q * xp.diagonal(r)) ** 2) + xp.sum(q @ r),
        xp.sum(l_ @ up * (p @ xp.arange(4.0))[:, None]),
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_vector_gradients_match_jax(rng, dtype):
    a = rng.standard_normal((4, 4)).astype(dtype)
    rtol = 1e-8 if dtype == np.float64 else 2e-3
    for i in range(4):
        ours = ag.grad(lambda x, i=i: _vector_functions(L, tnp, x)[i])(a)
        ref = jax.grad(lambda x, i=i: _vector_functions(jL, jnp, x)[i])(a)
        _close(ours, np.asarray(ref), rtol, f"output {i}")
    if dtype == np.float64:
        ag.check_grads(lambda x: _vector_functions(L, tnp, x), (a,), order=2)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_jit_and_vmap_of_gradients(rng, backend):
    a = rng.standard_normal((3, 4, 4))

    def loss(x):
        return sum(_vector_functions(L, tnp, x)) + tnp.sum(L.expm(0.3 * x) ** 2)

    eager = np.stack([ag.grad(loss)(x) for x in a])
    _close(ag.jit(ag.vmap(ag.grad(loss)), backend=backend)(a), eager, 1e-9)


# ---------------------------------------------------------------- errors


def test_errors_are_clear(a, b):
    with pytest.raises(ValueError, match="solve_triangular: trans must be 0, 1, 2, 'N'"):
        L.solve_triangular(a, b, trans=3)
    with pytest.raises(ValueError, match="lu_solve: trans must be 0, 1 or 2, got 'T'"):
        L.lu_solve(L.lu_factor(a), b, trans="T")  # as SciPy's: integers only
    with pytest.raises(ag.TraceAgError, match="square"):
        L.solve_triangular(a[:, :3], b)
    with pytest.raises(ag.TraceAgError, match=r"shapes of a \(4, 4\) and b \(3, 2\)"):
        L.solve_triangular(a, b[:3])
    with pytest.raises(ag.TraceAgError, match="square"):
        L.expm(a[:3])
    with pytest.raises(ag.TraceAgError, match="complex input"):
        L.cholesky(a + 1j * a)
    with pytest.raises(np.linalg.LinAlgError):  # as SciPy; JAX gives nan
        L.cholesky(-np.eye(3))
    with pytest.raises(np.linalg.LinAlgError):
        L.solve(-np.eye(3), b[:3], assume_a="pos")
    with pytest.raises(np.linalg.LinAlgError):  # singular, as SciPy
        L.solve(np.zeros((2, 2)), b[:2])
    with pytest.raises(ValueError, match="assume_a='banded' is not supported"):
        L.solve(a, b, assume_a="banded")
    with pytest.raises(ValueError, match="mode='raw' is not supported"):
        L.qr(a, mode="raw")
    with pytest.raises(NotImplementedError, match="pivoting"):
        L.qr(a, pivoting=True)
    with pytest.raises(NotImplementedError, match="b=None"):
        L.eigh(a, np.eye(4))
    with pytest.raises(NotImplementedError, match="schur has no derivative"):
        ag.grad(lambda a: tnp.sum(L.schur(a)[0]))(a)
    with pytest.raises(ag.TraceAgError, match=r"solve_sylvester: q \(4, 2\) must be"):
        L.solve_sylvester(a, a[:3, :3], b)
    with pytest.raises(NotImplementedError, match="disp=False"):
        L.sqrtm(a, disp=False)
    with pytest.raises(ValueError, match="at most 2 dimensions"):
        L.block_diag(np.ones((2, 2, 2)))


def test_singular_lu_gives_a_zero_pivot_not_an_error():
    """As LAPACK's getrf and JAX: the factorization finishes, with a zero on u's diagonal;
    solving with it raises, as the triangular solves do (JAX gives inf/nan)."""
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    packed, piv = L.lu_factor(a)
    ref_packed, ref_piv = jax.lax.linalg.lu(a)[:2]
    _close(packed, np.asarray(ref_packed))
    np.testing.assert_array_equal(piv, ref_piv)
    assert packed[1, 1] == 0.0
    with pytest.raises(np.linalg.LinAlgError):
        L.lu_solve((packed, piv), np.ones(2))


# ---------------------------------------------------------------- sqrtm, solve_sylvester, schur


def _near_diagonal(rng, *shape, scale=1.0, complex_part=False):
    """Distinct eigenvalues ``scale * (1, 3, 5, ...)`` (positive: sqrtm's derivative exists)."""
    x = 0.2 * rng.standard_normal(shape)
    if complex_part:
        x = x + 0.2j * rng.standard_normal(shape)
    return x + scale * np.diag(2.0 * np.arange(shape[-1]) + 1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_sqrtm_solve_sylvester_and_schur_match_scipy(rng, dtype):
    cx = np.issubdtype(dtype, np.complexfloating)
    a = _near_diagonal(rng, 2, 3, 3, complex_part=cx).astype(dtype)
    b = _near_diagonal(rng, 2, 2, 2, scale=-0.3, complex_part=cx).astype(dtype)
    q = rng.standard_normal((2, 3, 2)).astype(dtype)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    root = L.sqrtm(a)
    assert root.dtype == np.result_type(dtype, np.complex64)  # always complex, as JAX's
    _close(root, np.stack([sl.sqrtm(m) for m in a]).astype(root.dtype), rtol, "sqrtm")
    x = L.solve_sylvester(a, b, q)
    ref = np.stack([sl.solve_sylvester(*m) for m in zip(a, b, q, strict=True)])
    _close(x, ref.astype(dtype), rtol, "solve_sylvester")
    for output in ("real", "complex"):
        t, z = L.schur(a[0], output=output)
        t_ref, z_ref = sl.schur(a[0], output=output)
        _close(t, t_ref, rtol, f"schur {output} t")
        _close(z, z_ref, rtol, f"schur {output} z")


def test_solve_sylvester_broadcasts_batches(rng):
    a, b = _near_diagonal(rng, 3, 3), _near_diagonal(rng, 2, 2, 2, scale=0.5)
    q = rng.standard_normal((3, 2))
    ref = np.stack([sl.solve_sylvester(a, m, q) for m in b])
    _close(L.solve_sylvester(a, b, q), ref, 1e-10, "broadcast batch")


@pytest.mark.parametrize("complex_input", [False, True], ids=["real", "complex"])
def test_sqrtm_and_solve_sylvester_derivatives(rng, complex_input):
    """JAX has none (its Schur form has no rule); trace_ag's against central differences, and
    sqrtm's against JAX's eigh route for a symmetric positive-definite input."""
    a = _near_diagonal(rng, 3, 3, complex_part=complex_input)
    b = _near_diagonal(rng, 2, 2, scale=-0.3, complex_part=complex_input)
    q = rng.standard_normal((3, 2))
    ag.check_grads(L.sqrtm, (a,), order=2 if not complex_input else 1)
    ag.check_grads(L.solve_sylvester, (a, b, q), order=2 if not complex_input else 1)
    if complex_input:
        return
    s = (a + a.T) / 2

    def jax_root(m):
        w, v = jnp.linalg.eigh((m + m.T) / 2)
        return jnp.sum(jnp.abs((v * jnp.sqrt(w)) @ v.T) ** 2)

    ours = lambda m: tnp.sum(tnp.abs(L.sqrtm((m + m.T) / 2)) ** 2)  # noqa: E731
    _close(ag.grad(ours)(s), jax.grad(jax_root)(s), 1e-8, "sqrtm grad vs JAX's eigh route")


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_sqrtm_and_solve_sylvester_under_jit_and_vmap(rng, backend):
    a = np.stack([_near_diagonal(rng, 3, 3) for _ in range(2)])
    b = np.stack([_near_diagonal(rng, 2, 2, scale=-0.3) for _ in range(2)])
    q = rng.standard_normal((2, 3, 2))

    def loss(a, b, q):
        return tnp.sum(tnp.abs(L.sqrtm(a)) ** 2) + tnp.sum(L.solve_sylvester(a, b, q) ** 2)

    grad = ag.grad(loss, (0, 1, 2))
    for ours, ref in zip(ag.jit(grad, backend=backend)(a, b, q), grad(a, b, q), strict=True):
        _close(ours, ref, 1e-9, f"jit {backend}")
    looped = [grad(a[i], b[i], q[i]) for i in range(2)]
    for k, batched in enumerate(ag.vmap(grad)(a, b, q)):
        _close(batched, np.stack([g[k] for g in looped]), 1e-10, "vmap of grad")
