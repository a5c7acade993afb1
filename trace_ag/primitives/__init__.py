"""The primitives, one module per family; importing this registers them all in
``trace_ag.core.PRIMITIVES``."""

from trace_ag.primitives import (  # noqa: F401
    bits,
    complex,
    conv,
    elementwise,
    fft,
    linalg,
    linalg_decomp,
    linalg_scipy,
    reduce,
    scatter,
    shape,
    special,
)
