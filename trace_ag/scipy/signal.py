"""``trace_ag.scipy.signal``: convolve and correlate, traceable (like ``jax.scipy.signal``)."""
