"""PyTorch-lite layers for the lecture: ``Module`` (parameters found by attribute assignment,
``__call__`` -> ``forward``) and ``Linear``, ``Conv2d``, ``AvgPool2d``, ``MaxPool2d``, ``ReLU``,
``Flatten``, ``Sequential``.

``Conv2d`` is the lecture's im2col convolution: the patches ``X_patches`` of shape
``(N, P, C*K*K)`` come from ``X_flat @ im2col_matrix_dense`` (``method="dense"``),
``spcmatmul(X_flat, im2col_matrix_sparse)`` (``"sparse"``) or the core's strided ``im2col``
primitive (``"strided"``, via ``trace_ag.convolution``); one matmul with the ``(O, C*K*K)``
weights finishes the job. All three record core primitives and give the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag import numpy as tnp
from trace_ag.lecture._functions import moveaxis
from trace_ag.lecture._im2col import im2col_matrix_dense, im2col_matrix_sparse, spcmatmul
from trace_ag.lecture._node import Node, record
from trace_ag.lecture._tensor import Tensor

METHODS = ("sparse", "dense", "strided")


class Module:
    """Base class of layers and models: assigning a Tensor to an attribute registers it in
    ``_parameters``, assigning a Module registers a submodule; ``module(x)`` calls ``forward``.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> class Net(ag.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = ag.Linear(3, 1)
        ...     def forward(self, x):
        ...         return self.fc(x)
        >>> len(Net().parameters())       # weight and bias
        2
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:  # a subclass forgot super().__init__()
            Module.__init__(self)
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Node):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Node]]:
        """``(dotted name, parameter)`` pairs, this module's first, then its submodules'."""
        stack = [(prefix, self)]
        while stack:
            path, module = stack.pop(0)
            for name, p in module.__dict__.get("_parameters", {}).items():
                yield path + name, p
            for name, child in module.__dict__.get("_modules", {}).items():
                stack.append((f"{path}{name}.", child))

    def parameters(self) -> list[Node]:
        """Every parameter of this module and its submodules (each once)."""
        seen: dict[int, Node] = {}
        for _, p in self.named_parameters():
            seen.setdefault(id(p), p)
        return list(seen.values())

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = p._zero_grad()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)


def _uniform(rng: Any, bound: float, shape: tuple[int, ...]) -> np.ndarray:
    source = np.random if rng is None else rng  # None: NumPy's global state (np.random.seed)
    return source.uniform(-bound, bound, size=shape)


class Linear(Module):
    """``y = x @ weight.T + bias`` with ``weight`` of shape ``(out_features, in_features)``.

    Initialised uniformly in ``+-1/sqrt(in_features)`` as in PyTorch; ``rng`` is a NumPy
    ``Generator`` (default: NumPy's global random state, so ``np.random.seed`` applies).

    Examples:
        >>> import trace_ag.lecture as ag
        >>> ag.Linear(4, 2)(ag.Tensor(np.ones((3, 4)))).shape
        (3, 2)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, rng=None):
        super().__init__()
        bound = 1 / math.sqrt(in_features)
        self.weight = Tensor(_uniform(rng, bound, (out_features, in_features)), label="weight")
        self.bias = Tensor(_uniform(rng, bound, (out_features,)), label="bias") if bias else None

    def forward(self, x: Any) -> Tensor:
        y = x @ self.weight.T
        return y + self.bias if self.bias is not None else y


class Conv2d(Module):
    """The lecture's convolution: im2col patches times the flattened kernels, plus a bias.

    Input ``(N, C, H, W)``, output ``(N, out_channels, OH, OW)`` with
    ``OH = (H - K) // stride + 1``; no padding. ``method`` is ``"sparse"`` (the default, as in
    the lecture), ``"dense"`` or ``"strided"``; all give identical outputs and gradients.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> conv = ag.Conv2d(3, 6, kernel_size=5)
        >>> conv(ag.Tensor(np.zeros((2, 3, 32, 32)))).shape
        (2, 6, 28, 28)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        method: str = "sparse",
        *,
        rng=None,
    ):
        super().__init__()
        if method not in METHODS:
            raise ValueError(
                errors.at_user_line(f"Conv2d: method must be one of {METHODS}, got {method!r}")
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.method = kernel_size, stride, method
        bound = 1 / math.sqrt(in_channels * kernel_size * kernel_size)
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.weight = Tensor(_uniform(rng, bound, shape), label="weight")
        self.bias = Tensor(_uniform(rng, bound, (out_channels,)), label="bias")
        self._matrices: dict[tuple, Any] = {}

    def patches(self, X: Any) -> Tensor:
        """``X_patches`` flattened per patch: shape ``(N, P, C*K*K)``."""
        shape = np.shape(X.value if isinstance(X, Node) else X)
        if len(shape) != 4 or shape[1] != self.in_channels:
            raise errors.ShapeError(
                errors.at_user_line(
                    f"Conv2d: expected an input of shape (N, {self.in_channels}, H, W), got "
                    f"shape {shape}"
                )
            )
        N, C, H, W = shape
        K, S = self.kernel_size, self.stride
        if self.method == "strided":
            from trace_ag import convolution

            return record(
                "im2col",
                lambda x: tnp.reshape(convolution.im2col(x, K, stride=S), (N, -1, C * K * K)),
                X,
            )
        key = (C, H, W)
        if key not in self._matrices:
            build = im2col_matrix_dense if self.method == "dense" else im2col_matrix_sparse
            self._matrices[key] = build(np.zeros((1, C, H, W)), K, S)
        M = self._matrices[key]
        flat = X.reshape(N, -1) if isinstance(X, Node) else np.reshape(X, (N, -1))
        cols = flat @ M if self.method == "dense" else spcmatmul(flat, M)
        return cols.reshape(N, -1, C * K * K)

    def forward(self, X: Any) -> Tensor:
        N, _, H, W = np.shape(X.value if isinstance(X, Node) else X)
        K, S = self.kernel_size, self.stride
        OH, OW = (H - K) // S + 1, (W - K) // S + 1
        out = self.patches(X) @ self.weight.reshape(self.out_channels, -1).T + self.bias
        return moveaxis(out, -1, 1).reshape(N, self.out_channels, OH, OW)  # (N, P, O) -> NCHW


def _windows(x: Any, k: int, fn: str) -> tuple[Any, tuple[int, ...]]:
    """Crop ``x: (N, C, H, W)`` to multiples of ``k`` and split it into ``k x k`` windows."""
    shape = np.shape(x.value if isinstance(x, Node) else x)
    if len(shape) != 4 or shape[2] < k or shape[3] < k:
        raise errors.ShapeError(
            errors.at_user_line(f"{fn}: a {k}x{k} window needs (N, C, H, W) input, got {shape}")
        )
    N, C, H, W = shape
    return (N, C, H // k, k, W // k, k), (slice(None), slice(None), slice(0, H // k * k),
                                          slice(0, W // k * k))  # fmt: skip


class AvgPool2d(Module):
    """The mean of each non-overlapping ``kernel_size x kernel_size`` window.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> ag.AvgPool2d(2)(ag.Tensor(np.arange(16.0).reshape(1, 1, 4, 4))).value[0, 0]
        array([[ 2.5,  4.5],
               [10.5, 12.5]])
    """

    def __init__(self, kernel_size: int):
        super().__init__()
        self.kernel_size = kernel_size

    def forward(self, x: Any) -> Tensor:
        shape, crop = _windows(x, self.kernel_size, "AvgPool2d")
        return record("avg_pool", lambda v: tnp.mean(tnp.reshape(v[crop], shape), axis=(3, 5)), x)


class MaxPool2d(Module):
    """The max of each non-overlapping ``kernel_size x kernel_size`` window.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> ag.MaxPool2d(2)(ag.Tensor(np.arange(16.0).reshape(1, 1, 4, 4))).value[0, 0]
        array([[ 5.,  7.],
               [13., 15.]])
    """

    def __init__(self, kernel_size: int):
        super().__init__()
        self.kernel_size = kernel_size

    def forward(self, x: Any) -> Tensor:
        shape, crop = _windows(x, self.kernel_size, "MaxPool2d")
        return record("max_pool", lambda v: tnp.max(tnp.reshape(v[crop], shape), axis=(3, 5)), x)


class ReLU(Module):
    """``max(x, 0)`` as a layer. Example: ``ag.ReLU()(ag.Tensor([-1.0, 2.0])).value``."""

    def forward(self, x: Any) -> Tensor:
        return record("relu", tnp.relu, x)


class Flatten(Module):
    """``(N, ...)`` -> ``(N, -1)``. Example: ``ag.Flatten()(ag.Tensor(np.zeros((2, 3, 4)))).shape``
    is ``(2, 12)``."""

    def forward(self, x: Any) -> Tensor:
        n = np.shape(x.value if isinstance(x, Node) else x)[0]
        return record("flatten", lambda v: tnp.reshape(v, (n, -1)), x)


class Sequential(Module):
    """Layers applied in order; ``seq[i]`` is the i-th layer.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> net = ag.Sequential(ag.Linear(2, 8), ag.ReLU(), ag.Linear(8, 1))
        >>> net(ag.Tensor(np.ones((5, 2)))).shape
        (5, 1)
    """

    def __init__(self, *layers: Module):
        super().__init__()
        for i, layer in enumerate(layers):
            setattr(self, str(i), layer)
        self.layers = list(layers)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x
