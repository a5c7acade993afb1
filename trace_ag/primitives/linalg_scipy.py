"""Primitives behind ``trace_ag.scipy.linalg`` (triangular solves, LU, ...)."""
