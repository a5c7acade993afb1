"""Exercise 2.1: the backward function of ``reshape``. On the slides the fix is
``input.grad += np.reshape(output.grad, input.shape)``; here ``ag.reshape`` records the core's
``reshape`` primitive, whose vjp rule is exactly that, and this script checks it.

Run:  python examples/lecture/exercise_2_1_reshape.py [--rows 2 --cols 3]
"""

from __future__ import annotations

import argparse
import inspect

import numpy as np

import trace_ag as tag
import trace_ag.lecture as ag
import trace_ag.numpy as tnp
from trace_ag.primitives.shape import reshape as reshape_primitive


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2)
    parser.add_argument("--cols", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)

    x = ag.Tensor(rng.standard_normal((args.rows, args.cols)), label="x")
    weights = rng.standard_normal(args.rows * args.cols)
    y = ag.reshape(x, (-1,))  # oldshape (rows, cols) -> newshape (rows*cols,)
    loss = ag.sum(y * weights)
    loss.backward()

    print("x.grad (from the core's reshape vjp):\n", x.grad)
    print("np.reshape(output.grad, input.shape), the slide's fix:\n", weights.reshape(x.shape))
    rule = inspect.getsource(reshape_primitive.vjp[0]).strip()
    print("the core's rule (trace_ag/primitives/shape.py):", rule)
    functional = tag.grad(lambda v: tnp.sum(tnp.reshape(v, (-1,)) * weights))(x.value)
    diff = float(np.max(np.abs(x.grad - functional)))
    print(f"max |lecture - trace_ag.grad| = {diff:.1e}")
    return diff


if __name__ == "__main__":
    main()
