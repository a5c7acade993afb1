"""Regression check of one trace_ag checkout: how many buffers jit's plan reuses in the jitted
LeNet-5 SGD step (batch 64, float32, donated parameters) and its milliseconds per step.
Run it on two checkouts, alternating, to compare them (not a test: timings depend on load).

    python benchmarks/regression_lenet5_step.py .            # this checkout
    python benchmarks/regression_lenet5_step.py /tmp/old     # another one
"""

from __future__ import annotations

import argparse
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", help="folder of the trace_ag checkout to import")
    parser.add_argument("--method", default="strided", help="im2col method of the convolutions")
    parser.add_argument("--steps", type=int, default=20, help="timed steps (after 3 warm-up)")
    args = parser.parse_args()
    sys.path.insert(0, args.checkout)

    import numpy as np

    import trace_ag as ag
    from nn import losses, models, optim
    from trace_ag.codegen import CompiledGraph

    model = models.lenet5((1, 28, 28), method=args.method)
    params, _ = model.init(0, (1, 28, 28))
    opt = optim.sgd(0.01)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64)

    def step(params, state, x, y):
        loss_fn = lambda p: losses.cross_entropy(model.apply(p, x), y)  # noqa: E731
        loss, grads = ag.value_and_grad(loss_fn)(params)
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, loss

    jitted = ag.jit(step, donate_argnums=(0, 1))
    state = opt.init(params)
    graph = jitted.lower(params, state, x, y).graph
    n_donated = len(ag.tree_util.tree_leaves((params, state)))
    donated = [True] * n_donated + [False] * (len(graph.invars) - n_donated)
    plan = CompiledGraph(graph, donated)
    print(f"buffers reused: {plan.buffers_reused} of {len(graph.eqns)} equations")
    for _ in range(3):
        params, state, _loss = jitted(params, state, x, y)
    start = time.perf_counter()
    for _ in range(args.steps):
        params, state, _loss = jitted(params, state, x, y)
    print(f"ms/step: {(time.perf_counter() - start) / args.steps * 1000:.2f}")


if __name__ == "__main__":
    main()
