"""Spec rows: the ``trace_ag.lax`` composites (dynamic slicing, associative_scan, reduce_window,
conv_general_dilated) against ``jax.lax``, static arguments drawn to fit the shapes."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import Draw, Spec

from trace_ag import lax

jax = pytest.importorskip("jax")
jlax = pytest.importorskip("jax.lax")
jnp = pytest.importorskip("jax.numpy")


def _starts(d: Draw, shape) -> tuple:
    return tuple(d.int(-n - 2, n + 2) for n in shape)  # some past either end: clamped


def _dynamic_slice(d: Draw):
    shape = d.shape(1, 3, max_side=4)
    sizes = tuple(d.int(0, n) for n in shape)
    return [shape], {"starts": _starts(d, shape), "sizes": sizes}


def _dynamic_update(d: Draw):
    shape = d.shape(1, 3, max_side=4)
    update = tuple(d.int(1, n) for n in shape)
    return [shape, update], {"starts": _starts(d, shape)}


def _scan_axis(d: Draw):
    shape = d.shape(1, 3, max_side=5)
    return [shape], {"axis": d.int(0, len(shape) - 1), "reverse": d.bool()}  # JAX: axis >= 0


def _window(d: Draw, extremal: bool = False):
    """Window, strides, padding and dilation; for max/min no explicit padding (a window all
    padding is infinite) and no window dilation (JAX has no vjp for it)."""
    shape = d.shape(2, 3, min_side=2, max_side=5)
    window = tuple(d.int(1, n) for n in shape)
    strides = tuple(d.int(1, 2) for _ in shape)
    pairs = tuple((d.int(0, 1), d.int(0, 1)) for _ in shape)
    padding = d.choice(["SAME", "VALID"] + ([] if extremal else [pairs]))
    dilation = tuple(d.choice([1, 1, 2]) if w * 2 - 1 <= n and not extremal else 1 for w, n in
                     zip(window, shape, strict=True))  # fmt: skip
    return [shape], {"window": window, "strides": strides, "padding": padding, "wdil": dilation}


def _reduce_window(op: str):
    init = {"add": 0.0, "max": -np.inf, "min": np.inf}[op]

    def ours(x, *, window, strides, padding, wdil):
        return lax.reduce_window(x, init, getattr(lax, op), window, strides, padding,
                                 window_dilation=wdil)  # fmt: skip

    def theirs(x, *, window, strides, padding, wdil):
        return jlax.reduce_window(x, init, getattr(jlax, op), window, strides, padding,
                                  window_dilation=wdil)  # fmt: skip

    return ours, theirs


LAYOUTS = {  # dimension numbers; the lhs shape from (n, c, h, w); the rhs from (o, i, h, w)
    "NCHW": (("NCHW", "OIHW", "NCHW"), lambda *s: s, lambda *s: s),
    "NHWC": (
        ("NHWC", "HWIO", "NHWC"),
        lambda n, c, h, w: (n, h, w, c),
        lambda o, i, h, w: (h, w, i, o),
    ),
}


def _conv(layout: str):
    numbers, lhs_shape, rhs_shape = LAYOUTS[layout]

    def draw(d: Draw):
        n, groups = d.int(1, 2), d.choice([1, 1, 2])
        c, o = groups * d.int(1, 2), groups * d.int(1, 2)
        kh, kw, row_dilation = d.int(1, 3), d.int(1, 2), d.int(1, 2)
        h = d.int((kh - 1) * row_dilation + 1, (kh - 1) * row_dilation + 3)  # the window fits
        w = d.int(kw, kw + 2)
        lhs_dilation = d.choice([None, (1, 1), (2, 1)])
        padding = d.choice(
            [((d.int(0, 2), d.int(0, 1)), (d.int(0, 1), d.int(0, 1)))]
            + ([] if lhs_dilation else ["SAME", "VALID"])
        )
        kwargs = {
            "window_strides": (d.int(1, 2), d.int(1, 2)),
            "padding": padding,
            "lhs_dilation": lhs_dilation,
            "rhs_dilation": (row_dilation, 1),
            "dimension_numbers": numbers,
            "feature_group_count": groups,
        }
        return [lhs_shape(n, c, h, w), rhs_shape(o, c // groups, kh, kw)], kwargs

    return draw


rows = [
    Spec("lax.dynamic_slice", lambda x, *, starts, sizes: lax.dynamic_slice(x, starts, sizes),
         lambda x, *, starts, sizes: jlax.dynamic_slice(x, starts, sizes),
         shapes=_dynamic_slice),
    Spec("lax.dynamic_update_slice",
         lambda x, u, *, starts: lax.dynamic_update_slice(x, u, starts),
         lambda x, u, *, starts: jlax.dynamic_update_slice(x, u, starts),
         arity=2, shapes=_dynamic_update),
    Spec("lax.associative_scan[add]",
         lambda x, *, axis, reverse: lax.associative_scan(lax.add, x, reverse, axis),
         lambda x, *, axis, reverse: jlax.associative_scan(jlax.add, x, reverse, axis),
         shapes=_scan_axis),
    Spec("lax.associative_scan[mul]",
         lambda x, *, axis, reverse: lax.associative_scan(lax.mul, x, reverse, axis),
         lambda x, *, axis, reverse: jlax.associative_scan(jlax.mul, x, reverse, axis),
         shapes=_scan_axis, domain="nonzero", order=2),
    Spec("lax.reduce_window[add]", *_reduce_window("add"), shapes=_window),
    Spec("lax.reduce_window[max]", *_reduce_window("max"), domain="distinct",
         shapes=lambda d: _window(d, extremal=True)),
    Spec("lax.reduce_window[min]", *_reduce_window("min"), domain="distinct",
         shapes=lambda d: _window(d, extremal=True)),
    *[
        Spec(f"lax.conv_general_dilated[{layout}]", lax.conv_general_dilated,
             jlax.conv_general_dilated, arity=2, shapes=_conv(layout), f32_rtol=1e-3)
        for layout in LAYOUTS
    ],
]  # fmt: skip

ROWS = rows
