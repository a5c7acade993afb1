"""Convolution and pooling for users: ``im2col``, ``conv2d``, ``max_pool2d``, ``avg_pool2d``
(also exported as ``trace_ag.lax.*``).

A convolution is patch extraction followed by one matmul, as in the lecture: ``im2col`` lays
each image's windows out as columns, and ``conv2d`` multiplies the ``(O, C*KH*KW)`` weights by
them. Layouts are NCHW for images and OIHW for weights; like every deep-learning framework (and
``jax.lax.conv_general_dilated``) ``conv2d`` is a cross-correlation: the kernel is not flipped.

``method`` picks how patches are extracted: ``"strided"`` (NumPy stride tricks, the fast
default), ``"sparse"`` (a ``scipy.sparse`` 0/1 matrix; needs the ``conv-sparse`` extra) or
``"dense"`` (the lecture's dense ``im2col_mat``, refused above a memory bound). All three give
the same values and gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.core import aval_of, shape_error
from trace_ag.numpy._base import asarray_or_tracer, promote, promote_float
from trace_ag.primitives import _windows as win
from trace_ag.primitives import conv

IntPair = int | tuple[int, int]
PaddingArg = str | int | tuple[int, int] | tuple[tuple[int, int], tuple[int, int]]


def _pair(value: Any, name: str, fn: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise shape_error(fn, f"{name} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def normalize_padding(padding: PaddingArg, shape, kernel, stride, dilation, fn: str):
    """Normalize ``padding`` to ``((top, bottom), (left, right))``; "SAME" follows JAX."""
    if isinstance(padding, str):
        if padding.upper() == "VALID":
            return ((0, 0), (0, 0))
        if padding.upper() != "SAME":
            raise shape_error(fn, f"padding must be 'SAME', 'VALID' or ints, got {padding!r}")
        pads = []
        for n, k, s, d in zip(shape[2:], kernel, stride, dilation, strict=True):
            total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)
    if isinstance(padding, (int, np.integer)) or (
        len(padding) == 2 and all(isinstance(p, (int, np.integer)) for p in padding)
    ):
        ph, pw = _pair(padding, "padding", fn)
        return ((ph, ph), (pw, pw))
    return tuple(_pair(side, "padding", fn) for side in padding)


def _window_params(x, kernel_size, stride, padding, dilation, fn: str) -> dict:
    kernel = _pair(kernel_size, "kernel_size", fn)
    stride = _pair(kernel if stride is None else stride, "stride", fn)
    dilation = _pair(dilation, "dilation", fn)
    if len(np.shape(x)) != 4:
        raise shape_error(fn, f"expects an input of shape (N, C, H, W), got shape {np.shape(x)}")
    pads = normalize_padding(padding, np.shape(x), kernel, stride, dilation, fn)
    return dict(kernel=kernel, stride=stride, padding=pads, dilation=dilation)


def _columns(x, params: dict, method: str, fn: str, batch_last: bool = False):
    """Bind ``im2col`` after checking the window and, for "dense", the matrix size."""
    conv.check_window(fn, aval_of(x), **params)
    if method not in conv.METHODS:
        raise shape_error(fn, f"method must be one of {conv.METHODS}, got {method!r}")
    if method == "dense":
        win.check_dense_size(np.shape(x), **params, dtype=x.dtype, fn=fn)
    if batch_last:
        return conv.im2col.bind(x, **params, method=method, batch_last=True)
    return conv.im2col.bind(x, **params, method=method)


def im2col(
    x: Any,
    kernel_size: IntPair,
    stride: IntPair = 1,
    padding: PaddingArg = 0,
    dilation: IntPair = 1,
    method: str = "strided",
) -> Any:
    """The lecture's ``X_patches``: every window of ``x: (N, C, H, W)``, as ``(N, P, C, KH, KW)``
    with ``P = OH * OW`` windows in row-major order.

    Examples:
        >>> X = np.arange(2 * 2 * 4 * 5).reshape(2, 2, 4, 5)
        >>> im2col(X, 2)[0, 4]        # the window at row 1, column 0, both channels
        array([[[ 5,  6],
                [10, 11]],
        <BLANKLINE>
               [[25, 26],
                [30, 31]]])
    """
    x = asarray_or_tracer(x)
    params = _window_params(x, kernel_size, stride, padding, dilation, "im2col")
    cols = _columns(x, params, method, "im2col")
    n, c, kh, kw, oh, ow = cols.shape
    return tnp.reshape(tnp.transpose(cols, (0, 4, 5, 1, 2, 3)), (n, oh * ow, c, kh, kw))


def conv2d(
    x: Any,
    w: Any,
    b: Any = None,
    stride: IntPair = 1,
    padding: PaddingArg = 0,
    dilation: IntPair = 1,
    method: str = "strided",
) -> Any:
    """2-D cross-correlation of ``x: (N, C, H, W)`` with ``w: (O, C, KH, KW)``, plus ``b: (O,)``.

    ``padding`` is an int, a pair ``(rows, columns)``, ``((top, bottom), (left, right))``,
    ``"VALID"`` (none) or ``"SAME"`` (output size ``ceil(H / stride)``, as in JAX).
    Returns ``(N, O, OH, OW)``.

    Examples:
        >>> X = np.arange(2 * 2 * 4 * 5).reshape(2, 2, 4, 5)
        >>> w = np.zeros((1, 2, 2, 2)); w[0, 0] = [[0, -1], [2, 0]]   # the lecture's Exercise 3
        >>> conv2d(X, w)[0, 0]
        array([[ 9., 10., 11., 12.],
               [14., 15., 16., 17.],
               [19., 20., 21., 22.]])
    """
    x, w = promote(asarray_or_tracer(x), asarray_or_tracer(w))
    if np.ndim(w) != 4:
        raise shape_error("conv2d", f"weights must be (O, C, KH, KW), got shape {np.shape(w)}")
    o, c, kh, kw = np.shape(w)
    params = _window_params(x, (kh, kw), stride, padding, dilation, "conv2d")
    if np.shape(x)[1] != c:
        raise shape_error(
            "conv2d",
            f"the input of shape {np.shape(x)} has {np.shape(x)[1]} channels but the weights of "
            f"shape {np.shape(w)} (O, C, KH, KW) expect {c}",
        )
    n, k = np.shape(x)[0], c * kh * kw
    if method == "strided" and n >= win.BATCH_LAST_MIN:
        # The columns are stored (C, KH, KW, OH, OW, N): this transpose and reshape are views,
        # and the product is one (O, K) @ (K, OH*OW*N) GEMM. So are both gradients: the
        # weights' (O, OH*OW*N) @ (OH*OW*N, K) and the columns' (K, O) @ (O, OH*OW*N), whose
        # batch-last result col2im adds up in runs of OW*N contiguous elements.
        cols = _columns(x, params, method, "conv2d", batch_last=True)
        _, _, _, _, oh, ow = cols.shape
        flat = tnp.reshape(tnp.transpose(cols, (1, 2, 3, 4, 5, 0)), (k, oh * ow * n))
        out = tnp.matmul(tnp.reshape(w, (o, k)), flat)
        out = tnp.transpose(tnp.reshape(out, (o, oh, ow, n)), (3, 0, 1, 2))
    else:
        cols = _columns(x, params, method, "conv2d")
        _, _, _, _, oh, ow = cols.shape
        out = tnp.matmul(tnp.reshape(w, (o, k)), tnp.reshape(cols, (n, k, -1)))
        out = tnp.reshape(out, (n, o, oh, ow))
    if b is None:
        return out
    if np.shape(b) != (o,):
        raise shape_error(
            "conv2d", f"bias must have shape ({o},) for {o} filters, got {np.shape(b)}"
        )
    return out + tnp.reshape(b, (1, o, 1, 1))


def _pool_params(x, window, stride, padding, fn: str) -> dict:
    params = _window_params(x, window, stride, padding, 1, fn)
    params.pop("dilation")
    return dict(window=params.pop("kernel"), **params)


def max_pool2d(
    x: Any, window: IntPair, stride: IntPair | None = None, padding: PaddingArg = 0
) -> Any:
    """The max of each ``window`` of ``x: (N, C, H, W)``; ``stride`` defaults to ``window``.

    Padding never wins (it is -inf). The gradient goes to each window's *first* maximum in
    row-major order when several tie, as ``jax.grad`` of ``lax.reduce_window(lax.max)`` does.

    Examples:
        >>> max_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)[0, 0]
        array([[ 5.,  7.],
               [13., 15.]])
    """
    x = asarray_or_tracer(x)
    params = _pool_params(x, window, stride, padding, "max_pool2d")
    conv.check_window("max_pool2d", aval_of(x), *params.values())
    return conv.max_pool2d.bind(x, **params)


def avg_pool2d(
    x: Any, window: IntPair, stride: IntPair | None = None, padding: PaddingArg = 0
) -> Any:
    """The mean of each ``window`` of ``x: (N, C, H, W)``; ``stride`` defaults to ``window``.

    Padded zeros count towards the mean (``reduce_window(add) / (KH * KW)``, PyTorch's
    ``count_include_pad=True``). Integer inputs are averaged as floats.

    Examples:
        >>> avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)[0, 0]
        array([[ 2.5,  4.5],
               [10.5, 12.5]])
    """
    (x,) = promote_float(asarray_or_tracer(x))
    params = _pool_params(x, window, stride, padding, "avg_pool2d")
    conv.check_window("avg_pool2d", aval_of(x), *params.values())
    return conv.avg_pool2d.bind(x, **params)
