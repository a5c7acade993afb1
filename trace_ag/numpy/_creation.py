"""Array creation: constants are plain NumPy arrays (they enter a trace as constants); only
values computed from tracers, like ``full(shape, tracer)``, record primitives."""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag.core import Tracer, dtype_of
from trace_ag.numpy import _shape as shp
from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer

zeros = np.zeros
ones = np.ones
empty = np.empty
eye = np.eye
identity = np.identity
arange = np.arange


def array(x: Any, dtype: Any = None, copy: bool = True) -> Any:
    """``numpy.array`` that keeps tracers traced (lists of tracers are stacked)."""
    x = asarray_or_tracer(x)
    if dtype is not None:
        x = uf.astype(x, dtype)
    return np.array(x, copy=copy) if isinstance(x, (np.ndarray, np.generic)) else x


def asarray(x: Any, dtype: Any = None) -> Any:
    x = asarray_or_tracer(x)
    return uf.astype(x, dtype) if dtype is not None else x


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Any:
    """An array of ``shape`` filled with ``fill_value`` (which may be traced)."""
    if isinstance(fill_value, Tracer):
        value = uf.astype(fill_value, dtype) if dtype is not None else fill_value
        return shp.broadcast_to(value, shape)
    return np.full(shape, fill_value, dtype)


def zeros_like(x: Any, dtype: Any = None, shape: Any = None) -> Any:
    return np.zeros(np.shape(x) if shape is None else shape, dtype or dtype_of(x))


def ones_like(x: Any, dtype: Any = None, shape: Any = None) -> Any:
    return np.ones(np.shape(x) if shape is None else shape, dtype or dtype_of(x))


def empty_like(x: Any, dtype: Any = None, shape: Any = None) -> Any:
    return zeros_like(x, dtype, shape)


def full_like(x: Any, fill_value: Any, dtype: Any = None, shape: Any = None) -> Any:
    return full(np.shape(x) if shape is None else shape, fill_value, dtype or dtype_of(x))


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None):
    """Evenly spaced numbers; differentiable in ``start`` and ``stop`` when they are traced."""
    if not isinstance(start, Tracer) and not isinstance(stop, Tracer):
        return np.linspace(start, stop, num, endpoint=endpoint, dtype=dtype)
    start, stop = asarray_or_tracer(start), asarray_or_tracer(stop)
    steps = np.linspace(0.0, 1.0, num, endpoint=endpoint).astype(dtype_of(start))
    out = start + (stop - start) * steps
    return uf.astype(out, dtype) if dtype is not None else out
