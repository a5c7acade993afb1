"""The lecture's Scalar ReLU fit (1-20-1 network, 100 points, MSE, plain gradient descent, written
as a student writes it: one Scalar per weight, loops over points) on ``trace_ag.lecture.Scalar``
against a micrograd-style ``Value`` (``PeerValue`` below: the teaching engine's algorithm, a
closure per operation and a recursive topological sort, written here in our own words).
Epochs take turns; prints the median seconds per epoch and the ratio. Not a test.

Before each timed epoch the garbage of the previous one is collected (``gc.collect()``, not
timed): micrograd's ops leave reference cycles (each closure holds its output), and without it
a collection of that garbage can fall into the other engine's epoch. ``--no-gc`` times the
epochs with the cyclic collector off, the interpreter's work alone.

    python benchmarks/scalar_fit.py --epochs 5
    python benchmarks/scalar_fit.py --epochs 5 --no-gc
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trace_ag import lecture  # noqa: E402


class PeerValue:
    """A float with a gradient, as micrograd's ``Value``: each op stores a closure that adds
    its local derivative times the output's gradient into its inputs' gradients."""

    __slots__ = ("data", "grad", "_backward", "_prev")

    def __init__(self, data, _prev=()):
        self.data, self.grad, self._backward, self._prev = data, 0.0, None, _prev

    def __add__(self, other):
        other = other if isinstance(other, PeerValue) else PeerValue(other)
        out = PeerValue(self.data + other.data, (self, other))

        def backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, PeerValue) else PeerValue(other)
        out = PeerValue(self.data * other.data, (self, other))

        def backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = backward
        return out

    def __pow__(self, k):
        out = PeerValue(self.data**k, (self,))

        def backward():
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = backward
        return out

    def relu(self):
        out = PeerValue(self.data if self.data > 0 else 0.0, (self,))

        def backward():
            self.grad += (out.data > 0) * out.grad

        out._backward = backward
        return out

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if v not in seen:
                seen.add(v)
                for child in v._prev:
                    visit(child)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            if v._backward is not None:
                v._backward()


def make_fit(value_cls, hidden: int = 20, points: int = 100, lr: float = 0.05):
    """One epoch of the slides' fit: forward over all points, MSE, backward, update."""
    rng = random.Random(0)
    w1 = [value_cls(rng.uniform(-1, 1)) for _ in range(hidden)]
    b1 = [value_cls(rng.uniform(-1, 1)) for _ in range(hidden)]
    w2 = [value_cls(rng.uniform(-1, 1)) for _ in range(hidden)]
    b2 = value_cls(0.0)
    xs = [-2 + 4 * i / (points - 1) for i in range(points)]
    ys = [math.sin(2 * x) for x in xs]
    params = [*w1, *b1, *w2, b2]

    def epoch():
        loss = 0.0
        for x, y in zip(xs, ys, strict=True):
            out = b2
            for w, b, v in zip(w1, b1, w2, strict=True):
                out = out + v * (w * x + b).relu()
            loss = loss + (out - y) ** 2
        loss = loss / points
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            if isinstance(p, PeerValue):
                p.data -= lr * p.grad
            else:
                p.value = p.value - lr * p.grad
        return loss

    return epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per engine")
    parser.add_argument("--no-gc", action="store_true", help="time with the cyclic GC off")
    parser.add_argument("--json", help="also write the wall-time ratio to this file")
    args = parser.parse_args()
    runs = {
        "trace_ag.lecture.Scalar": make_fit(lecture.Scalar),
        "micrograd-style Value": make_fit(PeerValue),
    }
    wall = {name: [] for name in runs}
    cpu = {name: [] for name in runs}  # this process's CPU time: less hurt by a loaded machine
    for run in runs.values():
        run()
    for _ in range(args.epochs):
        for name, run in runs.items():
            gc.collect()
            if args.no_gc:
                gc.disable()
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
            gc.enable()
    ours, peer = "trace_ag.lecture.Scalar", "micrograd-style Value"
    for label, times in (("wall", wall), ("cpu", cpu)):
        for name, t in times.items():
            print(
                f"{label:4s} {name:26s} {statistics.median(t):7.3f} s/epoch "
                f"(median of {args.epochs}, fastest {min(t):.3f})"
            )
        ratio = statistics.median(times[ours]) / statistics.median(times[peer])
        pairs = statistics.median(a / b for a, b in zip(times[ours], times[peer], strict=True))
        print(
            f"{label:4s} ratio: {ratio:.2f}x (median of per-epoch ratios {pairs:.2f}x; "
            f"GC {'off' if args.no_gc else 'on'})"
        )
        if label == "wall" and args.json:
            Path(args.json).write_text(json.dumps({"scalar_ratio": ratio}))


if __name__ == "__main__":
    main()
