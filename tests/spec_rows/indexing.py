"""Spec rows: indexing: the index is a static argument, drawn to fit the shape."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import Draw, Spec

import trace_ag as ag
import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")

R = Spec
rows: list[Spec] = []


def _slice(d: Draw, n: int) -> slice:
    start = d.choice([None, d.int(-n - 1, n + 1)])
    stop = d.choice([None, d.int(-n - 1, n + 1)])
    return slice(start, stop, d.choice([None, 1, 2, -1, -2, 3]))


def _ints(d: Draw, n: int, size) -> np.ndarray:
    """Index values in ``[-n, n)``, with a repeated index whenever there are two or more."""
    idx = d.rng.integers(-n, n, size)
    flat = idx.reshape(-1)
    if flat.size > 1:
        flat[-1] = flat[0] if flat[0] < 0 else flat[0] - n  # the same element, written negative
    return idx


def _index_basic(d):
    shape = d.shape(1, 3)
    return [shape], {"index": tuple(_slice(d, n) for n in shape[: d.int(1, len(shape))])}


def _index_mixed(d):
    shape = d.shape(2, 3, min_side=2)
    index = (d.int(-shape[0], shape[0] - 1), None, Ellipsis, _slice(d, shape[-1]))
    return [shape], {"index": index}


def _index_array(d):
    shape = d.shape(1, 3)
    return [shape], {"index": _ints(d, shape[0], d.int(2, 6))}


def _index_array_axis1(d):
    shape = d.shape(2, 3)
    return [shape], {"index": (slice(None), _ints(d, shape[1], d.int(2, 5)))}


def _index_array_2d(d):
    shape = d.shape(1, 3)
    return [shape], {"index": _ints(d, shape[0], (d.int(1, 3), d.int(2, 3)))}


def _index_two_arrays(d):
    shape = d.shape(2, 3)
    k = d.int(1, 4)
    i = _ints(d, shape[0], (k, 1) if d.bool() else k)  # (k, 1) broadcasts against (k,)
    return [shape], {"index": (i, _ints(d, shape[1], k))}


def _index_arrays_apart(d):
    shape = d.shape(3, 3)
    k = d.int(1, 4)
    return [shape], {"index": (_ints(d, shape[0], k), slice(None), _ints(d, shape[2], k))}


def _index_ellipsis_array(d):
    shape = d.shape(1, 3)
    return [shape], {"index": (Ellipsis, _ints(d, shape[-1], d.int(2, 4)), None)}


def _index_mask(d):
    shape = d.shape(1, 3)
    return [shape], {"index": d.rng.random(shape) < 0.5}


def _index_mask_axis1(d):
    shape = d.shape(2, 3)
    return [shape], {"index": (slice(None), d.rng.random(shape[1]) < 0.5)}


def _index_int(d):
    shape = d.shape(1, 3)
    return [shape], {"index": d.int(-shape[0], shape[0] - 1)}


def _scatter(draw_index):
    """The operand and a cotangent for ``x[index]``: the vjp of getitem is scatter_add."""

    def draw(d):
        (shape,), kw = draw_index(d)
        out_shape = np.empty(shape)[kw["index"]].shape
        return [shape, out_shape], kw

    return draw


def _getitem(x, *, index):
    return tnp.getitem(x, index)  # not x[index]: x is a NumPy array when called eagerly


def _jgetitem(x, *, index):
    return x[index]


def _getitem_vjp(x, g, *, index):
    return ag.vjp(lambda x: x[index], x)[1](g)[0]


def _jgetitem_vjp(x, g, *, index):
    return jax.vjp(lambda x: x[index], x)[1](g)[0]


INDEXING = [
    ("basic slices", _index_basic),
    ("int, None, ..., slice", _index_mixed),
    ("int", _index_int),
    ("int array, repeated", _index_array),
    ("slice, int array", _index_array_axis1),
    ("2-D int array", _index_array_2d),
    ("two int arrays", _index_two_arrays),
    ("int array, slice, int array", _index_arrays_apart),
    ("..., int array, None", _index_ellipsis_array),
    ("boolean mask", _index_mask),
    ("slice, boolean mask", _index_mask_axis1),
]
rows += [R(f"getitem[{what}]", _getitem, _jgetitem, shapes=draw) for what, draw in INDEXING]
rows += [
    R(
        f"scatter_add[vjp of getitem, {what}]",
        _getitem_vjp,
        _jgetitem_vjp,
        arity=2,
        shapes=_scatter(draw),
    )
    for what, draw in [
        ("int array, repeated", _index_array),
        ("two int arrays", _index_two_arrays),
        ("basic slices", _index_basic),
    ]
]

ROWS = rows
