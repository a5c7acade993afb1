"""Argument handling shared by ``trace_ag.numpy``: NumPy 2 type promotion, axis normalization.

Python scalars are *weak* (NEP 50): ``float32_array * 2.0`` stays float32. Primitives receive
operands of one dtype, so promotion happens here, once, as in ``jax.numpy``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from trace_ag import config
from trace_ag.core import Tracer, shape_error
from trace_ag.primitives import elementwise as ew

PY_SCALARS = (bool, int, float, complex)
ARRAY_TYPES = (Tracer, np.ndarray, np.generic)


def asarray_or_tracer(x: Any) -> Any:
    """Tracers and NumPy values pass through; everything else becomes a NumPy array."""
    if isinstance(x, ARRAY_TYPES):
        return x
    if isinstance(x, (list, tuple)) and any(isinstance(v, Tracer) for v in _flat(x)):
        from trace_ag.numpy._shape import stack

        return stack([asarray_or_tracer(v) for v in x])
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError(f"cannot interpret {type(x).__name__} as an array: {x!r:.80}")
    return arr if isinstance(x, np.ndarray) else python_data_dtype(arr)


_WIDE_TO_DEFAULT = {np.dtype(np.float64): "f", np.dtype(np.complex128): "c"}


def python_data_dtype(arr: Any) -> Any:
    """``arr``, made from Python numbers, in the default float (``config.default_float``):
    float64 and complex128 become float32 and complex64 in float32 mode."""
    if config.default_float_dtype.itemsize == 8:
        return arr
    kind = _WIDE_TO_DEFAULT.get(arr.dtype)
    if kind is None:
        return arr
    return arr.astype(np.float32 if kind == "f" else np.complex64)


def _flat(x):
    for v in x:
        if isinstance(v, (list, tuple)):
            yield from _flat(v)
        else:
            yield v


def _promotion_key(x: Any) -> Any:
    return x if isinstance(x, PY_SCALARS) else x.dtype


def result_dtype(*args: Any) -> np.dtype:
    """NumPy 2's result dtype, with Python scalars weak (and, when all operands are Python
    numbers, in the default float)."""
    dtype = np.result_type(*[_promotion_key(a) for a in args])
    if config.default_float_dtype.itemsize != 8 and all(isinstance(a, PY_SCALARS) for a in args):
        return python_data_dtype(np.empty(0, dtype)).dtype
    return dtype


def cast(x: Any, dtype: np.dtype) -> Any:
    if isinstance(x, PY_SCALARS):
        return dtype.type(x)
    return x if x.dtype == dtype else ew.astype.bind(x, dtype=dtype)


def promote(*args: Any) -> list:
    """Bring operands to their common NumPy 2 dtype (Python scalars weak)."""
    args = [a if isinstance(a, PY_SCALARS) else asarray_or_tracer(a) for a in args]
    dtype = result_dtype(*args)
    return [cast(a, dtype) for a in args]


def float_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype NumPy computes ``exp`` etc. in: ints and bools go to the smallest safe float
    (to float32, as in JAX, when ``config.default_float`` is float32)."""
    if np.issubdtype(dtype, np.inexact):
        return dtype
    if config.default_float_dtype.itemsize != 8:
        return config.default_float_dtype
    return np.result_type(dtype, np.float16)


def promote_float(*args: Any) -> list:
    args = promote(*args)
    dtype = float_dtype(result_dtype(*args))
    return [cast(a, dtype) for a in args]


def normalize_axis(axis: int, ndim: int, fn: str) -> int:
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise shape_error(fn, f"axis {axis} is out of bounds for an array of {ndim} dimensions")
    return axis % ndim


def normalize_axes(axis: int | Sequence[int] | None, ndim: int, fn: str) -> tuple[int, ...]:
    """``None`` means all axes; negative axes count from the end; duplicates are errors."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    normalized = tuple(sorted(normalize_axis(a, ndim, fn) for a in axes))
    if len(set(normalized)) != len(normalized):
        raise shape_error(fn, f"repeated axis in {axis}")
    return normalized
