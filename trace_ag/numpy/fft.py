"""``trace_ag.numpy.fft``: NumPy's FFT functions, traceable (like ``jax.numpy.fft``)."""
