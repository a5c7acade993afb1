"""``jax.lax`` functions written as composites of trace_ag operations: dynamic slicing (start
indices clamped into range, as in JAX), ``select``, ``map``, ``associative_scan`` (JAX's
odd/even recursion), ``reduce_window`` and ``conv_general_dilated`` over ``conv2d``.

They need no primitives of their own: every transform (grad, jvp, vmap, jit on both backends)
comes from the operations they are written with.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag import numpy as tnp
from trace_ag.core import Tracer, shape_error
from trace_ag.numpy._base import asarray_or_tracer


class Precision(enum.Enum):
    """``jax.lax.Precision``: accepted for compatibility; NumPy always computes at full
    precision of the dtype."""

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2


# ---------------------------------------------------------------- dynamic slicing


def _starts(operand: Any, start_indices: Any, sizes: Sequence[int], fn: str) -> list:
    """Start indices wrapped (negative counts from the end) and clamped so that a window of
    ``sizes`` fits, as JAX does; Python ints stay ints."""
    starts = list(start_indices) if not isinstance(start_indices, Tracer) else list(start_indices)
    if len(starts) != operand.ndim or len(sizes) != operand.ndim:
        raise shape_error(
            fn,
            f"needs one start index and one size per axis of the operand {operand.shape}, got "
            f"{len(starts)} start indices and sizes {tuple(sizes)}",
        )
    out = []
    for start, size, n in zip(starts, sizes, operand.shape, strict=True):
        if not 0 <= size <= n:
            raise shape_error(fn, f"slice size {size} does not fit an axis of size {n}")
        if isinstance(start, (int, np.integer)) or (
            isinstance(start, np.ndarray) and start.ndim == 0
        ):
            start = int(start)
            start = start + n if start < 0 else start
            out.append(min(max(start, 0), n - size))
        else:
            start = asarray_or_tracer(start)
            if start.ndim != 0 or not np.issubdtype(np.dtype(start.dtype), np.integer):
                raise shape_error(fn, f"start indices must be integer scalars, got {start}")
            start = tnp.where(start < 0, start + n, start)
            out.append(tnp.clip(start, 0, n - size))
    return out


def _window_index(starts: list, sizes: Sequence[int]) -> tuple:
    """The index of the window at ``starts``: slices for static starts, an open mesh of index
    arrays (as ``np.ix_``) as soon as one start is traced."""
    if all(isinstance(s, int) for s in starts):
        return tuple(slice(s, s + k) for s, k in zip(starts, sizes, strict=True))
    rank = len(sizes)
    index = []
    for axis, (s, k) in enumerate(zip(starts, sizes, strict=True)):
        shape = [1] * rank
        shape[axis] = k
        index.append(tnp.reshape(s + np.arange(k), shape))
    return tuple(index)


def dynamic_slice(operand: Any, start_indices: Sequence[Any], slice_sizes: Sequence[int],
                  *, allow_negative_indices: bool = True) -> Any:  # fmt: skip
    """``operand[start:start + size]`` on every axis, with traced starts; a start that would
    run past the end is clamped (as in JAX).

    Examples:
        >>> lax.dynamic_slice(np.arange(6.0), (4,), (3,))   # start clamped to 3
        array([3., 4., 5.])
    """
    operand = asarray_or_tracer(operand)
    sizes = [int(k) for k in slice_sizes]
    starts = _starts(operand, start_indices, sizes, "dynamic_slice")
    return tnp.getitem(operand, _window_index(starts, sizes))


def dynamic_update_slice(operand: Any, update: Any, start_indices: Sequence[Any],
                         *, allow_negative_indices: bool = True) -> Any:  # fmt: skip
    """``operand`` with ``update`` written at ``start_indices`` (clamped so it fits).

    Examples:
        >>> lax.dynamic_update_slice(np.zeros(5), np.ones(2), (4,))
        array([0., 0., 0., 1., 1.])
    """
    operand, update = asarray_or_tracer(operand), asarray_or_tracer(update)
    if update.ndim != operand.ndim:
        raise shape_error(
            "dynamic_update_slice",
            f"update {update.shape} must have the rank of the operand {operand.shape}",
        )
    starts = _starts(operand, start_indices, update.shape, "dynamic_update_slice")
    index = _window_index(starts, update.shape)
    return tnp.at(operand)[index].set(tnp.astype(update, operand.dtype), unique_indices=True)


def _in_dim(operand: Any, axis: int, value: Any, fill: Any) -> list:
    starts = [fill] * np.ndim(operand)
    starts[axis] = value
    return starts


def dynamic_slice_in_dim(operand: Any, start_index: Any, slice_size: int = 1,
                         axis: int = 0) -> Any:  # fmt: skip
    """``dynamic_slice`` along one axis.

    Examples:
        >>> lax.dynamic_slice_in_dim(np.arange(12).reshape(3, 4), 1, 2, axis=1)
        array([[ 1,  2],
               [ 5,  6],
               [ 9, 10]])
    """
    operand = asarray_or_tracer(operand)
    axis = axis % operand.ndim
    sizes = list(operand.shape)
    sizes[axis] = slice_size
    return dynamic_slice(operand, _in_dim(operand, axis, start_index, 0), sizes)


def dynamic_index_in_dim(operand: Any, index: Any, axis: int = 0, keepdims: bool = True) -> Any:
    """The slice at ``index`` along ``axis`` (kept as a size-1 axis unless ``keepdims=False``).

    Examples:
        >>> lax.dynamic_index_in_dim(np.arange(6).reshape(3, 2), 2, keepdims=False)
        array([4, 5])
    """
    operand = asarray_or_tracer(operand)
    out = dynamic_slice_in_dim(operand, index, 1, axis)
    return out if keepdims else tnp.squeeze(out, axis=axis % operand.ndim)


def dynamic_update_slice_in_dim(operand: Any, update: Any, start_index: Any, axis: int) -> Any:
    """``dynamic_update_slice`` along one axis.

    Examples:
        >>> lax.dynamic_update_slice_in_dim(np.zeros((2, 3)), np.ones((2, 1)), 1, axis=1)
        array([[0., 1., 0.],
               [0., 1., 0.]])
    """
    operand = asarray_or_tracer(operand)
    axis = axis % operand.ndim
    return dynamic_update_slice(operand, update, _in_dim(operand, axis, start_index, 0))


def dynamic_update_index_in_dim(operand: Any, update: Any, index: Any, axis: int) -> Any:
    """Write ``update`` (without the ``axis`` dimension, or with it of size 1) at ``index``.

    Examples:
        >>> lax.dynamic_update_index_in_dim(np.zeros((3, 2)), np.ones(2), 1, axis=0)
        array([[0., 0.],
               [1., 1.],
               [0., 0.]])
    """
    operand, update = asarray_or_tracer(operand), asarray_or_tracer(update)
    axis = axis % operand.ndim
    if update.ndim == operand.ndim - 1:
        update = tnp.expand_dims(update, axis)
    return dynamic_update_slice_in_dim(operand, update, index, axis)


# ---------------------------------------------------------------- select, map


def select(pred: Any, on_true: Any, on_false: Any) -> Any:
    """Elementwise ``on_true if pred else on_false``; as in JAX, no broadcasting but a scalar
    ``pred``, and both branches of one shape and dtype.

    Examples:
        >>> lax.select(np.array([True, False]), np.ones(2), np.zeros(2))
        array([1., 0.])
    """
    pred, on_true, on_false = map(asarray_or_tracer, (pred, on_true, on_false))
    if pred.dtype != np.bool_:
        raise TypeError(errors.at_user_line(f"select: pred must be boolean, got {pred.dtype}"))
    if on_true.shape != on_false.shape or on_true.dtype != on_false.dtype:
        raise shape_error(
            "select",
            f"on_true {on_true.dtype}{list(on_true.shape)} and on_false "
            f"{on_false.dtype}{list(on_false.shape)} must have one shape and dtype",
        )
    if pred.shape not in ((), on_true.shape):
        raise shape_error(
            "select", f"pred of shape {pred.shape} must be a scalar or of shape {on_true.shape}"
        )
    return tnp.where(pred, on_true, on_false)


def map_(f: Callable, xs: Any, *, batch_size: int | None = None) -> Any:
    """``f`` applied to each slice of ``xs`` along its leading axis, one after the other (a
    ``scan``), stacked; with ``batch_size``, ``vmap`` over batches of that size.

    Examples:
        >>> lax.map(lambda v: v * 2.0, np.arange(3.0))
        array([0., 2., 4.])
    """
    from trace_ag import tree_util
    from trace_ag.batching import vmap
    from trace_ag.scan import scan

    if batch_size is None:
        return scan(lambda carry, x: (carry, f(x)), (), xs)[1]
    leaves, treedef = tree_util.tree_flatten(xs)
    n = leaves[0].shape[0]
    full = n // batch_size * batch_size
    unflat = treedef.unflatten

    def batched(leaves_slice):
        return unflat([tnp.reshape(v, (-1, batch_size, *v.shape[1:])) for v in leaves_slice])

    parts = []
    if full:
        out = scan(lambda c, x: (c, vmap(f)(x)), (), batched([v[:full] for v in leaves]))[1]
        parts.append(tree_util.tree_map(lambda v: tnp.reshape(v, (-1, *v.shape[2:])), out))
    if full < n:
        parts.append(vmap(f)(unflat([v[full:] for v in leaves])))
    if len(parts) == 1:
        return parts[0]
    return tree_util.tree_map(lambda a, b: tnp.concatenate([a, b]), *parts)


# ---------------------------------------------------------------- associative_scan


def _slice_axis(x: Any, start: int | None, stop: int | None, step: int | None, axis: int):
    return x[(slice(None),) * axis + (slice(start, stop, step),)]


def _interleave(a: Any, b: Any, axis: int) -> Any:
    """``a[0], b[0], a[1], b[1], ...`` along ``axis`` (``a`` may be one longer)."""
    n_a, n_b = a.shape[axis], b.shape[axis]
    if n_a == n_b + 1:
        b = tnp.concatenate([b, tnp.zeros_like(_slice_axis(a, 0, 1, None, axis))], axis=axis)
    pairs = tnp.stack([a, b], axis=axis + 1)
    shape = list(a.shape)
    shape[axis] = 2 * n_a
    return _slice_axis(tnp.reshape(pairs, shape), 0, n_a + n_b, None, axis)


def associative_scan(fn: Callable, elems: Any, reverse: bool = False, axis: int = 0) -> Any:
    """All prefix combinations ``fn(...fn(fn(x0, x1), x2)..., xi)`` along ``axis``, for an
    associative ``fn`` of pytrees, in ``O(log n)`` rounds of vectorized ``fn`` calls (JAX's
    odd/even recursion, so the rounding matches JAX's).

    Examples:
        >>> lax.associative_scan(tnp.add, np.arange(1.0, 6.0))
        array([ 1.,  3.,  6., 10., 15.])
        >>> lax.associative_scan(tnp.add, np.arange(1.0, 6.0), reverse=True)
        array([15., 14., 12.,  9.,  5.])
    """
    from trace_ag import tree_util

    leaves, treedef = tree_util.tree_flatten(elems)
    leaves = [asarray_or_tracer(v) for v in leaves]
    if not leaves:
        return elems
    axis = axis % leaves[0].ndim
    lengths = {v.shape[axis] for v in leaves}
    if len(lengths) != 1:
        raise shape_error(
            "associative_scan", f"every element needs one length along axis {axis}: {lengths}"
        )
    if reverse:
        leaves = [tnp.flip(v, axis) for v in leaves]

    def combine(a: list, b: list) -> list:
        out = fn(treedef.unflatten(a), treedef.unflatten(b))
        return tree_util.tree_flatten(out)[0]

    def scan_rec(xs: list) -> list:
        n = xs[0].shape[axis]
        if n < 2:
            return xs
        pairs = combine(
            [_slice_axis(v, 0, -1, 2, axis) for v in xs],
            [_slice_axis(v, 1, None, 2, axis) for v in xs],
        )
        odd = scan_rec(pairs)
        rest = [_slice_axis(v, 2, None, 2, axis) for v in xs]
        if n % 2 == 0:
            even = combine([_slice_axis(v, 0, -1, None, axis) for v in odd], rest)
        else:
            even = combine(odd, rest)
        even = [
            tnp.concatenate([_slice_axis(v, 0, 1, None, axis), e], axis=axis)
            for v, e in zip(xs, even, strict=True)
        ]
        return [_interleave(e, o, axis) for e, o in zip(even, odd, strict=True)]

    out = scan_rec(leaves)
    if reverse:
        out = [tnp.flip(v, axis) for v in out]
    return treedef.unflatten(out)


# ---------------------------------------------------------------- reduce_window


def _same_pads(shape, window, strides) -> list:
    pads = []
    for n, k, s in zip(shape, window, strides, strict=True):
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _padding(padding: Any, shape, window, strides, fn: str) -> list:
    if isinstance(padding, str):
        if padding.upper() == "VALID":
            return [(0, 0)] * len(shape)
        if padding.upper() == "SAME":
            return _same_pads(shape, window, strides)
        raise shape_error(fn, f"padding must be 'SAME', 'VALID' or (low, high) pairs: {padding!r}")
    pads = [tuple(int(v) for v in p) for p in padding]
    if len(pads) != len(shape) or any(len(p) != 2 for p in pads):
        raise shape_error(fn, f"padding {padding!r} needs one (low, high) pair per axis")
    return pads


def _dilate(x: Any, dilation: Sequence[int], fill: Any) -> Any:
    """``x`` with ``dilation - 1`` copies of ``fill`` between neighbours on each axis."""
    if all(d == 1 for d in dilation):
        return x
    shape = tuple((n - 1) * d + 1 if n else 0 for n, d in zip(x.shape, dilation, strict=True))
    base = tnp.full(shape, fill, dtype=x.dtype)
    return tnp.at(base)[tuple(slice(None, None, d) for d in dilation)].set(x)


def _static_scalar(value: Any, dtype, fn: str) -> Any:
    if isinstance(value, Tracer):
        value = value.concrete_value()
        if value is None:
            raise errors.ConcretizationTypeError(
                errors.at_user_line(f"{fn}: init_value must be a concrete scalar under jit")
            )
    return np.asarray(value).astype(dtype).item()


def reduce_window(operand: Any, init_value: Any, computation: Callable,
                  window_dimensions: Sequence[int], window_strides: Sequence[int] | None = None,
                  padding: Any = "VALID", base_dilation: Sequence[int] | None = None,
                  window_dilation: Sequence[int] | None = None) -> Any:  # fmt: skip
    """Reduce each window of ``operand`` with the binary ``computation`` (``lax.add``,
    ``lax.max``, ``lax.min``, ``lax.mul`` or any traceable associative function), starting from
    ``init_value``, which also fills the padding (as in ``jax.lax.reduce_window``).

    Examples:
        >>> x = np.arange(16.0).reshape(4, 4)
        >>> lax.reduce_window(x, -np.inf, lax.max, (2, 2), (2, 2), "VALID")
        array([[ 5.,  7.],
               [13., 15.]])
        >>> lax.reduce_window(np.ones(4), 0.0, lax.add, (3,), (1,), "SAME")
        array([2., 3., 3., 2.])
    """
    if isinstance(operand, (list, tuple)):
        raise errors.UnsupportedFunctionError(
            "reduce_window: only a single operand is supported (not a pytree of operands)"
        )
    x = asarray_or_tracer(operand)
    rank = x.ndim
    window = [int(k) for k in window_dimensions]
    strides = [1] * rank if window_strides is None else [int(s) for s in window_strides]
    base = [1] * rank if base_dilation is None else [int(d) for d in base_dilation]
    wdil = [1] * rank if window_dilation is None else [int(d) for d in window_dilation]
    if not len(window) == len(strides) == len(base) == len(wdil) == rank:
        raise shape_error(
            "reduce_window",
            f"window {window}, strides {strides} and dilations need one entry per axis of "
            f"the operand {x.shape}",
        )
    init = _static_scalar(init_value, x.dtype, "reduce_window")
    x = _dilate(x, base, init)
    span = [(k - 1) * d + 1 for k, d in zip(window, wdil, strict=True)]
    pads = _padding(padding, x.shape, span, strides, "reduce_window")
    x = _pad_with(x, pads, init)
    out_shape = [(n - s) // st + 1 for n, s, st in zip(x.shape, span, strides, strict=True)]
    if any(n <= 0 for n in out_shape):
        raise shape_error(
            "reduce_window", f"window {window} (dilated {span}) is larger than the padded {x.shape}"
        )
    result = None
    for offsets in itertools.product(*[range(k) for k in window]):
        index = tuple(
            slice(o * d, o * d + (m - 1) * st + 1, st)
            for o, d, m, st in zip(offsets, wdil, out_shape, strides, strict=True)
        )
        part = x[index]
        result = part if result is None else computation(result, part)
    if _IDENTITIES.get(getattr(computation, "__name__", None)) == init:
        return result  # the init value changes nothing: leave it out
    return computation(tnp.full(out_shape, init, dtype=x.dtype), result)


# the init values that leave a computation's result unchanged, by the computation's name
_IDENTITIES = {"add": 0, "maximum": -np.inf, "max": -np.inf, "minimum": np.inf, "min": np.inf}
_IDENTITIES.update({"multiply": 1, "mul": 1})


def _pad_with(x: Any, pads: list, value: Any) -> Any:
    """``x`` padded with ``value`` by concatenating constant blocks (a pad primitive would
    carry an infinite value as a param, which jit's generated code cannot spell)."""
    for axis, (lo, hi) in enumerate(pads):
        if not (lo or hi):
            continue
        shape = list(x.shape)
        blocks = []
        for width in (lo, hi):
            shape[axis] = width
            blocks.append(np.full(shape, value, np.dtype(x.dtype)))
        x = tnp.concatenate([blocks[0], x, blocks[1]], axis=axis)
    return x


# ---------------------------------------------------------------- conv_general_dilated


def _spec_perm(spec: Any, batch: str, feature: str, spatial_order: str | None) -> tuple:
    """``(batch axis, feature axis, spatial axes...)`` of a layout string such as "NHWC"."""
    if not isinstance(spec, str):
        return tuple(int(i) for i in spec)
    spatial = [i for i, c in enumerate(spec) if c not in (batch, feature)]
    if spatial_order is not None:
        spatial.sort(key=lambda i: spatial_order.index(spec[i]))
    return (spec.index(batch), spec.index(feature), *spatial)


def dimension_perms(dimension_numbers: Any, rank: int) -> tuple:
    if dimension_numbers is None:
        default = tuple(range(rank))
        return default, default, default
    if hasattr(dimension_numbers, "lhs_spec"):
        d = dimension_numbers
        return tuple(d.lhs_spec), tuple(d.rhs_spec), tuple(d.out_spec)
    lhs, rhs, out = dimension_numbers
    rhs_str = rhs if isinstance(rhs, str) else None
    spatial = "".join(c for c in rhs_str if c not in "OI") if rhs_str else None
    return (
        _spec_perm(lhs, "N", "C", spatial),
        _spec_perm(rhs, "O", "I", None),
        _spec_perm(out, "N", "C", spatial),
    )


def conv_general_dilated(lhs: Any, rhs: Any, window_strides: Sequence[int], padding: Any,
                         lhs_dilation: Sequence[int] | None = None,
                         rhs_dilation: Sequence[int] | None = None,
                         dimension_numbers: Any = None, feature_group_count: int = 1,
                         batch_group_count: int = 1, precision: Any = None,
                         preferred_element_type: Any = None) -> Any:  # fmt: skip
    """``jax.lax.conv_general_dilated`` for 1-D and 2-D convolutions (cross-correlation, as
    JAX): any layout in ``dimension_numbers`` (``("NCHW", "OIHW", "NCHW")``, ``("NHWC",
    "HWIO", "NHWC")``, ...), ``padding`` "SAME"/"VALID"/pairs, input (``lhs_dilation``) and
    kernel (``rhs_dilation``) dilation, grouped convolution (``feature_group_count``).
    ``precision`` is accepted and ignored (NumPy computes at the dtype's full precision).

    Examples:
        >>> x = np.arange(16.0).reshape(1, 4, 4, 1)                 # NHWC
        >>> w = np.ones((2, 2, 1, 1))                                 # HWIO
        >>> lax.conv_general_dilated(x, w, (2, 2), "VALID",
        ...                          dimension_numbers=("NHWC", "HWIO", "NHWC"))[0, :, :, 0]
        array([[10., 18.],
               [42., 50.]])
    """
    from trace_ag.convolution import conv2d

    x, w = asarray_or_tracer(lhs), asarray_or_tracer(rhs)
    rank = x.ndim
    if rank not in (3, 4) or w.ndim != rank:
        raise errors.UnsupportedFunctionError(
            errors.at_user_line(
                f"conv_general_dilated: only 1-D and 2-D convolutions are supported (operands "
                f"of rank 3 or 4), got lhs {x.shape} and rhs {w.shape}"
            )
        )
    if batch_group_count != 1:
        raise errors.UnsupportedFunctionError(
            errors.at_user_line("conv_general_dilated: batch_group_count must be 1")
        )
    lhs_perm, rhs_perm, out_perm = dimension_perms(dimension_numbers, rank)
    x = tnp.transpose(x, lhs_perm)  # to N, C, spatial...
    w = tnp.transpose(w, rhs_perm)  # to O, I, spatial...
    n_spatial = rank - 2
    strides = [int(s) for s in window_strides]
    ldil = [1] * n_spatial if lhs_dilation is None else [int(d) for d in lhs_dilation]
    rdil = [1] * n_spatial if rhs_dilation is None else [int(d) for d in rhs_dilation]
    if not len(strides) == len(ldil) == len(rdil) == n_spatial:
        raise shape_error(
            "conv_general_dilated",
            f"window_strides and dilations need {n_spatial} entries, got {strides}, {ldil}, {rdil}",
        )
    if isinstance(padding, str) and any(d != 1 for d in ldil):
        raise ValueError(
            errors.at_user_line(
                "conv_general_dilated: string padding is not supported with lhs_dilation "
                "(a transposed convolution, as in JAX): give the (low, high) pairs"
            )
        )
    if isinstance(padding, str):
        span = [(k - 1) * d + 1 for k, d in zip(w.shape[2:], rdil, strict=True)]
        pads = _padding(padding, x.shape[2:], span, strides, "conv_general_dilated")
    else:
        pads = _padding(padding, x.shape[2:], w.shape[2:], strides, "conv_general_dilated")
    x = _dilate(x, [1, 1, *ldil], 0)
    if n_spatial == 1:  # a 1-D convolution as a 2-D one over a height of 1
        x, w = tnp.expand_dims(x, 2), tnp.expand_dims(w, 2)
        strides, rdil, pads = [1, *strides], [1, *rdil], [(0, 0), *pads]
    groups = int(feature_group_count)
    c, o = x.shape[1], w.shape[0]
    if c % groups or o % groups or w.shape[1] * groups != c:
        raise shape_error(
            "conv_general_dilated",
            f"feature_group_count={groups} must divide the {c} input features and {o} output "
            f"features, and the kernel must have {c} // {groups} input features "
            f"(it has {w.shape[1]})",
        )
    kw = {"stride": tuple(strides), "padding": tuple(map(tuple, pads)), "dilation": tuple(rdil)}
    if groups == 1:
        out = conv2d(x, w, **kw)
    else:
        cg, og = c // groups, o // groups
        out = tnp.concatenate(
            [
                conv2d(x[:, g * cg : (g + 1) * cg], w[g * og : (g + 1) * og], **kw)
                for g in range(groups)
            ],
            axis=1,
        )
    if n_spatial == 1:
        out = tnp.squeeze(out, axis=2)
    out = tnp.transpose(out, tuple(np.argsort(out_perm)))
    return out if preferred_element_type is None else tnp.astype(out, preferred_element_type)


def conv(lhs: Any, rhs: Any, window_strides: Sequence[int], padding: Any,
         precision: Any = None, preferred_element_type: Any = None) -> Any:  # fmt: skip
    """``jax.lax.conv``: ``conv_general_dilated`` in NCHW / OIHW layouts.

    Examples:
        >>> lax.conv(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), (1, 1), "VALID")[0, 0]
        array([[4., 4.],
               [4., 4.]])
    """
    return conv_general_dilated(
        lhs, rhs, window_strides, padding, precision=precision,
        preferred_element_type=preferred_element_type,
    )  # fmt: skip
