"""Spec rows: linear algebra (tnp.linalg)."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import Spec, fixed

import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

R = Spec
rows: list[Spec] = []


# eigen- and singular vectors enter only through sign-invariant functions of them
def _linalg_rows():
    from trace_ag.primitives import linalg_decomp as ld

    def spd(xp, a):
        return a @ xp.swapaxes(a, -1, -2) + a.shape[-1] * xp.eye(a.shape[-1], dtype=a.dtype)

    def shifted(xp, a):
        return a + 3 * xp.eye(a.shape[-1], dtype=a.dtype)

    def spread(xp, a):
        """Near a rectangular diagonal 1, 3, 5, ...: distinct, well-separated eigen/singular
        values and vectors whose largest entries are clear."""
        m, n = a.shape[-2:]
        return 0.1 * a + xp.eye(m, n, dtype=a.dtype) * (2 * xp.arange(n, dtype=a.dtype) + 1)

    def sym_spread(xp, a):
        return spread(xp, (a + xp.swapaxes(a, -1, -2)) / 2)

    def eigh(L, xp):
        return lambda a: (lambda w, v: (w, v**2))(*L.eigh(sym_spread(xp, a)))

    def svd(L, xp):
        return lambda a: (lambda u, s, vh: (u**2, s, vh**2, u[..., :, :1] * vh[..., :1, :]))(
            *L.svd(spread(xp, a), full_matrices=False)
        )

    def tri(lower, transpose):
        def fn(a, b):
            a = shifted(tnp, a)
            return ld.triangular_solve.bind(a, b, lower=lower, transpose_a=transpose)

        def ref(a, b):
            a = shifted(jnp, a)
            return jax.lax.linalg.triangular_solve(
                a, b, left_side=True, lower=lower, transpose_a=transpose
            )

        return fn, ref

    def rotated(xp, a):
        """Near diag(1, 3, 5, ...) with its first 2 x 2 block turned into a rotation-like one
        (eigenvalues 2 +- i sqrt(3)): distinct eigenvalues, complex ones among them."""
        n = a.shape[-1]
        k = np.diag(2.0 * np.arange(n) + 1)
        if n > 1:
            k[0, 1], k[1, 0] = 2.0, -2.0
        return 0.1 * a + xp.asarray(k, dtype=a.dtype)

    def eig(xp):
        """Eigenvalues and |v|^2 weighted by them: independent of the order and the phases."""

        def fn(a):
            if xp is tnp:
                w, v = L.eig(rotated(xp, a))
            else:
                w, v = jax.lax.linalg.eig(
                    rotated(xp, a), compute_left_eigenvectors=False, enable_eigvec_derivs=True
                )
            return xp.sum(w * w, axis=-1), xp.sum(xp.abs(v) ** 2 * xp.expand_dims(w, -2), -1)

        return fn

    def wide(d):
        m = d.int(1, 3)
        return [(d.int(1, 2), m, d.int(m + 1, 4))], {}

    def tall(d):
        n = d.int(1, 3)
        return [(d.int(1, 2), d.int(n, 4), n)], {}

    L, jL = tnp.linalg, jnp.linalg
    sq = fixed("bnn")
    both = {"f32_rtol": 1e-3}
    return [
        R(
            "linalg.solve",
            lambda a, b: L.solve(shifted(tnp, a), b),
            lambda a, b: jL.solve(shifted(jnp, a), b),
            arity=2,
            shapes=fixed("bnn", "bnk"),
        ),
        R(
            "linalg.inv",
            lambda a: L.inv(shifted(tnp, a)),
            lambda a: jL.inv(shifted(jnp, a)),
            shapes=sq,
            order=2,
        ),
        R(
            "linalg.slogdet",
            lambda a: tuple(L.slogdet(spd(tnp, a))),
            lambda a: tuple(jL.slogdet(spd(jnp, a))),
            shapes=sq,
        ),
        R(
            "linalg.det",
            lambda a: L.det(shifted(tnp, a)),
            lambda a: jL.det(shifted(jnp, a)),
            shapes=sq,
            order=2,
        ),
        R(
            "linalg.triangular_solve[lower]",
            *tri(True, False),
            arity=2,
            shapes=fixed("bnn", "bnk"),
            order=2,
        ),
        R(
            "linalg.triangular_solve[upper, transposed]",
            *tri(False, True),
            arity=2,
            shapes=fixed("bnn", "bnk"),
        ),
        R(
            "linalg.cholesky",
            lambda a: L.cholesky(spd(tnp, a)),
            lambda a: jL.cholesky(spd(jnp, a)),
            shapes=sq,
            order=2,
            **both,
        ),
        R("linalg.eigh", eigh(L, tnp), eigh(jL, jnp), shapes=sq, order=2, **both),
        R(
            "linalg.eigvalsh",
            lambda a: L.eigvalsh(sym_spread(tnp, a)),
            lambda a: jL.eigvalsh(sym_spread(jnp, a)),
            shapes=sq,
            **both,
        ),
        R("linalg.svd", svd(L, tnp), svd(jL, jnp), shapes=fixed("bmn"), order=2, **both),
        R(
            "linalg.svd[compute_uv=False]",
            lambda a: L.svd(spread(tnp, a), compute_uv=False),
            lambda a: jL.svd(spread(jnp, a), compute_uv=False),
            shapes=fixed("bmn"),
            **both,
        ),
        R(
            "linalg.qr",
            lambda a: tuple(L.qr(spread(tnp, a))),
            lambda a: tuple(jL.qr(spread(jnp, a))),
            shapes=tall,
            order=2,
            **both,
        ),
        R(
            "linalg.pinv",
            lambda a: L.pinv(spread(tnp, a)),
            lambda a: jL.pinv(spread(jnp, a)),
            shapes=fixed("bmn"),
            **both,
        ),
        R(
            "linalg.qr[wide]",
            lambda a: tuple(L.qr(spread(tnp, a))),
            lambda a: tuple(jL.qr(spread(jnp, a))),
            shapes=wide,
            order=2,
            **both,
        ),
        R(
            "linalg.qr[complete]",
            lambda a: tuple(L.qr(spread(tnp, a), mode="complete")),
            lambda a: tuple(jL.qr(spread(jnp, a), mode="complete")),
            shapes=fixed("bmn"),
            **both,
        ),
        R(
            "linalg.eigvals",
            lambda a: L.eigvals(rotated(tnp, a)),
            lambda a: jL.eigvals(rotated(jnp, a)),
            shapes=sq,
            order=2,
            keeps_dtype=False,  # complex64 from float32
            **both,
        ),
        R("linalg.eig", eig(tnp), eig(jnp), shapes=sq, order=2, keeps_dtype=False, **both),
    ]


rows += _linalg_rows()


def _complex_rows():
    """Complex matrices ``a + 1j * b`` from two real operands, through phase-free functions
    of the eigen-, singular and QR vectors (the phase conventions differ from JAX's)."""

    def herm(xp, a, b):
        x = a + 1j * b
        n = x.shape[-1]
        h = (x + xp.conj(xp.swapaxes(x, -1, -2))) / 2
        return 0.2 * h + xp.diag(2 * xp.arange(n, dtype=a.dtype) + 1)

    def eigh(L, xp):
        def fn(a, b):
            w, v = L.eigh(herm(xp, a, b))
            return w, xp.abs(v) ** 2, L.slogdet(herm(xp, a, b) + 2 * xp.eye(3))[1]

        return fn

    def factors(L, xp):
        def fn(a, b):
            x = 0.2 * (a + 1j * b) + xp.eye(4, 3) * (2 * xp.arange(3, dtype=a.dtype) + 1)
            u, s, vh = L.svd(x, full_matrices=False)
            q, r = L.qr(x)
            return s, u[..., :, :1] * vh[..., :1, :], q * xp.diagonal(r, 0, -2, -1)  # phase-free

        return fn

    L, jL = tnp.linalg, jnp.linalg
    return [
        R(
            "linalg.complex.eigh",
            eigh(L, tnp),
            eigh(jL, jnp),
            arity=2,
            shapes=lambda d: ([(2, 3, 3)] * 2, {}),
            keeps_dtype=False,
            f32_rtol=1e-3,
        ),
        R(
            "linalg.complex.svd, qr",
            factors(L, tnp),
            factors(jL, jnp),
            arity=2,
            shapes=lambda d: ([(4, 3)] * 2, {}),
            keeps_dtype=False,
            f32_rtol=1e-3,
        ),
    ]


rows += _complex_rows()

ROWS = rows
