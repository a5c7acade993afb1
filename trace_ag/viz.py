"""Computational-graph pictures: a traced ``Graph`` as Graphviz DOT text, rendered by ``dot``.

One node per input (``leaf(z)``, named from the traced function's signature), per captured
constant, and per equation (its primitive, static parameters and output shape); an edge per
use. In the graph of a gradient (``grad_graph``) the equations of the backward pass are drawn
differently: pink boxes, cotangent edges dashed red, and the forward values they reuse
(residuals) dotted grey. The DOT text is plain Python, no graphviz package needed; ``render``
runs the ``dot`` program (Debian/Ubuntu: ``apt-get install graphviz``). ``trace_ag.lecture``'s
``draw_dot`` is ``to_dot`` of what a lecture Tensor recorded.

Examples:
    >>> import trace_ag.viz as viz, trace_ag.numpy as tnp
    >>> def f(x, y):
    ...     return tnp.log(1 + tnp.exp(-(x + y))) * (x + y)
    >>> dot = viz.draw(f)(1.5, -0.3)            # DOT text: print it, or
    >>> dot.splitlines()[0]
    'digraph G {'
    >>> viz.render(dot, "f.svg")                # doctest: +SKIP
    PosixPath('f.svg')
"""

from __future__ import annotations

import inspect
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag.autodiff import argnums_tuple, of_argnums, vjp
from trace_ag.core import Eqn, Graph, Lit, Var, current_interpreter
from trace_ag.interpret import variable_grads, variable_values
from trace_ag.ir_print import format_eqn_param, format_lit
from trace_ag.tracing import make_ir
from trace_ag.tree_util import tree_flatten

FORMATS = ("svg", "png", "pdf")
_STYLE = {
    "input": 'shape=box, style="rounded,filled", fillcolor="#dbeafe"',
    "const": 'shape=box, style="filled", fillcolor="#eeeeee", fontcolor="#555555"',
    "forward": 'shape=ellipse, style="filled", fillcolor="#fef9c3"',
    "backward": 'shape=box, style="filled", fillcolor="#fde2e4", color="#b91c1c"',
    "output": 'shape=doubleoctagon, style="filled", fillcolor="#dcfce7"',
}
_EDGE = {
    "forward": "",
    "cotangent": ' [color="#b91c1c", style=dashed, penwidth=1.5]',
    "residual": ' [color="#9ca3af", style=dotted]',
}
_LEGEND = (
    "forward: ellipses; backward: red boxes, cotangents dashed red, "
    "forward values reused by the vjp rules dotted grey"
)


class GraphvizNotFoundError(errors.TraceAgError, RuntimeError):
    """``render`` needs the Graphviz ``dot`` program, which is not on the PATH."""


class Dot(str):
    """DOT text (a ``str``) that Jupyter shows as a picture when ``dot`` is installed."""

    def render(self, path: str | Path, format: str | None = None) -> Path:
        """Write the picture to ``path``; see ``trace_ag.viz.render``."""
        return render(self, path, format)

    def _repr_svg_(self) -> str | None:
        if shutil.which("dot") is None:
            return None
        return _run_dot(self, "svg").decode()


def _quote(text: str) -> str:
    """A DOT string literal; newlines become DOT's centred line breaks."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n") + '"'


def _describe_params(eqn: Eqn) -> str:
    parts = []
    for key, value in eqn.params.items():
        text = format_eqn_param(eqn, key, value)
        parts.append(f"{key}={text if len(text) <= 24 else text[:21] + '...'}")
    return " ".join(parts)


def to_dot(
    graph_or_tensor: Any,
    names: Sequence[str] | None = None,
    *,
    labels: Mapping[Var, str] | None = None,
    out_names: Sequence[str] | None = None,
    backward_from: int | None = None,
    title: str | None = None,
    rankdir: str = "auto",
    values: Mapping[Var, Any] | None = None,
    grads: Mapping[Var, Any] | None = None,
) -> Dot:
    """Graphviz DOT text of a traced graph (or of what a ``trace_ag.lecture`` Tensor recorded).

    Arguments:
        graph_or_tensor: a ``trace_ag.core.Graph`` (``ag.make_ir(f)(*args)``), or any object
            with ``to_graph()`` and ``labels()`` such as an ``ag.Tensor`` of the lecture API.
        names: one name per graph input, shown as ``leaf(name)`` (default: ``leaf``).
        labels: text shown verbatim for a variable (an input's whole label, or a first line
            on the equation that computes it), e.g. the lecture's ``"z1\\nleaf(z)"``.
        out_names: one name per graph output (default: ``out``).
        backward_from: index of the first equation of the backward pass; those from it on are
            drawn as backward (see ``grad_graph``).
        title: a caption under the picture.
        rankdir: Graphviz layout direction, ``"LR"`` (left to right), ``"TB"`` (top to
            bottom) or ``"auto"``: left to right unless the graph is more than
            ``AUTO_LR_DEPTH`` equations deep, where a row would not fit a page.
        values: a value per variable, shown on its node (``value 0.5``), as the lecture's
            graphs show each node's data (``interpret.variable_values`` computes them).
        grads: a gradient per variable, shown under its value (``grad 0.24``).

    Returns:
        ``Dot``, a ``str`` of DOT text.

    Examples:
        >>> g = ag.make_ir(lambda z: -tnp.log(tnp.exp(z)[0] / tnp.sum(tnp.exp(z))))(np.ones(3))
        >>> print(to_dot(g, names=["z"]))        # doctest: +ELLIPSIS
        digraph G {
          rankdir=LR;
          ...
          in0 [label="leaf(z)\\nf64[3]", shape=box, ...];
          in0 -> e0;
          e0 [label="exp\\nf64[3]", ...];
          ...
          e6 [label="neg\\nf64[]", ...];
          out0 [label="out\\nf64[]", shape=doubleoctagon, ...];
          e6 -> out0;
        }
        <BLANKLINE>
    """
    if not isinstance(graph_or_tensor, Graph):
        if not hasattr(graph_or_tensor, "to_graph"):
            raise TypeError(
                errors.at_user_line(
                    "to_dot: expected a trace_ag Graph (from ag.make_ir(f)(*args)) or a "
                    f"trace_ag.lecture Tensor/Scalar, got {type(graph_or_tensor).__name__}"
                )
            )
        labels = {**graph_or_tensor.labels(), **(labels or {})}
        graph_or_tensor = graph_or_tensor.to_graph()
    if rankdir == "auto":
        rankdir = "LR" if depth(graph_or_tensor) <= AUTO_LR_DEPTH else "TB"
    writer = _Writer(graph_or_tensor, labels or {}, backward_from, values or {}, grads or {})
    return Dot(writer.write(names, out_names, title, rankdir))


AUTO_LR_DEPTH = 8  # a left-to-right row of more equations is wider than a page


def depth(graph: Graph) -> int:
    """The number of equations on the longest path from an input to an output."""
    level: dict[Var, int] = {}
    deepest = 0
    for eqn in graph.eqns:
        d = 1 + max((level.get(a, 0) for a in eqn.inputs if isinstance(a, Var)), default=0)
        level.update((v, d) for v in eqn.outputs)
        deepest = max(deepest, d)
    return deepest


def format_value(x: Any) -> str:
    """A short text for a node's value: 4 significant digits, at most 6 entries shown."""
    text = np.array2string(np.asarray(x), precision=4, threshold=6, edgeitems=2)
    return " ".join(text.split())  # one line: rows of a matrix side by side


class _Writer:
    """Builds the DOT lines of one graph: node ids, node text, edge styles."""

    def __init__(
        self,
        graph: Graph,
        labels: Mapping[Var, str],
        backward_from: int | None,
        values: Mapping[Var, Any],
        grads: Mapping[Var, Any],
    ):
        self.graph, self.labels, self.values, self.grads = graph, labels, values, grads
        self.split = len(graph.eqns) if backward_from is None else backward_from
        self.node_of: dict[Var, tuple[str, bool]] = {}  # var -> (node id, is backward)
        self.lines: list[str] = []

    def write(self, names, out_names, title, rankdir) -> str:
        graph = self.graph
        if names is not None and len(names) != len(graph.invars):
            raise ValueError(
                errors.at_user_line(
                    f"to_dot: {len(names)} names for a graph with {len(graph.invars)} inputs"
                )
            )
        for i, var in enumerate(graph.invars):
            text = self.labels.get(var) or (f"leaf({names[i]})" if names else "leaf")
            text = f"{text}\n{var.aval.str_short()}{self.numbers(var)}"
            self.node(var, f"in{i}", text, "input")
        for i, var in enumerate(graph.constvars):
            self.node(var, f"c{i}", f"const\n{var.aval.str_short()}{self.numbers(var)}", "const")
        for i, eqn in enumerate(graph.eqns):
            self.equation(i, eqn)
        for i, atom in enumerate(graph.outvars):
            name = out_names[i] if out_names is not None else "out"
            self.output(i, atom, name)
        head = ["digraph G {", f"  rankdir={rankdir};", '  node [fontname="Helvetica"];']
        head.append('  edge [color="#374151"];')
        if self.split < len(graph.eqns):
            title = (f"{title}\n" if title else "") + _LEGEND
        if title:
            head.append(f"  label={_quote(title)}; labelloc=b; fontname=Helvetica;")
        return "\n".join([*head, *self.lines, "}"]) + "\n"

    def numbers(self, *variables: Var) -> str:
        """The value and gradient lines of a node, when they were given."""
        lines = []
        for var in variables:
            if var in self.values:
                lines.append(f"value {format_value(self.values[var])}")
            if var in self.grads:
                lines.append(f"grad {format_value(self.grads[var])}")
        return "".join(f"\n{line}" for line in lines)

    def node(self, var: Var, node_id: str, text: str, kind: str) -> None:
        self.node_of[var] = (node_id, kind == "backward")
        self.lines.append(f"  {node_id} [label={_quote(text)}, {_STYLE[kind]}];")

    def edge(self, atom: Var | Lit, target: str, backward: bool) -> None:
        if isinstance(atom, Lit):
            return  # literals are written into the equation's label
        source, from_backward = self.node_of.get(atom, (None, False))
        if source is None:  # a variable defined nowhere in the graph: show it as a constant
            self.node(atom, f"c{len(self.node_of)}", f"const\n{atom.aval.str_short()}", "const")
            source, from_backward = self.node_of[atom]
        style = "forward" if not backward else "cotangent" if from_backward else "residual"
        self.lines.append(f"  {source} -> {target}{_EDGE[style]};")

    def equation(self, i: int, eqn) -> None:
        backward = i >= self.split
        node_id = f"e{i}"
        text = eqn.primitive.name
        if any(isinstance(a, Lit) for a in eqn.inputs):  # e.g. div(-1.0, •): literal in place
            args = (format_lit(a) if isinstance(a, Lit) else "\u2022" for a in eqn.inputs)
            text += f"({', '.join(args)})"
        params = _describe_params(eqn)
        if params:
            text += f"\n{params}"
        text += "\n" + " ".join(v.aval.str_short() for v in eqn.outputs)
        text += self.numbers(*eqn.outputs)
        names = [self.labels[v] for v in eqn.outputs if v in self.labels]
        if names:
            text = "\n".join(names) + "\n" + text
        for atom in eqn.inputs:
            self.edge(atom, node_id, backward)
        self.lines.append(
            f"  {node_id} [label={_quote(text)}, {_STYLE['backward' if backward else 'forward']}];"
        )
        for var in eqn.outputs:
            self.node_of[var] = (node_id, backward)

    def output(self, i: int, atom: Var | Lit, name: str) -> None:
        node_id = f"out{i}"
        text = f"{name}\n{atom.aval.str_short()}"
        if isinstance(atom, Var):
            text += self.numbers(atom)
        if isinstance(atom, Lit):
            text = f"{name} = {format_lit(atom)}"
        self.lines.append(f"  {node_id} [label={_quote(text)}, {_STYLE['output']}];")
        if isinstance(atom, Var):
            source, from_backward = self.node_of.get(atom, (None, False))
            if source is not None:
                style = _EDGE["cotangent"] if from_backward else ""
                self.lines.append(f"  {source} -> {node_id}{style};")


def input_names(fn: Callable, args: Sequence[Any]) -> list[str]:
    """Names for the flattened inputs of ``fn(*args)``, from ``fn``'s signature.

    An argument that is a pytree with several leaves gives ``name[0]``, ``name[1]``, ...

    Examples:
        >>> input_names(lambda w, x: None, (np.ones(2), {"a": 1.0, "b": 2.0}))
        ['w', 'x[0]', 'x[1]']
    """
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for i, arg in enumerate(args):
        base = params[i].name if i < len(params) and params[i].kind <= 1 else f"arg{i}"
        n = len(tree_flatten(arg)[0])
        names += [base] if n == 1 else [f"{base}[{k}]" for k in range(n)]
    return names


def draw(fn: Callable, *, title: str | None = None, values: bool = False) -> Callable[..., Dot]:
    """``draw(f)(*args)``: the DOT picture of ``make_ir(f)(*args)``, inputs named from ``f``.

    With ``values=True`` every node also shows its value for ``args`` and, when ``f`` returns a
    float scalar, its gradient (what ``.backward()`` leaves in the lecture's nodes).

    Examples:
        >>> print(draw(lambda x, y: x * tnp.sin(y))(1.0, 2.0))  # doctest: +ELLIPSIS
        digraph G {
          ...
          in0 [label="leaf(x)\\nf64[]", ...];
          in1 [label="leaf(y)\\nf64[]", ...];
          in1 -> e0;
          e0 [label="sin\\nf64[]", ...];
          in0 -> e1;
          e0 -> e1;
          e1 [label="mul\\nf64[]", ...];
          ...
        }
        <BLANKLINE>
    """

    def make(*args: Any) -> Dot:
        graph = make_ir(fn)(*args)
        names = input_names(fn, args)
        if not values:
            return to_dot(graph, names, title=title)
        flat = tree_flatten(args)[0]
        out = graph.outvars[0].aval if graph.outvars else None
        scalar = out is not None and out.shape == () and np.issubdtype(out.dtype, np.floating)
        grads = variable_grads(graph, *flat) if scalar else None
        return to_dot(graph, names, title=title, values=variable_values(graph, *flat), grads=grads)

    return make


def grad_graph(
    fn: Callable,
    argnums: int | Sequence[int] = 0,
    *,
    title: str | None = None,
    values: bool = False,
) -> Callable[..., Dot]:
    """``grad_graph(f)(*args)``: the picture of ``value_and_grad(f)``, forward and backward.

    The function is traced abstractly through ``vjp``; the equations recorded after the
    forward pass are the backward pass, drawn with dashed red cotangent edges and dotted
    residual edges (forward values the vjp rules reuse). Outputs are ``value`` and
    ``grad(name)`` for each differentiated argument. With ``values=True`` every node shows
    its value for ``args``: the backward nodes' values are the cotangents.

    Examples:
        >>> dot = grad_graph(lambda x, y: tnp.sin(x) * y, argnums=(0, 1))(1.0, 2.0)
    """
    nums = argnums_tuple(argnums, "grad_graph")

    def make(*args: Any) -> Dot:
        split: list[int] = []

        def value_and_grads(*all_args):
            out, pullback = vjp(of_argnums(fn, all_args, nums), *[all_args[i] for i in nums])
            if np.shape(out) != ():
                raise TypeError(
                    errors.at_user_line(
                        f"grad_graph: {getattr(fn, '__name__', 'the function')} must return a "
                        f"scalar, got shape {np.shape(out)}"
                    )
                )
            split.append(len(current_interpreter().eqns))
            return out, pullback(np.ones((), np.result_type(out.dtype)))

        graph = make_ir(value_and_grads)(*args)
        names = input_names(fn, args)
        grad_names = [f"grad({n})" for i in nums for n in input_names(fn, args)[_span(args, i)]]
        shown = variable_values(graph, *tree_flatten(args)[0]) if values else None
        return to_dot(
            graph,
            names,
            out_names=["value", *grad_names],
            backward_from=split[0],
            title=title,
            values=shown,
        )

    return make


def _span(args: Sequence[Any], i: int) -> slice:
    """The positions of argument ``i``'s leaves among all flattened leaves."""
    start = sum(len(tree_flatten(a)[0]) for a in args[:i])
    return slice(start, start + len(tree_flatten(args[i])[0]))


def _run_dot(dot_text: str, format: str) -> bytes:
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFoundError(
            errors.at_user_line(
                "render: the Graphviz program `dot` is not installed (not found on PATH). "
                "Install it with `apt-get install graphviz` (Debian/Ubuntu), `brew install "
                "graphviz` (macOS) or `conda install graphviz`; or print the DOT text and "
                "paste it into any Graphviz viewer."
            )
        )
    done = subprocess.run([exe, f"-T{format}"], input=dot_text.encode(), capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"render: dot failed: {done.stderr.decode(errors='replace')[:500]}")
    return done.stdout


def render(dot_text: str, path: str | Path, format: str | None = None) -> Path:
    """Write the picture of ``dot_text`` to ``path`` with the Graphviz ``dot`` program.

    ``format`` is ``"svg"``, ``"png"`` or ``"pdf"``; by default it is taken from the file's
    suffix, else SVG. Raises ``GraphvizNotFoundError`` (saying ``apt-get install graphviz``)
    when ``dot`` is missing.

    Examples:
        >>> render(draw(tnp.sin)(1.0), "sin.png")   # doctest: +SKIP
        PosixPath('sin.png')
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".") or "svg").lower()
    if fmt not in FORMATS:
        raise ValueError(
            errors.at_user_line(f"render: format must be one of {FORMATS}, got {fmt!r}")
        )
    path.write_bytes(_run_dot(dot_text, fmt))
    return path
