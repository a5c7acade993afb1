"""NumPy's joining and splitting extras, written as composites of ``trace_ag.numpy``:
``atleast_*d``, the ``*stack`` and ``*split`` families, append/insert/delete, meshgrid,
``r_``/``c_``.

Each is a reshape, a concatenation or a gather (``getitem`` with index arrays, whose gradient
scatter-adds), so every transform works. ``insert``/``delete``'s positions must be concrete.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, normalize_axis, promote
from trace_ag.numpy._more_index import concrete
from trace_ag.numpy._shape import (
    broadcast_arrays,
    broadcast_to,
    concatenate,
    moveaxis,
    ravel,
    reshape,
    split,
    take,
)


def _atleast(n: int, arrays: tuple) -> Any:
    out = [_atleast_one(n, asarray_or_tracer(a)) for a in arrays]
    return out[0] if len(out) == 1 else out


def _atleast_one(n: int, a: Any) -> Any:
    if a.ndim >= n:
        return a
    if n == 3 and a.ndim == 2:
        return reshape(a, a.shape + (1,))
    if n == 3 and a.ndim == 1:
        return reshape(a, (1, a.shape[0], 1))
    return reshape(a, (1,) * (n - a.ndim) + a.shape)


def atleast_1d(*arrays: Any) -> Any:
    """Each array viewed with at least one dimension (a list for several)."""
    return _atleast(1, arrays)


def atleast_2d(*arrays: Any) -> Any:
    """At least two dimensions: ``(N,)`` becomes ``(1, N)``."""
    return _atleast(2, arrays)


def atleast_3d(*arrays: Any) -> Any:
    """At least three dimensions: ``(N,)`` becomes ``(1, N, 1)``, ``(M, N)`` ``(M, N, 1)``."""
    return _atleast(3, arrays)


def vstack(tup: Sequence[Any]) -> Any:
    """Stack along the first axis (1-D arrays become rows)."""
    return concatenate([_atleast_one(2, asarray_or_tracer(a)) for a in tup], axis=0)


row_stack = vstack


def hstack(tup: Sequence[Any]) -> Any:
    """Stack along the second axis (the first for 1-D arrays)."""
    arrays = [_atleast_one(1, asarray_or_tracer(a)) for a in tup]
    return concatenate(arrays, axis=0 if arrays[0].ndim == 1 else 1)


def dstack(tup: Sequence[Any]) -> Any:
    """Stack along the third axis."""
    return concatenate([_atleast_one(3, asarray_or_tracer(a)) for a in tup], axis=2)


def column_stack(tup: Sequence[Any]) -> Any:
    """1-D arrays as columns of a 2-D array; 2-D ones are joined as they are."""
    arrays = [asarray_or_tracer(a) for a in tup]
    arrays = [reshape(a, (-1, 1)) if a.ndim < 2 else a for a in arrays]
    return concatenate(arrays, axis=1)


def array_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """Like ``split``, but ``n`` sections need not be equal (the first ones get one more)."""
    x = asarray_or_tracer(x)
    if not isinstance(indices_or_sections, (int, np.integer)):
        return split(x, indices_or_sections, axis)
    n = x.shape[normalize_axis(axis, x.ndim, "array_split")]
    each, extra = divmod(n, int(indices_or_sections))
    sizes = [each + 1] * extra + [each] * (int(indices_or_sections) - extra)
    return split(x, np.cumsum(sizes)[:-1].tolist(), axis)


def _split_nd(fn: str, x: Any, indices_or_sections: Any, min_ndim: int, axis: int) -> list:
    x = asarray_or_tracer(x)
    if x.ndim < min_ndim:
        raise ValueError(f"{fn} only works on arrays of {min_ndim} or more dimensions")
    return split(x, indices_or_sections, axis)


def vsplit(x: Any, indices_or_sections: Any) -> list:
    return _split_nd("vsplit", x, indices_or_sections, 2, 0)


def hsplit(x: Any, indices_or_sections: Any) -> list:
    x = asarray_or_tracer(x)
    return _split_nd("hsplit", x, indices_or_sections, 1, 1 if x.ndim > 1 else 0)


def dsplit(x: Any, indices_or_sections: Any) -> list:
    return _split_nd("dsplit", x, indices_or_sections, 3, 2)


def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    """``arr`` with ``values`` joined at the end (both flattened when ``axis`` is None)."""
    arr, values = promote(arr, values)
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


def delete(arr: Any, obj: Any, axis: int | None = None) -> Any:
    """``arr`` without the entries ``obj`` (an int, slice or concrete indices/mask)."""
    arr = asarray_or_tracer(arr)
    if axis is None:
        arr, axis = ravel(arr), 0
    axis = normalize_axis(axis, arr.ndim, "delete")
    keep = np.ones(arr.shape[axis], bool)
    keep[obj if isinstance(obj, slice) else concrete(obj, "delete", "obj")] = False
    return take(arr, np.nonzero(keep)[0], axis)


def insert(arr: Any, obj: Any, values: Any, axis: int | None = None) -> Any:
    """``values`` inserted before the static index or indices ``obj`` along ``axis``, with
    NumPy's rules (an int inserts a block; a sequence one slice per index)."""
    arr = asarray_or_tracer(arr)
    if axis is None:
        arr, axis = ravel(arr), 0
    axis = normalize_axis(axis, arr.ndim, "insert")
    n = arr.shape[axis]
    values = uf.astype(asarray_or_tracer(values), arr.dtype)
    values = reshape(values, (1,) * (arr.ndim - values.ndim) + values.shape)
    if isinstance(obj, slice):
        obj = np.arange(*obj.indices(n))
    index = concrete(obj, "insert", "obj").astype(np.int64)
    if index.ndim == 0:
        values = moveaxis(values, 0, axis)
        index = np.full(values.shape[axis], int(index))
    index = np.where(index < 0, index + n, index)
    k = index.size
    values = broadcast_to(values, arr.shape[:axis] + (k,) + arr.shape[axis + 1 :])
    order = np.argsort(index, kind="stable")
    index[order] += np.arange(k)
    source = np.empty(n + k, np.int64)
    is_new = np.zeros(n + k, bool)
    is_new[index] = True
    source[index] = n + np.arange(k)
    source[~is_new] = np.arange(n)
    return take(concatenate([arr, values], axis=axis), source, axis)


def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> list:
    """Coordinate arrays from 1-D vectors; ``indexing='xy'`` swaps the first two axes."""
    if indexing not in ("xy", "ij"):
        raise ValueError("meshgrid: indexing must be 'xy' or 'ij'")
    xs = [ravel(asarray_or_tracer(x)) for x in xi]
    nd = len(xs)
    out = []
    for i, x in enumerate(xs):
        view = [1] * nd
        view[i] = -1
        if indexing == "xy" and nd > 1 and i < 2:
            view[0], view[1] = view[1], view[0]
        out.append(reshape(x, tuple(view)))
    if not sparse and nd:
        out = broadcast_arrays(*out)
    return out


class _Concatenator:
    """``r_`` and ``c_``: slices become ``arange`` (or ``linspace`` for a complex step),
    scalars and arrays join along the first axis (``r_``) or as columns (``c_``)."""

    def __init__(self, columns: bool):
        self.columns = columns

    def __getitem__(self, key: Any) -> Any:
        items = key if isinstance(key, tuple) else (key,)
        if items and isinstance(items[0], str):
            raise errors.UnsupportedFunctionError("r_/c_: string directives are not supported")
        parts = []
        for item in items:
            if isinstance(item, slice):
                item = _slice_range(item)
            a = asarray_or_tracer(item)
            if self.columns:
                a = reshape(a, (-1, 1)) if a.ndim < 2 else a
            else:
                a = _atleast_one(1, a)
            parts.append(a)
        return concatenate(promote(*parts), axis=-1 if self.columns else 0)


def _slice_range(s: slice) -> np.ndarray:
    start = 0 if s.start is None else s.start
    step = 1 if s.step is None else s.step
    if isinstance(step, complex):
        return np.linspace(start, s.stop, int(abs(step)))
    return np.arange(start, s.stop, step)


r_ = _Concatenator(columns=False)
c_ = _Concatenator(columns=True)
