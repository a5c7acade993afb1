"""``trace_ag.scipy``: the SciPy functions real programs use, traceable (like ``jax.scipy``).

SciPy itself is needed only where its kernels are (some special functions); it is imported
lazily there.
"""

from trace_ag.scipy import linalg, signal, special, stats  # noqa: F401
