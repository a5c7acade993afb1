"""``x.at[idx].set(v)`` and friends: JAX's functional indexed updates.

``x.at[idx]`` (on a tracer) or ``tnp.at(x)[idx]`` (on anything, NumPy arrays included, which
have no ``.at``) returns a reference whose methods ``get``, ``set``, ``add``, ``subtract``,
``multiply``/``mul``, ``divide``, ``power``, ``min``, ``max`` and ``apply`` return a *new*
array; ``x`` is never changed.

The index is NumPy's (ints, slices, ``...``, ``None``, integer arrays, traced integers, static
boolean masks). Out-of-bounds indices follow ``mode``, as in JAX:

- ``"promise_in_bounds"`` (the default): updates drop them, ``get`` clips them;
- ``"clip"``: clamped into range;
- ``"drop"`` / ``"fill"``: updates ignore them, ``get`` returns ``fill_value`` there (NaN for
  floats, the lowest value for signed ints, the highest for unsigned, ``True`` for bools).

Negative indices count from the end unless ``wrap_negative_indices=False``. A dropped or
filled index is sent to one extra slot padded onto its axis, which the result leaves out, so
every mode is a plain scatter or gather with in-bounds indices.

Updates are broadcast to ``x[idx]``'s shape and combined in the dtype NumPy promotes ``x`` and
them to, then cast back to ``x``'s dtype (as JAX does); ``divide`` and ``power`` follow JAX:
``x / ones.at[idx].multiply(v)``, so ints give floats. With repeated indices ``add``,
``multiply``, ``min`` and ``max`` combine every update; ``set`` keeps the last one in index
order (JAX leaves this unspecified).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag import numpy as tnp
from trace_ag.core import Tracer, shape_error
from trace_ag.numpy._base import PY_SCALARS, asarray_or_tracer, cast, result_dtype
from trace_ag.numpy._shape import index_spec
from trace_ag.primitives import scatter as sc
from trace_ag.primitives.shape import getitem, scatter_add

_MODES = ("promise_in_bounds", "clip", "drop", "fill")


def at(x: Any) -> _IndexUpdateHelper:
    """``x.at`` for any array: ``tnp.at(x)[idx].set(v)`` returns a new array.

    Examples:
        >>> x = np.zeros(4)
        >>> tnp.at(x)[1].set(5.0)
        array([0., 5., 0., 0.])
        >>> tnp.at(x)[np.array([0, 0, 2])].add(1.0)
        array([2., 0., 1., 0.])
        >>> x   # unchanged
        array([0., 0., 0., 0.])
        >>> print(tnp.at(np.arange(3.0))[5].get(mode="fill", fill_value=-1.0))
        -1.0
    """
    return _IndexUpdateHelper(asarray_or_tracer(x))


class _IndexUpdateHelper:
    """``x.at``: indexing it gives an ``_IndexUpdateRef``."""

    __slots__ = ("array",)

    def __init__(self, array: Any):
        self.array = array

    def __getitem__(self, index: Any) -> _IndexUpdateRef:
        return _IndexUpdateRef(self.array, index)

    def __repr__(self) -> str:
        return f"_IndexUpdateHelper({self.array!r})"


def _check_mode(mode: Any, fn: str) -> str:
    if mode is None:
        return "promise_in_bounds"
    mode = getattr(mode, "name", mode)  # a GatherScatterMode-like enum
    mode = {"FILL_OR_DROP": "drop", "CLIP": "clip", "PROMISE_IN_BOUNDS": "promise_in_bounds"}.get(
        mode, mode
    )
    if mode not in _MODES:
        raise ValueError(
            errors.at_user_line(f".at[].{fn}: mode must be one of {_MODES} or None, got {mode!r}")
        )
    return mode


def _default_fill(dtype: np.dtype) -> Any:
    if np.issubdtype(dtype, np.inexact):
        return np.nan
    if np.issubdtype(dtype, np.signedinteger):
        return np.iinfo(dtype).min
    if np.issubdtype(dtype, np.unsignedinteger):
        return np.iinfo(dtype).max
    return True


def _expand_masks(index: Any) -> tuple:
    """The index as a tuple, each boolean mask replaced by its (static) ``nonzero`` arrays."""
    items = index if isinstance(index, tuple) else (index,)
    out: list = []
    for item in items:
        if isinstance(item, (bool, np.bool_)):
            raise errors.UnsupportedFunctionError(
                errors.at_user_line(".at[]: a scalar boolean index is not supported")
            )
        if (
            isinstance(item, (list, np.ndarray, Tracer))
            and np.dtype(getattr(item, "dtype", None) or np.asarray(item).dtype) == np.bool_
        ):
            out.extend(tnp.nonzero(item))
        elif isinstance(item, list):
            out.append(np.asarray(item))
        else:
            out.append(item)
    return tuple(out)


def _axes_of(items: tuple, ndim: int, shape: tuple) -> list:
    """The axis of ``x`` that each index item refers to (None for ``None``/``...``)."""
    consumed = sum(1 for i in items if i is not None and i is not Ellipsis)
    if consumed > ndim:
        raise errors.InvalidIndexError(
            errors.at_user_line(
                f".at[]: too many indices ({consumed}) for an array of shape {shape}"
            )
        )
    axes: list = []
    axis = 0
    for item in items:
        if item is None:
            axes.append(None)
        elif item is Ellipsis:
            axes.append(None)
            axis += ndim - consumed
        else:
            axes.append(axis)
            axis += 1
    return axes


class _Normalized:
    """An index with every int and index array in bounds: ``items`` index ``x`` padded with
    one slot on each axis in ``padded`` (where out-of-bounds indices now point)."""

    def __init__(self, items: tuple, padded: list, unique: bool):
        self.items = items
        self.padded = padded
        self.unique = unique


def _normalize_int(k: int, n: int, mode: str, wrap: bool) -> tuple[int, bool]:
    if wrap and k < 0:
        k += n
    if 0 <= k < n:
        return k, False
    if mode == "clip":
        return min(max(k, 0), n - 1), False
    return n, True


def _normalize_array(a: Any, n: int, mode: str, wrap: bool) -> tuple[Any, bool]:
    if not np.issubdtype(np.dtype(a.dtype), np.integer):
        raise errors.InvalidIndexError(
            errors.at_user_line(f".at[]: index arrays must be integers, got {a.dtype}")
        )
    concrete = a if isinstance(a, np.ndarray) else None
    if wrap:
        a = tnp.where(a < 0, a + n, a)
        concrete = a if isinstance(a, np.ndarray) else None
    if concrete is not None and np.all((concrete >= 0) & (concrete < n)):
        return concrete, False
    if mode == "clip":
        return tnp.clip(a, 0, max(n - 1, 0)), False
    return tnp.where((a >= 0) & (a < n), a, n), True


def _is_unique(items: tuple, axes: list, shape: tuple, padded: list) -> bool:
    """Whether the normalized index provably names each place once: basic indexing does;
    concrete index arrays are checked (places sent to a padding slot do not count)."""
    arrays = [(i, item) for i, item in enumerate(items) if not isinstance(item, (int, slice))]
    arrays = [(i, a) for i, a in arrays if a is not None and a is not Ellipsis]
    if not arrays:
        return True
    if not all(isinstance(a, np.ndarray) for _, a in arrays):
        return False
    columns = np.broadcast_arrays(*[a for _, a in arrays])
    rows = np.stack([c.reshape(-1) for c in columns], axis=1)
    live = np.ones(len(rows), bool)
    for col, (i, _) in enumerate(arrays):
        if axes[i] in padded:
            live &= rows[:, col] != shape[axes[i]]
    rows = rows[live]
    return len(np.unique(rows, axis=0)) == len(rows)


def _normalize(x: Any, index: Any, mode: str, wrap: bool) -> _Normalized:
    items = _expand_masks(index)
    axes = _axes_of(items, x.ndim, x.shape)
    out: list = []
    padded: list = []
    for item, axis in zip(items, axes, strict=True):
        if axis is None or isinstance(item, slice):
            out.append(item)
            continue
        n = x.shape[axis]
        if isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)):
            item, pad = _normalize_int(int(item), n, mode, wrap)
        else:
            item, pad = _normalize_array(asarray_or_tracer(item), n, mode, wrap)
        if pad and axis not in padded:
            padded.append(axis)
        out.append(item)
    items = tuple(out)
    return _Normalized(items, padded, _is_unique(items, axes, x.shape, padded))


def _pad(x: Any, padded: list, value: Any) -> Any:
    if not padded:
        return x
    widths = [(0, 1 if axis in padded else 0) for axis in range(x.ndim)]
    return tnp.pad(x, widths, constant_values=value)


def _crop(out: Any, padded: list, shape: tuple) -> Any:
    if not padded:
        return out
    return out[tuple(slice(0, n) for n in shape)]


class _IndexUpdateRef:
    """``x.at[idx]``: the methods return new arrays (see the module docstring)."""

    __slots__ = ("array", "index")

    def __init__(self, array: Any, index: Any):
        self.array = array
        self.index = index

    def __repr__(self) -> str:
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(
        self,
        *,
        indices_are_sorted: bool = False,
        unique_indices: bool = False,
        mode: Any = None,
        fill_value: Any = None,
        wrap_negative_indices: bool = True,
    ) -> Any:
        """``x[idx]``, with out-of-bounds indices clipped (default) or filled (``mode="fill"``).

        Examples:
            >>> tnp.at(np.arange(4.0))[np.array([1, 7])].get()
            array([1., 3.])
        """
        x = self.array
        mode = _check_mode(mode, "get")
        gather_mode = "clip" if mode == "promise_in_bounds" else mode
        norm = _normalize(x, self.index, gather_mode, wrap_negative_indices)
        if fill_value is None:
            fill_value = _default_fill(np.dtype(x.dtype))
        elif np.ndim(fill_value) != 0:
            raise ValueError(errors.at_user_line(".at[].get: fill_value must be a scalar"))
        source = _pad(x, norm.padded, np.asarray(fill_value).astype(x.dtype).item())
        spec, arrays = index_spec(norm.items)
        return getitem.bind(source, *arrays, spec=spec)

    def _update(self, op: str, values: Any, mode: Any, unique: bool, wrap: bool) -> Any:
        x = self.array
        norm = _normalize(x, self.index, _check_mode(mode, op), wrap)
        if not isinstance(values, PY_SCALARS):  # Python numbers stay weak, as in JAX
            values = asarray_or_tracer(values)
        dtype = np.dtype(x.dtype) if op == "set" else result_dtype(x, values)
        source = _pad(cast(x, dtype), norm.padded, 0)
        spec, arrays = index_spec(norm.items)
        target = getitem.abstract_eval(_aval(source), *[_aval(a) for a in arrays], spec=spec).shape
        try:
            updates = tnp.broadcast_to(cast(values, dtype), target)
        except errors.ShapeError:
            raise shape_error(
                f".at[].{op}",
                f"values of shape {np.shape(values)} do not broadcast to the indexed shape "
                f"{target} of x {tuple(x.shape)}",
            ) from None
        if int(np.prod(target, dtype=np.int64)) == 0:
            return cast(x, x.dtype)
        unique = unique or norm.unique
        if op == "add":
            out = source + scatter_add.bind(updates, *arrays, spec=spec, shape=source.shape)
        else:
            prim = {"set": sc.scatter, "mul": sc.scatter_mul, "min": sc.scatter_min}.get(
                op, sc.scatter_max
            )
            out = prim.bind(source, updates, *arrays, spec=spec, unique_indices=unique)
        return cast(_crop(out, norm.padded, x.shape), np.dtype(x.dtype))

    def set(self, values: Any, *, indices_are_sorted: bool = False,
            unique_indices: bool = False, mode: Any = None,
            wrap_negative_indices: bool = True) -> Any:  # fmt: skip
        """``x[idx] = values``, as a new array (the last of repeated indices wins).

        Examples:
            >>> tnp.at(np.zeros(3))[np.array([0, 5])].set(1.0)   # 5 is dropped
            array([1., 0., 0.])
        """
        return self._update("set", values, mode, unique_indices, wrap_negative_indices)

    def add(self, values: Any, *, indices_are_sorted: bool = False,
            unique_indices: bool = False, mode: Any = None,
            wrap_negative_indices: bool = True) -> Any:  # fmt: skip
        """``x[idx] += values``; repeated indices add up.

        Examples:
            >>> tnp.at(np.zeros(3))[np.array([1, 1])].add(2.0)
            array([0., 4., 0.])
        """
        return self._update("add", values, mode, unique_indices, wrap_negative_indices)

    def subtract(self, values: Any, *, indices_are_sorted: bool = False,
                 unique_indices: bool = False, mode: Any = None,
                 wrap_negative_indices: bool = True) -> Any:  # fmt: skip
        """``x[idx] -= values``.

        Examples:
            >>> tnp.at(np.ones(3))[0].subtract(3.0)
            array([-2.,  1.,  1.])
        """
        negated = -values if isinstance(values, PY_SCALARS) else tnp.negative(values)
        return self._update("add", negated, mode, unique_indices, wrap_negative_indices)

    def multiply(self, values: Any, *, indices_are_sorted: bool = False,
                 unique_indices: bool = False, mode: Any = None,
                 wrap_negative_indices: bool = True) -> Any:  # fmt: skip
        """``x[idx] *= values``; repeated indices multiply in every value.

        Examples:
            >>> tnp.at(np.ones(3))[np.array([2, 2])].multiply(3.0)
            array([1., 1., 9.])
        """
        return self._update("mul", values, mode, unique_indices, wrap_negative_indices)

    mul = multiply

    def divide(self, values: Any, *, indices_are_sorted: bool = False,
               unique_indices: bool = False, mode: Any = None,
               wrap_negative_indices: bool = True) -> Any:  # fmt: skip
        """``x[idx] /= values`` (JAX's ``x / ones.at[idx].multiply(values)``: true division).

        Examples:
            >>> tnp.at(np.full(3, 6.0))[1].divide(4.0)
            array([6. , 1.5, 6. ])
        """
        factors = at(tnp.ones_like(self.array))[self.index].multiply(
            values, unique_indices=unique_indices, mode=mode,
            wrap_negative_indices=wrap_negative_indices,
        )  # fmt: skip
        return tnp.divide(self.array, factors)

    def power(self, values: Any, *, indices_are_sorted: bool = False,
              unique_indices: bool = False, mode: Any = None,
              wrap_negative_indices: bool = True) -> Any:  # fmt: skip
        """``x[idx] **= values`` (JAX's ``x ** ones.at[idx].multiply(values)``).

        Examples:
            >>> tnp.at(np.full(3, 2.0))[0].power(3.0)
            array([8., 2., 2.])
        """
        exponents = at(tnp.ones_like(self.array))[self.index].multiply(
            values, unique_indices=unique_indices, mode=mode,
            wrap_negative_indices=wrap_negative_indices,
        )  # fmt: skip
        return tnp.power(self.array, exponents)

    def min(self, values: Any, *, indices_are_sorted: bool = False,
            unique_indices: bool = False, mode: Any = None,
            wrap_negative_indices: bool = True) -> Any:  # fmt: skip
        """``x[idx] = minimum(x[idx], values)``, every repeated index taking part.

        Examples:
            >>> tnp.at(np.zeros(3))[np.array([0, 0, 1])].min(np.array([-1.0, -2.0, 3.0]))
            array([-2.,  0.,  0.])
        """
        return self._update("min", values, mode, unique_indices, wrap_negative_indices)

    def max(self, values: Any, *, indices_are_sorted: bool = False,
            unique_indices: bool = False, mode: Any = None,
            wrap_negative_indices: bool = True) -> Any:  # fmt: skip
        """``x[idx] = maximum(x[idx], values)``, every repeated index taking part.

        Examples:
            >>> tnp.at(np.zeros(3))[np.array([0, 0, 1])].max(np.array([1.0, 2.0, -3.0]))
            array([2., 0., 0.])
        """
        return self._update("max", values, mode, unique_indices, wrap_negative_indices)

    def apply(self, func: Any, *, indices_are_sorted: bool = False,
              unique_indices: bool = False, mode: Any = None,
              wrap_negative_indices: bool = True) -> Any:  # fmt: skip
        """``func`` (elementwise) applied at ``idx``, once per time an index occurs.

        Examples:
            >>> tnp.at(np.ones(3))[np.array([0, 0, 2])].apply(lambda v: v * 3.0)
            array([9., 1., 3.])
        """
        x = self.array
        times = at(np.zeros(x.shape, np.int64))[self.index].add(
            1, mode=mode, wrap_negative_indices=wrap_negative_indices
        )
        concrete = times.concrete_value() if isinstance(times, Tracer) else times
        if unique_indices:
            rounds = 1
        elif concrete is not None:
            rounds = int(np.max(concrete, initial=0))
        else:  # traced indices: at most as many rounds as index entries
            rounds = int(np.sum(np.ones(x.shape, np.int64)[_shape_only(self.index, x.shape)]))
            if rounds > 256:
                raise errors.UnsupportedFunctionError(
                    errors.at_user_line(
                        ".at[].apply with many traced indices: pass unique_indices=True, or "
                        "use concrete (NumPy) indices"
                    )
                )
        out = x
        for k in range(rounds):
            out = tnp.where(times > k, func(out), out)
        return cast(out, np.dtype(x.dtype))


def _aval(a: Any):
    from trace_ag.core import aval_of

    return aval_of(a)


def _shape_only(index: Any, shape: tuple) -> tuple:
    """A NumPy index of the same shape as ``index``, traced index arrays replaced by zeros."""
    items = index if isinstance(index, tuple) else (index,)
    return tuple(np.zeros(i.shape, np.intp) if isinstance(i, Tracer) else i for i in items)
