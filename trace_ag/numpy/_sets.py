"""Searching, counting and set operations: ``searchsorted``, ``digitize``, ``bincount``,
``argwhere``, ``unique`` and the ``*1d`` set functions, ``isin``, ``lexsort``.

Where the output's size depends on the values (``unique``, ``argwhere``, the set functions),
concrete inputs give NumPy's result; traced ones (under ``jit`` or ``vmap``) need ``size=``, and
the result is padded with ``fill_value`` as in JAX. All set results are gathered from the
inputs, so their values carry gradients.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from trace_ag import errors
from trace_ag.core import Tracer, shape_error
from trace_ag.numpy import _reductions as red
from trace_ag.numpy import _shape as shp
from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, cast, normalize_axis, promote
from trace_ag.numpy._bits import argsort
from trace_ag.numpy._more_index import take_along_axis

_INDEX = np.dtype(np.int64)


def _known(x: Any) -> np.ndarray | None:
    value = x.concrete_value() if isinstance(x, Tracer) else x
    return None if value is None else np.asarray(value)


def _need_size(fn: str) -> errors.ConcretizationTypeError:
    return errors.ConcretizationTypeError(
        errors.at_user_line(
            f"{fn}: the output's size depends on traced values (under jit or vmap); "
            f"pass size= (and optionally fill_value=) to {fn}"
        )
    )


def _nan_less(a: Any, b: Any) -> Any:
    """``a < b`` in NumPy's sort order, where nan is the largest value."""
    if np.dtype(a.dtype).kind not in "fc":
        return uf.less(a, b)
    return uf.logical_or(uf.less(a, b), uf.logical_and(uf.isnan(b), uf.logical_not(uf.isnan(a))))


def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None, *, method: Any = None):
    """Insertion indices of ``v`` into the sorted 1-D ``a`` (nan sorts last), by a binary
    search of ``ceil(log2(len(a) + 1))`` gather steps.

    Examples:
        >>> tnp.searchsorted(np.array([1.0, 2.0, 2.0, 3.0]), np.array([2.0, 0.5, 9.0]))
        array([1, 0, 4])
        >>> tnp.searchsorted(np.array([1.0, 2.0, 2.0, 3.0]), 2.0, side="right")
        array(3)
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    a, v = promote(a, v)
    if a.ndim != 1:
        raise shape_error("searchsorted", f"a must be 1-D, got shape {a.shape}")
    if sorter is not None:
        a = a[asarray_or_tracer(sorter)]
    n = a.shape[0]
    lo = np.zeros(np.shape(v), _INDEX)
    hi = np.full(np.shape(v), n, _INDEX)
    for _ in range(math.ceil(math.log2(n + 1))):
        mid = uf.floor_divide(lo + hi, 2)
        pivot = shp.take(a, uf.clip(mid, 0, max(n - 1, 0)))
        # left: first i with a[i] >= v; right: first i with a[i] > v
        go_right = _nan_less(pivot, v) if side == "left" else uf.logical_not(_nan_less(v, pivot))
        go_right = uf.logical_and(go_right, uf.less(lo, hi))
        lo, hi = uf.where(go_right, mid + 1, lo), uf.where(go_right, hi, mid)
    return lo


def digitize(x: Any, bins: Any, right: bool = False) -> Any:
    """The bin of each ``x`` for monotonic ``bins`` (increasing or decreasing).

    Examples:
        >>> tnp.digitize(np.array([0.5, 1.0, 2.5]), np.array([1.0, 2.0, 3.0]))
        array([0, 1, 2])
    """
    x, bins = promote(x, bins)
    if bins.ndim != 1:
        raise shape_error("digitize", f"bins must be 1-D, got shape {bins.shape}")
    if bins.shape[0] == 0:
        return np.zeros(np.shape(x), _INDEX)
    side = "left" if right else "right"
    up = searchsorted(bins, x, side=side)
    down = bins.shape[0] - searchsorted(shp.flip(bins), x, side=side)
    return uf.where(uf.greater_equal(bins[-1], bins[0]), up, down)


def bincount(x: Any, weights: Any = None, minlength: int = 0, *, length: int | None = None):
    """Counts (or summed ``weights``) of each non-negative integer in the 1-D ``x``; a traced
    ``x`` needs ``length=`` (values past it are dropped, negative ones counted in bin 0, as in
    JAX).

    Examples:
        >>> tnp.bincount(np.array([0, 2, 2, 5]))
        array([1, 0, 2, 0, 0, 1])
        >>> tnp.bincount(np.array([0, 1, 1]), weights=np.array([0.5, 1.0, 2.0]), length=3)
        array([0.5, 3. , 0. ])
    """
    from trace_ag._indexed_update import at

    x = asarray_or_tracer(x)
    if x.ndim != 1 or x.dtype.kind not in "iub":
        raise shape_error("bincount", f"needs a 1-D integer array, got {x.dtype}{list(x.shape)}")
    value = _known(x)
    if value is not None and value.size and value.min() < 0:
        raise ValueError("bincount: x must be non-negative")
    if length is None:
        if value is None:
            raise _need_size("bincount (length=)")
        length = max(int(value.max()) + 1 if value.size else 0, int(minlength))
    if weights is None:
        weights = np.ones(x.shape, _INDEX)
    else:
        (weights,) = promote(weights)
        weights = cast(weights, np.result_type(weights.dtype, np.float64))
    x = uf.clip(x, 0, None) if x.dtype.kind == "i" else x
    return at(np.zeros(length, weights.dtype))[x].add(weights, mode="drop")


def count_nonzero(a: Any, axis: Any = None, *, keepdims: bool = False) -> Any:
    """The number of non-zero entries along ``axis`` (None: all), as int64."""
    a = asarray_or_tracer(a)
    return red.sum(uf.not_equal(a, 0), axis=axis, keepdims=keepdims, dtype=_INDEX)


def flatnonzero(a: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    """Indices of the non-zero entries of the flattened ``a``; traced ``a`` needs ``size=``
    (missing entries are ``fill_value``, default 0).

    Examples:
        >>> tnp.flatnonzero(np.array([0, 3, 0, 1]))
        array([1, 3])
        >>> tnp.flatnonzero(np.array([0, 3, 0, 1]), size=3, fill_value=-1)
        array([ 1,  3, -1])
    """
    from trace_ag._indexed_update import at

    mask = uf.not_equal(shp.ravel(asarray_or_tracer(a)), 0)
    if size is None:
        value = _known(mask)
        if value is None:
            raise _need_size("flatnonzero")
        return np.flatnonzero(value)
    slot = uf.where(mask, red.cumsum(mask, dtype=_INDEX) - 1, size)
    fill = 0 if fill_value is None else fill_value
    out = shp.broadcast_to(cast(asarray_or_tracer(fill), _INDEX), (size,))
    return at(out)[slot].set(np.arange(mask.shape[0]), mode="drop")


def argwhere(a: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    """Indices of the non-zero entries, one row per entry (``(N, a.ndim)``); traced ``a``
    needs ``size=``.

    Examples:
        >>> tnp.argwhere(np.array([[0, 1], [1, 0]]))
        array([[0, 1],
               [1, 0]])
    """
    a = asarray_or_tracer(a)
    flat = flatnonzero(a, size=size, fill_value=None)
    if a.ndim == 0:
        return shp.reshape(flat, (-1, 0))
    from trace_ag.numpy._index_tricks import unravel_index

    rows = shp.stack(list(unravel_index(flat, a.shape)), axis=1)
    if size is None or fill_value is None:
        return rows
    valid = np.arange(size) < red.sum(uf.not_equal(a, 0), dtype=_INDEX)
    return uf.where(shp.expand_dims(valid, 1), rows, cast(asarray_or_tracer(fill_value), _INDEX))


def lexsort(keys: Any, axis: int = -1) -> Any:
    """Indices that sort by the last key, ties broken by the one before, and so on.

    Examples:
        >>> tnp.lexsort((np.array([1, 0, 2]), np.array([1, 1, 0])))
        array([2, 1, 0])
    """
    keys = (
        [asarray_or_tracer(k) for k in keys]
        if not hasattr(keys, "ndim")
        else [keys[i] for i in range(keys.shape[0])]
    )
    if not keys:
        raise ValueError("lexsort: needs at least one key")
    shape = np.broadcast_shapes(*[k.shape for k in keys])
    keys = [shp.broadcast_to(k, shape) for k in keys]
    axis = normalize_axis(axis, len(shape), "lexsort")
    order = argsort(keys[0], axis=axis)
    for key in keys[1:]:  # stable sorts, least significant key first
        order = take_along_axis(order, argsort(take_along_axis(key, order, axis), axis=axis), axis)
    return order


def trim_zeros(filt: Any, trim: str = "fb", axis: Any = None) -> Any:
    """``filt`` without its leading ('f') and/or trailing ('b') zeros (1-D; concrete values)."""
    filt = asarray_or_tracer(filt)
    value = _known(filt)
    if value is None:
        raise errors.ConcretizationTypeError(
            errors.at_user_line("trim_zeros: the result's size depends on the traced values")
        )
    if filt.ndim != 1 or axis not in (None, 0, -1):
        raise shape_error("trim_zeros", f"supports 1-D arrays only, got shape {filt.shape}")
    nonzero = np.flatnonzero(value)
    if nonzero.size == 0:
        return filt[:0]
    start = int(nonzero[0]) if "f" in trim.lower() else 0
    stop = int(nonzero[-1]) + 1 if "b" in trim.lower() else value.shape[0]
    return filt[start:stop]


# ---------------------------------------------------------------- unique and the set functions


class _Groups(NamedTuple):
    sorted_values: Any  # the flattened input, sorted (entries outside the mask last)
    order: Any  # the sort permutation
    first: Any  # True at the first sorted entry of each distinct (kept) value
    group: Any  # each sorted entry's distinct-value number


def _groups(flat: Any, keep: Any, equal_nan: bool) -> _Groups:
    order = lexsort((flat, uf.logical_not(keep))) if keep is not None else argsort(flat)
    values = flat[order]
    if flat.shape[0] == 0:
        return _Groups(values, order, np.zeros(0, bool), np.zeros(0, _INDEX))
    differs = uf.not_equal(values[1:], values[:-1])
    if equal_nan and np.dtype(values.dtype).kind in "fc":
        both_nan = uf.logical_and(uf.isnan(values[1:]), uf.isnan(values[:-1]))
        differs = uf.logical_and(differs, uf.logical_not(both_nan))
    first = shp.concatenate([np.ones(1, bool), differs])
    if keep is not None:
        first = uf.logical_and(first, keep[order])
    return _Groups(values, order, first, red.cumsum(first, dtype=_INDEX) - 1)


def _unique_positions(groups: _Groups, fn: str, size: int | None) -> tuple[Any, Any]:
    """Sorted positions of each distinct value and the number of distinct values."""
    count = red.sum(groups.first, dtype=_INDEX)
    if size is None:
        known = _known(groups.first)
        if known is None:
            raise _need_size(fn)
        return np.flatnonzero(known), count
    return flatnonzero(groups.first, size=size, fill_value=0), count


def _padded(values: Any, count: Any, size: int | None, fill_value: Any) -> Any:
    if size is None:
        return values
    fill = values[0] if fill_value is None else cast(asarray_or_tracer(fill_value), values.dtype)
    valid = np.arange(size) < count
    return uf.where(valid, values, fill)


def unique(
    ar: Any,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: int | None = None,
    *,
    equal_nan: bool = True,
    size: int | None = None,
    fill_value: Any = None,
    sorted: bool = True,  # noqa: A002  (NumPy's name)
) -> Any:
    """The sorted distinct values of ``ar`` (flattened), optionally with the index of each one's
    first occurrence, the inverse map and the counts. Traced ``ar`` needs ``size=``: the values
    are padded with ``fill_value`` (default: the smallest value), the indices with the smallest
    value's, the counts with 0, as in JAX.

    Examples:
        >>> tnp.unique(np.array([3, 1, 1, 2]))
        array([1, 2, 3])
        >>> tnp.unique(np.array([3, 1, 1, 2]), return_counts=True, size=5)
        (array([1, 2, 3, 1, 1]), array([2, 1, 1, 0, 0]))
    """
    from trace_ag._indexed_update import at

    if axis is not None:
        raise errors.UnsupportedFunctionError("unique: axis= is not supported (only axis=None)")
    ar = asarray_or_tracer(ar)
    if ar.size == 0 and size is None:
        extras = [np.zeros(0, _INDEX)] * (return_index + return_counts)
        inverse = [np.zeros(ar.shape, _INDEX)] if return_inverse else []
        outs = [shp.ravel(ar), *extras[:return_index], *inverse, *extras[return_index:]]
        return outs[0] if len(outs) == 1 else tuple(outs)
    groups = _groups(shp.ravel(ar), None, equal_nan)
    positions, count = _unique_positions(groups, "unique", size)
    outs = [_padded(groups.sorted_values[positions], count, size, fill_value)]
    if return_index:
        outs.append(_padded(groups.order[positions], count, size, None))
    if return_inverse:
        inverse = at(np.zeros(ar.size, _INDEX))[groups.order].set(groups.group)
        outs.append(shp.reshape(inverse, ar.shape))
    if return_counts:
        slots = positions.shape[0]
        counts = at(np.zeros(slots, _INDEX))[groups.group].add(1, mode="drop")
        outs.append(counts)
    return outs[0] if len(outs) == 1 else tuple(outs)


class UniqueAllResult(NamedTuple):
    values: Any
    indices: Any
    inverse_indices: Any
    counts: Any


class UniqueCountsResult(NamedTuple):
    values: Any
    counts: Any


class UniqueInverseResult(NamedTuple):
    values: Any
    inverse_indices: Any


def unique_all(x: Any, /, *, size: int | None = None, fill_value: Any = None) -> UniqueAllResult:
    """``unique`` with indices, inverse and counts, the array API's form."""
    return UniqueAllResult(*unique(x, True, True, True, size=size, fill_value=fill_value))


def unique_counts(x: Any, /, *, size: int | None = None, fill_value: Any = None):
    """``unique`` with counts, the array API's form."""
    return UniqueCountsResult(*unique(x, return_counts=True, size=size, fill_value=fill_value))


def unique_inverse(x: Any, /, *, size: int | None = None, fill_value: Any = None):
    """``unique`` with the inverse map, the array API's form."""
    return UniqueInverseResult(*unique(x, return_inverse=True, size=size, fill_value=fill_value))


def unique_values(x: Any, /, *, size: int | None = None, fill_value: Any = None) -> Any:
    """``unique`` values only, the array API's form."""
    return unique(x, size=size, fill_value=fill_value)


def isin(
    element: Any,
    test_elements: Any,
    assume_unique: bool = False,
    invert: bool = False,
    *,
    kind: Any = None,
    method: Any = None,
) -> Any:
    """True where an element of ``element`` occurs in ``test_elements`` (compared all pairs).

    Examples:
        >>> tnp.isin(np.array([1, 2, 3]), np.array([3, 1]))
        array([ True, False,  True])
    """
    element, test_elements = promote(element, test_elements)
    found = (
        red.any(uf.equal(shp.expand_dims(element, -1), shp.ravel(test_elements)), axis=-1)
        if test_elements.size
        else np.zeros(element.shape, bool)
    )
    return uf.logical_not(found) if invert else found


def _distinct_where(
    fn: str, flat: Any, keep: Any, size: int | None, fill_value: Any, fill_grad: bool = True
) -> Any:
    groups = _groups(flat, keep, True)
    positions, count = _unique_positions(groups, fn, size)
    if flat.shape[0] == 0:
        return flat if size is None else np.zeros(size, flat.dtype)
    fill = fill_value
    if size is not None and fill is None:  # JAX pads with the smallest value
        # JAX: the smallest value (setdiff1d: zero)
        fill = groups.sorted_values[0] if fill_grad else np.zeros((), flat.dtype)
    return _padded(groups.sorted_values[positions], count, size, fill)


def _flat_pair(ar1: Any, ar2: Any) -> tuple[Any, Any]:
    ar1, ar2 = promote(ar1, ar2)
    return shp.ravel(ar1), shp.ravel(ar2)


def union1d(ar1: Any, ar2: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    """The sorted distinct values in either array."""
    a, b = _flat_pair(ar1, ar2)
    return _distinct_where("union1d", shp.concatenate([a, b]), None, size, fill_value)


def intersect1d(
    ar1: Any,
    ar2: Any,
    assume_unique: bool = False,
    return_indices: bool = False,
    *,
    size: int | None = None,
    fill_value: Any = None,
) -> Any:
    """The sorted distinct values in both arrays.

    Examples:
        >>> tnp.intersect1d(np.array([1, 3, 4, 3]), np.array([3, 1, 2, 1]))
        array([1, 3])
    """
    if return_indices:
        raise errors.UnsupportedFunctionError("intersect1d: return_indices=True is not supported")
    a, b = _flat_pair(ar1, ar2)
    return _distinct_where("intersect1d", a, isin(a, b), size, fill_value)


def setdiff1d(
    ar1: Any,
    ar2: Any,
    assume_unique: bool = False,
    *,
    size: int | None = None,
    fill_value: Any = None,
) -> Any:
    """The sorted distinct values of ``ar1`` not in ``ar2``."""
    a, b = _flat_pair(ar1, ar2)
    return _distinct_where("setdiff1d", a, isin(a, b, invert=True), size, fill_value, False)


def setxor1d(
    ar1: Any,
    ar2: Any,
    assume_unique: bool = False,
    *,
    size: int | None = None,
    fill_value: Any = None,
) -> Any:
    """The sorted distinct values in exactly one of the arrays."""
    a, b = _flat_pair(ar1, ar2)
    keep = shp.concatenate([isin(a, b, invert=True), isin(b, a, invert=True)])
    return _distinct_where("setxor1d", shp.concatenate([a, b]), keep, size, fill_value)
