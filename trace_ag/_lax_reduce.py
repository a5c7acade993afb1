"""``jax.lax``'s reductions, scans, sorts and contractions, as composites: ``reduce_*``,
``reduce`` with any associative computation (a known monoid becomes NumPy's reduction),
``cumsum``/``cumprod``/``cummax``/``cummin``/``cumlogsumexp`` (``reverse=``; the last four by
``associative_scan``, as JAX differentiates them), ``argmax``/``argmin``, ``sort`` by several
keys, ``sort_key_val``, ``top_k``, ``dot_general``, ``dot``, ``batch_matmul`` and the
convolution variants over ``conv_general_dilated``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from trace_ag import _lax_ops, errors
from trace_ag import numpy as tnp
from trace_ag._lax_more import associative_scan, conv_general_dilated
from trace_ag.core import shape_error
from trace_ag.numpy._base import asarray_or_tracer
from trace_ag.tree_util import tree_flatten, tree_unflatten


def _axes(axes: Sequence[int], rank: int, fn: str) -> tuple:
    out = tuple(int(a) % max(rank, 1) if -rank <= int(a) < rank else None for a in axes)
    if None in out or len(set(out)) != len(out):
        raise shape_error(f"lax.{fn}", f"axes {tuple(axes)} are not distinct axes of rank {rank}")
    return out


def _fold(computation: Callable, leaves: list, treedef: Any, axes: tuple) -> list:
    """``leaves`` reduced over ``axes`` by combining halves pairwise (any associative
    ``computation`` of two pytrees of ``treedef``), or ``None`` when an axis is empty."""
    rank = leaves[0].ndim
    rest = [a for a in range(rank) if a not in axes]
    shape = tuple(leaves[0].shape[a] for a in rest)
    xs = [tnp.reshape(tnp.transpose(x, axes + tuple(rest)), (-1, *shape)) for x in leaves]
    n = xs[0].shape[0]
    if n == 0:
        return None
    while n > 1:
        half = n // 2
        left = tree_unflatten(treedef, [x[:half] for x in xs])
        right = tree_unflatten(treedef, [x[half : 2 * half] for x in xs])
        combined = tree_flatten(computation(left, right))[0]
        xs = [tnp.concatenate([c, x[2 * half :]]) if n % 2 else c for c, x in zip(combined, xs, strict=True)]  # fmt: skip  # noqa: E501
        n = xs[0].shape[0]
    return [x[0] for x in xs]


_MONOIDS = {
    "add": (tnp.sum, 0),
    "max": (tnp.max, -np.inf),
    "maximum": (tnp.max, -np.inf),
    "min": (tnp.min, np.inf),
    "minimum": (tnp.min, np.inf),
    "mul": (tnp.prod, 1),
    "multiply": (tnp.prod, 1),
}


def reduce(operands: Any, init_values: Any, computation: Callable, dimensions: Sequence[int]):
    """``jax.lax.reduce``: ``operands`` (an array or a pytree of same-shape arrays) reduced
    over ``dimensions`` by the associative ``computation`` of two such pytrees, starting from
    ``init_values``. ``lax.add``/``max``/``min``/``mul`` become NumPy's reductions.

    Examples:
        >>> lax.reduce(np.arange(6.0).reshape(2, 3), 0.0, lax.add, (0,))
        array([3., 5., 7.])
        >>> def argmin(a, b):  # a pair (value, index): the smaller value's
        ...     first = a[0] <= b[0]
        ...     return tnp.where(first, a[0], b[0]), tnp.where(first, a[1], b[1])
        >>> value, index = lax.reduce((np.array([3.0, 1.0]), np.array([0, 1])), (np.inf, 0),
        ...                           argmin, (0,))
        >>> print(value, index)
        1.0 1
    """
    leaves, treedef = tree_flatten(operands)
    inits, init_def = tree_flatten(init_values)
    if init_def != treedef:
        raise shape_error("lax.reduce", "init_values must have the structure of operands")
    leaves = [asarray_or_tracer(x) for x in leaves]
    if len({tuple(x.shape) for x in leaves}) != 1:
        raise shape_error("lax.reduce", f"operands differ in shape: {[x.shape for x in leaves]}")
    inits = [tnp.astype(asarray_or_tracer(v), x.dtype) for v, x in zip(inits, leaves, strict=True)]
    axes = _axes(dimensions, leaves[0].ndim, "reduce")
    monoid = _MONOIDS.get(computation.__name__) if computation in _KNOWN else None
    if len(leaves) == 1 and monoid is not None:
        result = [monoid[0](leaves[0], axis=axes)] if leaves[0].size else None
    else:
        result = _fold(computation, leaves, treedef, axes)
    out_shape = tuple(n for a, n in enumerate(leaves[0].shape) if a not in axes)
    if result is None:
        return tree_unflatten(treedef, [tnp.broadcast_to(v, out_shape) for v in inits])
    init_value = [_concrete(v) for v in inits]
    if len(leaves) == 1 and monoid is not None and init_value[0] == monoid[1]:
        return result[0]  # the identity changes nothing
    inits = [tnp.broadcast_to(v, out_shape) for v in inits]
    out = computation(tree_unflatten(treedef, inits), tree_unflatten(treedef, result))
    return out


def _concrete(value: Any) -> Any:
    concrete = value.concrete_value() if hasattr(value, "concrete_value") else value
    return None if concrete is None else np.asarray(concrete).item()


_KNOWN = {tnp.add, tnp.maximum, tnp.minimum, tnp.multiply}
_KNOWN |= {_lax_ops.add, _lax_ops.max, _lax_ops.min, _lax_ops.mul}


def _reducer(name: str, numpy_fn: Callable, bitwise: Callable | None, example: str) -> Callable:
    def reducer(operand: Any, axes: Sequence[int]) -> Any:
        x = asarray_or_tracer(operand)
        axes = _axes(axes, x.ndim, name)
        if bitwise is not None and np.dtype(x.dtype) != bool:
            if np.dtype(x.dtype).kind not in "iu":
                raise errors.DTypeError(
                    errors.at_user_line(f"lax.{name} needs booleans or integers, got {x.dtype}")
                )
            init = {"reduce_and": -1, "reduce_or": 0, "reduce_xor": 0}[name]
            return reduce(x, np.asarray(init).astype(x.dtype), bitwise, axes)
        if name == "reduce_xor":
            return reduce(x, np.False_, bitwise, axes)
        return numpy_fn(x, axis=axes)

    reducer.__name__ = reducer.__qualname__ = name
    reducer.__doc__ = (
        f"``jax.lax.{name}``: ``operand`` reduced over ``axes``.\n\n    Examples:\n"
        f"        >>> print(lax.{name}({example}, (0,)))\n        {_EXAMPLE_RESULTS[name]}\n"
    )
    return reducer


_EXAMPLE_RESULTS = {"reduce_sum": "3.0", "reduce_max": "2.0", "reduce_min": "1.0"}
_EXAMPLE_RESULTS |= {"reduce_prod": "2.0", "reduce_and": "2", "reduce_or": "3", "reduce_xor": "1"}
_F, _I = "np.array([1.0, 2.0])", "np.array([3, 2])"
reduce_sum = _reducer("reduce_sum", tnp.sum, None, _F)
reduce_max = _reducer("reduce_max", tnp.max, None, _F)
reduce_min = _reducer("reduce_min", tnp.min, None, _F)
reduce_prod = _reducer("reduce_prod", tnp.prod, None, _F)
reduce_and = _reducer("reduce_and", tnp.all, _lax_ops.bitwise_and, _I)
reduce_or = _reducer("reduce_or", tnp.any, _lax_ops.bitwise_or, _I)
reduce_xor = _reducer("reduce_xor", None, _lax_ops.bitwise_xor, _I)


# ---------------------------------------------------------------- cumulative


def _cumulative(name: str, combine: Callable | None, result: str) -> Callable:
    def cumulative(operand: Any, axis: int = 0, reverse: bool = False) -> Any:
        x = asarray_or_tracer(operand)
        axis = _axes((axis,), x.ndim, name)[0]
        if combine is None:  # cumsum
            if reverse:
                return tnp.flip(tnp.cumsum(tnp.flip(x, axis), axis=axis), axis)
            return tnp.cumsum(x, axis=axis)
        return associative_scan(combine, x, reverse=reverse, axis=axis)

    cumulative.__name__ = cumulative.__qualname__ = name
    cumulative.__doc__ = (
        f"``jax.lax.{name}``: the running reduction along ``axis`` (from the end with "
        f"``reverse=True``).\n\n    Examples:\n"
        f"        >>> lax.{name}(np.array([1.0, 3.0, 2.0]))\n        {result}\n"
    )
    return cumulative


cumsum = _cumulative("cumsum", None, "array([1., 4., 6.])")
cumprod = _cumulative("cumprod", tnp.multiply, "array([1., 3., 6.])")
cummax = _cumulative("cummax", tnp.maximum, "array([1., 3., 3.])")
cummin = _cumulative("cummin", tnp.minimum, "array([1., 1., 1.])")
cumlogsumexp = _cumulative("cumlogsumexp", tnp.logaddexp, "array([1.        , 3.12692801, 3.40760596])")  # fmt: skip  # noqa: E501


# ---------------------------------------------------------------- arg reductions and sorting


def argmax(operand: Any, axis: int, index_dtype: Any) -> Any:
    """``jax.lax.argmax``: the index of the first maximum along ``axis``, of ``index_dtype``.

    Examples:
        >>> lax.argmax(np.array([[1.0, 3.0, 3.0]]), 1, np.int32)
        array([1], dtype=int32)
    """
    x = asarray_or_tracer(operand)
    return tnp.astype(tnp.argmax(x, axis=_axes((axis,), x.ndim, "argmax")[0]), index_dtype)


def argmin(operand: Any, axis: int, index_dtype: Any) -> Any:
    """``jax.lax.argmin``: the index of the first minimum along ``axis``, of ``index_dtype``.

    Examples:
        >>> lax.argmin(np.array([[1.0, 0.0, 0.0]]), 1, np.int32)
        array([1], dtype=int32)
    """
    x = asarray_or_tracer(operand)
    return tnp.astype(tnp.argmin(x, axis=_axes((axis,), x.ndim, "argmin")[0]), index_dtype)


def sort(operand: Any, dimension: int = -1, is_stable: bool = True, num_keys: int = 1) -> Any:
    """``jax.lax.sort``: ``operand`` sorted along ``dimension``; a sequence of same-shape
    arrays is sorted together, ordered by its first ``num_keys`` arrays (lexicographically).
    NaNs go last. Sorting is always stable here.

    Examples:
        >>> lax.sort(np.array([3.0, 1.0, 2.0]))
        array([1., 2., 3.])
        >>> lax.sort((np.array([1, 0, 1]), np.array([5.0, 6.0, 7.0])), num_keys=1)
        (array([0, 1, 1]), array([6., 5., 7.]))
    """
    single = not isinstance(operand, (tuple, list))
    arrays = [asarray_or_tracer(a) for a in ([operand] if single else operand)]
    if not arrays or len({tuple(a.shape) for a in arrays}) != 1:
        raise shape_error("lax.sort", f"operands must share one shape: {[a.shape for a in arrays]}")
    if not 1 <= int(num_keys) <= len(arrays):
        raise ValueError(errors.at_user_line(f"lax.sort: num_keys={num_keys} out of range"))
    axis = _axes((dimension,), arrays[0].ndim, "sort")[0]
    order = None
    for key in reversed(arrays[: int(num_keys)]):  # least significant key first
        keyed = key if order is None else tnp.take_along_axis(key, order, axis=axis)
        step = tnp.argsort(keyed, axis=axis, stable=True)
        order = step if order is None else tnp.take_along_axis(order, step, axis=axis)
    out = [tnp.take_along_axis(a, order, axis=axis) for a in arrays]
    return out[0] if single else type(operand)(out)


def sort_key_val(keys: Any, values: Any, dimension: int = -1, is_stable: bool = True) -> tuple:
    """``jax.lax.sort_key_val``: ``keys`` sorted along ``dimension`` and ``values`` reordered
    with them.

    Examples:
        >>> lax.sort_key_val(np.array([2, 0, 1]), np.array([10.0, 20.0, 30.0]))
        (array([0, 1, 2]), array([20., 30., 10.]))
    """
    return tuple(sort((keys, values), dimension, is_stable, num_keys=1))


def top_k(operand: Any, k: int, *, axis: int = -1) -> tuple:
    """``jax.lax.top_k``: the ``k`` largest entries along the last axis, in decreasing order,
    and their int32 indices (ties: the lower index first).

    Examples:
        >>> lax.top_k(np.array([1.0, 3.0, 2.0, 3.0]), 2)
        (array([3., 3.]), array([1, 3], dtype=int32))
    """
    x = asarray_or_tracer(operand)
    axis = _axes((axis,), x.ndim, "top_k")[0]
    if not 0 <= int(k) <= x.shape[axis]:
        raise shape_error("lax.top_k", f"k={k} must be in [0, {x.shape[axis]}] for {x.shape}")
    kind = np.dtype(x.dtype).kind
    descending = tnp.bitwise_not(x) if kind in "ub" else -x
    order = tnp.argsort(descending, axis=axis, stable=True)
    order = tnp.take(order, np.arange(int(k)), axis=axis)
    return tnp.take_along_axis(x, order, axis=axis), tnp.astype(order, np.int32)


# ---------------------------------------------------------------- contractions


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def dot_general(lhs: Any, rhs: Any, dimension_numbers: Any, precision: Any = None,
                preferred_element_type: Any = None, out_sharding: Any = None) -> Any:  # fmt: skip
    """``jax.lax.dot_general``: contract ``lhs`` and ``rhs`` over
    ``dimension_numbers = ((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch))``. The
    result's axes: batch, then ``lhs``'s free axes, then ``rhs``'s. ``precision`` is accepted.

    Examples:
        >>> a, b = np.ones((2, 3, 4)), np.ones((2, 4, 5))
        >>> lax.dot_general(a, b, (((2,), (1,)), ((0,), (0,)))).shape
        (2, 3, 5)
    """
    x, y = asarray_or_tracer(lhs), asarray_or_tracer(rhs)
    (lc, rc), (lb, rb) = dimension_numbers
    lc, rc = _axes(lc, x.ndim, "dot_general"), _axes(rc, y.ndim, "dot_general")
    lb, rb = _axes(lb, x.ndim, "dot_general"), _axes(rb, y.ndim, "dot_general")
    pairs = list(zip(lc, rc, strict=False)) + list(zip(lb, rb, strict=False))
    if (
        len(lc) != len(rc)
        or len(lb) != len(rb)
        or set(lc) & set(lb)
        or set(rc) & set(rb)
        or any(x.shape[i] != y.shape[j] for i, j in pairs)
    ):
        raise shape_error(
            "lax.dot_general",
            f"dimension_numbers {dimension_numbers} do not pair axes of equal size in "
            f"{x.shape} and {y.shape}",
        )
    names = iter(_LETTERS)
    x_sub, y_sub = [None] * x.ndim, [None] * y.ndim
    for i, j in pairs:
        x_sub[i] = y_sub[j] = next(names)
    x_sub = [s or next(names) for s in x_sub]
    y_sub = [s or next(names) for s in y_sub]
    free_x = [x_sub[i] for i in range(x.ndim) if i not in lc + lb]
    free_y = [y_sub[j] for j in range(y.ndim) if j not in rc + rb]
    out_sub = [x_sub[i] for i in lb] + free_x + free_y
    spec = f"{''.join(x_sub)},{''.join(y_sub)}->{''.join(out_sub)}"
    out = tnp.einsum(spec, x, y)
    return out if preferred_element_type is None else tnp.astype(out, preferred_element_type)


def dot(lhs: Any, rhs: Any, precision: Any = None, preferred_element_type: Any = None,
        out_sharding: Any = None) -> Any:  # fmt: skip
    """``jax.lax.dot``: the last axis of ``lhs`` contracted with the first of ``rhs``
    (vector-vector, matrix-vector, matrix-matrix).

    Examples:
        >>> lax.dot(np.ones((2, 3)), np.ones(3))
        array([3., 3.])
    """
    x, y = asarray_or_tracer(lhs), asarray_or_tracer(rhs)
    if x.ndim not in (1, 2) or y.ndim not in (1, 2):
        raise shape_error("lax.dot", f"needs vectors or matrices, got {x.shape} and {y.shape}")
    numbers = (((x.ndim - 1,), (0,)), ((), ()))
    return dot_general(x, y, numbers, precision, preferred_element_type)


def batch_matmul(lhs: Any, rhs: Any, precision: Any = None) -> Any:
    """``jax.lax.batch_matmul``: matrix products over equal leading batch axes.

    Examples:
        >>> lax.batch_matmul(np.ones((4, 2, 3)), np.ones((4, 3, 5))).shape
        (4, 2, 5)
    """
    x, y = asarray_or_tracer(lhs), asarray_or_tracer(rhs)
    if x.ndim != y.ndim or x.ndim < 2 or x.shape[:-2] != y.shape[:-2] or x.shape[-1] != y.shape[-2]:
        raise shape_error(
            "lax.batch_matmul",
            f"needs (..., m, k) and (..., k, n) arrays, got {x.shape} and {y.shape}",
        )
    return tnp.matmul(x, y)


def conv_with_general_padding(lhs: Any, rhs: Any, window_strides: Sequence[int], padding: Any,
                              lhs_dilation: Sequence[int] | None,
                              rhs_dilation: Sequence[int] | None, precision: Any = None,
                              preferred_element_type: Any = None) -> Any:  # fmt: skip
    """``jax.lax.conv_with_general_padding``: ``conv_general_dilated`` in NCHW / OIHW.

    Examples:
        >>> lax.conv_with_general_padding(np.ones((1, 1, 3)), np.ones((1, 1, 2)), (1,),
        ...                               [(1, 1)], None, None)[0, 0]
        array([1., 2., 2., 1.])
    """
    return conv_general_dilated(
        lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
        precision=precision, preferred_element_type=preferred_element_type,
    )  # fmt: skip


def _transpose_pads(kernel: int, stride: int, padding: str) -> tuple:
    """The (low, high) padding of the dilated input that makes ``conv_transpose`` the
    gradient of a ``padding`` convolution (JAX's convention)."""
    if padding == "SAME":
        total = kernel + stride - 2
        low = kernel - 1 if stride > kernel - 1 else -(-total // 2)
    elif padding == "VALID":
        total = kernel + stride - 2 + max(kernel - stride, 0)
        low = kernel - 1
    else:
        raise ValueError(errors.at_user_line(f"lax.conv_transpose: unknown padding {padding!r}"))
    return low, total - low


def conv_transpose(lhs: Any, rhs: Any, strides: Sequence[int], padding: Any,
                   rhs_dilation: Sequence[int] | None = None, dimension_numbers: Any = None,
                   transpose_kernel: bool = False, precision: Any = None,
                   preferred_element_type: Any = None) -> Any:  # fmt: skip
    """``jax.lax.conv_transpose``: a transposed ("deconvolution") convolution, the input
    dilated by ``strides``; layouts default to NHWC / HWIO (NHC / HIO in 1-D), and
    ``transpose_kernel=True`` flips the kernel's spatial axes and swaps its I/O axes (the
    exact gradient of ``conv_general_dilated``).

    Examples:
        >>> lax.conv_transpose(np.ones((1, 2, 1)), np.ones((2, 1, 1)), (2,), "VALID")[0, :, 0]
        array([1., 1., 1., 1.])
    """
    from trace_ag._lax_more import dimension_perms

    x, w = asarray_or_tracer(lhs), asarray_or_tracer(rhs)
    if dimension_numbers is None:
        spatial = "HW"[: x.ndim - 2] if x.ndim <= 4 else None
        if spatial is None:
            raise errors.UnsupportedFunctionError(
                errors.at_user_line("lax.conv_transpose: only 1-D and 2-D convolutions")
            )
        dimension_numbers = (f"N{spatial}C", f"{spatial}IO", f"N{spatial}C")
    _, rhs_perm, _ = dimension_perms(dimension_numbers, x.ndim)
    kernel = [w.shape[a] for a in rhs_perm[2:]]
    rdil = [1] * len(kernel) if rhs_dilation is None else [int(d) for d in rhs_dilation]
    span = [(k - 1) * d + 1 for k, d in zip(kernel, rdil, strict=True)]
    if isinstance(padding, str):
        pads = [_transpose_pads(k, int(s), padding.upper()) for k, s in zip(span, strides, strict=True)]  # fmt: skip  # noqa: E501
    else:
        pads = padding
    if transpose_kernel:
        w = tnp.flip(w, axis=tuple(rhs_perm[2:]))
        w = tnp.swapaxes(w, rhs_perm[0], rhs_perm[1])
    return conv_general_dilated(
        x, w, (1,) * len(kernel), pads, lhs_dilation=strides, rhs_dilation=rdil,
        dimension_numbers=dimension_numbers, precision=precision,
        preferred_element_type=preferred_element_type,
    )  # fmt: skip


class ConvDimensionNumbers(NamedTuple):
    """``jax.lax.ConvDimensionNumbers``: the axis order of the batch/feature/spatial axes of
    the input, the kernel (out-feature, in-feature, spatial) and the output."""

    lhs_spec: tuple
    rhs_spec: tuple
    out_spec: tuple


def conv_dimension_numbers(lhs_shape: Sequence[int], rhs_shape: Sequence[int],
                           dimension_numbers: Any) -> ConvDimensionNumbers:  # fmt: skip
    """``jax.lax.conv_dimension_numbers``: layout strings (or ``None``, NCHW/OIHW) as axis
    permutations.

    Examples:
        >>> lax.conv_dimension_numbers((1, 5, 5, 3), (3, 3, 3, 4), ("NHWC", "HWIO", "NHWC"))
        ConvDimensionNumbers(lhs_spec=(0, 3, 1, 2), rhs_spec=(3, 2, 0, 1), out_spec=(0, 3, 1, 2))
    """
    from trace_ag._lax_more import dimension_perms

    if len(lhs_shape) != len(rhs_shape):
        raise shape_error(
            "lax.conv_dimension_numbers", f"{lhs_shape} and {rhs_shape} differ in rank"
        )
    return ConvDimensionNumbers(*dimension_perms(dimension_numbers, len(lhs_shape)))


def padtype_to_pads(in_shape: Sequence[int], window_shape: Sequence[int],
                    window_strides: Sequence[int], padding: str) -> list:  # fmt: skip
    """``jax.lax.padtype_to_pads``: the (low, high) pairs of "SAME", "SAME_LOWER" or "VALID".

    Examples:
        >>> lax.padtype_to_pads((5, 6), (2, 3), (1, 2), "SAME")
        [(0, 1), (0, 1)]
    """
    mode = padding.upper() if isinstance(padding, str) else padding
    if mode == "VALID":
        return [(0, 0)] * len(in_shape)
    if mode not in ("SAME", "SAME_LOWER"):
        raise ValueError(f"lax.padtype_to_pads: unknown padding {padding!r}")
    pads = []
    for n, k, s in zip(in_shape, window_shape, window_strides, strict=True):
        total = max((-(-int(n) // int(s)) - 1) * int(s) + int(k) - int(n), 0)
        small, big = total // 2, total - total // 2
        pads.append((small, big) if mode == "SAME" else (big, small))
    return pads
