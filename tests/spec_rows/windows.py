"""Spec rows: convolution and pooling (trace_ag.lax; NCHW images, OIHW weights)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from oracle import Draw, Spec

import trace_ag as ag

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

R = Spec
rows: list[Spec] = []


def _window_geometry(d: Draw, conv: bool) -> dict:
    """A window that fits: kernel, stride, padding (less than the kernel for pooling, so that
    no window is all padding) and, for convolutions, dilation."""
    kernel = (d.int(1, 3), d.int(1, 3))
    dilation = (d.int(1, 2), d.int(1, 2)) if conv else (1, 1)
    padding = tuple((d.int(0, k - 1), d.int(0, k - 1)) for k in kernel)
    return {
        "kernel": kernel,
        "stride": (d.int(1, 2), d.int(1, 2)),
        "padding": padding,
        "dilation": dilation,
        "image": (
            d.int(1, 2),
            d.int(1, 2),
            d.int(dilation[0] * (kernel[0] - 1) + 1, 5),
            d.int(dilation[1] * (kernel[1] - 1) + 1, 5),
        ),
    }


def _conv_shapes(d):
    g = _window_geometry(d, conv=True)
    n, c, h, w = g.pop("image")
    o = d.int(1, 2)
    return [(n, c, h, w), (o, c, *g.pop("kernel")), (o,)], g


def _conv(x, w, b, *, stride, padding, dilation):
    return ag.lax.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)


def _jconv(x, w, b, *, stride, padding, dilation):
    out = jax.lax.conv_general_dilated(
        x, w, stride, padding, rhs_dilation=dilation, precision=jax.lax.Precision.HIGHEST
    )
    return out + b[None, :, None, None]


def _window_shapes(conv: bool, with_cotangent: bool = False, fn: Callable | None = None):
    """An image and the window's parameters; with ``with_cotangent``, also a cotangent shaped
    like ``fn``'s output (for rows that are the vjp of a windowed op)."""

    def draw(d):
        g = _window_geometry(d, conv)
        image = g.pop("image")
        if not conv:
            g = {"window": g.pop("kernel"), "stride": g["stride"], "padding": g["padding"]}
        shapes = [image]
        if with_cotangent:
            shapes.append(np.shape(fn(np.zeros(image), **g)))
        return shapes, g

    return draw


def _im2col(x, *, kernel, stride, padding, dilation):
    return ag.lax.im2col(x, kernel, stride=stride, padding=padding, dilation=dilation)


def _jim2col(x, *, kernel, stride, padding, dilation):
    patches = jax.lax.conv_general_dilated_patches(
        x, kernel, stride, padding, rhs_dilation=dilation, precision=jax.lax.Precision.HIGHEST
    )  # (N, C*KH*KW, OH, OW)
    n, _, oh, ow = patches.shape
    patches = patches.reshape(n, x.shape[1], *kernel, oh * ow)
    return jnp.moveaxis(patches, -1, 1)  # (N, OH*OW, C, KH, KW)


def _max_pool(x, *, window, stride, padding):
    return ag.lax.max_pool2d(x, window, stride=stride, padding=padding)


def _jmax_pool(x, *, window, stride, padding):
    pads = ((0, 0), (0, 0), *padding)
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, *window), (1, 1, *stride), pads)


def _avg_pool(x, *, window, stride, padding):
    return ag.lax.avg_pool2d(x, window, stride=stride, padding=padding)


def _javg_pool(x, *, window, stride, padding):
    pads = ((0, 0), (0, 0), *padding)
    total = jax.lax.reduce_window(x, 0.0, jax.lax.add, (1, 1, *window), (1, 1, *stride), pads)
    return total / (window[0] * window[1])


def _vjp_of(fn: Callable, jax_fn: Callable) -> tuple[Callable, Callable]:
    """``(x, g) -> vjp of fn at x applied to g``, in trace_ag and in JAX: a row whose forward
    pass is the transpose primitive (col2im, max_pool2d_scatter, avg_pool2d_transpose)."""

    def ours(x, g, **kw):
        return ag.vjp(lambda x: fn(x, **kw), x)[1](g)[0]

    def theirs(x, g, **kw):
        return jax.vjp(lambda x: jax_fn(x, **kw), x)[1](g)[0]

    return ours, theirs


def _max_pool_jvp(x, t, **kw):
    return ag.jvp(lambda x: _max_pool(x, **kw), (x,), (t,))[1]


def _jmax_pool_jvp(x, t, **kw):
    return jax.jvp(lambda x: _jmax_pool(x, **kw), (x,), (t,))[1]


def _same_image_twice(d):
    (image,), kw = _window_shapes(conv=False)(d)
    return [image, image], kw


rows += [
    R("conv2d", _conv, _jconv, arity=3, shapes=_conv_shapes),
    R("im2col", _im2col, _jim2col, shapes=_window_shapes(conv=True)),
    R(
        "col2im[vjp of im2col]",
        *_vjp_of(_im2col, _jim2col),
        arity=2,
        shapes=_window_shapes(conv=True, with_cotangent=True, fn=_im2col),
    ),
    R("max_pool2d", _max_pool, _jmax_pool, domain="distinct", shapes=_window_shapes(False)),
    R(
        "max_pool2d_scatter[vjp of max_pool2d]",
        *_vjp_of(_max_pool, _jmax_pool),
        arity=2,
        domain="distinct",
        shapes=_window_shapes(False, with_cotangent=True, fn=_max_pool),
    ),
    R(
        "max_pool2d_gather[jvp of max_pool2d]",
        _max_pool_jvp,
        _jmax_pool_jvp,
        arity=2,
        domain="distinct",
        shapes=_same_image_twice,
    ),
    R("avg_pool2d", _avg_pool, _javg_pool, shapes=_window_shapes(conv=False)),
    R(
        "avg_pool2d_transpose[vjp of avg_pool2d]",
        *_vjp_of(_avg_pool, _javg_pool),
        arity=2,
        shapes=_window_shapes(False, with_cotangent=True, fn=_avg_pool),
    ),
]

ROWS = rows
