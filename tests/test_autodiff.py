"""grad / value_and_grad / vjp on the lecture's examples, pytrees, nesting and higher order,
each against JAX (float64) as the oracle."""

from collections import namedtuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp

jax.config.update("jax_enable_x64", True)


def assert_close(actual, expected, rtol=1e-10, atol=1e-12):
    for a, e in zip(
        jax.tree_util.tree_leaves(actual), jax.tree_util.tree_leaves(expected), strict=True
    ):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=rtol, atol=atol)


def lecture_f(np_):
    def f(x, y):
        s = x + y
        return np_.log(1 + np_.exp(-s)) * s

    return f


def test_lecture_scalar_function():
    got = ag.grad(lecture_f(tnp), argnums=(0, 1))(1.5, -0.3)
    want = jax.grad(lecture_f(jnp), argnums=(0, 1))(1.5, -0.3)
    assert isinstance(got, tuple) and len(got) == 2
    assert_close(got, want)
    ag.check_grads(lecture_f(tnp), (1.5, -0.3), order=2)


def test_dot_product():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 2.0])
    gx, gy = ag.grad(lambda a, b: a @ b, argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, y)
    np.testing.assert_array_equal(gy, x)


def cross_entropy(np_):
    def ce(z):
        expz = np_.exp(z)
        p = expz / np_.sum(expz)
        return -np_.log(p[0])

    return ce


def test_three_class_cross_entropy():
    z = np.array([0.3, -1.2, 2.0])
    got = ag.grad(cross_entropy(tnp))(z)
    assert_close(got, jax.grad(cross_entropy(jnp))(z))
    softmax = np.exp(z) / np.exp(z).sum()
    assert_close(got, softmax - np.eye(3)[0])  # the closed form of the lecture


def test_reshape_backward_exercise_2_1():
    x = np.arange(6.0).reshape(2, 3)
    w = np.arange(6.0)[::-1].copy()

    def f(np_):
        return lambda x: np_.sum(np_.reshape(x, (6,)) * w)

    got = ag.grad(f(tnp))(x)
    assert got.shape == (2, 3)
    assert_close(got, jax.grad(f(jnp))(x))


def test_indexing_with_repeated_indices_exercise_2_2():
    x = np.array([1.0, 2.0, 3.0])
    idx = np.array([0, 0, 2])
    got = ag.grad(lambda x: tnp.sum(x[idx] ** 2))(x)
    np.testing.assert_allclose(got, [4.0, 0.0, 6.0])  # x[0] is used twice: 2 * 2 * 1
    assert_close(got, jax.grad(lambda x: jnp.sum(x[idx] ** 2))(x))


def bce(np_):
    def loss(w, x, y):
        p = 1 / (1 + np_.exp(-(x @ w)))
        return -np_.mean(y * np_.log(p) + (1 - y) * np_.log(1 - p))

    return loss


def test_binary_cross_entropy_exercise_2_3():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((20, 3)), rng.standard_normal(3)
    y = (rng.random(20) > 0.5).astype(np.float64)
    assert_close(ag.grad(bce(tnp))(w, x, y), jax.grad(bce(jnp))(w, x, y))


def relu_net(np_):
    def loss(params, x, y):
        hidden = np_.maximum(np_.outer(x, params["w1"]) + params["b1"], 0.0)
        out = hidden @ params["w2"] + params["b2"]
        return np_.mean((out - y) ** 2)

    return loss


def test_one_hidden_layer_relu_net_gradients():
    rng = np.random.default_rng(42)
    params = {
        k: rng.standard_normal(s) for k, s in [("w1", 20), ("b1", 20), ("w2", 20), ("b2", ())]
    }
    x = np.linspace(-2, 2, 100)
    y = np.sin(x)
    loss, grads = ag.value_and_grad(relu_net(tnp))(params, x, y)
    want_loss, want_grads = jax.value_and_grad(relu_net(jnp))(params, x, y)
    assert_close(loss, want_loss)
    assert set(grads) == set(params)
    assert_close(grads, want_grads)


def test_perturbation_confusion():
    result = ag.grad(lambda x: x * ag.grad(lambda y: x * y)(1.0))(2.0)
    assert result == 4.0


def test_nested_grad_closing_over_outer_variable():
    def f(np_, grad):
        return lambda x: grad(lambda y: np_.sin(x * y) * y)(x) * x

    assert_close(ag.grad(f(tnp, ag.grad))(0.7), jax.grad(f(jnp, jax.grad))(0.7))


@pytest.mark.parametrize("x", [-1.3, 0.0, 0.5, 2.0])
def test_third_derivative_of_tanh(x):
    got = ag.grad(ag.grad(ag.grad(tnp.tanh)))(x)
    assert_close(got, jax.grad(jax.grad(jax.grad(jnp.tanh)))(x))


def test_higher_order_of_a_vector_function():
    w = np.array([0.5, -1.0, 2.0])

    def f(np_):
        return lambda x: np_.sum(np_.sin(x * w) * np_.exp(x) / (1 + x * x))

    g = f(tnp)
    for _ in range(3):
        g = ag.grad(g)
    want = f(jnp)
    for _ in range(3):
        want = jax.grad(want)
    assert_close(g(0.3), want(0.3))


def test_python_control_flow_on_values_works_outside_jit():
    def f(x):
        if x > 0:
            return x**2
        return -x

    assert ag.grad(f)(3.0) == 6.0
    assert ag.grad(f)(-3.0) == -1.0


Params = namedtuple("Params", ["w", "b"])


def test_pytrees_in_and_out():
    params = {"layers": [Params(np.ones(2), 0.5), Params(np.full(2, 2.0), -1.0)], "scale": 3.0}

    def loss(np_):
        def f(p, x):
            h = x
            for layer in p["layers"]:
                h = np_.tanh(h * layer.w + layer.b)
            return p["scale"] * np_.sum(h)

        return f

    x = np.array([0.1, -0.2])
    grads = ag.grad(loss(tnp))(params, x)
    assert isinstance(grads["layers"][0], Params)
    assert_close(grads, jax.grad(loss(jnp))(params, x))


def test_has_aux_and_argnums_tuple():
    def f(x, y):
        return tnp.sum(x * y), {"norm": tnp.sum(x * x)}

    (value, aux), grads = ag.value_and_grad(f, argnums=(0, 1), has_aux=True)(
        np.array([1.0, 2.0]), np.array([3.0, 4.0])
    )
    assert value == 11.0 and aux["norm"] == 5.0
    np.testing.assert_array_equal(grads[0], [3.0, 4.0])
    grad_x, aux = ag.grad(f, has_aux=True)(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    np.testing.assert_array_equal(grad_x, [3.0, 4.0])
    assert isinstance(aux["norm"], np.generic | np.ndarray)


def test_vjp_with_pytree_output():
    def f(np_):
        return lambda x, y: {"a": np_.sin(x) * y, "b": (x * 2.0, np_.sum(y))}

    x, y = np.array([0.1, 0.2]), np.array([1.0, -1.0])
    out, vjp_fn = ag.vjp(f(tnp), x, y)
    want_out, want_vjp = jax.vjp(f(jnp), x, y)
    assert_close(out, want_out)
    ct = {"a": np.array([1.0, 2.0]), "b": (np.array([0.5, 0.5]), 3.0)}
    got = vjp_fn(ct)
    assert isinstance(got, tuple) and len(got) == 2
    assert_close(got, want_vjp(ct))


def test_outputs_are_numpy_arrays_with_at():
    g = ag.grad(lambda x: tnp.sum(x**2))(np.ones(3))
    assert type(g) is ag.Array and isinstance(g, np.ndarray)
    np.testing.assert_array_equal(g.at[0].set(5.0), [5.0, 2.0, 2.0])
    s = ag.grad(lambda x: x**2)(3.0)
    assert isinstance(s, np.float64)
    out, _ = ag.vjp(tnp.sin, np.ones(2, np.float32))
    assert type(out) is ag.Array and out.dtype == np.float32
    assert repr(out) == repr(np.sin(np.ones(2, np.float32)))  # prints as NumPy's array


def test_output_independent_of_input_gives_zeros():
    g = ag.grad(lambda x, y: tnp.sum(y**2), argnums=0)(np.ones(3), np.ones(2))
    np.testing.assert_array_equal(g, np.zeros(3))


def test_gradient_through_integer_and_boolean_intermediates():
    def f(x):
        mask = x > 0
        k = tnp.argmax(x)
        return tnp.sum(tnp.where(mask, x, 0.0) ** 2) + x[k]

    x = np.array([-1.0, 2.0, 0.5])
    np.testing.assert_allclose(ag.grad(f)(x), [0.0, 5.0, 1.0])


def test_float32_stays_float32_with_python_scalars():
    x = np.ones(3, np.float32)
    g = ag.grad(lambda x: tnp.sum(2.0 * x**2 + 1))(x)
    assert g.dtype == np.float32
    assert (tnp.exp(x) * 2.5).dtype == np.float32
    assert (np.arange(3, dtype=np.int32) + tnp.sqrt(np.float32(2.0))).dtype == np.float64
    assert tnp.add(np.arange(3, dtype=np.int32), 1.5).dtype == np.float64  # NumPy 2 rules
    assert tnp.mean(np.arange(4)).dtype == np.float64


def test_stop_gradient():
    f = lambda x: x * ag.stop_gradient(x)  # noqa: E731
    assert ag.grad(f)(3.0) == 3.0
    assert ag.grad(lambda x: ag.lax.stop_gradient(x) ** 2)(3.0) == 0.0


def test_numpy_ufuncs_on_tracers_dispatch_to_trace_ag():
    got = ag.grad(lambda x: np.sum(np.sin(x) * np.float64(2.0)))(np.array([0.1, 0.2]))
    np.testing.assert_allclose(got, 2 * np.cos([0.1, 0.2]))


def test_deep_chain_has_no_recursion_limit():
    def f(x):
        for _ in range(5000):
            x = x * 1.0001
        return x

    np.testing.assert_allclose(ag.grad(f)(1.0), 1.0001**5000)
