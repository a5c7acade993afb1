"""The jax.numpy names of issue 14 added in the second round (aliases, dtype utilities,
elementwise extras, index tricks, sets, histograms, signal, polynomials, misc), one table row
per function form, run through the same checks as ``test_numpy_breadth``: values and dtypes
equal NumPy's, vjps equal JAX's (x64), jvp = transposed vjp, jit = eager, vmap = loop, float32.
"""

from __future__ import annotations

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp
from tests import test_numpy_breadth as tb
from tests.test_numpy_breadth import Row, _close, _fn, _joined

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

R = np.random.default_rng(15)
V = R.normal(size=5)
W = R.normal(size=5)
M = R.normal(size=(3, 4))
S = R.normal(size=(3, 3))
POS = np.abs(V) + 0.5
SORTED = np.sort(R.normal(size=6))
TIES = np.array([3.0, 1.0, 1.0, 2.0, 3.0, 0.5])
INTS = np.array([12, -18, 0, 7, 30])
INTS2 = np.array([8, 12, 5, 21, -4])
NANS = np.array([1.0, np.nan])
SPECIAL = np.array([1.5, -0.0, 0.0, -2.25, np.inf, -np.inf, np.nan, 1e-310])


def r(id, fn, *args, **kw):
    return pytest.param(Row(id, fn, args, **kw), id=id)


ROWS = [
    # ---- array-API aliases
    *[
        r(name, lambda xp, x, name=name: getattr(xp, name)(x), arg)
        for name, arg in [
            ("acos", V / 3),
            ("asin", V / 3),
            ("atan", V),
            ("asinh", V),
            ("acosh", POS + 1),
            ("atanh", V / 3),
            ("positive", V),
        ]
    ],
    r("atan2", lambda xp, x, y: xp.atan2(x, y), V, W),
    r("pow", lambda xp, x, y: xp.pow(x, y), POS, W),
    r("concat", lambda xp, x, y: xp.concat([x, y], axis=1), M, M * 2),
    r("permute_dims", lambda xp, x: xp.permute_dims(x, (1, 0)), M),
    r("matrix_transpose", lambda xp, x: xp.matrix_transpose(x), np.stack([M, M * 2])),
    r(
        "unstack",
        lambda xp, x: _joined(xp, [o * (i + 1) for i, o in enumerate(xp.unstack(x, axis=1))]),
        M,
    ),
    r("vecdot", lambda xp, x, y: xp.vecdot(x, y), M, M[0] * 2),
    r("matvec", lambda xp, x, y: xp.matvec(x, y), M, V[:4]),
    r("vecmat", lambda xp, x, y: xp.vecmat(x, y), V[:3], M),
    r("cumulative_sum", lambda xp, x: xp.cumulative_sum(x, axis=1, include_initial=True), M),
    r("cumulative_prod", lambda xp, x: xp.cumulative_prod(x), V),
    # ---- elementwise extras
    r("cbrt", lambda xp, x: xp.cbrt(x), V),
    r("copysign", lambda xp, x, y: xp.copysign(x, y), V, W),
    r("fmod", lambda xp, x, y: xp.fmod(x, y), V * 4, W),
    r("fmod_int", lambda xp, x, y: xp.fmod(x, y), INTS, INTS2),
    r("trunc", lambda xp, x: xp.trunc(x), V * 3, grad=False),
    r("rint", lambda xp, x: xp.rint(x), np.array([0.5, 1.5, -2.5, 2.4, -0.6]), grad=False),
    r("signbit", lambda xp, x: xp.signbit(x), SPECIAL, grad=False, vmap=False),
    r(
        "heaviside",
        lambda xp, x, y: xp.heaviside(x, y),
        np.array([-1.0, 0.0, 2.0, np.nan]),
        np.full(4, 0.3),
        grad=False,
    ),
    r("ldexp", lambda xp, x: xp.ldexp(x, np.array([2, -1, 0, 3, -1074 + 1100])), V),
    r(
        "frexp",
        lambda xp, x: _joined(xp, [xp.astype(o, x.dtype) for o in xp.frexp(x)]),
        SPECIAL,
        grad=False,
    ),
    r(
        "modf",
        lambda xp, x: _joined(xp, xp.modf(x)),
        np.array([-0.5, 2.25, -3.75, np.inf, 0.0]),
        grad=False,
    ),
    r("divmod", lambda xp, x, y: _joined(xp, xp.divmod(x, y)), V * 4, W, grad=False),
    r(
        "nextafter",
        lambda xp, x, y: xp.nextafter(x, y),
        SPECIAL,
        np.array([2.0, 1.0, -1.0, -2.25, 0.0, 0.0, 1.0, 1.0]),
        grad=False,
    ),
    r("spacing", lambda xp, x: xp.spacing(x), np.array([1.0, -1.0, 0.0, 1e300, -3.5]), grad=False),
    r("gcd", lambda xp, x, y: xp.gcd(x, y), INTS, INTS2),
    r("lcm", lambda xp, x, y: xp.lcm(x, y), INTS, INTS2),
    r("float_power", lambda xp, x, y: xp.float_power(x, y), POS, W),
    r("isposinf", lambda xp, x: xp.isposinf(x), SPECIAL),
    r("isneginf", lambda xp, x: xp.isneginf(x), SPECIAL),
    r("i0", lambda xp, x: xp.i0(x), V),
    r("sort_complex", lambda xp, x: xp.sort_complex(x), TIES, grad=False),
    r("bitwise_count", lambda xp, x: xp.bitwise_count(x), np.array([0, 7, -1, 255, 2**40])),
    # ---- index tricks
    r("ix_", lambda xp, x: x[xp.ix_(np.array([0, 2]), np.array([3, 1]))], M),
    r("diagflat", lambda xp, x: xp.diagflat(x, 1), M[:2, :2]),
    r(
        "fill_diagonal",
        lambda xp, x: xp.fill_diagonal(x, 5.0, inplace=False),
        M,
        ref=lambda xp, x: _np_fill_diagonal(x, 5.0),
    ),
    r(
        "fill_diagonal_values",
        lambda xp, x, v: xp.fill_diagonal(x, v, inplace=False),
        S,
        V[:3],
        ref=lambda xp, x, v: _np_fill_diagonal(x, v),
    ),
    r(
        "ravel_multi_index",
        lambda xp, i, j: xp.ravel_multi_index((i, j), (4, 5)),
        np.array([0, 3, 1]),
        np.array([4, 0, 2]),
    ),
    r(
        "ravel_multi_index_clip_F",
        lambda xp, i, j: xp.ravel_multi_index((i, j), (4, 5), mode="clip", order="F"),
        np.array([0, 7, 1]),
        np.array([4, 0, -2]),
    ),
    r("unravel_index", lambda xp, i: xp.stack(xp.unravel_index(i, (3, 4))), np.array([5, 11, 0])),
    r(
        "put",
        lambda xp, x, v: xp.put(x, np.array([0, -1, 6]), v, mode="wrap", inplace=False),
        M,
        V[:3],
        ref=lambda xp, x, v: _np_put(x, np.array([0, -1, 6]), v, "wrap"),
    ),
    r(
        "place",
        lambda xp, x, v: xp.place(x, x > 0, v, inplace=False),
        V,
        W[:2],
        ref=lambda xp, x, v: _np_place(x, x > 0, v),
    ),
    r(
        "put_along_axis",
        lambda xp, x, v: xp.put_along_axis(x, np.array([[1], [3], [0]]), v, axis=1, inplace=False),
        M,
        V[:3, None],
        ref=lambda xp, x, v: _np_put_along(x, np.array([[1], [3], [0]]), v, 1),
    ),
    r("choose", lambda xp, a, b: xp.choose(np.array([0, 1, 1, 0, 1]), [a, b]), V, W),
    r(
        "choose_clip",
        lambda xp, a, b: xp.choose(np.array([0, 3, -1, 0, 1]), [a, b], mode="clip"),
        V,
        W,
    ),
    r(
        "compress",
        lambda xp, x: xp.compress(np.array([True, False, True]), x, axis=0),
        M,
        vmap=True,
    ),
    r("extract", lambda xp, x: xp.extract(np.array([1, 0, 0, 1, 1]), x), V),
    # ---- searching, counting, sets
    r("searchsorted", lambda xp, a, v: xp.searchsorted(a, v), SORTED, V, grad=False),
    r(
        "searchsorted_right_ties",
        lambda xp, a, v: xp.searchsorted(a, v, side="right"),
        np.array([1.0, 2.0, 2.0, 3.0, np.nan]),
        np.array([2.0, 0.5, 9.0, np.nan, 3.0]),
        grad=False,
    ),
    r(
        "searchsorted_sorter",
        lambda xp, a, v: xp.searchsorted(a, v, sorter=np.argsort(TIES)),
        TIES,
        V,
        grad=False,
        vmap=False,
    ),
    r("digitize", lambda xp, x, b: xp.digitize(x, b), V, SORTED, grad=False),
    r(
        "digitize_decreasing_right",
        lambda xp, x, b: xp.digitize(x, b, right=True),
        np.array([3.0, 1.0, 2.0, 0.0]),
        np.array([3.0, 2.0, 1.0]),
        grad=False,
    ),
    r(
        "bincount_weights",
        lambda xp, w: xp.bincount(np.array([0, 2, 2, 5, 1]), weights=w, minlength=8),
        V,
    ),
    r(
        "count_nonzero",
        lambda xp, x: xp.count_nonzero(x, axis=0),
        np.array([[0.0, 1.0], [2.0, 0.0], [3.0, 0.0]]),
    ),
    r("isin", lambda xp, x, t: xp.isin(x, t), TIES, np.array([1.0, 3.0])),
    r("isin_invert", lambda xp, x, t: xp.isin(x, t, invert=True), TIES, np.array([1.0, 3.0])),
    r(
        "lexsort",
        lambda xp, a, b: xp.lexsort((a, b)),
        np.array([1, 0, 2, 1]),
        np.array([1, 1, 0, 1]),
    ),
    # ---- statistics and histograms
    r("ptp", lambda xp, x: xp.ptp(x, axis=1), M),
    r("cov", lambda xp, x: xp.cov(x), M),
    r("cov_cols_y_ddof", lambda xp, x, y: xp.cov(x, y, rowvar=False, ddof=0), M.T, M.T * 2 + 1),
    r(
        "cov_weights",
        lambda xp, x, a: xp.cov(x, fweights=np.array([1, 2, 1, 3]), aweights=a),
        M,
        POS[:4],
    ),
    r("corrcoef", lambda xp, x: xp.corrcoef(x), M),
    r("corrcoef_xy", lambda xp, x, y: xp.corrcoef(x, y), V, W),
    r("histogram_weights", lambda xp, x, w: _joined(xp, xp.histogram(x, bins=4, weights=w)), V, W),
    r(
        "histogram_range_density",
        lambda xp, x: xp.histogram(x, bins=3, range=(-1.0, 1.0), density=True)[0],
        V,
        grad=False,
    ),
    r(
        "histogram_edges",
        lambda xp, x: xp.histogram(x, bins=np.array([-2.0, -0.5, 0.0, 2.0]))[0],
        V,
        grad=False,
    ),
    r("histogram_bin_edges", lambda xp, x: xp.histogram_bin_edges(x, bins=5), V),
    r("histogram2d", lambda xp, x, y: xp.histogram2d(x, y, bins=(2, 3))[0], V, W, grad=False),
    r("histogramdd", lambda xp, s: xp.histogramdd(s, bins=2)[0], M[:, :3], grad=False),
    # ---- signal
    r(
        "interp",
        lambda xp, x, p, f: xp.interp(x, p, f),
        V,
        SORTED,
        W[:6] if W.size >= 6 else np.r_[W, 1.0],
    ),
    r(
        "interp_left_right",
        lambda xp, x, f: xp.interp(x, SORTED, f, left=-9.0, right=9.0),
        V * 3,
        np.arange(6.0),
    ),
    r(
        "interp_period",
        lambda xp, x, f: xp.interp(x, np.array([0.0, 1.0, 2.5, 5.0]), f, period=4.0),
        V * 5,
        W[:4],
        grad=False,
    ),
    *[
        r(f"convolve_{m}", lambda xp, a, v, m=m: xp.convolve(a, v, m), V, W[:3])
        for m in ("full", "same", "valid")
    ],
    r("convolve_swapped", lambda xp, a, v: xp.convolve(a, v, "same"), W[:2], V),
    *[
        r(f"correlate_{m}", lambda xp, a, v, m=m: xp.correlate(a, v, m), W[:3], V)
        for m in ("full", "same", "valid")
    ],
    r("trapezoid", lambda xp, y: xp.trapezoid(y, dx=0.5), M),
    r("trapezoid_x", lambda xp, y, x: xp.trapezoid(y, x, axis=0), M, SORTED[:3]),
    r("ediff1d", lambda xp, x: xp.ediff1d(x, to_end=np.array([1.0, 2.0]), to_begin=-1.0), M),
    r("unwrap", lambda xp, x: xp.unwrap(x), np.cumsum(V * 3)),
    r("unwrap_period", lambda xp, x: xp.unwrap(x, axis=0, period=4.0), np.cumsum(M * 3, axis=0)),
    # ---- polynomials
    r("polyval", lambda xp, p, x: xp.polyval(p, x), V[:4], W),
    r("polyadd", lambda xp, a, b: xp.polyadd(a, b), V[:2], W),
    r("polysub", lambda xp, a, b: xp.polysub(a, b), V, W[:3]),
    r("polymul", lambda xp, a, b: xp.polymul(a, b), V[:3], W[:2]),
    r("polyder", lambda xp, p: xp.polyder(p, 2), V),
    r("polyint", lambda xp, p: xp.polyint(p, 2, k=[1.0, 2.0]), V[:3]),
    r(  # dyadic coefficients: the remainder's leading zeros are exact in float32 too
        "polydiv",
        lambda xp, u, v: _joined(xp, xp.polydiv(u, v)),
        np.round(V * 4),
        np.array([2.0, -1.0, 3.0]),
        vmap=False,
    ),
    r("poly", lambda xp, z: xp.poly(z), V[:3]),
    r("polyfit", lambda xp, x, y: xp.polyfit(x, y, 2), np.linspace(0.1, 1, 5), V),
    r(
        "polyfit_weights_2d",
        lambda xp, x, y: xp.polyfit(x, y, 1, w=np.arange(1.0, 6.0)),
        np.linspace(-1, 0.9, 5),
        np.stack([V, W], 1),
    ),
    r("vander", lambda xp, x: xp.vander(x, 4), V),
    r("vander_increasing", lambda xp, x: xp.vander(x, increasing=True), V[:3]),
    # ---- misc
    r("apply_along_axis", lambda xp, x: xp.apply_along_axis(lambda v: v[::2] * v[0], 1, x), M),
    r("apply_over_axes", lambda xp, x: xp.apply_over_axes(xp.sum, x, [0, 2]), np.stack([M, M * 2])),
    r(
        "vectorize",
        lambda xp, x, y: xp.vectorize(lambda a, b: a * b + xp.sin(a))(x, y[:, None]),
        V,
        W[:2],
    ),
    r(
        "vectorize_signature",
        lambda xp, x: xp.vectorize(lambda v: v @ v, signature="(n)->()")(x),
        M,
    ),
    r("array_equal", lambda xp, x: xp.array_equal(x, x * 1.0), NANS, grad=False),
    r("array_equal_nan", lambda xp, x: xp.array_equal(x, x, equal_nan=True), NANS, grad=False),
    r("array_equiv", lambda xp, x: xp.array_equiv(x, x[:1] * 0 + x[0]), M, grad=False),
    r("block", lambda xp, a, b: xp.block([[a, b[:, :1]], [b[:1, :3], b[:1, 3:]]]), S, M),
    r("resize", lambda xp, x: xp.resize(x, (3, 7)), V),
    r("copy", lambda xp, x: xp.copy(x) * 2, V),
    r("packbits", lambda xp, x: xp.packbits(x, axis=1), (M > 0).astype(np.int64)),
    r("packbits_little", lambda xp, x: xp.packbits(x, bitorder="little"), (M > 0)),
    r(
        "unpackbits",
        lambda xp, x: xp.unpackbits(x, axis=0, count=11),
        np.array([[176, 3], [255, 0]], np.uint8),
    ),
]


def _np_fill_diagonal(x, v):
    x = np.array(x)
    np.fill_diagonal(x, v)
    return x


def _np_put(x, ind, v, mode):
    x = np.array(x)
    np.put(x, ind, v, mode=mode)
    return x


def _np_place(x, mask, v):
    x = np.array(x)
    np.place(x, mask, v)
    return x


def _np_put_along(x, ind, v, axis):
    x = np.array(x)
    np.put_along_axis(x, ind, v, axis)
    return x


def _trimmed(q, rem):  # NumPy's remainder drops the len(q) leading entries, zero by construction
    return q, rem[q.shape[0] :]


_JAX_REFS = {  # JAX's forms of the NumPy-only calls in ``ref`` (and of mode='raise')
    "compress": lambda xp, x: xp.compress(np.array([True, False, True]), x, axis=0, size=2),
    "extract": lambda xp, x: xp.extract(np.array([1, 0, 0, 1, 1]), x, size=3),
    "bincount_weights": lambda xp, w: xp.bincount(np.array([0, 2, 2, 5, 1]), weights=w, length=8),
    "polyint": lambda xp, p: xp.polyint(p, 2, k=np.array([1.0, 2.0])),
    "polydiv": lambda xp, u, v: _joined(xp, _trimmed(*xp.polydiv(u, v))),
    "choose": lambda xp, a, b: xp.choose(np.array([0, 1, 1, 0, 1]), [a, b], mode="clip"),
    "fill_diagonal": lambda xp, x: xp.fill_diagonal(x, 5.0, inplace=False),
    "fill_diagonal_values": lambda xp, x, v: xp.fill_diagonal(x, v, inplace=False),
    "put": lambda xp, x, v: xp.put(x, np.array([0, -1, 6]), v, mode="wrap", inplace=False),
    "place": lambda xp, x, v: xp.where(
        x > 0, xp.array([v[0], v[1], v[0], v[1], v[0]])[xp.cumsum(x > 0) - 1], x
    ),
    "put_along_axis": lambda xp, x, v: xp.put_along_axis(
        x, np.array([[1], [3], [0]]), v, axis=1, inplace=False
    ),
}
for p in ROWS:
    row = p.values[0]
    if row.id in _JAX_REFS:
        row.jax_ref = _JAX_REFS[row.id]


def _fn2(row, xp):
    if xp is jnp and row.jax_ref is not None:
        return lambda *args: row.jax_ref(xp, *args)
    return _fn(row, xp)


GRAD_ROWS = [p.values[0] for p in ROWS if p.values[0].grad and tb._diff_args(p.values[0])]


@pytest.fixture(scope="module")
def jax_vjps() -> dict:
    """Every row's ``jax.vjp``, computed in one ``jax.jit`` (one compilation)."""

    def all_vjps(primals, cts):
        result = {}
        for row in GRAD_ROWS:
            out, pull = jax.vjp(tb._with_diff_args(row, _fn2(row, jnp)), *primals[row.id])
            result[row.id] = (out, pull(cts[row.id]))
        return result

    primals = {row.id: [row.args[i] for i in tb._diff_args(row)] for row in GRAD_ROWS}
    cts = {row.id: tb._cotangent(row) for row in GRAD_ROWS}
    return jax.jit(all_vjps)(primals, cts)


@pytest.mark.parametrize("row", ROWS)
def test_values_match_numpy(row: Row):
    tb.test_values_match_numpy(row)


@pytest.mark.parametrize("row", ROWS)
def test_vjp_matches_jax(row: Row, jax_vjps: dict):
    if row not in GRAD_ROWS:
        pytest.skip("no derivative to compare")
    tb.test_vjp_matches_jax(row, jax_vjps)


@pytest.mark.parametrize("row", ROWS)
def test_jvp_is_the_transpose_of_the_vjp(row: Row):
    if row not in GRAD_ROWS:
        pytest.skip("no derivative to compare")
    tb.test_jvp_is_the_transpose_of_the_vjp(row)


@pytest.mark.parametrize("row", ROWS)
def test_jit_matches_eager(row: Row):
    tb.test_jit_matches_eager(row)


@pytest.mark.parametrize("row", ROWS)
def test_vmap_matches_loop(row: Row):
    if not row.vmap or not tb._diff_args(row):
        pytest.skip("not batched over a float argument")
    tb.test_vmap_matches_loop(row)


@pytest.mark.parametrize("row", ROWS)
def test_float32(row: Row):
    tb.test_float32(row)


# ---------------------------------------------------------------- beyond the table

SIZED = {  # value-dependent sizes under jit, with size=, against jax.numpy (x64)
    "unique": lambda xp, x: xp.unique(x, size=7),
    "unique_all": lambda xp, x: _joined(
        xp, [xp.astype(o, x.dtype) for o in xp.unique_all(x, size=7)]
    ),
    "unique_fill": lambda xp, x: xp.unique(x, size=7, fill_value=-5.0),
    "flatnonzero": lambda xp, x: xp.flatnonzero(x > 1, size=6),
    "argwhere": lambda xp, x: xp.argwhere(xp.reshape(x, (2, 3)) > 1, size=5, fill_value=-1),
    "union1d": lambda xp, x: xp.union1d(x, x * 2, size=9),
    "intersect1d": lambda xp, x: xp.intersect1d(x, x * 3, size=4),
    "setdiff1d": lambda xp, x: xp.setdiff1d(x, np.array([1.0, 2.0]), size=4),
    "setxor1d": lambda xp, x: xp.setxor1d(x, np.array([1.0, 4.0]), size=5),
}


@pytest.mark.parametrize("name", sorted(SIZED))
def test_size_argument_under_jit_matches_jax(name):
    f = SIZED[name]
    got = ag.jit(lambda x: f(tnp, x))(TIES)
    _close(got, f(jnp, TIES), 1e-12)
    _close(f(tnp, TIES), got, 1e-12)  # eager with size= equals jit


def test_gradients_of_sized_unique_and_setdiff_match_jax():
    for name in ("unique", "union1d", "setdiff1d", "intersect1d", "setxor1d"):
        fn = SIZED[name]
        ct = np.arange(1.0, np.shape(fn(jnp, TIES))[0] + 1)
        got = ag.vjp(lambda x, fn=fn: fn(tnp, x), TIES)[1](ct)[0]
        want = jax.jit(lambda x, c, fn=fn: jax.vjp(lambda y: fn(jnp, y), x)[1](c)[0])(TIES, ct)
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_unique_without_size_matches_numpy_including_nans():
    x = np.array([[3.0, np.nan], [1.0, np.nan]])
    for got, want in zip(
        tnp.unique(x, True, True, True), np.unique(x, True, True, True), strict=True
    ):
        _close(got, want, 0)
    _close(tnp.unique(x, equal_nan=False), np.unique(x, equal_nan=False), 0)
    _close(tnp.unique(np.zeros(0)), np.unique(np.zeros(0)), 0)
    assert tnp.unique_counts(TIES).counts.tolist() == np.unique_counts(TIES).counts.tolist()


@pytest.mark.parametrize(
    "call",
    [
        lambda x: tnp.unique(x),
        lambda x: tnp.argwhere(x),
        lambda x: tnp.flatnonzero(x),
        lambda x: tnp.setdiff1d(x, x[:2]),
        lambda x: tnp.extract(x > 0, x),
        lambda x: tnp.bincount(tnp.astype(x, np.int64)),
    ],
    ids=["unique", "argwhere", "flatnonzero", "setdiff1d", "extract", "bincount"],
)
def test_traced_value_dependent_sizes_ask_for_size(call):
    with pytest.raises(ag.ConcretizationTypeError, match="size=|length="):
        ag.jit(call)(np.abs(TIES))


def test_in_place_writers_require_inplace_false():
    for call in (
        lambda: tnp.fill_diagonal(np.zeros((2, 2)), 1.0),
        lambda: tnp.put(np.zeros(3), np.array([0]), 1.0),
        lambda: tnp.place(np.zeros(3), np.array([1, 0, 0]), np.array([1.0])),
        lambda: tnp.put_along_axis(np.zeros((2, 2)), np.zeros((2, 1), int), 1.0, 1),
    ):
        with pytest.raises(ValueError, match="inplace=False"):
            call()


def test_index_checks_raise_like_numpy():
    with pytest.raises(IndexError):
        tnp.unravel_index(np.array([12]), (3, 4))
    with pytest.raises(IndexError):
        tnp.ravel_multi_index((np.array([3]), np.array([0])), (3, 4))
    with pytest.raises(ValueError, match="non-negative"):
        tnp.bincount(np.array([-1, 2]))
    with pytest.raises(ag.ConcretizationTypeError, match="mode='clip'"):
        ag.jit(lambda i: tnp.choose(i, [V, W]))(np.array([0, 1, 0, 1, 0]))


def test_dtype_utilities_are_numpys():
    assert tnp.float_ is np.float64 and tnp.int_ is np.int64 and tnp.bool is np.bool_
    assert tnp.issubdtype(tnp.float32, tnp.floating) and not tnp.issubdtype(np.int8, tnp.inexact)
    assert tnp.finfo(np.ones(2, np.float32)).eps == np.finfo(np.float32).eps
    assert tnp.iinfo(np.int16).max == 32767
    assert tnp.promote_types(np.int8, np.uint8) == np.int16
    assert tnp.can_cast(np.float32, np.float64) and not tnp.can_cast(np.float64, np.int32)
    assert tnp.isdtype(np.float32, "real floating")
    assert tnp.broadcast_shapes((2, 1), (3,)) == (2, 3)
    assert tnp.isscalar(1.0) and not tnp.isscalar(np.ones(1)) and tnp.iterable([1])
    assert ag.jit(lambda x: x * tnp.isscalar(x))(np.float64(2.0)) == 0.0
    assert tnp.euler_gamma == np.euler_gamma
    np.testing.assert_allclose(tnp.finfo(ag.jit(lambda x: x)(np.float32(1))).eps, 2.0**-23)


def test_gcd_lcm_and_bitwise_count_under_vmap():
    got = ag.vmap(tnp.gcd)(np.stack([INTS, INTS2]), np.stack([INTS2, INTS]))
    np.testing.assert_array_equal(got, np.gcd(np.stack([INTS, INTS2]), np.stack([INTS2, INTS])))
    x = np.array([[0, 3], [-1, 7]], np.int8)
    np.testing.assert_array_equal(ag.jit(tnp.bitwise_count)(x), np.bitwise_count(x))


def test_second_order_through_interp_convolve_polyval_cov():
    ag.check_grads(lambda x: tnp.interp(x, SORTED, np.arange(6.0)), (V * 0.3,), order=2)
    ag.check_grads(lambda a, v: tnp.convolve(a, v, "same"), (V, W[:3]), order=2)
    ag.check_grads(lambda p, x: tnp.polyval(p, x), (V[:3], W), order=2)
    ag.check_grads(lambda x: tnp.cov(x), (M,), order=2)
    ag.check_grads(lambda x: tnp.vectorize(lambda v: v @ v, signature="(n)->()")(x), (M,), order=2)


def test_roots_and_poly_round_trip_and_match_numpy():
    p = np.array([1.0, -6.0, 11.0, -6.0])
    np.testing.assert_allclose(np.sort(tnp.roots(p)), np.sort(np.roots(p)), rtol=1e-10)
    complex_roots = tnp.roots(np.array([1.0, 0.0, 1.0]))
    np.testing.assert_allclose(np.sort_complex(complex_roots), np.sort_complex(np.roots([1, 0, 1])))
    np.testing.assert_allclose(tnp.roots(np.array([0.0, 1.0, -3.0, 0.0])), np.roots([0, 1, -3, 0]))
    np.testing.assert_allclose(tnp.poly(S), np.poly(S), rtol=1e-10)


FAMILY_JAX = {  # one JAX-backend jit per family
    "aliases": lambda xp, x: xp.vecdot(xp.matrix_transpose(x), xp.cumulative_sum(x, axis=0).T),
    "elementwise": lambda xp, x: xp.copysign(xp.cbrt(x), -x) + xp.fmod(x, 0.3) + xp.ldexp(x, 2),
    "index_tricks": lambda xp, x: xp.put(
        xp.fill_diagonal(x, 1.0, inplace=False), np.array([1, 5]), 7.0, inplace=False, mode="clip"
    ),
    "sets": lambda xp, x: xp.unique(x, size=14) + xp.searchsorted(xp.sort(x[0]), x[1, 0]),
    "histograms": lambda xp, x: xp.histogram(x, bins=3, weights=x * 2)[0].sum() + xp.cov(x),
    "signal": lambda xp, x: xp.convolve(x[0], x[1], "same") + xp.interp(x[2], xp.sort(x[0]), x[1]),
    "polynomial": lambda xp, x: xp.polyval(x[0], x[1]) + xp.polyder(xp.polymul(x[0], x[2]))[:4],
    "misc": lambda xp, x: (
        xp.apply_along_axis(lambda v: v.sum() * v, 1, x) + xp.resize(x[0], (3, 4))
    ),
}


@pytest.mark.parametrize("family", sorted(FAMILY_JAX))
def test_jit_on_the_jax_backend(family):
    f = FAMILY_JAX[family]
    got = ag.jit(lambda x: f(tnp, x), backend="jax")(M)
    np.testing.assert_allclose(np.asarray(got), f(tnp, M), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(got), np.asarray(f(jnp, M)), rtol=1e-9)
