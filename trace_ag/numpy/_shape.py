"""Shape functions of ``trace_ag.numpy``: reshaping, axes, joining, splitting, padding, indexing.

``getitem`` turns a NumPy index into a hashable static spec plus index-array operands; a
boolean mask becomes integer arrays (its ``nonzero``), which needs a concrete mask.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag.core import Tracer, shape_error
from trace_ag.numpy._base import asarray_or_tracer, normalize_axes, normalize_axis, promote
from trace_ag.primitives import shape as sp


def _as_shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(operator.index(n) for n in shape)


def _resolve_shape(shape: Any, size: int, old: tuple[int, ...]) -> tuple[int, ...]:
    shape = _as_shape(shape)
    if shape.count(-1) > 1:
        raise shape_error("reshape", f"can only specify one unknown dimension (-1) in {shape}")
    if -1 in shape:
        known = int(np.prod([n for n in shape if n != -1], dtype=np.int64))
        if known == 0 or size % known:
            raise shape_error("reshape", f"cannot reshape an array of shape {old} into {shape}")
        shape = tuple(size // known if n == -1 else n for n in shape)
    return shape


def reshape(x: Any, shape: Any, *args: int) -> Any:
    """``x`` with a new shape (one entry may be -1). ``reshape(x, 2, 3)`` also works."""
    x = asarray_or_tracer(x)
    shape = _resolve_shape((shape, *args) if args else shape, x.size, x.shape)
    return x if shape == x.shape else sp.reshape.bind(x, shape=shape)


def ravel(x: Any) -> Any:
    return reshape(x, -1)


def transpose(x: Any, axes: Sequence[int] | None = None) -> Any:
    """Permute the axes (reverse them when ``axes`` is None)."""
    x = asarray_or_tracer(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    axes = tuple(normalize_axis(a, x.ndim, "transpose") for a in axes)
    return x if axes == tuple(range(x.ndim)) else sp.transpose.bind(x, axes=axes)


def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    x = asarray_or_tracer(x)
    perm = list(range(x.ndim))
    a, b = normalize_axis(axis1, x.ndim, "swapaxes"), normalize_axis(axis2, x.ndim, "swapaxes")
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


def moveaxis(x: Any, source: int | Sequence[int], destination: int | Sequence[int]) -> Any:
    x = asarray_or_tracer(x)
    src = [normalize_axis(a, x.ndim, "moveaxis") for a in np.atleast_1d(source)]
    dst = [normalize_axis(a, x.ndim, "moveaxis") for a in np.atleast_1d(destination)]
    if len(src) != len(dst):
        raise shape_error("moveaxis", "source and destination need the same number of axes")
    rest = [i for i in range(x.ndim) if i not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        rest.insert(d, s)
    return transpose(x, rest)


def broadcast_to(x: Any, shape: Any) -> Any:
    x = asarray_or_tracer(x)
    shape = _as_shape(shape)
    return x if shape == x.shape else sp.broadcast_to.bind(x, shape=shape)


def broadcast_arrays(*xs: Any) -> list:
    xs = [asarray_or_tracer(x) for x in xs]
    shape = np.broadcast_shapes(*(x.shape for x in xs))
    return [broadcast_to(x, shape) for x in xs]


def expand_dims(x: Any, axis: int | Sequence[int]) -> Any:
    x = asarray_or_tracer(x)
    n_new = 1 if isinstance(axis, (int, np.integer)) else len(axis)
    axes = normalize_axes(axis, x.ndim + n_new, "expand_dims")
    dims = iter(x.shape)
    return reshape(x, tuple(1 if i in axes else next(dims) for i in range(x.ndim + n_new)))


def squeeze(x: Any, axis: int | Sequence[int] | None = None) -> Any:
    x = asarray_or_tracer(x)
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = normalize_axes(axis, x.ndim, "squeeze")
        if any(x.shape[a] != 1 for a in axes):
            raise shape_error("squeeze", f"cannot squeeze axes {axes} of shape {x.shape}")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def concatenate(arrays: Sequence[Any], axis: int | None = 0) -> Any:
    """Join arrays along an existing axis (None: flatten them first)."""
    arrays = promote(*arrays)
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    if len(arrays) == 1:
        return arrays[0]
    return sp.concatenate.bind(*arrays, axis=normalize_axis(axis, arrays[0].ndim, "concatenate"))


def stack(arrays: Sequence[Any], axis: int = 0) -> Any:
    """Join arrays along a new axis."""
    arrays = [asarray_or_tracer(a) for a in arrays]
    if not arrays:
        raise ValueError("stack: need at least one array")
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise shape_error("stack", f"all arrays must have the same shape, got {sorted(shapes)}")
    axis = normalize_axis(axis, arrays[0].ndim + 1, "stack")
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis)


def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list:
    """Split into equal sections, or at the given indices, along ``axis``."""
    x = asarray_or_tracer(x)
    axis = normalize_axis(axis, x.ndim, "split")
    n = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        if n % indices_or_sections:
            raise shape_error(
                "split",
                f"axis of size {n} does not split into {indices_or_sections} equal sections",
            )
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step)) if step else [0] * (indices_or_sections + 1)
    else:
        bounds = [0, *indices_or_sections, n]
    lead = (slice(None),) * axis
    return [x[lead + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _pad_width(pad_width: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (ndim, 2))
    return tuple((int(lo), int(hi)) for lo, hi in widths)


_INDEX_PAD_MODES = ("edge", "wrap", "reflect", "symmetric")


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Any:
    """Pad with NumPy's ``pad_width`` conventions: ``mode='constant'`` (with
    ``constant_values``), or ``'edge'``, ``'wrap'``, ``'reflect'``, ``'symmetric'``, each a
    gather along every padded axis whose indices NumPy computes (``np.pad`` of an ``arange``),
    so the gradient scatter-adds back to the copied elements.

    Examples:
        >>> tnp.pad(np.array([1.0, 2.0, 3.0]), 2, mode="reflect")
        array([3., 2., 1., 2., 3., 2., 1.])
    """
    x = asarray_or_tracer(x)
    widths = _pad_width(pad_width, x.ndim)
    if mode in _INDEX_PAD_MODES:
        for axis, (lo, hi) in enumerate(widths):
            if lo or hi:
                if x.shape[axis] == 0:
                    raise shape_error("pad", f"can't extend empty axis {axis} using mode {mode!r}")
                index = np.pad(np.arange(x.shape[axis]), (lo, hi), mode=mode)
                x = x[(slice(None),) * axis + (index,)]
        return x
    if mode != "constant":
        raise errors.UnsupportedFunctionError(
            f"pad: mode={mode!r} is not supported (only 'constant', {', '.join(_INDEX_PAD_MODES)})"
        )
    constant = np.asarray(constant_values, x.dtype).item()
    return sp.pad.bind(x, pad_width=widths, constant=constant)


def flip(x: Any, axis: int | Sequence[int] | None = None) -> Any:
    x = asarray_or_tracer(x)
    axes = normalize_axes(axis, x.ndim, "flip")
    return x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))]


def nonzero(x: Any, *, size: int | None = None, fill_value: Any = None) -> tuple:
    """Indices of the non-zero elements, one array per axis. Without ``size`` it needs a
    concrete value (the shape depends on it); with ``size`` (JAX's form, any input, under jit
    too) each array has ``size`` entries: the first ones found, then ``fill_value`` (default 0;
    a tuple gives one per axis).

    Examples:
        >>> tnp.nonzero(np.array([[0, 2], [3, 0]]))
        (array([0, 1]), array([1, 0]))
        >>> ag.jit(lambda m: tnp.nonzero(m, size=3, fill_value=-1))(np.array([[0, 2], [3, 0]]))
        (array([ 0,  1, -1]), array([ 1,  0, -1]))
    """
    if size is not None:
        return _nonzero_sized(x, size, fill_value)
    value = x.concrete_value() if isinstance(x, Tracer) else np.asarray(x)
    if value is None:
        raise errors.NonConcreteIndexError(
            errors.at_user_line(
                "nonzero / boolean-mask indexing of an abstract tracer: the result's shape would "
                "depend on the values. Pass size= (and fill_value=), or use "
                "tnp.where(mask, x, 0) instead."
            )
        )
    return np.nonzero(value)


def _nonzero_sized(x: Any, size: int, fill_value: Any) -> tuple:
    from trace_ag.numpy import _ufuncs as uf
    from trace_ag.numpy._index_tricks import unravel_index
    from trace_ag.numpy._sets import count_nonzero, flatnonzero

    x = asarray_or_tracer(x)
    if x.ndim == 0:
        raise ValueError("nonzero: a 0-d array has no axes to index; use atleast_1d first")
    fills = fill_value if isinstance(fill_value, tuple) else (fill_value,) * x.ndim
    if len(fills) != x.ndim:
        raise ValueError(
            f"nonzero: fill_value has {len(fills)} entries for an array of {x.ndim} axes"
        )
    found = np.arange(size) < count_nonzero(x)
    coords = unravel_index(flatnonzero(x, size=size, fill_value=0), x.shape)
    return tuple(
        c if fill is None else uf.where(found, c, np.asarray(fill, c.dtype))
        for c, fill in zip(coords, fills, strict=True)
    )


def _static_int(v: Any) -> int | None:
    return None if v is None else operator.index(v)


def index_spec(index: Any) -> tuple[tuple, list]:
    """Split a NumPy index into a hashable static spec and its index-array operands."""
    items = index if isinstance(index, tuple) else (index,)
    spec: list = []
    arrays: list = []
    for item in items:
        if item is None or item is Ellipsis:
            spec.append(item)
        elif isinstance(item, slice):
            spec.append(("s", *map(_static_int, (item.start, item.stop, item.step))))
        elif isinstance(item, (bool, np.bool_)):
            raise errors.UnsupportedFunctionError(
                "getitem: a scalar boolean index is not supported; use tnp.where"
            )
        elif isinstance(item, (int, np.integer)):
            spec.append(int(item))
        else:
            arr = asarray_or_tracer(item)
            if arr.dtype == np.bool_:
                for nz in nonzero(arr):
                    spec.append(("a", len(arrays)))
                    arrays.append(nz)
            elif np.issubdtype(arr.dtype, np.integer):
                spec.append(("a", len(arrays)))
                arrays.append(arr)
            else:
                raise IndexError(
                    errors.at_user_line(
                        "getitem: indices must be integers, slices, None, ..., or integer or "
                        f"boolean arrays; got an array of dtype {arr.dtype}"
                    )
                )
    return tuple(spec), arrays


def getitem(x: Any, index: Any) -> Any:
    """``x[index]`` with NumPy's basic and advanced indexing; its gradient scatter-adds."""
    spec, arrays = index_spec(index)
    return sp.getitem.bind(asarray_or_tracer(x), *arrays, spec=spec)


def take(a: Any, indices: Any, axis: int | None = None) -> Any:
    a = asarray_or_tracer(a)
    if axis is None:  # getitem, not NumPy's []: a NumPy constant with traced indices works
        return getitem(ravel(a), asarray_or_tracer(indices))
    axis = normalize_axis(axis, a.ndim, "take")
    return getitem(a, (slice(None),) * axis + (asarray_or_tracer(indices),))
