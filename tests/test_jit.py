"""jit: caching and retraces, abstract tracing, composition, graph passes, the NumPy executor
(buffer reuse, donation) and the JAX backend."""

import logging
import sys

import jax
import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag import passes
from trace_ag.interpret import typecheck_graph

jax.config.update("jax_enable_x64", True)

BACKENDS = ["numpy", "jax"]


def mlp_loss(params, x, y):
    h = x
    for w, b in params[:-1]:
        h = tnp.tanh(h @ w + b)
    w, b = params[-1]
    return tnp.mean((h @ w + b - y) ** 2)


def init_mlp(sizes, seed=0):
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((m, n)) / np.sqrt(m), np.zeros(n))
        for m, n in zip(sizes[:-1], sizes[1:], strict=True)
    ]


@pytest.fixture
def mlp_problem():
    rng = np.random.default_rng(1)
    return init_mlp([4, 16, 16, 1]), rng.standard_normal((32, 4)), rng.standard_normal((32, 1))


def assert_trees_close(a, b, rtol=1e-10):
    for x, y in zip(ag.tree_util.tree_leaves(a), ag.tree_util.tree_leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_jit_of_grad_equals_eager(backend, mlp_problem):
    params, x, y = mlp_problem
    want = ag.value_and_grad(mlp_loss)(params, x, y)
    got = ag.jit(ag.value_and_grad(mlp_loss), backend=backend)(params, x, y)
    assert_trees_close(got, want)


@pytest.mark.parametrize("backend", BACKENDS)
def test_all_compositions_agree(backend, mlp_problem):
    params, x, y = mlp_problem
    want = ag.grad(mlp_loss)(params, x, y)
    jit = lambda f: ag.jit(f, backend=backend)  # noqa: E731
    for fn in (
        jit(ag.grad(mlp_loss)),
        ag.grad(jit(mlp_loss)),
        jit(jit(ag.grad(mlp_loss))),
        jit(ag.grad(jit(mlp_loss))),
    ):
        assert_trees_close(fn(params, x, y), want)


def test_second_order_through_jit():
    f = ag.jit(lambda x: tnp.sin(x) * x**2)
    expected = jax.grad(jax.grad(lambda x: jax.numpy.sin(x) * x**2))(0.7)
    np.testing.assert_allclose(ag.grad(ag.grad(f))(0.7), expected, rtol=1e-12)


def test_results_are_numpy_or_jax_arrays(mlp_problem):
    params, x, y = mlp_problem
    assert isinstance(ag.jit(mlp_loss)(params, x, y), np.generic | np.ndarray)
    out = ag.jit(mlp_loss, backend="jax")(params, x, y)
    assert isinstance(out, jax.Array)


def test_retrace_counts_same_shape_new_shape_new_static():
    f = ag.jit(lambda x, n: tnp.sum(x**n), static_argnums=1)
    f(np.ones(3), 2)
    f(np.full(3, 2.0), 2)
    assert f.trace_count == 1
    f(np.ones(4), 2)
    assert f.trace_count == 2
    f(np.ones(3), 3)
    assert f.trace_count == 3
    f(np.ones(3, np.float32), 3)
    assert f.trace_count == 4
    f(np.ones(4), 2)
    assert f.trace_count == 4 and f.cache_size() == 4


def test_static_argnames_and_keyword_arguments():
    def f(x, *, scale, training=False):
        return x * scale if training else x

    g = ag.jit(f, static_argnames=("training",))
    np.testing.assert_allclose(g(np.ones(2), scale=3.0, training=True), [3.0, 3.0])
    np.testing.assert_allclose(g(np.ones(2), scale=3.0, training=False), [1.0, 1.0])
    assert g.trace_count == 2


def test_unhashable_static_argument_is_a_clear_error():
    f = ag.jit(lambda x, shape: tnp.reshape(x, shape), static_argnums=1)
    with pytest.raises(TypeError, match=r"static argument must be hashable, got list"):
        f(np.ones(4), [2, 2])
    np.testing.assert_array_equal(f(np.ones(4), (2, 2)), np.ones((2, 2)))


def test_cache_is_bounded():
    ag.config.update("jit_cache_size", 3)
    try:
        f = ag.jit(lambda x: x + 1.0)
        for n in range(1, 6):
            f(np.ones(n))
        assert f.cache_size() == 3 and f.trace_count == 5
        f(np.ones(1))  # evicted: traced again
        assert f.trace_count == 6
    finally:
        ag.config.update("jit_cache_size", 64)


def test_explain_cache_misses_names_the_argument(caplog):
    def step(params, batch):
        return tnp.sum(params["w"] * batch)

    f = ag.jit(step)
    ag.config.update("explain_cache_misses", True)
    try:
        with caplog.at_level(logging.WARNING, logger="trace_ag.jit"):
            f({"w": np.ones(3)}, np.ones(3))
            f({"w": np.ones(3)}, np.ones((2, 3)))
            f({"w": np.ones(3, np.float32)}, np.ones((2, 3)))
    finally:
        ag.config.update("explain_cache_misses", False)
    messages = [r.getMessage() for r in caplog.records]
    assert any("argument 'batch' changed from f64[3] to f64[2,3]" in m for m in messages)
    assert any("argument 'params' changed from f64[3] to f32[3]" in m for m in messages)


def test_log_compiles(caplog):
    ag.config.update("log_compiles", True)
    try:
        with caplog.at_level(logging.WARNING, logger="trace_ag.jit"):
            ag.jit(lambda x: x * 2.0)(np.ones(2))
    finally:
        ag.config.update("log_compiles", False)
    assert any("tracing for (f64[2])" in r.getMessage() for r in caplog.records)


def test_control_flow_on_traced_value_raises_with_line_and_hints():
    def f(x):
        if tnp.sum(x) > 0:  # the offending line
            return x
        return -x

    with pytest.raises(ag.ConcretizationTypeError) as info:
        ag.jit(f)(np.ones(3))
    message = str(info.value)
    for hint in (
        "static_argnums",
        "tnp.where",
        "ag.lax.cond",
        "if tnp.sum(x) > 0:  # the offending",
    ):
        assert hint in message


def test_shape_dependent_python_works_under_jit():
    def f(x):
        return x * 2.0 if x.shape[0] > 1 else x

    np.testing.assert_array_equal(ag.jit(f)(np.ones(3)), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(ag.jit(f)(np.ones(1)), [1.0])


def test_lower_shows_optimized_graph_and_source(mlp_problem):
    params, x, y = mlp_problem
    lowered = ag.jit(ag.grad(mlp_loss)).lower(params, x, y)
    assert lowered.as_text().startswith("{ lambda")
    assert "def compiled(" in lowered.as_text("source")
    assert len(lowered.graph.eqns) < len(lowered.traced_graph.eqns)
    with pytest.raises(ValueError, match="kind must be one of"):
        ag.jit(mlp_loss, backend="jax").lower(params, x, y).as_text("source")


# ---------------------------------------------------------------- passes


def names(graph):
    return [e.primitive.name for e in graph.eqns]


def test_dce_drops_unused_equations():
    graph = ag.make_ir(lambda x: (tnp.sin(x), tnp.cos(x))[0])(1.0)
    assert names(graph) == ["sin", "cos"]
    assert names(passes.dce(graph)) == ["sin"]


def test_cse_reuses_identical_equations():
    graph = ag.make_ir(lambda x: tnp.sin(x * 2.0) + tnp.sin(x * 2.0))(np.ones(3))
    optimized = passes.dce(passes.cse(graph))
    assert names(optimized) == ["mul", "sin", "add"]
    typecheck_graph(optimized)


def test_constant_folding():
    c = np.arange(3.0)
    graph = ag.make_ir(lambda x: x + tnp.exp(c) * 2.0)(np.ones(3))
    assert names(graph) == ["exp", "mul", "add"]
    folded = passes.dce(passes.fold_constants(graph))
    assert names(folded) == ["add"]
    np.testing.assert_allclose(folded.constvals[0], np.exp(c) * 2.0)


def test_algebraic_simplifications():
    def f(x):
        y = tnp.transpose(tnp.transpose(x)) + -0.0  # x + -0.0 is x for every x (x + 0.0 is not)
        z = tnp.reshape(tnp.reshape(y * 1.0, (6,)), (3, 2))
        return tnp.negative(tnp.negative(z.astype(np.float64))) / 1.0

    graph = ag.make_ir(f)(np.ones((2, 3)))
    optimized = passes.optimize(graph)
    assert names(optimized) == ["reshape"]
    typecheck_graph(optimized)
    np.testing.assert_array_equal(
        ag.jit(f)(np.arange(6.0).reshape(2, 3)), np.arange(6.0).reshape(3, 2)
    )


def test_adding_zero_keeps_the_sign_of_negative_zero():
    # x + 0.0 turns -0.0 into 0.0 and x - -0.0 does too: neither may be simplified away
    x = np.array([-0.0, 1.0])
    for f in (lambda v: v + 0.0, lambda v: 0.0 + v, lambda v: v - -0.0):
        got, want = ag.jit(f)(x), f(x)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
        assert not np.signbit(got[0])
    for f in (lambda v: v + -0.0, lambda v: v - 0.0, lambda v: v * 1.0):
        assert np.signbit(ag.jit(f)(x)[0])
        assert ag.make_ir(f)(x).eqns and not passes.optimize(ag.make_ir(f)(x)).eqns


def test_backward_graph_of_three_layer_mlp_shrinks(mlp_problem):
    params, x, y = mlp_problem
    graph = ag.make_ir(ag.grad(mlp_loss))(params, x, y)
    optimized = passes.optimize(graph)
    typecheck_graph(graph)
    typecheck_graph(optimized)
    assert len(optimized.eqns) < len(graph.eqns)
    assert "integer_pow[y=1]" in str(graph) and "integer_pow" not in str(optimized)
    assert "tanh" in names(optimized)  # the forward pass the gradient needs is kept
    for eqn in optimized.eqns:  # no multiplication by a literal one is left
        assert not (
            eqn.primitive.name == "mul" and any(getattr(a, "value", None) == 1 for a in eqn.inputs)
        )


# ---------------------------------------------------------------- executor


def test_buffers_are_reused_and_results_unchanged(mlp_problem):
    from trace_ag.codegen import CompiledGraph

    params, x, y = mlp_problem
    graph = passes.optimize(ag.make_ir(ag.grad(mlp_loss))(params, x, y))
    compiled = CompiledGraph(graph)
    assert compiled.buffers_reused > 0 and "out=" in compiled.source
    x_before = x.copy()
    ag.jit(ag.grad(mlp_loss))(params, x, y)
    np.testing.assert_array_equal(x, x_before)  # arguments are never written


def test_views_keep_their_base_alive():
    def f(x):
        a = tnp.exp(x)
        t = a.T  # a view of a's buffer, used after a's last direct use
        b = a + 1.0
        return b, t * 1.5

    x = np.arange(6.0).reshape(2, 3)
    b, t = ag.jit(f)(x)
    np.testing.assert_allclose(b, np.exp(x) + 1)
    np.testing.assert_allclose(t, np.exp(x).T * 1.5)


def test_donated_parameters_are_updated_in_place(mlp_problem):
    params, x, y = mlp_problem

    def step(params, x, y):
        grads = ag.grad(mlp_loss)(params, x, y)
        return ag.tree_util.tree_map(lambda p, g: p - 0.1 * g, params, grads)

    expected = step(params, x, y)
    donated = ag.tree_util.tree_map(np.copy, params)
    new = ag.jit(step, donate_argnums=0)(donated, x, y)
    assert_trees_close(new, expected)
    for old_leaf, new_leaf in zip(
        ag.tree_util.tree_leaves(donated), ag.tree_util.tree_leaves(new), strict=True
    ):
        assert np.shares_memory(old_leaf, new_leaf)  # no new parameter arrays
    kept = ag.tree_util.tree_map(np.copy, params)
    new = ag.jit(step)(kept, x, y)
    assert not any(
        np.shares_memory(a, b)
        for a, b in zip(ag.tree_util.tree_leaves(kept), ag.tree_util.tree_leaves(new), strict=True)
    )


def test_jax_backend_outputs_feed_the_next_step_without_copies(mlp_problem):
    params, x, y = mlp_problem

    def step(params, x, y):
        grads = ag.grad(mlp_loss)(params, x, y)
        return ag.tree_util.tree_map(lambda p, g: p - 0.1 * g, params, grads)

    jitted = ag.jit(step, backend="jax")
    p1 = jitted(params, x, y)
    assert all(isinstance(leaf, jax.Array) for leaf in ag.tree_util.tree_leaves(p1))
    p2 = jitted(p1, x, y)
    assert jitted.trace_count == 1
    assert_trees_close(p2, step(step(params, x, y), x, y), rtol=1e-9)


def test_shardings_need_the_jax_backend():
    with pytest.raises(ValueError, match="need backend='jax'"):
        ag.jit(lambda x: x, in_shardings=object())


def test_missing_jax_gives_an_install_hint(monkeypatch):
    from trace_ag.backends import jax as jax_backend

    monkeypatch.setitem(sys.modules, "jax", None)
    with pytest.raises(ImportError, match=r"pip install 'trace-ag\[jax\]'"):
        jax_backend.import_jax()


def test_unknown_backend_and_option():
    with pytest.raises(ValueError, match="backend must be one of"):
        ag.jit(lambda x: x, backend="tpu")
    with pytest.raises(KeyError, match="unknown trace_ag option"):
        ag.config.update("no_such_option", 1)


def test_folded_loops_without_arguments_return_their_array():
    """A loop whose operands are all constants folds at jit time; its one output stays an
    array (a multiple-results primitive's impl returns it as a 1-tuple)."""
    from trace_ag import lax

    loop = ag.jit(lambda: lax.fori_loop(0, 3, lambda i, a: a + i, tnp.zeros(3)))()
    np.testing.assert_array_equal(loop, [3.0, 3.0, 3.0])
    carry, ys = ag.jit(lambda: lax.scan(lambda c, x: (c + x, c * x), 0.0, np.arange(3.0)))()
    assert np.shape(carry) == () and carry == 3.0
    np.testing.assert_array_equal(ys, [0.0, 0.0, 2.0])  # c * x with c = 0, 0, 1


def test_jax_backend_computes_float64_even_with_jax_x64_off():
    x = np.array([1.0 + 1e-12, 2.0])
    f = ag.jit(lambda x: (x - 1.0) * 1e12, backend="jax")
    jax.config.update("jax_enable_x64", False)
    try:
        out = np.asarray(f(x))
    finally:
        jax.config.update("jax_enable_x64", True)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, (x - 1.0) * 1e12, rtol=1e-9)  # float32 would give 0


def test_pytree_types_registered_with_trace_ag_cross_the_jax_backend():
    from trace_ag.example_libraries import optimizers

    init, update, get_params = optimizers.momentum(0.1, 0.9)
    state = init({"w": np.ones(3)})
    step = ag.jit(lambda i, s: update(i, {"w": get_params(s)["w"] * 2.0}, s), backend="jax")
    eager = update(0, {"w": np.full(3, 2.0)}, state)
    np.testing.assert_allclose(get_params(step(0, state))["w"], get_params(eager)["w"])


def test_infinite_static_params_survive_code_generation():
    x = np.ones(2)
    out = ag.jit(lambda x: tnp.pad(x, 1, constant_values=np.inf))(x)
    np.testing.assert_array_equal(out, [np.inf, 1.0, 1.0, np.inf])
    out = ag.jit(lambda x: tnp.pad(x, 1, constant_values=-np.inf) * 2)(x)
    np.testing.assert_array_equal(out, [-np.inf, 2.0, 2.0, -np.inf])


SPECIAL_FLOATS = [0.0, -0.0, np.nan, -np.nan, np.inf, -np.inf, 1.0, -1.0, 1e-45, -1e-45]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("ufunc", [np.maximum, np.minimum])
@pytest.mark.parametrize("layout", ["C", "batch-last", "strided"])
def test_extremum_with_a_scalar_row_gives_the_ufuncs_bits(dtype, ufunc, layout):
    """Generated code runs a large ``maximum(x, c)`` (a relu) against a row of ``c``: the same
    bits as the ufunc with the scalar, nan payloads and signed zeros included, either operand
    order, every layout, in place or not."""
    from trace_ag.primitives.elementwise import extremum_with_scalar

    rng = np.random.default_rng(0)
    values = np.concatenate([SPECIAL_FLOATS, rng.standard_normal(64 * 6 * 10 - 10)])
    base = rng.permutation(values).astype(dtype)
    if layout == "C":
        x = base.reshape(64, 6, 10)
    elif layout == "batch-last":
        x = np.moveaxis(base.reshape(6, 10, 64), -1, 0)
    else:
        x = np.concatenate([base, base]).reshape(64, 6, 20)[:, ::2, ::2]
    for scalar in SPECIAL_FLOATS:
        c = dtype(scalar)
        for args in ((x, c), (c, x)):
            expected = ufunc(*args)
            got = extremum_with_scalar(ufunc, *args)
            assert got.dtype == expected.dtype and got.shape == expected.shape
            np.testing.assert_array_equal(
                got.view(f"u{got.itemsize}"), expected.view(f"u{got.itemsize}")
            )
        into = x.copy(order="K")
        extremum_with_scalar(ufunc, into, c, out=into)
        np.testing.assert_array_equal(
            into.view(f"u{x.itemsize}"), ufunc(x, c).view(f"u{x.itemsize}")
        )


def test_jitted_relu_of_a_large_array_runs_against_a_row_and_equals_eager_and_jax():
    def f(x):
        return tnp.maximum(x * 2.0, 0.0)

    def loss(x):
        return tnp.sum(tnp.minimum(f(x), 1.0) * x)

    x = np.random.default_rng(1).standard_normal((64, 6, 24, 24)).astype(np.float32)
    x[0, 0, 0, :6] = [np.nan, -0.0, 0.0, -np.inf, 0.5, np.inf]  # 0.5: a tie of minimum's
    assert "extremum_with_scalar(impl_maximum" in ag.jit(f).lower(x).source
    assert "extremum_with_scalar(impl_minimum" in ag.jit(ag.grad(loss)).lower(x).source
    small = np.ones(8, np.float32)
    assert "extremum_with_scalar" not in ag.jit(f).lower(small).source  # too small to pay
    ints = np.arange(-(1 << 14), 1 << 14, dtype=np.int32)  # only floats take the row
    relu_int = ag.jit(lambda a: tnp.maximum(a, np.int32(0)))
    assert "extremum_with_scalar" not in relu_int.lower(ints).source
    np.testing.assert_array_equal(relu_int(ints), np.maximum(ints, 0))
    np.testing.assert_array_equal(ag.jit(f)(x).view(np.uint32), f(x).view(np.uint32))
    np.testing.assert_array_equal(ag.jit(f)(x), jax.numpy.maximum(x * 2.0, 0.0))
    grad = ag.jit(ag.grad(loss))(x)
    np.testing.assert_array_equal(grad.view(np.uint32), ag.grad(loss)(x).view(np.uint32))

    def jax_loss(x):
        return jax.numpy.sum(jax.numpy.minimum(jax.numpy.maximum(x * 2.0, 0.0), 1.0) * x)

    np.testing.assert_allclose(grad, jax.grad(jax_loss)(x), rtol=1e-6, atol=1e-6)
    batched = ag.jit(ag.vmap(f))(x)  # the batched maximum takes the same path
    np.testing.assert_array_equal(batched.view(np.uint32), f(x).view(np.uint32))
