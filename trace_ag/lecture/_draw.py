"""``draw_dot``: the lecture's picture of a computational graph, drawn by ``trace_ag.viz``.

What a Scalar/Tensor recorded is a core ``Graph`` (``tensor.to_graph()``); ``draw_dot`` hands
it to ``trace_ag.viz.to_dot`` with each node's ``label``, so leaves read as on the slides
(``z1\\nleaf(z)``) and every operation shows its primitive and output shape.
"""

from __future__ import annotations

from trace_ag import viz
from trace_ag.lecture._node import Node


def draw_dot(root: Node, *, rankdir: str = "LR", title: str | None = None) -> viz.Dot:
    """The Graphviz DOT picture of everything ``root`` was computed from.

    Leaves show their ``label`` (or ``leaf``) and shape; each recorded primitive shows its name
    and output shape, preceded by the label of the Tensor it produced, if any. The result is DOT
    text; ``.render("graph.svg")`` draws it with Graphviz (and Jupyter shows it directly).

    Example:
        >>> z = ag.Tensor(np.random.randn(3), label="z1\\nleaf(z)")
        >>> expX = ag.exp(z)
        >>> p = expX / ag.sum(expX)
        >>> nll = -ag.log(p[0])
        >>> ag.draw_dot(nll).render("cross_entropy.svg")
    """
    return viz.to_dot(root, rankdir=rankdir, title=title)
