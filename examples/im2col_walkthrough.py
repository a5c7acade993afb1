"""The lecture's im2col walkthrough with the functional API: ``ag.lax.im2col`` lays out every
K x K window of ``X: (N, C, H, W)`` as ``X_patches: (N, P, C, K, K)``, three ways:

- ``dense``:   ``X_flat @ im2col_mat`` with the lecture's 0/1 matrix of shape
  ``(C*H*W, P*C*K*K)``: one column per (window, channel, row, column), a single 1 in it;
- ``sparse``:  the same matrix as a ``scipy.sparse`` matrix (only the ones are stored);
- ``strided``: no matrix at all, NumPy stride tricks (the default, and the fastest).

A convolution is then one matmul of the ``(O, C*K*K)`` weights with the patches; the script
checks that all three methods give the same ``X_patches``, the same convolution (the lecture's
Exercise 3) and the same gradients, and prints the graph ``make_ir`` records.

Run:  python examples/im2col_walkthrough.py [--C 2 --H 4 --W 5 --K 2 --N 2 --S 1]
"""

from __future__ import annotations

import argparse

import numpy as np

import trace_ag as ag
import trace_ag.numpy as tnp

METHODS = ("dense", "sparse", "strided")


def dense_im2col_matrix(C: int, H: int, W: int, K: int, S: int) -> np.ndarray:
    """The lecture's ``im2col_mat``: ``X_flat @ M`` lists every window's pixels in order."""
    out_h, out_w = (H - K) // S + 1, (W - K) // S + 1
    index = np.arange(C * H * W).reshape(C, H, W)
    columns = [
        index[:, i * S : i * S + K, j * S : j * S + K].ravel()
        for i in range(out_h)
        for j in range(out_w)
    ]
    rows = np.concatenate(columns)
    matrix = np.zeros((C * H * W, len(rows)))
    matrix[rows, np.arange(len(rows))] = 1.0
    return matrix


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sizes = (
        ("C", 2, "input channels"),
        ("H", 4, "image height"),
        ("W", 5, "image width"),
        ("K", 2, "kernel size"),
        ("N", 2, "batch size"),
        ("S", 1, "stride"),
    )
    for name, default, what in sizes:
        parser.add_argument(
            f"--{name}", type=int, default=default, help=f"{what} (default: {default})"
        )
    a = parser.parse_args(argv)
    C, H, W, K, N, S = a.C, a.H, a.W, a.K, a.N, a.S
    np.set_printoptions(linewidth=100)

    X = np.arange(N * C * H * W, dtype=np.float64).reshape(N, C, H, W)
    out_h, out_w = (H - K) // S + 1, (W - K) // S + 1
    P = out_h * out_w
    print("X[0] =\n", X[0])
    print(f"C*H*W = {C * H * W}, out_H = {out_h}, out_W = {out_w}, P = {P} windows per image")

    matrix = dense_im2col_matrix(C, H, W, K, S)
    by_hand = (X.reshape(N, -1) @ matrix).reshape(N, P, C, K, K)
    print(f"im2col_mat: shape {matrix.shape}, {int(matrix.sum())} ones "
          f"({matrix.mean():.1%} of the entries)")  # fmt: skip

    patches = {m: np.asarray(ag.lax.im2col(X, K, stride=S, method=m)) for m in METHODS}
    for n, p in ((0, 0), (0, 1), (0, min(4, P - 1)), (N - 1, 0)):
        print(f"X_patches[{n}, {p}] =\n", patches["strided"][n, p])
    for m in METHODS:
        print(f"{m:>7} X_patches == X_flat @ im2col_mat: {np.array_equal(patches[m], by_hand)}")

    # Exercise 3: one filter that reads -1 x (top right) + 2 x (bottom left) of channel 0.
    w = np.zeros((1, C, K, K))
    w[0, 0, 0, K - 1], w[0, 0, K - 1, 0] = -1.0, 2.0
    convs = {m: np.asarray(ag.lax.conv2d(X, w, stride=S, method=m)) for m in METHODS}
    print("conv2d(X, w)[0, 0] =\n", convs["strided"][0, 0])

    def loss(w, method):
        return tnp.sum(tnp.tanh(ag.lax.conv2d(X / X.size, w, stride=S, method=method)))

    grads = {m: np.asarray(ag.grad(loss)(w, m)) for m in METHODS}
    for m in METHODS:
        same_conv = np.allclose(convs[m], convs["strided"])
        same_grad = np.allclose(grads[m], grads["strided"])
        print(f"{m:>7}: conv == strided: {same_conv}, grad == strided: {same_grad}")
    print("\nThe traced convolution (im2col, then one matmul):")
    print(ag.make_ir(lambda x, w: ag.lax.conv2d(x, w, stride=S, method="sparse"))(X, w))
    return {"patches": patches, "conv": convs, "grads": grads}


if __name__ == "__main__":
    main()
