"""The array API's names in ``numpy.linalg`` (NumPy 2 and ``jax.numpy.linalg`` have them):
each is a composite of trace_ag.numpy functions acting on the last axis or the last two, so
it is traceable and differentiable like them."""

from __future__ import annotations

from typing import Any

from trace_ag.numpy import _more_index, _more_math, _shape
from trace_ag.numpy import _reductions as red
from trace_ag.numpy._aliases import matrix_transpose, vecdot  # noqa: F401  (the same here)
from trace_ag.numpy._base import asarray_or_tracer
from trace_ag.numpy._linalg import norm
from trace_ag.numpy._linalg import outer as _flat_outer
from trace_ag.numpy._linalg import tensordot as _tensordot
from trace_ag.numpy._linalg_more import inv, svdvals


def diagonal(x: Any, *, offset: int = 0) -> Any:
    """The ``offset`` diagonal of each matrix of a stack (the last two axes).

    Examples:
        >>> tnp.linalg.diagonal(np.arange(9.0).reshape(3, 3), offset=1)
        array([1., 5.])
    """
    return _more_index.diagonal(x, offset, axis1=-2, axis2=-1)


def trace(x: Any, *, offset: int = 0, dtype: Any = None) -> Any:
    """The sum of the ``offset`` diagonal of each matrix of a stack.

    Examples:
        >>> tnp.linalg.trace(np.arange(8.0).reshape(2, 2, 2))
        array([ 3., 11.])
    """
    return red.sum(diagonal(x, offset=offset), axis=-1, dtype=dtype)


def outer(x1: Any, x2: Any) -> Any:
    """The outer product of two vectors (1-d only, as the array API says).

    Examples:
        >>> tnp.linalg.outer(np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])).shape
        (2, 3)
    """
    x1, x2 = asarray_or_tracer(x1), asarray_or_tracer(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(
            f"linalg.outer: takes two vectors, got shapes {x1.shape} and {x2.shape} "
            "(tnp.outer flattens its operands)"
        )
    return _flat_outer(x1, x2)


def cross(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """Cross products of 3-vectors along ``axis`` (both operands must have 3 entries there).

    Examples:
        >>> tnp.linalg.cross(np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
        array([0., 0., 1.])
    """
    x1, x2 = asarray_or_tracer(x1), asarray_or_tracer(x2)
    if x1.shape[axis] != 3 or x2.shape[axis] != 3:
        raise ValueError(
            f"linalg.cross: axis {axis} must have 3 entries in both operands, got shapes "
            f"{x1.shape} and {x2.shape}"
        )
    return _more_math.cross(x1, x2, axis=axis)


def tensordot(x1: Any, x2: Any, /, *, axes: Any = 2) -> Any:
    """``tnp.tensordot`` with ``axes`` keyword-only, as the array API spells it.

    Examples:
        >>> tnp.linalg.tensordot(np.ones((2, 3)), np.ones((3, 4)), axes=1).shape
        (2, 4)
    """
    return _tensordot(x1, x2, axes)


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:  # noqa: A002
    """The ``ord`` norm of each matrix of a stack (the last two axes).

    Examples:
        >>> float(tnp.linalg.matrix_norm(np.eye(2) * 3.0, ord=2))
        3.0
    """
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:  # noqa: A002
    """The ``ord`` norm over ``axis`` (an int, a tuple of axes taken as one flattened vector,
    or None: all of ``x``).

    Examples:
        >>> float(tnp.linalg.vector_norm(np.array([[3.0], [4.0]])))
        5.0
    """
    x = asarray_or_tracer(x)
    if axis is None:
        out = norm(_shape.ravel(x), ord=ord)
        return _shape.reshape(out, (1,) * x.ndim) if keepdims else out
    if isinstance(axis, tuple) and len(axis) > 1:
        axes = tuple(a % x.ndim for a in axis)
        rest = [a for a in range(x.ndim) if a not in axes]
        moved = _shape.transpose(x, (*rest, *axes))
        flat = _shape.reshape(moved, tuple(x.shape[a] for a in rest) + (-1,))
        out = norm(flat, ord=ord, axis=-1)
        if keepdims:
            out = _shape.reshape(out, tuple(1 if a in axes else n for a, n in enumerate(x.shape)))
        return out
    return norm(x, ord=ord, axis=axis[0] if isinstance(axis, tuple) else axis, keepdims=keepdims)


def cond(x: Any, p: Any = None) -> Any:
    """The condition number of each matrix: ``norm(x, p) * norm(inv(x), p)``, or the ratio of
    the largest to the smallest singular value for ``p`` None, 2 or -2 (its inverse for -2).

    Examples:
        >>> float(tnp.linalg.cond(np.diag([1.0, 4.0])))
        4.0
    """
    x = asarray_or_tracer(x)
    if x.ndim < 2:
        raise ValueError(f"linalg.cond: needs matrices (at least 2-d), got shape {x.shape}")
    if p is None or p in (2, -2):
        s = svdvals(x)
        ratio = s[..., 0] / s[..., -1]
        return 1.0 / ratio if p == -2 else ratio
    return matrix_norm(x, ord=p) * matrix_norm(inv(x), ord=p)
