"""Memory of the main job: each contender of ``benchmarks/epoch.py`` trains LeNet-5 on the MNIST
sample alone, in a fresh process (so one's imports and caches do not count against another),
and reports its resident set size after the imports and data, after each epoch, and at peak
(``ru_maxrss``). Growth is the resident size after the last epoch minus that after the second
(the first includes compiling and the allocator's warm-up): a leak shows as growth that scales
with the epochs.

    python benchmarks/memory.py --threads 2            # trace_ag (numpy) and PyTorch eager
    python benchmarks/memory.py --threads 2 --jax      # also trace_ag (jax) and jax.jit

Not a test: the figures depend on the machine, its libraries and their allocators.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 2**20


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_one(name: str, epochs: int, threads: int | None) -> dict:
    """Train contender ``name`` for ``epochs`` epochs in this process; its memory figures."""
    sys.path.insert(0, str(HERE))
    import epoch

    from nn import recipes

    dataset = recipes.load_dataset("mnist-sample")
    shape = dataset.x_train.shape[1:]
    total = epochs * (len(dataset.x_train) // 64)
    params = recipes.model_for(shape).init(0, shape)[0]
    makers = {
        "trace_ag jit (numpy)": lambda: epoch.TraceAg(dataset, params, total, "numpy", 1),
        "trace_ag jit (jax)": lambda: epoch.TraceAg(dataset, params, total, "jax", 1),
        "jax.jit": lambda: epoch.Jax(dataset, params, total),
        "PyTorch eager": lambda: epoch.Torch(dataset, params, total, threads),
    }
    contender = makers[name]()
    after_imports = resident_mib()
    per_epoch = []
    xs = ys = None
    for k in range(epochs):
        del xs, ys  # the last epoch's batches go before the next are made (12 MiB)
        xs, ys = epoch.epoch_batches(dataset, k, 64)
        contender.train(xs, ys)
        accuracy = contender.accuracy(dataset.x_test, dataset.y_test)
        per_epoch.append(resident_mib())
    return {"imports": after_imports, "epochs": per_epoch, "peak": peak_mib(), "acc": accuracy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="threads for BLAS and PyTorch")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--jax", action="store_true", help="also trace_ag (jax) and jax.jit")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child process's contender
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.epochs, args.threads)))
        return
    names = ["trace_ag jit (numpy)", "PyTorch eager"]
    if args.jax:
        names[1:1] = ["trace_ag jit (jax)", "jax.jit"]
    env = dict(os.environ)
    if args.threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(args.threads)
    print(
        f"{os.cpu_count()} CPUs, threads {args.threads or 'default'}, {args.epochs} epochs, "
        f"load average {os.getloadavg()[0]:.1f}\n\n"
        "| contender | after imports + data, MiB | after epoch 1 | after epoch 2 | "
        "after the last | growth 2 -> last | peak RSS, MiB | final accuracy |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    for name in names:
        command = [sys.executable, __file__, "--one", name, "--epochs", str(args.epochs)]
        if args.threads:
            command += ["--threads", str(args.threads)]
        out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        e = r["epochs"]
        print(
            f"| {name} | {r['imports']:.0f} | {e[0]:.0f} | {e[min(1, len(e) - 1)]:.0f} | "
            f"{e[-1]:.0f} | {e[-1] - e[min(1, len(e) - 1)]:+.1f} | {r['peak']:.0f} | "
            f"{r['acc']:.2%} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
