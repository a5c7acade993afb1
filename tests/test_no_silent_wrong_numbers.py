"""Regression tests for issue 12's transform-level cases: each once returned a wrong number
without an error. Each must now give JAX's answer or raise a clear error."""

import gc
import math

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag import lax
from trace_ag.codegen import CompiledGraph

jax = pytest.importorskip("jax")
jnp = jax.numpy


# ---- 3. conversions that would drop a derivative


@pytest.mark.parametrize(
    "convert",
    [float, int, complex, math.sin, math.exp, np.float64, np.float32, lambda x: x.item()],
    ids=["float", "int", "complex", "math.sin", "math.exp", "np.float64", "np.float32", "item"],
)
def test_converting_a_differentiated_tracer_raises(convert):
    with pytest.raises(ag.ConcretizationTypeError, match="derivative|gradient"):
        ag.grad(lambda x: convert(x) * x)(2.0)


def test_conversions_under_jvp_raise_too():
    with pytest.raises(ag.ConcretizationTypeError):
        ag.jvp(lambda x: float(x) * x, (2.0,), (1.0,))


def test_bool_for_python_control_flow_still_works_under_grad():
    f = lambda x: x * x if x > 0 else -x  # noqa: E731
    assert ag.grad(f)(2.0) == jax.grad(f)(2.0) == 4.0


def test_int_of_an_integer_tracer_loses_nothing():
    # integer values carry no derivative, so converting them is fine (range(n) etc.)
    f = lambda x, n: x * sum(range(int(n)))  # noqa: E731
    assert ag.grad(f)(2.0, np.int64(4)) == 6.0


def test_stop_gradient_is_the_explicit_way():
    f = lambda x: ag.stop_gradient(x) * x  # noqa: E731
    g = lambda x: jax.lax.stop_gradient(x) * x  # noqa: E731
    assert ag.grad(f)(2.0) == jax.grad(g)(2.0) == 2.0


# ---- 4. duplicate or invalid argnums


@pytest.mark.parametrize("argnums", [(0, 0), (1, -1)])
def test_duplicate_argnums_raise(argnums):
    with pytest.raises(ValueError, match="twice"):
        ag.grad(lambda x, y: x * y, argnums=argnums)(1.0, 3.0)


@pytest.mark.parametrize("argnums", [0.5, "x", (0, None), True])
def test_argnums_must_be_ints(argnums):
    with pytest.raises(TypeError, match="argnums must be an int or a tuple of ints"):
        ag.grad(lambda x, y: x * y, argnums=argnums)(1.0, 3.0)


def test_jacobians_refuse_duplicate_argnums():
    with pytest.raises(ValueError, match="twice"):
        ag.jacrev(lambda x, y: x * y, argnums=(1, 1))(1.0, 3.0)


# ---- 5. captured values: inputs and closed-over arrays are taken at call/trace time


def test_vjp_pullback_ignores_later_writes_to_the_input():
    x = np.array([1.0, 2.0])
    _, pullback = ag.vjp(lambda v: tnp.sum(tnp.sin(v)), x)
    x[:] = 0.0
    (ct,) = pullback(1.0)
    np.testing.assert_allclose(ct, np.cos([1.0, 2.0]))


def test_vjp_pullback_ignores_later_writes_to_a_closed_over_array():
    w = np.array([1.0, 2.0])
    _, pullback = ag.vjp(lambda v: tnp.sum(v * w), np.ones(2))
    w[:] = 7.0
    np.testing.assert_allclose(pullback(1.0)[0], [1.0, 2.0])


def test_linearize_captures_primals_and_closures():
    x, w = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    f = lambda v: tnp.sum(tnp.sin(v) * w)  # noqa: E731
    out, f_jvp = ag.linearize(f, x)
    expected = jax.linearize(lambda v: jnp.sum(jnp.sin(v) * jnp.array([3.0, 4.0])), x.copy())
    x[:] = 0.0
    w[:] = 0.0
    t = np.array([1.0, -1.0])
    np.testing.assert_allclose(out, expected[0])
    np.testing.assert_allclose(f_jvp(t), expected[1](t))


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("initial", [0.0, 1.0, 2.0])
def test_jit_captures_closed_over_arrays_when_traced(backend, initial):
    """One rule whatever the values (once all-zero constants were folded, others read live)."""
    c = np.full(2, initial)
    f = ag.jit(lambda v: v * c + c, backend=backend)
    first = np.asarray(f(np.ones(2)))
    c[:] = 5.0
    np.testing.assert_array_equal(np.asarray(f(np.ones(2))), first)
    np.testing.assert_array_equal(first, np.full(2, 2 * initial))


# ---- 6. donation of an argument that is also passed elsewhere


def test_donating_an_array_passed_twice_is_refused():
    a = np.ones(3)
    f = ag.jit(lambda p, q: (p * 2, q + 1), donate_argnums=0)
    with pytest.raises(ValueError, match="donated argument leaf 0 .* shares memory with .* leaf 1"):
        f(a, a)
    np.testing.assert_array_equal(a, np.ones(3))


def test_donating_a_pytree_whose_leaves_are_one_array_is_refused():
    a = np.ones(3)
    with pytest.raises(ValueError, match="shares memory"):
        ag.jit(lambda t: t[0] * 2 + t[1], donate_argnums=0)((a, a))


def test_donating_a_view_of_another_argument_is_refused_but_disjoint_views_are_fine():
    f = ag.jit(lambda p, q: (p * 2, q + 1), donate_argnums=0)
    b = np.ones(6)
    with pytest.raises(ValueError, match="shares memory"):
        f(b[:3], b[2:5])
    p, q = f(b[:3], b[3:])
    np.testing.assert_array_equal(p, [2, 2, 2])
    np.testing.assert_array_equal(q, [2, 2, 2])


def test_donated_results_are_right():
    params, g = np.ones(4), np.full(4, 0.5)
    step = ag.jit(lambda p, g: p - 0.1 * g, donate_argnums=0)
    np.testing.assert_allclose(step(params, g), np.ones(4) - 0.05)


# ---- 7. vmap in_axes / out_axes checked as tree prefixes


def test_vmap_in_axes_dict_with_wrong_keys_raises():
    args = {"a": np.ones((2, 3)), "b": np.ones(3)}
    with pytest.raises(ValueError, match="not a tree prefix.*keys"):
        ag.vmap(lambda d: d["a"] + d["b"], in_axes=({"a": 0, "c": None},))(args)


def test_vmap_in_axes_dict_prefix_matches_jax():
    args = {"a": np.arange(6.0).reshape(2, 3), "b": np.arange(3.0)}
    in_axes = ({"b": None, "a": 0},)
    got = ag.vmap(lambda d: d["a"] * d["b"], in_axes=in_axes)(args)
    want = jax.vmap(lambda d: d["a"] * d["b"], in_axes=in_axes)(args)
    np.testing.assert_allclose(got, want)


@pytest.mark.parametrize("in_axes", ["a", (0.5,), ([0, "x"],)])
def test_vmap_in_axes_leaves_must_be_ints_or_none(in_axes):
    with pytest.raises(TypeError, match="in_axes must be an int, None"):
        ag.vmap(lambda x: x, in_axes=in_axes)(np.ones((2, 3)))


# ---- 8. user rules whose outputs do not fit the function


def test_custom_jvp_tangent_of_wrong_shape_raises():
    @ag.custom_jvp
    def f(u):
        return tnp.sin(u)

    f.defjvp(lambda p, t: (tnp.sin(p[0]), np.ones(5)))
    with pytest.raises(ag.ShapeError, match="custom_jvp f.*tangent output.*f64\\[5\\].*f64\\[\\]"):
        ag.grad(f)(1.0)
    with pytest.raises(ag.ShapeError, match="tangent output"):
        ag.jvp(f, (1.0,), (1.0,))


def test_custom_jvp_primal_of_wrong_dtype_raises():
    @ag.custom_jvp
    def f(u):
        return tnp.sin(u)

    f.defjvp(lambda p, t: (np.float32(0.0), t[0]))
    with pytest.raises(ag.ShapeError, match="primal output.*f32"):
        ag.jvp(f, (1.0,), (1.0,))


def test_custom_jvp_rule_must_return_a_pair():
    @ag.custom_jvp
    def f(u):
        return tnp.sin(u)

    f.defjvp(lambda p, t: tnp.cos(p[0]) * t[0])
    with pytest.raises(TypeError, match="must return a pair"):
        ag.jvp(f, (1.0,), (1.0,))


def test_custom_vjp_cotangent_of_wrong_shape_or_kind_raises():
    @ag.custom_vjp
    def f(u):
        return tnp.sin(u)

    f.defvjp(lambda u: (tnp.sin(u), u), lambda r, g: (np.ones(4),))
    with pytest.raises(ag.ShapeError, match="custom_vjp f: bwd returned a cotangent of shape"):
        ag.grad(f)(1.0)

    @ag.custom_vjp
    def h(u):
        return tnp.sin(u)

    h.defvjp(lambda u: (tnp.sin(u), u), lambda r, g: (np.complex128(1j),))
    with pytest.raises(ag.TraceAgError, match="dtype complex128"):
        ag.grad(h)(1.0)


# ---- 10. complex values on a differentiated path: JAX's numbers, or an error, never zeros


def test_grad_through_a_complex_intermediate_matches_jax():
    got = ag.grad(lambda x: tnp.abs(x * (1 + 1j)))(2.0)
    assert got == jax.grad(lambda x: jnp.abs(x * (1 + 1j)))(2.0) != 0.0


def test_jvp_of_a_complex_function_matches_jax():
    got = ag.jvp(lambda z: z * z, (3 + 4j,), (1 + 0j,))
    want = jax.jvp(lambda z: z * z, (3 + 4j,), (1 + 0j,))
    np.testing.assert_allclose(got, want)
    assert got[1] == 6 + 8j


def test_a_primitive_without_complex_rules_raises_on_complex_values():
    # maximum's tie-splitting rule is for reals only (JAX refuses complex max too)
    from trace_ag.primitives import elementwise

    assert not elementwise.maximum.complex_rules
    with pytest.raises(ag.TraceAgError, match="not defined for complex numbers"):
        ag.grad(lambda z: tnp.abs(elementwise.maximum.bind(z, z)))(1 + 1j)
    with pytest.raises(ag.TraceAgError, match="not defined for complex numbers"):
        ag.jvp(lambda z: elementwise.maximum.bind(z, z), (1 + 1j,), (1 + 0j,))


def test_complex_values_off_the_differentiated_path_are_fine():
    f = lambda x: x * tnp.abs(ag.stop_gradient(x) * (1 + 1j))  # noqa: E731
    g = lambda x: x * jnp.abs(jax.lax.stop_gradient(x) * (1 + 1j))  # noqa: E731
    np.testing.assert_allclose(ag.grad(f)(2.0), jax.grad(g)(2.0))


# ---- 16. user mistakes get one clear line, not an internal exception


def test_negative_static_argnums_count_from_the_end():
    f = ag.jit(lambda x, n: x * n, static_argnums=-1)
    np.testing.assert_array_equal(f(np.ones(2), 3), [3.0, 3.0])
    assert f.static_argnums == (1,)


def test_negative_static_argnums_of_varargs_function_raise():
    with pytest.raises(ValueError, match="negative static_argnums"):
        ag.jit(lambda *xs: xs[0], static_argnums=-1)


def test_static_and_donated_at_once_is_refused():
    with pytest.raises(ValueError, match="both static and donated"):
        ag.jit(lambda x, n: x * n, static_argnums=1, donate_argnums=(0, 1))


def test_grad_of_a_function_returning_a_list_names_it():
    def returns_list(x):
        return [x]

    with pytest.raises(TypeError, match="returns_list to return one scalar.*list"):
        ag.grad(returns_list)(1.0)


def test_has_aux_error_names_the_users_function():
    def loss(x):
        return x * 2

    with pytest.raises(TypeError, match="requires loss to return a pair"):
        ag.grad(loss, has_aux=True)(1.0)


def test_a_bug_in_a_rule_surfaces_as_itself_naming_the_primitive():
    from trace_ag.core import Primitive
    from trace_ag.primitives._rules import same_aval

    def buggy(x):
        return undefined_name(x)  # noqa: F821

    prim = Primitive("test_buggy_impl", impl=buggy, abstract_eval=same_aval, differentiable=False)
    with pytest.raises(NameError, match="undefined_name") as info:
        prim.bind(np.float64(2.0))
    assert not isinstance(info.value, ag.ShapeError)
    assert any("test_buggy_impl" in note for note in info.value.__notes__)


def test_shape_mistakes_are_still_shape_errors():
    with pytest.raises(ag.ShapeError, match="add: shapes \\(3,\\) and \\(4,\\)"):
        tnp.add(np.ones(3), np.ones(4))


# ---- 17. eager control flow does not keep compiled sub-graphs forever


def test_eager_loops_do_not_accumulate_compiled_code():
    gc.collect()
    before = sum(isinstance(o, CompiledGraph) for o in gc.get_objects())
    for i in range(300):
        lax.fori_loop(0, 2, lambda j, c: c + j, np.float64(i))
        lax.cond(i % 2 == 0, lambda u: u + 1, lambda u: u - 1, np.float64(i))
    gc.collect()
    after = sum(isinstance(o, CompiledGraph) for o in gc.get_objects())
    assert after - before < 20


# ---- a raising function leaves no live trace


def test_a_tracer_leaked_from_a_raising_function_is_dead():
    leaked = []

    def f(x):
        leaked.append(x)
        raise RuntimeError("user bug")

    with pytest.raises(RuntimeError, match="user bug"):
        ag.jit(f)(np.ones(2))
    with pytest.raises(ag.UnexpectedTracerError):
        tnp.sin(leaked[0])


# ---- tracebacks show the user's frames (issue 15, item 7)


def _library_frames(exc: BaseException) -> list[str]:
    import os

    library = os.path.dirname(os.path.abspath(ag.__file__))
    frames, tb = [], exc.__traceback__
    while tb is not None:
        name = os.path.abspath(tb.tb_frame.f_code.co_filename)
        if name.startswith(library):
            frames.append(f"{name}:{tb.tb_lineno}")
        tb = tb.tb_next
    return frames


def _bad_loss(x):
    return tnp.sum(x + np.ones(4))


def test_internal_frames_are_hidden_from_errors_under_a_transform():
    with pytest.raises(ag.ShapeError) as info:
        ag.grad(_bad_loss)(np.ones(3))
    assert len(_library_frames(info.value)) <= 1  # the boundary that re-raised it
    tb = info.value.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    assert tb.tb_frame.f_code.co_name == "_bad_loss"  # the innermost frame is the user's line
    assert any("traceback_filtering" in note for note in info.value.__notes__)


def test_traceback_filtering_off_shows_every_frame():
    ag.config.update("traceback_filtering", "off")
    try:
        with pytest.raises(ag.ShapeError) as info:
            ag.jit(_bad_loss)(np.ones(3))
    finally:
        ag.config.update("traceback_filtering", "auto")
    assert len(_library_frames(info.value)) > 3


def test_graph_checks_run_after_every_pass_in_the_test_suite():
    assert ag.config.read("check_graphs") is True
