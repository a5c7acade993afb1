"""``trace_ag.lax``: lower-level operations named as in ``jax.lax`` (more with jit)."""

from trace_ag.numpy._ufuncs import stop_gradient  # noqa: F401
