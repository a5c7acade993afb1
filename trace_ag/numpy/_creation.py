"""Array creation: constants are ``ag.Array``s (NumPy arrays with JAX's ``.at``; they enter a
trace as constants); only values computed from tracers, like ``full(shape, tracer)``, record
primitives."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from trace_ag import config
from trace_ag.core import Tracer, as_array, dtype_of
from trace_ag.numpy import _shape as shp
from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, python_data_dtype


def _default(dtype: Any) -> Any:
    return config.default_float_dtype if dtype is None else dtype


def _returns_array(fn):
    """What ``fn`` makes with NumPy, returned as an ``ag.Array`` (tracers pass through)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return as_array(fn(*args, **kwargs))

    return wrapper


@_returns_array
def zeros(shape: Any, dtype: Any = None) -> np.ndarray:
    return np.zeros(shape, _default(dtype))


@_returns_array
def ones(shape: Any, dtype: Any = None) -> np.ndarray:
    return np.ones(shape, _default(dtype))


@_returns_array
def empty(shape: Any, dtype: Any = None) -> np.ndarray:
    return np.zeros(shape, _default(dtype))  # never uninitialized memory


@_returns_array
def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> np.ndarray:  # noqa: N803
    return np.eye(N, M, k, dtype=_default(dtype))


@_returns_array
def identity(n: int, dtype: Any = None) -> np.ndarray:
    return np.identity(n, _default(dtype))


@_returns_array
def arange(*args: Any, dtype: Any = None, **kwargs: Any) -> np.ndarray:
    out = np.arange(*args, dtype=dtype, **kwargs)
    return python_data_dtype(out) if dtype is None else out


@_returns_array
def array(x: Any, dtype: Any = None, copy: bool = True) -> Any:
    """``numpy.array`` that keeps tracers traced (lists of tracers are stacked)."""
    x = asarray_or_tracer(x)
    if dtype is not None:
        x = uf.astype(x, dtype)
    return np.array(x, copy=copy) if isinstance(x, (np.ndarray, np.generic)) else x


@_returns_array
def asarray(x: Any, dtype: Any = None) -> Any:
    x = asarray_or_tracer(x)
    return uf.astype(x, dtype) if dtype is not None else x


@_returns_array
def full(shape: Any, fill_value: Any, dtype: Any = None) -> Any:
    """An array of ``shape`` filled with ``fill_value`` (which may be traced)."""
    if isinstance(fill_value, Tracer):
        value = uf.astype(fill_value, dtype) if dtype is not None else fill_value
        return shp.broadcast_to(value, shape)
    if dtype is None and not isinstance(fill_value, (np.ndarray, np.generic)):
        return python_data_dtype(np.full(shape, fill_value))
    return np.full(shape, fill_value, dtype)


@_returns_array
def zeros_like(x: Any, dtype: Any = None, shape: Any = None) -> Any:
    return np.zeros(np.shape(x) if shape is None else shape, dtype or dtype_of(x))


@_returns_array
def ones_like(x: Any, dtype: Any = None, shape: Any = None) -> Any:
    return np.ones(np.shape(x) if shape is None else shape, dtype or dtype_of(x))


def empty_like(x: Any, dtype: Any = None, shape: Any = None) -> Any:
    return zeros_like(x, dtype, shape)


@_returns_array
def full_like(x: Any, fill_value: Any, dtype: Any = None, shape: Any = None) -> Any:
    return full(np.shape(x) if shape is None else shape, fill_value, dtype or dtype_of(x))


@_returns_array
def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None):
    """Evenly spaced numbers; differentiable in ``start`` and ``stop`` when they are traced."""
    if not isinstance(start, Tracer) and not isinstance(stop, Tracer):
        out = np.linspace(start, stop, num, endpoint=endpoint, dtype=dtype)
        python = not isinstance(start, np.ndarray | np.generic) and not isinstance(
            stop, np.ndarray | np.generic
        )
        return python_data_dtype(out) if dtype is None and python else out
    start, stop = asarray_or_tracer(start), asarray_or_tracer(stop)
    steps = np.linspace(0.0, 1.0, num, endpoint=endpoint).astype(dtype_of(start))
    out = start + (stop - start) * steps
    return uf.astype(out, dtype) if dtype is not None else out
