"""Cross-entropy overflow: the lecture's naive ``-log(exp(z)[0] / sum(exp(z)))`` against the
log-sum-exp form ``logsumexp(z) - z[0]``, for growing logits.

``exp(z)`` overflows float64 above ``z ~ 709`` (float32: ~ 88), and ``inf / inf`` is ``nan``,
so the naive loss and its gradient turn into ``nan``. ``logsumexp`` subtracts ``max(z)`` before
exponentiating, so its largest term is ``exp(0) = 1``: the loss and the gradient,
``softmax(z) - one_hot(0)``, stay finite for any finite ``z``.

Run:  python examples/cross_entropy_overflow.py [--scales 1 10 100 1000 --dtype float32]
"""

from __future__ import annotations

import argparse

import numpy as np

import trace_ag as ag
import trace_ag.numpy as tnp


def naive(z):
    """The formula from the slides: softmax, pick class 0, negative log."""
    expz = tnp.exp(z)
    return -tnp.log(expz[0] / tnp.sum(expz))


def stable(z):
    """log(sum(exp(z))) - z[0], with logsumexp = max(z) + log(sum(exp(z - max(z))))."""
    return tnp.logsumexp(z) - z[0]


def stable_by_hand(z):
    """The same shift written out, so the trick is visible."""
    m = tnp.max(z)
    return m + tnp.log(tnp.sum(tnp.exp(z - m))) - z[0]


def main(argv: list[str] | None = None) -> list[tuple[float, float, float]]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scales",
        type=float,
        nargs="+",
        default=[1, 10, 100, 500, 710, 1000],
        metavar="S",
        help="logit scales to try (default: 1 10 100 500 710 1000)",
    )
    parser.add_argument(
        "--dtype", default="float64", choices=("float64", "float32"), help="default: float64"
    )
    args = parser.parse_args(argv)

    base = np.array([0.5, 1.0, -0.3], dtype=args.dtype)
    rows = []
    print(f"z = scale * {base.tolist()} ({args.dtype}); the loss for class 0")
    print(f"{'scale':>7} {'naive':>12} {'stable':>12} {'by hand':>12}   grad(naive) | grad(stable)")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for scale in args.scales:
            z = (base * scale).astype(args.dtype)
            values = [float(f(z)) for f in (naive, stable, stable_by_hand)]
            g_naive, g_stable = ag.grad(naive)(z), ag.grad(stable)(z)
            print(f"{scale:7g} {values[0]:12.5g} {values[1]:12.5g} {values[2]:12.5g}   "
                  f"{np.round(g_naive, 4)} | {np.round(g_stable, 4)}")  # fmt: skip
            rows.append(tuple(values))
    softmax = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    expected = softmax - np.eye(len(z))[0]
    print(f"grad(stable) == softmax(z) - one_hot(0) at the last scale: "
          f"{np.allclose(g_stable, expected, atol=1e-6)}")  # fmt: skip
    overflowed = [s for s, r in zip(args.scales, rows, strict=True) if not np.isfinite(r[0])]
    print(f"naive overflowed (nan/inf) at scales {overflowed}; "
          f"stable is finite everywhere: {all(np.isfinite(r[1]) for r in rows)}")  # fmt: skip
    return rows


if __name__ == "__main__":
    main()
