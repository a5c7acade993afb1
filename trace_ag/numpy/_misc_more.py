"""The rest of NumPy's top level for ``trace_ag.numpy``: functional helpers built on ``vmap``
(``apply_along_axis``, ``vectorize``, as in JAX), construction (``block``, ``fromfunction``,
``resize``, ``copy``), comparisons (``array_equal``, ``array_equiv``), bit packing, and NumPy's
own input/output and printing functions (they see concrete arrays only).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag.core import Tracer, shape_error
from trace_ag.numpy import _reductions as red
from trace_ag.numpy import _shape as shp
from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, normalize_axis, promote

frombuffer, fromstring = np.frombuffer, np.fromstring
load, save, savez = np.load, np.save, np.savez
array_repr, array_str = np.array_repr, np.array_str
printoptions, get_printoptions, set_printoptions = (
    np.printoptions,
    np.get_printoptions,
    np.set_printoptions,
)


def _vmap(f: Callable, in_axes: Any = 0) -> Callable:
    from trace_ag import vmap

    return vmap(f, in_axes=in_axes)


def apply_along_axis(func1d: Callable, axis: int, arr: Any, *args: Any, **kwargs: Any) -> Any:
    """``func1d`` applied to each 1-D slice of ``arr`` along ``axis`` (by ``vmap`` over the other
    axes); the output's dimensions replace ``axis``.

    Examples:
        >>> tnp.apply_along_axis(lambda v: v[0] + v[-1], 1, np.arange(6.0).reshape(2, 3))
        array([2., 8.])
    """
    arr = asarray_or_tracer(arr)
    axis = normalize_axis(axis, arr.ndim, "apply_along_axis")
    f = lambda v: func1d(v, *args, **kwargs)  # noqa: E731
    for _ in range(arr.ndim - 1):
        f = _vmap(f)
    moved = shp.moveaxis(arr, axis, -1)
    out = asarray_or_tracer(f(moved))
    extra = out.ndim - (arr.ndim - 1)
    return shp.moveaxis(out, tuple(range(arr.ndim - 1, out.ndim)), tuple(range(axis, axis + extra)))


def apply_over_axes(func: Callable, a: Any, axes: Any) -> Any:
    """``func(a, axis)`` applied for each axis in turn, keeping the dimensions."""
    a = asarray_or_tracer(a)
    for axis in (axes,) if np.ndim(axes) == 0 else axes:
        out = asarray_or_tracer(func(a, axis))
        if out.ndim == a.ndim - 1:
            out = shp.expand_dims(out, normalize_axis(axis, a.ndim, "apply_over_axes"))
        elif out.ndim != a.ndim:
            raise ValueError("apply_over_axes: func must keep or drop exactly the given axis")
        a = out
    return a


_DIMS = re.compile(r"\(([^()]*)\)")


def _parse_signature(signature: str) -> tuple[list, list]:
    inputs, outputs = signature.replace(" ", "").split("->")
    parse = lambda part: [tuple(d for d in g.split(",") if d) for g in _DIMS.findall(part)]  # noqa: E731
    return parse(inputs), parse(outputs)


class vectorize:  # noqa: N801  (NumPy's name)
    """``pyfunc`` mapped over broadcast arrays by ``vmap`` (it is traced once, not called per
    element), with NumPy's ``excluded`` and generalized-ufunc ``signature``, as in JAX.

    Examples:
        >>> f = tnp.vectorize(lambda a, b: a * b + 1.0)
        >>> f(np.array([1.0, 2.0]), np.array([[1.0], [3.0]]))
        array([[2., 3.],
               [4., 7.]])
        >>> tnp.vectorize(lambda v: v.sum(), signature="(n)->()")(np.ones((2, 3)))
        array([3., 3.])
    """

    def __init__(
        self,
        pyfunc: Callable,
        otypes: Any = None,
        doc: Any = None,
        excluded: Any = None,
        cache: bool = False,
        signature: str | None = None,
    ):
        self.pyfunc, self.excluded, self.signature = pyfunc, set(excluded or ()), signature
        functools.update_wrapper(self, pyfunc)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        static = {i: a for i, a in enumerate(args) if i in self.excluded}
        kw_static = {k: v for k, v in kwargs.items() if k in self.excluded}
        mapped_kw = {k: v for k, v in kwargs.items() if k not in self.excluded}
        names = list(mapped_kw)
        arrays = [asarray_or_tracer(a) for i, a in enumerate(args) if i not in self.excluded]
        arrays += [asarray_or_tracer(mapped_kw[k]) for k in names]
        n_pos = len(arrays) - len(names)

        def call(*vals: Any) -> Any:
            it = iter(vals[:n_pos])
            full = [static[i] if i in static else next(it) for i in range(len(args))]
            return self.pyfunc(*full, **kw_static, **dict(zip(names, vals[n_pos:], strict=True)))

        core = [()] * len(arrays)
        if self.signature is not None:
            core, _ = _parse_signature(self.signature)
            if len(core) != len(arrays):
                raise ValueError(
                    f"vectorize: signature {self.signature!r} wants {len(core)} inputs"
                )
        loop = [a.shape[: a.ndim - len(c)] for a, c in zip(arrays, core, strict=True)]
        if any(a.ndim < len(c) for a, c in zip(arrays, core, strict=True)):
            raise shape_error("vectorize", f"inputs have too few dimensions for {self.signature}")
        shape = np.broadcast_shapes(*loop)
        flat = [
            shp.reshape(shp.broadcast_to(a, shape + a.shape[len(s) :]), (-1,) + a.shape[len(s) :])
            for a, s in zip(arrays, loop, strict=True)
        ]
        size = int(np.prod(shape))
        if size == 0:
            raise ValueError("vectorize: empty inputs are not supported")
        out = _vmap(call)(*flat)
        unflat = lambda o: shp.reshape(o, shape + tuple(o.shape[1:]))  # noqa: E731
        return tuple(unflat(o) for o in out) if isinstance(out, tuple) else unflat(out)


def fromfunction(function: Callable, shape: Sequence[int], *, dtype: Any = float, **kwargs):
    """``function(*indices)`` with one index array per axis of ``shape`` (called once)."""
    return function(*np.indices(tuple(shape), dtype=dtype), **kwargs)


def array_equal(a1: Any, a2: Any, equal_nan: bool = False) -> Any:
    """True if the arrays have one shape and equal elements (nan equal to nan if asked)."""
    a1, a2 = asarray_or_tracer(a1), asarray_or_tracer(a2)
    if a1.shape != a2.shape:
        return np.False_
    a1, a2 = promote(a1, a2)
    same = uf.equal(a1, a2)
    if equal_nan and np.dtype(a1.dtype).kind in "fc":
        same = uf.logical_or(same, uf.logical_and(uf.isnan(a1), uf.isnan(a2)))
    return red.all(same)


def array_equiv(a1: Any, a2: Any) -> Any:
    """True if the arrays broadcast together and are equal elementwise."""
    a1, a2 = promote(a1, a2)
    try:
        np.broadcast_shapes(a1.shape, a2.shape)
    except ValueError:
        return np.False_
    return red.all(uf.equal(a1, a2))


def _block_depth(arrays: Any) -> int:
    return 1 + _block_depth(arrays[0]) if isinstance(arrays, list) and arrays else 0


def block(arrays: Any) -> Any:
    """An array assembled from nested lists of blocks: the innermost lists join along the
    last axis, the next along the one before, and so on.

    Examples:
        >>> tnp.block([[np.eye(2), np.zeros((2, 1))], [np.ones((1, 2)), np.full((1, 1), 5.0)]])
        array([[1., 0., 0.],
               [0., 1., 0.],
               [1., 1., 5.]])
    """
    if isinstance(arrays, tuple):
        raise TypeError("block: nested sequences must be lists, not tuples")
    depth = _block_depth(arrays)

    def leaves(x: Any) -> list:
        return [leaf for item in x for leaf in leaves(item)] if isinstance(x, list) else [x]

    ndim = max(
        [depth]
        + [np.ndim(leaf) if not isinstance(leaf, Tracer) else leaf.ndim for leaf in leaves(arrays)]
    )

    def build(x: Any, level: int) -> Any:
        if not isinstance(x, list):
            x = asarray_or_tracer(x)
            return shp.reshape(x, (1,) * (ndim - x.ndim) + tuple(x.shape))
        if not x:
            raise ValueError("block: lists cannot be empty")
        return shp.concatenate([build(item, level + 1) for item in x], axis=level - depth)

    return build(arrays, 0) if depth else asarray_or_tracer(arrays)


def resize(a: Any, new_shape: Any) -> Any:
    """``a`` flattened, repeated cyclically and reshaped to ``new_shape``.

    Examples:
        >>> tnp.resize(np.array([1, 2, 3]), (2, 4))
        array([[1, 2, 3, 1],
               [2, 3, 1, 2]])
    """
    a = shp.ravel(asarray_or_tracer(a))
    new_shape = (int(new_shape),) if np.ndim(new_shape) == 0 else tuple(int(s) for s in new_shape)
    size = int(np.prod(new_shape))
    if a.shape[0] == 0 or size == 0:
        return np.zeros(new_shape, a.dtype)
    reps = -(-size // a.shape[0])
    return shp.reshape(shp.concatenate([a] * reps)[:size], new_shape)


def copy(a: Any, order: str = "K") -> Any:
    """A copy of ``a`` (tracers are immutable, so they are returned as they are)."""
    a = asarray_or_tracer(a)
    return a if isinstance(a, Tracer) else np.array(a, copy=True)


def _byte_operand(fn: str, a: Any, bitorder: str) -> Any:
    a = asarray_or_tracer(a)
    if a.dtype.kind not in "iub":
        raise TypeError(f"{fn}: needs an integer or boolean array, got {a.dtype}")
    if bitorder not in ("big", "little"):
        raise ValueError(f"{fn}: bitorder must be 'big' or 'little', got {bitorder!r}")
    return a


def packbits(a: Any, axis: int | None = None, bitorder: str = "big") -> Any:
    """Groups of 8 truth values along ``axis`` (None: flattened) packed into uint8 bytes.

    Examples:
        >>> tnp.packbits(np.array([1, 0, 1, 1, 0, 0, 0, 0, 1]))
        array([176, 128], dtype=uint8)
    """
    a = _byte_operand("packbits", a, bitorder)
    if axis is None:
        a, axis = shp.ravel(a), 0
    axis = normalize_axis(axis, a.ndim, "packbits")
    bits = uf.astype(uf.not_equal(shp.moveaxis(a, axis, -1), 0), np.uint8)
    pad = -bits.shape[-1] % 8
    bits = shp.pad(bits, [(0, 0)] * (bits.ndim - 1) + [(0, pad)])
    bits = shp.reshape(bits, tuple(bits.shape[:-1]) + (-1, 8))
    weights = np.array([128, 64, 32, 16, 8, 4, 2, 1], np.uint8)
    weights = weights if bitorder == "big" else weights[::-1]
    packed = red.sum(bits * weights, axis=-1, dtype=np.uint8)
    return shp.moveaxis(packed, -1, axis)


def unpackbits(
    a: Any, axis: int | None = None, count: int | None = None, bitorder: str = "big"
) -> Any:
    """The bits of uint8 ``a`` along ``axis`` (None: flattened), 8 per byte.

    Examples:
        >>> tnp.unpackbits(np.array([176], np.uint8))
        array([1, 0, 1, 1, 0, 0, 0, 0], dtype=uint8)
    """
    from trace_ag.numpy._bits import bitwise_and, right_shift

    a = _byte_operand("unpackbits", a, bitorder)
    if a.dtype != np.uint8:
        raise TypeError(f"unpackbits: needs a uint8 array, got {a.dtype}")
    if axis is None:
        a, axis = shp.ravel(a), 0
    axis = normalize_axis(axis, a.ndim, "unpackbits")
    moved = shp.moveaxis(a, axis, -1)[..., None]
    shifts = (
        np.arange(7, -1, -1, dtype=np.uint8) if bitorder == "big" else np.arange(8, dtype=np.uint8)
    )
    bits = bitwise_and(right_shift(moved, shifts), np.uint8(1))
    bits = shp.reshape(bits, tuple(bits.shape[:-2]) + (-1,))
    if count is not None:
        bits = bits[..., :count] if count >= 0 else bits[..., : bits.shape[-1] + count]
    return shp.moveaxis(bits, -1, axis)
