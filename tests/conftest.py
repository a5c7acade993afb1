"""Shared test setup: JAX, the oracle of the gradient tests, computes in float64; hypothesis
draws the same examples on every run (CI reproduces exactly what passed locally)."""

import pytest
from hypothesis import settings

settings.register_profile("deterministic", derandomize=True, print_blob=True)
settings.load_profile("deterministic")

import trace_ag  # noqa: E402

trace_ag.config.update("check_graphs", True)  # every jit pass's output is type-checked

try:
    import jax
except ImportError:  # the tests that need JAX skip themselves with pytest.importorskip
    jax = None
else:
    # Must run before JAX creates any array: float64 values are the reference for trace_ag.
    jax.config.update("jax_enable_x64", True)


@pytest.fixture
def rng():
    """A seeded NumPy random generator, fresh for each test."""
    import numpy as np

    return np.random.default_rng(0)
