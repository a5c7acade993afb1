"""JAX's top-level names on trace_ag: make_jaxpr, block_until_ready, device_get/put,
devices(), ShapeDtypeStruct, debug.print (formatted as jax.debug.print, eagerly and under
grad/jvp/vmap; at trace time under jit), and JAX's option names in config.update."""

from __future__ import annotations

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")


def f(x):
    return tnp.sum(tnp.sin(x) * x)


def test_names_exist_and_are_sorted():
    names = ["make_jaxpr", "block_until_ready", "device_get", "device_put", "devices",
             "ShapeDtypeStruct", "debug", "tree", "nn", "tree_util", "default_backend"]  # fmt: skip
    for name in names:
        assert hasattr(ag, name) and hasattr(jax, name), name
    assert ag.__all__ == sorted(ag.__all__)


def test_make_jaxpr_is_make_ir():
    assert ag.make_jaxpr is ag.make_ir
    graph = ag.make_jaxpr(f)(np.ones(3))
    assert isinstance(graph, ag.Graph)
    assert "sin" in str(graph)


def test_block_until_ready_device_get_put():
    x = np.arange(3.0)
    out = ag.jit(f)(x)
    assert ag.block_until_ready(out) is out
    tree = {"a": x, "b": [1.5, 2]}
    put = ag.device_put(tree)
    # JAX's arrays, with .at: a view of x, no copy
    assert type(put["a"]) is ag.Array and np.shares_memory(put["a"], x)
    assert type(put["b"][0]) is ag.Array and put["a"].at[0].set(7.0)[0] == 7.0 and x[0] == 0.0
    np.testing.assert_array_equal(ag.device_get(put)["b"], [1.5, 2])
    np.testing.assert_array_equal(ag.device_get(jnp.arange(3.0)), x)  # JAX arrays to NumPy
    assert ag.device_put(put["a"], ag.devices()[0]) is put["a"]
    np.testing.assert_allclose(ag.jit(lambda v: ag.device_put(v) * 2)(x), 2 * x)


def test_devices():
    (dev,) = ag.devices()
    assert dev.platform == jax.devices("cpu")[0].platform == "cpu"
    assert repr(dev) == repr(jax.devices("cpu")[0]) == "CpuDevice(id=0)"
    assert ag.device_count() == 1 and ag.local_device_count() == 1
    assert ag.default_backend() == "cpu"
    with pytest.raises(RuntimeError, match="CPU only"):
        ag.devices("gpu")


def test_shape_dtype_struct():
    s = ag.ShapeDtypeStruct((2, 3), np.float32)
    j = jax.ShapeDtypeStruct((2, 3), np.float32)
    assert (s.shape, s.dtype, s.ndim, s.size) == (j.shape, j.dtype, j.ndim, j.size)
    assert repr(s) == repr(j)
    assert s == ag.ShapeDtypeStruct([2, 3], "float32")


def _printed(capsys):
    return capsys.readouterr().out.splitlines()


def _both(capsys, fmt, *args, **kwargs):
    ag.debug.print(fmt, *args, **kwargs)
    ours = _printed(capsys)
    jax.debug.print(fmt, *[jnp.asarray(a) for a in args],
                    **{k: jnp.asarray(v) for k, v in kwargs.items()})  # fmt: skip
    jax.effects_barrier()
    return ours, _printed(capsys)


def test_debug_print_formats_as_jax(capsys):
    x = np.arange(3.0)
    for fmt, args, kwargs in [
        ("x = {}", (x,), {}),
        ("{a} and {b}", (), dict(a=np.float64(1.5), b=np.arange(2))),
        ("{:.3f}!", (np.float64(1 / 3),), {}),
        ("{0} {0}", (np.int64(7),), {}),
    ]:
        ours, ref = _both(capsys, fmt, *args, **kwargs)
        assert ours == ref, (fmt, ours, ref)


def test_debug_print_under_transforms(capsys):
    def g(x):
        ag.debug.print("x={x} s={}", tnp.sum(x), x=x)
        return tnp.sum(x**2)

    def jg(x):
        jax.debug.print("x={x} s={}", jnp.sum(x), x=x)
        return jnp.sum(x**2)

    x = np.arange(3.0)
    batch = np.arange(6.0).reshape(2, 3)
    for transform, jtransform, arg in [
        (ag.grad, jax.grad, x),
        (ag.vmap, jax.vmap, batch),
        (lambda h: lambda v: ag.jvp(h, (v,), (v,)), lambda h: lambda v: jax.jvp(h, (v,), (v,)), x),
    ]:
        transform(g)(arg)
        ours = _printed(capsys)
        jtransform(jg)(arg)
        jax.effects_barrier()
        assert ours == _printed(capsys)

    traced = ag.jit(g)
    traced(x)
    traced(x + 1)  # cached: not traced again, so nothing printed
    assert _printed(capsys) == ["x=Traced<f64[3]> s=Traced<f64[]>"]


def test_config_accepts_jax_option_names():
    ag.config.update("jax_enable_x64", True)
    assert ag.config.jax_enable_x64 is True and ag.config.read("jax_enable_x64") is True
    ag.config.update("jax_platform_name", "cpu")
    ag.config.update("jax_platforms", "cpu")
    ag.config.update("jax_debug_nans", False)
    ag.config.update("jax_disable_jit", False)
    ag.config.update("jax_default_matmul_precision", "highest")
    ag.config.update("jax_log_compiles", True)
    try:
        assert ag.config.read("log_compiles") is True and ag.config.jax_log_compiles is True
    finally:
        ag.config.update("jax_log_compiles", False)
    for name, value, match in [
        ("jax_platform_name", "gpu", "CPU"),
        ("jax_threefry_partitionable", False, "jax_threefry_partitionable=True"),
        ("jax_compilation_cache_dir", "/tmp", "no trace_ag equivalent"),
    ]:
        with pytest.raises(ValueError, match=match):
            ag.config.update(name, value)
    with pytest.raises(KeyError, match="unknown trace_ag option"):
        ag.config.update("not_an_option", 1)
    with pytest.raises(AttributeError):
        ag.config.jax_not_an_option  # noqa: B018


def test_array_type_eval_shape_and_scope_helpers_as_in_jax():
    assert isinstance(np.ones(2), ag.Array) and isinstance(np.float32(1), ag.Array)
    assert not isinstance([1.0], ag.Array) and issubclass(np.ndarray, ag.Array)
    seen = []
    ag.grad(lambda x: seen.append(isinstance(x, ag.Array)) or x * 2.0)(1.0)
    assert seen == [True]
    with pytest.raises(TypeError, match="not constructed directly"):
        ag.Array(1.0)

    def f(p, x):
        return {"h": tnp.tanh(x @ p["w"]), "n": tnp.sum(x, axis=0).astype(np.int32)}

    args = ({"w": jax.ShapeDtypeStruct((3, 4), np.float32)}, np.ones((5, 3), np.float32))
    ours = ag.eval_shape(f, {"w": ag.ShapeDtypeStruct((3, 4), np.float32)}, args[1])
    theirs = jax.eval_shape(lambda p, x: f.__wrapped__(p, x) if False else {  # noqa: SIM108
        "h": jnp.tanh(x @ p["w"]), "n": jnp.sum(x, axis=0).astype(jnp.int32)}, *args)  # fmt: skip
    for k in theirs:
        assert (ours[k].shape, ours[k].dtype) == (theirs[k].shape, theirs[k].dtype), k
    with ag.named_scope("layer"), ag.ensure_compile_time_eval():
        assert ag.jit(lambda x: x + 1)(1.0) == 2.0
    for loop in (
        lambda: ag.lax.scan(lambda c, x: (c + x, None), 0.0, np.arange(3.0), unroll=2)[0],
        lambda: ag.lax.fori_loop(0, 3, lambda i, c: c + i, 0.0, unroll=True),
    ):
        assert loop() == 3.0
    with pytest.raises(ValueError, match="unroll must be"):
        ag.lax.fori_loop(0, 3, lambda i, c: c, 0.0, unroll=0)


def test_disable_jit_runs_jitted_functions_as_written():
    seen = []
    f = ag.jit(lambda x: seen.append(type(x)) or x * 2.0)
    f(np.ones(2))
    with ag.disable_jit():
        assert f(3.0) == 6.0
    ag.config.update("jax_disable_jit", True)
    try:
        f(np.ones(2))
        assert ag.config.jax_disable_jit is True
    finally:
        ag.config.update("jax_disable_jit", False)
    f(np.ones(2))  # compiled again, from the cache: not traced
    assert seen[0] is not float and seen[1:] == [float, np.ndarray]


# ---------------------------------------------------------------- trace_ag/_jax_more.py


def test_jacobian_custom_gradient_and_single_process_names():
    x = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(ag.jacobian(tnp.sin)(x), jax.jacobian(jnp.sin)(x))
    assert (ag.process_count(), ag.process_index(), ag.host_count(), ag.host_id()) == (1, 0, 1, 0)
    assert ag.float0 == jax.dtypes.float0
    assert ag.named_call(f, name="f") is f
    assert str(ag.typeof(np.ones((2, 3), np.float32))) == "f32[2,3]"
    assert ag.typeof(x).shape == jax.typeof(x).shape and ag.typeof(x).dtype == jax.typeof(x).dtype


def _with_clipped_grad(np_mod):
    def body(x, y):
        return np_mod.sin(x) * y, lambda g: (np_mod.clip(g * y, -0.5, 0.5), g * np_mod.sin(x))

    return body


def test_custom_gradient_matches_jax_under_grad_and_jit():
    ours = ag.custom_gradient(_with_clipped_grad(tnp))
    theirs = jax.custom_gradient(_with_clipped_grad(jnp))
    x, y = np.array([0.2, 1.0, -2.0]), np.array([3.0, 0.1, -0.4])
    loss = lambda fn, np_mod: lambda x, y: np_mod.sum(fn(x, y))  # noqa: E731
    want = jax.grad(loss(theirs, jnp), (0, 1))(x, y)
    for got in [
        ag.grad(loss(ours, tnp), (0, 1))(x, y),
        ag.jit(ag.grad(loss(ours, tnp), (0, 1)))(x, y),
        ag.jit(ag.grad(loss(ours, tnp), (0, 1)), backend="jax")(x, y),
    ]:
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    single = ag.custom_gradient(lambda x: (x**2, lambda g: g * 10.0))
    assert ag.grad(single)(3.0) == 10.0


def test_linear_transpose_matches_jax_and_rejects_an_offset():
    a = np.arange(6.0).reshape(2, 3)

    def lin(np_mod):
        return lambda x, y: (a @ x + 2.0 * y, np_mod.sum(x))

    x, y = np.zeros(3), np.zeros(2)
    ct = (np.array([1.0, -2.0]), np.float64(0.5))
    got = ag.linear_transpose(lin(tnp), x, y)(ct)
    want = jax.linear_transpose(lin(jnp), x, y)(ct)
    assert isinstance(got, tuple) and len(got) == 2
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w)
    with pytest.raises(TypeError, match="not linear"):
        ag.linear_transpose(lambda x: x + 1.0, x)


def test_closure_convert_hoists_closed_over_traced_floats():
    def outer(w):
        fn = lambda x: tnp.sin(w * x)  # noqa: E731
        converted, consts = ag.closure_convert(fn, 1.0)
        assert len(consts) == 1
        return converted(2.0, *consts)

    np.testing.assert_allclose(ag.grad(outer)(0.3), jax.grad(lambda w: jnp.sin(w * 2.0))(0.3))
    converted, consts = ag.closure_convert(lambda x: x * 2.0, 1.0)
    assert consts == [] and converted(3.0) == 6.0


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_pure_callback_under_jit_and_vmap(backend):
    calls = []

    def host_sort(x):
        calls.append(type(x))
        return np.sort(x, axis=-1)

    x = np.array([[3.0, 1.0, 2.0], [0.0, -1.0, 5.0]])
    shape = jax.ShapeDtypeStruct((3,), np.float64)  # JAX's struct is accepted too
    ours = lambda v: ag.pure_callback(host_sort, shape, v, vmap_method="sequential") * 2  # noqa: E731
    theirs = lambda v: jax.pure_callback(np.sort, shape, v, vmap_method="sequential") * 2  # noqa: E731
    np.testing.assert_allclose(ag.jit(ours, backend=backend)(x[0]), theirs(x[0]))
    np.testing.assert_allclose(ag.vmap(ours)(x), jax.vmap(theirs)(x))
    np.testing.assert_allclose(ag.jit(ag.vmap(ours), backend=backend)(x), jax.vmap(theirs)(x))
    batched = ag.vmap(lambda v: ag.pure_callback(host_sort, shape, v, vmap_method="expand_dims"))
    np.testing.assert_allclose(batched(x), np.sort(x, axis=-1))
    assert calls and all(issubclass(t, np.ndarray) for t in calls)  # NumPy arrays in


def test_pure_callback_errors_are_clear():
    shape = ag.ShapeDtypeStruct((3,), np.float64)
    x = np.ones(3)
    with pytest.raises(ag.TraceAgError, match="not reverse-mode differentiable"):
        ag.grad(lambda v: tnp.sum(ag.pure_callback(np.sin, shape, v)))(x)
    with pytest.raises(ag.TraceAgError, match="not reverse-mode differentiable"):
        ag.jvp(lambda v: ag.pure_callback(np.sin, shape, v), (x,), (x,))
    with pytest.raises(TypeError, match="result_shape_dtypes"):
        ag.pure_callback(lambda v: v[:2], shape, x)
    with pytest.raises(NotImplementedError, match="vmap_method"):
        ag.vmap(lambda v: ag.pure_callback(np.sin, shape, v))(np.ones((2, 3)))


def test_grad_allow_int_gives_float0_zeros_as_jax():
    fn = lambda p: p["w"] * tnp.sum(p["n"])  # noqa: E731
    jfn = lambda p: p["w"] * jnp.sum(p["n"])  # noqa: E731
    params = {"w": 2.0, "n": np.arange(3)}
    got = ag.grad(fn, allow_int=True)(params)
    want = jax.grad(jfn, allow_int=True)(params)
    assert got["n"].dtype == want["n"].dtype == jax.dtypes.float0
    assert got["n"].shape == want["n"].shape
    np.testing.assert_allclose(got["w"], want["w"])
    value, grads = ag.value_and_grad(lambda x, k: x * k, (0, 1), allow_int=True)(1.5, 4)
    assert value == 6.0 and grads[0] == 4.0 and grads[1].dtype == ag.float0
    with pytest.raises(TypeError, match="allow_int"):
        ag.grad(fn)(params)
    # a scalar int input's float0 zero is a 0-d array under jit too, on both backends
    both = ag.grad(lambda x, k: x * k, (0, 1), allow_int=True)
    for backend in ("numpy", "jax"):
        g = ag.jit(both, backend=backend)(1.5, 4)
        assert g[0] == 4.0 and g[1].shape == () and g[1].dtype == jax.dtypes.float0


def test_clear_caches_and_enable_x64():
    jitted = ag.jit(lambda x: x * 2)
    jitted(1.0)
    assert jitted.cache_size() == 1
    ag.clear_caches()
    assert jitted.cache_size() == 0
    with ag.enable_x64(False):
        assert tnp.ones(2).dtype == np.float32
    assert tnp.ones(2).dtype == np.float64
