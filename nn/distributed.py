"""Data parallelism on JAX's own machinery: a 1-D device mesh whose one axis, ``"batch"``,
splits every global batch, while parameters and optimizer state are replicated on each device.

``fit`` compiles one training step with ``ag.jit(..., backend="jax", in_shardings=...,
out_shardings=...)``; XLA's GSPMD partitioner sees a batch-sharded input and replicated outputs
and inserts the gradient all-reduce itself. Nothing here moves data between devices by hand.

Several processes (machines, or processes on one machine) join with ``initialize``, which calls
``jax.distributed.initialize``; afterwards ``jax.devices()`` lists every process's devices, and
each process feeds only the rows of each global batch that its own devices hold
(``jax.make_array_from_process_local_data``). A process that dies stops sending heartbeats, and
JAX's coordination service then ends the others; ``Watchdog`` also ends a process whose step
stalls.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from trace_ag.backends.jax import import_jax
from trace_ag.tree_util import tree_map

BATCH_AXIS = "batch"
WATCHDOG_EXIT_CODE = 75  # what a process ended by ``Watchdog`` exits with


def initialize(
    num_processes: int, process_id: int, coordinator: str, *, timeout_s: int = 60
) -> None:
    """Join a run of ``num_processes`` processes through ``jax.distributed.initialize``.

    Must run before anything else touches JAX's devices. On CPU the collectives go through
    gloo (``jax_cpu_collectives_implementation="gloo"``), so processes on one machine, or on
    machines without accelerators, can train together. ``timeout_s`` bounds the wait for the
    others to join and the silence after which a process counts as dead (its heartbeat).

    Examples:
        >>> initialize(2, 0, "127.0.0.1:12345")  # doctest: +SKIP
        >>> # and initialize(2, 1, "127.0.0.1:12345") in process 1
    """
    if num_processes < 1 or not 0 <= process_id < num_processes:
        raise ValueError(
            f"initialize: process_id must be in [0, {num_processes}) for num_processes="
            f"{num_processes}, got {process_id}"
        )
    if not coordinator or ":" not in coordinator:
        raise ValueError(f"initialize: coordinator must be 'HOST:PORT', got {coordinator!r}")
    jax = import_jax()
    if jax.distributed.is_initialized():
        if jax.process_count() != num_processes or jax.process_index() != process_id:
            raise RuntimeError(
                f"initialize: this process already joined as process {jax.process_index()} of "
                f"{jax.process_count()}, not {process_id} of {num_processes}"
            )
        return
    jax.config.update("jax_cpu_collectives_implementation", "gloo")  # only the CPU client reads it
    jax.distributed.initialize(
        coordinator_address=coordinator,
        num_processes=num_processes,
        process_id=process_id,
        initialization_timeout=timeout_s,
        heartbeat_timeout_seconds=timeout_s,
        shutdown_timeout_seconds=timeout_s,
    )


def select_devices(devices: int | str, fn: str = "fit") -> list:
    """The devices of the mesh: ``"all"``, or ``devices`` of them taken evenly from every
    process (``jax.devices()[:devices]`` with one process).

    Examples:
        >>> len(select_devices(1)), len(select_devices("all")) >= 1
        (1, True)

        With ``XLA_FLAGS=--xla_force_host_platform_device_count=8``, ``select_devices(2)`` is
        ``[CpuDevice(id=0), CpuDevice(id=1)]``.
    """
    jax = import_jax()
    available = jax.devices()
    if devices == "all":
        return available
    if isinstance(devices, bool) or not isinstance(devices, (int, np.integer)) or devices < 1:
        raise ValueError(f"{fn}: devices must be a positive int or 'all', got {devices!r}")
    if devices > len(available):
        raise ValueError(
            f"{fn}: devices={devices} but only {len(available)} available (jax.devices(): "
            f"{', '.join(sorted({d.platform for d in available}))})"
        )
    count = jax.process_count()
    if count == 1:
        return available[:devices]
    if devices % count:
        raise ValueError(
            f"{fn}: devices={devices} must divide by the {count} processes (each process "
            "contributes the same number of its own devices)"
        )
    per = devices // count
    owned = [[d for d in available if d.process_index == p] for p in range(count)]
    if min(len(o) for o in owned) < per:
        raise ValueError(
            f"{fn}: devices={devices} needs {per} devices in each of the {count} processes, "
            f"but one has only {min(len(o) for o in owned)}"
        )
    return [d for o in owned for d in o[:per]]


@dataclass(frozen=True)
class DataParallel:
    """The mesh and the two shardings of data-parallel training, and the helpers that place
    a process's data on them. Build it with ``data_parallel``."""

    mesh: Any
    batch: Any  # NamedSharding(mesh, P("batch")): rows split across the devices
    replicated: Any  # NamedSharding(mesh, P()): a full copy on every device

    @property
    def device_count(self) -> int:
        """The number of devices in the mesh (of all processes)."""
        return self.mesh.devices.size

    def local_rows(self, batch_size: int) -> slice:
        """The rows of each global batch of ``batch_size`` held by this process's devices.

        Examples:
            >>> dp = data_parallel(1, batch_size=64)
            >>> dp.local_rows(64)  # one process: all rows
            slice(0, None, None)

            In process 1 of 2 (one device each) it is ``slice(32, 64, None)``.
        """
        index_map = self.batch.addressable_devices_indices_map((batch_size,))
        starts = sorted((index[0].start or 0, index[0].stop) for index in index_map.values())
        for (_, stop), (start, _) in zip(starts, starts[1:], strict=False):
            if stop != start:
                raise ValueError(f"local_rows: this process's rows are not contiguous: {starts}")
        return slice(starts[0][0], starts[-1][1])

    def shard(self, local: np.ndarray, global_rows: int) -> Any:
        """A global ``jax.Array`` split along the mesh from this process's rows of it.

        Examples:
            >>> dp = data_parallel(1, batch_size=4)
            >>> x_global = np.arange(8.0).reshape(4, 2)
            >>> xb = dp.shard(x_global[dp.local_rows(4)], 4)
            >>> xb.shape, tuple(xb.sharding.spec)
            ((4, 2), ('batch',))
        """
        jax = import_jax()
        shape = (global_rows, *np.shape(local)[1:])
        return jax.make_array_from_process_local_data(self.batch, np.asarray(local), shape)

    def replicate(self, tree: Any) -> Any:
        """Each leaf of ``tree`` (the same on every process) as a replicated ``jax.Array``.

        Examples:
            >>> dp = data_parallel(1, batch_size=4)
            >>> params = dp.replicate({"w": np.ones(2)})
            >>> tuple(params["w"].sharding.spec)
            ()
        """
        jax = import_jax()

        def put(leaf: Any) -> Any:
            value = np.asarray(leaf)
            return jax.make_array_from_callback(value.shape, self.replicated, lambda i: value[i])

        return tree_map(put, tree)


def data_parallel(devices: int | str, batch_size: int, fn: str = "fit") -> DataParallel:
    """A 1-D mesh over ``select_devices(devices)`` with its batch and replicated shardings;
    ``batch_size`` must divide by the number of devices.

    Examples:
        >>> dp = data_parallel(1, batch_size=64)
        >>> tuple(dp.batch.spec), tuple(dp.replicated.spec)  # P("batch") and P()
        (('batch',), ())
    """
    import_jax()
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    chosen = select_devices(devices, fn)
    if batch_size % len(chosen):
        raise ValueError(
            f"{fn}: batch_size={batch_size} does not divide by the {len(chosen)} devices of the "
            f"mesh; use a multiple of {len(chosen)}"
        )
    mesh = Mesh(np.array(chosen), (BATCH_AXIS,))
    return DataParallel(
        mesh, NamedSharding(mesh, PartitionSpec(BATCH_AXIS)), NamedSharding(mesh, PartitionSpec())
    )


def to_host(tree: Any) -> Any:
    """NumPy copies of a pytree's leaves; a replicated ``jax.Array`` is read from this
    process's own copy, so this works in every process of a multi-process run.

    Examples:
        >>> params = data_parallel(1, batch_size=4).replicate({"w": np.ones(2)})
        >>> to_host(params)
        {'w': array([1., 1.])}

        Before saving: ``save_checkpoint("ckpt", to_host(params))``.
    """

    def get(leaf: Any) -> Any:
        shards = getattr(leaf, "addressable_shards", None)
        if shards is not None and not getattr(leaf, "is_fully_addressable", True):
            return np.asarray(shards[0].data)
        return np.array(leaf)

    return tree_map(get, tree)


def process_index() -> int:
    """This process's index in a multi-process run (0 without JAX or with one process).

    Examples:
        >>> process_index()
        0

        Only the first process writes: ``if process_index() == 0: save_plot(history)``.
    """
    jax = sys.modules.get("jax")
    return 0 if jax is None else jax.process_index()


class Watchdog:
    """Ends this process, with a message naming what stalled, when a guarded block runs longer
    than ``seconds``: a step waiting forever on a peer that hangs while its heartbeat goes on.

    Examples:
        >>> with Watchdog(60, "fit: step 3 of process 1"):
        ...     total = 1 + 1  # e.g. params, opt_state, loss, acc = step(...)
        >>> total
        2
    """

    def __init__(self, seconds: float | None, what: str):
        self.seconds, self.what = seconds, what
        self._timer: threading.Timer | None = None

    def __enter__(self) -> Watchdog:
        if self.seconds is not None:
            self._timer = threading.Timer(self.seconds, self._fire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _fire(self) -> None:
        sys.stderr.write(
            f"{self.what} did not finish within {self.seconds:g} s: another process has "
            f"probably died or hung; exiting with code {WATCHDOG_EXIT_CODE}\n"
        )
        sys.stderr.flush()
        os._exit(WATCHDOG_EXIT_CODE)
