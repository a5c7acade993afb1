"""The main job (for now): gradients and graphs of the lecture's functions, then the lecture's
1-hidden-layer ReLU net fitted to a 1-D function with ``value_and_grad``.

Run:  python examples/demo.py [--steps 300]
"""

from __future__ import annotations

import argparse

import numpy as np
from relu_fit import init as init_mlp  # the lecture's ReLU net, shared with relu_fit.py
from relu_fit import mse

import trace_ag as ag
import trace_ag.numpy as tnp


def lecture_f(x, y):
    """f(x, y) = log(1 + exp(-(x + y))) * (x + y), the lecture's first computational graph."""
    s = x + y
    return tnp.log(1 + tnp.exp(-s)) * s


def cross_entropy_first_class(z):
    """-log(exp(z)[0] / sum(exp(z))), the lecture's 3-class cross-entropy."""
    p = tnp.exp(z) / tnp.sum(tnp.exp(z))
    return -tnp.log(p[0])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--steps", type=int, default=300, help="gradient steps of the ReLU fit (default: 300)"
    )
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate (default: 0.05)")
    args = parser.parse_args()

    dfdx, dfdy = ag.grad(lecture_f, argnums=(0, 1))(1.5, -0.3)
    print(
        f"f(x, y) = log(1 + exp(-(x+y))) * (x+y) at (1.5, -0.3): df/dx = {dfdx:.6f}, "
        f"df/dy = {dfdy:.6f}"
    )
    print("\nThe traced graph of f:")
    print(ag.make_ir(lecture_f)(1.5, -0.3))
    print("\nThe graph of grad(f) (forward and backward):")
    print(ag.make_ir(ag.grad(lecture_f))(1.5, -0.3))

    z = np.array([1.0, 2.0, 0.5])
    print(f"\ncross-entropy gradient at z={z}: {ag.grad(cross_entropy_first_class)(z)}")

    x = np.linspace(-2, 2, 100)
    y = np.sin(2 * x)
    params = init_mlp(20)
    loss_and_grads = ag.value_and_grad(mse)
    for step in range(args.steps + 1):
        loss, grads = loss_and_grads(params, x, y)
        params = ag.tree_util.tree_map(lambda p, g: p - args.lr * g, params, grads)
        if step % max(1, args.steps // 5) == 0:
            print(f"step {step:4d}  mse {loss:.5f}")
    print(f"final training MSE of the ReLU net on sin(2x): {loss:.5f}")


if __name__ == "__main__":
    main()
