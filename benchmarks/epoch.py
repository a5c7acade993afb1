"""The main job's epochs, trace_ag against PyTorch eager (and JAX): LeNet-5 on the 5,000-digit MNIST
sample (4,000 training, 1,000 held-out images), trained as ``trace-ag train`` trains it (the
recipe's model, Adam with its cosine schedule from a 2e-3 peak, random shifts of up to 2
pixels, 15 epochs, held-out evaluation after each) with batch 64.

In each run all contenders start from the same parameters (trace_ag's initialization, copied
into PyTorch), see the same batches in the same order (``nn.data.batches`` with ``seed +
epoch``, augmented once per epoch outside the timers) and take turns epoch by epoch, so a
change in the machine's load hits them all. Run ``r`` of ``--repeats`` uses seed ``r`` for the
parameters and the batch order: which epoch first reaches 97% turns on a few of the 1,000
held-out images, so one seed would compare luck rather than libraries. Reported: the median
seconds of a training epoch (after the first, which includes the compile), of an evaluation,
and the time to 97% held-out accuracy (training and evaluation from the first step, compile
included), each the median over the runs.

    python benchmarks/epoch.py --threads 2 --repeats 3

Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import os
import sys

if "--threads" in sys.argv:  # before NumPy and PyTorch start their thread pools
    _n = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _n

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trace_ag as ag  # noqa: E402
from nn import data, losses, recipes  # noqa: E402
from nn.train import make_train_step  # noqa: E402

TARGET = 0.97


def epoch_batches(dataset: data.Dataset, epoch: int, batch_size: int, seed: int = 0):
    """The shuffled, shifted training batches of one epoch, as one array each."""
    ids = np.arange(len(dataset.x_train))
    rng = np.random.default_rng((seed, epoch))
    xs, ys = [], []
    for index, _ in data.batches(ids, ids, batch_size, seed=seed + epoch, drop_last=True):
        xs.append(data.random_shift(dataset.x_train[index], rng))
        ys.append(dataset.y_train[index])
    return np.stack(xs), np.stack(ys)


class TraceAg:
    """``nn.train.fit``'s step, jitted with donated parameters and optimizer state."""

    name = "trace_ag jit (numpy)"

    def __init__(
        self, dataset: data.Dataset, params, total_steps: int, backend="numpy", threads=None
    ):
        shape = dataset.x_train.shape[1:]
        self.model = recipes.model_for(shape)
        opt = recipes.make_optimizer("adam", recipes.cosine(2e-3, total_steps))
        step = make_train_step(self.model, opt, losses.cross_entropy)
        self.step = ag.jit(step, donate_argnums=(0, 1), backend=backend)
        self.params = ag.tree_util.tree_map(np.array, params)
        self.state = opt.init(self.params)
        self.metrics = ag.jit(self._metrics, backend=backend)
        self.threads = threads  # the window kernels' (ag.config), while this one runs

    def _metrics(self, params, x, y):
        logits = self.model.apply(params, x)
        return losses.accuracy(logits, y)

    def train(self, xs, ys) -> None:
        ag.config.update("threads", self.threads)
        for x, y in zip(xs, ys, strict=True):
            self.params, self.state, loss, _ = self.step(self.params, self.state, x, y)
        float(loss)

    def accuracy(self, x, y, batch: int = 500) -> float:
        ag.config.update("threads", self.threads)
        hits = [float(self.metrics(self.params, x[i : i + batch], y[i : i + batch])) for i in
                range(0, len(x), batch)]  # fmt: skip
        return float(np.mean(hits))


class Torch:
    """The same model and recipe in PyTorch eager, from the same initial parameters."""

    name = "PyTorch eager"

    def __init__(self, dataset: data.Dataset, params, total_steps: int, threads: int | None):
        import torch
        from torch import nn

        self.torch, self.threads = torch, threads or torch.get_num_threads()
        if threads == 1:
            self.name = "PyTorch eager, 1 thread"
        self.net = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
        )  # fmt: skip
        layers = [m for m in self.net if isinstance(m, nn.Conv2d | nn.Linear)]
        ours = [p for p in params if p]
        with torch.no_grad():
            for layer, p in zip(layers, ours, strict=True):
                w = np.asarray(p["w"])
                layer.weight.copy_(torch.from_numpy(w if w.ndim == 4 else w.T.copy()))
                layer.bias.copy_(torch.from_numpy(np.asarray(p["b"])))
        self.opt = torch.optim.Adam(self.net.parameters(), lr=2e-3, eps=1e-8)
        total = float(total_steps)
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.opt, lambda k: 0.5 * (1 + np.cos(np.pi * min(k, total) / total))
        )

    def train(self, xs, ys) -> None:
        torch, functional = self.torch, self.torch.nn.functional
        torch.set_num_threads(self.threads)
        for x, y in zip(torch.from_numpy(xs), torch.from_numpy(ys), strict=True):
            self.opt.zero_grad()
            logits = self.net(x)
            loss = functional.cross_entropy(logits, y)
            loss.backward()
            self.opt.step()
            self.schedule.step()
            (logits.argmax(-1) == y).float().mean()  # the accuracy fit's step also returns
        loss.item()

    def accuracy(self, x, y, batch: int = 500) -> float:
        torch = self.torch
        torch.set_num_threads(self.threads)
        with torch.no_grad():
            hits = [
                float((self.net(torch.from_numpy(x[i : i + batch])).argmax(-1) ==
                       torch.from_numpy(y[i : i + batch])).float().mean())
                for i in range(0, len(x), batch)
            ]  # fmt: skip
        return float(np.mean(hits))


class Jax:
    """The same model and recipe written in JAX (``lax`` convolutions, optax's Adam with a
    cosine decay), one ``jax.jit`` step, from the same initial parameters."""

    name = "jax.jit"

    def __init__(self, dataset: data.Dataset, params, total_steps: int, threads=None):
        import jax
        import jax.numpy as jnp
        import optax
        from jax_lenet5 import lenet5_logits as logits

        self.jax, self.jnp = jax, jnp
        layers = [jax.tree_util.tree_map(jnp.asarray, p) for p in params if p]

        def loss(layers, x, y):
            out = logits(layers, x)
            return -jnp.mean(jax.nn.log_softmax(out)[jnp.arange(len(y)), y]), out

        opt = optax.adam(optax.cosine_decay_schedule(2e-3, total_steps), eps=1e-8)

        @jax.jit
        def step(layers, state, x, y):
            (value, out), grads = jax.value_and_grad(loss, has_aux=True)(layers, x, y)
            updates, state = opt.update(grads, state, layers)
            accuracy = jnp.mean(jnp.argmax(out, -1) == y)
            return optax.apply_updates(layers, updates), state, value, accuracy

        self.step = step
        self.metrics = jax.jit(
            lambda layers, x, y: jnp.mean(jnp.argmax(logits(layers, x), -1) == y)
        )
        self.layers, self.state = layers, opt.init(layers)

    def train(self, xs, ys) -> None:
        for x, y in zip(self.jnp.asarray(xs), self.jnp.asarray(ys), strict=True):
            self.layers, self.state, loss, _ = self.step(self.layers, self.state, x, y)
        float(loss)

    def accuracy(self, x, y, batch: int = 500) -> float:
        hits = [float(self.metrics(self.layers, x[i : i + batch], y[i : i + batch])) for i in
                range(0, len(x), batch)]  # fmt: skip
        return float(np.mean(hits))


def initial_params(dataset: data.Dataset, seed: int):
    """The recipe model's parameters from ``seed`` (every contender starts from these)."""
    shape = dataset.x_train.shape[1:]
    return recipes.model_for(shape).init(seed, shape)[0]


def run_once(
    makers: dict[str, Callable], dataset, epochs: int, batch_size: int, seed: int = 0
) -> dict:
    """One fresh run of each contender from the parameters and batch order of ``seed``, epoch
    by epoch in turns: per contender the training and evaluation seconds of each epoch and the
    held-out accuracy after it."""
    contenders = {name: make(initial_params(dataset, seed)) for name, make in makers.items()}
    log = {name: {"train": [], "eval": [], "acc": []} for name in contenders}
    for epoch in range(epochs):
        xs, ys = epoch_batches(dataset, epoch, batch_size, seed)
        for name, c in contenders.items():
            start = time.perf_counter()
            c.train(xs, ys)
            mid = time.perf_counter()
            acc = c.accuracy(dataset.x_test, dataset.y_test)
            log[name]["train"].append(mid - start)
            log[name]["eval"].append(time.perf_counter() - mid)
            log[name]["acc"].append(acc)
    return log


def time_to_target(entry: dict) -> tuple[float | None, int | None]:
    elapsed = np.cumsum(np.add(entry["train"], entry["eval"]))
    for epoch, acc in enumerate(entry["acc"]):
        if acc >= TARGET:
            return float(elapsed[epoch]), epoch + 1
    return None, None


def summarize(logs: list[dict]) -> dict[str, dict]:
    """Print the table; per contender its median training epoch and time to the target
    (seconds, None where a run did not reach it)."""
    figures = {}
    print(
        "\n| contender | epoch (train), s | evaluation, s | first epoch, s | "
        f"time to {TARGET:.0%}, s | epochs to {TARGET:.0%} | final accuracy |\n"
        "|---|---:|---:|---:|---:|---:|---:|"
    )
    for name in logs[0]:
        runs = [log[name] for log in logs]
        epoch = np.median([t for r in runs for t in r["train"][1:]])
        evaluation = np.median([t for r in runs for t in r["eval"]])
        first = np.median([r["train"][0] for r in runs])
        reached = [time_to_target(r) for r in runs]
        # A run that never reaches the target counts as infinitely late in the median.
        median_seconds = float(np.median([np.inf if s is None else s for s, _ in reached]))
        epochs = ["-" if e is None else str(e) for _, e in reached]
        to_target = f"{median_seconds:.2f}" if np.isfinite(median_seconds) else "not reached"
        final = np.median([r["acc"][-1] for r in runs])
        figures[name] = {
            "epoch": float(epoch),
            "to_target": median_seconds if np.isfinite(median_seconds) else None,
        }
        print(
            f"| {name} | {epoch:.3f} | {evaluation:.3f} | {first:.3f} | {to_target} | "
            f"{'/'.join(epochs)} | {final:.2%} |"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="threads for BLAS, PyTorch and trace_ag")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=recipes.DEFAULT_EPOCHS["mnist-sample"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--jax", action="store_true", help="also trace_ag jit(backend='jax') and jax.jit"
    )
    parser.add_argument(
        "--window-threads", type=int, help="ag.config threads of the first row (default: 1)"
    )
    parser.add_argument(
        "--one-window-thread", action="store_true", help="also trace_ag with ag.config threads=1"
    )
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument(
        "--torch-one-thread", action="store_true", help="also PyTorch eager with 1 thread"
    )
    args = parser.parse_args()
    dataset = recipes.load_dataset("mnist-sample")
    total = args.epochs * (len(dataset.x_train) // args.batch_size)
    window_threads = args.window_threads or ag.config.read("threads")
    makers = {}
    makers["trace_ag jit (numpy)"] = lambda params: TraceAg(
        dataset, params, total, "numpy", window_threads
    )
    if args.one_window_thread:
        makers["trace_ag jit (numpy), threads=1"] = lambda params: TraceAg(
            dataset, params, total, "numpy", 1
        )
    if args.jax:
        makers["trace_ag jit (jax)"] = lambda params: TraceAg(dataset, params, total, "jax")
        makers["jax.jit"] = lambda params: Jax(dataset, params, total)
    if not args.no_torch:
        makers["PyTorch eager"] = lambda params: Torch(dataset, params, total, args.threads)
    if args.torch_one_thread:
        makers["PyTorch eager, 1 thread"] = lambda params: Torch(dataset, params, total, 1)
    print(
        f"{os.cpu_count()} CPUs, threads {args.threads or 'default'}, batch {args.batch_size}, "
        f"{args.epochs} epochs, load average {os.getloadavg()[0]:.1f}"
    )
    logs = []
    for repeat in range(args.repeats):
        logs.append(run_once(makers, dataset, args.epochs, args.batch_size, seed=repeat))
        order = list(makers)
        makers = {name: makers[name] for name in order[1:] + order[:1]}  # rotate who goes first
        print(f"repeat {repeat + 1}: load average {os.getloadavg()[0]:.1f}", flush=True)
    summarize(logs)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
