"""``trace_ag.numpy.linalg`` on complex matrices against ``jax.numpy.linalg``, and ``einsum``'s
interleaved (operand, sublist) form against NumPy and JAX.

Eigenvectors and singular vectors of complex matrices are defined up to a phase each. trace_ag
makes each vector's largest-magnitude entry real and positive and differentiates through that
choice; JAX fixes the phase of the derivative differently. So the cases compared with JAX are
functions that do not depend on the phases (``|v|^2``, ``v v^H``, ``u[:, :1] vh[:1]``), and the
raw vectors are checked against central differences of trace_ag's own values.
"""

from __future__ import annotations

import numpy as np
import pytest
from oracle import assert_trees_match, jax_value_vjp_jvp, random_like

import trace_ag as ag
import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")


def _mH(xp, x):
    return xp.conj(xp.swapaxes(x, -1, -2))


def _shift(xp, x):
    return x + 3 * xp.eye(x.shape[-1], dtype=x.dtype)


def _hpd(xp, x):
    """Hermitian positive definite."""
    return x @ _mH(xp, x) + x.shape[-1] * xp.eye(x.shape[-1], dtype=x.dtype)


def _spread(xp, x):
    """Near a rectangular diagonal 1, 3, 5, ...: well-separated eigen/singular values."""
    m, n = x.shape[-2:]
    k = min(m, n)
    return 0.2 * x + xp.eye(m, n, dtype=x.dtype) * (2 * xp.arange(n, dtype=x.dtype) + 1) * (
        xp.arange(n) < k
    )


def _herm_spread(xp, x):
    return _spread(xp, (x + _mH(xp, x)) / 2)


def _eigh(L, xp, a, uplo="L"):
    w, v = L.eigh(_herm_spread(xp, a), uplo)
    return w, xp.abs(v) ** 2, v[..., :, :2] @ _mH(xp, v[..., :, :2])  # a projector


def _svd(L, xp, a):
    u, s, vh = L.svd(_spread(xp, a), full_matrices=False)
    return s, xp.abs(u) ** 2, xp.abs(vh) ** 2, u[..., :, :1] * vh[..., :1, :]


def _eig(L, xp, a):
    """Eigenvalues and phase-free functions of the eigenvectors."""
    a = _spread(xp, a)
    if xp is tnp:
        w, v = L.eig(a)
    else:
        w, v = jax.lax.linalg.eig(a, compute_left_eigenvectors=False, enable_eigvec_derivs=True)
    return w, xp.sum(xp.abs(v) ** 2 * xp.expand_dims(w, -2), axis=-1)


def _slogdet(L, xp, a):
    sign, logabsdet = L.slogdet(_shift(xp, a))
    return sign, logabsdet


def _solves(L, xp, a, b):
    a = _shift(xp, a)
    return L.solve(a, b), L.inv(a), L.det(a), L.matrix_power(a, -2), L.matrix_power(a, 3)


def _hermitian(L, xp, a):
    return (*_eigh(L, xp, a), _eigh(L, xp, a[..., 0, :, :], "U"), L.eigvalsh(_herm_spread(xp, a)))


def _singular(L, xp, a):
    x = _spread(xp, a)
    norms = L.norm(x, "nuc", axis=(-2, -1)), L.norm(x[..., 0, :, :], 2), L.norm(a, axis=(-2, -1))
    return (*_svd(L, xp, a), L.svd(x, compute_uv=False), *norms)


def _general(L, xp, a):
    return (*_eig(L, xp, a), L.eigvals(_spread(xp, a)))


def _least_squares(L, xp, a, b):
    x = _spread(xp, a)
    return L.pinv(x), L.lstsq(x, b)[0]


def _qr(L, xp, a):
    return (*L.qr(a), *L.qr(a[..., :3, :], mode="complete"), *L.qr(_mH(xp, a)[..., :3, :]))


# name: (f(linalg module, array module, *complex args), argument shapes); each case gathers
# several functions, for every case costs a JAX compilation
CASES = {
    "solves": (_solves, [(2, 3, 3), (2, 3, 2)]),
    "slogdet": (_slogdet, [(2, 3, 3)]),
    "cholesky": (lambda L, xp, a: L.cholesky(_hpd(xp, a)), [(2, 3, 3)]),
    "eigh": (_hermitian, [(2, 4, 4)]),
    "svd[tall]": (_singular, [(2, 4, 3)]),
    "svd[wide]": (_svd, [(3, 5)]),
    "svd[square]": (_svd, [(3, 3)]),
    "eig": (_general, [(2, 4, 4)]),
    "pinv, lstsq": (_least_squares, [(5, 3), (5, 2)]),
    "qr": (_qr, [(2, 5, 2)]),
}
by_case = pytest.mark.parametrize("name", sorted(CASES))


def _complex_args(name: str, dtype=np.complex128, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    shapes = CASES[name][1]
    return [(rng.standard_normal(s) + 1j * rng.standard_normal(s)).astype(dtype) for s in shapes]


def _fns(name: str):
    f = CASES[name][0]
    return (lambda *xs: f(tnp.linalg, tnp, *xs)), (lambda *xs: f(jnp.linalg, jnp, *xs))


def _loss(f):
    """A real function of every output, real or complex."""
    return lambda *xs: sum(
        tnp.sum(tnp.abs(o) ** 2) if np.iscomplexobj(o) else tnp.sum(o * o)
        for o in jax.tree_util.tree_leaves(f(*xs))
    )


@by_case
def test_values_vjp_and_jvp_match_jax(name):
    """JAX's complex convention: the vjp is the transpose of the jvp under Re(sum(x * y)), so
    with the same complex cotangents and tangents both must agree."""
    ours = _fns(name)[0]
    args = _complex_args(name)
    rng = np.random.default_rng(1)
    out, vjp_fn = ag.vjp(ours, *args)
    ct = jax.tree_util.tree_map(lambda o: random_like(rng, o), out)
    tangents = [random_like(rng, a) for a in args]
    jax_out, jax_ct, jax_tangent = jax_value_vjp_jvp(_fns(name)[1], args, ct, tangents)
    assert_trees_match(out, jax_out, 1e-10, f"{name}: value")
    assert_trees_match(vjp_fn(ct), jax_ct, 1e-8, f"{name}: vjp")
    assert_trees_match(ag.jvp(ours, args, tangents)[1], jax_tangent, 1e-8, f"{name}: jvp")


@pytest.mark.parametrize("name", ["cholesky", "eigh", "svd[wide]", "eig"])
def test_complex64_matches_jax(name):
    ours = _fns(name)[0]
    args = _complex_args(name, np.complex64)
    rng = np.random.default_rng(1)
    out, vjp_fn = ag.vjp(ours, *args)
    ct = jax.tree_util.tree_map(lambda o: random_like(rng, o), out)
    tangents = [random_like(rng, a) for a in args]
    jax_out, jax_ct, _ = jax_value_vjp_jvp(_fns(name)[1], args, ct, tangents)
    assert_trees_match(out, jax_out, 1e-4, f"{name}: complex64 value")
    assert_trees_match(vjp_fn(ct), jax_ct, 1e-3, f"{name}: complex64 vjp")


def _raw(fn):
    return lambda a: tuple(fn(a))


# The decompositions' raw outputs, phases included: derivatives of trace_ag's own values.
RAW = {
    "eigh": (_raw(lambda a: tnp.linalg.eigh(_herm_spread(tnp, a))), (4, 4), 2),
    "svd[tall]": (_raw(lambda a: tnp.linalg.svd(_spread(tnp, a), False)), (4, 3), 2),
    "svd[wide]": (_raw(lambda a: tnp.linalg.svd(_spread(tnp, a), False)), (2, 3, 4), 1),
    "svd[square]": (_raw(lambda a: tnp.linalg.svd(_spread(tnp, a))), (3, 3), 1),
    "eig": (_raw(lambda a: tnp.linalg.eig(_spread(tnp, a))), (3, 3), 2),
    "slogdet": (_raw(lambda a: tnp.linalg.slogdet(_shift(tnp, a))), (3, 3), 2),
    "cholesky": (lambda a: tnp.linalg.cholesky(_hpd(tnp, a)), (3, 3), 2),
    "solve": (lambda a: tnp.linalg.solve(_shift(tnp, a), a[..., :2]), (3, 3), 2),
    "qr[tall]": (_raw(tnp.linalg.qr), (4, 3), 2),
    "qr[wide]": (_raw(tnp.linalg.qr), (3, 4), 1),
    "qr[complete]": (_raw(lambda a: tnp.linalg.qr(a, mode="complete")), (2, 4, 3), 1),
}


@pytest.mark.parametrize("name", sorted(RAW))
def test_check_grads_of_the_raw_outputs(name):
    fn, shape, order = RAW[name]
    rng = np.random.default_rng(2)
    a = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    ag.check_grads(fn, (a,), order=order)


@pytest.mark.parametrize("name", ["eigh", "svd[wide]", "svd[tall]", "eig"])
def test_jvp_of_the_raw_vectors_matches_central_differences(name):
    fn, shape, _ = RAW[name]
    rng = np.random.default_rng(4)
    a, t = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape) for _ in range(2))
    eps = 1e-6
    tangents = ag.jvp(fn, (a,), (t,))[1]
    numeric = [(p - m) / (2 * eps) for p, m in zip(fn(a + eps * t), fn(a - eps * t), strict=True)]
    assert_trees_match(tangents, numeric, 1e-6, f"{name}: jvp vs central differences")


@pytest.mark.parametrize(
    "name, backend",
    [(name, "numpy") for name in ["solves", "slogdet", "cholesky", "eigh", "svd[wide]", "eig"]]
    + [(name, "jax") for name in ["slogdet", "eigh", "svd[wide]"]],
)
def test_jit_matches_eager(name, backend):
    ours = _fns(name)[0]
    args = _complex_args(name)
    assert_trees_match(
        ag.jit(ours, backend=backend)(*args), ours(*args), 1e-10, f"{name}: jit value"
    )
    grad = ag.grad(_loss(ours))
    assert_trees_match(ag.jit(grad, backend=backend)(*args), grad(*args), 1e-9, f"{name}: jit grad")


@pytest.mark.parametrize(
    "name", ["solves", "slogdet", "cholesky", "eigh", "svd[wide]", "eig", "qr"]
)
def test_vmap_matches_a_loop(name):
    ours = _fns(name)[0]
    rng = np.random.default_rng(3)
    args = [
        rng.standard_normal((2, *s)) + 1j * rng.standard_normal((2, *s)) for s in CASES[name][1]
    ]
    looped = [ours(*[a[i] for a in args]) for i in range(2)]
    stacked = jax.tree_util.tree_map(lambda *xs: np.stack(xs), *looped)
    assert_trees_match(ag.vmap(ours)(*args), stacked, 1e-10, f"{name}: vmap")
    grad = ag.grad(_loss(ours))
    looped_grad = np.stack([grad(*[a[i] for a in args]) for i in range(2)])
    assert_trees_match(ag.vmap(grad)(*args), looped_grad, 1e-10, f"{name}: vmap of grad")


def test_grad_of_a_real_loss_is_jaxs_at_degenerate_singular_values():
    """The issue's example: svd of a complex multiple of the identity (all singular values
    equal); the singular values' gradient needs no gaps, as in JAX."""
    f = lambda lib: lambda m: lib.sum(lib.abs(lib.linalg.svd(m)[1]))  # noqa: E731
    m = np.eye(3) * (1 + 1j)
    np.testing.assert_allclose(ag.grad(f(tnp))(m), jax.grad(f(jnp))(m), atol=1e-12)
    g = lambda lib: lambda m: lib.sum(lib.linalg.eigh(m)[0] ** 2)  # noqa: E731
    np.testing.assert_allclose(ag.grad(g(tnp))(m), jax.grad(g(jnp))(m), atol=1e-12)


def test_values_and_dtypes_follow_numpy():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    h = a + a.conj().T
    for dtype in (np.complex64, np.complex128):
        x, hx = a.astype(dtype), h.astype(dtype)
        w, v = tnp.linalg.eigh(hx)
        assert w.dtype == np.linalg.eigvalsh(hx).dtype and v.dtype == dtype
        np.testing.assert_allclose(w, np.linalg.eigvalsh(hx), rtol=1e-4)
        np.testing.assert_allclose(hx @ v, v * w, atol=1e-4)
        u, s, vh = tnp.linalg.svd(x)
        assert s.dtype == np.linalg.svd(x)[1].dtype and u.dtype == dtype
        np.testing.assert_allclose((u * s) @ vh, x, atol=1e-4)
        # the normalization: each vector's largest-magnitude entry is real and positive
        for vec in (v, u):
            top = vec[np.argmax(np.abs(vec), axis=0), np.arange(3)]
            np.testing.assert_allclose(np.imag(top), 0, atol=1e-6)
            assert (np.real(top) > 0).all()
        sign, logabsdet = tnp.linalg.slogdet(x)
        ref = np.linalg.slogdet(x)
        assert sign.dtype == ref[0].dtype and logabsdet.dtype == ref[1].dtype
        np.testing.assert_allclose([sign, logabsdet], ref, rtol=1e-5)
        np.testing.assert_allclose(tnp.linalg.norm(x, "nuc"), np.linalg.norm(x, "nuc"), rtol=1e-5)


# ---------------------------------------------------------------- einsum's sublist form

E = Ellipsis
SUBLIST_CASES = {
    "matmul": ([(2, 3), (3, 4)], lambda x, y: (x, [0, 1], y, [1, 2], [0, 2])),
    "implicit output": ([(2, 3), (3, 4)], lambda x, y: (x, [0, 1], y, [1, 2])),
    "transpose": ([(3, 4)], lambda x: (x, (0, 1), (1, 0))),
    "ellipsis": ([(2, 2, 3), (3, 4)], lambda x, y: (x, [E, 0, 1], y, [E, 1, 2], [E, 0, 2])),
    "ellipsis broadcast": ([(1, 2, 3), (4, 3, 5)], lambda x, y: (x, [E, 0, 1], y, [E, 1, 2])),
    "three operands, repeated": (
        [(3, 4, 4), (4, 4, 3), (4, 4, 3)],
        lambda x, y, z: (x, [0, 1, 2], y, [3, 1, 0], z, [3, 3, 0], [3, 2, 0]),
    ),
    "labels beyond 26": ([(2, 3), (3,)], lambda x, y: (x, [40, 30], y, [30], [40])),
}
by_sublist = pytest.mark.parametrize("name", sorted(SUBLIST_CASES))


def _sublist_args(name, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in SUBLIST_CASES[name][0]]


def _sublist_fn(lib, name):
    make = SUBLIST_CASES[name][1]
    return lambda *xs: lib.einsum(*make(*xs))


@by_sublist
def test_einsum_sublists_match_numpy_and_jax(name):
    args = _sublist_args(name)
    ours, theirs = _sublist_fn(tnp, name), _sublist_fn(jnp, name)
    np.testing.assert_allclose(ours(*args), _sublist_fn(np, name)(*args), rtol=1e-12)
    loss = lambda f: lambda *xs: (f(*xs) ** 2).sum()  # noqa: E731
    argnums = tuple(range(len(args)))
    for a, b in zip(
        ag.grad(loss(ours), argnums)(*args),
        jax.grad(loss(theirs), argnums)(*args),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    tangents = _sublist_args(name, seed=1)
    np.testing.assert_allclose(
        ag.jvp(ours, args, tangents)[1], jax.jvp(theirs, args, tangents)[1], rtol=1e-10
    )


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("name", ["ellipsis", "three operands, repeated"])
def test_einsum_sublists_under_jit_and_vmap(name, backend):
    args = _sublist_args(name)
    ours = _sublist_fn(tnp, name)
    np.testing.assert_allclose(ag.jit(ours, backend=backend)(*args), ours(*args), rtol=1e-12)
    stacked = [np.stack([x, 2 * x]) for x in args]
    looped = np.stack([ours(*[x[i] for x in stacked]) for i in range(2)])
    np.testing.assert_allclose(ag.vmap(ours)(*stacked), looped, rtol=1e-12)


def test_einsum_sublist_errors_are_clear():
    with pytest.raises(ValueError, match="einsum: a sublist holds integers"):
        tnp.einsum(np.ones(2), ["a"])
    with pytest.raises(ValueError, match="einsum: a sublist holds integers"):
        tnp.einsum(np.ones(2), [52])
