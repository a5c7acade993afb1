"""``trace_ag.scipy.signal`` against ``scipy.signal`` (values) and ``jax.scipy.signal`` (values,
gradients, jvp, vmap, jit on both backends), in float64 and float32, real and complex."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag.scipy import signal as ts

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
js = pytest.importorskip("jax.scipy.signal")
ss = pytest.importorskip("scipy.signal")

# (in1 shape, in2 shape): 1-d, 2-d and 3-d, kernel second or first, equal shapes, a 1-element
# kernel, and even/odd sizes (which "same" centres differently).
SHAPES = [
    ((7,), (3,)),
    ((3,), (6,)),
    ((4,), (4,)),
    ((5,), (1,)),
    ((5, 6), (2, 3)),
    ((2, 3), (4, 5)),
    ((4, 3), (4, 3)),
    ((3, 4, 5), (2, 2, 3)),
    ((2, 2, 3), (3, 4, 4)),
]
MODES = ["full", "same", "valid"]
NAMES = ["convolve", "correlate", "convolve2d", "correlate2d"]
CASES = [
    pytest.param(name, s1, s2, id=f"{name}-{'x'.join(map(str, s1))}-{'x'.join(map(str, s2))}")
    for name in NAMES
    for s1, s2 in SHAPES
    if not name.endswith("2d") or len(s1) == 2
]


def _draw(rng, shape, dtype=np.float64, complex_=False):
    x = rng.normal(size=shape)
    if complex_:
        x = x + 1j * rng.normal(size=shape)
    return x.astype(np.result_type(dtype, np.complex64) if complex_ else dtype)


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("name, s1, s2", CASES)
def test_values_match_scipy(name, s1, s2, complex_, rng):
    a, b = _draw(rng, s1, complex_=complex_), _draw(rng, s2, complex_=complex_)
    for mode in MODES:
        ours = getattr(ts, name)(a, b, mode=mode)
        expected = getattr(ss, name)(a, b, mode=mode)
        assert ours.shape == expected.shape, (mode, ours.shape, expected.shape)
        np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12, err_msg=mode)


def _scipy_jacobian(fn, a, b, mode, argnum):
    """The exact Jacobian of the (bilinear) SciPy function in one argument, column by column."""
    args = [a, b]
    columns = []
    for i in range(args[argnum].size):
        basis = np.zeros(args[argnum].size)
        basis[i] = 1.0
        args[argnum] = basis.reshape(np.shape(args[argnum]))
        columns.append(np.ravel(fn(*args, mode=mode)))
    return np.stack(columns, axis=1)


def _weighted_sum(fn, mode, weights, x, y):
    return (fn(x, y, mode=mode) * weights).sum()


@pytest.mark.parametrize("name, s1, s2", CASES)
def test_grads_match_scipys_jacobian(name, s1, s2, rng):
    a, b = _draw(rng, s1), _draw(rng, s2)
    for mode in MODES:
        weights = _draw(rng, getattr(ss, name)(a, b, mode=mode).shape)
        loss = partial(_weighted_sum, getattr(ts, name), mode, weights)
        ours = ag.grad(loss, argnums=(0, 1))(a, b)
        for argnum, grad in enumerate(ours):
            jac = _scipy_jacobian(getattr(ss, name), a, b, mode, argnum)
            expected = (np.ravel(weights) @ jac).reshape(grad.shape)
            np.testing.assert_allclose(grad, expected, rtol=1e-10, atol=1e-12, err_msg=mode)


# One case per rank and per function family against JAX itself (JAX compiles per shape).
JAX_CASES = [
    pytest.param("convolve", (7,), (3,), id="convolve-7-3"),
    pytest.param("correlate", (2, 2, 3), (3, 4, 4), id="correlate-2x2x3-3x4x4"),
    pytest.param("convolve2d", (2, 3), (4, 5), id="convolve2d-2x3-4x5"),
    pytest.param("correlate2d", (5, 6), (2, 3), id="correlate2d-5x6-2x3"),
]


@pytest.mark.parametrize("name, s1, s2", JAX_CASES)
def test_values_and_grads_match_jax(name, s1, s2, rng):
    a, b = _draw(rng, s1), _draw(rng, s2)
    for mode in MODES:
        weights = _draw(rng, getattr(ss, name)(a, b, mode=mode).shape)
        loss = partial(_weighted_sum, getattr(ts, name), mode, weights)
        ours = ag.value_and_grad(loss, argnums=(0, 1))(a, b)
        jloss = partial(_weighted_sum, getattr(js, name), mode, weights)
        theirs = jax.value_and_grad(jloss, argnums=(0, 1))(a, b)
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, err_msg=mode)
        for o, t in zip(ours[1], theirs[1], strict=True):
            np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-12, err_msg=mode)


def test_complex_grad_matches_jax(rng):
    a, b = _draw(rng, (6,), complex_=True), _draw(rng, (3,), complex_=True)

    def loss(mod, fn, x, y):
        return mod.sum(mod.abs(fn(x, y, mode="same")) ** 2)

    for name in ["convolve", "correlate"]:
        ours = ag.grad(partial(loss, tnp, getattr(ts, name)), argnums=(0, 1))(a, b)
        theirs = jax.grad(partial(loss, jnp, getattr(js, name)), argnums=(0, 1))(a, b)
        for o, t in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize(
    "shapes", [((6,), (3,)), ((4, 5), (2, 3)), ((3, 3, 4), (2, 2, 2))], ids=["1d", "2d", "3d"]
)
def test_check_grads_second_order(shapes, rng):
    a, b = _draw(rng, shapes[0]), _draw(rng, shapes[1])
    ag.check_grads(lambda x, y: ts.convolve(x, y, mode="same") ** 2, (a, b), order=2)


def test_float32_stays_float32(rng):
    a, b = _draw(rng, (5, 6), np.float32), _draw(rng, (3, 2), np.float32)
    for name in NAMES:
        ours = getattr(ts, name)(a, b)
        assert ours.dtype == np.float32, name
        expected = getattr(ss, name)(a.astype(np.float64), b.astype(np.float64))
        np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5, err_msg=name)
    grad = ag.grad(lambda x: tnp.sum(ts.correlate(x, b, mode="same") ** 2))(a)
    jgrad = jax.grad(lambda x: jnp.sum(js.correlate(x, b, mode="same") ** 2))(a)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, jgrad, rtol=1e-4, atol=1e-4)


def test_integer_inputs_give_floats_with_scipy_values():
    a, b = np.arange(6), np.array([1, -1, 2])
    ours = ts.convolve(a, b)
    assert ours.dtype == np.float64
    np.testing.assert_array_equal(ours, ss.convolve(a, b))


TRANSFORM_SHAPES = [((6,), (3,)), ((4, 5), (2, 3)), ((3, 3, 4), (2, 2, 2))]
TRANSFORM_IDS = ["1d", "2d", "3d"]


@pytest.mark.parametrize("shapes", TRANSFORM_SHAPES, ids=TRANSFORM_IDS)
def test_jvp_is_the_product_rule(shapes, rng):
    a, b = _draw(rng, shapes[0]), _draw(rng, shapes[1])
    ta, tb = _draw(rng, shapes[0]), _draw(rng, shapes[1])
    out, tangent = ag.jvp(lambda x, y: ts.correlate(x, y, mode="same"), (a, b), (ta, tb))
    np.testing.assert_allclose(out, ss.correlate(a, b, mode="same"), rtol=1e-10)
    expected = ss.correlate(ta, b, mode="same") + ss.correlate(a, tb, mode="same")
    np.testing.assert_allclose(tangent, expected, rtol=1e-10, atol=1e-12)


def test_jvp_matches_jax(rng):
    a, b, ta, tb = (_draw(rng, s) for s in [(6,), (3,), (6,), (3,)])
    out, tangent = ag.jvp(lambda x, y: ts.correlate(x, y, mode="same"), (a, b), (ta, tb))
    jout, jtangent = jax.jvp(lambda x, y: js.correlate(x, y, mode="same"), (a, b), (ta, tb))
    np.testing.assert_allclose(out, jout, rtol=1e-10)
    np.testing.assert_allclose(tangent, jtangent, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("in_axes", [(0, None), (None, 0), (0, 0)], ids=["x", "kernel", "both"])
@pytest.mark.parametrize("shapes", TRANSFORM_SHAPES, ids=TRANSFORM_IDS)
def test_vmap_matches_a_loop(shapes, in_axes, rng):
    a, b = _draw(rng, (3,) + shapes[0]), _draw(rng, (3,) + shapes[1])
    a = a if in_axes[0] == 0 else a[0]
    b = b if in_axes[1] == 0 else b[0]
    ours = ag.vmap(lambda x, y: ts.convolve(x, y, mode="same"), in_axes=in_axes)(a, b)
    expected = np.stack(
        [
            ss.convolve(a[i] if in_axes[0] == 0 else a, b[i] if in_axes[1] == 0 else b, mode="same")
            for i in range(3)
        ]
    )
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)


def test_vmap_of_grad_matches_jax(rng):
    a, b = _draw(rng, (3, 4, 5)), _draw(rng, (3, 2, 3))

    def loss(mod, fn, x, y):
        return mod.sum(fn(x, y, mode="valid") ** 2)

    ours = ag.vmap(ag.grad(partial(loss, tnp, ts.correlate2d), argnums=1))(a, b)
    theirs = jax.vmap(jax.grad(partial(loss, jnp, js.correlate2d), argnums=1))(a, b)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("shapes", TRANSFORM_SHAPES, ids=TRANSFORM_IDS)
def test_jit_matches_eager(shapes, backend, rng):
    a, b = _draw(rng, shapes[0]), _draw(rng, shapes[1])

    def f(x, y):
        return tnp.sum(ts.correlate(x, y, mode="full") ** 2) + tnp.sum(ts.convolve(y, x, "valid"))

    value_and_grad = ag.value_and_grad(f, argnums=(0, 1))
    eager = value_and_grad(a, b)
    jitted = ag.jit(value_and_grad, backend=backend)(a, b)
    np.testing.assert_allclose(jitted[0], eager[0], rtol=1e-10)
    for j, e in zip(jitted[1], eager[1], strict=True):
        np.testing.assert_allclose(j, e, rtol=1e-10, atol=1e-12)


def test_fftconvolve_matches_scipy_with_axes(rng):
    a, b = _draw(rng, (3, 6)), _draw(rng, (3, 2))
    for mode in MODES:
        np.testing.assert_allclose(
            ts.fftconvolve(a, b, mode=mode, axes=1), ss.fftconvolve(a, b, mode=mode, axes=1)
        )
        np.testing.assert_allclose(ts.fftconvolve(a, b, mode), ss.fftconvolve(a, b, mode))
    grad = ag.grad(lambda x: tnp.sum(ts.fftconvolve(x, b, axes=1) ** 2))(a)
    # d/dx sum(convolve(x, b) ** 2) = correlate(2 * convolve(x, b), b, "valid"), row by row
    expected = [ss.correlate(2 * ss.convolve(x, y), y, "valid") for x, y in zip(a, b, strict=True)]
    np.testing.assert_allclose(grad, np.stack(expected), rtol=1e-10)


def test_methods_accepted_as_in_jax(rng):
    a, b = _draw(rng, (6,)), _draw(rng, (3,))
    for method in ["auto", "direct", "fft"]:
        np.testing.assert_allclose(ts.convolve(a, b, method=method), ss.convolve(a, b))
        np.testing.assert_allclose(ts.correlate(a, b, method=method), ss.correlate(a, b))
    with pytest.raises(ValueError, match="convolve: got method='bogus'"):
        ts.convolve(a, b, method="bogus")


def test_bad_inputs_raise_clearly():
    with pytest.raises(ValueError, match=r"convolve: mode must be one of"):
        ts.convolve(np.ones(3), np.ones(2), mode="middle")
    with pytest.raises(ValueError, match=r"same number of dimensions.*\(3,\).*\(2, 2\)"):
        ts.correlate(np.ones(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"at least as large.*\(3, 1\).*\(1, 3\)"):
        ts.convolve(np.ones((3, 1)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="zero-size"):
        ts.convolve(np.ones(0), np.ones(2))
    with pytest.raises(NotImplementedError, match="convolve2d: only boundary='fill'"):
        ts.convolve2d(np.ones((3, 3)), np.ones((2, 2)), boundary="wrap")
    with pytest.raises(NotImplementedError, match="correlate2d: only boundary='fill'"):
        ts.correlate2d(np.ones((3, 3)), np.ones((2, 2)), fillvalue=1.0)
    with pytest.raises(ValueError, match=r"correlate2d: only 2-dimensional.*\(3,\)"):
        ts.correlate2d(np.ones(3), np.ones(2))
