"""Spec rows: casts and stop_gradient."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import Spec

import trace_ag as ag
import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

R = Spec
rows: list[Spec] = []

rows += [
    R(
        "astype[float32]",
        lambda x: tnp.astype(x, np.float32),
        lambda x: x.astype(jnp.float32),
        keeps_dtype=False,
        numeric=False,  # float32 outputs are too coarse for central differences at eps=1e-6
    ),
    R(
        "astype[float64]",
        lambda x: tnp.astype(x, np.float64),
        lambda x: x.astype(jnp.float64),
        keeps_dtype=False,
    ),
    # zero gradient, like JAX (so no central differences)
    R("stop_gradient", tnp.stop_gradient, jax.lax.stop_gradient, numeric=False),
    R(
        "stop_gradient[x * sg(x)]",
        lambda x: x * ag.stop_gradient(x),
        lambda x: x * jax.lax.stop_gradient(x),
        numeric=False,
    ),
]

ROWS = rows
