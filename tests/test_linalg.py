"""``trace_ag.numpy.linalg`` against ``jax.numpy.linalg`` (and NumPy for values).

Eigenvectors and singular vectors are defined up to sign, and trace_ag normalizes the sign
differently from JAX, so every case below is a function of them that does not depend on the
sign (``v ** 2``, ``v @ v.T``, ``u[:, :1] * vh[:1]``). Inputs are well conditioned: SPD matrices
for cholesky, symmetric ones with well-separated eigenvalues for eigh, shifted ones for solves.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from oracle import assert_trees_match, jax_value_vjp_jvp, random_like

import trace_ag as ag
import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")


def _spd(xp, x):
    n = x.shape[-1]
    return x @ xp.swapaxes(x, -1, -2) + n * xp.eye(n, dtype=x.dtype)


def _sym(xp, x):
    """Symmetric, eigenvalues spread by a diagonal 0, 3, 6, ... (distinct, well separated)."""
    n = x.shape[-1]
    return x + xp.swapaxes(x, -1, -2) + xp.diag(xp.arange(n, dtype=x.dtype) * 3)


def _shift(xp, x):
    return x + 3 * xp.eye(x.shape[-1], dtype=x.dtype)


def _eigh(L, xp, a):
    w, v = L.eigh(_sym(xp, a))
    return w, v**2, v @ (xp.swapaxes(v, -1, -2) * 2)


def _rotated(xp, x):
    """Near diag(0, 3, 6, ...) with a rotation in the first 2 x 2 block: distinct eigenvalues,
    a complex pair among them."""
    n = x.shape[-1]
    k = np.diag(3.0 * np.arange(n))
    k[0, 1], k[1, 0] = 2.0, -2.0
    return 0.2 * x + xp.asarray(k, dtype=x.dtype)


def _eig(L, xp, a):
    """Functions of eig that depend neither on the eigenvalues' order nor on the phases of the
    eigenvectors. JAX's eigenvector derivatives are those of jax.lax.linalg.eig with
    enable_eigvec_derivs=True (jnp.linalg.eig refuses them)."""
    if xp is tnp:
        w, v = L.eig(_rotated(xp, a))
    else:
        w, v = jax.lax.linalg.eig(
            _rotated(xp, a), compute_left_eigenvectors=False, enable_eigvec_derivs=True
        )
    gram = xp.swapaxes(v, -1, -2) @ xp.conj(v)  # v_j . conj(v_k): phase-free up to w's order
    # Real outputs, for check_grads compares real values only. The weights |v|^2 are equal for a
    # conjugate pair of eigenvalues, so the imaginary parts of the last two vanish.
    weighted = (xp.abs(v) ** 2 @ w[..., None], xp.sum(xp.abs(gram) ** 2, axis=-1) @ w[..., None])
    return (xp.real(w**3), xp.imag(w**3), *(xp.real(x) for x in weighted))


def _svd(L, xp, a, full=False):
    u, s, vh = L.svd(a, full_matrices=full)
    return u**2, s, vh**2, u[..., :, :1] * vh[..., :1, :]


# name: (f(linalg module, array module, *args), argument shapes)
CASES = {
    "solve": (lambda L, xp, a, b: L.solve(_shift(xp, a), b), [(2, 3, 3), (2, 3, 2)]),
    "solve[vector b]": (lambda L, xp, a, b: L.solve(_shift(xp, a), b), [(3, 3), (3,)]),
    "solve[broadcast]": (lambda L, xp, a, b: L.solve(_shift(xp, a), b), [(2, 1, 3, 3), (4, 3, 2)]),
    "inv": (lambda L, xp, a: L.inv(_shift(xp, a)), [(2, 3, 3)]),
    "det": (lambda L, xp, a: L.det(a), [(2, 3, 3)]),
    "slogdet": (lambda L, xp, a: L.slogdet(a)[1], [(2, 3, 3)]),
    "cholesky": (lambda L, xp, a: L.cholesky(_spd(xp, a)), [(2, 3, 3)]),
    "cholesky[upper]": (lambda L, xp, a: L.cholesky(_spd(xp, a), upper=True), [(3, 3)]),
    "eigh": (_eigh, [(2, 3, 3)]),
    "eigh[UPLO=U]": (lambda L, xp, a: L.eigh(_sym(xp, a), UPLO="U")[0], [(3, 3)]),
    "eigvalsh": (lambda L, xp, a: L.eigvalsh(_sym(xp, a)), [(2, 4, 4)]),
    "svd[tall]": (_svd, [(2, 4, 3)]),
    "svd[wide]": (_svd, [(2, 3, 5)]),
    "svd[square, full]": (lambda L, xp, a: _svd(L, xp, a, full=True), [(3, 3)]),
    "svd[values]": (lambda L, xp, a: L.svd(a, compute_uv=False), [(2, 3, 5)]),
    "qr": (lambda L, xp, a: tuple(L.qr(a)), [(2, 4, 3)]),
    "qr[complete, square]": (lambda L, xp, a: tuple(L.qr(a, mode="complete")), [(3, 3)]),
    "qr[r]": (lambda L, xp, a: L.qr(a, mode="r"), [(4, 2)]),
    "qr[wide]": (lambda L, xp, a: tuple(L.qr(a)), [(2, 3, 5)]),
    "qr[complete, tall]": (lambda L, xp, a: tuple(L.qr(a, mode="complete")), [(2, 5, 3)]),
    "qr[complete, wide]": (lambda L, xp, a: tuple(L.qr(a, mode="complete")), [(3, 4)]),
    "eig": (lambda L, xp, a: _eig(L, xp, a), [(2, 4, 4)]),
    "eigvals": (lambda L, xp, a: L.eigvals(_rotated(xp, a)), [(2, 4, 4)]),
    "pinv[tall]": (lambda L, xp, a: L.pinv(a), [(4, 3)]),
    "pinv[wide, batched]": (lambda L, xp, a: L.pinv(a), [(2, 3, 5)]),
    "lstsq": (lambda L, xp, a, b: L.lstsq(a, b)[0], [(5, 3), (5, 2)]),
    "lstsq[vector b]": (lambda L, xp, a, b: L.lstsq(a, b)[0], [(5, 3), (5,)]),
    "matrix_power[5]": (lambda L, xp, a: L.matrix_power(a, 5), [(2, 3, 3)]),
    "matrix_power[-3]": (lambda L, xp, a: L.matrix_power(_shift(xp, a), -3), [(2, 3, 3)]),
    "multi_dot": (lambda L, xp, a, b, c: L.multi_dot([a, b, c]), [(3,), (3, 4), (4,)]),
    "multi_dot[4]": (
        lambda L, xp, a, b, c, d: L.multi_dot([a, b, c, d]),
        [(5, 2), (2, 6), (6, 3), (3, 4)],
    ),
    "tensorinv": (
        lambda L, xp, a: L.tensorinv(a + 3 * xp.eye(6).reshape(2, 3, 6), ind=2),
        [(2, 3, 6)],
    ),
    "tensorsolve": (
        lambda L, xp, a, b: L.tensorsolve(a + 3 * xp.eye(6).reshape(2, 3, 2, 3), b),
        [(2, 3, 2, 3), (2, 3)],
    ),
}
# Cases whose second-order check_grads is run (the rest: first order; all pass at order 2, but
# the suite stays fast).
SECOND_ORDER = {
    "solve",
    "det",
    "cholesky",
    "eigh",
    "svd[tall]",
    "svd[wide]",
    "qr",
    "qr[wide]",
    "qr[complete, tall]",
    "eig",
    "pinv[tall]",
}
by_case = pytest.mark.parametrize("name", sorted(CASES))


def _args(name: str, dtype=np.float64, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in CASES[name][1]]


def _fns(name: str):
    f = CASES[name][0]
    return (lambda *xs: f(tnp.linalg, tnp, *xs)), (lambda *xs: f(jnp.linalg, jnp, *xs))


@by_case
def test_values_vjp_and_jvp_match_jax(name):
    ours = _fns(name)[0]
    args = _args(name)
    rng = np.random.default_rng(1)
    out, vjp_fn = ag.vjp(ours, *args)
    ct = jax.tree_util.tree_map(lambda o: random_like(rng, o), out)
    tangents = [rng.standard_normal(a.shape) for a in args]
    jax_out, jax_ct, jax_tangent = jax_value_vjp_jvp(_fns(name)[1], args, ct, tangents)
    assert_trees_match(out, jax_out, 1e-10, f"{name}: value")
    assert_trees_match(vjp_fn(ct), jax_ct, 1e-8, f"{name}: vjp")
    assert_trees_match(ag.jvp(ours, args, tangents)[1], jax_tangent, 1e-8, f"{name}: jvp")


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_grads(name):
    ag.check_grads(_fns(name)[0], _args(name, seed=2), order=2 if name in SECOND_ORDER else 1)


@pytest.mark.parametrize(
    "name", ["solve", "eigh", "svd[tall]", "qr", "qr[wide]", "cholesky", "pinv[tall]", "eig"]
)
def test_float32_matches_jax(name):
    ours = _fns(name)[0]
    args = _args(name, np.float32)
    rng = np.random.default_rng(1)
    out, vjp_fn = ag.vjp(ours, *args)
    ct = jax.tree_util.tree_map(lambda o: random_like(rng, o), out)
    tangents = [rng.standard_normal(a.shape).astype(np.float32) for a in args]
    jax_out, jax_ct, _ = jax_value_vjp_jvp(_fns(name)[1], args, ct, tangents)
    assert_trees_match(out, jax_out, 1e-4, f"{name}: float32 value")
    assert_trees_match(vjp_fn(ct), jax_ct, 1e-3, f"{name}: float32 vjp")


def _squares(x):
    """A real loss of a real or complex output."""
    return tnp.sum(tnp.abs(x) ** 2) if np.iscomplexobj(x) else tnp.sum(x * x)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize(
    "name",
    ["solve", "slogdet", "eigh", "svd[wide]", "qr", "qr[complete, tall]", "pinv[tall]", "eig"],
)
def test_jit_matches_eager(name, backend):
    ours = _fns(name)[0]
    args = _args(name)
    assert_trees_match(
        ag.jit(ours, backend=backend)(*args), ours(*args), 1e-10, f"{name}: jit value"
    )
    grad = ag.grad(lambda *xs: sum(_squares(o) for o in jax.tree_util.tree_leaves(ours(*xs))))
    assert_trees_match(ag.jit(grad, backend=backend)(*args), grad(*args), 1e-9, f"{name}: jit grad")


@pytest.mark.parametrize(
    "name", ["solve", "inv", "det", "cholesky", "eigh", "svd[tall]", "qr", "qr[wide]", "eig"]
)
def test_vmap_matches_a_loop(name):
    ours = _fns(name)[0]
    rng = np.random.default_rng(3)
    args = [rng.standard_normal((2, *s)) for s in CASES[name][1]]
    batched = ag.vmap(ours)(*args)
    looped = [ours(*[a[i] for a in args]) for i in range(2)]
    stacked = jax.tree_util.tree_map(lambda *xs: np.stack(xs), *looped)
    assert_trees_match(batched, stacked, 1e-10, f"{name}: vmap")
    # vmap of the gradient as well (the vjp rules batch too)
    loss = lambda *xs: sum(_squares(o) for o in jax.tree_util.tree_leaves(ours(*xs)))  # noqa: E731
    batched_grad = ag.vmap(ag.grad(loss))(*args)
    looped_grad = np.stack([ag.grad(loss)(*[a[i] for a in args]) for i in range(2)])
    assert_trees_match(batched_grad, looped_grad, 1e-10, f"{name}: vmap of grad")


# ---------------------------------------------------------------- values NumPy defines


def test_values_match_numpy(rng):
    a = rng.standard_normal((2, 4, 4))
    spd = _spd(np, a)
    for fn in ("inv", "det", "pinv", "matrix_rank"):
        np.testing.assert_allclose(
            getattr(tnp.linalg, fn)(a), getattr(np.linalg, fn)(a), rtol=1e-10, err_msg=fn
        )
    np.testing.assert_allclose(tnp.linalg.cholesky(spd), np.linalg.cholesky(spd), rtol=1e-12)
    np.testing.assert_allclose(tnp.linalg.eigvalsh(spd), np.linalg.eigvalsh(spd), rtol=1e-12)
    np.testing.assert_allclose(tnp.linalg.svdvals(a), np.linalg.svd(a, compute_uv=False))
    u, s, vh = tnp.linalg.svd(a[0, :, :3])  # full_matrices=True by default
    assert (u.shape, s.shape, vh.shape) == ((4, 4), (3,), (3, 3))
    np.testing.assert_allclose(u[:, :3] * s @ vh, a[0, :, :3], atol=1e-12)
    np.testing.assert_allclose(u.T @ u, np.eye(4), atol=1e-12)
    q, r = tnp.linalg.qr(a[0, :, :3], mode="complete")
    assert (q.shape, r.shape) == ((4, 4), (4, 3))
    np.testing.assert_allclose(q @ r, a[0, :, :3], atol=1e-12)
    # eigh decomposes (a + a^T) / 2 as jax.numpy.linalg does (NumPy reads one triangle: the
    # same values for symmetric input), so its derivative is that of what it computes
    lower_only = np.tril(spd[0])
    halfway = (lower_only + lower_only.T) / 2
    np.testing.assert_allclose(tnp.linalg.eigvalsh(lower_only), np.linalg.eigvalsh(halfway))
    np.testing.assert_allclose(
        tnp.linalg.eigh(lower_only.T, UPLO="U").eigenvalues, np.linalg.eigvalsh(halfway)
    )


def test_integer_inputs_become_float64():
    a = np.array([[2, 1], [1, 3]])
    assert tnp.linalg.inv(a).dtype == np.float64
    np.testing.assert_allclose(tnp.linalg.det(a), 5.0)
    np.testing.assert_array_equal(tnp.linalg.matrix_power(a, 2), np.linalg.matrix_power(a, 2))
    assert tnp.linalg.matrix_power(a, 2).dtype == a.dtype


def test_lstsq_and_matrix_rank_follow_numpy(rng):
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    for ours, ref in zip(tnp.linalg.lstsq(a, b), np.linalg.lstsq(a, b), strict=True):
        np.testing.assert_allclose(ours, ref, rtol=1e-10)
    deficient = np.outer(rng.standard_normal(4), rng.standard_normal(3))
    x, resid, rank, s = tnp.linalg.lstsq(deficient, b[:4])
    assert rank == 1 and resid.shape == (0,)  # NumPy: no residuals below full rank
    np.testing.assert_allclose(x, np.linalg.lstsq(deficient, b[:4])[0], rtol=1e-8)
    assert tnp.linalg.matrix_rank(deficient) == 1
    np.testing.assert_array_equal(tnp.linalg.matrix_rank(np.stack([deficient, a[:4]])), [1, 3])
    assert tnp.linalg.matrix_rank(np.zeros(3)) == 0
    # no gradient through rank and s; under jit residuals are always computed, as in JAX
    g = ag.grad(lambda a: tnp.sum(tnp.linalg.lstsq(a, b)[3]) + tnp.sum(tnp.linalg.lstsq(a, b)[0]))
    jax_g = jax.grad(lambda a: jnp.sum(jnp.linalg.lstsq(a, b)[0]))
    np.testing.assert_allclose(g(a), jax_g(a), rtol=1e-8)
    assert ag.jit(lambda a: tnp.linalg.lstsq(a, b[:4])[1])(deficient).shape == (2,)


def test_matrix_power_edge_cases(rng):
    a = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    np.testing.assert_array_equal(
        tnp.linalg.matrix_power(a, 0), np.broadcast_to(np.eye(3), a.shape)
    )
    for n in (1, 2, 3, 6, -1, -4):
        np.testing.assert_allclose(
            tnp.linalg.matrix_power(a, n), np.linalg.matrix_power(a, n), rtol=1e-10
        )
    with pytest.raises(TypeError, match="integer"):
        tnp.linalg.matrix_power(a, 1.5)


def test_eig_values_match_numpy(rng):
    a = rng.standard_normal((2, 4, 4))
    w, v = tnp.linalg.eig(a)
    assert w.dtype == np.complex128 and v.dtype == np.complex128
    np.testing.assert_allclose(a @ v, v * w[..., None, :], atol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1.0, rtol=1e-12)
    top = np.take_along_axis(v, np.argmax(np.abs(v), axis=-2)[..., None, :], axis=-2)
    assert np.all(top.real > 0) and np.all(top.imag == 0)  # LAPACK's, made positive
    ref = np.linalg.eigvals(a)
    np.testing.assert_allclose(np.sort_complex(tnp.linalg.eigvals(a)), np.sort_complex(ref))
    assert tnp.linalg.eigvals(a.astype(np.float32)).dtype == np.complex64
    # all-real eigenvalues still give complex arrays, as JAX
    assert tnp.linalg.eigvals(np.diag([1.0, 2.0])).dtype == np.complex128
    for backend in ("numpy", "jax"):
        np.testing.assert_allclose(
            ag.jit(tnp.linalg.eigvals, backend=backend)(a[0]), tnp.linalg.eigvals(a[0])
        )
        np.testing.assert_allclose(ag.jit(lambda x: tnp.linalg.eig(x)[1], backend=backend)(a), v)


def test_eig_gradients_of_real_functions_match_jax(rng):
    """grad of real functions of complex eigenvalues/vectors (JAX's convention), with vmap."""
    a = rng.standard_normal((3, 4, 4))

    def ours(x):
        w, v = tnp.linalg.eig(_rotated(tnp, x))
        return tnp.sum(tnp.real(w) * tnp.imag(w) ** 2) + tnp.sum(
            tnp.abs(v[..., 0, :]) ** 2 * w.real
        )

    def theirs(x):
        w, v = jax.lax.linalg.eig(
            _rotated(jnp, x), compute_left_eigenvectors=False, enable_eigvec_derivs=True
        )
        return jnp.sum(jnp.real(w) * jnp.imag(w) ** 2) + jnp.sum(
            jnp.abs(v[..., 0, :]) ** 2 * w.real
        )

    expected = np.stack([jax.grad(theirs)(x) for x in a])
    np.testing.assert_allclose(ag.grad(ours)(a[0]), expected[0], rtol=1e-9)
    np.testing.assert_allclose(ag.vmap(ag.grad(ours))(a), expected, rtol=1e-9, atol=1e-12)
    for backend in ("numpy", "jax"):
        np.testing.assert_allclose(
            ag.jit(ag.grad(ours), backend=backend)(a[1]), expected[1], rtol=1e-9
        )
    ag.check_grads(ours, (a[2],), order=1)


def test_refusals_are_clear(rng):
    a = rng.standard_normal((3, 3))
    with pytest.raises(ag.TraceAgError, match="square"):
        tnp.linalg.det(rng.standard_normal((2, 3)))
    with pytest.raises(ag.TraceAgError, match="at least 2-D"):
        tnp.linalg.cholesky(np.ones(3))
    with pytest.raises(NotImplementedError, match="full_matrices"):
        ag.grad(lambda x: tnp.sum(tnp.linalg.svd(x)[0]))(rng.standard_normal((4, 3)))
    with pytest.raises(NotImplementedError, match="full_matrices"):
        ag.jvp(lambda x: tnp.linalg.svd(x)[2], (a[:2],), (a[:2],))
    with pytest.raises(np.linalg.LinAlgError):
        tnp.linalg.cholesky(-np.eye(2))


def test_eigvalsh_and_svdvals_gradients_are_finite_at_degenerate_values():
    """As in JAX: the eigenvalues' derivative needs no eigenvalue gaps."""
    a = np.eye(3)
    np.testing.assert_allclose(ag.grad(lambda a: tnp.sum(tnp.linalg.eigvalsh(a)))(a), np.eye(3))
    np.testing.assert_allclose(ag.grad(lambda a: tnp.sum(tnp.linalg.svdvals(a)))(a), np.eye(3))


def test_docstring_examples_run():
    from trace_ag.numpy import _linalg_more

    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(_linalg_more, globs={"np": np, "tnp": tnp}):
        runner.run(test)
    assert runner.failures == 0


@pytest.mark.parametrize(
    "name, f",
    [
        ("eigh", lambda L, m: L.eigh(m)[0] ** 2),
        ("eigh vectors", lambda L, m: L.eigh(m)[1] ** 2),
        ("eigvalsh", lambda L, m: L.eigvalsh(m) ** 3),
        ("cholesky", lambda L, m: L.cholesky(m @ m.T + 4 * np.eye(4) + 0.3 * m)),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_symmetric_decompositions_of_a_non_symmetric_input_are_jaxs(name, f):
    """eigh and cholesky decompose (a + a^T) / 2, as jax.numpy.linalg: values, gradients and
    central differences agree for any input (the gradient used to be that of another
    function when the input was not symmetric)."""
    m = np.random.default_rng(0).standard_normal((4, 4)) + 3 * np.eye(4)
    ours = lambda m: tnp.sum(f(tnp.linalg, m))  # noqa: E731
    theirs = lambda m: jnp.sum(f(jnp.linalg, m))  # noqa: E731
    np.testing.assert_allclose(ours(m), theirs(m), rtol=1e-10)
    np.testing.assert_allclose(ag.grad(ours)(m), jax.grad(theirs)(m), rtol=1e-8, atol=1e-10)
    ag.check_grads(ours, (m,), order=1)
