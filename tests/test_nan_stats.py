"""NaN-ignoring reductions and ``average`` against NumPy (values) and JAX (values and
gradients: zero at the nans), eagerly and under jit, grad and vmap."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag.numpy import _nan_stats as nan_stats

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")


def _data(shape=(3, 4), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    x[rng.random(shape) < 0.3] = np.nan
    x[0, 1] = np.nan
    return x


REDUCTIONS = [
    ("nansum", {}),
    ("nanprod", {}),
    ("nanmean", {}),
    ("nanvar", {"ddof": 1}),
    ("nanstd", {}),
    ("nanmax", {}),
    ("nanmin", {}),
    ("nanmedian", {}),
]
AXES = [None, 0, 1, (0, 1)]


@pytest.mark.parametrize("name, kw", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("axis", AXES, ids=str)
def test_values_match_numpy_and_grads_match_jax(name, kw, axis):
    x = _data()
    ours = getattr(nan_stats, name)
    with np.errstate(all="ignore"):
        want = getattr(np, name)(x, axis=axis, **kw)
    np.testing.assert_allclose(ours(x, axis=axis, **kw), want, rtol=1e-12)
    np.testing.assert_allclose(ag.jit(lambda x: ours(x, axis=axis, **kw))(x), want, rtol=1e-12)
    loss = lambda f: lambda x: f(x, axis=axis, **kw).sum()  # noqa: E731
    got = ag.grad(loss(ours))(x)
    ref = jax.grad(loss(getattr(jnp, name)))(x)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)
    assert np.all(got[np.isnan(x)] == 0)


def test_all_nan_slices_keepdims_and_cumulative_forms():
    x = np.array([[np.nan, np.nan], [1.0, np.nan]])
    for name in ("nanmax", "nanmin", "nanmean", "nanmedian"):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's all-nan slice warning
            want = getattr(np, name)(x, axis=1, keepdims=True)
        np.testing.assert_array_equal(getattr(tnp, name)(x, axis=1, keepdims=True), want)
    np.testing.assert_array_equal(tnp.nancumsum(x, axis=1), np.nancumsum(x, axis=1))
    np.testing.assert_array_equal(tnp.nancumprod(x), np.nancumprod(x))
    assert tnp.nansum(np.arange(4)) == 6  # ints: nothing to skip


def test_nanargmax_raises_eagerly_and_gives_jax_minus_one_traced():
    x = np.array([[np.nan, 2.0, 5.0], [np.nan, np.nan, np.nan]])
    np.testing.assert_array_equal(tnp.nanargmax(x[:1], axis=1), np.nanargmax(x[:1], axis=1))
    np.testing.assert_array_equal(tnp.nanargmin(x[:1], axis=1), np.nanargmin(x[:1], axis=1))
    with pytest.raises(ValueError, match="All-NaN slice"):
        tnp.nanargmax(x, axis=1)
    traced = ag.jit(lambda x: tnp.nanargmax(x, axis=1))(x)
    np.testing.assert_array_equal(traced, jnp.nanargmax(x, axis=1))


@pytest.mark.parametrize("q", [0.25, [0.0, 0.5, 1.0]], ids=["scalar q", "q vector"])
@pytest.mark.parametrize("axis", [None, 1, (0, 2)], ids=str)
def test_nanquantile_and_nanpercentile_match_numpy_and_jax(q, axis):
    x = _data((2, 5, 3), seed=1)
    q = np.asarray(q)
    np.testing.assert_allclose(tnp.nanquantile(x, q, axis=axis), np.nanquantile(x, q, axis=axis))
    np.testing.assert_allclose(
        tnp.nanpercentile(x, q * 100, axis=axis, keepdims=True),
        np.nanpercentile(x, q * 100, axis=axis, keepdims=True),
    )
    loss = lambda f: lambda x: (f(x, q, axis=axis) ** 2).sum()  # noqa: E731
    np.testing.assert_allclose(
        ag.grad(loss(tnp.nanquantile))(x), jax.grad(loss(jnp.nanquantile))(x), atol=1e-12
    )
    batched = ag.vmap(lambda r: tnp.nanquantile(r, q))(x.reshape(2, -1))
    np.testing.assert_allclose(batched, [np.nanquantile(r, q) for r in x.reshape(2, -1)])


def test_average_with_weights_returned_and_errors():
    rng = np.random.default_rng(2)
    a, w = rng.standard_normal((3, 4)), rng.uniform(0.1, 1, 4)
    for axis, weights in [(None, None), (1, w), (None, np.broadcast_to(w, (3, 4))), (0, None)]:
        want = np.average(a, axis=axis, weights=weights, returned=True)
        got = tnp.average(a, axis=axis, weights=weights, returned=True)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
    g = ag.grad(lambda w: tnp.average(a, axis=1, weights=w).sum())(w)
    np.testing.assert_allclose(g, jax.grad(lambda w: jnp.average(a, axis=1, weights=w).sum())(w))
    with pytest.raises(ag.ShapeError, match=r"average: weights of shape \(3,\)"):
        tnp.average(a, axis=1, weights=np.ones(3))
    with pytest.raises(ZeroDivisionError):
        tnp.average(a, axis=1, weights=np.zeros(4))
