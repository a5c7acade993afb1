"""The NumPy functions of issue 14 that trace_ag.numpy builds as composites, one table row per
function and argument form.

Each row is ``fn(xp, *args)``, written once and run with ``xp`` = NumPy (the value oracle),
``jax.numpy`` (the derivative oracle, ``jax.vjp`` un-jitted) and ``trace_ag.numpy``. For each
row: values (shape, dtype, numbers) equal NumPy's; the vjp for a random cotangent equals
JAX's (all rows' JAX vjps in one ``jax.jit``); the jvp is the vjp's transpose; ``ag.jit`` equals
eager; ``ag.vmap`` over a batch of 2 equals a loop; in float32 the
dtypes stay float32 and the numbers match NumPy's float32 results. Functions returning lists
are joined into one flat array by ``_joined``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

R = np.random.default_rng(14)
V = R.normal(size=5)
W = R.normal(size=5)
M = R.normal(size=(3, 4))
S = R.normal(size=(3, 3))
T = R.normal(size=(2, 3, 4))
A3, B3 = R.normal(size=(4, 3)), R.normal(size=(4, 3))
ZEROS = np.array([1.5, 0.0, -2.0, 0.0, 3.0])
ZM = np.array([[1.0, 0.0, 2.0], [-1.5, 3.0, 0.0], [0.0, 2.0, -1.0]])
NANS = np.array([1.0, np.nan, np.inf, -np.inf, -2.0])
FA = np.array([1.0, np.nan, 3.0, np.nan, -1.0, 2.0])
FB = np.array([2.0, 1.0, np.nan, np.nan, -1.0, 0.5])
HA = np.array([3.0, 0.0, -1.0, 1e150, 2.0])
HB = np.array([4.0, 0.0, 1.0, 1e150, -2.0])
LA = np.array([1.0, 2.0, -3.0, 700.0, -50.0])
LB = np.array([1.0, -2.0, 4.0, 700.5, 0.0])
SC = np.array([-1.5, -0.5, 0.0, 0.25, 1.0])
IDX = np.array([[3, 0], [1, 1], [2, 0]])


def _joined(xp: Any, outs: Any) -> Any:
    return xp.concatenate([xp.ravel(o) for o in outs])


@dataclass
class Row:
    id: str
    fn: Callable
    args: tuple
    grad: bool = True  # compare the vjp with JAX's
    ref: Callable | None = None  # NumPy/JAX form where it differs from ``fn``
    jax_ref: Callable | None = None
    vmap: bool = True
    rtol: float = 1e-10

    def __post_init__(self):
        self.args = tuple(np.asarray(a) for a in self.args)


def r(id, fn, *args, **kw):
    return pytest.param(Row(id, fn, args, **kw), id=id)


ROWS = [
    # ---- elementwise
    r("fabs", lambda xp, x: xp.fabs(x), V),
    r("hypot", lambda xp, x, y: xp.hypot(x, y), HA, HB),
    # JAX's hypot gradient is 1.06 (not 1/sqrt 2) at x1 = x2 = 1e200: hi**2 overflows in its div
    r("hypot_large", lambda xp, x, y: xp.hypot(x, y), HA * 1e50, HB * 1e50, grad=False),
    r("hypot_broadcast", lambda xp, x, y: xp.hypot(x, y), M, V[:4]),
    r("logaddexp", lambda xp, x, y: xp.logaddexp(x, y), LA, LB),
    r("logaddexp2", lambda xp, x, y: xp.logaddexp2(x, y), LA, LB),
    r("fmax", lambda xp, x, y: xp.fmax(x, y), FA, FB),
    r("fmin", lambda xp, x, y: xp.fmin(x, y), FA, FB),
    r("degrees", lambda xp, x: xp.degrees(x), V),
    r("radians", lambda xp, x: xp.radians(x), V),
    r("rad2deg", lambda xp, x: xp.rad2deg(x), V),
    r("deg2rad", lambda xp, x: xp.deg2rad(x), V),
    r("sinc", lambda xp, x: xp.sinc(x), SC),
    r("nan_to_num", lambda xp, x: xp.nan_to_num(x), NANS),
    r("nan_to_num_args", lambda xp, x: xp.nan_to_num(x, nan=-1.0, posinf=9.0), NANS),
    r("clip", lambda xp, x: xp.clip(x, -0.5, 0.5), V),
    r("isclose", lambda xp, x, y: xp.isclose(x, y, rtol=0.5), FA, FB, grad=False),
    r("isclose_nan", lambda xp, x, y: xp.isclose(x, y, equal_nan=True), FA, FB, grad=False),
    r("allclose", lambda xp, x: xp.allclose(x, x + 1e-9), V, grad=False),
    r("select", lambda xp, x, y: xp.select([x > 0, y > 0], [x * y, x + y], 0.5), V, W),
    r(
        "piecewise",
        lambda xp, x: xp.piecewise(x, [x < 0, x > 1], [lambda v: v**2, lambda v: 3 * v, 1.5]),
        V * 2,
    ),
    # ---- cumulative, differences
    r("cumprod", lambda xp, x: xp.cumprod(x), ZEROS),
    r("cumprod_axis0", lambda xp, x: xp.cumprod(x, axis=0), ZM),
    r("cumprod_axis1", lambda xp, x: xp.cumprod(x, axis=1), T),
    r("cumprod_flat", lambda xp, x: xp.cumprod(x), ZM),
    r("diff", lambda xp, x: xp.diff(x), V),
    r("diff_n2_axis0", lambda xp, x: xp.diff(x, n=2, axis=0), T),
    r("diff_prepend_append", lambda xp, x: xp.diff(x, prepend=0.5, append=xp.ones((3, 2))), M),
    r("gradient", lambda xp, x: xp.gradient(x), V),
    r("gradient_2d", lambda xp, x: _joined(xp, xp.gradient(x)), M),
    r("gradient_spacing_axis", lambda xp, x: xp.gradient(x, 0.5, axis=1), M),
    r("gradient_per_axis", lambda xp, x: _joined(xp, xp.gradient(x, 2.0, 0.5)), M),
    r("gradient_edge2", lambda xp, x: xp.gradient(x, edge_order=2), V, grad=False),
    r("cross", lambda xp, a, b: xp.cross(a, b), A3, B3),
    r("cross_axes", lambda xp, a, b: xp.cross(a, b, axisa=0, axisc=0), A3.T, B3),
    r("cross_2d", lambda xp, a, b: xp.cross(a, b), A3[:, :2], B3[:, :2], grad=False),
    r("kron", lambda xp, a, b: xp.kron(a, b), V[:2], W[:3]),
    r("kron_2d", lambda xp, a, b: xp.kron(a, b), M[:2, :2], S),
    r("kron_mixed", lambda xp, a, b: xp.kron(a, b), V[:2], M),
    r("outer_nd", lambda xp, a, b: xp.outer(a, b), M, V[:2]),
    # ---- triangles and diagonals
    r("tril", lambda xp, x: xp.tril(x), M),
    r("tril_k", lambda xp, x: xp.tril(x, -1), T),
    r("triu_k", lambda xp, x: xp.triu(x, 1), M),
    r("triu", lambda xp, x: xp.triu(x), S),
    r("diag_1d", lambda xp, x: xp.diag(x), V[:3]),
    r("diag_1d_k", lambda xp, x: xp.diag(x, 2), V[:3]),
    r("diag_1d_negk", lambda xp, x: xp.diag(x, -1), V[:3]),
    r("diag_2d", lambda xp, x: xp.diag(x), M),
    r("diag_2d_k", lambda xp, x: xp.diag(x, 1), M),
    r("diag_2d_negk", lambda xp, x: xp.diag(x, -2), M),
    r("diagonal", lambda xp, x: xp.diagonal(x), M),
    r("diagonal_axes", lambda xp, x: xp.diagonal(x, 1, 0, 2), T),
    r("diagonal_neg", lambda xp, x: xp.diagonal(x, -1, 2, 1), T),
    r("trace", lambda xp, x: xp.trace(x), M),
    r("trace_axes", lambda xp, x: xp.trace(x, 1, 1, 2), T),
    # ---- repetition, rotation
    r("repeat", lambda xp, x: xp.repeat(x, 2), M),
    r("repeat_per_element", lambda xp, x: xp.repeat(x, np.array([1, 0, 2]), axis=0), M),
    r("repeat_axis", lambda xp, x: xp.repeat(x, 3, axis=-1), M),
    r("tile", lambda xp, x: xp.tile(x, 2), V),
    r("tile_nd", lambda xp, x: xp.tile(x, (2, 1, 2)), M),
    r("tile_short", lambda xp, x: xp.tile(x, (2,)), M),
    r("roll", lambda xp, x: xp.roll(x, 2), V),
    r("roll_flat", lambda xp, x: xp.roll(x, 5), M),
    r("roll_tuple", lambda xp, x: xp.roll(x, (1, -1), (0, 1)), M),
    r("roll_axis", lambda xp, x: xp.roll(x, -7, axis=-1), T),
    r("flip", lambda xp, x: xp.flip(x), M),
    r("flip_axis", lambda xp, x: xp.flip(x, 1), T),
    r("flip_axes", lambda xp, x: xp.flip(x, (0, -1)), T),
    r("rot90", lambda xp, x: xp.rot90(x), M),
    r("rot90_k2", lambda xp, x: xp.rot90(x, 2), M),
    r("rot90_k3", lambda xp, x: xp.rot90(x, 3), M),
    r("rot90_axes", lambda xp, x: xp.rot90(x, -1, axes=(1, 2)), T),
    # ---- joining and splitting
    r("vstack", lambda xp, a, b: xp.vstack([a, b]), V, W),
    r("vstack_2d", lambda xp, a, b: xp.vstack([a, b]), M, M[:2] * 2),
    r(
        "row_stack",
        lambda xp, a, b: tnp.row_stack([a, b]) if xp is tnp else xp.vstack([a, b]),
        V,
        W,
    ),
    r("hstack", lambda xp, a, b: xp.hstack([a, b]), V, W),
    r("hstack_2d", lambda xp, a, b: xp.hstack([a, b]), M, S),
    r("dstack", lambda xp, a, b: xp.dstack([a, b]), M, M * 2),
    r("dstack_1d", lambda xp, a, b: xp.dstack([a, b]), V, W),
    r("column_stack", lambda xp, a, b: xp.column_stack([a, b]), V, W),
    r("column_stack_2d", lambda xp, a, b: xp.column_stack([a, b]), M, V[:3]),
    r("split", lambda xp, x: _joined(xp, [o * i for i, o in enumerate(xp.split(x, 3))]), S),
    r(
        "split_indices",
        lambda xp, x: _joined(xp, [o * (i + 1) for i, o in enumerate(xp.split(x, [1, 3], axis=1))]),
        M,
    ),
    r(
        "array_split",
        lambda xp, x: _joined(xp, [o * (i + 1) for i, o in enumerate(xp.array_split(x, 3))]),
        V,
    ),
    r("vsplit", lambda xp, x: _joined(xp, [o * (i + 1) for i, o in enumerate(xp.vsplit(x, 3))]), M),
    r("hsplit", lambda xp, x: _joined(xp, [o * (i + 1) for i, o in enumerate(xp.hsplit(x, 2))]), M),
    r(
        "hsplit_1d",
        lambda xp, x: _joined(xp, [o * (i + 1) for i, o in enumerate(xp.hsplit(x, [1, 3]))]),
        V,
    ),
    r("dsplit", lambda xp, x: _joined(xp, [o * (i + 1) for i, o in enumerate(xp.dsplit(x, 2))]), T),
    r("append", lambda xp, a, b: xp.append(a, b), M, V),
    r("append_axis", lambda xp, a, b: xp.append(a, b, axis=0), M, M[:1]),
    r("insert_int", lambda xp, x: xp.insert(x, 2, 9.0), V),
    r("insert_seq", lambda xp, x, v: xp.insert(x, np.array([1, 3, 1]), v), V, W[:3]),
    r("insert_row", lambda xp, x, v: xp.insert(x, 1, v, axis=0), M, V[:4]),
    r("insert_cols", lambda xp, x: xp.insert(x, np.array([0, 4]), 5.0, axis=1), M),
    r("insert_negative", lambda xp, x: xp.insert(x, -1, 7.0), V),
    r("delete", lambda xp, x: xp.delete(x, 1), V),
    r("delete_seq", lambda xp, x: xp.delete(x, np.array([0, 2])), V),
    r("delete_axis", lambda xp, x: xp.delete(x, 1, axis=1), M),
    r("delete_slice", lambda xp, x: xp.delete(x, slice(0, 4, 2)), V),
    r("atleast_1d", lambda xp, x: xp.atleast_1d(x), V[0]),
    r("atleast_2d", lambda xp, x: xp.atleast_2d(x), V),
    r("atleast_3d_1d", lambda xp, x: xp.atleast_3d(x), V),
    r("atleast_3d_2d", lambda xp, x: xp.atleast_3d(x), M),
    r("atleast_multi", lambda xp, x, y: _joined(xp, xp.atleast_2d(x, y)), V[0], M),
    r("meshgrid_xy", lambda xp, x, y: _joined(xp, xp.meshgrid(x, y)), V[:3], W[:2]),
    r("meshgrid_ij", lambda xp, x, y: _joined(xp, xp.meshgrid(x, y, indexing="ij")), V[:3], W[:2]),
    r("meshgrid_3", lambda xp, x, y, z: _joined(xp, xp.meshgrid(x, y, z)), V[:3], W[:2], V[:2]),
    r(
        "meshgrid_sparse",
        lambda xp, x, y: xp.meshgrid(x, y, sparse=True)[0] * xp.meshgrid(x, y, sparse=True)[1],
        V[:3],
        W[:2],
    ),
    r("r_", lambda xp, x: xp.r_[x, 0:3, 2.5], V),
    r("r_linspace", lambda xp, x: xp.r_[0:1:5j, x] * 2, V),
    r("c_", lambda xp, x, y: xp.c_[x, y], V, W),
    r("c_2d", lambda xp, x, y: xp.c_[x, y], M, V[:3]),
    # ---- sorting and order statistics
    r("take_along_axis", lambda xp, x: xp.take_along_axis(x, IDX, axis=1), M),
    r(
        "take_along_axis_0",
        lambda xp, x: xp.take_along_axis(x, np.array([[2, 0, 1, 1], [0, 0, 2, 1]]), axis=0),
        M,
    ),
    r("take_along_axis_none", lambda xp, x: xp.take_along_axis(x, np.array([4, 0, 11]), None), M),
    r("sort", lambda xp, x: xp.sort(x), V),
    r("sort_axis0", lambda xp, x: xp.sort(x, axis=0), M),
    r("sort_none", lambda xp, x: xp.sort(x, axis=None), M),
    r("sort_3d", lambda xp, x: xp.sort(x, axis=1), T),
    r("partition", lambda xp, x: tnp.partition(x, 2), V, ref=lambda xp, x: xp.sort(x)),
    r(
        "argpartition",
        lambda xp, x: tnp.argpartition(x, 2),
        M,
        ref=lambda xp, x: np.argsort(x),
        grad=False,
    ),
    r("quantile", lambda xp, x: xp.quantile(x, 0.3), V),
    r("quantile_q_array_axis", lambda xp, x: xp.quantile(x, np.array([0.1, 0.5, 1.0]), axis=1), M),
    r(
        "quantile_keepdims",
        lambda xp, x: xp.quantile(x, np.array([0.25, 0.75]), axis=(0, 2), keepdims=True),
        T,
    ),
    r("quantile_lower", lambda xp, x: xp.quantile(x, 0.3, axis=0, method="lower"), M),
    r("quantile_higher", lambda xp, x: xp.quantile(x, 0.3, axis=0, method="higher"), M),
    r(
        "quantile_nearest",
        lambda xp, x: xp.quantile(x, np.array([0.3, 0.5, 0.62]), method="nearest"),
        V,
    ),
    r("quantile_midpoint", lambda xp, x: xp.quantile(x, 0.3, axis=-1, method="midpoint"), M),
    r(
        "quantile_nan",
        lambda xp, x: xp.quantile(x, 0.5, axis=1),
        np.array([[1.0, np.nan, 2.0], [1.0, 3.0, 2.0]]),
        grad=False,
    ),
    r("percentile", lambda xp, x: xp.percentile(x, 40.0, axis=1), M),
    r("median_odd", lambda xp, x: xp.median(x), V),
    r("median_even_axis", lambda xp, x: xp.median(x, axis=1, keepdims=True), M),
    # ---- pad modes
    r("pad_constant", lambda xp, x: xp.pad(x, ((1, 2), (0, 1)), constant_values=0.5), M),
    r("pad_edge", lambda xp, x: xp.pad(x, ((1, 2), (3, 0)), mode="edge"), M),
    r("pad_wrap", lambda xp, x: xp.pad(x, ((1, 2), (5, 1)), mode="wrap"), M),
    r("pad_reflect", lambda xp, x: xp.pad(x, ((1, 2), (2, 3)), mode="reflect"), M),
    r("pad_reflect_wide", lambda xp, x: xp.pad(x, 7, mode="reflect"), V),
    r("pad_symmetric", lambda xp, x: xp.pad(x, ((2, 3), (1, 4)), mode="symmetric"), M),
    # ---- einsum with repeated indices in one operand
    r("einsum_trace", lambda xp, x: xp.einsum("ii", x), S),
    r("einsum_diag", lambda xp, x: xp.einsum("ii->i", x), S),
    r("einsum_iij", lambda xp, x: xp.einsum("iij->j", x), np.stack([S, S.T, S * 2], -1)),
    r("einsum_iji", lambda xp, x: xp.einsum("iji->j", x), np.stack([S, S.T], 1)),
    r("einsum_two_operands", lambda xp, x, y: xp.einsum("ij,jj->i", x, y), M.T, S),
    r("einsum_iii", lambda xp, x: xp.einsum("iii->i", x), np.stack([S, S.T, S], -1)),
    r("einsum_diag_times_vector", lambda xp, x, y: xp.einsum("ii,i->i", x, y), S, V[:3]),
    r("einsum_ellipsis_diag", lambda xp, x: xp.einsum("...ii->...i", x), np.stack([S, S.T])),
    # ---- norms
    r("norm", lambda xp, x: xp.linalg.norm(x), M),
    *[
        r(f"norm_vec_{o}", lambda xp, x, o=o: xp.linalg.norm(x, ord=o), V)
        for o in (None, 1, 2, np.inf, -np.inf, 0, 3, 0.5)
    ],
    r("norm_vec_axis_keepdims", lambda xp, x: xp.linalg.norm(x, 3, axis=1, keepdims=True), T),
    *[
        r(f"norm_mat_{o}", lambda xp, x, o=o: xp.linalg.norm(x, ord=o), M)
        for o in (None, "fro", 1, -1, np.inf, -np.inf)
    ],
    *[  # from tnp.linalg.svdvals
        r(f"norm_mat_{o}", lambda xp, x, o=o: xp.linalg.norm(x, ord=o), M)
        for o in (2, -2, "nuc")
        if hasattr(tnp.linalg, "svdvals")
    ],
    r("norm_mat_nuc_batched", lambda xp, x: xp.linalg.norm(x, "nuc", axis=(1, 2)), T),
    r("norm_mat_axes", lambda xp, x: xp.linalg.norm(x, 1, axis=(2, 0)), T),
    r(
        "norm_mat_axes_keepdims",
        lambda xp, x: xp.linalg.norm(x, -np.inf, axis=(0, 2), keepdims=True),
        T,
    ),
    r("norm_nd_keepdims", lambda xp, x: xp.linalg.norm(x, keepdims=True), T),
]


def _close(got: Any, want: Any, rtol: float, atol: float = 1e-12) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype == bool:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


def _diff_args(row: Row) -> list[int]:
    return [i for i, a in enumerate(row.args) if a.dtype.kind == "f"]


def _fn(row: Row, xp: Any) -> Callable:
    return lambda *args: (row.ref or row.fn)(xp, *args) if xp is not tnp else row.fn(tnp, *args)


@pytest.mark.parametrize("row", ROWS)
def test_values_match_numpy(row: Row):
    want = _fn(row, np)(*row.args)
    got = _fn(row, tnp)(*row.args)
    _close(got, want, row.rtol)
    assert np.asarray(got).dtype == np.asarray(want).dtype


def _with_diff_args(row: Row, f: Callable) -> Callable:
    """``f`` as a function of the row's float arguments only (the others held fixed)."""
    diff = _diff_args(row)

    def g(*d):
        args = list(row.args)
        for i, a in zip(diff, d, strict=True):
            args[i] = a
        return f(*args)

    return g


def _cotangent(row: Row) -> np.ndarray:
    out = _fn(row, np)(*row.args)
    return np.random.default_rng(1).normal(size=np.shape(out))


GRAD_ROWS = [p.values[0] for p in ROWS if p.values[0].grad]


@pytest.fixture(scope="module")
def jax_vjps() -> dict:
    """Every row's ``jax.vjp`` (output and cotangents), computed in one ``jax.jit``: one XLA
    compilation instead of an eager dispatch (a compilation) per JAX operation."""

    def all_vjps(primals, cts):
        result = {}
        for row in GRAD_ROWS:
            out, pull = jax.vjp(_with_diff_args(row, _fn(row, jnp)), *primals[row.id])
            result[row.id] = (out, pull(cts[row.id]))
        return result

    primals = {row.id: [row.args[i] for i in _diff_args(row)] for row in GRAD_ROWS}
    cts = {row.id: _cotangent(row) for row in GRAD_ROWS}
    return jax.jit(all_vjps)(primals, cts)


@pytest.mark.parametrize("row", ROWS)
def test_vjp_matches_jax(row: Row, jax_vjps: dict):
    if not row.grad:
        pytest.skip("no derivative to compare")
    primals = [row.args[i] for i in _diff_args(row)]
    out, pull = ag.vjp(_with_diff_args(row, _fn(row, tnp)), *primals)
    want_out, want_cts = jax_vjps[row.id]
    _close(out, want_out, 1e-9)
    for got, want in zip(pull(_cotangent(row)), want_cts, strict=True):
        _close(got, want, 1e-9, 1e-10)


@pytest.mark.parametrize("row", ROWS)
def test_jvp_is_the_transpose_of_the_vjp(row: Row):
    """<J u, v> = <u, J^T v>: with the vjp equal to JAX's, so is the jvp."""
    if not row.grad:
        pytest.skip("no derivative to compare")
    primals = [row.args[i] for i in _diff_args(row)]
    f = _with_diff_args(row, _fn(row, tnp))
    rng = np.random.default_rng(2)
    tangents = [rng.normal(size=np.shape(p)) for p in primals]
    out, jvp_out = ag.jvp(f, tuple(primals), tuple(tangents))
    v = _cotangent(row)
    cts = ag.vjp(f, *primals)[1](v)
    lhs = np.sum(np.asarray(jvp_out) * v)
    rhs = sum(np.sum(u * np.asarray(c)) for u, c in zip(tangents, cts, strict=True))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("row", ROWS)
def test_jit_matches_eager(row: Row):
    f = _fn(row, tnp)
    _close(ag.jit(f)(*row.args), f(*row.args), 1e-12)


@pytest.mark.parametrize("row", ROWS)
def test_vmap_matches_loop(row: Row):
    f = _fn(row, tnp)
    diff = _diff_args(row)
    batch = [np.stack([a, a * 0.5 + 0.25]) if i in diff else a for i, a in enumerate(row.args)]
    in_axes = tuple(0 if i in diff else None for i in range(len(row.args)))
    got = ag.vmap(f, in_axes=in_axes)(*batch)
    for k in range(2):
        args = [b[k] if i in diff else b for i, b in enumerate(batch)]
        _close(np.asarray(got)[k], f(*args), 1e-12)


@pytest.mark.parametrize("row", ROWS)
def test_float32(row: Row):
    args = [a.astype(np.float32) if a.dtype.kind == "f" else a for a in row.args]
    want = _fn(row, np)(*args)
    got = _fn(row, tnp)(*args)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    _close(got, want, 2e-5, 1e-5)
    diff = _diff_args(row)
    if row.grad and diff:
        f32 = Row(row.id, row.fn, tuple(args), ref=row.ref)
        out, pull = ag.vjp(_with_diff_args(f32, _fn(f32, tnp)), *[args[i] for i in diff])
        for ct in pull(np.ones(np.shape(out), np.asarray(out).dtype)):
            assert np.asarray(ct).dtype == np.float32


# ---------------------------------------------------------------- beyond the table


def test_cumprod_derivatives_at_zeros_to_second_order():
    """A log-based cumprod would give nan or wrong numbers here; the prefix scan is exact."""
    for x in (ZEROS, np.array([0.0, 0.0, 2.0, -1.0, 3.0, 0.5, -2.0])):
        ag.check_grads(lambda v: tnp.cumprod(v), (x,), order=2)
        ct = np.arange(1.0, x.size + 1)
        got = ag.vjp(tnp.cumprod, x)[1](ct)[0]
        np.testing.assert_allclose(got, jax.vjp(jnp.cumprod, x)[1](ct)[0], rtol=1e-12)


def test_sinc_derivatives_at_zero_match_jax():
    f_ag, f_jax = tnp.sinc, jnp.sinc
    for _ in range(4):
        f_ag, f_jax = ag.grad(f_ag), jax.grad(f_jax)
        np.testing.assert_allclose(f_ag(0.0), f_jax(0.0), atol=1e-9)


def test_logaddexp_gradient_at_ties_is_one_half():
    g = ag.grad(lambda a, b: tnp.logaddexp(a, b), argnums=(0, 1))(2.0, 2.0)
    np.testing.assert_allclose(g, (0.5, 0.5))


def test_second_order_through_sort_quantile_and_pad():
    ag.check_grads(lambda x: tnp.sum(tnp.sort(x) ** 3 * np.arange(5.0)), (V,), order=2)
    ag.check_grads(lambda x: tnp.quantile(x, 0.3) ** 2, (V,), order=2)
    ag.check_grads(lambda x: tnp.sum(tnp.pad(x, 2, mode="reflect") ** 2), (M,), order=2)
    ag.check_grads(lambda x: tnp.linalg.norm(x, 3), (V,), order=2)


def test_traced_quantile_and_roll_arguments():
    np.testing.assert_allclose(
        ag.jit(lambda x, q: tnp.quantile(x, q))(V, 0.3), np.quantile(V, 0.3), rtol=1e-12
    )
    dq = ag.grad(lambda q: tnp.quantile(V, q))(0.3)
    np.testing.assert_allclose(dq, jax.grad(lambda q: jnp.quantile(V, q))(0.3), rtol=1e-12)
    rolled = ag.jit(lambda x, s: tnp.roll(x, s))(V, np.int64(2))
    np.testing.assert_array_equal(rolled, np.roll(V, 2))


@pytest.mark.parametrize(
    "fn",
    [
        lambda xp, x: xp.cumprod(x),
        lambda xp, x: xp.sort(x, axis=0),
        lambda xp, x: xp.pad(x, 2, mode="symmetric"),
        lambda xp, x: xp.einsum("ii->i", x[:, :3]),
        lambda xp, x: xp.quantile(x, 0.4, axis=1),
    ],
    ids=["cumprod", "sort", "pad", "einsum", "quantile"],
)
def test_jit_on_the_jax_backend(fn):
    got = ag.jit(lambda x: fn(tnp, x), backend="jax")(M)
    np.testing.assert_allclose(np.asarray(got), fn(np, M), rtol=1e-12)


def test_matrix_norms_needing_singular_values_say_so():
    if hasattr(tnp.linalg, "svdvals"):
        pytest.skip("an svd exists: the table should test these orders")
    for order in (2, -2, "nuc"):
        with pytest.raises(NotImplementedError, match="svd"):
            tnp.linalg.norm(M, ord=order)


def test_norm_rejects_bad_orders_and_axes():
    with pytest.raises(ValueError, match="invalid norm order"):
        tnp.linalg.norm(V, ord="fro")
    with pytest.raises(ValueError, match="improper axis"):
        tnp.linalg.norm(M, axis=(0, 0))
    with pytest.raises(ValueError, match="axis"):
        tnp.linalg.norm(T, ord=1)


def test_quantile_and_pad_reject_what_numpy_rejects():
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        tnp.percentile(V, 101.0)
    with pytest.raises(ag.UnsupportedFunctionError, match="mode='mean'"):
        tnp.pad(V, 1, mode="mean")


def test_repeat_counts_must_be_concrete():
    with pytest.raises(ag.ConcretizationTypeError, match="repeats"):
        ag.jit(lambda x, n: tnp.repeat(x, n))(V, np.array([1, 2, 0, 1, 1]))


def test_version():
    assert tnp.__version__ == ag.__version__
    assert all(part.isdigit() for part in tnp.__version__.split(".")[:2])


def test_docstring_examples_run():
    import doctest

    from trace_ag.numpy import _linalg, _more_math, _more_stats, _shape

    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for module in (_more_math, _more_stats):
        for test in finder.find(module, globs={"np": np, "tnp": tnp}):
            runner.run(test)
    for fn in (_linalg.norm, _shape.pad):
        for test in finder.find(fn, globs={"np": np, "tnp": tnp}):
            runner.run(test)
    assert runner.failures == 0


@pytest.mark.parametrize("shape, size", [((7,), 30), ((3, 4), 2), ((2, 1, 3), 5)])
def test_nonzero_with_size_matches_jax_eager_jit_and_vmap(shape, size):
    mask = np.random.default_rng(size + len(shape)).random(shape) < 0.4
    for fill in (None, tuple(range(10, 10 + len(shape)))):
        want = jnp.nonzero(mask, size=size, fill_value=fill)
        for got in (
            tnp.nonzero(mask, size=size, fill_value=fill),
            ag.jit(lambda m, fill=fill: tnp.nonzero(m, size=size, fill_value=fill))(mask),
        ):
            assert len(got) == len(want)
            for g, w in zip(got, want, strict=True):
                np.testing.assert_array_equal(g, w)
    if len(shape) > 1:
        got = ag.vmap(lambda m: tnp.nonzero(m, size=size, fill_value=-1))(mask)
        want = jax.vmap(lambda m: jnp.nonzero(m, size=size, fill_value=-1))(mask)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)
    with pytest.raises(ag.errors.NonConcreteIndexError, match="size="):
        ag.jit(tnp.nonzero)(mask)
