"""``trace_ag.scipy.stats``: distributions, traceable (like ``jax.scipy.stats``)."""
