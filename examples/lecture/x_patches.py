"""The lecture's ``X_patches`` walkthrough: flatten ``X``, multiply by the im2col matrix (dense,
then sparse), reshape to ``(N, P, C, K, K)``; and the same patches from the core's strided
``im2col`` (``trace_ag.convolution.im2col``).

Run:  python examples/lecture/x_patches.py [--C 2 --H 4 --W 5 --K 2 --N 2 --S 1]
"""

from __future__ import annotations

import argparse

import numpy as np

import trace_ag.lecture as ag
from trace_ag import convolution


def main(argv=None) -> np.ndarray:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in (("C", 2), ("H", 4), ("W", 5), ("K", 2), ("N", 2), ("S", 1)):
        parser.add_argument(f"--{name}", type=int, default=default)
    a = parser.parse_args(argv)
    C, H, W, K, N, S = a.C, a.H, a.W, a.K, a.N, a.S

    X = np.arange(N * C * H * W).reshape(N, C, H, W)
    print("X[0]\n", X[0])
    CHW = C * H * W
    out_H = (H - K) // S + 1  # Output height
    out_W = (W - K) // S + 1  # Output width
    P = out_H * out_W  # Total number of patches per image
    print(f"CHW = {CHW}, out_H = {out_H}, out_W = {out_W}, P = {P}")

    X_flat = X.reshape(N, -1)  # Shape (N, C*H*W)
    print("X_flat[0]\n", X_flat[0])

    im2col_mat_dense = ag.im2col_matrix_dense(X, K, S)
    print("im2col_mat_dense.shape =", im2col_mat_dense.shape)
    X_out_dense = np.matmul(X_flat, im2col_mat_dense)
    print("X_out_dense[0, :24]\n", X_out_dense[0, :24])

    X_patches_flat = X_out_dense
    X_patches = X_patches_flat.reshape(N, P, C, K, K)
    for n, p in ((0, 0), (0, 1), (0, 3), (0, min(4, P - 1)), (min(1, N - 1), 0)):
        print(f"X_patches[{n},{p}]\n", X_patches[n, p])

    im2col_mat_sparse = ag.im2col_matrix_sparse(X, K, S)
    print(f"sparse: {im2col_mat_sparse.nnz} nonzeros of {np.prod(im2col_mat_sparse.shape)}")
    X_out_sparse = ag.spcmatmul(X_flat, im2col_mat_sparse)
    strided = convolution.im2col(X.astype(float), K, stride=S)  # the core's primitive
    print("dense == sparse:", np.array_equal(X_out_dense, X_out_sparse))
    print("dense == strided im2col:", np.array_equal(X_patches, strided))
    return X_patches


if __name__ == "__main__":
    main()
