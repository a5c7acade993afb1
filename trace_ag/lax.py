"""``trace_ag.lax``: lower-level operations named as in ``jax.lax`` (more with jit)."""

from trace_ag.numpy._ufuncs import stop_gradient  # noqa: F401
from trace_ag.convolution import avg_pool2d, conv2d, im2col, max_pool2d  # noqa: E402,F401
