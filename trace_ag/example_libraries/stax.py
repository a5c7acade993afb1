"""``jax.example_libraries.stax``: a layer is a pair ``(init_fun, apply_fun)`` with
``init_fun(rng, input_shape) -> (output_shape, params)`` and
``apply_fun(params, inputs, **kwargs) -> outputs``; combinators (``serial``, ``parallel``,
``FanOut``, ...) build networks from layers. Initialization splits keys exactly as JAX's stax
does and draws with ``trace_ag.nn.initializers``, so the same key gives JAX's parameters.

Convolutions and pooling are 2-D (``Conv`` is NHWC/HWIO as in JAX), computed with
``ag.lax.conv2d`` / ``max_pool2d`` / ``avg_pool2d`` after moving axes to NCHW.

Examples:
    >>> from trace_ag import random
    >>> init_fun, apply_fun = serial(Dense(4), Relu, Dense(2), LogSoftmax)
    >>> out_shape, params = init_fun(random.PRNGKey(0), (-1, 3))
    >>> out_shape
    (-1, 2)
"""

from __future__ import annotations

import functools
import math

import numpy as np

from trace_ag import numpy as tnp
from trace_ag import random
from trace_ag.convolution import avg_pool2d, conv2d, max_pool2d, normalize_padding
from trace_ag.nn import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    selu,
    sigmoid,
    softmax,
    softplus,
    standardize,
)
from trace_ag.nn.initializers import glorot_normal, normal, ones, zeros

glorot = glorot_normal
randn = normal
logsoftmax = log_softmax


def Dense(out_dim: int, W_init=glorot_normal(), b_init=normal()):  # noqa: N802, B008 (JAX's)
    """A fully connected layer: ``inputs @ W + b``."""

    def init_fun(rng, input_shape):
        output_shape = input_shape[:-1] + (out_dim,)
        k1, k2 = random.split(rng)
        return output_shape, (W_init(k1, (input_shape[-1], out_dim)), b_init(k2, (out_dim,)))

    def apply_fun(params, inputs, **kwargs):
        W, b = params  # noqa: N806
        return tnp.dot(inputs, W) + b

    return init_fun, apply_fun


def _spatial(spec: str, batch: str, feature: str) -> list[int]:
    return [i for i, c in enumerate(spec) if c not in (batch, feature)]


def _conv_out_shape(in_shape, kernel_shape, strides, padding, dimension_numbers) -> tuple:
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    sizes = [in_shape[i] for i in _spatial(lhs_spec, "N", "C")]
    ks = [kernel_shape[i] for i in _spatial(rhs_spec, "O", "I")]
    if isinstance(padding, str) and padding.upper() == "SAME":
        out = [-(-n // s) for n, s in zip(sizes, strides, strict=True)]
    else:
        pads = [(0, 0)] * len(ks) if isinstance(padding, str) else padding
        out = [
            (n + lo + hi - k) // s + 1
            for n, k, s, (lo, hi) in zip(sizes, ks, strides, pads, strict=True)
        ]
    o = kernel_shape[rhs_spec.index("O")]
    dims = {"N": in_shape[lhs_spec.index("N")], "C": o}
    spatial = iter(out)
    return tuple(dims[c] if c in dims else next(spatial) for c in out_spec)


def _to_nchw(spec: str, batch: str, feature: str) -> list[int]:
    return [spec.index(batch), spec.index(feature), *_spatial(spec, batch, feature)]


def GeneralConv(  # noqa: N802
    dimension_numbers, out_chan, filter_shape, strides=None, padding="VALID", W_init=None,
    b_init=normal(1e-6),  # noqa: B008 (JAX's default)
):  # fmt: skip
    """A 2-D convolution with JAX's ``dimension_numbers`` ``(lhs_spec, rhs_spec, out_spec)``,
    e.g. ``("NHWC", "HWIO", "NHWC")``; ``padding`` "SAME", "VALID" or ``[(lo, hi), (lo, hi)]``.
    """
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    if len(filter_shape) != 2:
        raise NotImplementedError("stax.GeneralConv: only 2-D convolutions are supported")
    one = (1,) * len(filter_shape)
    strides = tuple(strides or one)
    W_init = W_init or glorot_normal(rhs_spec.index("I"), rhs_spec.index("O"))  # noqa: N806

    def init_fun(rng, input_shape):
        filter_iter = iter(filter_shape)
        kernel_shape = [
            out_chan if c == "O" else input_shape[lhs_spec.index("C")] if c == "I"
            else next(filter_iter)
            for c in rhs_spec
        ]  # fmt: skip
        output_shape = _conv_out_shape(
            input_shape, kernel_shape, strides, padding, dimension_numbers
        )
        bias_shape = [out_chan if c == "C" else 1 for c in out_spec]
        k1, k2 = random.split(rng)
        return output_shape, (W_init(k1, kernel_shape), b_init(k2, bias_shape))

    def apply_fun(params, inputs, **kwargs):
        W, b = params  # noqa: N806
        x = tnp.transpose(inputs, _to_nchw(lhs_spec, "N", "C"))
        w = tnp.transpose(W, _to_nchw(rhs_spec, "O", "I"))
        pad = padding if isinstance(padding, str) else tuple(tuple(p) for p in padding)
        out = conv2d(x, w, stride=strides, padding=pad)
        out = tnp.transpose(out, np.argsort(_to_nchw(out_spec, "N", "C")))
        return out + b

    return init_fun, apply_fun


Conv = functools.partial(GeneralConv, ("NHWC", "HWIO", "NHWC"))


def BatchNorm(  # noqa: N802
    axis=(0, 1, 2), epsilon=1e-5, center=True, scale=True, beta_init=zeros, gamma_init=ones
):
    """Batch normalization over ``axis`` (statistics of the batch itself, no running mean)."""
    axis = (axis,) if np.isscalar(axis) else tuple(axis)

    def init_fun(rng, input_shape):
        shape = tuple(d for i, d in enumerate(input_shape) if i not in axis)
        k1, k2 = random.split(rng)
        beta = beta_init(k1, shape) if center else ()
        gamma = gamma_init(k2, shape) if scale else ()
        return input_shape, (beta, gamma)

    def apply_fun(params, x, **kwargs):
        beta, gamma = params
        ed = tuple(None if i in axis else slice(None) for i in range(np.ndim(x)))
        z = standardize(x, axis, epsilon=epsilon)
        if center and scale:
            return gamma[ed] * z + beta[ed]
        if center:
            return z + beta[ed]
        if scale:
            return gamma[ed] * z
        return z

    return init_fun, apply_fun


def elementwise(fun, **fun_kwargs):
    """A layer without parameters applying ``fun(inputs, **fun_kwargs)``."""

    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        return fun(inputs, **fun_kwargs)

    return init_fun, apply_fun


Tanh = elementwise(tnp.tanh)
Relu = elementwise(relu)
Exp = elementwise(tnp.exp)
LogSoftmax = elementwise(log_softmax, axis=-1)
Softmax = elementwise(softmax, axis=-1)
Softplus = elementwise(softplus)
Sigmoid = elementwise(sigmoid)
Elu = elementwise(elu)
LeakyRelu = elementwise(leaky_relu)
Selu = elementwise(selu)
Gelu = elementwise(gelu)


def _pooling_layer(kind: str):
    def PoolingLayer(window_shape, strides=None, padding="VALID", spec=None):  # noqa: N802
        """2-D pooling over the spatial axes of NHWC inputs (or of ``spec``)."""
        if len(window_shape) != 2:
            raise NotImplementedError("stax pooling: only 2-D windows are supported")
        window_shape = tuple(window_shape)
        strides = tuple(strides or (1,) * len(window_shape))
        layout = spec or "NHWC"

        def init_fun(rng, input_shape):
            kernel = "".join("O" if c == "N" else "I" if c == "C" else c for c in layout)
            kshape = [1 if c in "OI" else None for c in kernel]
            spatial = iter(window_shape)
            kshape = [next(spatial) if k is None else k for k in kshape]
            kshape[kernel.index("O")] = input_shape[layout.index("C")]
            out = _conv_out_shape(input_shape, kshape, strides, padding, (layout, kernel, layout))
            return out, ()

        def apply_fun(params, inputs, **kwargs):
            perm = _to_nchw(layout, "N", "C")
            x = tnp.transpose(inputs, perm)
            pads = normalize_padding(
                padding, x.shape, window_shape, strides, (1, 1), "stax pooling"
            )
            if kind == "max":
                out = max_pool2d(x, window_shape, strides, pads)
            else:
                out = avg_pool2d(x, window_shape, strides, pads)
                if kind == "sum":
                    out = out * math.prod(window_shape)
                elif any(p != (0, 0) for p in pads):  # average over the real entries only
                    ones_ = np.ones((1, 1, *x.shape[2:]), out.dtype)
                    out = out / avg_pool2d(ones_, window_shape, strides, pads)
            return tnp.transpose(out, np.argsort(perm))

        return init_fun, apply_fun

    return PoolingLayer


MaxPool = _pooling_layer("max")
SumPool = _pooling_layer("sum")
AvgPool = _pooling_layer("avg")


def _flatten():
    def init_fun(rng, input_shape):
        return (input_shape[0], math.prod(input_shape[1:])), ()

    def apply_fun(params, inputs, **kwargs):
        return tnp.reshape(inputs, (inputs.shape[0], -1))

    return init_fun, apply_fun


Flatten = _flatten()


def _identity():
    return (lambda rng, input_shape: (input_shape, ())), (lambda params, inputs, **kw: inputs)


Identity = _identity()


def FanOut(num: int):  # noqa: N802
    """Copies of the input for ``num`` parallel branches."""
    init_fun = lambda rng, input_shape: ([input_shape] * num, ())  # noqa: E731
    apply_fun = lambda params, inputs, **kwargs: [inputs] * num  # noqa: E731
    return init_fun, apply_fun


def _fan_in_sum():
    init_fun = lambda rng, input_shape: (input_shape[0], ())  # noqa: E731
    apply_fun = lambda params, inputs, **kwargs: sum(inputs)  # noqa: E731
    return init_fun, apply_fun


FanInSum = _fan_in_sum()


def FanInConcat(axis: int = -1):  # noqa: N802
    """Concatenate parallel branches along ``axis``."""

    def init_fun(rng, input_shape):
        ax = axis % len(input_shape[0])
        concat_size = sum(shape[ax] for shape in input_shape)
        return input_shape[0][:ax] + (concat_size,) + input_shape[0][ax + 1 :], ()

    def apply_fun(params, inputs, **kwargs):
        return tnp.concatenate(inputs, axis)

    return init_fun, apply_fun


def Dropout(rate: float, mode: str = "train"):  # noqa: N802
    """Keep each input with probability ``rate`` (JAX's stax: ``rate`` is the *keep* rate),
    scaled by ``1 / rate``; needs ``apply_fun(params, inputs, rng=key)`` in train mode."""

    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.get("rng", None)
        if rng is None:
            raise ValueError(
                "Dropout layer requires apply_fun to be called with a PRNG key argument. "
                "That is, instead of `apply_fun(params, inputs)`, call it like "
                "`apply_fun(params, inputs, rng=key)` where `key` is a PRNG key "
                "(e.g. from `trace_ag.random.PRNGKey`)."
            )
        if mode == "train":
            keep = random.bernoulli(rng, rate, inputs.shape)
            return tnp.where(keep, inputs / rate, 0)
        return inputs

    return init_fun, apply_fun


def serial(*layers):
    """Layers one after another; keys are split per layer as in JAX."""
    nlayers = len(layers)
    init_funs, apply_funs = zip(*layers, strict=True)

    def init_fun(rng, input_shape):
        params = []
        for init in init_funs:
            rng, layer_rng = random.split(rng)
            input_shape, param = init(layer_rng, input_shape)
            params.append(param)
        return input_shape, params

    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.pop("rng", None)
        rngs = random.split(rng, nlayers) if rng is not None else (None,) * nlayers
        for fun, param, layer_rng in zip(apply_funs, params, rngs, strict=True):
            inputs = fun(param, inputs, rng=layer_rng, **kwargs)
        return inputs

    return init_fun, apply_fun


def parallel(*layers):
    """Layers side by side, the i-th applied to the i-th input (use with FanOut / FanIn*)."""
    nlayers = len(layers)
    init_funs, apply_funs = zip(*layers, strict=True)

    def init_fun(rng, input_shape):
        rngs = random.split(rng, nlayers)
        pairs = [init(r, s) for init, r, s in zip(init_funs, rngs, input_shape, strict=True)]
        return tuple(zip(*pairs, strict=True))

    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.pop("rng", None)
        rngs = random.split(rng, nlayers) if rng is not None else (None,) * nlayers
        return [
            f(p, x, rng=r, **kwargs)
            for f, p, x, r in zip(apply_funs, params, inputs, rngs, strict=True)
        ]

    return init_fun, apply_fun


def shape_dependent(make_layer):
    """A layer built from the input shape by ``make_layer(input_shape)``."""

    def init_fun(rng, input_shape):
        return make_layer(input_shape)[0](rng, input_shape)

    def apply_fun(params, inputs, **kwargs):
        return make_layer(inputs.shape)[1](params, inputs, **kwargs)

    return init_fun, apply_fun
