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
