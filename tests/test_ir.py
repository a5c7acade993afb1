"""The IR: golden printouts of traced graphs, and the graph as data."""

import numpy as np

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag.core import Eqn, Graph, Lit, Var


def lecture_f(x, y):
    s = x + y
    return tnp.log(1 + tnp.exp(-s)) * s


def test_lecture_function_prints_like_a_jaxpr():
    assert (
        str(ag.make_ir(lecture_f)(1.5, -0.3))
        == """\
{ lambda a:f64[] b:f64[] . let
    c:f64[] = add a b
    d:f64[] = neg c
    e:f64[] = exp d
    f:f64[] = add 1.0 e
    g:f64[] = log f
    h:f64[] = mul g c
  in ( h ) }"""
    )


def test_params_shapes_dtypes_and_constants_are_printed():
    x, w = np.ones((2, 3), np.float32), np.ones((3, 4), np.float32)
    graph = ag.make_ir(lambda x, w: tnp.sum(tnp.tanh(x @ w) ** 2, axis=0))(x, w)
    assert (
        str(graph)
        == """\
{ lambda a:f32[2,3] b:f32[3,4] . let
    c:f32[2,4] = matmul a b
    d:f32[2,4] = tanh c
    e:f32[2,4] = integer_pow[y=2] d
    f:f32[4] = sum[axis=(0,) keepdims=False] e
  in ( f ) }"""
    )
    idx = np.array([0, 0, 1])
    graph = ag.make_ir(lambda x: x[idx, 1:] * 2)(np.ones((3, 3), np.float32))
    assert (
        str(graph)
        == """\
{ lambda a:f32[3,3] ; b:i64[3] . let
    c:f32[3,2] = getitem[spec=[#0,1:]] a b
    d:f32[3,2] = mul c 2.0
  in ( d ) }"""
    )
    np.testing.assert_array_equal(graph.constvals[0], idx)
    idx[0] = 2  # captured when traced, as in JAX: later writes are not seen
    assert graph.constvals[0][0] == 0


def test_grad_graph_holds_forward_and_backward():
    graph = ag.make_ir(ag.grad(lambda x: tnp.sum(x[np.array([0, 0, 1])])))(np.ones(3))
    names = [e.primitive.name for e in graph.eqns]
    assert names[:2] == ["getitem", "sum"]
    assert names[-1] == "scatter_add"  # getitem's vjp scatter-adds
    assert graph.outvars[0].aval.shape == (3,)


def test_graph_is_data_single_assignment_and_ordered():
    graph = ag.make_ir(lambda x: tnp.sin(x) * tnp.cos(x) + x)(np.ones(4))
    assert isinstance(graph, Graph)
    defined = set(graph.invars) | set(graph.constvars)
    for eqn in graph.eqns:
        assert isinstance(eqn, Eqn)
        for atom in eqn.inputs:
            assert isinstance(atom, Lit) or atom in defined  # inputs defined before use
        for var in eqn.outputs:
            assert isinstance(var, Var) and var not in defined  # assigned once
            defined.add(var)
    assert all(v in defined for v in graph.outvars)


def test_many_variables_get_multi_letter_names():
    def f(x):
        for _ in range(30):
            x = x + 1.0
        return x

    text = str(ag.make_ir(f)(1.0))
    assert "ba:f64[] = add z 1.0" in text and text.endswith("in ( be ) }")
