"""The lecture's 1-hidden-layer ReLU network fitting a 1-D function, in the functional API:
parameters are a dict of arrays, the loss is a pure function, ``ag.value_and_grad`` gives its
gradients and ``ag.jit`` compiles the step. A plot shows the data, the fit and the hidden
units' kinks (each ReLU bends the fitted curve at ``x = -b1/w1``).

``examples/lecture/scalar_relu_fit.py`` is the same network in the lecture's object API.

Run:  python examples/relu_fit.py [--n-hidden 20 --steps 2000 --plot relu_fit.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import trace_ag as ag
import trace_ag.numpy as tnp


def target(x: np.ndarray) -> np.ndarray:
    """The function to fit, as on the slides."""
    return np.sin(1.5 * x)


def init(n_hidden: int, seed: int = 42) -> dict:
    """w1, b1 ~ N(0, 1), w2 ~ N(0, 1/n_hidden), b2 = 0."""
    rng = np.random.default_rng(seed)
    return {
        "w1": rng.standard_normal(n_hidden),
        "b1": rng.standard_normal(n_hidden),
        "w2": rng.standard_normal(n_hidden) / np.sqrt(n_hidden),
        "b2": np.zeros(()),
    }


def predict(params: dict, x):
    """f(x) = w2 . relu(w1 x + b1) + b2 for a batch of scalars ``x``."""
    hidden = tnp.maximum(tnp.outer(x, params["w1"]) + params["b1"], 0.0)
    return hidden @ params["w2"] + params["b2"]


def mse(params: dict, x, y):
    return tnp.mean((predict(params, x) - y) ** 2)


def fit(params: dict, x, y, steps: int, lr: float, log_every: int = 0) -> tuple[dict, list]:
    """Plain gradient descent; returns the parameters and the loss after every step."""

    @ag.jit
    def step(params, x, y):
        loss, grads = ag.value_and_grad(mse)(params, x, y)
        return ag.tree_util.tree_map(lambda p, g: p - lr * g, params, grads), loss

    losses = []
    for i in range(steps):
        params, loss = step(params, x, y)
        losses.append(float(loss))
        if log_every and (i % log_every == 0 or i == steps - 1):
            print(f"step {i:5d}  mse {losses[-1]:.5f}")
    return params, losses


def plot(params: dict, x, y, losses: list, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    grid = np.linspace(x.min() - 0.5, x.max() + 0.5, 400)
    left.plot(grid, target(grid), "k--", lw=1, label="sin(1.5 x)")
    left.plot(x, y, "o", ms=4, label="training data")
    left.plot(grid, np.asarray(predict(params, grid)), lw=2, label="ReLU net")
    kinks = -params["b1"] / params["w1"]
    kinks = kinks[(kinks > grid.min()) & (kinks < grid.max())]
    left.plot(kinks, np.asarray(predict(params, kinks)), "|", ms=14, label="ReLU kinks")
    left.set(xlabel="x", ylabel="y", title=f"{len(params['w1'])} hidden ReLUs")
    left.legend()
    right.semilogy(losses)
    right.set(xlabel="step", ylabel="training MSE", title="loss")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n-hidden", type=int, default=20, help="hidden ReLU units (default: 20)")
    parser.add_argument("--n-samples", type=int, default=30, help="training points (default: 30)")
    parser.add_argument("--steps", type=int, default=2000, help="gradient steps (default: 2000)")
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate (default: 0.05)")
    parser.add_argument(
        "--plot",
        type=Path,
        default=Path("relu_fit.png"),
        help="where to save the plot, '' for none (default: relu_fit.png)",
    )
    args = parser.parse_args(argv)

    x = np.linspace(-2, 2, args.n_samples)
    y = target(x)
    params = init(args.n_hidden)
    params, losses = fit(params, x, y, args.steps, args.lr, log_every=max(args.steps // 5, 1))
    print(f"final training MSE {losses[-1]:.5f} (first {losses[0]:.5f})")
    if str(args.plot) not in ("", "."):
        print(f"wrote {plot(params, x, y, losses, args.plot)}")
    return losses[-1]


if __name__ == "__main__":
    main()
