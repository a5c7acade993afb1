"""Benchmark: one LeNet-5 training step (forward, backward, SGD update) at batch 64 on 1x28x28
float32 images, for each im2col method and backend of trace_ag, against the same model as a
``jax.jit`` step and in PyTorch eager mode. Prints milliseconds per step and ratios, in one run
on one machine (not a test: timings depend on the machine and its load).

    python benchmarks/lenet5_step.py                 # all rows
    python benchmarks/lenet5_step.py --steps 20 --markdown
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path


def _threads_from_argv() -> int | None:
    """``--threads N`` must take effect before NumPy, JAX and PyTorch start their pools."""
    if "--threads" in sys.argv:
        n = sys.argv[sys.argv.index("--threads") + 1]
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = n
        os.environ["XLA_FLAGS"] = (
            "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        )
        return int(n)
    return None


THREADS = _threads_from_argv()

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trace_ag as ag  # noqa: E402
from nn import losses, models, optim  # noqa: E402

BATCH, LR = 64, 0.01


def _batch(seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.uniform(size=(BATCH, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, BATCH)


def trace_ag_step(method: str, mode: str) -> Callable:
    """A step function ``() -> loss`` over fixed data; ``mode``: eager, jit, jit-jax."""
    model = models.lenet5((1, 28, 28), method=method)
    params, _ = model.init(0, (1, 28, 28))
    opt = optim.sgd(LR)
    state = opt.init(params)
    x, y = _batch()

    def step(params, state, x, y):
        loss, grads = ag.value_and_grad(lambda p: losses.cross_entropy(model.apply(p, x), y))(
            params
        )
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, loss

    if mode == "jit":
        step = ag.jit(step, donate_argnums=(0, 1))
    elif mode == "jit-jax":
        step = ag.jit(step, backend="jax")
    box = [params, state]

    def run():
        box[0], box[1], loss = step(box[0], box[1], x, y)
        return float(loss)  # waits for the JAX backend, which runs asynchronously

    return run


def jax_step() -> Callable:
    import jax
    import jax.numpy as jnp
    from jax_lenet5 import lenet5_logits

    params, _ = models.lenet5((1, 28, 28)).init(0, (1, 28, 28))
    layers = [jax.tree_util.tree_map(jnp.asarray, p) for p in params if p]
    x, y = map(jnp.asarray, _batch())

    def loss_fn(layers):
        logits = lenet5_logits(layers, x)
        return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(BATCH), y])

    @jax.jit
    def step(p):
        loss, grads = jax.value_and_grad(loss_fn)(p)
        return jax.tree_util.tree_map(lambda a, g: a - LR * g, p, grads), loss

    box = [layers]

    def run():
        box[0], loss = step(box[0])
        return loss.block_until_ready()

    return run


def torch_step() -> Callable:
    import torch
    from torch import nn as tnn

    torch.manual_seed(0)
    if THREADS:
        torch.set_num_threads(THREADS)
    model = tnn.Sequential(
        tnn.Conv2d(1, 6, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5), tnn.ReLU(),
        tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(256, 120), tnn.ReLU(), tnn.Linear(120, 84),
        tnn.ReLU(), tnn.Linear(84, 10),
    )  # fmt: skip
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = (torch.from_numpy(a) for a in _batch())

    def run():
        opt.zero_grad()
        loss = tnn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return run


def time_all(runners: dict[str, Callable], rounds: int, steps: int) -> dict[str, float]:
    """Median milliseconds per step. Rows take turns, ``steps`` steps each per round, so that
    a change in the machine's load affects every row alike."""
    times: dict[str, list[float]] = {name: [] for name in runners}
    for run in runners.values():
        for _ in range(3):  # warm-up: compilation, caches
            run()
    for _ in range(rounds):
        for name, run in runners.items():
            for _ in range(steps):
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
    return {name: 1e3 * statistics.median(t) for name, t in times.items()}


def rows(skip_dense: bool) -> list[tuple[str, Callable]]:
    out = [
        (f"trace_ag {method}, {mode}", lambda m=method, o=mode: trace_ag_step(m, o))
        for method in ("strided", "sparse", "dense")
        for mode in ("eager", "jit", "jit-jax")
        if not (skip_dense and method == "dense")
    ]
    return out + [("jax.jit (XLA)", jax_step), ("PyTorch eager", torch_step)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=5, help="steps per row and round")
    parser.add_argument("--threads", type=int, help="threads for BLAS, XLA and PyTorch")
    parser.add_argument("--skip-dense", action="store_true")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args(argv)
    runners = {}
    for name, make in rows(args.skip_dense):
        try:
            runners[name] = make()
        except ImportError as e:
            print(f"{name}: skipped ({e})")
    results = time_all(runners, args.rounds, args.steps)
    base = results.get("PyTorch eager")
    for name, ms in results.items():
        ratio = f"{ms / base:6.2f}x PyTorch eager" if base else ""
        print(f"{name:28s} {ms:8.2f} ms/step  {ratio}")
    if args.markdown:
        threads = args.threads or "default"
        print(
            f"\n{platform.machine()}, {os.cpu_count()} CPUs, threads: {threads}, "
            f"NumPy {np.__version__}\n"
        )
        print("| step | ms/step | / PyTorch eager |\n|---|---:|---:|")
        for name, ms in results.items():
            ratio = f"{ms / base:.2f}x" if base else "-"
            print(f"| {name} | {ms:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
