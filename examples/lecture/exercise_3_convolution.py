"""Exercise 3: a convolution by hand. The desired output is "2 times lower left - 1 times top
right, ignore second channel" of every 2x2 patch: ``X_convolved[0]`` starts ``9, 10, 11, 12``.
Computed from ``X_patches`` and a kernel, then with ``ag.Conv2d`` for each im2col method, then
with the functional ``trace_ag.convolution.conv2d``.

Run:  python examples/lecture/exercise_3_convolution.py [--N 2 --C 2 --H 4 --W 5]
"""

from __future__ import annotations

import argparse

import numpy as np

import trace_ag.lecture as ag
from trace_ag import convolution


def main(argv=None) -> np.ndarray:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in (("N", 2), ("C", 2), ("H", 4), ("W", 5)):
        parser.add_argument(f"--{name}", type=int, default=default)
    a = parser.parse_args(argv)
    N, C, H, W, K = a.N, a.C, a.H, a.W, 2

    # input
    X = np.arange(N * C * H * W).reshape(N, C, H, W)
    print("X[0]\n", X[0])

    # the kernel: 2 x lower left - 1 x top right on channel 0, zero elsewhere
    Conv_kernel = np.zeros((C, K, K))
    Conv_kernel[0] = [[0.0, -1.0], [2.0, 0.0]]
    out_H, out_W = H - K + 1, W - K + 1
    X_flat = X.reshape(N, -1)
    X_patches = (X_flat @ ag.im2col_matrix_dense(X, K)).reshape(N, out_H * out_W, C, K, K)
    X_convolved = (X_patches.reshape(N, out_H * out_W, -1) @ Conv_kernel.reshape(-1)).reshape(
        N, out_H, out_W
    )
    print("X_convolved.shape =", X_convolved.shape)
    print("X_convolved[0]\n", X_convolved[0])

    for method in ("sparse", "dense", "strided"):
        conv = ag.Conv2d(C, 1, kernel_size=K, method=method)
        conv.weight.value = Conv_kernel[None].copy()
        conv.bias.value = np.zeros(1)
        out = conv(ag.Tensor(X))
        print(f"ag.Conv2d(method={method!r}) agrees:", np.array_equal(out.value[:, 0], X_convolved))
    functional = convolution.conv2d(X.astype(float), Conv_kernel[None])
    print("trace_ag.convolution.conv2d agrees:", np.array_equal(functional[:, 0], X_convolved))
    return X_convolved


if __name__ == "__main__":
    main()
