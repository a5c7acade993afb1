"""NumPy's indexing-shaped extras, written as composites of ``trace_ag.numpy``: triangles and
diagonals, repetition, rotation, ``take_along_axis``.

Each is a ``where`` with a constant mask, a reshape/broadcast, or a gather (``getitem`` with
index arrays, whose gradient scatter-adds), so every transform works. Counts that decide the
output's shape (``repeat``'s) must be concrete.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag.core import Tracer
from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, normalize_axis
from trace_ag.numpy._shape import (
    broadcast_to,
    flip,
    getitem,
    moveaxis,
    pad,
    ravel,
    reshape,
    swapaxes,
    take,
)


def concrete(x: Any, fn: str, what: str) -> np.ndarray:
    """The NumPy value of ``x``, or a ConcretizationTypeError naming ``fn``'s argument."""
    value = x.concrete_value() if isinstance(x, Tracer) else np.asarray(x)
    if value is None:
        raise errors.ConcretizationTypeError(
            errors.at_user_line(f"{fn}: {what} must be concrete (it decides the output's shape)")
        )
    return np.asarray(value)


def _tri_mask(shape: tuple, k: int, lower: bool) -> np.ndarray:
    n, m = (shape[-2], shape[-1]) if len(shape) >= 2 else (shape[-1], shape[-1])
    mask = np.tri(n, m, k, dtype=bool)
    return mask if lower else ~np.tri(n, m, k - 1, dtype=bool)


def tril(m: Any, k: int = 0) -> Any:
    """Zero above the ``k``-th diagonal of the last two axes."""
    m = asarray_or_tracer(m)
    return uf.where(_tri_mask(m.shape, k, True), m, np.zeros((), m.dtype))


def triu(m: Any, k: int = 0) -> Any:
    """Zero below the ``k``-th diagonal of the last two axes."""
    m = asarray_or_tracer(m)
    return uf.where(_tri_mask(m.shape, k, False), m, np.zeros((), m.dtype))


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The ``offset`` diagonal of the ``axis1``/``axis2`` planes, as a last axis."""
    a = asarray_or_tracer(a)
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    rows, cols = a.shape[-2], a.shape[-1]
    r0, c0 = max(-offset, 0), max(offset, 0)
    n = max(0, min(rows - r0, cols - c0))
    return a[..., np.arange(n) + r0, np.arange(n) + c0]


def diag(v: Any, k: int = 0) -> Any:
    """The ``k``-th diagonal of a 2-D array, or a 2-D array with the 1-D ``v`` on it."""
    v = asarray_or_tracer(v)
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise ValueError("diag: input must be 1-D or 2-D")
    n = v.shape[0] + abs(k)
    rows = pad(v, [(0, k)] if k >= 0 else [(-k, 0)])
    return uf.where(np.eye(n, k=k, dtype=bool), reshape(rows, (n, 1)), np.zeros((), v.dtype))


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None) -> Any:
    """Sum of a diagonal (see ``diagonal``)."""
    from trace_ag.numpy._reductions import sum

    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def repeat(a: Any, repeats: Any, axis: int | None = None) -> Any:
    """Each element repeated ``repeats`` times (an int, or one concrete count per element)."""
    a = asarray_or_tracer(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, a.ndim, "repeat")
    counts = concrete(repeats, "repeat", "repeats")
    return take(a, np.repeat(np.arange(a.shape[axis]), counts), axis)


def tile(a: Any, reps: Any) -> Any:
    """``a`` repeated ``reps`` times along each axis (``reps`` padded like NumPy's)."""
    a = asarray_or_tracer(a)
    reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(map(int, reps))
    nd = max(a.ndim, len(reps))
    reps = (1,) * (nd - len(reps)) + reps
    a = reshape(a, (1,) * (nd - a.ndim) + a.shape)
    wide = broadcast_to(
        reshape(a, sum(((1, n) for n in a.shape), ())), sum(zip(reps, a.shape, strict=True), ())
    )
    return reshape(wide, tuple(r * n for r, n in zip(reps, a.shape, strict=True)))


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    """Elements shifted cyclically by ``shift`` along ``axis`` (ints or tuples; None:
    flattened). A traced shift works too (it becomes a traced gather index)."""
    a = asarray_or_tracer(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.shape)
    shifts = tuple(shift) if isinstance(shift, (tuple, list)) else (shift,)
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    if len(shifts) == 1 or len(axes) == 1:
        shifts, axes = shifts * len(axes), axes * len(shifts)
    if len(shifts) != len(axes):
        raise ValueError("roll: shift and axis must have the same length (or one of them 1)")
    out = a
    for s, ax in zip(shifts, axes, strict=True):
        ax = normalize_axis(ax, a.ndim, "roll")
        n = a.shape[ax]
        if n == 0:
            continue
        if isinstance(s, Tracer):
            index = uf.remainder(np.arange(n) - s, n)
        else:
            index = (np.arange(n) - operator.index(s)) % n
        out = take(out, index, ax)
    return out


def rot90(m: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> Any:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes`` (from the first towards the
    second axis)."""
    m = asarray_or_tracer(m)
    a0, a1 = (normalize_axis(ax, m.ndim, "rot90") for ax in axes)
    if a0 == a1:
        raise ValueError("rot90: axes must be different")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    if k == 1:
        return swapaxes(flip(m, a1), a0, a1)
    return flip(swapaxes(m, a0, a1), a1)


def fliplr(m: Any) -> Any:
    """``m`` with its columns (axis 1) reversed; at least 2-D, as ``numpy.fliplr``."""
    m = asarray_or_tracer(m)
    if m.ndim < 2:
        raise ValueError(f"fliplr: the input must be at least 2-D, got shape {m.shape}")
    return flip(m, 1)


def flipud(m: Any) -> Any:
    """``m`` with its rows (axis 0) reversed; at least 1-D, as ``numpy.flipud``."""
    m = asarray_or_tracer(m)
    if m.ndim < 1:
        raise ValueError("flipud: the input must be at least 1-D, got a 0-d array")
    return flip(m, 0)


def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """``numpy.rollaxis``: ``axis`` moved to just before position ``start`` (a ``moveaxis``
    with NumPy's older convention for ``start``)."""
    a = asarray_or_tracer(a)
    axis = normalize_axis(axis, a.ndim, "rollaxis")
    if not -a.ndim <= start <= a.ndim:
        raise ValueError(f"rollaxis: start={start} is out of range for {a.ndim} dimensions")
    start = start + a.ndim if start < 0 else start
    if axis < start:
        start -= 1
    return moveaxis(a, axis, start)


def take_along_axis(arr: Any, indices: Any, axis: int | None = -1) -> Any:
    """``arr`` gathered at ``indices`` along ``axis`` (the other axes broadcast), e.g. values
    sorted by ``argsort``; the gradient scatter-adds."""
    arr, indices = asarray_or_tracer(arr), asarray_or_tracer(indices)
    if axis is None:
        arr, axis = ravel(arr), 0
    axis = normalize_axis(axis, arr.ndim, "take_along_axis")
    if indices.ndim != arr.ndim:
        raise ValueError("take_along_axis: indices and arr must have the same number of dims")
    shape = np.broadcast_shapes(
        tuple(1 if i == axis else n for i, n in enumerate(arr.shape)),
        tuple(1 if i == axis else n for i, n in enumerate(indices.shape)),
    )
    index = []
    for d in range(arr.ndim):
        if d == axis:
            full = shape[:axis] + indices.shape[axis : axis + 1] + shape[axis + 1 :]
            index.append(broadcast_to(indices, full))
        else:
            view = [1] * arr.ndim
            view[d] = arr.shape[d]
            index.append(np.arange(arr.shape[d]).reshape(view))
    return getitem(arr, tuple(index))  # not arr[...]: a NumPy arr with traced indices
