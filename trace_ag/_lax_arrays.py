"""``jax.lax``'s structural operations: shapes (``broadcast_in_dim``, ``pad`` with interior
padding, ``slice``, ``reshape(dimensions=)``, ``rev``, ...), reductions (``reduce_*`` and
``reduce`` with any monoid), cumulative scans, sorting (``sort`` by several keys,
``top_k``), contractions (``dot_general``, ``batch_matmul``) and the convolution variants.

All are composites of trace_ag operations, with lax's static, explicit arguments checked as
JAX checks them; every transform comes from the operations they are written with.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag import numpy as tnp
from trace_ag.core import shape_error
from trace_ag.numpy._base import asarray_or_tracer

_py_slice = builtins.slice  # this module's ``slice`` is lax's


def _ints(values: Sequence[Any]) -> tuple:
    return tuple(int(v) for v in values)


def _axis(axis: int, rank: int, fn: str) -> int:
    if not -rank <= axis < max(rank, 1):
        raise shape_error(f"lax.{fn}", f"axis {axis} is out of range for rank {rank}")
    return axis % max(rank, 1)


# ---------------------------------------------------------------- making and reshaping


def iota(dtype: Any, size: int) -> Any:
    """``jax.lax.iota``: ``0, 1, ..., size - 1`` of ``dtype``.

    Examples:
        >>> lax.iota(np.int32, 3)
        array([0, 1, 2], dtype=int32)
    """
    return tnp.arange(int(size), dtype=dtype)


def broadcasted_iota(dtype: Any, shape: Sequence[int], dimension: int) -> Any:
    """``jax.lax.broadcasted_iota``: the index along ``dimension`` at every position of
    ``shape``.

    Examples:
        >>> lax.broadcasted_iota(np.int32, (2, 3), 1)
        array([[0, 1, 2],
               [0, 1, 2]], dtype=int32)
    """
    shape = _ints(shape)
    dimension = _axis(dimension, len(shape), "broadcasted_iota")
    return broadcast_in_dim(iota(dtype, shape[dimension]), shape, (dimension,))


def full(shape: Sequence[int], fill_value: Any, dtype: Any = None, *, sharding: Any = None) -> Any:
    """``jax.lax.full``: an array of ``shape`` filled with the scalar ``fill_value``.

    Examples:
        >>> lax.full((2,), 3.0)
        array([3., 3.])
    """
    fill = asarray_or_tracer(fill_value)
    if fill.ndim:
        raise shape_error("lax.full", f"fill_value must be a scalar, got shape {fill.shape}")
    shape = (int(shape),) if np.ndim(shape) == 0 else _ints(shape)
    return tnp.full(shape, fill, dtype=dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None, shape: Any = None, sharding: Any = None):
    """``jax.lax.full_like``: ``full`` with ``x``'s shape and dtype unless given.

    Examples:
        >>> lax.full_like(np.zeros((2,), np.int32), 7)
        array([7, 7], dtype=int32)
    """
    x = asarray_or_tracer(x)
    return full(x.shape if shape is None else shape, fill_value, dtype or x.dtype)


def broadcast_in_dim(operand: Any, shape: Sequence[int], broadcast_dimensions: Sequence[int],
                     *, sharding: Any = None) -> Any:  # fmt: skip
    """``jax.lax.broadcast_in_dim``: axis ``i`` of ``operand`` becomes axis
    ``broadcast_dimensions[i]`` of the result (of size 1 or that axis's size).

    Examples:
        >>> lax.broadcast_in_dim(np.array([1.0, 2.0]), (3, 2), (1,)).shape
        (3, 2)
    """
    x = asarray_or_tracer(operand)
    shape, dims = _ints(shape), _ints(broadcast_dimensions)
    ok = len(dims) == x.ndim and all(0 <= d < len(shape) for d in dims)
    ok = ok and list(dims) == sorted(set(dims))
    if not ok or any(n not in (1, shape[d]) for n, d in zip(x.shape, dims, strict=True)):
        raise shape_error(
            "lax.broadcast_in_dim",
            f"cannot broadcast an operand of shape {x.shape} to {shape} with "
            f"broadcast_dimensions {dims} (strictly increasing, one per operand axis, each of "
            "size 1 or the target's)",
        )
    kept = [1] * len(shape)
    for n, d in zip(x.shape, dims, strict=True):
        kept[d] = n
    return tnp.broadcast_to(tnp.reshape(x, tuple(kept)), shape)


def broadcast(operand: Any, sizes: Sequence[int]) -> Any:
    """``jax.lax.broadcast``: ``operand`` with new leading axes of ``sizes``.

    Examples:
        >>> lax.broadcast(np.ones(2), (3,)).shape
        (3, 2)
    """
    x = asarray_or_tracer(operand)
    sizes = _ints(sizes)
    return broadcast_in_dim(
        x, sizes + tuple(x.shape), tuple(range(len(sizes), len(sizes) + x.ndim))
    )


def reshape(operand: Any, new_sizes: Sequence[int], dimensions: Sequence[int] | None = None,
            *, sharding: Any = None) -> Any:  # fmt: skip
    """``jax.lax.reshape``: row-major reshape, after transposing by ``dimensions`` if given.

    Examples:
        >>> lax.reshape(np.arange(6).reshape(2, 3), (6,), dimensions=(1, 0))
        array([0, 3, 1, 4, 2, 5])
    """
    x = asarray_or_tracer(operand)
    new_sizes = _ints(new_sizes)
    if int(np.prod(new_sizes)) != int(np.prod(x.shape)):
        raise shape_error("lax.reshape", f"cannot reshape {x.shape} to {new_sizes}")
    if dimensions is not None:
        x = transpose(x, dimensions)
    return tnp.reshape(x, new_sizes)


def transpose(operand: Any, permutation: Sequence[int]) -> Any:
    """``jax.lax.transpose``: axes permuted (``permutation`` lists every axis once).

    Examples:
        >>> lax.transpose(np.zeros((2, 3, 4)), (2, 0, 1)).shape
        (4, 2, 3)
    """
    x = asarray_or_tracer(operand)
    perm = _ints(permutation)
    if sorted(perm) != list(range(x.ndim)):
        raise shape_error("lax.transpose", f"{perm} is not a permutation of the axes of {x.shape}")
    return tnp.transpose(x, perm)


def expand_dims(array: Any, dimensions: Sequence[int]) -> Any:
    """``jax.lax.expand_dims``: size-1 axes inserted at ``dimensions`` (of the result).

    Examples:
        >>> lax.expand_dims(np.ones(3), (0, 2)).shape
        (1, 3, 1)
    """
    return tnp.expand_dims(asarray_or_tracer(array), _ints(dimensions))


def squeeze(array: Any, dimensions: Sequence[int]) -> Any:
    """``jax.lax.squeeze``: the size-1 axes ``dimensions`` removed (others are an error).

    Examples:
        >>> lax.squeeze(np.ones((1, 3, 1)), (0,)).shape
        (3, 1)
    """
    x = asarray_or_tracer(array)
    dims = tuple(_axis(d, x.ndim, "squeeze") for d in _ints(dimensions))
    if any(x.shape[d] != 1 for d in dims):
        raise shape_error("lax.squeeze", f"axes {dims} of {x.shape} are not all of size 1")
    return tnp.reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in dims))


def rev(operand: Any, dimensions: Sequence[int]) -> Any:
    """``jax.lax.rev``: reversed along ``dimensions``.

    Examples:
        >>> lax.rev(np.arange(3), (0,))
        array([2, 1, 0])
    """
    x = asarray_or_tracer(operand)
    dims = tuple(_axis(d, x.ndim, "rev") for d in _ints(dimensions))
    return tnp.flip(x, axis=dims) if dims else x


def convert_element_type(operand: Any, new_dtype: Any) -> Any:
    """``jax.lax.convert_element_type``: ``operand`` cast to ``new_dtype`` (complex to real
    keeps the real part; float to int truncates toward zero).

    Examples:
        >>> lax.convert_element_type(np.array([1.7, -1.7]), np.int32)
        array([ 1, -1], dtype=int32)
    """
    x = asarray_or_tracer(operand)
    dtype = np.dtype(new_dtype)
    if np.dtype(x.dtype).kind == "c" and dtype.kind != "c":
        x = tnp.real(x)
    return tnp.astype(x, dtype)


def concatenate(operands: Sequence[Any], dimension: int) -> Any:
    """``jax.lax.concatenate``: ``operands`` (one dtype, equal other axes) joined along
    ``dimension``.

    Examples:
        >>> lax.concatenate([np.zeros(2), np.ones(1)], 0)
        array([0., 0., 1.])
    """
    arrays = [asarray_or_tracer(a) for a in operands]
    if not arrays:
        raise ValueError(errors.at_user_line("lax.concatenate needs at least one operand"))
    if len({np.dtype(a.dtype) for a in arrays}) > 1:
        raise errors.DTypeError(
            errors.at_user_line(
                "lax.concatenate requires one dtype, got "
                + ", ".join(str(np.dtype(a.dtype)) for a in arrays)
            )
        )
    return tnp.concatenate(arrays, axis=int(dimension))


def pad(operand: Any, padding_value: Any, padding_config: Sequence[tuple[int, int, int]]) -> Any:
    """``jax.lax.pad``: per axis ``(low, high, interior)``: ``interior`` copies of
    ``padding_value`` between neighbours, then ``low``/``high`` at the ends (negative values
    cut instead). Differentiable in both the operand and ``padding_value``.

    Examples:
        >>> lax.pad(np.array([1.0, 2.0, 3.0]), 0.0, [(1, -1, 1)])
        array([0., 1., 0., 2., 0.])
    """
    x = asarray_or_tracer(operand)
    value = asarray_or_tracer(padding_value)
    config = [_ints(c) for c in padding_config]
    if len(config) != x.ndim or any(len(c) != 3 or c[2] < 0 for c in config):
        raise shape_error(
            "lax.pad",
            f"padding_config {padding_config} needs one (low, high, interior >= 0) per axis of "
            f"the operand {x.shape}",
        )
    if value.ndim or np.dtype(value.dtype) != np.dtype(x.dtype):
        raise errors.DTypeError(
            errors.at_user_line(
                f"lax.pad: padding_value must be a scalar of the operand's dtype {x.dtype}, "
                f"got {value.dtype}{tuple(value.shape)}"
            )
        )
    grown = [(n - 1) * (i + 1) + 1 + max(lo, 0) + max(hi, 0) if n else max(lo, 0) + max(hi, 0)
             for n, (lo, hi, i) in zip(x.shape, config, strict=True)]  # fmt: skip
    if any(g + min(lo, 0) + min(hi, 0) < 0 for g, (lo, hi, _) in zip(grown, config, strict=True)):
        raise shape_error("lax.pad", f"padding_config {config} cuts more than {x.shape} holds")
    out = tnp.full(tuple(grown), value, dtype=x.dtype)
    if x.size:
        place = tuple(
            _py_slice(max(lo, 0), max(lo, 0) + (n - 1) * (i + 1) + 1, i + 1)
            for n, (lo, _, i) in zip(x.shape, config, strict=True)
        )
        out = tnp.at(out)[place].set(x)
    cut = tuple(_py_slice(-min(lo, 0), g + min(hi, 0)) for g, (lo, hi, _) in zip(grown, config, strict=True))  # fmt: skip  # noqa: E501
    return out[cut]


def slice(operand: Any, start_indices: Sequence[int], limit_indices: Sequence[int],  # noqa: A001
          strides: Sequence[int] | None = None) -> Any:  # fmt: skip
    """``jax.lax.slice``: ``operand[start:limit:stride]`` on every axis, static and in range.

    Examples:
        >>> lax.slice(np.arange(10), (1,), (8,), (3,))
        array([1, 4, 7])
    """
    x = asarray_or_tracer(operand)
    starts, limits = _ints(start_indices), _ints(limit_indices)
    steps = (1,) * x.ndim if strides is None else _ints(strides)
    if not len(starts) == len(limits) == len(steps) == x.ndim or not all(
        0 <= s <= lim <= n and st >= 1
        for s, lim, n, st in zip(starts, limits, x.shape, steps, strict=True)
    ):
        raise shape_error(
            "lax.slice",
            f"start {starts}, limit {limits} and strides {steps} must satisfy "
            f"0 <= start <= limit <= size per axis of {x.shape} (strides >= 1)",
        )
    index = tuple(_py_slice(s, lim, st) for s, lim, st in zip(starts, limits, steps, strict=True))
    return x[index]


def slice_in_dim(operand: Any, start_index: int | None, limit_index: int | None,
                 stride: int = 1, axis: int = 0) -> Any:  # fmt: skip
    """``jax.lax.slice_in_dim``: ``slice`` along one axis (``None`` and negative indices as
    Python's).

    Examples:
        >>> lax.slice_in_dim(np.arange(6).reshape(2, 3), 1, None, axis=1)
        array([[1, 2],
               [4, 5]])
    """
    x = asarray_or_tracer(operand)
    axis = _axis(axis, x.ndim, "slice_in_dim")
    n = x.shape[axis]
    start, stop, _ = _py_slice(start_index, limit_index).indices(n)
    starts, limits, steps = [0] * x.ndim, list(x.shape), [1] * x.ndim
    starts[axis], limits[axis], steps[axis] = start, max(stop, start), int(stride)
    return slice(x, starts, limits, steps)


def index_in_dim(operand: Any, index: int, axis: int = 0, keepdims: bool = True) -> Any:
    """``jax.lax.index_in_dim``: one (static) index along ``axis``.

    Examples:
        >>> lax.index_in_dim(np.arange(6).reshape(2, 3), -1, axis=1, keepdims=False)
        array([2, 5])
    """
    x = asarray_or_tracer(operand)
    axis = _axis(axis, x.ndim, "index_in_dim")
    n = x.shape[axis]
    if not -n <= int(index) < n:
        raise errors.InvalidIndexError(
            errors.at_user_line(f"lax.index_in_dim: index {index} out of range for size {n}")
        )
    i = int(index) % n
    out = slice_in_dim(x, i, i + 1, axis=axis)
    return out if keepdims else squeeze(out, (axis,))


def collapse(operand: Any, start_dimension: int, stop_dimension: int | None = None) -> Any:
    """``jax.lax.collapse``: axes ``start:stop`` merged into one.

    Examples:
        >>> lax.collapse(np.zeros((2, 3, 4)), 0, 2).shape
        (6, 4)
    """
    x = asarray_or_tracer(operand)
    stop = x.ndim if stop_dimension is None else stop_dimension
    shape = x.shape[:start_dimension] + (-1,) + x.shape[stop:]
    return tnp.reshape(x, shape)


def split(operand: Any, sizes: Sequence[int], axis: int = 0) -> list:
    """``jax.lax.split``: ``operand`` cut along ``axis`` into pieces of ``sizes`` (which sum
    to the axis's length).

    Examples:
        >>> [p.shape for p in lax.split(np.zeros((5, 2)), (2, 3))]
        [(2, 2), (3, 2)]
    """
    x = asarray_or_tracer(operand)
    axis = _axis(axis, x.ndim, "split")
    sizes = _ints(sizes)
    if any(s < 0 for s in sizes) or sum(sizes) != x.shape[axis]:
        raise shape_error("lax.split", f"sizes {sizes} do not add up to {x.shape[axis]}")
    ends = np.cumsum(sizes)
    return [
        slice_in_dim(x, int(e - s), int(e), axis=axis) for s, e in zip(sizes, ends, strict=True)
    ]


def broadcast_shapes(*shapes: Sequence[int]) -> tuple:
    """``jax.lax.broadcast_shapes``: the shape NumPy broadcasting gives ``shapes``.

    Examples:
        >>> lax.broadcast_shapes((3, 1), (4,))
        (3, 4)
    """
    try:
        return tuple(np.broadcast_shapes(*[_ints(s) for s in shapes]))
    except ValueError:
        raise shape_error("lax.broadcast_shapes", f"incompatible shapes {shapes}") from None


def optimization_barrier(operand: Any, /) -> Any:
    """``jax.lax.optimization_barrier``: ``operand`` (a pytree) unchanged; trace_ag's jit does
    not move computations across it either way, so it only needs to return its input.

    Examples:
        >>> lax.optimization_barrier((1.0, 2.0))
        (1.0, 2.0)
    """
    return operand


def with_sharding_constraint(x: Any, shardings: Any) -> Any:
    """``jax.lax.with_sharding_constraint``: ``x`` unchanged (trace_ag runs on one device).

    Examples:
        >>> lax.with_sharding_constraint(np.ones(2), None)
        array([1., 1.])
    """
    return x
