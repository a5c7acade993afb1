"""The window kernels of a LeNet-5 step (batch 64, float32) with 1 and 2 threads, alternated
(``ag.config`` ``threads``): median ms per call of each kernel alone.

    OPENBLAS_NUM_THREADS=2 python benchmarks/window_threads.py --rounds 30

Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trace_ag as ag  # noqa: E402
from trace_ag.codegen import retain_freed_memory  # noqa: E402
from trace_ag.primitives import _windows as win  # noqa: E402

NO_PAD = ((0, 0), (0, 0))


def kernels() -> dict:
    rng = np.random.default_rng(0)
    x1 = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    a1 = rng.standard_normal((64, 6, 24, 24)).astype(np.float32)
    x2 = rng.standard_normal((64, 6, 12, 12)).astype(np.float32)
    a2 = rng.standard_normal((64, 16, 8, 8)).astype(np.float32)
    cols2 = win.im2col_strided(x2, (5, 5), (1, 1), NO_PAD, (1, 1))
    g1, s1 = rng.standard_normal((64, 6, 12, 12)).astype(np.float32), None
    g2 = rng.standard_normal((64, 16, 4, 4)).astype(np.float32)
    s1 = win.max_pool_2x2_selecting(a1)[1]
    s2 = win.max_pool_2x2_selecting(a2)[1]
    return {
        "im2col conv1": lambda: win.im2col_strided(x1, (5, 5), (1, 1), NO_PAD, (1, 1)),
        "im2col conv2": lambda: win.im2col_strided(x2, (5, 5), (1, 1), NO_PAD, (1, 1)),
        "col2im conv2": lambda: win.col2im_strided(cols2, x2.shape, (5, 5), (1, 1), NO_PAD, (1, 1)),
        "pool1 forward": lambda: win.max_pool_2x2_selecting(a1),
        "pool2 forward": lambda: win.max_pool_2x2_selecting(a2),
        "pool1 backward": lambda: win.max_pool_2x2_scatter_selected(g1, a1, s1),
        "pool2 backward": lambda: win.max_pool_2x2_scatter_selected(g2, a2, s2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    retain_freed_memory()  # as a jitted step does: arrays reuse mapped pages
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs")
    times: dict[tuple[str, int], list[float]] = {}
    rows = kernels()
    for _ in range(args.rounds):
        for threads in (1, 2):
            ag.config.update("threads", threads)
            for name, fn in rows.items():
                start = time.perf_counter()
                for _ in range(args.calls):
                    fn()
                times.setdefault((name, threads), []).append(
                    (time.perf_counter() - start) / args.calls
                )
    print("| kernel | 1 thread, ms | 2 threads, ms | speed-up |\n|---|---:|---:|---:|")
    total = [0.0, 0.0]
    for name in rows:
        one, two = (float(np.median(times[name, t])) * 1e3 for t in (1, 2))
        total = [total[0] + one, total[1] + two]
        print(f"| {name} | {one:.3f} | {two:.3f} | {one / two:.2f}x |")
    print(f"| **sum** | {total[0]:.3f} | {total[1]:.3f} | {total[0] / total[1]:.2f}x |")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
