"""Spec rows: ``trace_ag.scipy.linalg`` against ``jax.scipy.linalg`` (and its primitives, ``lu``
and ``lu_pivots_to_permutation``, against ``jax.lax.linalg``)."""

from __future__ import annotations

import pytest
from oracle import Spec, fixed

import trace_ag.numpy as tnp
import trace_ag.scipy.linalg as L
from trace_ag.primitives import linalg_scipy as ls

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jL = pytest.importorskip("jax.scipy.linalg")

R = Spec


def _spd(xp, a):
    return a @ xp.swapaxes(a, -1, -2) + a.shape[-1] * xp.eye(a.shape[-1], dtype=a.dtype)


def _shifted(xp, a):
    """Diagonally dominant: well conditioned, and LU needs no tie-breaking between pivots."""
    return a + 3 * xp.eye(a.shape[-1], dtype=a.dtype)


def _both(fn):
    """A row's function for trace_ag and for JAX: ``fn(linalg module, array module, *args)``."""
    return (lambda *a: fn(L, tnp, *a)), (lambda *a: fn(jL, jnp, *a))


def _solve_triangular(trans, lower, unit):
    def fn(linalg, xp, a, b):
        return linalg.solve_triangular(
            _shifted(xp, a), b, trans=trans, lower=lower, unit_diagonal=unit
        )

    return fn


def _lu_solve(trans):
    def fn(linalg, xp, a, b):
        return linalg.lu_solve(linalg.lu_factor(a), b, trans=trans)

    return fn


def _cho_solve(lower):
    def fn(linalg, xp, a, b):
        return linalg.cho_solve(linalg.cho_factor(_spd(xp, a), lower=lower), b)

    return fn


def _rows():
    f32 = {"f32_rtol": 1e-3}
    sq, rhs = fixed("bnn"), fixed("bnn", "bnk")
    return [
        R(
            "scipy.linalg.lu[primitive, packed]",
            lambda a: ls.lu.bind(a),
            lambda a: tuple(jax.lax.linalg.lu(a)),
            shapes=fixed("bmn"),
            order=2,
            keeps_dtype=False,
            **f32,
        ),
        R(
            "scipy.linalg.lu_pivots_to_permutation",
            lambda a: ls.lu_pivots_to_permutation.bind(
                ls.lu.bind(a)[1], permutation_size=a.shape[-2]
            ),
            lambda a: jax.lax.linalg.lu_pivots_to_permutation(jax.lax.linalg.lu(a)[1], a.shape[-2]),
            shapes=fixed("bmn"),
            numeric=False,
            keeps_dtype=False,
        ),
        R("scipy.linalg.lu", *_both(lambda m, xp, a: m.lu(a)), shapes=fixed("mn"), **f32),
        R(
            "scipy.linalg.lu[permute_l]",
            *_both(lambda m, xp, a: m.lu(a, permute_l=True)),
            shapes=fixed("mn"),
            order=2,
            **f32,
        ),
        R(
            "scipy.linalg.lu_factor",
            *_both(lambda m, xp, a: m.lu_factor(a)),
            shapes=fixed("nn"),
            keeps_dtype=False,
            **f32,
        ),
        *(
            R(
                f"scipy.linalg.lu_solve[trans={t}]",
                *_both(_lu_solve(t)),
                arity=2,
                shapes=fixed("nn", "nk"),
                order=2 if t == 0 else 1,
                **f32,
            )
            for t in (0, 1)
        ),
        R(
            "scipy.linalg.lu_solve[vector b]",
            *_both(_lu_solve(0)),
            arity=2,
            shapes=fixed("nn", "n"),
            **f32,
        ),
        *(
            R(
                f"scipy.linalg.cholesky[lower={lower}]",
                *_both(lambda m, xp, a, lower=lower: m.cholesky(_spd(xp, a), lower=lower)),
                shapes=sq,
                order=2,
                **f32,
            )
            for lower in (False, True)
        ),
        *(
            R(
                f"scipy.linalg.cho_solve[lower={lower}]",
                *_both(_cho_solve(lower)),
                arity=2,
                shapes=rhs,
                **f32,
            )
            for lower in (False, True)
        ),
        *(
            R(
                f"scipy.linalg.solve_triangular[trans={t!r}, lower={lower}, unit={unit}]",
                *_both(_solve_triangular(t, lower, unit)),
                arity=2,
                shapes=rhs,
                order=2 if t == 0 else 1,
                **f32,
            )
            for t, lower, unit in [(0, False, False), ("T", True, False), (2, False, True)]
        ),
        R(
            "scipy.linalg.solve_triangular[vector b]",
            *_both(_solve_triangular("N", True, False)),
            arity=2,
            shapes=fixed("nn", "n"),
            **f32,
        ),
        R(
            "scipy.linalg.solve[assume_a=pos]",
            *_both(lambda m, xp, a, b: m.solve(_spd(xp, a), b, assume_a="pos")),
            arity=2,
            shapes=fixed("nn", "nk"),
            **f32,
        ),
        R(
            "scipy.linalg.expm",
            *_both(lambda m, xp, a: m.expm(a)),
            shapes=sq,
            order=2,
            grad_rtol=1e-8,
            **f32,
        ),
        R(
            "scipy.linalg.expm[small: low Padé degrees]",
            *_both(lambda m, xp, a: m.expm(0.05 * a)),
            shapes=sq,
            **f32,
        ),
        R(
            "scipy.linalg.expm[large: squarings]",
            *_both(lambda m, xp, a: m.expm(4.0 * a)),
            shapes=sq,
            rtol=1e-9,
            f32_rtol=1e-2,
        ),
        R(
            "scipy.linalg.expm[upper_triangular]",
            *_both(lambda m, xp, a: m.expm(xp.triu(a), upper_triangular=True)),
            shapes=fixed("nn"),
            **f32,
        ),
        R(
            "scipy.linalg.expm_frechet",
            *_both(lambda m, xp, a, e: m.expm_frechet(a, e, compute_expm=False)),
            arity=2,
            shapes=fixed("nn", "nn"),
            **f32,
        ),
        R(
            "scipy.linalg.block_diag",
            *_both(lambda m, xp, a, b, c: m.block_diag(a, b, c)),
            arity=3,
            shapes=fixed("ij", "k", "lm"),
        ),
    ]


ROWS = _rows()
