"""Spec rows: reductions over axes."""

from __future__ import annotations

import pytest
from oracle import Spec, one

import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jsp = pytest.importorskip("jax.scipy.special")

R = Spec
rows: list[Spec] = []


def _complex_chooser(np_like, name):
    """max/min of ``x + 1j * y``, returned as its real and imaginary parts stacked."""

    def f(x, y, *, axis):
        z = getattr(np_like, name)(x + 1j * y, axis=axis)
        return np_like.stack([np_like.real(z), np_like.imag(z)])

    return f


def _two_of_shape(min_dims):
    """Real and imaginary parts: two arrays of one drawn shape."""

    def draw(d):
        shape = d.shape(min_dims, 3, 1, 3)
        return [shape, shape], {}

    return draw


REDUCTIONS = [
    # name, tnp, jax, domain, min_side
    ("sum", tnp.sum, jnp.sum, "real", 1),
    ("max", tnp.max, jnp.max, "distinct", 1),
    ("min", tnp.min, jnp.min, "distinct", 1),
    ("prod", tnp.prod, jnp.prod, "real", 1),
    ("mean", tnp.mean, jnp.mean, "real", 1),
    ("var", tnp.var, jnp.var, "real", 2),  # two values or more: std'(constant) is nan
    ("std", tnp.std, jnp.std, "real", 2),
]
AXES = [
    # axis, keepdims, min_dims
    (None, False, 0),
    (-1, True, 1),
    ((0, 2), False, 3),
]
MORE_AXES = [(None, True, 1), (1, False, 2), ((0, -1), True, 2)]
rows += [
    R(
        f"{name}[axis={axis},keepdims={keep}]",
        f,
        r,
        domain=dom,
        shapes=one(max(min_dims, min_side - 1), 3, min_side),  # var, std: not of a 0-D array
        kwargs={"axis": axis, "keepdims": keep},
    )
    for name, f, r, dom, min_side in REDUCTIONS
    for axis, keep, min_dims in AXES + (MORE_AXES if name in ("sum", "max", "prod") else [])
]
rows += [
    R("var[ddof=1,axis=0]", tnp.var, jnp.var, shapes=one(1, 3, 2), kwargs={"axis": 0, "ddof": 1}),
    R("std[ddof=1]", tnp.std, jnp.std, shapes=one(1, 3, 2), kwargs={"ddof": 1}),
    R(
        "logsumexp[axis=None]",
        tnp.logsumexp,
        jsp.logsumexp,
        order=2,
    ),
    R(
        "logsumexp[axis=-1,keepdims]",
        tnp.logsumexp,
        jsp.logsumexp,
        shapes=one(1),
        kwargs={"axis": -1, "keepdims": True},
    ),
    R(
        "logsumexp[axis=(0,1)]",
        tnp.logsumexp,
        jsp.logsumexp,
        shapes=one(2),
        kwargs={"axis": (0, 1)},
    ),
    R("softmax[axis=-1]", tnp.softmax, jax.nn.softmax, shapes=one(1), order=2),
    R("softmax[axis=0]", tnp.softmax, jax.nn.softmax, shapes=one(1), kwargs={"axis": 0}),
    R("softmax[axis=(0,-1)]", tnp.softmax, jax.nn.softmax, shapes=one(2), kwargs={"axis": (0, -1)}),
    R("log_softmax[axis=-1]", tnp.log_softmax, jax.nn.log_softmax, shapes=one(1), order=2),
    R(
        "log_softmax[axis=(0,-1)]",
        tnp.log_softmax,
        jax.nn.log_softmax,
        shapes=one(2),
        kwargs={"axis": (0, -1)},
    ),
    R("cumsum[axis=None]", tnp.cumsum, jnp.cumsum),
    R("cumsum[axis=0]", tnp.cumsum, jnp.cumsum, shapes=one(1), kwargs={"axis": 0}),
    R("cumsum[axis=-1]", tnp.cumsum, jnp.cumsum, shapes=one(2), kwargs={"axis": -1}),
    # complex max/min: NumPy's and JAX's lexicographic order (real part, then imaginary part)
    *[
        R(
            f"{name}[complex,axis={axis}]",
            _complex_chooser(tnp, name),
            _complex_chooser(jnp, name),
            arity=2,
            domain="distinct",
            shapes=_two_of_shape(2 if axis else 0),
            kwargs={"axis": axis},
        )
        for name in ("max", "min")
        for axis in (None, 1)
    ],
    # index-valued and boolean reductions: no gradient
    R(
        "argmax[axis=None]",
        tnp.argmax,
        jnp.argmax,
        domain="distinct",
        numeric=False,
        keeps_dtype=False,
    ),
    R(
        "argmin[axis=-1,keepdims]",
        tnp.argmin,
        jnp.argmin,
        domain="distinct",
        shapes=one(1),
        kwargs={"axis": -1, "keepdims": True},
        numeric=False,
        keeps_dtype=False,
    ),
    R(
        "any[axis=None]",
        lambda x: tnp.any(x > 1),
        lambda x: jnp.any(x > 1),
        numeric=False,
        keeps_dtype=False,
    ),
    R(
        "all[axis=0,keepdims]",
        lambda x: tnp.all(x > -1, axis=0, keepdims=True),
        lambda x: jnp.all(x > -1, axis=0, keepdims=True),
        shapes=one(1),
        numeric=False,
        keeps_dtype=False,
    ),
]

ROWS = rows
