"""Contractions: ``matmul`` (NumPy semantics, 1-D operands and batch broadcasting included) and
``einsum`` (explicit subscripts without ellipsis; ``trace_ag.numpy.einsum`` expands them).

dot, tensordot, inner, outer and vdot are composites in ``trace_ag.numpy``.
"""

from __future__ import annotations

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.core import Aval, Primitive, shape_error
from trace_ag.primitives._rules import jnp_fn, unbroadcast
from trace_ag.primitives._transform_rules import multilinear_jvp, to_front

# OpenBLAS runs a product with a few rows against a long axis 2-4x slower than the same product
# in cache-sized pieces: a first convolution's (6, 25) @ (25, 36864) and its weight gradient
# (6, 36864) @ (36864, 25) (benchmarks/gemm_floor.py --thin; docs/benchmarks.md). Such products
# run in blocks of the long axis of about BLOCK_BYTES of operands each.
THIN_ROWS = 8  # the few rows: at most this many (and 2 or more: one row is a matrix-vector product)
THIN_DEPTH = 32  # a wide product's contracted size: at most this
THIN_SIDE = 160  # a deep product's other output size: at most this
LONG_FROM = 8192  # the long axis: at least this
BLOCK_BYTES = 1 << 18
SWAP_OUTPUT_MAX = 1 << 16  # swaps_sides: outputs of at most this many elements
SWAP_DEPTH_FROM = 1024  # and contracted axes of at least this


def thin_product_plan(x_shape, y_shape, dtype) -> tuple[str, int] | None:
    """How ``matmul`` splits ``x @ y``: ``("columns", n)`` cuts the output's long column axis
    into pieces of ``n`` (the same bits: each column is the same dot products), ``("depth", n)``
    cuts a long contracted axis and adds the partial products; None: one BLAS call.

    Examples:
        >>> thin_product_plan((6, 25), (25, 36864), np.dtype(np.float32))
        ('columns', 2048)
        >>> thin_product_plan((6, 36864), (36864, 25), np.dtype(np.float32))
        ('depth', 2048)
        >>> thin_product_plan((16, 150), (150, 4096), np.dtype(np.float32)) is None
        True
    """
    if len(x_shape) != 2 or len(y_shape) != 2:
        return None
    (m, k), n = x_shape, y_shape[1]
    if 2 <= m <= THIN_ROWS and k <= THIN_DEPTH and n >= LONG_FROM:
        axis, other = "columns", k + m
    elif k >= LONG_FROM and 2 <= min(m, n) <= THIN_ROWS and max(m, n) <= THIN_SIDE:
        axis, other = "depth", m + n
    else:
        return None
    dtype = np.dtype(dtype)
    if dtype.kind != "f" or dtype.itemsize < 4:  # BLAS's float32 and float64 only
        return None
    # A power of two of steps along the long axis whose operands take about BLOCK_BYTES.
    return axis, max(256, 1 << (BLOCK_BYTES // (other * dtype.itemsize)).bit_length() - 1)


def swaps_sides(x_shape, y_shape, dtype) -> bool:
    """``x @ y`` may run as ``(y.T @ x.T).T``: a small output with fewer rows than columns and
    a long contracted axis (a convolution's weight gradient, ``(16, 4096) @ (4096, 150)``).
    For ``y`` stored transposed (the columns' view), OpenBLAS runs the product 1.7-1.9x faster
    with the longer side first; ``matmul_impl`` checks the layout."""
    if len(x_shape) != 2 or len(y_shape) != 2:
        return False
    (m, k), n = x_shape, y_shape[1]
    dtype = np.dtype(dtype)
    return (
        m < n and m * n <= SWAP_OUTPUT_MAX and k >= SWAP_DEPTH_FROM and dtype.kind == "f"
        and dtype.itemsize >= 4
    )  # fmt: skip


def matmul_impl(x, y):
    """``np.matmul``, in blocks for the thin products of ``thin_product_plan``, with the sides
    swapped where ``swaps_sides`` says."""
    dtype = getattr(x, "dtype", None) or "O"
    plan = thin_product_plan(np.shape(x), np.shape(y), dtype)
    if plan is not None:
        return blocked_matmul(np.asarray(x), np.asarray(y), *plan)
    if swaps_sides(np.shape(x), np.shape(y), dtype):
        return swapped_matmul(x, y)
    return np.matmul(x, y)


def swapped_matmul(x, y):
    """``x @ y`` as ``(y.T @ x.T).T`` (the same dot products, the same bits, measured), copied
    into C order, when ``x`` is C-contiguous and ``y`` a transposed C-contiguous array; else
    ``np.matmul``."""
    if not (x.flags.c_contiguous and y.flags.f_contiguous) or y.flags.c_contiguous:
        return np.matmul(x, y)
    return np.ascontiguousarray(np.matmul(y.T, x.T).T)


def blocked_matmul(x, y, axis: str, block: int):
    """``x @ y`` (2-D) with the long axis cut in pieces of ``block``: the whole pieces in one
    batched ``matmul`` over strided views, the rest in one more call."""
    (m, k), n = x.shape, y.shape[1]
    length = n if axis == "columns" else k
    pieces, whole = length // block, length // block * block
    if axis == "columns":
        out = np.empty((m, n), np.result_type(x, y))
        ys = y[:, :whole].reshape(k, pieces, block).transpose(1, 0, 2)
        np.matmul(x, ys, out=out[:, :whole].reshape(m, pieces, block).transpose(1, 0, 2))
        if whole < n:
            np.matmul(x, y[:, whole:], out=out[:, whole:])
        return out
    xs = x[:, :whole].reshape(m, pieces, block).transpose(1, 0, 2)
    ys = y[:whole].reshape(pieces, block, n)
    out = np.add.reduce(np.matmul(xs, ys), 0)
    if whole < k:
        out += np.matmul(x[:, whole:], y[whole:])
    return out


def _matmul_aval(x: Aval, y: Aval) -> Aval:
    if x.ndim == 0 or y.ndim == 0:
        raise shape_error("matmul", f"operands must be at least 1-D, got {x} @ {y} (use *)")
    if x.dtype != y.dtype:
        raise shape_error("matmul", f"dtypes {x.dtype} and {y.dtype} differ")
    xs = x.shape if x.ndim > 1 else (1,) + x.shape
    ys = y.shape if y.ndim > 1 else y.shape + (1,)
    if xs[-1] != ys[-2]:
        raise shape_error(
            "matmul",
            f"shapes {x.shape} @ {y.shape}: contracted sizes differ ({xs[-1]} != {ys[-2]})",
        )
    try:
        batch = np.broadcast_shapes(xs[:-2], ys[:-2])
    except ValueError:
        raise shape_error(
            "matmul", f"shapes {x.shape} @ {y.shape}: batch dimensions do not broadcast"
        ) from None
    shape = batch + (xs[-2],) * (x.ndim > 1) + (ys[-1],) * (y.ndim > 1)
    return Aval(tuple(shape), x.dtype)


def _matmul_vjp_x(g, out, x, y):
    if np.ndim(y) == 1:
        return unbroadcast(tnp.expand_dims(g, -1) * y, np.shape(x))
    if np.ndim(x) == 1:
        return unbroadcast(tnp.matmul(y, tnp.expand_dims(g, -1))[..., 0], np.shape(x))
    return unbroadcast(tnp.matmul(g, tnp.swapaxes(y, -1, -2)), np.shape(x))


def _matmul_vjp_y(g, out, x, y):
    if np.ndim(x) == 1:
        if np.ndim(y) == 1:
            return g * x
        return unbroadcast(tnp.expand_dims(x, -1) * tnp.expand_dims(g, -2), np.shape(y))
    if np.ndim(y) == 1:
        x_t = tnp.swapaxes(x, -1, -2)
        return unbroadcast(tnp.matmul(x_t, tnp.expand_dims(g, -1))[..., 0], np.shape(y))
    return unbroadcast(tnp.matmul(tnp.swapaxes(x, -1, -2), g), np.shape(y))


def _matmul_batch(vals, dims, *, size):
    """Batch axes first; 1-D operands become matrices (then squeezed) so NumPy's 1-D rules
    cannot misread the batch axis; batch ranks are aligned by inserting size-1 axes."""
    (x, y), (dx, dy) = vals, dims
    x_1d, y_1d = np.ndim(x) - (dx is not None) == 1, np.ndim(y) - (dy is not None) == 1
    if dx is not None:
        x = to_front(x, dx, size)
        x = tnp.expand_dims(x, 1) if x_1d else x
    elif x_1d:
        x = tnp.expand_dims(x, 0)
    if dy is not None:
        y = to_front(y, dy, size)
        y = tnp.expand_dims(y, -1) if y_1d else y
    elif y_1d:
        y = tnp.expand_dims(y, -1)
    batch_rank = max(np.ndim(v) - 2 - (d is not None) for v, d in ((x, dx), (y, dy)))
    if dx is not None:
        x = tnp.reshape(x, (size,) + (1,) * (batch_rank - np.ndim(x) + 3) + np.shape(x)[1:])
    if dy is not None:
        y = tnp.reshape(y, (size,) + (1,) * (batch_rank - np.ndim(y) + 3) + np.shape(y)[1:])
    out = matmul.bind(x, y)
    if y_1d:
        out = tnp.squeeze(out, -1)
    if x_1d:
        out = tnp.squeeze(out, -1 if y_1d else -2)
    return out, 0


matmul = Primitive(
    "matmul",
    impl=matmul_impl,
    allocates=True,  # always a new array
    abstract_eval=_matmul_aval,
    vjp=(_matmul_vjp_x, _matmul_vjp_y),
    jax=jnp_fn("matmul"),
    jvp=multilinear_jvp(),
    batch=_matmul_batch,
    complex_rules=True,
)


def parse_subscripts(subscripts: str) -> tuple[list[str], str]:
    inputs, output = subscripts.split("->")
    return inputs.split(","), output


def _einsum_aval(*operands: Aval, subscripts: str) -> Aval:
    inputs, output = parse_subscripts(subscripts)
    if len(inputs) != len(operands):
        raise shape_error(
            "einsum", f"{subscripts!r} names {len(inputs)} operands, got {len(operands)}"
        )
    sizes: dict[str, int] = {}
    for letters, aval in zip(inputs, operands, strict=True):
        if len(letters) != aval.ndim:
            raise shape_error(
                "einsum",
                f"{letters!r} has {len(letters)} axes but the operand has shape {aval.shape}",
            )
        for c, n in zip(letters, aval.shape, strict=True):
            if sizes.setdefault(c, n) != n:
                raise shape_error(
                    "einsum",
                    f"index {c!r} has sizes {sizes[c]} and {n} in "
                    f"{subscripts!r} with shapes {[a.shape for a in operands]}",
                )
    if len({a.dtype for a in operands}) > 1:
        raise shape_error("einsum", f"dtypes differ: {[a.dtype.name for a in operands]}")
    return Aval(tuple(sizes[c] for c in output), operands[0].dtype)


def _einsum_vjp(g, out, *operands, subscripts):
    """Operand i's cotangent is the einsum of g with the other operands, onto i's indices;
    indices that only operand i has were summed out, so they come back by broadcasting.
    (Operands reach the primitive with one size per index: ``tnp.einsum`` broadcasts size-1
    axes first, so ``broadcast_to``'s vjp sums those back.)"""
    inputs, output = parse_subscripts(subscripts)
    cotangents = []
    for i, (letters, x) in enumerate(zip(inputs, operands, strict=True)):
        if len(set(letters)) != len(letters):
            raise NotImplementedError(
                f"einsum: differentiating {subscripts!r} with a repeated index in operand {i} "
                "(a diagonal) is not supported; take the diagonal with indexing first"
            )
        others = [s for j, s in enumerate(inputs) if j != i]
        present = set(output).union(*others)
        kept = "".join(c for c in letters if c in present)
        spec = ",".join([output, *others]) + "->" + kept
        ct = tnp.einsum(spec, g, *[o for j, o in enumerate(operands) if j != i])
        if kept != letters:
            with_ones = tuple(
                n if c in kept else 1 for c, n in zip(letters, np.shape(x), strict=True)
            )
            ct = tnp.broadcast_to(tnp.reshape(ct, with_ones), np.shape(x))
        cotangents.append(ct)
    return cotangents


def _einsum_batch(vals, dims, *, size, subscripts):
    """A fresh index letter for the batch axis, on the batched operands and the output."""
    inputs, output = parse_subscripts(subscripts)
    letter = next(
        c for c in "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba" if c not in subscripts
    )
    operands, terms = [], []
    for v, d, term in zip(vals, dims, inputs, strict=True):
        operands.append(v if d is None else to_front(v, d, size))
        terms.append(term if d is None else letter + term)
    spec = ",".join(terms) + "->" + letter + output
    return einsum.bind(*operands, subscripts=spec), 0


einsum = Primitive(
    "einsum",
    impl=lambda *operands, subscripts: np.einsum(subscripts, *operands, optimize=True),
    abstract_eval=_einsum_aval,
    vjp=_einsum_vjp,
    jax=lambda *operands, subscripts: jnp_fn("einsum")(subscripts, *operands),
    jvp=multilinear_jvp(),
    batch=_einsum_batch,
    complex_rules=True,
)
