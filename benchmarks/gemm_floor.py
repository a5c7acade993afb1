"""The floor of a LeNet-5 training step on this machine: its multiply-adds at the measured
single-precision GEMM speed, plus the memory it must at least move at the measured copy speed.

Measures sgemm GFLOP/s (one large square GEMM, and each GEMM shape the im2col step runs, as
one call per batch element) and memory bandwidth (a large float32 copy), then prints the
step's FLOPs (forward, both backward products of each layer) and that floor. Not a test.

    python benchmarks/gemm_floor.py --threads 1
    python benchmarks/gemm_floor.py --threads 1 --thin   # the convolutions' batch-last products,
                                                         # one BLAS call against in blocks
"""

from __future__ import annotations

import os
import sys

if "--threads" in sys.argv:
    _n = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _n

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

BATCH = 64
# (name, M, K, N) of each product per image: conv as (O, C*KH*KW) @ (C*KH*KW, OH*OW), dense
# layers over the whole batch (per_image=False)
CONV = [("conv1", 6, 25, 576), ("conv2", 16, 150, 64)]
DENSE = [("fc1", BATCH, 256, 120), ("fc2", BATCH, 120, 84), ("fc3", BATCH, 84, 10)]


def best_seconds(fn, repeats: int = 30) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)  # the floor: the least-disturbed run


def step_flops() -> dict[str, float]:
    """FLOPs of forward + input gradient + weight gradient (3 GEMMs of equal size) per layer."""
    out = {}
    for name, m, k, n in CONV:
        out[name] = 3 * 2 * m * k * n * BATCH
    for name, m, k, n in DENSE:
        out[name] = 3 * 2 * m * k * n
    out["conv1"] -= 2 * 6 * 25 * 576 * BATCH  # no input gradient for the images
    return out


def thin_products() -> None:
    """Each batch-last convolution product of the step (one GEMM over the whole batch) as one
    ``np.matmul`` and as ``matmul``'s impl runs it (in blocks where ``thin_product_plan`` says)."""
    from trace_ag.primitives import linalg

    rng = np.random.default_rng(0)
    for name, m, k, n in CONV:
        p = n * BATCH
        w, cols, g = (rng.standard_normal(s).astype(np.float32) for s in [(m, k), (k, p), (m, p)])
        for product, x, y in [
            ("forward", w, cols),
            ("weight gradient", g, cols.T),
            ("column gradient", w.T, g),
        ]:
            plan = linalg.thin_product_plan(x.shape, y.shape, x.dtype)
            if plan is None and linalg.swaps_sides(x.shape, y.shape, x.dtype):
                plan = "sides swapped"
            one = best_seconds(lambda x=x, y=y: np.matmul(x, y))
            ours = best_seconds(lambda x=x, y=y: linalg.matmul_impl(x, y))
            print(f"{name} {product}, {x.shape} @ {y.shape}: one call {one * 1e3:.3f} ms, "
                  f"matmul_impl {ours * 1e3:.3f} ms ({plan or 'one call'})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int)
    parser.add_argument("--thin", action="store_true", help="only the batch-last products")
    args = parser.parse_args()
    if args.thin:
        thin_products()
        return
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 1024)).astype(np.float32)
    peak = 2 * 1024**3 / best_seconds(lambda: a @ a, 10) / 1e9
    print(f"sgemm 1024x1024x1024: {peak:.1f} GFLOP/s")
    big = rng.standard_normal(16 * 2**20).astype(np.float32)
    dst = np.empty_like(big)
    bandwidth = 2 * big.nbytes / best_seconds(lambda: np.copyto(dst, big), 10) / 1e9
    print(f"float32 copy: {bandwidth:.1f} GB/s (read + write)")
    conv_speeds = []
    for name, m, k, n in CONV:
        w = rng.standard_normal((m, k)).astype(np.float32)
        cols = rng.standard_normal((BATCH, k, n)).astype(np.float32)
        s = best_seconds(lambda w=w, cols=cols: np.matmul(w, cols))
        conv_speeds.append(2 * m * k * n * BATCH / s / 1e9)
        print(f"{name} forward, {BATCH} x ({m}x{k} @ {k}x{n}): {s * 1e3:.3f} ms, "
              f"{2 * m * k * n * BATCH / s / 1e9:.1f} GFLOP/s")  # fmt: skip
    peak = max(peak, *conv_speeds)  # on a shared machine the large GEMM may be the one disturbed
    flops = step_flops()
    total = sum(flops.values())
    # the least memory a step touches: im2col columns written and read twice (forward, weight
    # gradient), activations and their gradients once each way; float32
    cols = BATCH * (25 * 576 + 150 * 64) * 4
    acts = BATCH * (6 * 24 * 24 + 6 * 12 * 12 + 16 * 8 * 8 + 256 + 120 + 84 + 10) * 4
    traffic = 3 * cols + 4 * acts
    gemm_ms, mem_ms = total / (peak * 1e9) * 1e3, traffic / (bandwidth * 1e9) * 1e3
    layers = ", ".join(f"{k} {v / 1e6:.1f}" for k, v in flops.items())
    print(f"step FLOPs: {total / 1e6:.1f} M ({layers})")
    print(f"at peak sgemm: {gemm_ms:.2f} ms; memory {traffic / 2**20:.1f} MiB: {mem_ms:.2f} ms; "
          f"floor ~ {gemm_ms + mem_ms:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
