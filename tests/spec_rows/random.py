"""Spec rows: trace_ag.random's primitives (``random_gamma``, ``random_gamma_grad``), and
``pure_callback`` (host calls, like the samplers' NumPy side; no derivative, as in JAX).

One fixed shape per row: every new shape costs JAX a compile of its rejection loops (seconds).
The gamma sample's derivative in ``a`` is the implicit reparameterization, not the derivative
of the sampling path, so central differences do not apply (``numeric=False``); the vjp is
compared with JAX's instead.
"""

from __future__ import annotations

import numpy as np
import pytest
from oracle import Spec

import trace_ag as ag
from trace_ag import random as rnd

jax = pytest.importorskip("jax")

KEY = np.array([0, 42], np.uint32)  # PRNGKey(42)
THREE = lambda d: ([(3,)], {})  # noqa: E731
THREE_TWICE = lambda d: ([(3,), (3,)], {})  # noqa: E731

ROWS = [
    Spec(
        "random.gamma[a]",
        lambda a: rnd.gamma(KEY, a, dtype=a.dtype),
        lambda a: jax.random.gamma(KEY, a, dtype=a.dtype),
        domain="positive",
        shapes=THREE,
        rtol=1e-12,
        grad_rtol=1e-8,
        f32_rtol=1e-3,
        numeric=False,
    ),
    Spec(
        "random.gamma_grad[a, x]",
        lambda a, x: rnd.random_gamma_grad(a, x),
        lambda a, x: jax.lax.random_gamma_grad(a, x),
        arity=2,
        domain="positive",
        shapes=THREE_TWICE,
        rtol=1e-12,
        f32_rtol=1e-3,
        numeric=False,
        reverse=False,
    ),
    Spec(
        "callback.pure_callback[sin]",
        lambda x: ag.pure_callback(
            np.sin, ag.ShapeDtypeStruct(x.shape, x.dtype), x, vmap_method="sequential"
        ),
        lambda x: jax.pure_callback(
            np.sin, jax.ShapeDtypeStruct(x.shape, x.dtype), x, vmap_method="sequential"
        ),
        shapes=THREE,
        numeric=False,
        reverse=False,
    ),
]
