"""Shape primitives: reshape, transpose, broadcast_to, getitem and its transpose scatter_add,
concatenate, pad.

``getitem`` carries its index as a static ``spec`` (ints, ``None``, ``Ellipsis``, slices written
``("s", start, stop, step)``, and ``("a", k)`` for the k-th index-array operand), so the params
stay hashable. Its vjp is ``scatter_add``, which *adds* at repeated indices: ``x[[0, 0, 1]]``
sends two cotangents to ``x[0]``.
"""

from __future__ import annotations

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.core import Aval, Primitive, shape_error
from trace_ag.ir_print import format_index
from trace_ag.primitives._index_batching import getitem_batch, scatter_add_batch
from trace_ag.primitives._rules import jnp_fn, same_aval_noop, unbroadcast
from trace_ag.primitives._transform_rules import (
    axis_param_batch,
    linear_jvp,
    shape_param_batch,
    to_front,
)


def build_index(spec: tuple, arrays) -> tuple:
    """The NumPy index that ``spec`` stands for, with ``arrays`` in its array slots."""
    index = []
    for item in spec:
        if isinstance(item, tuple):
            index.append(slice(*item[1:]) if item[0] == "s" else arrays[item[1]])
        else:
            index.append(item)
    return tuple(index)


def _describe_index(spec: tuple, arrays) -> str:
    parts = []
    for item in spec:
        if isinstance(item, tuple) and item[0] == "s":
            parts.append(":".join("" if v is None else str(v) for v in item[1:]).rstrip(":") or ":")
        elif isinstance(item, tuple):
            parts.append(f"<int{list(arrays[item[1]].shape)}>")
        else:
            parts.append("..." if item is Ellipsis else str(item))
    return "[" + ", ".join(parts) + "]"


def _getitem_aval(x: Aval, *arrays: Aval, spec: tuple) -> Aval:
    for a in arrays:
        if not np.issubdtype(a.dtype, np.integer):
            raise shape_error("getitem", f"index arrays must be integers, got {a.dtype}")
    dummy = np.broadcast_to(np.zeros((), x.dtype), x.shape)
    try:
        out = dummy[build_index(spec, [np.zeros(a.shape, np.intp) for a in arrays])]
    except IndexError as e:
        where = _describe_index(spec, arrays)
        raise shape_error("getitem", f"index {where} is invalid for shape {x.shape}: {e}") from None
    return Aval(out.shape, x.dtype)


def _scatter_add_impl(updates, *arrays, spec, shape):
    out = np.zeros(shape, updates.dtype)
    index = build_index(spec, arrays)
    if arrays:
        np.add.at(out, index, updates)  # unbuffered: repeated indices accumulate
    else:
        out[index] += updates  # basic indexing cannot repeat an element
    return out


def _scatter_add_jax(updates, *arrays, spec, shape):
    import jax.numpy as jnp

    return jnp.zeros(shape, updates.dtype).at[build_index(spec, arrays)].add(updates)


def _scatter_add_aval(updates: Aval, *arrays: Aval, spec, shape) -> Aval:
    expected = _getitem_aval(Aval(shape, updates.dtype), *arrays, spec=spec)
    if expected.shape != updates.shape:
        raise shape_error(
            "scatter_add", f"updates of shape {updates.shape}, expected {expected.shape}"
        )
    return Aval(tuple(shape), updates.dtype)


def _getitem_jax(x, *arrays, spec):
    import jax.numpy as jnp

    # jnp.asarray: a NumPy constant indexed by a traced JAX index (a loop counter) must not go
    # through NumPy's own __getitem__, which cannot take a JAX tracer
    return jnp.asarray(x)[build_index(spec, arrays)]


getitem = Primitive(
    "getitem",
    impl=lambda x, *arrays, spec: x[build_index(spec, arrays)],
    abstract_eval=_getitem_aval,
    vjp=lambda g, out, x, *arrays, spec: [
        scatter_add.bind(g, *arrays, spec=spec, shape=np.shape(x)),
        *[None] * len(arrays),
    ],
    jax=_getitem_jax,
    jvp=linear_jvp(linear=(0,)),
    batch=getitem_batch,
    complex_rules=True,
    param_printers={"spec": format_index},  # NumPy index syntax
)
scatter_add = Primitive(
    "scatter_add",
    impl=_scatter_add_impl,
    abstract_eval=_scatter_add_aval,
    vjp=lambda g, out, updates, *arrays, spec, shape: [
        getitem.bind(g, *arrays, spec=spec),
        *[None] * len(arrays),
    ],
    jax=_scatter_add_jax,
    jvp=linear_jvp(linear=(0,)),
    batch=scatter_add_batch,
    complex_rules=True,
    allocates=True,  # always a new array
    param_printers={"spec": format_index},  # NumPy index syntax
)


def _reshape_aval(x: Aval, *, shape) -> Aval:
    if int(np.prod(shape, dtype=np.int64)) != x.size:
        raise shape_error("reshape", f"cannot reshape an array of shape {x.shape} into {shape}")
    return Aval(tuple(shape), x.dtype)


reshape = Primitive(
    "reshape",
    impl=lambda x, *, shape: np.reshape(x, shape),
    abstract_eval=_reshape_aval,
    vjp=(lambda g, out, x, *, shape: tnp.reshape(g, np.shape(x)),),
    jax=jnp_fn("reshape"),
    jvp=linear_jvp(),
    batch=shape_param_batch(lambda p, size, aval: {"shape": (size, *p["shape"])}),
    complex_rules=True,
    noop=same_aval_noop,
    compose=lambda outer, inner: outer,  # the last shape wins
)


def _transpose_aval(x: Aval, *, axes) -> Aval:
    if sorted(axes) != list(range(x.ndim)):
        raise shape_error("transpose", f"axes {axes} are not a permutation of {x.ndim} axes")
    return Aval(tuple(x.shape[i] for i in axes), x.dtype)


def _compose_transposes(outer: dict, inner: dict) -> dict:
    return {"axes": tuple(inner["axes"][i] for i in outer["axes"])}


transpose = Primitive(
    "transpose",
    impl=lambda x, *, axes: np.transpose(x, axes),
    abstract_eval=_transpose_aval,
    vjp=(lambda g, out, x, *, axes: tnp.transpose(g, tuple(np.argsort(axes))),),
    jax=jnp_fn("transpose"),
    jvp=linear_jvp(),
    batch=shape_param_batch(lambda p, size, aval: {"axes": (0, *(a + 1 for a in p["axes"]))}),
    complex_rules=True,
    noop=lambda params, x, out: params["axes"] == tuple(range(len(params["axes"]))),
    compose=_compose_transposes,
)


def _broadcast_to_aval(x: Aval, *, shape) -> Aval:
    ok = len(shape) >= x.ndim and all(
        n in (1, m) for n, m in zip(x.shape, shape[len(shape) - x.ndim :], strict=True)
    )
    if not ok:
        raise shape_error("broadcast_to", f"cannot broadcast shape {x.shape} to {shape}")
    return Aval(tuple(shape), x.dtype)


def _broadcast_to_batch(x, bdim, size, shape):
    x = to_front(x, bdim, size)
    x = tnp.reshape(x, (size,) + (1,) * (len(shape) - np.ndim(x) + 1) + np.shape(x)[1:])
    return tnp.broadcast_to(x, (size, *shape)), 0


broadcast_to = Primitive(
    "broadcast_to",
    impl=lambda x, *, shape: np.broadcast_to(x, shape),
    abstract_eval=_broadcast_to_aval,
    vjp=(lambda g, out, x, *, shape: unbroadcast(g, np.shape(x)),),
    jax=jnp_fn("broadcast_to"),
    jvp=linear_jvp(),
    batch=lambda vals, dims, *, size, shape: _broadcast_to_batch(vals[0], dims[0], size, shape),
    complex_rules=True,
    noop=same_aval_noop,
)


def _concatenate_aval(*xs: Aval, axis: int) -> Aval:
    first = xs[0]
    for x in xs[1:]:
        same = x.ndim == first.ndim and all(
            n == m for i, (n, m) in enumerate(zip(x.shape, first.shape, strict=True)) if i != axis
        )
        if not same or x.dtype != first.dtype:
            shapes = ", ".join(a.str_short() for a in xs)
            raise shape_error(
                "concatenate",
                f"operands {shapes} must agree in dtype and in every axis but axis {axis}",
            )
    size = sum(x.shape[axis] for x in xs)
    return Aval(first.shape[:axis] + (size,) + first.shape[axis + 1 :], first.dtype)


def _concatenate_vjp(g, out, *xs, axis):
    starts = np.cumsum([0] + [np.shape(x)[axis] for x in xs])
    lead = (slice(None),) * axis
    return [g[lead + (slice(a, b),)] for a, b in zip(starts[:-1], starts[1:], strict=True)]


concatenate = Primitive(
    "concatenate",
    impl=lambda *xs, axis: np.concatenate(xs, axis=axis),
    abstract_eval=_concatenate_aval,
    vjp=_concatenate_vjp,
    jax=lambda *xs, axis: jnp_fn("concatenate")(xs, axis=axis),
    jvp=linear_jvp(),
    batch=axis_param_batch(),
    complex_rules=True,
    allocates=True,  # always a new array
)


def _pad_aval(x: Aval, *, pad_width, constant) -> Aval:
    if len(pad_width) != x.ndim or any(lo < 0 or hi < 0 for lo, hi in pad_width):
        raise shape_error("pad", f"pad_width {pad_width} does not fit shape {x.shape}")
    return Aval(tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pad_width, strict=True)), x.dtype)


def _pad_vjp(g, out, x, *, pad_width, constant):
    return g[tuple(slice(lo, lo + n) for n, (lo, _) in zip(np.shape(x), pad_width, strict=True))]


pad = Primitive(
    "pad",
    impl=lambda x, *, pad_width, constant: np.pad(x, pad_width, constant_values=constant),
    abstract_eval=_pad_aval,
    vjp=(_pad_vjp,),
    jax=lambda x, *, pad_width, constant: jnp_fn("pad")(x, pad_width, constant_values=constant),
    jvp=linear_jvp(constant=0),
    batch=shape_param_batch(lambda p, size, aval: {**p, "pad_width": ((0, 0), *p["pad_width"])}),
    complex_rules=True,
    allocates=True,  # always a new array
)
