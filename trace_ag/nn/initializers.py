"""``jax.nn.initializers``: functions ``init(key, shape, dtype) -> array``, drawn with
``trace_ag.random`` by JAX's algorithms, so the same key gives JAX's values.

Examples:
    >>> from trace_ag import random
    >>> init = glorot_normal()
    >>> init(random.PRNGKey(0), (3, 4)).shape
    (3, 4)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag import random

Initializer = Callable[..., Any]
AxisArg = int | Sequence[int]

__all__ = [
    "Initializer",
    "constant",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "orthogonal",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]


def _dtype(dtype: Any) -> np.dtype:
    return np.dtype(np.float64 if dtype is None else dtype)


def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)


def zeros(key: Any, shape: Sequence[int], dtype: Any = None) -> Any:
    """An array of zeros; the key is unused."""
    return np.zeros(_shape(shape), _dtype(dtype))


def ones(key: Any, shape: Sequence[int], dtype: Any = None) -> Any:
    """An array of ones; the key is unused."""
    return np.ones(_shape(shape), _dtype(dtype))


def constant(value: Any, dtype: Any = None) -> Initializer:
    """An initializer filling every entry with ``value``."""

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Any:
        return tnp.full(_shape(shape), value, _dtype(dtype))

    return init


def uniform(scale: Any = 1e-2, dtype: Any = None) -> Initializer:
    """Uniform on ``[0, scale)``."""

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Any:
        dtype = _dtype(dtype)
        return random.uniform(key, _shape(shape), dtype) * np.array(scale, dtype)

    return init


def normal(stddev: Any = 1e-2, dtype: Any = None) -> Initializer:
    """Normal with mean 0 and standard deviation ``stddev``."""

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Any:
        dtype = _dtype(dtype)
        return random.normal(key, _shape(shape), dtype) * np.array(stddev, dtype)

    return init


def truncated_normal(
    stddev: Any = 1e-2, dtype: Any = None, lower: Any = -2.0, upper: Any = 2.0
) -> Initializer:
    """A standard normal truncated to ``[lower, upper]``, times ``stddev``."""

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Any:
        dtype = _dtype(dtype)
        sample = random.truncated_normal(key, lower, upper, _shape(shape), dtype)
        return sample * np.array(stddev, dtype)

    return init


def _size(shape: tuple[int, ...], axes: AxisArg) -> int:
    if isinstance(axes, (int, np.integer)):
        return shape[axes]
    return math.prod(shape[i] for i in axes)


def _compute_fans(
    shape: tuple[int, ...], in_axis: AxisArg = -2, out_axis: AxisArg = -1, batch_axis: AxisArg = ()
) -> tuple[float, float]:
    """``(fan_in, fan_out)`` of a weight of ``shape``, as JAX computes them."""
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(
            f"Can't compute input and output sizes of a {len(shape)}-dimensional weights "
            "tensor with default in_axis. Must be at least 2D or specify in_axis explicitly."
        )
    in_size, out_size = _size(shape, in_axis), _size(shape, out_axis)
    receptive = math.prod(shape) / in_size / out_size / _size(shape, batch_axis)
    return in_size * receptive, out_size * receptive


def variance_scaling(
    scale: Any,
    mode: str,
    distribution: str,
    in_axis: AxisArg = -2,
    out_axis: AxisArg = -1,
    batch_axis: AxisArg = (),
    dtype: Any = None,
) -> Initializer:
    """Samples with variance ``scale / fan`` (``mode``: fan_in, fan_out, fan_avg, fan_geo_avg)
    from ``distribution``: truncated_normal, normal or uniform (real dtypes only)."""
    if mode not in ("fan_in", "fan_out", "fan_avg", "fan_geo_avg"):
        raise ValueError(f"invalid mode for variance scaling initializer: {mode}")
    if distribution not in ("truncated_normal", "normal", "uniform"):
        raise ValueError(f"invalid distribution for variance scaling initializer: {distribution}")

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Any:
        shape, dtype = _shape(shape), _dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"variance_scaling: only real float dtypes are supported, got {dtype}")
        fan_in, fan_out = _compute_fans(shape, in_axis, out_axis, batch_axis)
        denominator = {
            "fan_in": fan_in,
            "fan_out": fan_out,
            "fan_avg": (fan_in + fan_out) / 2,
            "fan_geo_avg": (fan_in * fan_out) ** 0.5,
        }[mode]
        variance = np.array(scale / denominator, dtype)
        if distribution == "truncated_normal":
            stddev = np.sqrt(variance) / np.array(0.8796256610342398, dtype)
            return random.truncated_normal(key, -2, 2, shape, dtype) * stddev
        if distribution == "normal":
            return random.normal(key, shape, dtype) * np.sqrt(variance)
        return random.uniform(key, shape, dtype, -1) * np.sqrt(3 * variance)

    return init


def _family(name: str, scale: float, mode: str, distribution: str) -> Callable[..., Initializer]:
    def make(
        in_axis: AxisArg = -2, out_axis: AxisArg = -1, batch_axis: AxisArg = (), dtype: Any = None
    ) -> Initializer:
        return variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis, dtype)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"``variance_scaling({scale}, {mode!r}, {distribution!r})``."
    return make


glorot_uniform = xavier_uniform = _family("glorot_uniform", 1.0, "fan_avg", "uniform")
glorot_normal = xavier_normal = _family("glorot_normal", 1.0, "fan_avg", "truncated_normal")
lecun_uniform = _family("lecun_uniform", 1.0, "fan_in", "uniform")
lecun_normal = _family("lecun_normal", 1.0, "fan_in", "truncated_normal")
he_uniform = kaiming_uniform = _family("he_uniform", 2.0, "fan_in", "uniform")
he_normal = kaiming_normal = _family("he_normal", 2.0, "fan_in", "truncated_normal")


def orthogonal(scale: Any = 1.0, column_axis: int = -1, dtype: Any = None) -> Initializer:
    """A (semi-)orthogonal matrix from ``random.orthogonal``, reshaped so ``column_axis`` holds
    the columns."""

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Any:
        shape, dtype = _shape(shape), _dtype(dtype)
        if len(shape) < 2:
            raise ValueError("orthogonal initializer requires at least a 2D shape")
        if 0 in shape:
            return np.zeros(shape, dtype)
        n_rows, n_cols = math.prod(shape) // shape[column_axis], shape[column_axis]
        q = random.orthogonal(key, n_rows, (), dtype, n_cols)
        q = tnp.reshape(q, (*np.delete(shape, column_axis), shape[column_axis]))
        return np.array(scale, dtype) * tnp.moveaxis(q, -1, column_axis)

    return init
