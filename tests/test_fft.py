"""``trace_ag.numpy.fft`` against NumPy (values, dtypes) and JAX (values, grad, vjp with complex
cotangents, jvp, vmap, jit on both backends), central differences to second order, drawn
shapes/axes/lengths/norms, and the errors bad arguments raise."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag.primitives import fft as fft_prim

jax = pytest.importorskip("jax")
jnp = jax.numpy

RNG = np.random.default_rng(14)
X = RNG.standard_normal((3, 4))
Z = X + 1j * RNG.standard_normal((3, 4))
REAL_INPUT_ONLY = {"rfft", "rfft2", "rfftn", "ihfft"}

CASES = [
    ("fft", {}),
    ("fft", dict(n=7, axis=0, norm="ortho")),
    ("ifft", dict(n=3, norm="forward")),
    ("fft2", {}),
    ("ifft2", dict(s=(2, 6), norm="ortho")),
    ("fftn", dict(axes=(1, 0))),
    ("ifftn", dict(s=(5,), axes=(0,), norm="backward")),
    ("rfft", {}),
    ("rfft", dict(n=5, axis=0, norm="forward")),
    ("irfft", {}),
    ("irfft", dict(n=7, norm="ortho")),
    ("rfft2", {}),
    ("irfft2", dict(s=(3, 5))),
    ("rfftn", dict(s=(4, 3), axes=(1, 0), norm="ortho")),
    ("irfftn", dict(norm="forward")),
    ("hfft", {}),
    ("hfft", dict(n=5, axis=0, norm="ortho")),
    ("ihfft", {}),
    ("ihfft", dict(n=3, norm="forward")),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw in CASES]
by_case = pytest.mark.parametrize("name, kw", CASES, ids=IDS)


def _input(name, dtype=np.float64):
    """The test input: real for the real-input transforms, complex (same precision) otherwise."""
    if name in REAL_INPUT_ONLY:
        return X.astype(dtype)
    return Z.astype(np.result_type(dtype, np.complex64))


def _same(got, want, rtol=1e-12):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    scale = float(np.abs(want).max()) if want.size else 0.0
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)


def _loss(np_like, name, kw):
    """A real loss of the transform: squared magnitudes and a nonlinearity of the real part."""

    def loss(a):
        out = getattr(np_like.fft, name)(a, **kw)
        weights = 1.0 + np_like.arange(out.size).reshape(out.shape) * 0.1
        return np_like.sum(np_like.abs(out) ** 2 * weights) + np_like.sum(
            np_like.sin(np_like.real(out))
        )

    return loss


# ---------------------------------------------------------------- values and dtypes


@by_case
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.complex64])
def test_values_and_dtypes_match_numpy_and_jax(name, kw, dtype):
    if name in REAL_INPUT_ONLY and np.issubdtype(dtype, np.complexfloating):
        return
    a = X.astype(dtype) if not np.issubdtype(dtype, np.complexfloating) else Z.astype(dtype)
    ours = getattr(tnp.fft, name)(a, **kw)
    theirs = getattr(jnp.fft, name)(a, **kw)
    expected = getattr(np.fft, name)(a, **kw)
    rtol = 1e-12 if dtype in (np.float64, np.complex128) else 2e-6
    assert np.asarray(theirs).dtype == expected.dtype  # NumPy 2 and JAX agree on these dtypes
    _same(ours, expected, rtol)
    _same(ours, theirs, rtol)


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.bool_, np.complex128),
        (np.int32, np.complex128),
        (np.int64, np.complex128),
        (np.float16, np.complex64),
    ],
)
def test_other_input_dtypes_follow_numpy(dtype, expected):
    a = np.array([1, 0, 1, 1]).astype(dtype)
    assert tnp.fft.fft(a).dtype == np.fft.fft(a).dtype == expected
    _same(tnp.fft.fft(a), np.fft.fft(a).astype(expected), 1e-6)
    real = np.empty(0, expected).real.dtype  # NumPy's irfft of float16 gives float16: not here
    assert tnp.fft.irfft(a).dtype == tnp.fft.hfft(a).dtype == real
    _same(tnp.fft.irfft(a), np.fft.irfft(a).astype(real), 1e-3)
    assert ag.jit(tnp.fft.fft)(a).dtype == expected


def test_default_float32_mode_transforms_integers_in_complex64_like_jax_without_x64():
    ag.config.update("default_float", "float32")
    try:
        ints = np.array([1, 0, 2, 1])
        assert tnp.fft.fft(ints).dtype == tnp.fft.fft([1.0, 0.0]).dtype == np.complex64
        assert tnp.fft.rfft(ints).dtype == np.complex64 and tnp.fft.irfft(ints).dtype == np.float32
        assert tnp.fft.fft(X).dtype == np.complex128  # NumPy arrays keep their precision
        assert tnp.fft.fftfreq(4).dtype == tnp.fft.rfftfreq(4).dtype == np.float32
        _same(tnp.fft.fft(ints), np.fft.fft(ints).astype(np.complex64), 1e-6)
    finally:
        ag.config.update("default_float", "float64")


def test_irfft_and_hfft_of_real_inputs_treat_them_as_complex_like_numpy():
    _same(tnp.fft.irfft(X), np.fft.irfft(X))
    _same(tnp.fft.hfft(X, n=5), np.fft.hfft(X, n=5))


def test_lengths_and_axes_may_be_arrays_or_numpy_integers():
    kw = dict(s=np.array([2, 5]), axes=np.array([1, 0]))
    _same(tnp.fft.rfftn(X, **kw), np.fft.rfftn(X, **kw))
    _same(tnp.fft.irfft(Z, n=np.int64(5), axis=np.int32(0)), np.fft.irfft(Z, n=5, axis=0))
    _same(tnp.fft.fft([1, 2, 3]), np.fft.fft([1, 2, 3]))


def test_four_axes_and_empty_axes():
    a = RNG.standard_normal((2, 3, 2, 2, 3))
    _same(tnp.fft.fftn(a), np.fft.fftn(a))
    _same(tnp.fft.irfftn(tnp.fft.rfftn(a), s=a.shape), a)
    for backend in ("numpy", "jax"):  # XLA transforms at most 3 axes: jnp.fft splits the rest
        _same(ag.jit(tnp.fft.rfftn, backend=backend)(a), np.fft.rfftn(a))
    _same(tnp.fft.fftn(X, axes=()), X.astype(complex))  # nothing transformed, as in NumPy


def test_each_transform_is_one_fft_equation():
    graph = ag.make_ir(lambda a: tnp.fft.irfftn(a, s=(5, 6), norm="ortho"))(Z)
    ffts = [e for e in graph.eqns if e.primitive.name == "fft"]
    assert len(ffts) == 1
    assert ffts[0].params == dict(kind="irfft", axes=(0, 1), lengths=(5, 6))


def test_round_trips():
    for norm in (None, "ortho", "forward"):
        _same(tnp.fft.ifftn(tnp.fft.fftn(Z, norm=norm), norm=norm), Z)
        _same(
            tnp.fft.irfft(tnp.fft.rfft(X, n=5, norm=norm), n=5, norm=norm),
            np.pad(X, ((0, 0), (0, 1))),
        )
        _same(
            tnp.fft.ihfft(tnp.fft.hfft(Z, n=6, norm=norm), norm=norm),
            np.fft.ihfft(np.fft.hfft(Z, n=6, norm=norm), norm=norm),
        )


# ---------------------------------------------------------------- derivatives against JAX


@by_case
def test_grad_of_a_real_loss_matches_jax_on_both_backends(name, kw):
    a = _input(name)
    expected = jax.jit(jax.grad(_loss(jnp, name, kw)))(a)
    grad = ag.grad(_loss(tnp, name, kw))
    _same(grad(a), expected, 1e-10)
    for backend in ("numpy", "jax"):
        _same(ag.jit(grad, backend=backend)(a), expected, 1e-10)


def _random_like(x):
    """Random values of ``x``'s shape and dtype: both parts drawn for a complex ``x``."""
    shape, dtype = np.shape(x), np.asarray(x).dtype
    values = RNG.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        values = values + 1j * RNG.standard_normal(shape)
    return values.astype(dtype)


@by_case
def test_vjp_with_complex_cotangents_and_jvp_match_jax(name, kw):
    a = _input(name)
    f, g = (lambda v: getattr(tnp.fft, name)(v, **kw)), (lambda v: getattr(jnp.fft, name)(v, **kw))
    out, vjp_fn = ag.vjp(f, a)
    jax_out, jax_vjp = jax.vjp(g, a)
    _same(out, jax_out)
    shape = np.shape(out)
    ct = RNG.standard_normal(shape) + (
        1j * RNG.standard_normal(shape) if np.iscomplexobj(out) else 0
    )
    _same(vjp_fn(ct)[0], jax_vjp(ct)[0], 1e-10)
    tangent = RNG.standard_normal(a.shape) + (
        1j * RNG.standard_normal(a.shape) if np.iscomplexobj(a) else 0
    )
    _same(ag.jvp(f, (a,), (tangent,))[1], jax.jvp(g, (a,), (tangent,))[1], 1e-10)


@by_case
def test_vmap_matches_jax(name, kw):
    a = np.stack([_input(name), _input(name)[::-1]], axis=-1)  # batch on the last axis
    f, g = (lambda v: getattr(tnp.fft, name)(v, **kw)), (lambda v: getattr(jnp.fft, name)(v, **kw))
    _same(ag.vmap(f, in_axes=-1)(a), jax.jit(jax.vmap(g, in_axes=-1))(a))
    grads = ag.vmap(ag.grad(_loss(tnp, name, kw)), in_axes=-1, out_axes=0)(a)
    _same(grads, jax.jit(jax.vmap(jax.grad(_loss(jnp, name, kw)), in_axes=-1))(a), 1e-10)


@pytest.mark.parametrize("name", ["fft", "rfft", "irfft", "hfft", "ihfft", "fftn", "irfftn"])
def test_float32_grads_match_jax(name):
    a = _input(name, np.float32)
    grad = ag.grad(_loss(tnp, name, {}))(a)
    assert grad.dtype == a.dtype
    _same(grad, jax.jit(jax.grad(_loss(jnp, name, {})))(a), 1e-4)


def _parts(np_like, name, kw, complex_input):
    def f(x, y):
        out = getattr(np_like.fft, name)(x + 1j * y if complex_input else x, **kw)
        return np_like.stack([np_like.real(out), np_like.imag(out)])

    return f


@pytest.mark.parametrize(
    "name, kw",
    [
        ("fft", dict(n=5, norm="ortho")),
        ("rfft", dict(n=3)),
        ("irfft", dict(n=5, axis=0)),
        ("rfftn", dict(axes=(1, 0), norm="forward")),
        ("irfft2", dict(s=(4, 4))),
        ("hfft", dict(n=4)),
    ],
    ids=["fft", "rfft", "irfft", "rfftn", "irfft2", "hfft"],
)
def test_check_grads_to_second_order(name, kw):
    f = _parts(tnp, name, kw, complex_input=name not in REAL_INPUT_ONLY)
    ag.check_grads(f, (X[:2, :3], X[1:, 1:]), order=2)


def test_hessian_through_irfft_matches_jax():
    def loss(np_like):
        return lambda x: np_like.sum(np_like.fft.irfft(x * (1 + 0.5j), n=5) ** 3)

    _same(ag.hessian(loss(tnp))(X[0]), jax.jit(jax.hessian(loss(jnp)))(X[0]), 1e-10)


# ---------------------------------------------------------------- drawn arguments


@st.composite
def transforms(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
    axes = tuple(draw(st.permutations(range(ndim)))[: draw(st.integers(1, ndim))])
    s = draw(st.none() | st.tuples(*[st.integers(1, 5) for _ in axes]))
    name = draw(st.sampled_from(["fftn", "ifftn", "rfftn", "irfftn"]))
    if name == "irfftn" and s is None and shape[axes[-1]] < 2:
        s = tuple(3 for _ in axes)
    norm = draw(st.sampled_from([None, "backward", "ortho", "forward"]))
    return name, shape, dict(s=s, axes=axes, norm=norm), draw(st.integers(0, 2**16))


@settings(max_examples=8, deadline=None)
@given(transforms())
def test_drawn_transforms_match_numpy_values_and_jax_grads(case):
    name, shape, kw, seed = case
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if name not in REAL_INPUT_ONLY:
        a = a + 1j * rng.standard_normal(shape)
    _same(getattr(tnp.fft, name)(a, **kw), getattr(np.fft, name)(a, **kw))
    _same(ag.grad(_loss(tnp, name, kw))(a), jax.jit(jax.grad(_loss(jnp, name, kw)))(a), 1e-10)


# ---------------------------------------------------------------- shifts and frequencies


@pytest.mark.parametrize("axes", [None, 0, -1, (1, 0), ()], ids=str)
def test_shifts_match_numpy(axes):
    a = RNG.standard_normal((3, 4))
    _same(tnp.fft.fftshift(a, axes), np.fft.fftshift(a, axes))
    _same(tnp.fft.ifftshift(a, axes), np.fft.ifftshift(a, axes))
    _same(tnp.fft.ifftshift(tnp.fft.fftshift(a, axes), axes), a)
    w = RNG.standard_normal((3, 4))
    _same(
        ag.jit(ag.grad(lambda v: tnp.sum(tnp.fft.fftshift(v, axes) * w)))(a),
        jax.grad(lambda v: jnp.sum(jnp.fft.fftshift(v, axes) * w))(a),
    )


@pytest.mark.parametrize("n", [1, 2, 5, 8])
@pytest.mark.parametrize("d", [1.0, 0.1, np.float32(0.25)], ids=str)
def test_frequencies_match_numpy_exactly(n, d):
    np.testing.assert_array_equal(tnp.fft.fftfreq(n, d), np.fft.fftfreq(n, d))
    np.testing.assert_array_equal(tnp.fft.rfftfreq(n, d), np.fft.rfftfreq(n, d))
    assert tnp.fft.fftfreq(n, d).dtype == np.float64


def test_frequencies_dtype_and_traced_spacing_like_jax():
    for fn in ("fftfreq", "rfftfreq"):
        ours = getattr(tnp.fft, fn)(6, 0.5, dtype=np.float32)
        _same(ours, getattr(jnp.fft, fn)(6, 0.5, dtype=jnp.float32), 1e-7)

        def f(np_like, fn=fn):
            return lambda d: np_like.sum(getattr(np_like.fft, fn)(7, d) ** 2)

        expected = jax.jit(jax.grad(f(jnp)))(0.3)
        _same(ag.grad(f(tnp))(0.3), expected, 1e-12)
        _same(ag.jit(ag.grad(f(tnp)), backend="jax")(0.3), expected, 1e-12)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: tnp.fft.fft(X, n=0), ValueError, r"fft: invalid number of FFT data points \(0\)"),
        (lambda: tnp.fft.rfft(X, n=-1), ValueError, r"rfft: invalid number of FFT data points"),
        (lambda: tnp.fft.fft(X, n=2.5), TypeError, "must be an integer"),
        (lambda: tnp.fft.ifft(X, norm="bogus"), ValueError, "ifft: invalid norm value 'bogus'"),
        (lambda: tnp.fft.hfft(X, norm="Ortho"), ValueError, "hfft: invalid norm value"),
        (lambda: tnp.fft.fft(X, axis=2), ValueError, "fft: axis 2 is out of bounds"),
        (lambda: tnp.fft.fftn(X, axes=(0, -2)), ValueError, "fftn: repeated axes"),
        (lambda: tnp.fft.fftn(X, s=(2,), axes=(0, 1)), ValueError, "different lengths"),
        (lambda: tnp.fft.fftn(X, s=(2, 2, 2)), ValueError, "more entries than x has axes"),
        (lambda: tnp.fft.fftn(X, s=(2, -1), axes=(0, 1)), ValueError, "FFT data points"),
        (lambda: tnp.fft.fftn(X, axes=1), TypeError, "axes must be a sequence"),
        (lambda: tnp.fft.fft(X, axis=(0,)), TypeError, "use fftn"),
        (lambda: tnp.fft.rfft(Z), TypeError, "rfft: expected a real array, got complex128"),
        (lambda: tnp.fft.irfft(np.ones((3, 1))), ValueError, r"irfft: .*data points \(0\)"),
        (lambda: tnp.fft.rfftn(X, axes=()), ValueError, "at least one axis"),
        (lambda: tnp.fft.fft(np.float64(1.0)), ValueError, "out of bounds"),
        (lambda: tnp.fft.fftfreq(0), ValueError, "fftfreq: invalid number"),
        (lambda: tnp.fft.fftfreq(4, d=[1.0, 2.0]), ValueError, "must be a scalar"),
        (lambda: tnp.fft.fftshift(X, axes=3), ValueError, "fftshift: axis 3"),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_bad_arguments_raise_under_jit_too():
    with pytest.raises(ValueError, match="fft: invalid number of FFT data points"):
        ag.jit(lambda a: tnp.fft.fft(a, n=0))(X)
    with pytest.raises(TypeError, match="rfft: expected a real array"):
        ag.jit(tnp.fft.rfft)(Z)


def test_the_primitive_checks_its_operand():
    with pytest.raises(ag.ShapeError, match="expects sizes"):
        fft_prim.fft.bind(Z, kind="irfft", axes=(1,), lengths=(4,))
    with pytest.raises(TypeError, match=r"fft\[rfft\]: expected a real float operand"):
        fft_prim.fft.bind(Z, kind="rfft", axes=(1,), lengths=(4,))
    with pytest.raises(ag.ShapeError, match="distinct axes"):
        ag.make_ir(lambda a: fft_prim.fft.bind(a, kind="fft", axes=(1, 1), lengths=(4, 4)))(Z)
