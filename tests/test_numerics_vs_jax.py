"""Silent numerical divergences from NumPy and JAX (issue 12: a wrong number without an error is
the worst bug we can ship), each pinned by a test that failed before its fix.

* Every reduction, for every bool/int/uint/float dtype, axis, ``keepdims``, ``ddof`` and
  ``dtype`` argument, gives NumPy's result dtype and value (one table: dtype x reduction x
  axis), eagerly, under ``jit`` and, for floats, under ``grad`` against ``jax.grad``. Where JAX's
  dtype differs from NumPy's (JAX's mean of int8 is float32), NumPy's is the one we follow and
  JAX checks the value only.
* ``pow``'s derivative at 0 with integer exponents, ``relu`` at nan and 0, ``np.emath`` on a
  tracer, CSE of ``-0.0``/nan/``1``/``1.0``/``True`` literals, and max pooling over windows
  holding nan or ties, each against JAX.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trace_ag as ag
import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BOOL = [np.bool_]
INTS = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]
FLOATS = [np.float16, np.float32, np.float64]
DTYPES = BOOL + INTS + FLOATS
AXES = [None, 0, -1, (0, 1), (0, 2), ()]
ONE_AXIS = [None, 0, -1, 2]  # cumsum, argmax, argmin take one axis


def _values(dtype, shape=(2, 3, 4), seed=0) -> np.ndarray:
    """Small values, so that no integer product overflows and float16 stays accurate."""
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    if np.issubdtype(dtype, np.unsignedinteger):
        return rng.integers(0, 3, shape).astype(dtype)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-2, 3, shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


def _rtol(dtype) -> float:
    return {np.float16: 2e-3, np.float32: 1e-5}.get(np.dtype(dtype).type, 1e-12)


def assert_numpy_equal(got, want, context=""):
    """Same dtype and shape as NumPy's result and the same value (floats to a tolerance)."""
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.dtype == want.dtype, f"{context}: dtype {got.dtype}, NumPy gives {want.dtype}"
    assert got.shape == want.shape, f"{context}: shape {got.shape}, NumPy gives {want.shape}"
    if np.issubdtype(want.dtype, np.floating):
        np.testing.assert_allclose(got, want, rtol=_rtol(want.dtype), atol=0, err_msg=context)
    else:
        np.testing.assert_array_equal(got, want, err_msg=context)


# ---------------------------------------------------------------- the reduction table


def _reduce(module, name, x, axis, keepdims, **kw):
    fn = getattr(module, name)
    if name == "cumsum":
        return fn(x, axis=axis, **kw)
    return fn(x, axis=axis, keepdims=keepdims, **kw)


REDUCTIONS = ["sum", "prod", "mean", "var", "std", "max", "min", "any", "all"]
ONE_AXIS_REDUCTIONS = ["cumsum", "argmax", "argmin"]
CASES = [(r, a) for r in REDUCTIONS for a in AXES] + [
    (r, a) for r in ONE_AXIS_REDUCTIONS for a in ONE_AXIS
]


def _variants(name):
    """(axis, keepdims) pairs of a reduction."""
    if name == "cumsum":
        return [(a, False) for a in ONE_AXIS]
    axes = AXES if name in REDUCTIONS else ONE_AXIS
    return list(itertools.product(axes, (False, True)))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", REDUCTIONS + ONE_AXIS_REDUCTIONS)
def test_reduction_dtype_and_value_match_numpy(name, dtype):
    """Eagerly and under jit (where only the shape rules know the dtype)."""
    x = _values(dtype)
    for axis, keepdims in _variants(name):
        context = f"{name}({np.dtype(dtype).name}, axis={axis}, keepdims={keepdims})"
        want = _reduce(np, name, x, axis, keepdims)
        assert_numpy_equal(_reduce(tnp, name, x, axis, keepdims), want, context)
        jitted = ag.jit(lambda v, a=axis, k=keepdims: _reduce(tnp, name, v, a, k))
        assert_numpy_equal(jitted(x), want, context + " under jit")


JAX_DTYPES = [np.bool_, np.int8, np.uint8, np.float16]  # the issue's; NumPy checks them all


@pytest.mark.parametrize("dtype", JAX_DTYPES, ids=lambda d: np.dtype(d).name)
def test_reduction_values_match_jax(dtype):
    """JAX x64 agrees on the values (its mean of int8 is float32: there NumPy's dtype rules).
    One compiled JAX function per dtype computes every axis (keepdims is NumPy's to check)."""
    x = _values(dtype)
    names = REDUCTIONS + ONE_AXIS_REDUCTIONS
    cases = [(n, a, k) for n in names for a, k in _variants(n) if a != () and not k]
    oracle = jax.jit(lambda v: [_reduce(jnp, n, v, a, k) for n, a, k in cases])(x)
    for (name, axis, keepdims), want in zip(cases, oracle, strict=True):
        got = np.asarray(_reduce(tnp, name, x, axis, keepdims))
        rtol = max(_rtol(got.dtype), _rtol(want.dtype)) if got.dtype.kind == "f" else 0
        np.testing.assert_allclose(
            got.astype(np.float64),
            np.asarray(want, np.float64),
            rtol=rtol,
            err_msg=f"{name}({np.dtype(dtype).name}, {axis=}, {keepdims=})",
        )


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["var", "std"])
def test_ddof_matches_numpy(name, dtype):
    x = _values(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # ddof >= n: NumPy warns, gives inf/nan
        variants = itertools.product([None, 0, (1, 2)], [0, 1, 2, 3], [False, True])
        for axis, ddof, keepdims in variants:
            want = getattr(np, name)(x, axis=axis, ddof=ddof, keepdims=keepdims)
            got = getattr(tnp, name)(x, axis=axis, ddof=ddof, keepdims=keepdims)
            assert_numpy_equal(got, want, f"{name}({np.dtype(dtype).name}, {axis=}, {ddof=})")


DTYPE_ARGS = [np.bool_, np.int8, np.uint8, np.int32, np.float16, np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["sum", "prod", "mean", "var", "std", "cumsum"])
def test_dtype_argument_matches_numpy(name, dtype):
    """NumPy accumulates in ``dtype`` and returns it: sum(int8, dtype=int8) wraps and stays int8,
    mean(int8, dtype=float32) is float32."""
    x = _values(dtype) * np.asarray(50, dtype) if dtype not in (np.bool_,) else _values(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for out_dtype, axis in itertools.product(DTYPE_ARGS, [None, 1]):
            if name in ("var", "std") and out_dtype == np.bool_:
                continue  # NumPy itself raises (bool subtract)
            if name == "std" and not np.issubdtype(out_dtype, np.floating):
                continue  # NumPy raises for arrays (sqrt into an integer output)
            want = getattr(np, name)(x, axis=axis, dtype=out_dtype)
            got = getattr(tnp, name)(x, axis=axis, dtype=out_dtype)
            assert_numpy_equal(got, want, f"{name}({np.dtype(dtype).name}, dtype={out_dtype})")


def test_mean_of_bools_is_float64_and_exact():
    """The issue's two symptoms: ``mean(pred == y)`` was float16 (off in the 4th digit) and the
    mean of 100000 Trues was nan (the float16 sum overflowed)."""
    rng = np.random.default_rng(1)
    pred, y = rng.integers(0, 3, 1001), rng.integers(0, 3, 1001)
    assert_numpy_equal(tnp.mean(pred == y), np.mean(pred == y), "mean(pred == y)")
    assert tnp.mean(pred == y) == np.mean(pred == y)
    assert_numpy_equal(tnp.mean(np.ones(100000, bool)), np.float64(1.0), "mean(ones(1e5, bool))")
    accuracy = ag.jit(lambda p, t: tnp.mean(p == t))(pred, y)
    assert_numpy_equal(accuracy, np.mean(pred == y), "jit(mean(pred == y))")
    for dtype in (np.int8, np.uint8, np.int16):
        x = np.arange(1000).astype(dtype)
        for name in ("mean", "var", "std"):
            assert_numpy_equal(getattr(tnp, name)(x), getattr(np, name)(x), f"{name}({dtype})")


def test_float16_reductions_accumulate_like_numpy():
    """NumPy's float16 mean accumulates in float32 (a float16 sum of 1e5 ones is inf); its var
    stays float16 but divides by an exact count (100000 is inf as a float16)."""
    big = np.ones(100000, np.float16)
    assert_numpy_equal(tnp.mean(big), np.mean(big), "mean(ones(1e5, f16))")
    assert tnp.mean(big) == 1
    small = np.full(100000, 0.01, np.float16)
    assert_numpy_equal(
        tnp.var(small + np.float16(0.5) * (np.arange(100000) % 2 == 0)),
        np.var(small + np.float16(0.5) * (np.arange(100000) % 2 == 0)),
        "var f16",
    )
    assert_numpy_equal(tnp.mean(small), np.mean(small), "mean(full(1e5, 0.01, f16))")
    x = np.random.default_rng(2).normal(size=(300, 7)).astype(np.float16)
    for name, axis in itertools.product(["sum", "mean", "var", "std", "cumsum"], [None, 0, 1]):
        assert_numpy_equal(getattr(tnp, name)(x, axis=axis), getattr(np, name)(x, axis=axis), name)
    np.testing.assert_allclose(tnp.mean(big), jnp.mean(big), rtol=0)


def test_empty_reductions_match_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        names = ["mean", "var", "std", "sum", "prod"]
        for dtype, name in itertools.product([np.bool_, np.int32, np.float32], names):
            x = np.zeros((0, 3), dtype)
            for axis in (None, 0, 1):
                want = getattr(np, name)(x, axis=axis)
                assert_numpy_equal(getattr(tnp, name)(x, axis=axis), want, f"{name} empty {axis}")


FLOAT_REDUCTIONS = ["sum", "prod", "mean", "var", "std", "max", "min", "cumsum"]
GRAD_AXES = {"cumsum": [None, -1]}


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_reduction_gradients_match_jax(dtype):
    """grad of a weighted sum of every float reduction (several axes each) equals jax.grad's,
    eagerly and under jit, and keeps the input's dtype."""
    x = _values(dtype, seed=3)
    cases = [(n, a) for n in FLOAT_REDUCTIONS for a in GRAD_AXES.get(n, [None, 0, (0, 2)])]

    def f(v, module, name, axis):
        out = _reduce(module, name, v, axis, axis == 0)
        w = np.linspace(0.5, 1.5, int(np.prod(np.shape(out)))).reshape(np.shape(out))
        return module.sum(out * w.astype(dtype))

    want = jax.jit(lambda v: [jax.grad(f)(v, jnp, n, a) for n, a in cases])(x)
    rtol = {np.float16: 2e-2, np.float32: 1e-4}.get(dtype, 1e-10)
    for (name, axis), expected in zip(cases, want, strict=True):
        got = ag.grad(f)(x, tnp, name, axis)
        jitted = ag.jit(ag.grad(f), static_argnums=(1, 2, 3))(x, tnp, name, axis)
        for value in (got, jitted):
            assert np.asarray(value).dtype == np.dtype(dtype), f"grad {name} {axis=}"
            np.testing.assert_allclose(
                np.asarray(value, np.float64),
                np.asarray(expected, np.float64),
                rtol=rtol,
                atol=rtol,
                err_msg=f"grad {name}({np.dtype(dtype).name}, {axis=})",
            )


@SETTINGS
@given(
    st.sampled_from(DTYPES),
    st.sampled_from(["sum", "prod", "mean", "var", "std", "max", "min"]),
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.data(),
)
def test_reductions_random_shapes_match_numpy(dtype, name, shape, data):
    x = _values(dtype, tuple(shape), seed=len(shape))
    axis = data.draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
    keepdims = data.draw(st.booleans())
    want = _reduce(np, name, x, axis, keepdims)
    assert_numpy_equal(_reduce(tnp, name, x, axis, keepdims), want, f"{name} {shape} {axis}")


# ---------------------------------------------------------------- pow, relu, np.emath


def _pow_sum(module, exponent):
    return lambda x: module.sum(x**exponent)


@pytest.mark.parametrize(
    "exponent",
    [np.arange(3), np.arange(4, dtype=np.int32), np.arange(-2, 3), np.arange(3.0)],
    ids=["int64 0..2", "int32 0..3", "int64 -2..2", "float 0..2"],
)
def test_pow_derivatives_at_zero_match_jax(exponent):
    """JAX's ``_pow_jvp_lhs``: with an integer exponent array, d/dx x**0 is 0 even at x = 0,
    so ``grad(sum(x ** arange(3)))(0.)`` is 1 (it was nan); a float exponent keeps JAX's nan.
    Second derivatives use the float power inside, as JAX's do."""
    ours, theirs = _pow_sum(tnp, exponent), _pow_sum(jnp, exponent)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for x in (0.0, -0.0, 2.0, -1.5):
            got = [
                ag.grad(ours)(x),
                ag.jit(ag.grad(ours))(x),
                ag.grad(ag.grad(ours))(x),
                ag.jvp(ag.grad(ours), (x,), (1.0,))[1],
                ag.vmap(ag.grad(ours))(np.array([x, 1.0]))[0],
            ]
            want = [jax.grad(theirs)(x), jax.grad(jax.grad(theirs))(x)]
            want = [want[0], want[0], want[1], want[1], want[0]]
            np.testing.assert_allclose(
                np.array(got, float),
                np.array(want, float),
                rtol=1e-12,
                err_msg=f"x={x}, exponent={exponent}",
            )
    if exponent.dtype.kind == "i" and exponent.min() == 0:
        assert ag.grad(ours)(0.0) == 1


def test_pow_with_integer_exponent_keeps_its_value():
    x = np.array([-2.0, 0.0, 1.5])
    e = np.array([3, 0, 2])
    np.testing.assert_array_equal(tnp.power(x, e), np.power(x, e))
    np.testing.assert_array_equal(ag.jit(lambda a: a**e)(x), np.power(x, e))
    assert tnp.power(x.astype(np.float32), e).dtype == np.power(x.astype(np.float32), e).dtype


def test_relu_matches_jax_at_nan_and_zero():
    """``tnp.relu(nan)`` was 0; JAX's is nan, with derivative ``where(x > 0, 1, 0)``."""
    x = np.array([-np.inf, -1.0, -0.0, 0.0, 0.5, np.inf, np.nan])
    want = np.asarray(jax.nn.relu(x))
    for got in (tnp.relu(x), ag.jit(tnp.relu)(x)):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    g = np.linspace(1, 2, x.size)
    np.testing.assert_array_equal(ag.vjp(tnp.relu, x)[1](g)[0], jax.vjp(jax.nn.relu, x)[1](g)[0])
    np.testing.assert_array_equal(
        ag.jvp(tnp.relu, (x,), (g,))[1], jax.jvp(jax.nn.relu, (x,), (g,))[1]
    )
    for point in (0.0, -0.0, np.nan, 1.0, -1.0):
        assert ag.grad(tnp.relu)(point) == jax.grad(jax.nn.relu)(point)
        assert ag.grad(ag.grad(tnp.relu))(point) == 0
    assert tnp.relu(np.float32(np.nan)).dtype == np.float32
    np.testing.assert_array_equal(tnp.relu(np.array([-3, 0, 4])), [0, 0, 4])


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: np.emath.sqrt(x),
        lambda x: np.emath.log(x),
        lambda x: np.emath.log10(x),
        lambda x: np.emath.power(x, 0.5),
        lambda x: np.emath.arcsin(x),
    ],
    ids=["sqrt", "log", "log10", "power", "arcsin"],
)
def test_np_emath_on_a_tracer_raises_instead_of_the_real_function(fn):
    """``np.emath.sqrt(tracer)`` dispatched by name to the real ``tnp.sqrt`` (nan at -1, where
    NumPy gives 1j); without complex support it must raise."""
    with pytest.raises(ag.UnsupportedFunctionError, match="emath"):
        ag.grad(fn)(-1.0)
    with pytest.raises(ag.UnsupportedFunctionError, match="emath"):
        ag.jit(fn)(np.array([4.0]))


def test_numpy_functions_still_dispatch_to_trace_ag():
    f = lambda x: np.sum(np.sqrt(x) * np.mean(x)) + np.linalg.norm(x)  # noqa: E731
    g = lambda x: jnp.sum(jnp.sqrt(x) * jnp.mean(x)) + jnp.linalg.norm(x)  # noqa: E731
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(ag.grad(f)(x), jax.grad(g)(x), rtol=1e-12)


# ---------------------------------------------------------------- jit's CSE


def test_cse_keeps_signed_zero_literals_apart():
    """CSE compared literals with ``==``: ``x * -0.0`` reused ``x * 0.0``'s result."""
    x = np.array([1.0, -1.0, 0.0])
    got = ag.jit(lambda v: (v * -0.0, v * 0.0, v + -0.0, v + 0.0))(x)
    want = (x * -0.0, x * 0.0, x + -0.0, x + 0.0)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(np.signbit(a), np.signbit(b))
    padded = ag.jit(lambda v: (tnp.pad(v, 1, constant_values=-0.0), tnp.pad(v, 1)))(x)
    assert np.signbit(padded[0][0]) and not np.signbit(padded[1][0])


def test_cse_key_tells_literals_by_type_and_bits():
    from trace_ag.core import Eqn, Graph, Lit, Var
    from trace_ag.passes import cse
    from trace_ag.primitives import elementwise as ew

    x = Var(ag.core.Aval((3,), np.dtype(np.float64)))
    literals = [
        np.float64(0.0),
        np.float64(-0.0),
        np.float64(np.nan),
        np.float64(np.nan),
        np.float64(1.0),
        np.float64(1.0),
    ]
    eqns = [Eqn(ew.mul, [x, Lit(c)], {}, [Var(x.aval)]) for c in literals]
    graph = cse(Graph([x], eqns, [e.outputs[0] for e in eqns]))
    assert len(graph.eqns) == 4  # 0.0 | -0.0 | nan, nan | 1.0, 1.0
    out = graph.outvars
    assert out[0] is not out[1] and out[2] is out[3] and out[4] is out[5]
    i = Var(ag.core.Aval((3,), np.dtype(np.int64)))
    eqns = [Eqn(ew.integer_pow, [i], {"y": y}, [Var(i.aval)]) for y in (1, True, 1.0, 1)]
    graph = cse(Graph([i], eqns, [e.outputs[0] for e in eqns]))
    assert len(graph.eqns) == 3  # 1 and 1 merge; True and 1.0 stay apart


# ---------------------------------------------------------------- max pooling with nan and ties


POOL_CASES = [  # (shape, window, stride, padding)
    ((2, 2, 4, 4), (2, 2), (2, 2), ((0, 0), (0, 0))),
    ((1, 2, 5, 6), (3, 3), (1, 1), ((0, 0), (0, 0))),
    ((1, 1, 5, 5), (3, 2), (2, 1), ((1, 1), (0, 1))),
]


def _pool_input(shape, seed):
    """Values in {0, 1, 2} (many ties), nan and -inf scattered in."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, shape).astype(np.float64)
    x[rng.random(shape) < 0.2] = np.nan
    x[rng.random(shape) < 0.1] = -np.inf
    return x


def _jax_pool(x, window, stride, padding):
    return jax.lax.reduce_window(
        x, -jnp.inf, jax.lax.max, (1, 1, *window), (1, 1, *stride), ((0, 0), (0, 0), *padding)
    )


def _unique_finite_max(x, window, stride, padding):
    """The windows whose maximum is one element, not nan and not -inf."""
    xp = np.pad(x, ((0, 0), (0, 0), *padding), constant_values=-np.inf)
    views = np.lib.stride_tricks.sliding_window_view(xp, window, axis=(2, 3))
    views = views[:, :, :: stride[0], :: stride[1]]
    views = views.reshape(*views.shape[:4], -1)
    top = views.max(axis=-1, keepdims=True)
    return (~np.isnan(views).any(-1)) & (top[..., 0] > -np.inf) & ((views == top).sum(-1) == 1)


def test_max_pool_with_nan_and_ties_matches_jax():
    """A window holding a nan gave no cotangent at all (``x == max`` is false for nan); JAX's
    select-and-scatter sends it to one element. Ties go to the first maximum."""
    inputs, gs, ts = [], [], []
    for k, (shape, window, stride, padding) in enumerate(POOL_CASES):
        x = _pool_input(shape, k)
        out_shape = np.shape(_jax_pool(x, window, stride, padding))
        inputs.append(x)
        gs.append(np.random.default_rng(10 + k).normal(size=out_shape))
        ts.append(np.random.default_rng(20 + k).normal(size=shape))

    def oracle(xs, gs, ts):
        results = []
        for (_, window, stride, padding), x, g, t in zip(POOL_CASES, xs, gs, ts, strict=True):
            f = lambda v, w=window, s=stride, p=padding: _jax_pool(v, w, s, p)  # noqa: E731
            out, pullback = jax.vjp(f, x)
            results.append((out, pullback(g)[0], jax.jvp(f, (x,), (t,))[1]))
        return results

    want = jax.jit(oracle)(inputs, gs, ts)
    compared = 0
    for case, x, g, t, (w_out, w_ct, w_tan) in zip(POOL_CASES, inputs, gs, ts, want, strict=True):
        _, window, stride, padding = case
        f = lambda v, w=window, s=stride, p=padding: ag.lax.max_pool2d(v, w, s, p)  # noqa: E731
        out, pullback = ag.vjp(f, x)
        np.testing.assert_array_equal(out, w_out, err_msg=str(case))
        (ct,) = pullback(g)
        np.testing.assert_allclose(ct, w_ct, rtol=1e-12, err_msg=str(case))
        (jit_ct,) = ag.jit(lambda v, c, f=f: ag.vjp(f, v)[1](c))(x, g)
        np.testing.assert_allclose(jit_ct, w_ct, rtol=1e-12, err_msg=str(case))
        tangent = ag.jvp(f, (x,), (t,))[1]
        # Our jvp is the vjp's transpose. JAX's jvp (a select-and-gather reduce_window from an
        # init of -inf) is not: its reduction order picks other elements among tied maxima or
        # around a nan, and 0 on an all -inf window. There only the transpose identity holds.
        np.testing.assert_allclose(np.vdot(tangent, g), np.vdot(t, ct), rtol=1e-12)
        plain = _unique_finite_max(x, window, stride, padding)
        np.testing.assert_allclose(tangent[plain], np.asarray(w_tan)[plain], rtol=1e-12)
        compared += int(plain.sum())
        assert np.isnan(x).any() and np.isnan(out).any()  # the case really has nan windows
    assert compared > 0


def test_positional_arguments_follow_numpy():
    """``np.sum(tracer, 0, np.float32)`` passed ``np.float32`` as ``keepdims`` (true: a silently
    different shape); the reductions take NumPy's positional order."""
    x = _values(np.int8)
    calls = [
        lambda m, v: m.sum(v, 0, np.float32),
        lambda m, v: m.prod(v, 1, np.int16),
        lambda m, v: m.mean(v, (0, 2), np.float32),
        lambda m, v: m.var(v, 1, np.float32, None, 1),
        lambda m, v: m.std(v, None, None, None, 1, True),
        lambda m, v: m.cumsum(v, 2, np.int8),
        lambda m, v: m.max(v, 0, None, True),
        lambda m, v: m.any(v, 1, None, True),
        lambda m, v: m.argmax(v, 2, None, keepdims=True),
    ]
    for k, call in enumerate(calls):
        want = call(np, x)
        assert_numpy_equal(call(tnp, x), want, f"call {k}")
        assert_numpy_equal(ag.jit(lambda v, call=call: call(np, v))(x), want, f"np call {k}")
    with pytest.raises(TypeError, match="out="):
        tnp.sum(x, 0, None, np.zeros(3))
