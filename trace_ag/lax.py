"""``trace_ag.lax``: lower-level operations named as in ``jax.lax``: control flow that works
under jit (``cond``, ``while_loop``, ``fori_loop``, ``scan``), ``stop_gradient``, and
convolution and pooling."""

from trace_ag.control_flow import cond, switch, while_loop  # noqa: F401
from trace_ag.convolution import avg_pool2d, conv2d, im2col, max_pool2d  # noqa: E402,F401
from trace_ag.numpy._ufuncs import stop_gradient  # noqa: F401
from trace_ag.scan import fori_loop, scan  # noqa: F401
