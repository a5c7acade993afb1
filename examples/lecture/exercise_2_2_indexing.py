"""Exercise 2.2: the derivative of a loss that indexes, ``mean(-log softmax(Z)[i, y[i]])``.

The slides' ``__getitem__`` backward, ``self.grad[idx] += output.grad``, is wrong when ``idx``
repeats (NumPy's ``+=`` with fancy indexing writes each repeated element once). Here ``x[idx]``
records the core's ``getitem``, whose vjp is ``scatter_add`` (``np.add.at``): repeats add up.
The minibatch below is drawn with replacement, so rows repeat, and the gradient still matches
``softmax - one_hot`` summed over the draws.

Run:  python examples/lecture/exercise_2_2_indexing.py [--n 5 --classes 3]
"""

from __future__ import annotations

import argparse

import numpy as np

import trace_ag.lecture as ag


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--classes", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)

    Z = ag.Tensor(rng.standard_normal((args.n, args.classes)), label="Z")
    y = rng.integers(0, args.classes, args.n)
    rows = np.arange(args.n) % max(args.n - 2, 1)  # a batch with repeated rows: 0, 1, ..., 0, 1
    expZ = ag.exp(Z)
    P = expZ / ag.sum(expZ, axis=1, keepdims=True)
    picked = P[rows, y]  # the indexing of Exercise 2.2
    loss = ag.mean(-ag.log(picked))
    loss.backward()

    softmax = np.exp(Z.value) / np.exp(Z.value).sum(axis=1, keepdims=True)
    expected = np.zeros_like(Z.value)
    for row, label in zip(rows, y, strict=True):
        expected[row] += (softmax[row] - np.eye(args.classes)[label]) / args.n
    print("rows", rows, "labels", y, " loss =", loss.value)
    print("Z.grad:\n", Z.grad)
    diff = float(np.max(np.abs(Z.grad - expected)))
    print(f"max |Z.grad - sum of (softmax - one_hot) / n| = {diff:.1e}")

    x = ag.Tensor([1.0, 2.0, 3.0])
    ag.sum(x[[0, 0, 2]]).backward()
    print("repeated indices: x[[0, 0, 2]] gives x.grad =", x.grad, "(the slide's code: [1 0 1])")
    return diff


if __name__ == "__main__":
    main()
