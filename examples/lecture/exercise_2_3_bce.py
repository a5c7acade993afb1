"""Exercise 2.3: binary cross-entropy, ``-mean(t log p + (1 - t) log(1 - p))``, written with
``ag`` functions, checked against ``ag.binary_cross_entropy``, and used to train logistic
regression on two Gaussian blobs with ``ag.SGD``.

Run:  python examples/lecture/exercise_2_3_bce.py [--n 200 --epochs 100 --lr 0.5]
"""

from __future__ import annotations

import argparse

import numpy as np

import trace_ag.lecture as ag


def my_bce(probs, targets):
    """The exercise's answer, written with the lecture's functions."""
    return -ag.mean(targets * ag.log(probs) + (1 - targets) * ag.log(1 - probs))


def main(argv=None) -> tuple[float, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--lr", type=float, default=0.5)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)

    labels = rng.integers(0, 2, args.n).astype(float)
    X = rng.standard_normal((args.n, 2)) + 2.0 * (labels[:, None] * 2 - 1)
    w, b = ag.Tensor(np.zeros(2), label="w"), ag.Tensor(0.0, label="b")
    optimizer = ag.SGD([w, b], lr=args.lr)

    first = None
    for epoch in range(args.epochs):
        optimizer.zero_grad()
        probs = ag.sigmoid(X @ w + b)
        loss = my_bce(probs, labels)
        loss.backward()
        optimizer.step()
        first = loss.value if first is None else first
        if epoch % 20 == 0 or epoch == args.epochs - 1:
            print(f"epoch {epoch:3d}  loss {float(loss.value):.4f}")

    probs = ag.sigmoid(X @ w + b)
    check = abs(float(my_bce(probs, labels).value - ag.binary_cross_entropy(probs, labels).value))
    accuracy = float(np.mean((probs.value > 0.5) == labels))
    print(f"my_bce vs ag.binary_cross_entropy: |difference| = {check:.1e}")
    print(f"training accuracy {accuracy:.3f}")
    return float(first), float(loss.value)


if __name__ == "__main__":
    main()
