"""Reductions: sum, max, min, prod, any, all, argmax, argmin, cumsum.

Reductions take ``axis`` as a sorted tuple of non-negative axes (``trace_ag.numpy`` normalizes
``None`` and negative axes) and a ``keepdims`` flag.
"""

from __future__ import annotations

import functools

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.core import Aval, Primitive
from trace_ag.primitives._rules import jnp_fn
from trace_ag.primitives._transform_rules import (
    arg_reduce_batch,
    axis_param_batch,
    linear_jvp,
    reduce_batch,
)


def kept_shape(shape: tuple[int, ...], axis: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced axes kept as size 1."""
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


@functools.cache
def _result_dtype(np_fn, dtype: np.dtype) -> np.dtype:
    return np.dtype(np_fn(np.zeros(1, dtype)).dtype)


def reduction(np_fn, out_dtype=None):
    """The shape rule of a reduction; the dtype follows NumPy (e.g. sum of int32 is int64)."""

    def abstract_eval(x: Aval, *, axis, keepdims):
        if keepdims:
            shape = kept_shape(x.shape, axis)
        else:
            shape = tuple(n for i, n in enumerate(x.shape) if i not in axis)
        dtype = out_dtype if out_dtype is not None else _result_dtype(np_fn, x.dtype)
        return Aval(shape, np.dtype(dtype))

    return abstract_eval


def _sum_vjp(g, out, x, *, axis, keepdims):
    g = g if keepdims else tnp.reshape(g, kept_shape(np.shape(x), axis))
    return tnp.broadcast_to(g, np.shape(x))


def _chooser_vjp(g, out, x, *, axis, keepdims):
    """Max/min: the cotangent is shared equally among the positions that attain it (as JAX)."""
    shape = kept_shape(np.shape(x), axis)
    hits = tnp.astype(x == tnp.reshape(out, shape), x.dtype)
    return tnp.reshape(g, shape) * hits / tnp.sum(hits, axis=axis, keepdims=True)


def _prod_vjp(g, out, x, *, axis, keepdims):
    """Each element's cotangent is g times the product of the *others* (exact with zeros).

    The reduced axes are flattened to one axis of length n and the products of the others are
    taken from an (n, n) masked copy: O(n^2) work, but no division by zero.
    """
    ndim, shape = np.ndim(x), np.shape(x)
    keep = [i for i in range(ndim) if i not in axis]
    perm = keep + list(axis)
    x_t = tnp.transpose(x, perm)
    lead = tuple(shape[i] for i in keep)
    n = int(np.prod([shape[i] for i in axis], dtype=np.int64))
    rows = tnp.reshape(x_t, lead + (1, n))
    others = tnp.prod(tnp.where(np.eye(n, dtype=bool), 1, rows), axis=-1)
    g_x = tnp.reshape(tnp.reshape(g, lead + (1,)) * others, x_t.shape)
    return tnp.transpose(g_x, tuple(np.argsort(perm)))


def _cumsum_vjp(g, out, x, *, axis):
    return tnp.flip(tnp.cumsum(tnp.flip(g, axis), axis=axis), axis)


def _reduce_impl(np_fn):
    return lambda x, *, axis, keepdims: np_fn(x, axis=axis, keepdims=keepdims)


sum = Primitive(
    "sum",
    impl=_reduce_impl(np.sum),
    abstract_eval=reduction(np.sum),
    vjp=(_sum_vjp,),
    jax=jnp_fn("sum"),
    jvp=linear_jvp(),
    batch=reduce_batch(),
    complex_rules=True,
    allocates=True,  # always a new array
    noop=lambda params, x, out: not params["axis"] and x == out,
)
max = Primitive(
    "max",
    impl=_reduce_impl(np.max),
    abstract_eval=reduction(np.max),
    vjp=(_chooser_vjp,),
    jax=jnp_fn("max"),
    batch=reduce_batch(),
    complex_rules=True,  # complex values are ordered lexicographically, as NumPy and JAX do
    allocates=True,  # always a new array
)
min = Primitive(
    "min",
    impl=_reduce_impl(np.min),
    abstract_eval=reduction(np.min),
    vjp=(_chooser_vjp,),
    jax=jnp_fn("min"),
    batch=reduce_batch(),
    complex_rules=True,  # complex values are ordered lexicographically, as NumPy and JAX do
    allocates=True,  # always a new array
)
prod = Primitive(
    "prod",
    impl=_reduce_impl(np.prod),
    abstract_eval=reduction(np.prod),
    vjp=(_prod_vjp,),
    jax=jnp_fn("prod"),
    batch=reduce_batch(),
    complex_rules=True,
    allocates=True,  # always a new array
)
any = Primitive(
    "any",
    impl=_reduce_impl(np.any),
    abstract_eval=reduction(np.any, np.bool_),
    differentiable=False,
    jax=jnp_fn("any"),
    batch=reduce_batch(),
)
all = Primitive(
    "all",
    impl=_reduce_impl(np.all),
    abstract_eval=reduction(np.all, np.bool_),
    differentiable=False,
    jax=jnp_fn("all"),
    batch=reduce_batch(),
)


def _arg_reduction_aval(x: Aval, *, axis, keepdims):
    if axis is None:
        shape = (1,) * x.ndim if keepdims else ()
    else:
        shape = kept_shape(x.shape, (axis,)) if keepdims else x.shape[:axis] + x.shape[axis + 1 :]
    return Aval(shape, np.dtype(np.intp))


argmax = Primitive(
    "argmax",
    impl=lambda x, *, axis, keepdims: np.argmax(x, axis=axis, keepdims=keepdims),
    abstract_eval=_arg_reduction_aval,
    differentiable=False,
    jax=jnp_fn("argmax"),
    batch=arg_reduce_batch(),
)
argmin = Primitive(
    "argmin",
    impl=lambda x, *, axis, keepdims: np.argmin(x, axis=axis, keepdims=keepdims),
    abstract_eval=_arg_reduction_aval,
    differentiable=False,
    jax=jnp_fn("argmin"),
    batch=arg_reduce_batch(),
)
cumsum = Primitive(
    "cumsum",
    impl=lambda x, *, axis: np.cumsum(x, axis=axis),
    abstract_eval=lambda x, *, axis: Aval(x.shape, _result_dtype(np.cumsum, x.dtype)),
    vjp=(_cumsum_vjp,),
    jax=jnp_fn("cumsum"),
    jvp=linear_jvp(),
    batch=axis_param_batch(),
    complex_rules=True,
    allocates=True,  # always a new array
)
