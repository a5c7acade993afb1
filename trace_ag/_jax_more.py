"""The rest of JAX's top-level names that programs touch: ``custom_gradient``,
``linear_transpose``, ``closure_convert``, ``pure_callback`` (a primitive that calls back into
Python: NumPy arrays in, NumPy arrays out; ``jax.pure_callback`` on the JAX backend; no
derivative), ``named_call``, ``typeof``, ``float0``, ``clear_caches``, ``enable_x64`` and the
single-process answers of ``process_count``/``process_index``.

``make_mesh``, ``NamedSharding`` and ``P`` are left out: trace_ag runs on one device and has no
sharding for them to describe.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from trace_ag import config, errors
from trace_ag.core import Aval, Primitive, Tracer, aval_of, is_inexact
from trace_ag.tree_util import tree_flatten, tree_unflatten

float0 = np.dtype([("float0", np.void, 0)])  # the dtype of an integer input's cotangent, as JAX's


def process_count() -> int:
    """The number of processes: one (trace_ag runs in a single process).

    Examples:
        >>> ag.process_count(), ag.process_index()
        (1, 0)
    """
    return 1


def process_index() -> int:
    """This process's index among ``process_count()``: 0."""
    return 0


host_count = process_count  # JAX's older names
host_id = process_index


def typeof(x: Any) -> Aval:
    """The abstract value (shape and dtype) of ``x``, as ``jax.typeof``.

    Examples:
        >>> ag.typeof(np.ones((2, 3), np.float32))
        f32[2,3]
    """
    from trace_ag import tracing

    return aval_of(tracing.as_input_value(x, "typeof"))


def named_call(fun: Callable, *, name: str | None = None) -> Callable:
    """``fun`` itself, as ``jax.named_call`` (trace_ag's graphs carry no call names).

    Examples:
        >>> ag.named_call(lambda x: x + 1, name="inc")(1.0)
        2.0
    """
    if name is not None and not isinstance(name, str):
        raise TypeError(errors.at_user_line(f"named_call: name must be a str, got {name!r}"))
    return fun


def clear_caches() -> None:
    """Empty the compilation cache of every ``jit``-compiled function, as ``jax.clear_caches``
    (the next call traces and compiles again).

    Examples:
        >>> ag.clear_caches()
    """
    from trace_ag.jit import Jitted

    for obj in gc.get_objects():
        if isinstance(obj, Jitted):
            obj.clear_cache()


@contextlib.contextmanager
def enable_x64(new_val: bool = True) -> Iterator[None]:
    """A context in which ``jax_enable_x64`` is ``new_val`` (float64 defaults when True,
    float32 when False), restored afterwards.

    Examples:
        >>> with ag.enable_x64(False):
        ...     print(ag.numpy.ones(2).dtype)
        float32
    """
    before = config.read("default_float")
    config.update("jax_enable_x64", bool(new_val))
    try:
        yield
    finally:
        config.update("default_float", before)


# ---------------------------------------------------------------- custom_gradient


def custom_gradient(fun: Callable) -> Callable:
    """``fun(*args)`` returns ``(value, vjp)``, where ``vjp(g)`` gives the cotangents of the
    arguments (a tuple, or the single cotangent of a one-argument function), as
    ``jax.custom_gradient``. The backward pass calls ``fun`` again to get ``vjp``.

    Examples:
        >>> @ag.custom_gradient
        ... def clipped_identity(x):
        ...     return x, lambda g: tnp.clip(g, -1.0, 1.0)
        >>> print(ag.grad(lambda x: 5.0 * clipped_identity(x))(2.0))
        1.0
    """
    from trace_ag.custom import custom_vjp

    @functools.wraps(fun)
    def value_only(*args: Any) -> Any:
        return fun(*args)[0]

    def fwd(*args: Any) -> tuple:
        return fun(*args)[0], args

    def bwd(args: tuple, g: Any) -> tuple:
        cts = fun(*args)[1](g)
        return tuple(cts) if isinstance(cts, (tuple, list)) and len(args) != 1 else (cts,)

    wrapped = custom_vjp(value_only)
    wrapped.defvjp(fwd, bwd)
    return wrapped


# ---------------------------------------------------------------- linear_transpose


def linear_transpose(fun: Callable, *primals: Any, reduce_axes: tuple = ()) -> Callable:
    """The transpose of the linear function ``fun``, whose inputs look like ``primals`` (only
    their shapes and dtypes are used): ``fun_t(ct)`` returns a tuple with one cotangent per
    input. ``fun`` must be linear; one with a constant offset (``fun(0) != 0``) is an error.

    Examples:
        >>> f_t = ag.linear_transpose(lambda x: 2.0 * x[::-1], np.zeros(3))
        >>> f_t(np.array([1.0, 2.0, 3.0]))
        (array([6., 4., 2.]),)
    """
    from trace_ag import tracing
    from trace_ag.autodiff import vjp

    zeros = [
        np.zeros(np.shape(x), aval_of(tracing.as_input_value(x, "linear_transpose")).dtype)
        for x in tree_flatten(primals)[0]
    ]
    zero_primals = tree_unflatten(tree_flatten(primals)[1], zeros)
    out, vjp_fn = vjp(fun, *zero_primals)
    offset = [np.asarray(v) for v in tree_flatten(out)[0] if not isinstance(v, Tracer)]
    if any(np.any(v != 0) for v in offset):
        raise TypeError(
            errors.at_user_line(
                "linear_transpose: the function is not linear (it is not zero at zero)"
            )
        )
    return vjp_fn


# ---------------------------------------------------------------- closure_convert


def closure_convert(fun: Callable, *example_args: Any) -> tuple[Callable, list]:
    """``fun`` with the traced float values it closes over made explicit: returns
    ``(converted, consts)`` with ``converted(*args, *consts) == fun(*args)``, so a
    ``custom_vjp`` can differentiate with respect to ``consts``.

    Examples:
        >>> converted, consts = ag.closure_convert(lambda x: x * 2.0, 1.0)
        >>> print(converted(3.0), consts)
        6.0 []
    """
    from trace_ag import tracing
    from trace_ag.interpret import eval_graph
    from trace_ag.subgraphs import trace_closed

    flat, in_tree = tree_flatten(example_args)
    avals = [aval_of(tracing.as_input_value(x, "closure_convert")) for x in flat]
    graph, constvals, out_tree = trace_closed(lambda *xs: fun(*tree_unflatten(in_tree, list(xs))),
                                              avals, "closure_convert")  # fmt: skip
    hoisted = [isinstance(c, Tracer) and is_inexact(np.dtype(aval_of(c).dtype)) for c in constvals]
    consts = [c for c, h in zip(constvals, hoisted, strict=True) if h]
    n_args = len(example_args)

    def converted(*args_and_consts: Any) -> Any:
        args, given = args_and_consts[:n_args], iter(args_and_consts[n_args:])
        values = [next(given) if h else c for c, h in zip(constvals, hoisted, strict=True)]
        leaves, tree = tree_flatten(args)
        if tree != in_tree:
            raise TypeError(errors.at_user_line(f"closure_convert: arguments {tree} != {in_tree}"))
        return tree_unflatten(out_tree, list(eval_graph(graph, *values, *leaves)))

    return converted, consts


# ---------------------------------------------------------------- pure_callback


def _result_avals(result_shape_dtypes: Any) -> tuple[list[Aval], Any]:
    leaves, tree = tree_flatten(result_shape_dtypes)
    return [Aval(tuple(np.shape(x) if not hasattr(x, "shape") else x.shape),
                 np.dtype(x.dtype)) for x in leaves], tree  # fmt: skip


def _call_back(*flat: Any, callback, in_tree, out_tree, out_avals, vmap_method):
    args = tree_unflatten(in_tree, [np.asarray(x) for x in flat])
    leaves, tree = tree_flatten(callback(*args))
    if tree != out_tree or len(leaves) != len(out_avals):
        raise TypeError(
            errors.at_user_line(
                f"pure_callback: the callback returned the structure {tree}, but "
                f"result_shape_dtypes says {out_tree}"
            )
        )
    out = []
    for value, aval in zip(leaves, out_avals, strict=True):
        value = np.asarray(value)
        if value.shape != tuple(aval.shape) or value.dtype != np.dtype(aval.dtype):
            raise TypeError(
                errors.at_user_line(
                    f"pure_callback: the callback returned {value.dtype}{list(value.shape)}, "
                    f"but result_shape_dtypes says {aval}"
                )
            )
        out.append(value)
    return tuple(out)


def _callback_avals(*avals, out_avals, **_):
    return tuple(out_avals)


def _callback_jax(*flat, callback, in_tree, out_tree, out_avals, vmap_method):
    from trace_ag.backends.jax import import_jax

    jax = import_jax()
    shapes = tree_unflatten(out_tree, [jax.ShapeDtypeStruct(a.shape, a.dtype) for a in out_avals])

    def host(*xs: Any) -> Any:
        return callback(*tree_unflatten(in_tree, [np.asarray(x) for x in xs]))

    return tuple(jax.tree_util.tree_leaves(
        jax.pure_callback(host, shapes, *flat, vmap_method=vmap_method)
    ))  # fmt: skip


def _callback_no_derivative(*_, **__):
    raise errors.TransformError(
        errors.at_user_line(
            "pure_callback is not reverse-mode differentiable (nor forward-mode), as in JAX: "
            "wrap it in ag.custom_jvp or ag.custom_vjp to give it a derivative"
        )
    )


def _callback_batch(vals, dims, *, size, callback, in_tree, out_tree, out_avals, vmap_method):
    from trace_ag import numpy as tnp

    if vmap_method not in ("sequential", "expand_dims", "broadcast_all"):
        raise NotImplementedError(
            errors.at_user_line(
                "vmap of pure_callback needs vmap_method='sequential', 'expand_dims' or "
                f"'broadcast_all' (got {vmap_method!r}), as in JAX"
            )
        )
    moved = [x if d is None else tnp.moveaxis(x, d, 0) for x, d in zip(vals, dims, strict=True)]
    params = {"in_tree": in_tree, "out_tree": out_tree, "vmap_method": vmap_method}
    if vmap_method == "sequential":

        def row(i: int) -> Any:
            xs = [x if d is None else x[i] for x, d in zip(moved, dims, strict=True)]
            return pure_callback_p.bind(*xs, callback=callback, out_avals=out_avals, **params)

        rows = [row(i) for i in range(size)]
        return tuple(tnp.stack(col) for col in zip(*rows, strict=True)), (0,) * len(out_avals)
    args = []
    for x, d in zip(moved, dims, strict=True):
        if d is None:
            x = tnp.expand_dims(x, 0)
            if vmap_method == "broadcast_all":
                x = tnp.broadcast_to(x, (size, *x.shape[1:]))
        args.append(x)
    batched = tuple(Aval((size, *a.shape), a.dtype) for a in out_avals)
    outs = pure_callback_p.bind(*args, callback=callback, out_avals=batched, **params)
    return tuple(outs), (0,) * len(out_avals)


pure_callback_p = Primitive(
    "pure_callback",
    impl=_call_back,
    abstract_eval=_callback_avals,
    vjp=_callback_no_derivative,
    jvp=_callback_no_derivative,
    jax=_callback_jax,
    batch=_callback_batch,
    multiple_results=True,
    allocates=True,
)


def pure_callback(
    callback: Callable,
    result_shape_dtypes: Any,
    *args: Any,
    sharding: Any = None,
    vmap_method: str | None = None,
    **kwargs: Any,
) -> Any:
    """Call the Python function ``callback`` on NumPy arrays, also from inside ``jit``: the
    result must match ``result_shape_dtypes`` (a pytree of ``ShapeDtypeStruct``-likes).
    ``callback`` must be pure (jit may call it fewer or more times). It has no derivative;
    ``vmap`` needs ``vmap_method`` ("sequential", "expand_dims" or "broadcast_all"), as in JAX.

    Examples:
        >>> shape = ag.ShapeDtypeStruct((3,), np.float64)
        >>> f = ag.jit(lambda x: ag.pure_callback(np.sort, shape, x) * 2)
        >>> f(np.array([3.0, 1.0, 2.0]))
        array([2., 4., 6.])
    """
    from trace_ag import tracing

    if kwargs:
        callback = functools.partial(callback, **kwargs)
    flat, in_tree = tree_flatten(args)
    flat = [tracing.as_input_value(x, "pure_callback") for x in flat]
    out_avals, out_tree = _result_avals(result_shape_dtypes)
    outs = pure_callback_p.bind(*flat, callback=callback, in_tree=in_tree, out_tree=out_tree,
                                out_avals=tuple(out_avals), vmap_method=vmap_method)  # fmt: skip
    return tree_unflatten(out_tree, list(outs))
