"""Spec rows: ``ag.from_jax`` (the ``jax_call`` primitive: JAX's own function, vjp, jvp and vmap
inside trace_ag), compared with the same function run by JAX directly."""

from __future__ import annotations

import pytest
from oracle import Spec, broadcasting, same

import trace_ag as ag

jnp = pytest.importorskip("jax.numpy")


def _mixed(x, y):
    return jnp.sin(x) * y + jnp.exp(-(x**2))


def _two_outputs(x):
    return jnp.tanh(x), jnp.cumsum(x * x)


ROWS = [
    Spec(
        "from_jax(elementwise)",
        ag.from_jax(_mixed),
        _mixed,
        arity=2,
        shapes=broadcasting(2),
        order=2,
    ),
    Spec("from_jax(two outputs)", ag.from_jax(_two_outputs), _two_outputs, shapes=same(1), order=2),
]
