"""The primitives, one module per family; importing this registers them all in
``trace_ag.core.PRIMITIVES``."""

from trace_ag.primitives import bits, conv, elementwise, linalg, reduce, shape  # noqa: F401
