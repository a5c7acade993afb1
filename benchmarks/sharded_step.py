"""Benchmark: the data-parallel LeNet-5 training step (``ag.jit(..., backend="jax")`` with the
batch split along a 1-D mesh and parameters replicated, as ``nn.fit(devices=N)`` runs it) at
several device counts. Each count runs in its own subprocess, since
``XLA_FLAGS=--xla_force_host_platform_device_count=N`` must be set before JAX starts; on a
GPU/TPU machine pass ``--real`` to use the real devices instead.

Prints milliseconds per step with the batch already on the devices, and with a host batch
split onto them every step (what ``fit`` does), and the seconds of the first call (tracing and
XLA compilation). Not a test: timings depend on the machine.

    python benchmarks/sharded_step.py                        # 1, 2 and 8 forced host devices
    python benchmarks/sharded_step.py --devices 1 2 4 8 --batch 256 --markdown
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def child(devices: int, batch: int, rounds: int, steps: int) -> dict:
    """Time the step on ``devices`` devices (run inside the subprocess)."""
    import jax
    import numpy as np

    import trace_ag as ag
    from nn import distributed, losses, models, optim, train

    model = models.lenet5((1, 28, 28))
    params, _ = model.init(0, (1, 28, 28))
    opt = optim.sgd(0.01, momentum=0.9)
    dp = distributed.data_parallel(devices, batch, "sharded_step")
    rep, split = dp.replicated, dp.batch
    step = ag.jit(
        train.make_train_step(model, opt, losses.cross_entropy),
        backend="jax",
        donate_argnums=(0, 1),
        in_shardings=(rep, rep, split, split),
        out_shardings=rep,
    )
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(batch, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int32)
    box = [dp.replicate(params), dp.replicate(opt.init(params))]
    on_device = dp.shard(x, batch), dp.shard(y, batch)

    def run(xb, yb) -> None:
        box[0], box[1], loss, _ = step(box[0], box[1], xb, yb)
        jax.block_until_ready(loss)

    def from_host() -> None:
        run(dp.shard(x, batch), dp.shard(y, batch))

    start = time.perf_counter()
    run(*on_device)  # traces, lowers and compiles
    compile_s = time.perf_counter() - start
    for _ in range(2):  # warm up
        run(*on_device)
    times: dict[str, list[float]] = {"on_device": [], "from_host": []}
    for _ in range(rounds):
        for name, fn in (("on_device", lambda: run(*on_device)), ("from_host", from_host)):
            for _ in range(steps):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    ms = {name: 1e3 * statistics.median(t) for name, t in times.items()}
    return {"devices": devices, "platform": jax.devices()[0].platform, "compile_s": compile_s, **ms}


def measure(devices: int, args: argparse.Namespace) -> dict:
    """Run ``child`` in a fresh interpreter with ``devices`` forced host devices."""
    env = dict(os.environ)
    if not args.real:
        flag = f"--xla_force_host_platform_device_count={devices}"
        env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {flag}".strip()
        env["JAX_PLATFORMS"] = "cpu"
    command = [sys.executable, __file__, "--child", str(devices), "--batch", str(args.batch)]
    command += ["--rounds", str(args.rounds), "--steps", str(args.steps)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"sharded_step: {devices} devices failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 2, 8])
    parser.add_argument("--batch", type=int, default=64, help="global batch size")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10, help="steps per variant and round")
    parser.add_argument("--real", action="store_true", help="real devices (GPU/TPU), no forcing")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args.batch, args.rounds, args.steps)))
        return
    results = [measure(n, args) for n in args.devices]
    base = results[0]["on_device"]
    for r in results:
        print(
            f"{r['devices']} {r['platform']} device(s): {r['on_device']:7.2f} ms/step on device "
            f"({r['on_device'] / base:.2f}x), {r['from_host']:7.2f} ms/step from host; first "
            f"call (trace + compile) {r['compile_s']:.2f} s"
        )
    if args.markdown:
        print(f"\n{platform.machine()}, {os.cpu_count()} CPUs, global batch {args.batch}\n")
        print(
            "| devices | ms/step, batch on device | vs first row | ms/step, host batch "
            "| first call (trace + compile) |"
        )
        print("|---:|---:|---:|---:|---:|")
        for r in results:
            print(
                f"| {r['devices']} | {r['on_device']:.2f} | {r['on_device'] / base:.2f}x "
                f"| {r['from_host']:.2f} | {r['compile_s']:.2f} s |"
            )


if __name__ == "__main__":
    main()
