"""``ravel_pytree``: a pytree of arrays as one flat vector and the function that undoes it, as
``jax.flatten_util`` (optimizers and samplers that want one parameter vector).

Examples:
    >>> from trace_ag.flatten_util import ravel_pytree
    >>> flat, unravel = ravel_pytree({"w": np.ones((2, 2)), "b": np.zeros(2)})
    >>> flat
    array([0., 0., 1., 1., 1., 1.])
    >>> unravel(flat * 2)["w"]
    array([[2., 2.],
           [2., 2.]])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag.numpy import _shape as shp
from trace_ag.numpy._base import asarray_or_tracer, result_dtype
from trace_ag.numpy._ufuncs import astype
from trace_ag.tree_util import tree_flatten, tree_unflatten


def ravel_pytree(pytree: Any) -> tuple[Any, Callable[[Any], Any]]:
    """``(flat, unravel)``: the leaves raveled and concatenated in flatten order (in their
    common dtype, as ``jax.flatten_util.ravel_pytree``), and ``unravel(flat)`` rebuilding the
    pytree with each leaf's shape and dtype. Both are traceable and differentiable."""
    leaves, tree = tree_flatten(pytree)
    leaves = [asarray_or_tracer(x) for x in leaves]
    shapes = [tuple(x.shape) for x in leaves]
    dtypes = [np.dtype(x.dtype) for x in leaves]
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    dtype = result_dtype(*leaves) if leaves else np.dtype(np.float64)
    if leaves:
        flat = shp.concatenate([shp.ravel(astype(x, dtype)) for x in leaves])
    else:
        flat = np.zeros(0, dtype)
    total = sum(sizes)

    def unravel(vector: Any) -> Any:
        vector = asarray_or_tracer(vector)
        if tuple(vector.shape) != (total,):
            raise errors.ShapeError(
                errors.at_user_line(
                    f"ravel_pytree's unravel: expected a vector of shape ({total},), got "
                    f"{tuple(vector.shape)}"
                )
            )
        parts, start = [], 0
        for shape, size, leaf_dtype in zip(shapes, sizes, dtypes, strict=True):
            piece = shp.reshape(shp.getitem(vector, slice(start, start + size)), shape)
            parts.append(astype(piece, leaf_dtype))
            start += size
        return tree_unflatten(tree, parts)

    return flat, unravel
