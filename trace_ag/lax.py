"""``trace_ag.lax``: lower-level operations named as in ``jax.lax``: control flow that works
under jit (``cond``, ``switch``, ``while_loop``, ``fori_loop``, ``scan``, ``map``), dynamic
slicing with traced start indices, ``select``, ``associative_scan``, ``reduce_window``,
``conv_general_dilated``, ``stop_gradient``, and the elementwise names ``reduce_window``
computations are written with (``lax.add``, ``lax.max``, ...)."""

from trace_ag._lax_more import (  # noqa: F401
    Precision,
    associative_scan,
    conv,
    conv_general_dilated,
    dynamic_index_in_dim,
    dynamic_slice,
    dynamic_slice_in_dim,
    dynamic_update_index_in_dim,
    dynamic_update_slice,
    dynamic_update_slice_in_dim,
    map_,
    reduce_window,
    select,
)
from trace_ag.control_flow import cond, switch, while_loop  # noqa: F401
from trace_ag.convolution import avg_pool2d, conv2d, im2col, max_pool2d  # noqa: F401
from trace_ag.numpy import (  # noqa: F401
    abs,
    add,
    cos,
    exp,
    log,
    sin,
    sqrt,
    subtract,
    tanh,
)
from trace_ag.numpy import maximum as max  # noqa: F401
from trace_ag.numpy import minimum as min  # noqa: F401
from trace_ag.numpy import multiply as mul  # noqa: F401
from trace_ag.numpy import negative as neg  # noqa: F401
from trace_ag.numpy._ufuncs import stop_gradient  # noqa: F401
from trace_ag.scan import fori_loop, scan  # noqa: F401

map = map_  # noqa: A001  (jax.lax.map's name)
sub = subtract
