"""Rule builders for forward mode and vmap, shared by the primitive declarations.

jvp rules reuse the vjp rules wherever the Jacobian allows it, so no derivative is written
twice: an elementwise op's Jacobian is diagonal, so its vjp rule applied to a tangent (with
operands broadcast to the output's shape) is its jvp; a linear op's tangent is the op itself
applied to the tangents; a bilinear op sums one term per tangent.

Batching rules (``rule(values, bdims, *, size, **params) -> (out, out_bdim)``) move the batch
axis to the front and adjust the static params.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.core import Aval, ForPrimitive, aval_of, zeros_like

# ---------------------------------------------------------------- jvp


def _add_all(terms: list) -> Any:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def elementwise_jvp() -> ForPrimitive:
    """jvp of an elementwise (broadcasting) op from its own per-operand vjp rules."""

    def make(prim):

        def jvp(primals, tangents, **params):
            rules = prim.vjp
            out = prim.bind(*primals, **params)
            shape = np.shape(out)
            wide = [tnp.broadcast_to(p, shape) for p in primals]
            terms = [
                rule(tnp.broadcast_to(t, shape), out, *wide, **params)
                for rule, t in zip(rules, tangents, strict=True)
                if rule is not None and t is not None
            ]
            return out, _add_all(terms) if terms else None

        return jvp

    return ForPrimitive(make)


def linear_jvp(linear: Sequence[int] | None = None, **tangent_params) -> ForPrimitive:
    """jvp of an op linear in the operands ``linear`` (all by default): the op on tangents."""

    def make(prim):

        def jvp(primals, tangents, **params):
            out = prim.bind(*primals, **params)
            positions = range(len(primals)) if linear is None else linear
            args = [
                (zeros_like(p) if t is None else t) if i in positions else p
                for i, (p, t) in enumerate(zip(primals, tangents, strict=True))
            ]
            return out, prim.bind(*args, **{**params, **tangent_params})

        return jvp

    return ForPrimitive(make)


def multilinear_jvp() -> ForPrimitive:
    """jvp of an op linear in each operand separately (matmul, einsum): one term per tangent."""

    def make(prim):

        def jvp(primals, tangents, **params):
            out = prim.bind(*primals, **params)
            terms = [
                prim.bind(*primals[:i], t, *primals[i + 1 :], **params)
                for i, t in enumerate(tangents)
                if t is not None
            ]
            return out, _add_all(terms)

        return jvp

    return ForPrimitive(make)


# ---------------------------------------------------------------- batching


def to_front(x: Any, bdim: int | None, size: int) -> Any:
    if bdim is None:
        return tnp.broadcast_to(x, (size, *np.shape(x)))
    return x if bdim == 0 else tnp.moveaxis(x, bdim, 0)


def elementwise_batch() -> ForPrimitive:
    """Broadcasting ops: batched operands get the batch axis first and the same rank."""

    def make(prim):

        def batch(vals, dims, *, size, **params):
            ranks = [np.ndim(v) - (d is not None) for v, d in zip(vals, dims, strict=True)]
            rank = max(ranks)
            args = []
            for v, d, r in zip(vals, dims, ranks, strict=True):
                if d is not None:
                    v = to_front(v, d, size)
                    v = tnp.reshape(v, (size,) + (1,) * (rank - r) + np.shape(v)[1:])
                args.append(v)
            return prim.bind(*args, **params), 0

        return batch

    return ForPrimitive(make)


def reduce_batch() -> ForPrimitive:
    """Reductions over an ``axis`` tuple: shift the axes past the batch axis."""

    def make(prim):

        def batch(vals, dims, *, size, axis, **params):
            x = to_front(vals[0], dims[0], size)
            return prim.bind(x, axis=tuple(a + 1 for a in axis), **params), 0

        return batch

    return ForPrimitive(make)


def arg_reduce_batch() -> ForPrimitive:
    """argmax/argmin: ``axis=None`` means each example's flattened array."""

    def make(prim):

        def batch(vals, dims, *, size, axis, keepdims):
            x = to_front(vals[0], dims[0], size)
            if axis is not None:
                return prim.bind(x, axis=axis + 1, keepdims=keepdims), 0
            out = prim.bind(tnp.reshape(x, (size, -1)), axis=1, keepdims=False)
            return (tnp.reshape(out, (size,) + (1,) * (np.ndim(x) - 1)) if keepdims else out), 0

        return batch

    return ForPrimitive(make)


def axis_param_batch() -> ForPrimitive:
    """Ops with one integer ``axis`` param (cumsum, concatenate): shift it by one."""

    def make(prim):

        def batch(vals, dims, *, size, axis, **params):
            args = [to_front(v, d, size) for v, d in zip(vals, dims, strict=True)]
            return prim.bind(*args, axis=axis + 1, **params), 0

        return batch

    return ForPrimitive(make)


def shape_param_batch(adjust: Callable[[dict, int, Aval], dict]) -> ForPrimitive:
    """Single-operand ops whose params name the output layout (reshape, transpose, ...)."""

    def make(prim):

        def batch(vals, dims, *, size, **params):
            x = to_front(vals[0], dims[0], size)
            return prim.bind(x, **adjust(params, size, aval_of(vals[0]))), 0

        return batch

    return ForPrimitive(make)
