"""Control-flow primitives: values and gradients against jax.lax, eager and under jit on both
backends, plus their error messages."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp

jax.config.update("jax_enable_x64", True)

MODES = ["eager", "numpy", "jax"]


def run(mode, fn):
    return fn if mode == "eager" else ag.jit(fn, backend=mode)


def close(a, b, rtol=1e-10):
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=1e-12)


def cond_fn(lax, np_):
    def f(x, w):
        def true_branch(ops):
            a, b = ops
            return {"s": np_.sin(a * w), "t": b * 2.0}

        def false_branch(ops):
            a, b = ops
            return {"s": np_.cos(a) * w, "t": b - a}

        out = lax.cond(np_.sum(x) > 0, true_branch, false_branch, (x, x * x))
        return np_.sum(out["s"]) + np_.sum(out["t"] ** 2)

    return f


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cond_values_and_gradients_including_closure(mode, sign):
    x, w = sign * np.array([0.3, 0.7]), 1.3
    ours, theirs = cond_fn(ag.lax, tnp), cond_fn(jax.lax, jnp)
    close(run(mode, ours)(x, w), theirs(x, w))
    close(run(mode, ag.grad(ours, argnums=(0, 1)))(x, w), jax.grad(theirs, argnums=(0, 1))(x, w))


def test_cond_second_order():
    f = lambda x: ag.lax.cond(x < 1.0, lambda v: v**3, lambda v: tnp.exp(v), x)  # noqa: E731
    g = lambda x: jax.lax.cond(x < 1.0, lambda v: v**3, lambda v: jnp.exp(v), x)  # noqa: E731
    for x in (0.5, 2.0):
        close(ag.grad(ag.grad(f))(x), jax.grad(jax.grad(g))(x))
        close(ag.jit(ag.grad(ag.grad(f)))(x), jax.grad(jax.grad(g))(x))


def test_cond_branch_mismatch_and_bad_predicate():
    with pytest.raises(
        TypeError,
        match=r"cond: true_fun's output and false_fun's output must "
        r"have the same structure, shapes and dtypes",
    ):
        ag.lax.cond(True, lambda x: x, lambda x: tnp.stack([x, x]), 1.0)
    with pytest.raises(TypeError, match=r"cond: pred must be a scalar, got shape \(2,\)"):
        ag.lax.cond(np.ones(2) > 0, lambda x: x, lambda x: x, 1.0)


def scan_fn(lax, np_):
    def f(w, init, xs):
        def step(carry, x):
            h, count = carry
            h = np_.tanh(h * w["a"] + x["u"] * w["b"])
            return (h, count + 1), {"y": h * x["v"], "z": np_.sum(h)}

        (h, count), ys = lax.scan(step, (init, 0), xs)
        return np_.sum(h) + np_.sum(ys["y"] ** 2) - np_.sum(ys["z"]) + count * 0.0

    return f


@pytest.mark.parametrize("mode", MODES)
def test_scan_values_and_gradients(mode):
    rng = np.random.default_rng(0)
    w = {"a": rng.standard_normal(3), "b": 0.4}
    init = rng.standard_normal(3)
    xs = {"u": rng.standard_normal((6, 3)), "v": rng.standard_normal(6)[:, None]}
    ours, theirs = scan_fn(ag.lax, tnp), scan_fn(jax.lax, jnp)
    close(run(mode, ours)(w, init, xs), theirs(w, init, xs))
    close(
        run(mode, ag.grad(ours, argnums=(0, 1, 2)))(w, init, xs),
        jax.grad(theirs, argnums=(0, 1, 2))(w, init, xs),
    )


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_reverse_and_second_order(reverse):
    def f(lax, np_):
        return lambda w, xs: np_.sum(
            lax.scan(lambda c, x: (np_.sin(c * w) + x, c * x), 0.3, xs, reverse=reverse)[1]
        )

    xs = np.linspace(-1, 1, 5)
    close(ag.grad(f(ag.lax, tnp))(0.7, xs), jax.grad(f(jax.lax, jnp))(0.7, xs))
    close(ag.grad(ag.grad(f(ag.lax, tnp)))(0.7, xs), jax.grad(jax.grad(f(jax.lax, jnp)))(0.7, xs))


def test_scan_errors():
    with pytest.raises(ValueError, match="scan: xs must share one leading axis length"):
        ag.lax.scan(lambda c, x: (c, x), 0.0, (np.ones(3), np.ones(4)))
    with pytest.raises(TypeError, match=r"scan: f's output carry and init must have the same"):
        ag.lax.scan(lambda c, x: (c.astype(np.float32), x), 0.0, np.ones(3))
    with pytest.raises(TypeError, match=r"scan: f must return a pair \(carry, y\)"):
        ag.lax.scan(lambda c, x: c, 0.0, np.ones(3))


@pytest.mark.parametrize("mode", MODES)
def test_fori_loop_with_static_bounds_is_differentiable(mode):
    def f(lax, np_):
        return lambda x: lax.fori_loop(0, 4, lambda i, v: v * np_.cos(v) + i, x)

    close(run(mode, f(ag.lax, tnp))(0.3), f(jax.lax, jnp)(0.3))
    close(run(mode, ag.grad(f(ag.lax, tnp)))(0.3), jax.grad(f(jax.lax, jnp))(0.3))


@pytest.mark.parametrize("mode", MODES)
def test_while_loop_and_traced_fori_loop(mode):
    def collatz_steps(n):
        def body(state):
            k, steps = state
            return tnp.where(k % 2 == 0, k // 2, 3 * k + 1), steps + 1

        return ag.lax.while_loop(lambda s: s[0] != 1, body, (n, 0))[1]

    assert int(run(mode, collatz_steps)(np.int64(27))) == 111
    total = run(mode, lambda n, x: ag.lax.fori_loop(0, n, lambda i, v: v + i * x, 0.0))
    assert float(total(np.int64(5), 2.0)) == 20.0


def test_while_loop_gradient_is_a_clear_error():
    f = lambda x: ag.lax.while_loop(lambda v: v < 10.0, lambda v: v * 2.0, x)  # noqa: E731
    with pytest.raises(ag.TraceAgError, match="while_loop is not reverse-mode differentiable"):
        ag.grad(f)(1.0)
    with pytest.raises(TypeError, match="body_fun's output and init_val must have the same"):
        ag.lax.while_loop(lambda v: v < 3, lambda v: v * 0.5, 1)


def test_control_flow_in_printed_graph():
    graph = ag.make_ir(lambda x: ag.lax.cond(x > 0, tnp.sin, tnp.cos, x))(1.0)
    assert [e.primitive.name for e in graph.eqns][-1] == "cond"
