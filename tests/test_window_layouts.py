"""The batch-last layout of the window kernels (``trace_ag.primitives._windows``): a batch of
at least ``BATCH_LAST_MIN`` images is convolved with its columns stored batch-last, and every
pooling kernel and col2im keeps that layout. The layout changes memory order only: every kernel
gives the bits it gives on NCHW arrays, convolutions match JAX (values, gradients, second
order, vmap), and jit equals eager."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from window_cases import NO_PAD, batch_last, draw, kernel_cases

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag.convolution import conv2d, max_pool2d
from trace_ag.primitives import _windows

jax.config.update("jax_enable_x64", True)

KERNEL_NAMES = [name for name, _, _ in kernel_cases(np.random.default_rng(0), 1, np.float32)]


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint8)  # -0.0 and nan payloads count


def _leaves(out):
    return [a for a in (out if isinstance(out, tuple) else (out,)) if a is not None]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n", [1, 5, 17])
@pytest.mark.parametrize("name", KERNEL_NAMES)
def test_every_window_kernel_gives_the_same_bits_batch_last(name, n, dtype):
    nchw = {k: (f, a) for k, f, a in kernel_cases(np.random.default_rng(n), n, dtype)}
    moved = {
        k: (f, a) for k, f, a in kernel_cases(np.random.default_rng(n), n, dtype, "batch_last")
    }
    want, got = nchw[name][0](*nchw[name][1]), moved[name][0](*moved[name][1])
    for expected, actual in zip(_leaves(want), _leaves(got), strict=True):
        if isinstance(expected, tuple):  # the 2x2 selection's three masks
            for e, a in zip(expected, actual, strict=True):
                np.testing.assert_array_equal(a, e)
            continue
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        np.testing.assert_array_equal(_bits(actual), _bits(expected))
        if n > 1:
            assert _windows.is_batch_last(actual), f"{name} did not keep the batch-last layout"


def test_batch_last_columns_are_jax_patches_and_stored_batch_last():
    x = draw(np.random.default_rng(1), (17, 3, 9, 8), np.float64)
    pad = ((1, 2), (0, 1))
    cols = _windows.im2col_strided(x, (3, 2), (2, 1), pad, (1, 2), batch_last=True)
    patches = lax.conv_general_dilated_patches(x, (3, 2), (2, 1), pad, rhs_dilation=(1, 2))
    np.testing.assert_array_equal(cols.reshape(patches.shape), patches)
    assert _windows.is_batch_last(cols)
    # from an input that is already batch-last, too
    again = _windows.im2col_strided(batch_last(x), (3, 2), (2, 1), pad, (1, 2), batch_last=True)
    np.testing.assert_array_equal(again, cols)


def test_a_nan_in_a_batch_last_pool_falls_back_to_the_general_walk():
    x = batch_last(draw(np.random.default_rng(2), (17, 2, 6, 6), np.float32, nan=True))
    out, selection = _windows.max_pool_2x2_selecting(x)
    assert selection is None and np.isnan(out[0, 0, 0, 0])
    g = np.random.default_rng(3).standard_normal(out.shape).astype(np.float32)
    scatter = _windows.max_pool_2x2_scatter_selected(g, x, selection)
    want = _windows.max_pool_scatter(g, np.ascontiguousarray(x), (2, 2), (2, 2), NO_PAD)
    np.testing.assert_array_equal(scatter, want)


CONV_CASES = [  # (N, C, H, W, O, KH, KW, stride, padding, dilation)
    (16, 1, 12, 12, 3, 5, 5, (1, 1), ((0, 0), (0, 0)), (1, 1)),
    (17, 3, 9, 8, 4, 3, 2, (2, 1), ((1, 0), (2, 1)), (1, 2)),
    (20, 2, 7, 9, 2, 2, 3, (1, 2), ((2, 2), (1, 1)), (2, 1)),
]


def _their_conv(x, w, b, stride, padding, dilation):
    y = lax.conv_general_dilated(x, w, stride, padding, rhs_dilation=dilation)
    return y + b.reshape(1, -1, 1, 1)


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"N{c[0]}")
def test_batch_last_convolution_matches_jax_and_jit_equals_eager(case):
    n, c, h, w_, o, kh, kw, stride, padding, dilation = case
    rng = np.random.default_rng(n)
    x, w = rng.standard_normal((n, c, h, w_)), rng.standard_normal((o, c, kh, kw))
    b = rng.standard_normal(o)

    def loss(x, w, b):
        y = conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)
        return tnp.sum(tnp.tanh(y) * y), y

    def their_loss(x, w, b):
        y = _their_conv(x, w, b, stride, padding, dilation)
        return jnp.sum(jnp.tanh(y) * y), y

    grad = ag.value_and_grad(loss, argnums=(0, 1, 2), has_aux=True)
    (value, y), grads = grad(x, w, b)
    (their_value, their_y), theirs = jax.value_and_grad(their_loss, (0, 1, 2), has_aux=True)(
        x, w, b
    )
    assert _windows.is_batch_last(y)
    np.testing.assert_allclose(y, their_y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(value, their_value, rtol=1e-12)
    for got, want in zip(grads, theirs, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)
    (jit_value, jit_y), jit_grads = ag.jit(grad)(x, w, b)
    assert jit_value == value
    np.testing.assert_array_equal(jit_y, y)
    for got, eager in zip(jit_grads, grads, strict=True):
        np.testing.assert_array_equal(got, eager)


def test_batch_last_convolution_second_order_gradients():
    n, c, h, w_, o, kh, kw, stride, padding, dilation = CONV_CASES[1]
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((n, c, h, w_)), rng.standard_normal((o, c, kh, kw))
    b = rng.standard_normal(o)

    def f(x, w):
        y = conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)
        return tnp.sum(tnp.sin(max_pool2d(y, 2, padding=1)))

    ag.check_grads(f, (x, w), order=2)


def test_vmap_over_batch_last_convolutions_is_the_loop():
    rng = np.random.default_rng(6)
    xs, w = rng.standard_normal((3, 16, 2, 8, 8)), rng.standard_normal((3, 2, 3, 3))

    def f(x):
        return tnp.sum(max_pool2d(tnp.maximum(conv2d(x, w, padding=1), 0), 2) ** 2)

    batched = ag.vmap(ag.grad(f))(xs)
    for x, got in zip(xs, batched, strict=True):
        np.testing.assert_allclose(got, ag.grad(f)(x), rtol=1e-13)
    their = jax.vmap(
        jax.grad(
            lambda x: jnp.sum(
                lax.reduce_window(
                    jnp.maximum(lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (1, 1))), 0),
                    -jnp.inf,
                    lax.max,
                    (1, 1, 2, 2),
                    (1, 1, 2, 2),
                    "VALID",
                )
                ** 2
            )
        )
    )(xs)
    np.testing.assert_allclose(batched, their, rtol=1e-12)


def test_jitted_lenet5_adam_steps_equal_eager_bit_for_bit():
    """The main job's step (LeNet-5, Adam with its cosine schedule, batch 64: batch-last
    convolutions, relus whose custom_jvp rule captures the activation) gives the same bits
    jitted as eager, parameters and optimizer state, step after step. (A captured activation
    copied into C order once made the conv biases' gradients sum in another order.)"""
    from nn import losses, recipes
    from nn.train import make_train_step

    shape = (1, 28, 28)
    model = recipes.model_for(shape)
    opt = recipes.make_optimizer("adam", recipes.cosine(2e-3, 100))
    step = make_train_step(model, opt, losses.cross_entropy)
    jitted = ag.jit(step, donate_argnums=(0, 1))
    rng = np.random.default_rng(3)
    batches = [
        (rng.uniform(size=(64, *shape)).astype(np.float32), rng.integers(0, 10, 64))
        for _ in range(2)
    ]
    params = model.init(0, shape)[0]
    runs = {}
    for name, fn in (("eager", step), ("jit", jitted)):
        p = ag.tree_util.tree_map(np.array, params)
        state = opt.init(p)
        for x, y in batches:
            p, state, loss, _ = fn(p, state, x, y)
        runs[name] = [np.asarray(a) for a in ag.tree_util.tree_leaves((p, state, loss))]
    for eager, jit in zip(runs["eager"], runs["jit"], strict=True):
        np.testing.assert_array_equal(jit, eager)
        assert jit.dtype == eager.dtype


def _relu_pool_loss(x, w):
    from nn.layers import relu

    return tnp.sum(max_pool2d(relu(x), 2) * w)


@pytest.mark.parametrize(
    "dtype", [np.float16, np.float32, np.float64], ids=lambda d: np.dtype(d).name
)
@pytest.mark.parametrize("n", [3, 16])
@pytest.mark.parametrize("special", ["ties and zeros", "a nan", "infinities"])
def test_relu_mask_on_the_pooled_gradient_gives_the_same_bits(n, special, dtype):
    """jit computes a relu's backward mask after a 2x2 pool's scatter on the pooled output
    (``max_pool_2x2_scatter_selected_masked``): the same bits as eager mode's scatter-then-mask,
    ties, signed zeros, infinities and nans (which take the unfused path) included; JAX's
    gradient where it is defined."""
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 3, 6, 8)).astype(dtype)
    if special == "ties and zeros":
        x[0, 0, :2, :2] = [[0.0, -0.0], [-0.0, 0.0]]
        x[0, 1, :2, :2] = [[1.5, 1.5], [1.5, -2.0]]
        x[-1, 2, 2:4, 2:4] = [[-1.0, -1.0], [-3.0, -0.0]]
    elif special == "a nan":
        x[0, 1, 2, 3] = np.nan
    else:
        x[0, 0, 0, 0], x[-1, 2, 5, 7] = np.inf, -np.inf
    w = rng.standard_normal((n, 3, 3, 4)).astype(dtype)
    w[0, 0, 0, 0] = -w[0, 0, 0, 0] if w[0, 0, 0, 0] > 0 else w[0, 0, 0, 0]  # a negative cotangent
    value_and_grad = ag.value_and_grad(_relu_pool_loss)  # the loss keeps the forward pool
    jitted = ag.jit(value_and_grad)
    folded = "impl_max_pool2d_scatter_masked" in jitted.lower(x, w).source
    assert folded == (dtype != np.float16)  # float16 pools keep no selection: nothing to fold
    (loss, got), (expected_loss, expected) = jitted(x, w), value_and_grad(x, w)
    np.testing.assert_array_equal(_bits(got), _bits(expected))
    np.testing.assert_array_equal(_bits(loss), _bits(expected_loss))
    stacked, ws = np.stack([x, x[::-1]]), np.stack([w, w[::-1]])  # vmap: a 5-d batch
    batched = ag.jit(ag.vmap(value_and_grad))(stacked, ws)
    for k in range(2):
        np.testing.assert_array_equal(
            _bits(batched[1][k]), _bits(value_and_grad(stacked[k], ws[k])[1])
        )
    if (
        special != "a nan" and dtype != np.float16
    ):  # JAX sends a nan window's cotangent elsewhere: not compared

        def jax_loss(x):
            pooled = lax.reduce_window(
                jax.nn.relu(x), -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID"
            )
            return jnp.sum(pooled * w)

        expected_jax = jax.grad(jax_loss)(x)
        np.testing.assert_allclose(got, expected_jax, rtol=1e-6 if dtype == np.float32 else 1e-12)


def test_a_relu_mask_read_twice_is_not_folded_into_the_scatter():
    def loss(x, w):
        from nn.layers import relu

        y = relu(x)
        return tnp.sum(max_pool2d(y, 2) * w) + tnp.sum((y > 0) * x)

    x = np.random.default_rng(0).standard_normal((4, 2, 4, 4)).astype(np.float32)
    w = np.ones((4, 2, 2, 2), np.float32)
    jitted = ag.jit(ag.value_and_grad(loss))
    for got, expected in zip(jitted(x, w), ag.value_and_grad(loss)(x, w), strict=True):
        np.testing.assert_array_equal(_bits(got), _bits(expected))
