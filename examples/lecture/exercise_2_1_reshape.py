"""Exercise 2.1: fix the backward function of ``reshape``. The slides' solution is written below
exactly as on the slide (an ``ag.Tensor`` made with ``inputs=[input], op="reshape"`` and a
``_backward`` closure) and checked against ``ag.reshape``, which records the core's ``reshape``
primitive, and against ``trace_ag.grad``. The unfixed version (``input.grad += output.grad``)
is caught with an error that names the shapes.

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


def reshape(input, newshape):
    output = ag.Tensor(np.reshape(input.value, newshape), inputs=[input], op="reshape")

    def _backward():
        input.grad += np.reshape(output.grad, input.shape)
        return None

    output._backward = _backward
    return output


def reshape_unfixed(input, newshape):
    output = ag.Tensor(np.reshape(input.value, newshape), inputs=[input], op="reshape")

    def _backward():
        input.grad += output.grad  # the bug: output.grad has the new shape
        return None

    output._backward = _backward
    return output


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2)
    parser.add_argument("--cols", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x_value = rng.standard_normal((args.rows, args.cols))
    weights = rng.standard_normal(args.rows * args.cols)

    grads = {}
    for name, fn in (("slide's solution", reshape), ("ag.reshape (core rule)", ag.reshape)):
        x = ag.Tensor(x_value, label="x")
        loss = ag.sum(ag.tanh(fn(x, (-1,))) * weights)  # oldshape (rows, cols) -> (rows*cols,)
        loss.backward()
        grads[name] = x.grad
        print(f"x.grad with {name}:\n{x.grad}")
    functional = tag.grad(lambda v: tnp.sum(tnp.tanh(tnp.reshape(v, (-1,))) * weights))(x_value)
    rule = inspect.getsource(reshape_primitive.vjp[0]).strip()
    print("the core's rule (trace_ag/primitives/shape.py):", rule)

    try:
        ag.sum(reshape_unfixed(ag.Tensor(x_value), (-1,)) * weights).backward()
    except tag.ShapeError as e:
        print("the unfixed backward is caught:", str(e).splitlines()[0])

    diff = max(float(np.max(np.abs(g - functional))) for g in grads.values())
    print(f"max |lecture - trace_ag.grad| = {diff:.1e}")
    return diff


if __name__ == "__main__":
    main()
