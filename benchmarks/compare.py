"""trace_ag against jax.jit and PyTorch eager on the issue-16 steps, side by side in one process:
each step's contenders take turns (round after round, a few calls each; medians), so a change
in the machine's load hits every row alike. Rows: trace_ag ``jit`` (NumPy backend) and
``jit(backend="jax")``, ``jax.jit`` of the same step written in JAX, PyTorch eager (skipped
when PyTorch is not installed) and, for the MLPs, the hand-written NumPy step (the floor).

    python benchmarks/compare.py --threads 1              # the three steps
    python benchmarks/compare.py --threads 2 --epoch      # also the main job's epochs and
                                                          # time to 97% (benchmarks/epoch.py)
    python benchmarks/compare.py --issue16                # all of the above (steps with 1
                                                          # thread, epochs with 2), the lecture
                                                          # Scalar fit, and the issue's goals

Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import os
import sys

if "--threads" in sys.argv:  # before NumPy, JAX and PyTorch start their thread pools
    _n = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _n
    if _n == "1":
        os.environ["XLA_FLAGS"] = (
            "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        )

import argparse  # noqa: E402
import platform  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lenet5_step  # noqa: E402
import mlp  # noqa: E402

import trace_ag as ag  # noqa: E402
import trace_ag.numpy as tnp  # noqa: E402


def _torch():
    try:
        import torch
    except ImportError:
        return None
    if "--threads" in sys.argv:
        torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
    return torch


def lecture_rows() -> dict[str, Callable]:
    import jax

    params, x, y = mlp.lecture_problem()
    step = mlp.sgd_step(ag.grad(mlp.lecture_loss(tnp)), 0.05)
    ours, ours_jax, peer = (
        ag.jit(step),
        ag.jit(step, backend="jax"),
        mlp.jax_peer(mlp.lecture_loss, 0.05),
    )
    rows = {
        "hand-written NumPy": lambda: _lecture_numpy(params, x, y),
        "trace_ag jit (numpy)": lambda: ours(params, x, y),
        "trace_ag jit (jax)": lambda: jax.block_until_ready(ours_jax(params, x, y)),
        "jax.jit": lambda: jax.block_until_ready(peer(params, x, y)),
    }
    torch = _torch()
    if torch is not None:
        tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def torch_step():
            hidden = torch.relu(torch.outer(tx, tp["w1"]) + tp["b1"])
            loss = torch.mean((hidden @ tp["w2"] + tp["b2"] - ty) ** 2)
            grads = torch.autograd.grad(loss, list(tp.values()))
            with torch.no_grad():
                return [p - 0.05 * g for p, g in zip(tp.values(), grads, strict=True)]

        rows["PyTorch eager"] = torch_step
    return rows


def _lecture_numpy(p, x, y, lr=0.05):
    """The lecture MLP's forward, backward and update written by hand in NumPy."""
    z = np.outer(x, p["w1"]) + p["b1"]
    h = np.maximum(z, 0.0)
    r = h @ p["w2"] + p["b2"] - y
    g = (2.0 / r.size) * r
    gz = np.outer(g, p["w2"]) * (z > 0)
    grads = {"w1": x @ gz, "b1": gz.sum(0), "w2": h.T @ g, "b2": g.sum()}
    return {k: p[k] - lr * grads[k] for k in p}


def big_mlp_rows() -> dict[str, Callable]:
    import jax

    params, x, y = mlp.big_problem()
    step = mlp.sgd_step(ag.grad(mlp.big_loss(tnp, tnp.log_softmax)), 0.01)
    ours, ours_jax = ag.jit(step), ag.jit(step, backend="jax")
    peer, jparams = mlp.jax_peer(mlp.big_loss, 0.01), jax.device_put(params)
    rows = {
        "hand-written NumPy": lambda: mlp.handwritten_step(params, x, y),
        "trace_ag jit (numpy)": lambda: ours(params, x, y),
        "trace_ag jit (jax)": lambda: jax.block_until_ready(ours_jax(jparams, x, y)),
        "jax.jit": lambda: jax.block_until_ready(peer(jparams, x, y)),
    }
    torch = _torch()
    if torch is not None:
        tp = [
            [
                torch.tensor(layer["w"], requires_grad=True),
                torch.tensor(layer["b"], requires_grad=True),
            ]
            for layer in params
        ]
        tx, labels = torch.from_numpy(x), torch.from_numpy(y.argmax(-1))
        flat = [t for layer in tp for t in layer]

        def torch_step():
            h = tx
            for w, b in tp[:-1]:
                h = torch.relu(h @ w + b)
            loss = torch.nn.functional.cross_entropy(h @ tp[-1][0] + tp[-1][1], labels)
            grads = torch.autograd.grad(loss, flat)
            with torch.no_grad():
                return [p - 0.01 * g for p, g in zip(flat, grads, strict=True)]

        rows["PyTorch eager"] = torch_step
    return rows


def lenet_rows() -> dict[str, Callable]:
    rows = {
        "trace_ag jit (numpy)": lenet5_step.trace_ag_step("strided", "jit"),
        "trace_ag jit (jax)": lenet5_step.trace_ag_step("strided", "jit-jax"),
        "jax.jit": lenet5_step.jax_step(),
    }
    if _torch() is not None:
        rows["PyTorch eager"] = lenet5_step.torch_step()
    return rows


def epoch_table(repeats: int) -> dict[str, dict]:
    """The main job's epochs and time to 97% (``benchmarks/epoch.py``): trace_ag jit on both
    backends, the same recipe as a ``jax.jit`` step and PyTorch eager on the MNIST sample, same
    parameters, batches and order. trace_ag runs with ``ag.config``'s defaults (``threads=1``:
    the window kernels unsplit, OpenBLAS with ``--threads``), as ``trace-ag train`` does."""
    import epoch

    from nn import recipes

    dataset = recipes.load_dataset("mnist-sample")
    epochs = recipes.DEFAULT_EPOCHS["mnist-sample"]
    total = epochs * (len(dataset.x_train) // 64)
    default_threads = ag.config.read("threads")

    makers = {
        "trace_ag jit (numpy)": lambda params: epoch.TraceAg(
            dataset, params, total, "numpy", default_threads
        ),
        "trace_ag jit (jax)": lambda params: epoch.TraceAg(
            dataset, params, total, "jax", default_threads
        ),
        "jax.jit": lambda params: epoch.Jax(dataset, params, total),
    }
    torch = _torch()
    if torch is not None:
        threads = torch.get_num_threads()
        makers["PyTorch eager"] = lambda params: epoch.Torch(dataset, params, total, threads)
    print("\nLeNet-5 on the MNIST sample, Adam + cosine, batch 64 (benchmarks/epoch.py)")
    runs = [epoch.run_once(makers, dataset, epochs, 64, seed) for seed in range(repeats)]
    return epoch.summarize(runs)


def report(title: str, results: dict[str, float], unit: float, bases: list[str]) -> None:
    present = [b for b in bases if b in results]
    head = " | ".join(f"/ {b}" for b in present)
    print(f"\n{title}\n| variant | time | {head} |\n|---|---:|" + "---:|" * len(present))
    for name, seconds in results.items():
        ratios = " | ".join(f"{seconds / results[b]:.2f}x" for b in present)
        print(f"| {name} | {seconds * unit:.3f} {'ms' if unit == 1e3 else 's'} | {ratios} |")


GOALS = (  # issue 16's goals: (what, measured, at most)
    ("LeNet-5 step, 1 thread: trace_ag jit / PyTorch eager", "lenet", 0.9),
    ("lecture MLP, 1 thread: trace_ag jit / hand-written NumPy", "lecture", 1.5),
    ("MLP 784-256-256-10, 1 thread: trace_ag jit / hand-written NumPy", "big", 1.1),
    ("main job's epoch, 2 threads: trace_ag / PyTorch eager", "epoch", 1.0),
    ("time to 97% held-out accuracy, 2 threads: trace_ag / PyTorch eager", "to_target", 1.0),
    ("lecture Scalar fit: trace_ag.lecture.Scalar / micrograd-style Value", "scalar", 1.5),
)


def issue16(rounds: int, epoch_rounds: int) -> None:
    """Every figure of issue 16 in one command: the steps with 1 thread and the epochs with 2
    (each in a fresh process, as thread counts are fixed at import), the lecture Scalar fit,
    then the goals with the ratios measured."""
    import json
    import subprocess
    import tempfile

    here = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory() as tmp:
        steps, epochs, scalar = (str(Path(tmp) / f) for f in ("s.json", "e.json", "f.json"))
        for script, options, out in (
            (__file__, ["--threads", "1", "--rounds", str(rounds)], steps),
            (__file__, ["--threads", "2", "--epoch", "--no-steps", "--epoch-rounds",
                        str(epoch_rounds)], epochs),
            (str(here / "scalar_fit.py"), ["--epochs", "9"], scalar),
        ):  # fmt: skip
            print(f"\n$ python benchmarks/{Path(script).name} {' '.join(options)}", flush=True)
            subprocess.run([sys.executable, script, *options, "--json", out], check=True)
        figures = {}
        for path in (steps, epochs, scalar):
            figures.update(json.loads(Path(path).read_text()))
    ours, torch = "trace_ag jit (numpy)", "PyTorch eager"
    ratios = {
        "lenet": figures["lenet"][ours] / figures["lenet"].get(torch, float("nan")),
        "lecture": figures["lecture"][ours] / figures["lecture"]["hand-written NumPy"],
        "big": figures["big"][ours] / figures["big"]["hand-written NumPy"],
        "scalar": figures["scalar_ratio"],
    }
    epoch_figures = figures["epoch"]
    for key in ("epoch", "to_target"):
        mine, theirs = epoch_figures[ours][key], epoch_figures.get(torch, {}).get(key)
        ratios[key] = float("nan") if mine is None or theirs is None else mine / theirs
    print("\n| goal | measured | at most | met |\n|---|---:|---:|---|")
    for what, key, limit in GOALS:
        met = "yes" if ratios[key] <= limit else "no"
        print(f"| {what} | {ratios[key]:.2f}x | {limit:.2f}x | {met} |")
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="threads for BLAS, XLA and PyTorch")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--epoch", action="store_true", help="also time an epoch (5,000 digits)")
    parser.add_argument("--epoch-rounds", type=int, default=3, help="fresh 15-epoch runs")
    parser.add_argument("--no-steps", action="store_true", help="only the epochs")
    parser.add_argument("--json", help="also write the medians (seconds) to this file")
    parser.add_argument(
        "--issue16", action="store_true", help="all of issue 16's figures and its goals"
    )
    args = parser.parse_args()
    if args.issue16:
        issue16(args.rounds, args.epoch_rounds)
        return
    print(
        f"{platform.machine()}, {os.cpu_count()} CPUs, threads: {args.threads or 'default'}, "
        f"NumPy {np.__version__}, load average {os.getloadavg()[0]:.1f}"
    )
    base = ["hand-written NumPy", "PyTorch eager"]
    figures = {}
    if not args.no_steps:
        lenet = mlp.interleaved_medians(lenet_rows(), max(args.rounds // 3, 5), steps=4)
        report("LeNet-5 step, batch 64, float32", lenet, 1e3, ["PyTorch eager"])
        lecture = mlp.interleaved_medians(lecture_rows(), args.rounds, steps=10)
        report("lecture MLP 1-20-1, 100 points, float64", lecture, 1e3, base)
        big = mlp.interleaved_medians(big_mlp_rows(), args.rounds)
        report("MLP 784-256-256-10, batch 128, float32", big, 1e3, base)
        figures.update(lenet=lenet, lecture=lecture, big=big)
    if args.epoch:
        figures["epoch"] = epoch_table(args.epoch_rounds)
    if args.json:
        import json

        Path(args.json).write_text(json.dumps(figures))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
