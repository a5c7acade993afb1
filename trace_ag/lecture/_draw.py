"""``draw_dot``: the lecture's picture of a computational graph, drawn by ``trace_ag.viz``.

What a Scalar/Tensor recorded is a core ``Graph`` (``tensor.to_graph()``); ``draw_dot`` hands
it to ``trace_ag.viz.to_dot`` with each node's ``label``, so leaves read as on the slides
(``z1\\nleaf(z)``) and every operation shows its primitive and output shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import viz
from trace_ag.lecture._node import Node, reachable


def _short(x: Any) -> str:
    return np.array2string(np.asarray(x), precision=4, threshold=6, edgeitems=2)


def draw_dot(
    root: Node, *, show_values: bool = False, rankdir: str = "LR", title: str | None = None
) -> viz.Dot:
    """The Graphviz DOT picture of everything ``root`` was computed from.

    Leaves show their ``label`` (or ``leaf``) and shape; each recorded primitive shows its name
    and output shape, preceded by the label of the Tensor it produced, if any. With
    ``show_values``, every Scalar/Tensor also shows its ``value`` and ``grad`` (after
    ``backward()``), micrograd style. The result is DOT text; ``.render("graph.svg")`` draws it
    with Graphviz (and Jupyter shows it directly).

    Examples:
        >>> import trace_ag.lecture as ag
        >>> z = ag.Tensor(np.array([1.0, 2.0, 3.0]), label="z1\\nleaf(z)")
        >>> expX = ag.exp(z)
        >>> p = expX / ag.sum(expX)
        >>> nll = -ag.log(p[0])
        >>> dot = ag.draw_dot(nll)
        >>> dot.splitlines()[0], dot.count("shape=ellipse")  # one ellipse per primitive
        ('digraph G {', 6)
        >>> dot.render("cross_entropy.svg")  # doctest: +SKIP
    """
    labels = root.labels()
    if show_values:
        for node in reachable(root):
            text = f"value {_short(node.value)}\ngrad {_short(node.grad)}"
            default = "leaf" if node.is_leaf else None
            name = labels.get(node._var, default)
            labels[node._var] = text if name is None else f"{name}\n{text}"
    return viz.to_dot(root.to_graph(), labels=labels, rankdir=rankdir, title=title)
