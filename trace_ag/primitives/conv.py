"""Window primitives: patch extraction (``im2col``) and its transpose (``col2im``), max pooling
(with its scatter/gather pair) and average pooling (with its transpose).

All but ``max_pool2d`` are linear in their first operand, and each pair is its own vjp: the
vjp of ``im2col`` is ``col2im`` (summing overlaps) and vice versa, so derivatives of any order
are these same primitives again. Max pooling sends each window's cotangent to the window's *first*
maximum in row-major order, which is what ``jax.grad`` of ``lax.reduce_window(max)`` does when
maxima tie (``jnp.max`` instead splits ties evenly; pooling does not); a window holding a nan
sends it where XLA's select-and-scatter does (``_windows.selected_taps``). Average pooling divides
by the full window size, padding included (``reduce_window(add) / (KH*KW)``).

Static parameters: ``kernel``/``window``, ``stride`` and ``dilation`` are ``(rows, columns)``
pairs, ``padding`` is ``((top, bottom), (left, right))``, ``method`` is ``"strided"``,
``"dense"`` or ``"sparse"`` (see ``_windows``). ``trace_ag.convolution`` is the user API.
"""

from __future__ import annotations

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.core import Aval, ForPrimitive, Primitive, shape_error
from trace_ag.primitives import _windows as win
from trace_ag.primitives._transform_rules import linear_jvp, to_front

METHODS = ("strided", "dense", "sparse")


def check_window(fn: str, x: Aval, kernel, stride, padding, dilation=(1, 1)) -> tuple[int, int]:
    """Validate a window over ``x: (N, C, H, W)``; return the output's ``(OH, OW)``."""
    if x.ndim != 4:
        raise shape_error(fn, f"expects an input of shape (N, C, H, W), got shape {x.shape}")
    for name, pair in (("kernel", kernel), ("stride", stride), ("dilation", dilation)):
        if any(v < 1 for v in pair):
            raise shape_error(fn, f"{name} must be positive, got {pair}")
    if any(v < 0 for side in padding for v in side):
        raise shape_error(fn, f"padding must be non-negative, got {padding}")
    oh, ow = win.out_hw(x.shape, kernel, stride, padding, dilation)
    if oh < 1 or ow < 1:
        reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
        padded = tuple(n + sum(p) for n, p in zip(x.shape[2:], padding, strict=True))
        raise shape_error(
            fn,
            f"a {kernel[0]}x{kernel[1]} window (dilation {dilation}: spanning "
            f"{reach[0]}x{reach[1]}) does not fit the input of shape {x.shape}, whose padded "
            f"spatial size is {padded[0]}x{padded[1]} (padding {padding})",
        )
    return oh, ow


def merge_batch() -> ForPrimitive:
    """vmap rule: the vmapped axis joins the image axis N (``(B, N, ...) -> (B*N, ...)``), so a
    batch of batches is one call; a ``shape`` param (an image shape) grows the same way."""

    def make(prim):
        def batch(vals, dims, *, size, **params):
            vals = [to_front(v, d, size) for v, d in zip(vals, dims, strict=True)]
            n = np.shape(vals[0])[1]
            merged = [tnp.reshape(v, (size * n, *np.shape(v)[2:])) for v in vals]
            if "shape" in params:
                params = {**params, "shape": (size * params["shape"][0], *params["shape"][1:])}
            out = prim.bind(*merged, **params)
            return tnp.reshape(out, (size, n, *np.shape(out)[1:])), 0

        return batch

    return ForPrimitive(make)


# ---------------------------------------------------------------- im2col / col2im


def _im2col_aval(x: Aval, *, kernel, stride, padding, dilation, method, batch_last=False) -> Aval:
    if method not in METHODS:
        raise shape_error("im2col", f"method must be one of {METHODS}, got {method!r}")
    oh, ow = check_window("im2col", x, kernel, stride, padding, dilation)
    return Aval((*x.shape[:2], *kernel, oh, ow), x.dtype)


def _col2im_aval(
    cols: Aval, *, shape, kernel, stride, padding, dilation, method, batch_last=False
) -> Aval:
    expected = _im2col_aval(
        Aval(tuple(shape), cols.dtype),
        kernel=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        method=method,
    )
    if cols.shape != expected.shape:
        raise shape_error(
            "col2im",
            f"columns of shape {cols.shape} for an image of shape {shape}: "
            f"expected {expected.shape}",
        )
    return Aval(tuple(shape), cols.dtype)


def _im2col_impl(x, *, kernel, stride, padding, dilation, method, batch_last=False):
    if method == "strided":
        return win.im2col_strided(x, kernel, stride, padding, dilation, batch_last)
    return win.im2col_matrix(x, kernel, stride, padding, dilation, method)


def _col2im_impl(cols, *, shape, kernel, stride, padding, dilation, method, batch_last=False):
    if method == "strided":
        return win.col2im_strided(cols, shape, kernel, stride, padding, dilation)
    return win.col2im_matrix(cols, shape, kernel, stride, padding, dilation, method)


def _im2col_jax(x, *, kernel, stride, padding, dilation, method, batch_last=False):
    """One strided slice per kernel tap, stacked: XLA fuses it into a single gather-free copy
    (``conv_general_dilated_patches`` would run a convolution with C*KH*KW output channels)."""
    import jax.numpy as jnp
    from jax import lax

    xp = jnp.pad(x, ((0, 0), (0, 0), *padding))
    oh, ow = win.out_hw(x.shape, kernel, stride, padding, dilation)
    taps = [
        lax.slice(xp, (0, 0, rows.start, cols.start), (*x.shape[:2], rows.stop, cols.stop),
                  (1, 1, *stride))
        for _, _, (rows, cols) in win.tap_slices(kernel, stride, dilation, (oh, ow))
    ]  # fmt: skip
    return jnp.stack(taps, axis=2).reshape(*x.shape[:2], *kernel, oh, ow)


def _col2im_jax(cols, *, shape, **params):
    import jax
    import jax.numpy as jnp

    _, pullback = jax.vjp(lambda x: _im2col_jax(x, **params), jnp.zeros(shape, cols.dtype))
    return pullback(cols)[0]


im2col = Primitive(
    "im2col",
    impl=_im2col_impl,
    abstract_eval=_im2col_aval,
    vjp=(lambda g, out, x, **params: col2im.bind(g, shape=np.shape(x), **params),),
    jax=_im2col_jax,
    jvp=linear_jvp(),
    batch=merge_batch(),
)
col2im = Primitive(
    "col2im",
    impl=_col2im_impl,
    abstract_eval=_col2im_aval,
    vjp=(lambda g, out, cols, *, shape, **params: im2col.bind(g, **params),),
    jax=_col2im_jax,
    jvp=linear_jvp(),
    batch=merge_batch(),
)


# ---------------------------------------------------------------- max pooling


def _max_pool_aval(x: Aval, *, window, stride, padding) -> Aval:
    oh, ow = check_window("max_pool2d", x, window, stride, padding)
    return Aval((*x.shape[:2], oh, ow), x.dtype)


def _paired_aval(fn: str, to_input: bool):
    """The shape rule of scatter (``g`` -> x-shaped) or gather (``y`` -> out-shaped)."""

    def abstract_eval(a: Aval, x: Aval, *, window, stride, padding) -> Aval:
        out = _max_pool_aval(x, window=window, stride=stride, padding=padding)
        expected = out.shape if to_input else x.shape
        if a.shape != expected or a.dtype != x.dtype:
            raise shape_error(
                fn, f"operand {a} does not fit the pooled input {x} (expected {expected})"
            )
        return x if to_input else out

    return abstract_eval


def _max_pool_jax(x, *, window, stride, padding):
    import jax.numpy as jnp
    from jax import lax

    low = -jnp.inf if jnp.issubdtype(x.dtype, jnp.floating) else jnp.iinfo(x.dtype).min
    pads = ((0, 0), (0, 0), *padding)
    return lax.reduce_window(x, low, lax.max, (1, 1, *window), (1, 1, *stride), pads)


def _max_pool_scatter_jax(g, x, **params):
    import jax

    return jax.vjp(lambda x: _max_pool_jax(x, **params), x)[1](g)[0]


def _max_pool_gather_jax(y, x, **params):
    import jax

    return jax.jvp(lambda x: _max_pool_jax(x, **params), (x,), (y,))[1]


def _max_pool_jvp(primals, tangents, **params):
    """The tangent at each window's selected element (where the vjp sends cotangents), so the
    jvp and vjp are transposes. (JAX's own jvp differs only on windows that are all -inf, where
    it gives 0 while its vjp picks the first element.)"""
    (x,), (t,) = primals, tangents
    return max_pool2d.bind(x, **params), max_pool2d_gather.bind(t, x, **params)


max_pool2d = Primitive(
    "max_pool2d",
    impl=win.max_pool,
    abstract_eval=_max_pool_aval,
    vjp=(lambda g, out, x, **params: max_pool2d_scatter.bind(g, x, **params),),
    jax=_max_pool_jax,
    jvp=_max_pool_jvp,
    batch=merge_batch(),
    allocates=True,  # always a new array
)
max_pool2d_scatter = Primitive(
    "max_pool2d_scatter",
    impl=win.max_pool_scatter,
    abstract_eval=_paired_aval("max_pool2d_scatter", to_input=True),
    vjp=(lambda ct, out, g, x, **params: max_pool2d_gather.bind(ct, x, **params), None),
    jax=_max_pool_scatter_jax,
    jvp=linear_jvp(linear=(0,)),
    batch=merge_batch(),
)
max_pool2d_gather = Primitive(
    "max_pool2d_gather",
    impl=win.max_pool_gather,
    abstract_eval=_paired_aval("max_pool2d_gather", to_input=False),
    vjp=(lambda ct, out, y, x, **params: max_pool2d_scatter.bind(ct, x, **params), None),
    jax=_max_pool_gather_jax,
    jvp=linear_jvp(linear=(0,)),
    batch=merge_batch(),
    allocates=True,  # always a new array
)


# ---------------------------------------------------------------- average pooling


def _avg_pool_aval(x: Aval, *, window, stride, padding) -> Aval:
    if not np.issubdtype(x.dtype, np.floating):
        raise shape_error("avg_pool2d", f"expects a float input, got {x}")
    return _max_pool_aval(x, window=window, stride=stride, padding=padding)


def _avg_pool_transpose_aval(g: Aval, *, shape, window, stride, padding) -> Aval:
    out = _avg_pool_aval(Aval(tuple(shape), g.dtype), window=window, stride=stride, padding=padding)
    if g.shape != out.shape:
        raise shape_error(
            "avg_pool2d_transpose",
            f"cotangent {g} for an input of shape {shape}: expected {out.shape}",
        )
    return Aval(tuple(shape), g.dtype)


def _avg_pool_impl(x, *, window, stride, padding):
    return win.window_sum(x, window, stride, padding) / x.dtype.type(window[0] * window[1])


def _avg_pool_transpose_impl(g, *, shape, window, stride, padding):
    scaled = g / g.dtype.type(window[0] * window[1])
    return win.window_sum_transpose(scaled, shape, window, stride, padding)


def _avg_pool_jax(x, *, window, stride, padding):
    from jax import lax

    pads = ((0, 0), (0, 0), *padding)
    total = lax.reduce_window(x, 0.0, lax.add, (1, 1, *window), (1, 1, *stride), pads)
    return total / (window[0] * window[1])


def _avg_pool_transpose_jax(g, *, shape, **params):
    import jax
    import jax.numpy as jnp

    return jax.vjp(lambda x: _avg_pool_jax(x, **params), jnp.zeros(shape, g.dtype))[1](g)[0]


avg_pool2d = Primitive(
    "avg_pool2d",
    impl=_avg_pool_impl,
    abstract_eval=_avg_pool_aval,
    vjp=(lambda g, out, x, **params: avg_pool2d_transpose.bind(g, shape=np.shape(x), **params),),
    jax=_avg_pool_jax,
    jvp=linear_jvp(),
    batch=merge_batch(),
)
avg_pool2d_transpose = Primitive(
    "avg_pool2d_transpose",
    impl=_avg_pool_transpose_impl,
    abstract_eval=_avg_pool_transpose_aval,
    vjp=(lambda g, out, ct, *, shape, **params: avg_pool2d.bind(g, **params),),
    jax=_avg_pool_transpose_jax,
    jvp=linear_jvp(),
    batch=merge_batch(),
)
