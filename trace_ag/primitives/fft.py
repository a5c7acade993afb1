"""FFT primitives (declared in the session-19 round; filled in by the fft work)."""
