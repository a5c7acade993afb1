"""Drawing the lecture's cross-entropy graph with the functional API: ``nll(z) =
-log(exp(z)[0] / sum(exp(z)))`` traced by ``ag.make_ir`` and drawn by ``trace_ag.viz``:

- ``viz.draw(nll)(z)``: the forward graph, ``leaf(z)`` then exp, sum, div, getitem, log, neg;
- ``viz.grad_graph(nll)(z)``: the graph of ``value_and_grad(nll)``, the backward pass drawn as
  red boxes with dashed cotangent edges and dotted edges for the forward values it reuses.

DOT files are always written; with Graphviz's ``dot`` program (``apt-get install graphviz``)
the pictures are rendered too. The same pictures from the command line:
``trace-ag graph examples/cross_entropy_graph.py:nll --args-shape 3 --grad -o nll_grad.svg``.
``examples/lecture/tensor_cross_entropy_graph.py`` draws what the lecture's ``ag.Tensor``
recorded.

Run:  python examples/cross_entropy_graph.py [--out-dir graphs --format svg]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag import viz


def nll(z):
    """Negative log-likelihood of class 0 under softmax(z), as on the slide."""
    expz = tnp.exp(z)
    p = expz / tnp.sum(expz)
    return -tnp.log(p[0])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=Path("graphs"),
        help="where to write the graphs (default: graphs)",
    )
    parser.add_argument(
        "--format", default="svg", choices=viz.FORMATS, help="picture format for dot (default: svg)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the random logits (default: 0)"
    )
    args = parser.parse_args(argv)

    z = np.random.default_rng(args.seed).standard_normal(3)
    value, grad = ag.value_and_grad(nll)(z)
    softmax = np.exp(z) / np.exp(z).sum()
    print(f"z = {z}\nnll(z) = {float(value):.6f}\ngrad   = {grad}")
    print(f"softmax(z) - one_hot(0) = {softmax - np.eye(3)[0]}  (the same)")
    print("\nThe traced graph:")
    print(ag.make_ir(nll)(z))

    pictures = {
        "nll": viz.draw(nll, title="nll(z) = -log(softmax(z)[0])")(z),
        "nll_grad": viz.grad_graph(nll, title="value_and_grad(nll)")(z),
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, dot in pictures.items():
        written[name] = args.out_dir / f"{name}.dot"
        written[name].write_text(dot)
        if shutil.which("dot"):
            written[name] = dot.render(args.out_dir / f"{name}.{args.format}")
    print("\nwrote", ", ".join(str(p) for p in written.values()))
    if not shutil.which("dot"):
        print("(DOT text only: install Graphviz for pictures, apt-get install graphviz)")
    return written


if __name__ == "__main__":
    main()
