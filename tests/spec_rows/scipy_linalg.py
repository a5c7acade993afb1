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
    return (lambda *a, **kw: fn(L, tnp, *a, **kw)), (lambda *a, **kw: fn(jL, jnp, *a, **kw))


def _solve_triangular(linalg, xp, a, b, trans, lower, unit):
    a = _shifted(xp, a)
    return linalg.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)


def _lu_solve(linalg, xp, a, b, trans):
    return linalg.lu_solve(linalg.lu_factor(a), b, trans=trans)


def _cho_solve(linalg, xp, a, b, lower):
    return linalg.cho_solve(linalg.cho_factor(_spd(xp, a), lower=lower), b)


def _expm(linalg, xp, a, scale, upper):
    """Scales 0.05, 1 and 4 reach the low Padé degrees, the high ones and the squarings."""
    a = scale * (xp.triu(a) if upper else a)
    return linalg.expm(a, upper_triangular=upper)


def _three_by_three(d):
    """A stack of 1 or 2 matrices 3 x 3: expm's JAX counterpart compiles slowly, so few
    shapes (the other rows draw sizes 1 to 3)."""
    return [(d.int(1, 2), 3, 3)], {}


def _with(shapes, **choices):
    """``shapes`` plus static arguments, each drawn from its list of choices."""

    def draw(d):
        drawn, kwargs = shapes(d)
        return drawn, {**kwargs, **{k: d.choice(v) for k, v in choices.items()}}

    return draw


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
        R(
            "scipy.linalg.lu_solve",
            *_both(_lu_solve),
            arity=2,
            shapes=_with(fixed("nn", "nk"), trans=[0, 1, 2]),
            order=2,
            **f32,
        ),
        R(
            "scipy.linalg.lu_solve[vector b]",
            *_both(_lu_solve),
            arity=2,
            shapes=fixed("nn", "n"),
            kwargs={"trans": 0},
            **f32,
        ),
        R(
            "scipy.linalg.cholesky",
            *_both(lambda m, xp, a, lower: m.cholesky(_spd(xp, a), lower=lower)),
            shapes=_with(sq, lower=[False, True]),
            order=2,
            **f32,
        ),
        R(
            "scipy.linalg.cho_solve",
            *_both(_cho_solve),
            arity=2,
            shapes=_with(rhs, lower=[False, True]),
            **f32,
        ),
        R(
            "scipy.linalg.solve_triangular",
            *_both(_solve_triangular),
            arity=2,
            shapes=_with(rhs, trans=[0, 1, 2, "N", "T", "C"], lower=[False, True], unit=[0, 1]),
            order=2,
            **f32,
        ),
        R(
            "scipy.linalg.solve_triangular[vector b]",
            *_both(_solve_triangular),
            arity=2,
            shapes=fixed("nn", "n"),
            kwargs={"trans": "N", "lower": True, "unit": False},
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
            *_both(_expm),
            shapes=_with(_three_by_three, scale=[0.05, 1.0, 4.0], upper=[False]),
            rtol=1e-9,
            grad_rtol=1e-8,
            f32_rtol=1e-2,
        ),
        R(
            "scipy.linalg.expm_frechet",
            *_both(lambda m, xp, a, e: m.expm_frechet(a, e, compute_expm=False)),
            arity=2,
            shapes=lambda d: ([(3, 3), (3, 3)], {}),
            f32_rtol=1e-2,
        ),
        R(
            "scipy.linalg.block_diag",
            *_both(lambda m, xp, a, b, c: m.block_diag(a, b, c)),
            arity=3,
            shapes=fixed("ij", "k", "lm"),
        ),
    ]


def _spread(xp, a):
    """Near diag(1, 3, 5, ...): distinct positive eigenvalues."""
    n = a.shape[-1]
    return 0.1 * a + xp.diag(2 * xp.arange(n, dtype=a.dtype) + 1)


def _jax_sylvester(a, b, q):
    """JAX's solve_sylvester has no derivative; this one (a Kronecker-product solve on row-major
    vec(x): a x + x b = q) has JAX's derivatives of the same function."""
    n, m = q.shape[-2:]

    def one(a, b, q):
        k = jnp.kron(a, jnp.eye(m, dtype=a.dtype)) + jnp.kron(jnp.eye(n, dtype=a.dtype), b.T)
        return jnp.linalg.solve(k, q.reshape(-1)).reshape(n, m)

    return jnp.vectorize(one, signature="(n,n),(m,m),(n,m)->(n,m)")(a, b, q)


def _jax_sqrtm_of_symmetric(a):
    """The principal root of a symmetric positive-definite ``a``, by eigh (JAX's sqrtm has no
    derivative), complex as sqrtm's."""
    w, v = jnp.linalg.eigh(a)
    dtype = jnp.result_type(a.dtype, jnp.complex64)
    return ((v * jnp.sqrt(w)[..., None, :]) @ jnp.swapaxes(v, -1, -2)).astype(dtype)


def _schur(linalg, xp, a):
    """Sign-free functions of the real Schur form (no derivative: the input is held fixed)."""
    a = _spread(xp, (jax.lax.stop_gradient if xp is jnp else _stop)(a))
    t, z = linalg.schur(a)
    return z @ t @ xp.swapaxes(z, -1, -2), xp.abs(z), xp.abs(t)


def _stop(a):
    import trace_ag as ag

    return ag.stop_gradient(a)


def _rows_schur_family():
    sym = lambda xp, a: _spread(xp, (a + xp.swapaxes(a, -1, -2)) / 2)  # noqa: E731
    return [
        R(
            "scipy.linalg.solve_sylvester",
            lambda a, b, q: L.solve_sylvester(_spread(tnp, a), -_spread(tnp, b) / 4, q),
            lambda a, b, q: _jax_sylvester(_spread(jnp, a), -_spread(jnp, b) / 4, q),
            arity=3,
            shapes=lambda d: ([(2, 3, 3), (2, 2, 2), (2, 3, 2)], {}),
            order=2,
            f32_rtol=1e-3,
        ),
        R(
            "scipy.linalg.sqrtm",
            lambda a: L.sqrtm(sym(tnp, a)),
            lambda a: _jax_sqrtm_of_symmetric(sym(jnp, a)),
            shapes=lambda d: ([(2, 3, 3)], {}),
            keeps_dtype=False,
            f32_rtol=1e-3,
        ),
        R(
            "scipy.linalg.schur",
            *_both(_schur),
            shapes=lambda d: ([(3, 3)], {}),
            numeric=False,
        ),
    ]


ROWS = _rows() + _rows_schur_family()
