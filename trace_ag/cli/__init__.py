"""The ``trace-ag`` command line: ``trace-ag train`` trains LeNet-5 (on 5,000 real MNIST digits
by default, nothing downloaded) and ``trace-ag graph`` draws the traced graph of a function.

Every user error (a bad option, a missing data folder, Graphviz missing for a picture) is
reported as one line on stderr with exit status 2, never as a traceback. The training logic
lives in ``nn.recipes`` (shared with ``examples/lenet5.py``); the pictures in ``trace_ag.viz``.

Examples:
    $ trace-ag train --plot curves.png
    $ trace-ag graph examples/cross_entropy_graph.py:nll --args-shape 3 --grad -o nll.svg
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from trace_ag.cli import graph, train
from trace_ag.cli._common import CLIError, Parser

PROG = "trace-ag"
EPILOG = """examples:
  trace-ag train                          LeNet-5 on the MNIST sample: 97.5% in under 30 s
  trace-ag train --plot curves.png --save lenet5.npz
  trace-ag train --dataset digits --epochs 3 --optimizer momentum
  trace-ag train --dataset mnist:~/data/mnist --backend jax
  trace-ag graph mymodule:f --args-shape 3 --args-shape 2,3 --grad -o f.svg

Run `trace-ag COMMAND --help` for a command's options."""

__all__ = ["CLIError", "main", "make_parser"]


def make_parser() -> argparse.ArgumentParser:
    """The ``trace-ag`` argument parser with its ``train`` and ``graph`` commands.

    Examples:
        >>> make_parser().parse_args(["train", "--epochs", "1"]).epochs
        1
    """
    from trace_ag import __version__

    parser = Parser(
        prog=PROG,
        description="trace_ag, a small JAX-style autograd library on NumPy: train LeNet-5 or "
        "draw a function's computational graph.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"trace-ag {__version__}")
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    commands.required = True
    train.add_parser(commands)
    graph.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``trace-ag`` with ``argv`` (default: the command line); returns the exit status.

    Examples:
        >>> main(["train", "--dataset", "digits", "--epochs", "1", "--quiet"])  # doctest: +ELLIPSIS
        digits: 1437 train / 360 held-out images 1x8x8, 1 epoch
        adam (peak lr 0.003, cosine), batch 32, numpy backend, strided im2col
        epoch   1/1: held-out accuracy ...
        trained LeNet-5 on digits: held-out accuracy ... after 1 epoch in ... s
        0
    """
    args = make_parser().parse_args(argv)
    try:
        return args.run(args)
    except CLIError as e:
        sys.stderr.write(f"{PROG} {args.command}: error: {e}\n")
        return e.status
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG} {args.command}: interrupted\n")
        return 130
