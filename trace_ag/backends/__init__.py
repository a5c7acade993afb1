"""Execution backends other than NumPy (imported lazily)."""
