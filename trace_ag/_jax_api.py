"""The names a JAX script touches at its top, for a NumPy library: ``devices()``,
``block_until_ready``, ``device_get``/``device_put``, ``ShapeDtypeStruct``.

trace_ag computes with NumPy on the host, so there is one device, the CPU; ``block_until_ready``
has nothing to wait for, ``device_put`` and ``device_get`` only make sure values are arrays.

Examples:
    >>> import trace_ag as ag
    >>> ag.devices()
    [CpuDevice(id=0)]
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from trace_ag.core import Tracer
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
    return x if isinstance(x, np.ndarray | Tracer) else np.asarray(x)


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
