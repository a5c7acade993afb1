"""``trace_ag.numpy.linalg``: the vector/Frobenius ``norm`` (more as they are needed)."""

from trace_ag.numpy._linalg import norm  # noqa: F401
