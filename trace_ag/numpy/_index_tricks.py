"""NumPy's index helpers: index builders (``s_``, ``ix_``, ``mgrid``, ``indices``,
``tril_indices``...), index arithmetic (``ravel_multi_index``, ``unravel_index``) and the
functional forms of NumPy's in-place writers (``fill_diagonal``, ``put``, ``place``,
``put_along_axis``), which return a new array as in JAX and need ``inplace=False``.

Index builders depend only on shapes, so they return NumPy arrays; the writers and ``choose``
are gathers and scatters, differentiable in the values written and read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag.core import Tracer, shape_error
from trace_ag.numpy import _reductions as red
from trace_ag.numpy import _shape as shp
from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, cast, normalize_axis, promote
from trace_ag.numpy._more_index import concrete, diag, take_along_axis

s_, index_exp = np.s_, np.index_exp
mgrid, ogrid = np.mgrid, np.ogrid
indices, tri = np.indices, np.tri
tril_indices, triu_indices, diag_indices = np.tril_indices, np.triu_indices, np.diag_indices
mask_indices = np.mask_indices


def _shape_of(arr: Any) -> tuple:
    return tuple(arr.shape) if hasattr(arr, "shape") else np.shape(arr)


def tril_indices_from(arr: Any, k: int = 0) -> tuple:
    """``tril_indices`` for ``arr``'s (2-D) shape; only the shape is read."""
    shape = _shape_of(arr)
    if len(shape) != 2:
        raise shape_error("tril_indices_from", f"needs a 2-D array, got shape {shape}")
    return np.tril_indices(shape[0], k, shape[1])


def triu_indices_from(arr: Any, k: int = 0) -> tuple:
    """``triu_indices`` for ``arr``'s (2-D) shape; only the shape is read."""
    shape = _shape_of(arr)
    if len(shape) != 2:
        raise shape_error("triu_indices_from", f"needs a 2-D array, got shape {shape}")
    return np.triu_indices(shape[0], k, shape[1])


def diag_indices_from(arr: Any) -> tuple:
    """``diag_indices`` for ``arr``, whose dimensions must all be equal."""
    shape = _shape_of(arr)
    if len(shape) < 2 or len(set(shape)) != 1:
        raise shape_error("diag_indices_from", f"needs equal dimensions (>= 2), got {shape}")
    return np.diag_indices(shape[0], len(shape))


def ix_(*args: Any) -> tuple:
    """Open-mesh index arrays from 1-D sequences (booleans become their nonzero positions).

    Examples:
        >>> rows, cols = tnp.ix_(np.array([0, 2]), np.array([1, 2]))
        >>> np.arange(9).reshape(3, 3)[rows, cols]
        array([[1, 2],
               [7, 8]])
    """
    out = []
    for k, a in enumerate(args):
        a = asarray_or_tracer(a)
        if a.ndim != 1:
            raise shape_error("ix_", f"argument {k} must be 1-D, got shape {a.shape}")
        if a.dtype == np.bool_:
            a = np.nonzero(concrete(a, "ix_", "a boolean argument"))[0]
        shape = [1] * len(args)
        shape[k] = a.shape[0]
        out.append(shp.reshape(a, tuple(shape)))
    return tuple(out)


def diagflat(v: Any, k: int = 0) -> Any:
    """A 2-D array with the flattened ``v`` on diagonal ``k``."""
    return diag(shp.ravel(asarray_or_tracer(v)), k)


def _require_functional(fn: str, inplace: bool) -> None:
    if inplace:
        raise ValueError(
            f"{fn}: trace_ag arrays are immutable, so it returns a new array; pass inplace=False"
        )


def _cycled(values: Any, n: int) -> Any:
    """``values`` flattened and repeated cyclically to length ``n`` (NumPy's flat assignment)."""
    values = shp.ravel(asarray_or_tracer(values))
    if values.shape[0] == 0:
        raise ValueError("cannot assign from an empty array of values")
    reps = -(-n // values.shape[0])
    return shp.concatenate([values] * reps)[:n] if reps > 1 else values[:n]


def fill_diagonal(a: Any, val: Any, wrap: bool = False, *, inplace: bool = True) -> Any:
    """``a`` with its main diagonal set to ``val`` (repeated cyclically), as a new array.

    Examples:
        >>> tnp.fill_diagonal(np.zeros((2, 3)), 5.0, inplace=False)
        array([[5., 0., 0.],
               [0., 5., 0.]])
    """
    from trace_ag._indexed_update import at

    _require_functional("fill_diagonal", inplace)
    a = asarray_or_tracer(a)
    if a.ndim < 2 or (a.ndim > 2 and len(set(a.shape)) != 1):
        raise shape_error("fill_diagonal", f"needs 2-D or equal dimensions, got {a.shape}")
    if a.ndim == 2:
        n, m = a.shape
        end = n * m if wrap else min(n, m) * m
        flat = np.arange(0, end, m + 1)
    else:
        strides = np.cumprod((1,) + a.shape[:0:-1])[::-1]
        flat = np.arange(a.shape[0]) * int(np.sum(strides))
    values = _cycled(val, flat.shape[0])
    return shp.reshape(at(shp.ravel(a))[flat].set(values), a.shape)


def _check_mode(fn: str, mode: Any, allowed: Sequence[str]) -> str:
    mode = "raise" if mode is None else mode
    if mode not in allowed:
        raise ValueError(f"{fn}: mode must be one of {list(allowed)}, got {mode!r}")
    return mode


def _fit_indices(fn: str, idx: Any, n: Any, mode: str) -> Any:
    """Indices into an axis of length ``n`` by ``mode``: 'raise' checks concrete ones (negative
    ones count from the end), 'wrap' takes them modulo ``n``, 'clip' clamps them."""
    if mode == "wrap":
        return uf.remainder(idx, n)
    if mode == "clip":
        return uf.clip(idx, 0, n - 1)
    value = idx.concrete_value() if isinstance(idx, Tracer) else np.asarray(idx)
    if value is None:
        raise errors.ConcretizationTypeError(
            errors.at_user_line(
                f"{fn}: mode='raise' needs concrete indices to check them; "
                "pass mode='clip' or mode='wrap' under jit or vmap"
            )
        )
    value = np.asarray(value)
    if value.size and (value.min() < -np.max(n) or np.any(value >= n)):
        raise errors.InvalidIndexError(f"{fn}: index out of bounds for size {n}")
    return uf.where(uf.less(idx, 0), idx + n, idx)


def ravel_multi_index(
    multi_index: Sequence[Any], dims: Sequence[int], mode: str = "raise", order: str = "C"
) -> Any:
    """Flat indices of the index tuples ``multi_index`` into an array of shape ``dims``.

    Examples:
        >>> tnp.ravel_multi_index((np.array([0, 1, 2]), np.array([3, 0, 1])), (3, 4))
        array([3, 4, 9])
    """
    dims = tuple(int(d) for d in dims)
    if len(multi_index) != len(dims):
        raise ValueError(f"ravel_multi_index: {len(multi_index)} index arrays for {len(dims)} dims")
    modes = (mode,) * len(dims) if isinstance(mode, str) else tuple(mode)
    if order not in ("C", "F"):
        raise ValueError(f"ravel_multi_index: order must be 'C' or 'F', got {order!r}")
    strides = (
        np.cumprod((1,) + dims[::-1][:-1])[::-1] if order == "C" else np.cumprod((1,) + dims[:-1])
    )
    total = 0
    for idx, n, m, stride in zip(multi_index, dims, modes, strides, strict=True):
        (idx,) = promote(asarray_or_tracer(idx))
        if idx.dtype.kind not in "iu":
            raise TypeError(f"ravel_multi_index: indices must be integers, got {idx.dtype}")
        if _check_mode("ravel_multi_index", m, ("raise", "wrap", "clip")) == "raise":
            value = idx.concrete_value() if isinstance(idx, Tracer) else idx
            if value is not None and np.any((np.asarray(value) < 0) | (np.asarray(value) >= n)):
                raise errors.InvalidIndexError("ravel_multi_index: invalid entry in coordinates")
        idx = _fit_indices("ravel_multi_index", idx, n, m) if m != "raise" else idx
        total = total + cast(idx, np.dtype(np.int64)) * int(stride)
    return total


def unravel_index(indices: Any, shape: Sequence[int]) -> tuple:
    """The index tuple of each flat index into ``shape`` (out-of-bounds indices raise when
    concrete; traced ones are clipped into range, as in JAX).

    Examples:
        >>> tnp.unravel_index(np.array([5, 11]), (3, 4))
        (array([1, 2]), array([1, 3]))
    """
    shape = tuple(int(d) for d in np.atleast_1d(shape))
    (idx,) = promote(asarray_or_tracer(indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"unravel_index: indices must be integers, got {idx.dtype}")
    size = int(np.prod(shape))
    value = idx.concrete_value() if isinstance(idx, Tracer) else idx
    if value is not None and np.any((np.asarray(value) < 0) | (np.asarray(value) >= size)):
        raise errors.InvalidIndexError(f"unravel_index: index out of bounds for shape {shape}")
    idx = uf.clip(idx, 0, size - 1)
    out = []
    for n in shape[::-1]:
        out.append(uf.remainder(idx, n))
        idx = uf.floor_divide(idx, n)
    return tuple(out[::-1])


def put(a: Any, ind: Any, v: Any, mode: str | None = None, *, inplace: bool = True) -> Any:
    """``a`` with its flat positions ``ind`` set to ``v`` (repeated cyclically), as a new array."""
    from trace_ag._indexed_update import at

    _require_functional("put", inplace)
    a = asarray_or_tracer(a)
    ind = shp.ravel(asarray_or_tracer(ind))
    mode = _check_mode("put", mode, ("raise", "wrap", "clip"))
    ind = _fit_indices("put", ind, a.size, mode)
    return shp.reshape(at(shp.ravel(a))[ind].set(_cycled(v, ind.shape[0])), a.shape)


def place(arr: Any, mask: Any, vals: Any, *, inplace: bool = True) -> Any:
    """``arr`` with the positions where ``mask`` is true set to ``vals`` in order (repeated
    cyclically), as a new array. Works with a traced mask.

    Examples:
        >>> tnp.place(np.zeros(5), np.array([1, 0, 1, 1, 0]), np.array([7.0, 8.0]), inplace=False)
        array([7., 0., 8., 7., 0.])
    """
    _require_functional("place", inplace)
    arr, mask = asarray_or_tracer(arr), asarray_or_tracer(mask)
    vals = shp.ravel(asarray_or_tracer(vals))
    if mask.shape != arr.shape:
        raise shape_error("place", f"mask {mask.shape} and array {arr.shape} differ in shape")
    if vals.shape[0] == 0:
        raise ValueError("place: cannot place from an empty array of values")
    mask = uf.not_equal(mask, 0)
    position = uf.remainder(red.cumsum(shp.ravel(mask)) - 1, vals.shape[0])
    return uf.where(mask, cast(shp.reshape(vals[position], arr.shape), arr.dtype), arr)


def _along_axis_index(indices: Any, axis: int, ndim: int) -> tuple:
    """The full index tuple that addresses ``arr[..., indices[...], ...]`` along ``axis``."""
    grids = []
    for d in range(ndim):
        if d == axis:
            grids.append(indices)
        else:
            shape = [1] * ndim
            shape[d] = indices.shape[d]
            grids.append(np.arange(indices.shape[d]).reshape(shape))
    return tuple(grids)


def put_along_axis(
    arr: Any, indices: Any, values: Any, axis: int | None, inplace: bool = True, mode: Any = None
) -> Any:
    """``arr`` with ``values`` written at ``indices`` along ``axis`` (the inverse of
    ``take_along_axis``), as a new array."""
    from trace_ag._indexed_update import at

    _require_functional("put_along_axis", inplace)
    arr, indices = asarray_or_tracer(arr), asarray_or_tracer(indices)
    if axis is None:
        flat = put_along_axis(shp.ravel(arr), shp.ravel(indices), values, 0, False, mode)
        return shp.reshape(flat, arr.shape)
    axis = normalize_axis(axis, arr.ndim, "put_along_axis")
    if indices.ndim != arr.ndim:
        raise shape_error("put_along_axis", f"indices {indices.shape} and arr {arr.shape} ranks")
    shape = np.broadcast_shapes(
        indices.shape[:axis] + (1,) + indices.shape[axis + 1 :],
        arr.shape[:axis] + (1,) + arr.shape[axis + 1 :],
    )
    shape = shape[:axis] + (indices.shape[axis],) + shape[axis + 1 :]
    indices = shp.broadcast_to(indices, shape)
    values = shp.broadcast_to(asarray_or_tracer(values), shape)
    return at(arr)[_along_axis_index(indices, axis, arr.ndim)].set(values)


def choose(a: Any, choices: Sequence[Any], out: Any = None, mode: str = "raise") -> Any:
    """``choices[a[i]][i]`` elementwise, everything broadcast together; differentiable in the
    choices.

    Examples:
        >>> tnp.choose(np.array([0, 1, 1]), [np.array([1.0, 2.0, 3.0]), np.array([9.0, 8.0, 7.0])])
        array([1., 8., 7.])
    """
    red.no_out(out, "choose")
    a = asarray_or_tracer(a)
    if a.dtype.kind not in "iu":
        raise TypeError(f"choose: the index array must hold integers, got {a.dtype}")
    choices = promote(*choices)
    shape = np.broadcast_shapes(a.shape, *[c.shape for c in choices])
    stacked = shp.stack([shp.broadcast_to(c, shape) for c in choices])
    mode = _check_mode("choose", mode, ("raise", "wrap", "clip"))
    a = _fit_indices("choose", shp.broadcast_to(a, shape), len(choices), mode)
    return take_along_axis(stacked, shp.expand_dims(a, 0), 0)[0]


def _where_true(condition: Any, fn: str, size: int | None) -> Any:
    value = condition.concrete_value() if isinstance(condition, Tracer) else condition
    if value is None and size is None:
        raise errors.ConcretizationTypeError(
            errors.at_user_line(
                f"{fn}: the condition is traced, so the output size is unknown; pass size="
            )
        )
    if value is not None and size is None:
        return np.flatnonzero(np.asarray(value))
    from trace_ag.numpy._sets import flatnonzero

    return flatnonzero(condition, size=size, fill_value=-1)


def compress(
    condition: Any,
    a: Any,
    axis: int | None = None,
    *,
    size: int | None = None,
    fill_value: Any = 0,
    out: Any = None,
) -> Any:
    """The slices of ``a`` along ``axis`` (None: flattened) where ``condition`` is true; a
    traced condition needs ``size=`` (the rest filled with ``fill_value``), as in JAX."""
    red.no_out(out, "compress")
    a = asarray_or_tracer(a)
    condition = condition if isinstance(condition, Tracer) else np.asarray(condition)
    if condition.ndim != 1:
        raise shape_error("compress", f"condition must be 1-D, got shape {condition.shape}")
    if axis is None:
        a, axis = shp.ravel(a), 0
    axis = normalize_axis(axis, a.ndim, "compress")
    n = a.shape[axis]
    if condition.shape[0] > n:
        condition = condition[:n]
    elif condition.shape[0] < n:
        condition = shp.concatenate([condition != 0, np.zeros(n - condition.shape[0], bool)])
    mask = condition != 0 if not isinstance(condition, Tracer) else uf.not_equal(condition, 0)
    picked = _where_true(mask, "compress", size)
    taken = shp.take(a, uf.clip(picked, 0, max(n - 1, 0)), axis=axis)
    if size is None:
        return taken
    keep = shp.reshape(uf.greater_equal(picked, 0), [-1 if d == axis else 1 for d in range(a.ndim)])
    return uf.where(
        keep, taken, cast(fill_value, a.dtype) if not isinstance(fill_value, Tracer) else fill_value
    )


def extract(condition: Any, arr: Any, *, size: int | None = None, fill_value: Any = 0) -> Any:
    """The elements of ``arr`` where ``condition`` is true, flattened (``compress`` on the
    raveled arrays).

    Examples:
        >>> tnp.extract(np.array([[1, 0], [0, 1]]), np.array([[1.0, 2.0], [3.0, 4.0]]))
        array([1., 4.])
    """
    if not isinstance(condition, Tracer):  # NumPy's ravel keeps a constant condition concrete
        condition = np.ravel(condition)
    else:
        condition = shp.ravel(condition)
    return compress(condition, shp.ravel(asarray_or_tracer(arr)), size=size, fill_value=fill_value)
