"""``trace-ag graph MODULE:FUNCTION --args-shape ...``: trace a function on random arrays of the
given shapes and draw its computational graph with ``trace_ag.viz`` (with ``--grad``, the graph
of ``value_and_grad``, backward pass included), as DOT text or an SVG/PNG/PDF picture.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trace_ag.cli._common import CLIError, check_output, first_line, non_negative_int

DOT_SUFFIXES = (".dot", ".gv")
PICTURE_SUFFIXES = (".svg", ".png", ".pdf")
DESCRIPTION = (
    "Trace FUNCTION on random arrays of the given shapes and draw its graph with trace_ag.viz: "
    "inputs as leaf(name), one node per primitive with its output shape. With --grad, the graph "
    "of value_and_grad: backward equations in red boxes, cotangent edges dashed. Writes DOT text "
    "to stdout, or to -o FILE: .dot or .gv; .svg, .png or .pdf need Graphviz's `dot` program "
    "(apt-get install graphviz)."
)


def parse_shape(text: str) -> tuple[int, ...]:
    """``"2,3"`` -> ``(2, 3)``; ``""``, ``"()"`` or ``"scalar"`` -> ``()``.

    Examples:
        >>> parse_shape("2,3"), parse_shape("scalar")
        ((2, 3), ())
    """
    stripped = text.strip().strip("()[] ")
    if stripped in ("", "scalar"):
        return ()
    parts = [p.strip() for p in stripped.split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"a shape is sizes like 3 or 2,3 or scalar, got {text!r}")
    return tuple(int(p) for p in parts)


def load_function(target: str) -> Callable:
    """The function named ``module:name`` or ``path/to/file.py:name`` (``name`` may be dotted).

    The current folder is importable, as with ``python -m``.

    Examples:
        >>> load_function("trace_ag.numpy:tanh")
        <function tanh at ...>
    """
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise CLIError(f"expected MODULE:FUNCTION or FILE.py:FUNCTION, got {target!r}")
    try:
        if module_name.endswith(".py"):
            path = Path(module_name).resolve()
            if not path.is_file():
                raise CLIError(f"{module_name}: no such file")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            sys.path.insert(0, os.getcwd())
            module = importlib.import_module(module_name)
    except ImportError as e:
        raise CLIError(f"cannot import {module_name}: {first_line(e)}") from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise CLIError(f"{module_name} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise CLIError(f"{target} is a {type(obj).__name__}, not a function")
    return obj


def add_parser(commands: Any) -> None:
    """Declare ``graph`` and its options on the ``trace-ag`` subcommands."""
    p = commands.add_parser(
        "graph",
        help="draw a function's traced graph (DOT text, SVG, PNG or PDF)",
        description=DESCRIPTION,
    )
    p.add_argument(
        "function", metavar="MODULE:FUNCTION", help="e.g. mypkg.losses:nll or path/to/file.py:nll"
    )
    p.add_argument(
        "--args-shape",
        action="append",
        type=parse_shape,
        default=[],
        metavar="SHAPE",
        help="shape of the next argument: 3, 2,3 or scalar; once per argument",
    )
    p.add_argument("--grad", action="store_true", help="draw value_and_grad's graph")
    p.add_argument("--argnums", default="0", help="arguments --grad differentiates (e.g. 0,1)")
    p.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    p.add_argument(
        "--seed", type=non_negative_int, default=0, help="for the random argument values"
    )
    p.add_argument(
        "--values",
        action="store_true",
        help="show each node's value (and, for a scalar output, its gradient) on the node",
    )
    p.add_argument("--title", help="a caption under the picture")
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="where to write the graph")
    p.set_defaults(run=run)


def _output_kind(out: Path | None) -> str:
    if out is None:
        return "stdout"
    check_output("-o", out)
    if out.suffix.lower() in DOT_SUFFIXES:
        return "dot"
    if out.suffix.lower() not in PICTURE_SUFFIXES:
        raise CLIError(
            f"-o {out}: the suffix must be one of {', '.join(DOT_SUFFIXES + PICTURE_SUFFIXES)}"
        )
    if shutil.which("dot") is None:
        raise CLIError(
            f"-o {out}: pictures need the Graphviz program `dot`, which is not installed "
            "(apt-get install graphviz); or write DOT text with -o graph.dot"
        )
    return "picture"


def run(args: argparse.Namespace) -> int:
    """Run ``trace-ag graph`` with parsed options; returns the exit status."""
    import numpy as np

    from trace_ag import errors, viz

    kind = _output_kind(args.output)
    try:
        argnums = tuple(int(a) for a in args.argnums.split(","))
    except ValueError:
        raise CLIError(f"--argnums: expected integers like 0,1, got {args.argnums!r}") from None
    fn = load_function(args.function)
    rng = np.random.default_rng(args.seed)
    values = [rng.standard_normal(shape).astype(args.dtype) for shape in args.args_shape]
    if args.grad and any(not 0 <= i < len(values) for i in argnums):
        raise CLIError(f"--argnums {args.argnums}: only {len(values)} --args-shape given")
    if args.grad:
        draw = viz.grad_graph(fn, argnums, title=args.title, values=args.values)
    else:
        draw = viz.draw(fn, title=args.title, values=args.values)
    try:
        dot = draw(*values)
    except (errors.TraceAgError, TypeError, ValueError) as e:
        raise CLIError(f"tracing {args.function}: {first_line(e)}") from None
    if kind == "stdout":
        sys.stdout.write(dot)
    elif kind == "picture":
        print(f"wrote {viz.render(dot, args.output)}")
    else:
        args.output.write_text(dot)
        print(f"wrote {args.output}")
    return 0
