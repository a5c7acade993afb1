"""Where a jitted LeNet-5 training step spends its time: each line of the generated NumPy code
timed on its own (the step is run with a clock read around every equation), summed by
primitive and listed by line, plus the same step in PyTorch eager per operator
(``torch.profiler``) when PyTorch is installed. Not a test: timings depend on the machine.

    python benchmarks/profile_lenet5.py --threads 1          # top lines and per-primitive sums
    python benchmarks/profile_lenet5.py --threads 1 --source # also print the generated code
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

if "--threads" in sys.argv:
    _n = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _n

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trace_ag as ag  # noqa: E402
from nn import losses, models, optim, recipes  # noqa: E402
from nn.train import make_train_step  # noqa: E402
from trace_ag import codegen  # noqa: E402

BATCH = 64
_ASSIGN = re.compile(r"^    (\S.*?) = (.+)$")
# What a line runs: a primitive's impl, or the NumPy call or method codegen wrote directly.
_KIND = re.compile(r"^impl_(\w+)\(|^np\.((?:\w+\.)?\w+)\(|^\w+\.(\w+)\(|^(\w+)$")
_DIRECT = {"add.reduce": "sum", "maximum.reduce": "max", "where": "select"}


def line_kind(call: str) -> str:
    """The primitive a generated line computes (direct NumPy forms named by their primitive)."""
    if call.startswith("extremum_with_scalar(impl_"):  # a relu against a row of zeros
        return call[len("extremum_with_scalar(impl_") :].split(",")[0]
    if call.startswith(("blocked_matmul", "swapped_matmul")):  # linalg.matmul_impl's forms
        return "matmul"
    match = _KIND.match(call)
    if match is None:
        return "other"
    name = next(g for g in match.groups() if g is not None)
    return _DIRECT.get(name, name) if match.group(4) is None else "const"


def lenet_step(recipe: bool = False):
    """The jitted step, its arguments and the optimized graph: SGD, or with ``recipe`` the
    main job's step (``trace-ag train``'s Adam with its cosine schedule, and the accuracy)."""
    model = models.lenet5((1, 28, 28))
    params, _ = model.init(0, (1, 28, 28))
    if recipe:
        opt = recipes.make_optimizer("adam", recipes.cosine(2e-3, 930))
        return _lowered(params, opt, make_train_step(model, opt, losses.cross_entropy))
    opt = optim.sgd(0.01)

    def step(params, state, x, y):
        loss_fn = lambda p: losses.cross_entropy(model.apply(p, x), y)  # noqa: E731
        loss, grads = ag.value_and_grad(loss_fn)(params)
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, loss

    return _lowered(params, opt, step)


def _lowered(params, opt, step):
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, BATCH)
    jitted = ag.jit(step, donate_argnums=(0, 1))
    state = opt.init(params)
    lowered = jitted.lower(params, state, x, y)
    leaves = ag.tree_util.tree_leaves((params, state, x, y))
    n_donated = len(ag.tree_util.tree_leaves((params, state)))
    return lowered, leaves, n_donated


def timed_source(source: str) -> tuple[str, list[str]]:
    """The generated function with a clock read around each equation's line."""
    out, labels = [], []
    for line in source.splitlines():
        match = _ASSIGN.match(line)
        if match is None:
            out.append(line)
            continue
        k = len(labels)
        labels.append(line.strip())
        out += ["    _t = _clock()", line, f"    _times[{k}].append(_clock() - _t)"]
    return "\n".join(out), labels


def profile_lines(steps: int, recipe: bool = False) -> None:
    lowered, leaves, n_donated = lenet_step(recipe)
    graph = lowered.graph
    donated = [True] * n_donated + [False] * (len(leaves) - n_donated)
    emitter = codegen._Emitter(graph, donated)
    source, labels = timed_source(emitter.source())
    times = [[] for _ in labels]
    namespace = {**emitter.globals, "_clock": time.perf_counter, "_times": times}
    exec(compile(source, "<profiled>", "exec"), namespace)
    fn = namespace["compiled"]
    plain = codegen.CompiledGraph(graph, donated).fn
    args = [np.array(a) for a in leaves]
    totals = []
    for _ in range(steps):
        fresh = [np.array(a) for a in args]
        fn(*fresh)
        fresh = [np.array(a) for a in args]
        start = time.perf_counter()
        plain(*fresh)
        totals.append(time.perf_counter() - start)
    medians = [1e3 * statistics.median(t) for t in times]
    step_ms = 1e3 * statistics.median(totals)
    by_prim: dict[str, float] = defaultdict(float)
    for label, ms in zip(labels, medians, strict=True):
        by_prim[line_kind(_ASSIGN.match("    " + label).group(2))] += ms
    print(f"whole step (no clocks): {step_ms:.2f} ms; sum of line medians {sum(medians):.2f} ms")
    print("\nby primitive:")
    for prim, ms in sorted(by_prim.items(), key=lambda kv: -kv[1]):
        print(f"  {prim:24s} {ms:7.3f} ms")
    print("\nslowest lines:")
    order = sorted(range(len(labels)), key=lambda k: -medians[k])
    for k in order[:25]:
        print(f"  {medians[k]:7.3f} ms  {labels[k][:110]}")


def profile_torch(steps: int) -> None:
    try:
        import torch
        from torch import nn as tnn
    except ImportError:
        print("PyTorch not installed: no PyTorch profile")
        return
    if "--threads" in sys.argv:
        torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
    torch.manual_seed(0)
    model = tnn.Sequential(
        tnn.Conv2d(1, 6, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5), tnn.ReLU(),
        tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(256, 120), tnn.ReLU(), tnn.Linear(120, 84),
        tnn.ReLU(), tnn.Linear(84, 10),
    )  # fmt: skip
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.uniform(size=(BATCH, 1, 28, 28)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 10, BATCH))

    def run():
        opt.zero_grad()
        tnn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(5):
        run()
    start = time.perf_counter()
    for _ in range(steps):
        run()
    print(f"\nPyTorch eager step: {1e3 * (time.perf_counter() - start) / steps:.2f} ms")
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            run()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=22))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--source", action="store_true", help="print the generated code")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument(
        "--recipe", action="store_true", help="the main job's Adam step (not SGD's), jit only"
    )
    args = parser.parse_args()
    if args.source:
        print(lenet_step(args.recipe)[0].as_text("source"))
    profile_lines(args.steps, args.recipe)
    if not args.no_torch:
        profile_torch(args.steps)


if __name__ == "__main__":
    main()
