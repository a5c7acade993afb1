"""Spec rows: complex parts."""

from __future__ import annotations

import pytest
from oracle import Spec, same

import trace_ag.numpy as tnp

jnp = pytest.importorskip("jax.numpy")

R = Spec
rows: list[Spec] = []


def _complex_parts(np_like):
    def f(x, y):
        z = x + 1j * y
        return np_like.real(np_like.conj(z) * np_like.exp(z)) + np_like.imag(z * z) * np_like.abs(z)

    return f


rows += [
    R(
        "real/imag/conj",
        _complex_parts(tnp),
        _complex_parts(jnp),
        arity=2,
        shapes=same(2),
        order=2,
    )
]

ROWS = rows
