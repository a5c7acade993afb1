"""Bad input gets a clear error naming the function, the shapes and the user's line."""

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp

THIS_FILE = "test_errors.py"


def test_grad_of_non_scalar_output_suggests_vjp():
    with pytest.raises(TypeError, match=r"scalar float output.*shape \(3,\).*ag\.vjp.*jacrev"):
        ag.grad(lambda x: x * 2.0)(np.ones(3))


def test_grad_of_integer_input_names_the_argument():
    with pytest.raises(TypeError, match=r"argument 1 has a leaf of dtype int64.*2\.0, not 2"):
        ag.grad(lambda x, n: x * n, argnums=(0, 1))(1.0, 2)


def test_grad_argnums_out_of_range():
    with pytest.raises(ValueError, match="argnums=2 but the function was called with 1"):
        ag.grad(lambda x: x, argnums=2)(1.0)


def test_non_array_argument():
    with pytest.raises(TypeError, match="leaf of type str"):
        ag.grad(lambda x: x)("abc")


def test_unsupported_numpy_function_is_named_with_a_hint():
    with pytest.raises(ag.UnsupportedFunctionError, match=r"numpy\.fft.*declare a Primitive"):
        ag.grad(lambda x: tnp.sum(np.fft.fft(x)))(np.ones(4))
    with pytest.raises(AttributeError, match=r"numpy has no function 'busday_count'.*Primitive"):
        tnp.busday_count  # noqa: B018


def test_raw_numpy_conversion_of_a_tracer_is_refused():
    with pytest.raises(ag.TracerArrayConversionError, match=r"f64\[3\].*trace_ag\.numpy"):
        ag.grad(lambda x: np.asarray(x).sum())(np.ones(3))


def test_shape_mismatch_names_op_shapes_and_user_line():
    def f(x, y):
        return tnp.sum(x + y)  # the line the error must show

    with pytest.raises(ag.ShapeError) as info:
        ag.grad(f)(np.ones(3), np.ones(4))
    message = str(info.value)
    assert "add: shapes (3,) and (4,) do not broadcast" in message
    assert (
        THIS_FILE in message and "return tnp.sum(x + y)  # the line the error must show" in message
    )


def test_shape_mismatch_in_eager_numpy_call():
    with pytest.raises(ag.ShapeError, match=r"matmul: shapes \(2, 3\) @ \(4, 5\).*3 != 4"):
        tnp.matmul(np.ones((2, 3)), np.ones((4, 5)))


def test_shape_mismatch_under_abstract_tracing():
    with pytest.raises(ag.ShapeError, match=r"reshape: cannot reshape.*\(3,\) into \(4,\)"):
        ag.make_ir(lambda x: tnp.reshape(x, (4,)))(np.ones(3))


def test_out_of_bounds_index_and_axis():
    with pytest.raises(IndexError, match=r"getitem.*index 5 is out of bounds.*size 3"):
        ag.grad(lambda x: x[np.array([5])].sum())(np.ones(3))
    with pytest.raises(ag.ShapeError, match=r"sum: axis 3 is out of bounds.*1 dimensions"):
        tnp.sum(np.ones(3), axis=3)


def test_escaped_tracer_is_reported():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2.0

    ag.grad(f)(1.0)
    with pytest.raises(ag.UnexpectedTracerError, match="escaped"):
        tnp.sin(leaked[0])
    with pytest.raises(ag.UnexpectedTracerError, match="outside the transform that created it"):
        ag.grad(lambda y: y * leaked[0])(1.0)


def test_concretization_error_under_abstract_tracing_names_the_line():
    def f(x):
        if x > 0:  # value-dependent control flow
            return x
        return -x

    with pytest.raises(ag.ConcretizationTypeError) as info:
        ag.make_ir(f)(1.0)
    message = str(info.value)
    assert "static_argnums" in message and "tnp.where" in message and "lax.cond" in message
    assert "if x > 0:  # value-dependent control flow" in message


def test_shape_dependent_python_works_under_abstract_tracing():
    def f(x):
        return x * 2.0 if x.shape[0] > 1 else x

    graph = ag.make_ir(f)(np.ones(3))
    assert [e.primitive.name for e in graph.eqns] == ["mul"]


def test_boolean_mask_of_abstract_tracer():
    with pytest.raises(ag.NonConcreteIndexError, match=r"tnp\.where"):
        ag.make_ir(lambda x: x[x > 0])(np.ones(3))


def test_boolean_mask_of_concrete_tracer_works():
    x = np.array([1.0, -2.0, 3.0])
    np.testing.assert_array_equal(ag.grad(lambda x: tnp.sum(x[x > 0] ** 2))(x), [2.0, 0.0, 6.0])


def test_vjp_cotangent_of_wrong_shape():
    _, vjp_fn = ag.vjp(tnp.sin, np.ones(3))
    with pytest.raises(ag.ShapeError, match=r"cotangent of shape \(4,\) for an output of shape"):
        vjp_fn(np.ones(4))


def test_has_aux_requires_a_pair():
    with pytest.raises(TypeError, match=r"has_aux=True requires .* to return a pair"):
        ag.grad(lambda x: x * 2.0, has_aux=True)(1.0)
