"""``trace_ag.scipy.linalg``: SciPy's linear algebra, traceable (like ``jax.scipy.linalg``)."""
