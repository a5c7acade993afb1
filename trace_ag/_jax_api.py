"""The names a JAX script touches at its top, for a NumPy library: ``devices()``,
``block_until_ready``, ``device_get``/``device_put``, ``ShapeDtypeStruct``, ``Array``,
``eval_shape``, ``named_scope``.

trace_ag computes with NumPy on the host, so there is one device, the CPU; ``block_until_ready``
has nothing to wait for, ``device_put`` and ``device_get`` only make sure values are arrays.

Examples:
    >>> import trace_ag as ag
    >>> ag.devices()
    [CpuDevice(id=0)]
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

import numpy as np

from trace_ag.core import Array, Tracer, as_array
from trace_ag.tree_util import tree_map


@dataclasses.dataclass(frozen=True)
class Device:
    """A compute device, described as ``jax.Device`` is (``platform``, ``id``, ...)."""

    id: int = 0
    platform: str = "cpu"
    device_kind: str = "cpu"
    process_index: int = 0

    def __repr__(self) -> str:
        return f"CpuDevice(id={self.id})"


_CPU = Device()


def devices(backend: str | None = None) -> list[Device]:
    """The devices trace_ag computes on: one CPU."""
    if backend not in (None, "cpu"):
        raise RuntimeError(f"Unknown backend {backend!r}: trace_ag computes on the CPU only")
    return [_CPU]


local_devices = devices


def device_count(backend: str | None = None) -> int:
    """Number of devices: 1."""
    return len(devices(backend))


local_device_count = device_count


def default_backend() -> str:
    """The platform computations run on: ``"cpu"``."""
    return "cpu"


def block_until_ready(x: Any) -> Any:
    """Returns `x`: NumPy results are ready when they are returned."""
    return x


def _as_array(x: Any) -> Any:
    return x if isinstance(x, Tracer) or type(x) is Array else as_array(np.asarray(x))


# What JAX programs call on their results (timing loops, device queries).
Array.block_until_ready = lambda self: self
Array.devices = lambda self: {_CPU}
Array.device = property(lambda self: _CPU)
Array.copy_to_host_async = lambda self: None


def device_put(x: Any, device: Any = None, *, src: Any = None, donate: bool = False) -> Any:
    """`x` (a pytree) with its leaves as arrays; there is only one device to put them on."""
    return tree_map(_as_array, x)


def device_get(x: Any) -> Any:
    """`x` (a pytree) with its leaves as NumPy arrays (they already live on the host)."""
    return tree_map(_as_array, x)


@dataclasses.dataclass(frozen=True, init=False)
class ShapeDtypeStruct:
    """A shape and a dtype, standing for an array (as ``jax.ShapeDtypeStruct``).

    Examples:
        >>> ShapeDtypeStruct((2, 3), np.float32)
        ShapeDtypeStruct(shape=(2, 3), dtype=float32)
    """

    shape: tuple[int, ...]
    dtype: np.dtype

    def __init__(self, shape: Any, dtype: Any, **_: Any) -> None:
        object.__setattr__(self, "shape", tuple(int(n) for n in shape))
        object.__setattr__(self, "dtype", np.dtype(dtype))

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))

    def __repr__(self) -> str:
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name})"


def eval_shape(fun: Any, *args: Any, **kwargs: Any) -> Any:
    """The shapes and dtypes of ``fun(*args, **kwargs)`` as ``ShapeDtypeStruct`` leaves,
    found by tracing abstractly (nothing is computed), as ``jax.eval_shape``. Arguments may
    be arrays or ``ShapeDtypeStruct``s.

    Examples:
        >>> eval_shape(lambda x: {"y": x @ x.T}, ShapeDtypeStruct((3, 2), np.float32))
        {'y': ShapeDtypeStruct(shape=(3, 3), dtype=float32)}
    """
    from trace_ag.core import Aval
    from trace_ag.tracing import trace_to_graph
    from trace_ag.tree_util import tree_flatten, tree_unflatten

    flat, tree = tree_flatten((args, kwargs))
    avals = [
        Aval(x.shape, np.dtype(x.dtype)) if isinstance(x, ShapeDtypeStruct) else x for x in flat
    ]

    def flat_fun(*leaves: Any) -> Any:
        a, k = tree_unflatten(tree, list(leaves))
        return fun(*a, **k)

    _, graph, out_tree = trace_to_graph(flat_fun, avals, concrete=False, fn_name="eval_shape")
    outs = [ShapeDtypeStruct(v.aval.shape, v.aval.dtype) for v in graph.outvars]
    return tree_unflatten(out_tree, outs)


@contextlib.contextmanager
def named_scope(name: str):
    """Accepted for JAX programs (``with jax.named_scope("layer1"):``); trace_ag's graphs
    carry no scope names, so it changes nothing."""
    if not isinstance(name, str):
        raise TypeError(f"named_scope: the name must be a str, got {type(name).__name__}")
    yield


@contextlib.contextmanager
def ensure_compile_time_eval():
    """Accepted for JAX programs. In JAX it computes the block's operations on constants
    eagerly inside ``jit``; trace_ag's ``jit`` already folds operations on constants, so the
    block needs nothing more."""
    yield
