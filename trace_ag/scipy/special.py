"""``trace_ag.scipy.special``: SciPy's special functions, traceable (like ``jax.scipy.special``)."""
