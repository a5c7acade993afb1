"""Spec rows: linear algebra (tnp.linalg)."""

from __future__ import annotations

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
            "linalg.eigvals[real, imaginary parts]",
            lambda a: ld.eig.bind(spread(tnp, a), compute_v=False),
            lambda a: (lambda w: (jnp.real(w), jnp.imag(w)))(jL.eigvals(spread(jnp, a))),
            shapes=sq,
            reverse=False,
            numeric=False,
        ),
    ]


rows += _linalg_rows()

ROWS = rows
