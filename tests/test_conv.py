"""Convolution and pooling: the lecture's im2col examples, the three im2col methods against each
other, and values and gradients against jax.lax (the oracle) over hypothesis-drawn geometries."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax import lax

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag.convolution import avg_pool2d, conv2d, im2col, max_pool2d
from trace_ag.primitives import _windows, conv

jax.config.update("jax_enable_x64", True)

METHODS = ["strided", "dense", "sparse"]
THIS_FILE = "test_conv.py"
LECTURE_X = np.arange(2 * 2 * 4 * 5).reshape(2, 2, 4, 5)


@pytest.mark.parametrize("method", METHODS)
def test_lecture_x_patches(method):
    patches = im2col(LECTURE_X, 2, method=method)
    assert patches.shape == (2, 12, 2, 2, 2)  # (N, P, C, K, K) with P = (H-1)(W-1)
    np.testing.assert_array_equal(patches[0, 0], [[[0, 1], [5, 6]], [[20, 21], [25, 26]]])
    np.testing.assert_array_equal(patches[0, 1], [[[1, 2], [6, 7]], [[21, 22], [26, 27]]])
    np.testing.assert_array_equal(patches[0, 3], [[[3, 4], [8, 9]], [[23, 24], [28, 29]]])
    np.testing.assert_array_equal(patches[0, 4], [[[5, 6], [10, 11]], [[25, 26], [30, 31]]])
    np.testing.assert_array_equal(patches[1, 0], [[[40, 41], [45, 46]], [[60, 61], [65, 66]]])


def test_lecture_dense_matrix_is_x_flat_times_im2col_mat():
    matrix = _windows.dense_matrix((2, 4, 5), (2, 2), (1, 1), ((0, 0), (0, 0)), (1, 1), np.int64)
    assert matrix.shape == (2 * 4 * 5, 2 * 2 * 2 * 12)
    assert set(np.unique(matrix)) == {0, 1} and matrix.sum() == 2 * 2 * 2 * 12
    cols = LECTURE_X.reshape(2, -1) @ matrix
    np.testing.assert_array_equal(
        cols.reshape(2, 2, 2, 2, 3, 4)[0, :, :, :, 0, 0].ravel(), [0, 1, 5, 6, 20, 21, 25, 26]
    )


@pytest.mark.parametrize("method", METHODS)
def test_lecture_exercise_3(method):
    """2 times the lower left minus the top right of each window, channel 1 ignored."""
    w = np.zeros((1, 2, 2, 2))
    w[0, 0] = [[0, -1], [2, 0]]
    out = conv2d(LECTURE_X, w, method=method)
    assert out.shape == (2, 1, 3, 4)
    np.testing.assert_array_equal(out[0, 0], [[9, 10, 11, 12], [14, 15, 16, 17], [19, 20, 21, 22]])


# ---------------------------------------------------------------- drawn geometries


@st.composite
def conv_cases(draw):
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(
        st.one_of(
            st.sampled_from(["SAME", "VALID"]),
            st.tuples(
                st.tuples(st.integers(0, 2), st.integers(0, 2)),
                st.tuples(st.integers(0, 2), st.integers(0, 2)),
            ),
        )
    )
    h = draw(st.integers(dilation[0] * (kh - 1) + 1, 8))
    w = draw(st.integers(dilation[1] * (kw - 1) + 1, 8))
    seed = draw(st.integers(0, 2**16))
    return (n, c, h, w), (o, c, kh, kw), stride, padding, dilation, seed


def _jax_padding(padding, x_shape, w_shape, stride, dilation):
    if isinstance(padding, str):
        return lax.padtype_to_pads(
            x_shape[2:],
            (dilation[0] * (w_shape[2] - 1) + 1, dilation[1] * (w_shape[3] - 1) + 1),
            stride,
            padding,
        )
    return padding


def _jax_conv(x, w, b, stride, padding, dilation):
    out = lax.conv_general_dilated(
        x, w, stride, padding, rhs_dilation=dilation, precision=lax.Precision.HIGHEST
    )
    return out + b[None, :, None, None]


@settings(max_examples=15, deadline=None)  # JAX compiles each drawn shape: ~2 s an example
@given(conv_cases())
def test_conv2d_matches_jax(case):
    x_shape, w_shape, stride, padding, dilation, seed = case
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])
    pads = _jax_padding(padding, x_shape, w_shape, stride, dilation)
    expected, jax_vjp = jax.vjp(lambda *a: _jax_conv(*a, stride, pads, dilation), x, w, b)
    method = rng.choice(METHODS)
    out, vjp_fn = ag.vjp(
        lambda x, w, b: conv2d(x, w, b, stride, padding, dilation, method=method), x, w, b
    )
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    ct = rng.normal(size=out.shape)
    for ours, theirs in zip(vjp_fn(ct), jax_vjp(ct), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


@settings(max_examples=15, deadline=None)
@given(conv_cases())
def test_three_methods_agree_in_values_and_gradients(case):
    x_shape, w_shape, stride, padding, dilation, seed = case
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)

    def loss(method):
        return lambda x, w: tnp.sum(tnp.sin(conv2d(x, w, None, stride, padding, dilation, method)))

    results = [ag.value_and_grad(loss(m), argnums=(0, 1))(x, w) for m in METHODS]
    for value, (gx, gw) in results[1:]:
        np.testing.assert_allclose(value, results[0][0], rtol=1e-12)
        np.testing.assert_allclose(gx, results[0][1][0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(gw, results[0][1][1], rtol=1e-12, atol=1e-12)


@st.composite
def pool_cases(draw):
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    window = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(
        st.one_of(
            st.just("VALID"),
            st.tuples(
                st.tuples(st.integers(0, window[0] - 1), st.integers(0, window[0] - 1)),
                st.tuples(st.integers(0, window[1] - 1), st.integers(0, window[1] - 1)),
            ),
        )
    )
    h, w = draw(st.integers(window[0], 7)), draw(st.integers(window[1], 7))
    return (*shape, h, w), window, stride, padding, draw(st.integers(0, 2**16))


def _jax_pool(x, kind, window, stride, padding):
    pads = ((0, 0), (0, 0), *padding) if not isinstance(padding, str) else padding
    if kind == "max":
        return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, *window), (1, 1, *stride), pads)
    total = lax.reduce_window(x, 0.0, lax.add, (1, 1, *window), (1, 1, *stride), pads)
    return total / (window[0] * window[1])


@pytest.mark.parametrize("kind", ["max", "avg"])
@settings(max_examples=12, deadline=None)
@given(case=pool_cases())
def test_pooling_matches_jax_including_ties(kind, case):
    """Inputs drawn from {0, 1, 2} make many maxima tie: the gradient must pick JAX's one."""
    shape, window, stride, padding, seed = case
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=shape).astype(np.float64)
    expected, jax_vjp = jax.vjp(lambda x: _jax_pool(x, kind, window, stride, padding), x)
    pool = max_pool2d if kind == "max" else avg_pool2d
    out, vjp_fn = ag.vjp(lambda x: pool(x, window, stride, padding), x)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    ct = rng.normal(size=out.shape)
    np.testing.assert_allclose(vjp_fn(ct)[0], jax_vjp(ct)[0], rtol=1e-12, atol=1e-12)


def test_max_pool_tie_goes_to_the_first_maximum():
    x = np.ones((1, 1, 2, 2))
    np.testing.assert_array_equal(
        ag.grad(lambda x: tnp.sum(max_pool2d(x, 2)))(x)[0, 0], [[1, 0], [0, 0]]
    )


# ---------------------------------------------------------------- higher order and lowerings


def test_second_order_gradients():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 2, 2))

    def net(x, w):
        y = conv2d(x, w, padding="SAME", stride=(1, 2))
        return tnp.sum(tnp.tanh(avg_pool2d(y, 2, 1))) + tnp.sum(
            max_pool2d(y * y, (2, 1), padding=((1, 1), (0, 0)))
        )

    ag.check_grads(net, (x, w), order=2)
    ag.check_grads(lambda x: tnp.sum(tnp.sin(im2col(x, 2, method="sparse"))), (x,), order=2)


def _lowering_cases():
    p = dict(kernel=(2, 3), stride=(2, 1), padding=((1, 0), (0, 2)), dilation=(1, 2))
    pool = dict(window=(2, 2), stride=(1, 2), padding=((1, 1), (0, 1)))
    x = np.random.default_rng(1).integers(0, 3, size=(2, 3, 5, 6)).astype(float)
    cols = conv.im2col.impl(x, **p, method="strided")
    out = conv.max_pool2d.impl(x, **pool)
    return [
        (conv.im2col, (x,), dict(p, method="strided")),
        (conv.col2im, (cols,), dict(p, method="strided", shape=x.shape)),
        (conv.max_pool2d, (x,), pool),
        (conv.max_pool2d_scatter, (np.cos(out), x), pool),
        (conv.max_pool2d_gather, (np.cos(x), x), pool),
        (conv.avg_pool2d, (x,), pool),
        (conv.avg_pool2d_transpose, (np.cos(out),), dict(pool, shape=x.shape)),
    ]


@pytest.mark.parametrize(
    "prim,args,params", _lowering_cases(), ids=lambda v: getattr(v, "name", "")
)
def test_jax_lowering_matches_numpy_impl(prim, args, params):
    ours = prim.impl(*args, **params)
    theirs = prim.jax(*[jnp.asarray(a) for a in args], **params)
    assert prim.abstract_eval(*[ag.core.aval_of(a) for a in args], **params).shape == ours.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_abstract_tracing_gives_the_shapes():
    graph = ag.make_ir(lambda x: max_pool2d(conv2d(x, np.ones((4, 3, 3, 3)), padding=1), 2))(
        np.ones((2, 3, 8, 8))
    )
    assert graph.outvars[0].aval.shape == (2, 4, 4, 4)
    assert "im2col" in str(graph) and "max_pool2d" in str(graph)


# ---------------------------------------------------------------- errors


def test_channel_mismatch_names_shapes_and_line():
    with pytest.raises(ag.ShapeError) as info:
        conv2d(np.ones((1, 3, 5, 5)), np.ones((4, 2, 3, 3)))  # the user's line
    message = str(info.value)
    assert "conv2d: the input of shape (1, 3, 5, 5) has 3 channels" in message
    assert "(4, 2, 3, 3)" in message and THIS_FILE in message and "the user's line" in message


def test_kernel_larger_than_input():
    with pytest.raises(
        ag.ShapeError,
        match=r"conv2d: a 5x5 window .* does not fit the input of "
        r"shape \(1, 1, 3, 3\).*padded spatial size is 3x3",
    ):
        conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 5, 5)))
    with pytest.raises(ag.ShapeError, match=r"max_pool2d: a 4x4 window"):
        max_pool2d(np.ones((1, 1, 3, 3)), 4)


def test_bad_arguments_are_named():
    with pytest.raises(ag.ShapeError, match=r"im2col: expects an input of shape \(N, C, H, W\)"):
        im2col(np.ones((3, 5, 5)), 2)
    with pytest.raises(ag.ShapeError, match=r"conv2d: padding must be 'SAME', 'VALID'"):
        conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), padding="FULL")
    with pytest.raises(ag.ShapeError, match=r"conv2d: bias must have shape \(1,\)"):
        conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), np.ones(2))
    with pytest.raises(ag.ShapeError, match=r"im2col: stride must be positive, got \(0, 1\)"):
        im2col(np.ones((1, 1, 5, 5)), 2, stride=(0, 1))
    with pytest.raises(ag.ShapeError, match=r"method must be one of"):
        im2col(np.ones((1, 1, 5, 5)), 2, method="fft")


def test_dense_method_refuses_a_huge_matrix(monkeypatch):
    monkeypatch.setattr(_windows, "DENSE_LIMIT_BYTES", 2**20)
    with pytest.raises(_windows.DenseMatrixTooLargeError) as info:
        conv2d(np.ones((1, 3, 32, 32)), np.ones((6, 3, 5, 5)), method="dense")  # the user's line
    message = str(info.value)
    assert "method='dense' needs a 3072 x 58800 float64 matrix (1378 MiB)" in message
    assert "method='sparse'" in message and THIS_FILE in message


def _net(np_like, conv, max_pool, avg_pool):
    def net(x, w):
        y = conv(x, w)
        return np_like.sum(np_like.tanh(max_pool(y))) + np_like.sum(avg_pool(y * y))

    return net


OURS = _net(
    tnp,
    lambda x, w: conv2d(x, w, padding=1, stride=(1, 2)),
    lambda y: max_pool2d(y, 2, 1),
    lambda y: avg_pool2d(y, (1, 2)),
)
THEIRS = _net(
    jnp,
    lambda x, w: _jax_conv(x, w, np.zeros(w.shape[0]), (1, 2), [(1, 1)] * 2, (1, 1)),
    lambda y: _jax_pool(y, "max", (2, 2), (1, 1), "VALID"),
    lambda y: _jax_pool(y, "avg", (1, 2), (1, 2), "VALID"),
)


def test_forward_mode_matches_jax():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, size=(2, 2, 5, 6)).astype(float)  # ties in the max pool
    w, tx, tw = (
        rng.normal(size=(3, 2, 3, 3)),
        rng.normal(size=x.shape),
        rng.normal(size=(3, 2, 3, 3)),
    )
    ours = ag.jvp(OURS, (x, w), (tx, tw))
    theirs = jax.jvp(THEIRS, (x, w), (tx, tw))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_vmap_of_per_example_gradients_matches_jax():
    rng = np.random.default_rng(4)
    x, w = rng.normal(size=(4, 2, 5, 6)), rng.normal(size=(3, 2, 3, 3))
    per_example = lambda net, grad, vmap: vmap(
        grad(lambda xi, w: net(xi[None], w), 1),  # noqa: E731
        (0, None),
    )
    ours = per_example(OURS, ag.grad, ag.vmap)(x, w)
    theirs = per_example(THEIRS, jax.grad, jax.vmap)(x, w)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_sparse_method_without_scipy_says_how_to_install(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "scipy", None)
    _windows.sparse_matrix.cache_clear()
    with pytest.raises(ImportError, match=r"needs SciPy: pip install 'trace-ag\[conv-sparse\]'"):
        im2col(np.ones((1, 1, 3, 3)), 2, method="sparse")


def test_tiled_max_pool_scatter_equals_the_general_walk():
    """The fast scatter for windows that tile the input (LeNet's 2x2/2) routes each cotangent
    exactly as the general first-maximum walk does: ties, -inf and inf/nan cotangents."""
    from trace_ag.primitives import _windows as win

    rng = np.random.default_rng(0)
    for shape, w in [((3, 2, 6, 4), (2, 2)), ((2, 3, 6, 6), (3, 2))]:
        x = rng.integers(0, 3, shape).astype(np.float32)  # many ties
        x[0, 0, 0, 0] = -np.inf
        out = (shape[0], shape[1], shape[2] // w[0], shape[3] // w[1])
        g = rng.standard_normal(out).astype(np.float32)
        g.flat[0], g.flat[1] = np.inf, np.nan
        ref = np.zeros(shape, np.float32)
        for sl, hit in win._first_max_taps(x, w, w, ((0, 0), (0, 0))):
            ref[:, :, sl[0], sl[1]] += win.keep(g, hit)
        np.testing.assert_array_equal(win.max_pool_scatter(g, x, w, w, ((0, 0), (0, 0))), ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_2x2_pooling_selection_routes_as_the_general_walk(dtype):
    """The selection the jitted forward pool keeps (2x2 tiles) sends every cotangent where the
    first-maximum walk does: ties, signed zeros, -inf, inf/nan cotangents; with a nan in x the
    selection is None and the scatter walks x instead."""
    from trace_ag.primitives import _windows as win

    rng = np.random.default_rng(1)
    tiles = ((0, 0), (0, 0))
    for shape in [(3, 2, 6, 4), (2, 1, 2, 8)]:
        x = rng.integers(0, 3, shape).astype(dtype)  # many ties
        x[0, 0, 0, :2] = [-0.0, 0.0]  # equal maxima of opposite sign: the first one
        x[0, 0, 1, :2] = [-0.0, -0.0]
        x[-1, -1, :2, :2] = -np.inf
        out = (shape[0], shape[1], shape[2] // 2, shape[3] // 2)
        g = rng.standard_normal(out).astype(dtype)
        g.flat[0], g.flat[1], g.flat[-1] = np.inf, np.nan, -np.inf
        pooled, selection = win.max_pool_2x2_selecting(x)
        np.testing.assert_array_equal(pooled, win.max_pool(x, (2, 2), (2, 2), tiles))
        assert selection is not None
        got = win.max_pool_2x2_scatter_selected(g, x, selection)
        want = win.max_pool_scatter(g, x, (2, 2), (2, 2), tiles)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
        x[0, 0, 0, 0] = np.nan
        pooled, selection = win.max_pool_2x2_selecting(x)
        assert selection is None
        np.testing.assert_array_equal(
            win.max_pool_2x2_scatter_selected(g, x, selection),
            win.max_pool_scatter(g, x, (2, 2), (2, 2), tiles),
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jitted_pooling_keeps_its_selection_and_matches_eager_and_jax(dtype):
    """Under jit the forward 2x2 pool hands its selection to the backward scatter; gradients
    are bit for bit eager's and equal JAX's (ties after the relu, a nan in one image)."""
    rng = np.random.default_rng(2)
    x = rng.integers(-2, 3, (4, 3, 8, 6)).astype(dtype)
    w = rng.standard_normal((3, 3, 3, 3)).astype(dtype)

    def loss(x, w):
        y = tnp.maximum(x, 0.0) * tnp.reshape(tnp.sum(w, (1, 2, 3)), (1, 3, 1, 1))
        return tnp.sum(tnp.cos(max_pool2d(y, 2)))

    def their_loss(x, w):
        y = jnp.maximum(x, 0.0) * jnp.sum(w, (1, 2, 3)).reshape(1, 3, 1, 1)
        pooled = lax.reduce_window(y, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
        return jnp.sum(jnp.cos(pooled))

    grad = ag.grad(loss, argnums=(0, 1))
    jitted = ag.jit(grad)
    assert "impl_max_pool2d_selecting" in jitted.lower(x, w).as_text("source")
    for case in range(2):
        if case:
            x[1, 2, 3, 4] = np.nan
        ours_jit, ours_eager = jitted(x, w), grad(x, w)
        theirs = jax.grad(their_loss, argnums=(0, 1))(x, w)
        for got, eager, want in zip(ours_jit, ours_eager, theirs, strict=True):
            np.testing.assert_array_equal(got, eager)
            if not case:
                np.testing.assert_allclose(got, want, rtol=2e-4 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("batch", [5, 20])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jitted_convolution_gradients_equal_eager_bit_for_bit_and_match_jax(dtype, batch):
    """Below ``BATCH_LAST_MIN`` images a convolution is a batch of products, from it on one GEMM
    over batch-last columns; either way jit runs the same kernels on the same layouts as eager
    (equal bits) and JAX agrees."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((batch, 3, 9, 8)).astype(dtype)
    w = rng.standard_normal((4, 3, 3, 2)).astype(dtype)
    b = rng.standard_normal(4).astype(dtype)

    def loss(w, b, x):
        return tnp.sum(tnp.sin(conv2d(x, w, b, padding=((1, 0), (2, 1)))))

    def their_loss(w, b, x):
        dims = ("NCHW", "OIHW", "NCHW")
        y = lax.conv_general_dilated(x, w, (1, 1), ((1, 0), (2, 1)), dimension_numbers=dims)
        return jnp.sum(jnp.sin(y + b.reshape(1, 4, 1, 1)))

    grad = ag.grad(loss, argnums=(0, 1))
    jitted = ag.jit(grad)
    batch_last = "batch_last=True" in jitted.lower(w, b, x).as_text("source")
    assert batch_last == (batch >= _windows.BATCH_LAST_MIN)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    theirs = jax.grad(their_loss, argnums=(0, 1))(w, b, x)
    for got, eager, want in zip(jitted(w, b, x), grad(w, b, x), theirs, strict=True):
        np.testing.assert_array_equal(got, eager)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


def test_jit_inlines_custom_jvp_functions_and_matches_eager_and_jax():
    """jit runs a custom_jvp function's own equations (nn.relu twice on one shape, and inside
    another custom_jvp function): no call left in the code, values and gradients as eager's
    and JAX's, the relu's mask taken from its output."""
    from nn.layers import relu

    @ag.custom_jvp
    def soft_relu(x):
        return relu(x) + 0.5 * tnp.tanh(x)

    @soft_relu.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return soft_relu(x), t * (tnp.astype(x > 0, t.dtype) + 0.5 * (1 - tnp.tanh(x) ** 2))

    rng = np.random.default_rng(4)
    x = rng.integers(-2, 3, (3, 2, 6, 6)).astype(np.float64)  # zeros: relu's kink
    w = rng.standard_normal((2, 2, 3, 3))

    def loss(w, x):
        y = conv2d(relu(x), w, padding=1)
        return tnp.sum(max_pool2d(relu(y), 2) * soft_relu(y[:, :, ::2, ::2]))

    def their_loss(w, x):
        dims = ("NCHW", "OIHW", "NCHW")
        y = lax.conv_general_dilated(jax.nn.relu(x), w, (1, 1), ((1, 1), (1, 1)),
                                     dimension_numbers=dims)  # fmt: skip
        pooled = lax.reduce_window(jax.nn.relu(y), -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2),
                                   "VALID")  # fmt: skip
        z = y[:, :, ::2, ::2]
        return jnp.sum(pooled * (jax.nn.relu(z) + 0.5 * jnp.tanh(z)))

    value_and_grad = ag.value_and_grad(loss, argnums=(0, 1))
    jitted = ag.jit(value_and_grad)
    assert "custom_jvp_call" not in jitted.lower(w, x).as_text("source")
    (value, grads), (eager_value, eager_grads) = jitted(w, x), value_and_grad(w, x)
    their_value, theirs = jax.value_and_grad(their_loss, argnums=(0, 1))(w, x)
    np.testing.assert_allclose(value, eager_value, rtol=1e-14)
    np.testing.assert_allclose(value, their_value, rtol=1e-12)
    for got, eager, want in zip(grads, eager_grads, theirs, strict=True):
        np.testing.assert_allclose(got, eager, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_jit_drops_identities_with_a_broadcast_constant():
    """``y * broadcast_to(1)`` (a gradient's seed, too large to fold) is ``y``; ``y + 0.0``
    broadcast is kept (it turns -0.0 into 0.0), ``y + -0.0`` is not."""
    from trace_ag import passes

    y = np.full((300, 300), -0.0)  # above the folding limit
    y[0, :3] = [1.0, np.inf, np.nan]
    cases = [
        (lambda y: y * tnp.broadcast_to(np.float64(1.0), y.shape), "mul", False),
        (lambda y: y + tnp.broadcast_to(np.float64(0.0), y.shape), "add", True),
        (lambda y: y + tnp.broadcast_to(np.float64(-0.0), y.shape), "add", False),
    ]
    for fn, name, kept in cases:
        optimized = passes.optimize(ag.make_ir(fn)(y))
        assert any(e.primitive.name == name for e in optimized.eqns) == kept
        got, want = ag.jit(fn)(y), fn(y)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_jit_writes_into_views_of_dead_owned_buffers_only():
    """A reshape or transpose of a buffer the graph owns may take a ufunc's result once every
    view of that buffer is dead (a convolution's bias is added in place); values stay eager's,
    also when the other operand is a transposed view of the same buffer."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 6, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    conv = ag.jit(lambda x, w, b: conv2d(x, w, b) * 2.0)
    assert "impl_add(" in (source := conv.lower(x, w, b).as_text("source"))
    assert any("impl_add(" in line and "out=" in line for line in source.splitlines())
    np.testing.assert_allclose(conv(x, w, b), conv2d(x, w, b) * 2.0, rtol=1e-14)

    def overlapping(a):
        t = tnp.transpose(a * 1.5)
        return t + tnp.transpose(t), tnp.reshape(t, (-1,)) - 1.0

    a = rng.standard_normal((5, 5))
    eager = overlapping(a)
    for donate in ((), (0,)):
        got = ag.jit(overlapping, donate_argnums=donate)(a.copy())
        for g, e in zip(got, eager, strict=True):
            np.testing.assert_array_equal(g, e)
