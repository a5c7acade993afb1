"""Training-step benchmark: eager trace_ag vs jit (NumPy) vs jit (JAX) vs peers, in one run.

Two problems: the lecture's MLP (1-D input, 20 hidden ReLU units, 100 points, MSE, gradient
descent) and a 784-256-256-10 MLP with softmax cross-entropy at batch 128 (float32). Peers: a
hand-written NumPy forward+backward, and the same step written in JAX under ``jax.jit``.
Variants take turns (``--repeats`` rounds of 3 calls each; medians), in this one process.

Run:  python benchmarks/mlp.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

import trace_ag as ag
import trace_ag.numpy as tnp


def interleaved_medians(variants: dict, rounds: int, steps: int = 3) -> dict[str, float]:
    """Median seconds per call of each variant, timed in turns (round after round, each
    variant a few calls), so that load changes on a shared machine hit every row alike."""
    for fn in variants.values():
        fn(), fn()  # warm up: compile, fill caches
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            start = time.perf_counter()
            for _ in range(steps):
                fn()
            times[name].append((time.perf_counter() - start) / steps)
    return {name: float(np.median(t)) for name, t in times.items()}


# ---------------------------------------------------------------- the lecture's MLP


def lecture_problem(dtype=np.float64):
    rng = np.random.default_rng(42)
    params = {
        k: rng.standard_normal(s).astype(dtype)
        for k, s in [("w1", 20), ("b1", 20), ("w2", 20), ("b2", ())]
    }
    x = np.linspace(-2, 2, 100).astype(dtype)
    return params, x, np.sin(2 * x)


def lecture_loss(np_):
    def loss(p, x, y):
        hidden = np_.maximum(np_.outer(x, p["w1"]) + p["b1"], 0.0)
        return np_.mean((hidden @ p["w2"] + p["b2"] - y) ** 2)

    return loss


def sgd_step(loss_grad, lr):
    def step(params, x, y):
        grads = loss_grad(params, x, y)
        return ag.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)

    return step


# ---------------------------------------------------------------- 784-256-256-10


def big_problem(batch=128, dtype=np.float32):
    rng = np.random.default_rng(0)
    sizes = [784, 256, 256, 10]
    params = [
        {"w": (rng.standard_normal((m, n)) / np.sqrt(m)).astype(dtype), "b": np.zeros(n, dtype)}
        for m, n in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    x = rng.standard_normal((batch, 784)).astype(dtype)
    labels = rng.integers(0, 10, batch)
    return params, x, np.eye(10, dtype=dtype)[labels]


def big_loss(np_, log_softmax):
    def loss(params, x, y):
        h = x
        for layer in params[:-1]:
            h = np_.maximum(h @ layer["w"] + layer["b"], 0.0)
        logits = h @ params[-1]["w"] + params[-1]["b"]
        return -np_.mean(np_.sum(y * log_softmax(logits), axis=-1))

    return loss


def handwritten_step(params, x, y, lr=0.01):
    """Forward and backward of the 784-256-256-10 MLP written by hand in NumPy."""
    (l1, l2, l3), n = params, x.shape[0]
    z1 = x @ l1["w"] + l1["b"]
    h1 = np.maximum(z1, 0)
    z2 = h1 @ l2["w"] + l2["b"]
    h2 = np.maximum(z2, 0)
    logits = h2 @ l3["w"] + l3["b"]
    shifted = logits - logits.max(axis=-1, keepdims=True)
    p = np.exp(shifted)
    p /= p.sum(axis=-1, keepdims=True)
    g3 = (p - y) / n
    g2 = (g3 @ l3["w"].T) * (z2 > 0)
    g1 = (g2 @ l2["w"].T) * (z1 > 0)
    grads = [(x.T @ g1, g1.sum(0)), (h1.T @ g2, g2.sum(0)), (h2.T @ g3, g3.sum(0))]
    return [
        {"w": layer["w"] - lr * gw, "b": layer["b"] - lr * gb}
        for layer, (gw, gb) in zip(params, grads, strict=True)
    ]


def jax_peer(loss_np, lr):
    import jax

    loss = loss_np(jax.numpy, jax.nn.log_softmax) if loss_np is big_loss else loss_np(jax.numpy)

    @jax.jit
    def step(params, x, y):
        grads = jax.grad(loss)(params, x, y)
        return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)

    return step


def run(repeats: int) -> list[tuple[str, str, float]]:
    import jax

    rows = []
    params, x, y = lecture_problem()
    loss = lecture_loss(tnp)
    eager = sgd_step(ag.grad(loss), 0.05)
    variants = {
        "trace_ag eager": eager,
        "trace_ag jit (numpy)": ag.jit(eager),
        "trace_ag jit (jax)": ag.jit(eager, backend="jax"),
        "jax.jit": jax_peer(lecture_loss, 0.05),
    }
    # JAX dispatches asynchronously: wait for every result, on every row alike
    calls = {
        name: (lambda fn=fn: jax.block_until_ready(fn(params, x, y)))
        for name, fn in variants.items()
    }
    for name, seconds in interleaved_medians(calls, repeats).items():
        rows.append(("lecture MLP (1-20-1, 100 points, f64)", name, seconds))

    params, x, y = big_problem()
    loss = big_loss(tnp, tnp.log_softmax)
    eager = sgd_step(ag.grad(loss), 0.01)
    jitted_numpy = ag.jit(eager)
    ag.config.update("jit_reuse_buffers", False)
    jitted_no_reuse = ag.jit(eager)
    jitted_no_reuse(params, x, y)  # compiled now, without the buffer plan
    ag.config.update("jit_reuse_buffers", True)
    jitted_jax = ag.jit(eager, backend="jax")
    jax_step = jax_peer(big_loss, 0.01)
    jax_params = jax.device_put(params)
    variants = {
        "hand-written NumPy": lambda: handwritten_step(params, x, y),
        "trace_ag eager": lambda: eager(params, x, y),
        "trace_ag jit (numpy)": lambda: jitted_numpy(params, x, y),
        "trace_ag jit (numpy), no buffer reuse": lambda: jitted_no_reuse(params, x, y),
        "trace_ag jit (jax)": lambda: jax.block_until_ready(jitted_jax(jax_params, x, y)),
        "jax.jit": lambda: jax.block_until_ready(jax_step(jax_params, x, y)),
    }
    for name, seconds in interleaved_medians(variants, repeats).items():
        rows.append(("784-256-256-10 MLP, batch 128, f32", name, seconds))
    return rows


def paired_jax(repeats: int) -> list[tuple[str, float, float]]:
    """The JAX backend against jax.jit alone, in turns: (problem, ours, jax.jit) seconds."""
    import jax

    pairs = []
    params, x, y = lecture_problem()
    ours = ag.jit(sgd_step(ag.grad(lecture_loss(tnp)), 0.05), backend="jax")
    peer = jax_peer(lecture_loss, 0.05)
    big = big_problem()
    big_ours = ag.jit(sgd_step(ag.grad(big_loss(tnp, tnp.log_softmax)), 0.01), backend="jax")
    big_peer = jax_peer(big_loss, 0.01)
    for problem, a, b, args in (
        ("lecture MLP", ours, peer, (params, x, y)),
        ("784-256-256-10 MLP", big_ours, big_peer, big),
    ):
        times = interleaved_medians(
            {
                "ours": lambda a=a, args=args: jax.block_until_ready(a(*args)),
                "peer": lambda b=b, args=args: jax.block_until_ready(b(*args)),
            },
            repeats,
        )
        pairs.append((problem, times["ours"], times["peer"]))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    rows = run(args.repeats)
    pairs = paired_jax(args.repeats)
    print(f"machine: {platform.processor() or platform.machine()}, numpy {np.__version__}")
    problem = None
    for prob, name, seconds in rows:
        if prob != problem:
            problem = prob
            base = {n: s for p, n, s in rows if p == prob}
            print(
                f"\n{prob}\n| variant | step time | vs eager | vs jit (numpy) |\n|---|---|---|---|"
            )
        print(
            f"| {name} | {seconds * 1e3:.3f} ms | {base['trace_ag eager'] / seconds:.2f}x "
            f"faster | {seconds / base['trace_ag jit (numpy)']:.2f}x the time |"
        )
    print(
        "\nJAX backend vs jax.jit, timed in turns on their own\n| problem | trace_ag jit (jax) "
        "| jax.jit | ratio |\n|---|---|---|---|"
    )
    for problem, ours, peer in pairs:
        print(f"| {problem} | {ours * 1e3:.3f} ms | {peer * 1e3:.3f} ms | {ours / peer:.2f}x |")


if __name__ == "__main__":
    main()
