"""Layers: small frozen configuration objects; parameters live outside them, in plain pytrees.

Every layer has ``init(rng, input_shape) -> (params, output_shape)`` and
``apply(params, x, *, rng=None, training=False) -> y``. Shapes given to ``init`` are *per
example* (no batch axis): ``(C, H, W)`` for images, ``(features,)`` for vectors; ``apply``
takes a batch. ``params`` is a dict of arrays (``{}`` for layers without parameters), and a
``Sequential``'s params are the list of its layers' params, so a model is a pure function
``apply(params, x)`` that ``ag.grad`` and ``ag.jit`` transform as they would any other.

Examples:
    >>> model = Sequential([Conv2d(6, 5), relu, MaxPool2d(2), Flatten(), Linear(10)])
    >>> params, out_shape = model.init(np.random.default_rng(0), (1, 28, 28))
    >>> out_shape
    (10,)
    >>> images = np.zeros((2, 1, 28, 28))
    >>> model.apply(params, images).shape  # (N, 10)
    (2, 10)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import trace_ag as ag
import trace_ag.numpy as tnp
from nn import init as initializers
from nn.errors import at_user_line, shape_error
from trace_ag.convolution import avg_pool2d, conv2d, max_pool2d
from trace_ag.core import Aval, Tracer

Shape = tuple[int, ...]
Params = Any


class Layer:
    """The interface every layer implements (see the module docstring)."""

    def init(
        self, rng: np.random.Generator | int | None, input_shape: Shape
    ) -> tuple[Params, Shape]:
        return {}, self.output_shape({}, tuple(input_shape))

    def apply(self, params: Params, x: Any, *, rng=None, training: bool = False) -> Any:
        raise NotImplementedError

    def output_shape(self, params: Params, input_shape: Shape) -> Shape:
        """The per-example output shape, found by tracing ``apply`` abstractly (no compute)."""
        aval = Aval((1, *input_shape), np.dtype(np.float32))
        graph = ag.make_ir(lambda x: self.apply(params, x))(aval)
        return tuple(graph.outvars[0].aval.shape[1:])


def _check_input(name: str, x: Any, expected: Shape, what: str) -> None:
    """Raise unless the batch ``x`` has per-example shape ``expected`` (None: any size)."""
    shape = tuple(np.shape(x))[1:]
    ok = len(shape) == len(expected) and all(
        e is None or e == n for e, n in zip(expected, shape, strict=False)
    )
    if np.ndim(x) < 1 or not ok:
        shown = tuple("?" if e is None else e for e in expected)
        raise shape_error(
            f"{name}.apply",
            f"expects a batch of {what} (N, {', '.join(map(str, shown))}), got shape {np.shape(x)}",
        )


@dataclass(frozen=True)
class Linear(Layer):
    """``y = x @ w + b`` with ``w: (in, features)``."""

    features: int
    use_bias: bool = True
    w_init: Callable = initializers.glorot_uniform
    b_init: Callable = initializers.zeros
    dtype: Any = np.float32

    def init(self, rng, input_shape):
        if len(input_shape) != 1:
            raise shape_error(
                "Linear.init",
                f"expects a flat input shape (features,), got {tuple(input_shape)}; "
                "put Flatten() before it",
            )
        rng = initializers.as_generator(rng)
        params = {"w": self.w_init(rng, (input_shape[0], self.features), self.dtype)}
        if self.use_bias:
            params["b"] = self.b_init(rng, (self.features,), self.dtype)
        return params, (self.features,)

    def apply(self, params, x, *, rng=None, training=False):
        _check_input("Linear", x, (params["w"].shape[0],), "vectors")
        y = x @ params["w"]
        return y + params["b"] if "b" in params else y


@dataclass(frozen=True)
class Conv2d(Layer):
    """A 2-D convolution (cross-correlation) of NCHW images with ``w: (features, C, KH, KW)``;
    see ``trace_ag.convolution.conv2d`` for stride, padding, dilation and method."""

    features: int
    kernel_size: int | tuple[int, int]
    stride: int | tuple[int, int] = 1
    padding: Any = 0
    dilation: int | tuple[int, int] = 1
    method: str = "strided"
    use_bias: bool = True
    w_init: Callable = initializers.glorot_uniform
    b_init: Callable = initializers.zeros
    dtype: Any = np.float32

    def init(self, rng, input_shape):
        if len(input_shape) != 3:
            raise shape_error(
                "Conv2d.init", f"expects an image shape (C, H, W), got {tuple(input_shape)}"
            )
        rng = initializers.as_generator(rng)
        k = self.kernel_size
        kh, kw = (k, k) if isinstance(k, int) else k
        params = {"w": self.w_init(rng, (self.features, input_shape[0], kh, kw), self.dtype)}
        if self.use_bias:
            params["b"] = self.b_init(rng, (self.features,), self.dtype)
        return params, self.output_shape(params, tuple(input_shape))

    def apply(self, params, x, *, rng=None, training=False):
        _check_input("Conv2d", x, (params["w"].shape[1], None, None), "images")
        return conv2d(
            x, params["w"], params.get("b"), self.stride, self.padding, self.dilation, self.method
        )


@dataclass(frozen=True)
class MaxPool2d(Layer):
    """The max over each ``window`` (stride defaults to the window)."""

    window: int | tuple[int, int]
    stride: int | tuple[int, int] | None = None
    padding: Any = 0

    def apply(self, params, x, *, rng=None, training=False):
        _check_input("MaxPool2d", x, (None, None, None), "images")
        return max_pool2d(x, self.window, self.stride, self.padding)


@dataclass(frozen=True)
class AvgPool2d(Layer):
    """The mean over each ``window`` (stride defaults to the window; padding counts as 0)."""

    window: int | tuple[int, int]
    stride: int | tuple[int, int] | None = None
    padding: Any = 0

    def apply(self, params, x, *, rng=None, training=False):
        _check_input("AvgPool2d", x, (None, None, None), "images")
        return avg_pool2d(x, self.window, self.stride, self.padding)


@dataclass(frozen=True)
class Flatten(Layer):
    """``(N, ...) -> (N, prod(...))``."""

    def apply(self, params, x, *, rng=None, training=False):
        return tnp.reshape(x, (np.shape(x)[0], -1))


@dataclass(frozen=True)
class Dropout(Layer):
    """Zero each element with probability ``rate`` while training, scaling the rest by
    ``1 / (1 - rate)``; the identity otherwise.

    Training needs randomness, given either way:

    - ``key=`` (or ``rng=``) a ``trace_ag.random`` key, as in JAX: the mask is
      ``random.bernoulli(key, 1 - rate, x.shape)``, an ordinary traced computation, so a
      training step with dropout runs under ``ag.jit``; pass a fresh key each step
      (``random.split``). Through ``Sequential``, which passes ``rng`` on, every Dropout layer
      gets the same key.
    - ``rng=`` a NumPy Generator: the mask is drawn with NumPy, so it cannot be traced, and
      under ``ag.jit`` (which would bake one mask into the compiled step) it is refused.

    Examples:
        >>> drop = Dropout(0.5)
        >>> x = np.ones((2, 4))
        >>> y = drop.apply({}, x, key=ag.random.PRNGKey(0), training=True)
        >>> sorted(set(y.ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
        True
        >>> step = ag.jit(lambda x, k: drop.apply({}, x, key=k, training=True))
        >>> bool((step(x, ag.random.PRNGKey(0)) == y).all())
        True
    """

    rate: float

    def apply(self, params, x, *, rng=None, key=None, training=False):
        if not training or self.rate == 0:
            return x
        if key is None and _is_key(rng):
            key = rng
        if key is not None:
            return self._apply_key(x, key)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                at_user_line(
                    "Dropout.apply(training=True) needs rng=np.random.Generator or key= (a "
                    f"trace_ag.random key); got rng={type(rng).__name__}: pass one to model.apply"
                )
            )
        if isinstance(x, Tracer) and x.concrete_value() is None:
            raise TypeError(
                at_user_line(
                    "Dropout.apply(training=True, rng=Generator) under ag.jit would bake one "
                    "random mask into the compiled function; pass key=random.PRNGKey(...) "
                    "(split anew each step) instead, or run the step without jit"
                )
            )
        if self.rate >= 1:
            return tnp.zeros_like(x)
        keep = rng.random(np.shape(x)) >= self.rate
        return x * (keep / (1.0 - self.rate)).astype(x.dtype)

    def _apply_key(self, x, key):
        from trace_ag import random

        if self.rate >= 1:
            return tnp.zeros_like(x)
        keep_prob = 1.0 - self.rate
        keep = random.bernoulli(key, keep_prob, tuple(np.shape(x)))
        return tnp.where(keep, x / tnp.asarray(keep_prob, x.dtype), tnp.zeros_like(x))


def _is_key(value: Any) -> bool:
    """Whether ``value`` is a trace_ag.random key (a uint32[2] array or tracer)."""
    if not isinstance(value, (np.ndarray, Tracer)):
        return False
    return np.dtype(value.dtype) == np.uint32 and tuple(np.shape(value)) == (2,)


# ---------------------------------------------------------------- activations


@ag.custom_jvp
def relu(x: Any) -> Any:
    """``max(x, 0)``, defined as ``jax.nn.relu`` is: a custom jvp ``t * (x > 0)``, so the
    gradient at 0 is 0. ``maximum`` and a mask multiply are branch-free, which makes this
    several times faster than ``where(x > 0, x, 0)`` on NumPy.

    Example: ``relu(np.array([-1.0, 2.0]))``."""
    return tnp.maximum(x, 0)


@relu.defjvp
def _relu_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    out = relu(x)  # out > 0 exactly where x > 0 (nan: neither); x need not be kept for the mask
    return out, t * tnp.astype(out > 0, t.dtype)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent. Example: ``tanh(np.zeros(3))``."""
    return tnp.tanh(x)


def sigmoid(x: Any) -> Any:
    """The logistic function, without overflow. Example: ``sigmoid(np.array([-1e4, 0.0]))``."""
    return tnp.sigmoid(x)


def gelu(x: Any) -> Any:
    """GELU, tanh approximation (``jax.nn.gelu``'s default). Example: ``gelu(np.ones(2))``."""
    return 0.5 * x * (1 + tnp.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def softmax(x: Any, axis: int = -1) -> Any:
    """Probabilities along ``axis``, without overflow. Example: ``softmax(np.ones((2, 3)))``."""
    return tnp.softmax(x, axis=axis)


@dataclass(frozen=True)
class Activation(Layer):
    """A parameterless elementwise function as a layer; ``Sequential`` wraps bare functions."""

    fn: Callable

    def apply(self, params, x, *, rng=None, training=False):
        return self.fn(x)

    def __repr__(self) -> str:
        return f"Activation({getattr(self.fn, '__name__', self.fn)})"


@dataclass(frozen=True)
class Sequential(Layer):
    """Layers applied in order; its params are the list of theirs.

    Examples:
        >>> mlp = Sequential([Flatten(), Linear(32), relu, Linear(10)])
        >>> params, _ = mlp.init(0, (1, 8, 8))
        >>> mlp.apply(params, np.ones((5, 1, 8, 8))).shape
        (5, 10)
    """

    layers: Sequence[Layer | Callable]

    def __post_init__(self):
        wrapped = tuple(la if isinstance(la, Layer) else Activation(la) for la in self.layers)
        object.__setattr__(self, "layers", wrapped)

    def init(self, rng, input_shape):
        children = initializers.as_generator(rng).spawn(len(self.layers))
        params, shape = [], tuple(input_shape)
        for layer, child in zip(self.layers, children, strict=True):
            layer_params, shape = layer.init(child, shape)
            params.append(layer_params)
        return params, shape

    def apply(self, params, x, *, rng=None, training=False):
        if not isinstance(params, (list, tuple)) or len(params) != len(self.layers):
            got = len(params) if isinstance(params, (list, tuple)) else type(params).__name__
            raise shape_error(
                "Sequential.apply",
                f"expects a list of {len(self.layers)} layer params, got {got}",
            )
        for i, (layer, layer_params) in enumerate(zip(self.layers, params, strict=True)):
            layer_rng = rng
            if training and initializers.is_key(rng):
                layer_rng = ag.random.fold_in(rng, i)  # a mask of its own per Dropout layer
            x = layer.apply(layer_params, x, rng=layer_rng, training=training)
        return x
