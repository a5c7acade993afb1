"""The lecture's ``ag.Scalar`` (a Python float with a gradient) and ``ag.Tensor`` (a NumPy array
with a gradient of the same shape). Their operations are recorded by ``_node.record``; their
``.backward()`` is ``Node.backward``, which runs the core's vjp rules. Scalar's operators on
Scalars and Python numbers run on floats after their first call (``_scalar_ops``), with the
same primitives and rules.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.core import Var, aval_of
from trace_ag.lecture._node import Node, materialize, record
from trace_ag.lecture._scalar_ops import attach_scalar_operators


class Scalar(Node, kind="scalar"):
    """A Python float with a gradient, the lecture's ``ag.Scalar``.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> x, y = ag.Scalar(1.5, label="x"), ag.Scalar(-0.3, label="y")
        >>> s = x + y
        >>> f = ag.log(1 + ag.exp(-s)) * s
        >>> f.backward()
        >>> round(x.grad, 6), round(y.grad, 6)  # equal, since f depends on x + y only
        (-0.014488, -0.014488)
    """

    # Slots: a Scalar op makes one small object (a training loop makes thousands); the
    # ``__dict__`` slot keeps any other attribute working, made only when one is set.
    __slots__ = (
        "_value",
        "grad",
        "label",
        "op",
        "inputs",
        "_backward",
        "_order",
        "_var",
        "_eqns",
        "_env",
        "_fast",
        "_args",
        "_ct",
        "__dict__",
        "__weakref__",
    )

    def __init__(
        self, value: Any, label: str = "", *, op: str = "", _backward=None, inputs=()
    ) -> None:
        self.value = value
        self._fast, self._ct = None, None
        self._init_leaf(label, op, inputs, _backward)

    def __getattr__(self, name: str) -> Any:
        """A Scalar made on floats makes its Var and recorded equations when first asked; one
        made by tracing has no FloatOp."""
        if name in ("_var", "_eqns", "_env"):
            try:
                float_op = object.__getattribute__(self, "_fast")
            except AttributeError:
                float_op = None
            if float_op is not None:
                return materialize(self, name)
        elif name in ("_fast", "_ct", "_backward"):
            return None  # (a Scalar made on floats sets only what its ops need)
        elif name == "_args":
            return ()
        elif name == "label":
            return ""
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def value(self) -> float:
        return self._value

    @value.setter
    def value(self, value: Any) -> None:
        self._value = float(value.value if isinstance(value, Node) else value)

    def _data(self) -> Any:
        return np.float64(self._value)

    def _zero_grad(self) -> float:
        return 0.0

    def _accumulate(self, ct: Any) -> None:
        self.grad = self.grad + float(ct)

    def __repr__(self) -> str:
        extra = f", op={self.op!r}" if self.op else ""
        extra += f", label={self.label!r}" if self.label else ""
        return f"Scalar(value={self.value:.6g}, grad={self.grad:.6g}{extra})"


attach_scalar_operators(Scalar)


class Tensor(Node, kind="tensor"):
    """A NumPy array with a gradient of the same shape, the lecture's ``ag.Tensor``.

    Integer and boolean values become float64 (gradients need floats); the value is copied.
    ``op``, ``inputs`` and ``_backward`` are the slides' way to write an operation by hand
    (``out = ag.Tensor(np.log(x.value), inputs=[x], op="log")``, then ``out._backward = f``
    with ``f`` doing ``x.grad += out.grad / x.value``); ``backward()`` runs such closures too.
    The built-in operations record core primitives instead.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> z = ag.Tensor(np.array([1.0, 2.0, 3.0]), label="z1\\nleaf(z)")
        >>> expX = ag.exp(z)
        >>> p = expX / ag.sum(expX)
        >>> nll = -ag.log(p[0])
        >>> nll.backward()
        >>> z.grad.round(4)  # softmax(z) - [1, 0, 0]
        array([-0.91  ,  0.2447,  0.6652])
    """

    def __init__(
        self, value: Any, label: str = "", *, op: str = "", _backward=None, inputs=()
    ) -> None:
        self.value = np.array(value.value if isinstance(value, Node) else value)
        self._init_leaf(label, op, inputs, _backward)

    @property
    def value(self) -> np.ndarray:
        return self._value

    @value.setter
    def value(self, value: Any) -> None:
        value = np.asarray(value)
        if not np.issubdtype(value.dtype, np.inexact):
            value = value.astype(np.float64)
        self._value = value
        var = getattr(self, "_var", None)
        if var is not None and aval_of(value) != var.aval:
            self._var = Var(aval_of(value))  # a new shape or dtype: a new variable

    def _data(self) -> Any:
        return self._value

    def _zero_grad(self) -> np.ndarray:
        return np.zeros_like(self._value)

    def _accumulate(self, ct: Any) -> None:
        self.grad = self.grad + np.asarray(ct)

    dtype = property(lambda self: self._value.dtype)
    ndim = property(lambda self: self._value.ndim)
    size = property(lambda self: self._value.size)
    T = property(lambda self: record("transpose", tnp.transpose, self))

    def __len__(self) -> int:
        return len(self._value)

    def __getitem__(self, index: Any) -> Tensor:
        """``x[index]``, basic or advanced indexing, recorded as the core's ``getitem``.

        The slide's ``self.grad[idx] += output.grad  # idx must not have repeats!`` is fixed
        here: the vjp of ``getitem`` is ``scatter_add``, which adds at repeated indices, so
        ``x[[0, 0, 2]]`` sends two cotangents to ``x[0]``.

        Examples:
            >>> import trace_ag.lecture as ag
            >>> x = ag.Tensor([1.0, 2.0, 3.0]); ag.sum(x[[0, 0, 2]]).backward(); x.grad
            array([2., 0., 1.])
        """
        index = _index_values(index)
        return record("getitem", lambda x: tnp.getitem(x, index), self)

    def reshape(self, *shape: Any) -> Tensor:
        """``x.reshape(2, -1)`` or ``x.reshape((2, -1))``, like NumPy."""
        new = shape[0] if len(shape) == 1 else shape
        return record("reshape", lambda x: tnp.reshape(x, new), self)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return record("sum", lambda x: tnp.sum(x, axis=axis, keepdims=keepdims), self)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return record("mean", lambda x: tnp.mean(x, axis=axis, keepdims=keepdims), self)

    def __repr__(self) -> str:
        extra = f", op={self.op!r}" if self.op else ""
        extra += f", label={self.label!r}" if self.label else ""
        return f"Tensor(value={self._value!r}, grad={self.grad!r}{extra})"


def _index_values(index: Any) -> Any:
    """An index with Tensors replaced by their (constant) values."""
    if isinstance(index, tuple):
        return tuple(_index_values(i) for i in index)
    if isinstance(index, Node):
        value = np.asarray(index.value)
        return value.astype(np.intp) if value.dtype.kind == "f" else value
    return index
