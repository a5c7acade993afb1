"""Logistic regression with binary cross-entropy: two Gaussian clouds in 2-D, a linear model
``sigmoid(x @ w + b)``, and gradient descent on the mean binary cross-entropy

    BCE(p, y) = -[y log p + (1 - y) log(1 - p)],   p = sigmoid(z).

Written twice: from the formula (``log`` of a sigmoid, which gives ``-inf`` once ``p``
rounds to 0 or 1) and in the stable form on the logit ``z``, ``softplus(z) - y z`` (what
``nn.losses.binary_cross_entropy_with_logits`` computes). Both have the gradient
``(p - y) x / n``; the script checks that ``ag.grad`` finds it.

Run:  python examples/logistic_regression.py [--n 400 --steps 300 --lr 0.5]
"""

from __future__ import annotations

import argparse

import numpy as np

import trace_ag as ag
import trace_ag.numpy as tnp


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points: class 0 around (-1, -1), class 1 around (1, 1), unit variance."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(np.float64)
    x = rng.standard_normal((n, 2)) + np.where(y[:, None] == 1, 1.0, -1.0)
    return x, y


def sigmoid(z):
    return 1 / (1 + tnp.exp(-z))


def bce_from_formula(params: dict, x, y):
    """The textbook formula on probabilities."""
    p = sigmoid(x @ params["w"] + params["b"])
    return -tnp.mean(y * tnp.log(p) + (1 - y) * tnp.log(1 - p))


def bce_from_logits(params: dict, x, y):
    """The same loss on the logits: log(1 + e^z) - y z, with a stable softplus."""
    z = x @ params["w"] + params["b"]
    softplus = tnp.maximum(z, 0.0) + tnp.log1p(tnp.exp(-tnp.abs(z)))
    return tnp.mean(softplus - y * z)


def accuracy(params: dict, x, y) -> float:
    return float(np.mean(((x @ params["w"] + params["b"]) > 0) == (y == 1)))


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=400, help="number of points (default: 400)")
    parser.add_argument("--steps", type=int, default=300, help="gradient steps (default: 300)")
    parser.add_argument("--lr", type=float, default=0.5, help="learning rate (default: 0.5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data (default: 0)")
    args = parser.parse_args(argv)

    x, y = make_data(args.n, args.seed)
    params = {"w": np.zeros(2), "b": np.zeros(())}
    step = ag.jit(ag.value_and_grad(bce_from_logits))
    for i in range(args.steps):
        loss, grads = step(params, x, y)
        params = ag.tree_util.tree_map(lambda p, g: p - args.lr * g, params, grads)
        if i % max(args.steps // 5, 1) == 0:
            print(f"step {i:4d}  BCE {float(loss):.4f}  accuracy {accuracy(params, x, y):.3f}")
    final = float(bce_from_logits(params, x, y))
    print(f"w = {params['w']}, b = {float(params['b']):.4f}")
    print(f"final BCE {final:.4f}, accuracy {accuracy(params, x, y):.3f}")

    # The gradient by hand, (p - y) x / n, against both versions of the loss.
    p = 1 / (1 + np.exp(-(x @ params["w"] + params["b"])))
    by_hand = {"w": (p - y) @ x / len(y), "b": np.mean(p - y)}
    for loss_fn in (bce_from_formula, bce_from_logits):
        g = ag.grad(loss_fn)(params, x, y)
        same = np.allclose(g["w"], by_hand["w"]) and np.allclose(g["b"], by_hand["b"])
        print(f"grad of {loss_fn.__name__} == (p - y) x / n: {same}")

    # Far from the boundary the formula's log(1 - p) is log(0): infinite; the logit form is not.
    far = {"w": params["w"] * 100, "b": params["b"] * 100}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        print(f"scaled 100x: formula BCE {float(bce_from_formula(far, x, y))}, "
              f"logit BCE {float(bce_from_logits(far, x, y)):.4f}")  # fmt: skip
    return final


if __name__ == "__main__":
    main()
