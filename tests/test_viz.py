"""Graph pictures (``trace_ag.viz``): the DOT text's structure (labels, edges, backward styling),
the lecture's ``draw_dot`` as the same code, and rendering with Graphviz's ``dot`` (only where
it is installed) or the clear error where it is not."""

import re
import shutil

import numpy as np
import pytest

import trace_ag as tag
import trace_ag.lecture as ag
import trace_ag.numpy as tnp
from trace_ag import viz
from trace_ag.interpret import variable_grads

HAVE_DOT = shutil.which("dot") is not None
BACKWARD_FILL = 'fillcolor="#fde2e4"'


def lecture_f(x, y):
    s = x + y
    return tnp.log(1 + tnp.exp(-s)) * s


def cross_entropy(z):
    expX = tnp.exp(z)
    p = expX / tnp.sum(expX)
    return -tnp.log(p[0])


def nodes(dot: str) -> dict[str, str]:
    """node id -> its label text."""
    return dict(re.findall(r'^  (\w+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M))


def edges(dot: str) -> list[tuple[str, str, str]]:
    """(source, target, attributes) for every edge."""
    return re.findall(r"^  (\w+) -> (\w+)(.*);$", dot, re.M)


def test_to_dot_structure_of_a_traced_graph():
    graph = tag.make_ir(lecture_f)(1.5, -0.3)
    dot = viz.to_dot(graph, ["x", "y"])
    assert dot.startswith("digraph G {") and dot.rstrip().endswith("}")
    labels = nodes(dot)
    assert labels["in0"] == r"leaf(x)\nf64[]" and labels["in1"] == r"leaf(y)\nf64[]"
    ops = [labels[f"e{i}"].split("\\n")[0] for i in range(len(graph.eqns))]
    assert ops == ["add", "neg", "exp", "add(1.0, \u2022)", "log", "mul"]
    assert labels["out0"] == r"out\nf64[]"
    uses = sum(isinstance(a, tag.core.Var) for e in graph.eqns for a in e.inputs)
    assert len(edges(dot)) == uses + len(graph.outvars)
    assert ("in0", "e0", "") in edges(dot) and ("e0", "e5", "") in edges(dot)
    assert BACKWARD_FILL not in dot


def test_draw_names_inputs_from_the_signature_and_shows_shapes_and_params():
    dot = viz.draw(lambda weights, x: tnp.sum(weights["a"] * x, axis=0))({"a": np.ones(3)}, 2.0)
    labels = nodes(dot)
    assert labels["in0"] == r"leaf(weights)\nf64[3]" and labels["in1"] == r"leaf(x)\nf64[]"
    assert r"sum\naxis=(0,) keepdims=False\nf64[]" in labels.values()
    assert viz.input_names(lambda w, x: None, (np.ones(2), {"a": 1.0, "b": 2.0})) == [
        "w",
        "x[0]",
        "x[1]",
    ]


def test_constants_get_their_own_nodes():
    table = np.arange(3.0)
    labels = nodes(viz.draw(lambda x: x * table)(np.ones(3)))
    assert labels["c0"] == r"const\nf64[3]"


def test_grad_graph_styles_the_backward_pass():
    dot = viz.grad_graph(lecture_f, argnums=(0, 1))(1.5, -0.3)
    forward = len(tag.make_ir(lecture_f)(1.5, -0.3).eqns)
    labels = nodes(dot)
    eqn_ids = [n for n in labels if n.startswith("e")]
    backward = [n for n in eqn_ids if f"  {n} [label=" in dot and _is_backward(dot, n)]
    assert len(backward) == len(eqn_ids) - forward > 0
    assert all(int(n[1:]) >= forward for n in backward)
    styles = {attrs for _, _, attrs in edges(dot)}
    assert any("dashed" in s for s in styles), "cotangent edges are dashed"
    assert any("dotted" in s for s in styles), "residual edges are dotted"
    for source, target, attrs in edges(dot):
        into_backward = target in backward
        if not into_backward:
            assert "dashed" not in attrs or target.startswith("out")
        elif source in backward:
            assert "dashed" in attrs
        else:
            assert "dotted" in attrs
    assert labels["out0"].startswith("value") and labels["out1"].startswith("grad(x)")
    assert labels["out2"].startswith("grad(y)")
    assert "cotangents dashed red" in dot  # the legend under the picture


def _is_backward(dot: str, node: str) -> bool:
    line = next(x for x in dot.splitlines() if x.startswith(f"  {node} [label="))
    return BACKWARD_FILL in line


def test_grad_graph_of_the_cross_entropy_and_a_non_scalar_error():
    dot = viz.grad_graph(cross_entropy)(np.array([0.5, -1.0, 2.0]))
    labels = nodes(dot)
    assert any(v.startswith("scatter_add") for v in labels.values())  # getitem's vjp
    with pytest.raises(TypeError, match="grad_graph: .* must return a scalar"):
        viz.grad_graph(tnp.exp)(np.ones(2))


def test_draw_dot_of_the_lecture_tensor_is_viz_to_dot_of_the_same_program():
    z = ag.Tensor(np.array([0.5, -1.0, 2.0]), label="z1\nleaf(z)")
    expX = ag.exp(z)
    expX.label = "expX"
    p = expX / ag.sum(expX)
    nll = -ag.log(p[0])
    dot = ag.draw_dot(nll)
    labels = nodes(dot)
    assert labels["in0"] == r"z1\nleaf(z)\nf64[3]"  # the slide's label
    assert labels["e0"] == r"expX\nexp\nf64[3]"
    assert labels["e5"] == r"neg\nf64[]"
    assert dot == viz.to_dot(nll)
    # the functional program traced by make_ir draws exactly the same picture
    graph = tag.make_ir(cross_entropy)(z.value)
    functional = viz.to_dot(
        graph, labels={graph.invars[0]: "z1\nleaf(z)", graph.eqns[0].outputs[0]: "expX"}
    )
    assert functional == dot


def test_draw_dot_can_show_values_and_grads():
    x, y = ag.Scalar(2.0, label="x"), ag.Scalar(-3.0)
    out = x * y
    out.backward()
    labels = nodes(ag.draw_dot(out, show_values=True))
    assert labels["in0"] == r"x\nvalue 2.\ngrad -3.\nf64[]"
    assert labels["in1"] == r"leaf\nvalue -3.\ngrad 2.\nf64[]"
    assert labels["e0"] == r"value -6.\ngrad 1.\nmul\nf64[]"


def test_labels_are_escaped():
    x = ag.Scalar(1.0, label='say "hi" \\ there')
    dot = ag.draw_dot(x * 2)
    assert r'label="say \"hi\" \\ there\nf64[]"' in dot


def test_bad_arguments_raise_clearly():
    with pytest.raises(TypeError, match="to_dot: expected a trace_ag Graph"):
        viz.to_dot(42)
    with pytest.raises(ValueError, match="to_dot: 1 names for a graph with 2 inputs"):
        viz.to_dot(tag.make_ir(lecture_f)(1.0, 2.0), ["x"])
    with pytest.raises(ValueError, match="render: format must be one of"):
        viz.render("digraph G {}", "picture.gif")


def test_render_without_dot_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    dot = viz.draw(tnp.sin)(1.0)
    with pytest.raises(viz.GraphvizNotFoundError, match="apt-get install graphviz") as info:
        viz.render(dot, tmp_path / "sin.svg")
    assert "test_viz.py" in str(info.value)
    assert dot._repr_svg_() is None  # Jupyter falls back to showing the text
    assert not (tmp_path / "sin.svg").exists()


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed")
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_render_with_dot(tmp_path, fmt):
    z = ag.Tensor(np.ones(3), label="z1\nleaf(z)")
    pictures = [
        viz.grad_graph(cross_entropy, title="value_and_grad")(np.ones(3)),
        ag.draw_dot(-ag.log(ag.exp(z)[0] / ag.sum(ag.exp(z)))),
    ]
    for i, dot in enumerate(pictures):
        path = viz.render(dot, tmp_path / f"g{i}.{fmt}")
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG") if fmt == "png" else b"<svg" in data[:1000]
    assert "<svg" in pictures[0]._repr_svg_()
    assert pictures[1].render(tmp_path / "g.out", format="svg").read_bytes()[:5] == b"<?xml"


def test_draw_with_values_shows_each_nodes_value_and_gradient():
    """The lecture's slide: every node's value and the gradient ``.backward()`` would leave in
    it, computed by the traced graph's own vjp rules; inputs' gradients are ``ag.grad``'s."""

    def f(x, y):
        s = x + y
        return tnp.log(1 + tnp.exp(-s)) * s

    x, y = 1.5, -0.3
    labels = nodes(viz.draw(f, values=True)(x, y))
    gx, gy = tag.grad(f, argnums=(0, 1))(x, y)
    s = x + y
    assert labels["in0"] == rf"leaf(x)\nf64[]\nvalue 1.5\ngrad {viz.format_value(gx)}"
    assert labels["in1"].endswith(rf"grad {viz.format_value(gy)}")
    assert labels["e0"] == rf"add\nf64[]\nvalue {viz.format_value(s)}\ngrad {viz.format_value(gx)}"
    # d f / d log(...) = s, and the output node's gradient is 1
    assert labels["e4"].endswith(rf"grad {viz.format_value(s)}")
    assert labels["e5"].endswith(r"grad 1.") and labels["out0"].endswith(r"grad 1.")


def test_variable_grads_match_grad_with_respect_to_an_intermediate():
    x = np.array([0.5, -1.0, 2.0])
    graph = tag.make_ir(lambda x: tnp.sum(tnp.tanh(x) ** 2))(x)
    grads = variable_grads(graph, x)
    tanh_var = graph.eqns[0].outputs[0]
    np.testing.assert_allclose(grads[tanh_var], 2 * np.tanh(x))
    np.testing.assert_allclose(
        grads[graph.invars[0]], tag.grad(lambda x: tnp.sum(tnp.tanh(x) ** 2))(x)
    )
    with pytest.raises(TypeError, match="float scalar"):
        variable_grads(tag.make_ir(tnp.tanh)(x), x)


def test_grad_graph_with_values_shows_cotangents_on_backward_nodes():
    dot = viz.grad_graph(lambda x: tnp.sin(x) * 3.0, values=True)(0.5)
    labels = nodes(dot)
    assert labels["out1"].endswith(rf"value {viz.format_value(3 * np.cos(0.5))}")
    assert all("value" in text for text in labels.values())


def _chain(x):
    for _ in range(12):
        x = tnp.sin(x) * 1.5
    return x


def test_long_graphs_are_laid_out_top_to_bottom():
    assert "rankdir=LR" in viz.draw(lambda x: tnp.sin(x) * 2)(1.0)
    assert "rankdir=TB" in viz.draw(_chain)(1.0)
    assert viz.depth(tag.make_ir(_chain)(1.0)) == 24


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed")
def test_a_24_equation_graph_renders_narrow_enough_for_a_page(tmp_path):
    svg = viz.render(viz.draw(_chain)(1.0), tmp_path / "chain.svg").read_text()
    width = float(re.search(r'<svg width="(\d+)pt"', svg).group(1))
    assert width < 600, width  # left to right it was several thousand points wide
