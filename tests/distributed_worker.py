"""A subprocess for tests/test_distributed.py: each run sees JAX with forced host devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=N``, set by the test before JAX starts)
and writes what it found to an ``.npz`` file that the test compares.

    python tests/distributed_worker.py step OUT.npz
    python tests/distributed_worker.py fit OUT.npz
    python tests/distributed_worker.py process OUT.npz --process-id I --num-processes P \
        --coordinator HOST:PORT [--die-after K | --hang-after K]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax  # noqa: E402
from jax.sharding import Mesh, NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

import trace_ag as ag  # noqa: E402
from nn import data, models, optim, train  # noqa: E402
from trace_ag.tree_util import tree_leaves, tree_map  # noqa: E402

BATCH = 64


def digits(train_rows: int = 256) -> data.Dataset:
    """A small slice of scikit-learn's digits: a few steps per epoch."""
    d = data.load_digits()
    return data.Dataset(d.x_train[:train_rows], d.y_train[:train_rows], d.x_test, d.y_test)


def flat(tree) -> dict[str, np.ndarray]:
    return {f"p{i}": np.asarray(leaf) for i, leaf in enumerate(tree_leaves(tree))}


def step_case(out: Path) -> None:
    """One LeNet step on 1 device and sharded over all devices (two pytree forms of shardings),
    the shardings of inputs and results, the all-reduce in the compiled step, and a second step
    that must run without any transfer."""
    model = models.lenet5_small()
    params, _ = model.init(0, (1, 8, 8))
    opt = optim.sgd(0.1, momentum=0.9)
    state = opt.init(params)
    d = digits()
    x, y = d.x_train[:BATCH], d.y_train[:BATCH].astype(np.int32)
    step = train.make_train_step(model, opt, train.losses.cross_entropy)
    one = ag.jit(step, backend="jax")(params, state, x, y)

    mesh = Mesh(np.array(jax.devices()), ("batch",))
    rep, bat = NamedSharding(mesh, P()), NamedSharding(mesh, P("batch"))
    per_leaf = tree_map(lambda _: rep, params)  # a full pytree of shardings for the params
    shardings = {"in_shardings": (per_leaf, rep, bat, bat), "out_shardings": (rep,) * 4}
    sharded = ag.jit(step, backend="jax", **shardings)
    prefix = ag.jit(step, backend="jax", in_shardings=[rep, rep, bat, bat], out_shardings=rep)
    xs, ys = jax.device_put(x, bat), jax.device_put(y, bat)
    results = sharded(params, state, xs, ys)
    results_prefix = prefix(params, state, x, y)
    hlo = sharded.lower(params, state, xs, ys).as_text("hlo")
    with jax.transfer_guard("disallow"):  # results and batch are already where step 2 wants them
        again = sharded(results[0], results[1], xs, ys)
    try:  # the control: a host batch must be transferred, which the guard refuses
        with jax.transfer_guard("disallow"):
            sharded(again[0], again[1], x, ys)
        guard_works = False
    except Exception:
        guard_works = True
    record = {
        "devices": len(jax.devices()),
        "x_devices": len(xs.sharding.device_set),
        "x_shard_rows": xs.addressable_shards[0].data.shape[0],
        "params_replicated": all(
            a.sharding.is_fully_replicated and len(a.sharding.device_set) == len(jax.devices())
            for a in tree_leaves(results[0])
        ),
        "all_reduce": "all-reduce" in hlo,
        "trace_count": sharded.trace_count,
        "guard_works": guard_works,
    }
    arrays = {f"one_{k}": v for k, v in flat(one).items()}
    arrays |= {f"sharded_{k}": v for k, v in flat(results).items()}
    arrays |= {f"prefix_{k}": v for k, v in flat(results_prefix).items()}
    arrays |= {f"again_{k}": v for k, v in flat(again).items()}
    np.savez(out, **arrays, **{f"info_{k}": np.asarray(v) for k, v in record.items()})


def fit_case(out: Path) -> None:
    """fit on NumPy, on 1 JAX device and data-parallel over all devices; the error for a batch
    that does not divide by the devices."""
    model = models.lenet5_small()
    params, _ = model.init(0, (1, 8, 8))
    d = digits()
    arrays = {}
    for name, options in (
        ("numpy", {}),
        ("one", {"backend": "jax", "devices": 1}),
        ("all", {"backend": "jax", "devices": "all"}),
    ):
        trained, history = train.fit(
            model,
            params,
            d,
            optim.sgd(0.05, momentum=0.9),
            epochs=2,
            batch_size=BATCH,
            progress=False,
            **options,
        )
        arrays |= {f"{name}_{k}": v for k, v in flat(trained).items()}
        arrays[f"{name}_loss"] = np.asarray(history["train_loss"])
    try:
        train.fit(model, params, d, optim.sgd(0.1), batch_size=60, backend="jax", devices=8)
    except ValueError as e:
        arrays["error_batch"] = np.asarray(str(e))
    np.savez(out, **arrays)


def process_case(out: Path, args: argparse.Namespace) -> None:
    """One process of a multi-process fit; ``--die-after K`` ends this process abruptly when
    it has prepared K batches (a crash in the middle of training), ``--hang-after K`` makes it
    wait forever instead (alive, so its heartbeat goes on)."""
    model = models.lenet5_small()
    params, _ = model.init(0, (1, 8, 8))
    calls = []

    def augment(xb, rng):
        calls.append(len(xb))
        if args.die_after is not None and len(calls) > args.die_after:
            os._exit(3)
        if args.hang_after is not None and len(calls) > args.hang_after:
            time.sleep(3600)
        return xb

    trained, history = train.fit(
        model,
        params,
        digits(),
        optim.sgd(0.05, momentum=0.9),
        epochs=1,
        batch_size=BATCH,
        augment=augment,
        checkpoint=out.with_suffix(".ckpt"),
        backend="jax",
        num_processes=args.num_processes,
        process_id=args.process_id,
        coordinator=args.coordinator,
        timeout_s=args.timeout,
    )
    info = {"devices": len(jax.devices()), "local_rows": calls[0], "steps": len(calls)}
    np.savez(out, **flat(trained), **{f"info_{k}": np.asarray(v) for k, v in info.items()})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=("step", "fit", "process"))
    parser.add_argument("out", type=Path)
    parser.add_argument("--process-id", type=int)
    parser.add_argument("--num-processes", type=int)
    parser.add_argument("--coordinator")
    parser.add_argument("--die-after", type=int)
    parser.add_argument("--hang-after", type=int)
    parser.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args()
    if args.case == "step":
        step_case(args.out)
    elif args.case == "fit":
        fit_case(args.out)
    else:
        process_case(args.out, args)


if __name__ == "__main__":
    main()
