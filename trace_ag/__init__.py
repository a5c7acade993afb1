"""trace_ag: a small, functional, JAX-style autograd library on NumPy.

Pure functions are traced into a graph IR (``make_ir``); every primitive has one vjp rule;
``grad``, ``value_and_grad`` and ``vjp`` are transforms that compose with each other.

Examples:
    >>> import trace_ag as ag
    >>> import trace_ag.numpy as tnp
    >>> def f(x, y):
    ...     s = x + y
    ...     return tnp.log(1 + tnp.exp(-s)) * s
    >>> dx, dy = ag.grad(f, argnums=(0, 1))(1.5, -0.3)
    >>> print(round(float(dx), 6), round(float(dy), 6))
    -0.014488 -0.014488
"""

from trace_ag import (  # noqa: F401
    config,
    debug,
    flatten_util,
    lax,
    nn,
    numpy,  # noqa: F401  (registers the primitives and tracer operators)
    random,
    scipy,
    tree,
    tree_util,
    viz,
)
from trace_ag._jax_api import (
    Array,
    ShapeDtypeStruct,
    block_until_ready,
    default_backend,
    device_count,
    device_get,
    device_put,
    devices,
    ensure_compile_time_eval,
    eval_shape,
    local_device_count,
    local_devices,
    named_scope,
)
from trace_ag._jax_more import (
    clear_caches,
    closure_convert,
    custom_gradient,
    enable_x64,
    float0,
    host_count,
    host_id,
    linear_transpose,
    named_call,
    process_count,
    process_index,
    pure_callback,
    typeof,
)
from trace_ag.autodiff import grad, value_and_grad, vjp
from trace_ag.batching import vmap
from trace_ag.checkpoint import checkpoint, remat
from trace_ag.config import disable_jit
from trace_ag.core import Graph
from trace_ag.custom import custom_jvp, custom_vjp
from trace_ag.errors import (
    ConcretizationTypeError,
    NonConcreteIndexError,
    ShapeError,
    TraceAgError,
    TracerArrayConversionError,
    UnexpectedTracerError,
    UnsupportedFunctionError,
)
from trace_ag.forward import jvp, linearize
from trace_ag.interop import from_jax, to_jax
from trace_ag.jacobians import hessian, jacfwd, jacrev
from trace_ag.jit import jit
from trace_ag.numpy._ufuncs import stop_gradient
from trace_ag.testing import check_grads
from trace_ag.tracing import make_ir

make_jaxpr = make_ir  # JAX's name for the same transform
jacobian = jacrev  # as in JAX

__version__ = "0.1.0"

__all__ = [
    "Array",
    "ConcretizationTypeError",
    "Graph",
    "NonConcreteIndexError",
    "ShapeDtypeStruct",
    "ShapeError",
    "TraceAgError",
    "TracerArrayConversionError",
    "UnexpectedTracerError",
    "UnsupportedFunctionError",
    "block_until_ready",
    "check_grads",
    "checkpoint",
    "clear_caches",
    "closure_convert",
    "config",
    "custom_gradient",
    "custom_jvp",
    "custom_vjp",
    "debug",
    "default_backend",
    "device_count",
    "device_get",
    "device_put",
    "devices",
    "disable_jit",
    "enable_x64",
    "ensure_compile_time_eval",
    "eval_shape",
    "flatten_util",
    "float0",
    "from_jax",
    "grad",
    "hessian",
    "host_count",
    "host_id",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jit",
    "jvp",
    "lax",
    "linear_transpose",
    "linearize",
    "local_device_count",
    "local_devices",
    "make_ir",
    "make_jaxpr",
    "named_call",
    "named_scope",
    "nn",
    "numpy",
    "process_count",
    "process_index",
    "pure_callback",
    "random",
    "remat",
    "scipy",
    "stop_gradient",
    "to_jax",
    "tree",
    "tree_util",
    "typeof",
    "value_and_grad",
    "viz",
    "vjp",
    "vmap",
]
