"""``trace_ag.example_libraries``: JAX's old example libraries, ``optimizers`` and ``stax``,
with their APIs and numbers, so published examples that use them run with their imports
changed. trace_ag's own networks library is the top-level ``nn`` package."""

from trace_ag.example_libraries import optimizers, stax

__all__ = ["optimizers", "stax"]
