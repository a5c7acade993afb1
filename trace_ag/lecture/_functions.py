"""The lecture's functions on Scalars and Tensors: each one is a ``trace_ag.numpy`` call recorded
by ``record``, so its gradient comes from the core's vjp rules.

``unbroadcast`` is the lecture's helper, public for teaching: it is the very function every
binary vjp rule of the core uses to sum a cotangent back down to an operand's shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.lecture._node import Node, record
from trace_ag.primitives import _rules


def exp(x: Any) -> Node:
    """Elementwise ``e**x``. Example: ``ag.exp(ag.Scalar(0.0)).value == 1.0``."""
    return record("exp", tnp.exp, x)


def log(x: Any) -> Node:
    """Elementwise natural logarithm. Example: ``ag.log(ag.Tensor([1.0])).value`` is ``[0.]``."""
    return record("log", tnp.log, x)


def relu(x: Any) -> Node:
    """``max(x, 0)`` with gradient 0 at 0. Example: ``ag.relu(ag.Scalar(-2.0)).value == 0.0``."""
    return record("relu", tnp.relu, x)


def tanh(x: Any) -> Node:
    """Elementwise hyperbolic tangent. Example: ``ag.tanh(ag.Scalar(0.0)).value == 0.0``."""
    return record("tanh", tnp.tanh, x)


def sigmoid(x: Any) -> Node:
    """The logistic function, without overflow. Example: ``ag.sigmoid(ag.Scalar(0.0))`` is 0.5."""
    return record("sigmoid", tnp.sigmoid, x)


def sum(x: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Node:
    """Sum over ``axis`` (all axes when None), like ``np.sum``.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> ag.sum(ag.Tensor(np.ones((2, 3))), axis=0).value
        array([2., 2., 2.])
    """
    return record("sum", lambda v: tnp.sum(v, axis=axis, keepdims=keepdims), x)


def mean(x: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Node:
    """Mean over ``axis`` (all axes when None), like ``np.mean``.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> ag.mean(ag.Tensor([1.0, 2.0, 6.0])).value
        array(3.)
    """
    return record("mean", lambda v: tnp.mean(v, axis=axis, keepdims=keepdims), x)


def reshape(x: Any, newshape: Any) -> Node:
    """``x`` with a new shape; one entry may be -1 (Exercise 2.1).

    Examples:
        >>> import trace_ag.lecture as ag
        >>> ag.reshape(ag.Tensor(np.arange(6.0)), (2, -1)).shape
        (2, 3)
    """
    return record("reshape", lambda v: tnp.reshape(v, newshape), x)


def moveaxis(x: Any, source: int | tuple[int, ...], destination: int | tuple[int, ...]) -> Node:
    """Move axes to new positions, like ``np.moveaxis``.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> ag.moveaxis(ag.Tensor(np.zeros((2, 3, 4))), -1, 1).shape
        (2, 4, 3)
    """
    return record("moveaxis", lambda v: tnp.moveaxis(v, source, destination), x)


def matmul(a: Any, b: Any) -> Node:
    """Matrix product with NumPy's rules (1-D operands, batch broadcasting): ``a @ b``.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> ag.matmul(ag.Tensor(np.eye(2)), ag.Tensor([1.0, 2.0])).value
        array([1., 2.])
    """
    return record("matmul", tnp.matmul, a, b)


def logsumexp(x: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Node:
    """``log(sum(exp(x)))`` computed without overflow (the max is subtracted first).

    Examples:
        >>> import trace_ag.lecture as ag
        >>> ag.logsumexp(ag.Tensor([1e4, 0.0])).value
        array(10000.)
    """
    return record("logsumexp", lambda v: tnp.logsumexp(v, axis=axis, keepdims=keepdims), x)


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` back down to ``shape``, undoing NumPy broadcasting (the lecture's helper).

    This is the core's own helper (``trace_ag.primitives._rules.unbroadcast``), the one every
    binary vjp rule calls: leading axes that broadcasting added are summed away, and axes where
    ``shape`` has 1 are summed with keepdims. On a NumPy array it returns a NumPy array; on a
    Tensor it records the sum, so it can be differentiated.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> X1, X2 = np.ones((2, 3, 1, 5, 6)), np.ones((4, 1, 6))
        >>> g = np.ones((X1 * X2).shape)             # (2, 3, 4, 5, 6)
        >>> ag.unbroadcast(g, X1.shape).shape, ag.unbroadcast(g, X2.shape).shape
        ((2, 3, 1, 5, 6), (4, 1, 6))
    """
    shape = tuple(shape)
    if isinstance(g, Node):
        return record("unbroadcast", lambda v: _rules.unbroadcast(v, shape), g)
    return np.asarray(_rules.unbroadcast(np.asarray(g), shape))
