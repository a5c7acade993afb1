"""The lecture's ``ag.Tensor`` cross-entropy, ``-log(softmax(z)[0])``, and its computational
graph: ``draw_dot(nll)`` shows what was recorded (leaf ``z1\\nleaf(z)``, then exp, sum, div,
getitem, log, neg), and ``trace_ag.viz.grad_graph`` shows the functional version's forward and
backward graph together. DOT files are always written; SVG/PNG pictures need Graphviz's ``dot``.

Run:  python examples/lecture/tensor_cross_entropy_graph.py [--out-dir graphs --format svg]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np

import trace_ag.lecture as ag
import trace_ag.numpy as tnp
from trace_ag import viz


def nll_functional(z):
    """The same program for the functional API (``tnp`` has the same names as ``ag``)."""
    expX = tnp.exp(z)
    p = expX / tnp.sum(expX)
    return -tnp.log(p[0])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default="graphs", help="where the .dot (and pictures) go")
    parser.add_argument("--format", default="svg", choices=viz.FORMATS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    np.random.seed(args.seed)
    z = ag.Tensor(np.random.randn(3), label="z1\nleaf(z)")
    expX = ag.exp(z)
    p = expX / ag.sum(expX)
    nll = -ag.log(p[0])  # negative log-likelihood
    nll.backward()

    softmax = np.exp(z.value) / np.exp(z.value).sum()
    print("nll          =", nll.value)
    print("z.grad       =", z.grad)
    print("softmax - e0 =", softmax - np.eye(3)[0])
    print("\nWhat nll recorded, as a core IR graph:")
    print(nll.to_graph())

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pictures = {
        "cross_entropy_tensor": ag.draw_dot(nll, show_values=True),
        "cross_entropy_grad": viz.grad_graph(nll_functional, title="value_and_grad")(z.value),
    }
    written = {}
    for name, dot in pictures.items():
        path = out_dir / f"{name}.dot"
        path.write_text(dot)
        written[name] = path
        if shutil.which("dot"):
            written[name] = dot.render(out_dir / f"{name}.{args.format}")
    print("\nwrote", ", ".join(str(p) for p in written.values()))
    if not shutil.which("dot"):
        print("(install Graphviz for pictures: apt-get install graphviz)")
    return written


if __name__ == "__main__":
    main()
