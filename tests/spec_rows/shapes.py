"""Spec rows: shape operations."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import Draw, Spec, broadcast_like, one, same

import trace_ag.numpy as tnp

jnp = pytest.importorskip("jax.numpy")
jax = pytest.importorskip("jax")

R = Spec
rows: list[Spec] = []


def _reshape_target(d: Draw):
    """A new shape for ``reshape``: the drawn sizes permuted, some merged, one written -1."""
    shape = d.shape(1, 4)
    sizes = [shape[i] for i in d.permutation(len(shape))]
    merged = [sizes[0]]
    for n in sizes[1:]:
        if d.bool():
            merged[-1] *= n
        else:
            merged.append(n)
    merged[d.int(0, len(merged) - 1)] = -1
    return [shape], {"shape": tuple(merged)}


def _transpose_axes(d: Draw):
    shape = d.shape(0, 4)
    return [shape], {"axes": d.permutation(len(shape))}


def _broadcast_target(d: Draw):
    target = d.shape(0, 4, max_side=3)
    return [broadcast_like(d, target)], {"shape": target}


def _squeezable(d: Draw):
    shape = list(d.shape(0, 3))
    where = d.int(0, len(shape))
    shape.insert(where, 1)
    return [tuple(shape)], {"axis": where - len(shape) if d.bool() else where}


def _joinable(n: int, axis: int | None):
    """``n`` shapes equal except along ``axis``."""

    def draw(d):
        base = list(d.shape(1 if axis is None else 2, 3))
        shapes = []
        for _ in range(n):
            if axis is None:
                shapes.append(tuple(d.shape(0, 3)))
            else:
                base[axis] = d.int(1, 3)
                shapes.append(tuple(base))
        return shapes, {}

    return draw


def _split_sections(d: Draw):
    shape = list(d.shape(1, 3))
    sections = d.int(1, 3)
    shape[-1] = sections * d.int(1, 2)
    return [tuple(shape)], {"indices_or_sections": sections, "axis": -1}


def _split_indices(d: Draw):
    shape = d.shape(1, 3)
    cuts = sorted(d.int(0, shape[0]) for _ in range(d.int(1, 3)))
    return [shape], {"indices_or_sections": cuts, "axis": 0}


def _pad_widths(d: Draw):
    shape = d.shape(1, 3)  # jnp.pad rejects pad_width=() for a 0-D array
    widths = tuple((d.int(0, 2), d.int(0, 2)) for _ in shape)
    return [shape], {"pad_width": widths, "constant_values": d.choice([0.0, 1.5])}


def _concat(*xs, axis):
    return tnp.concatenate(xs, axis=axis)


def _jconcat(*xs, axis):
    return jnp.concatenate(xs, axis=axis)


def _stack(*xs, axis):
    return tnp.stack(xs, axis=axis)


def _jstack(*xs, axis):
    return jnp.stack(xs, axis=axis)


rows += [
    R("reshape[-1]", lambda x: tnp.reshape(x, -1), lambda x: jnp.reshape(x, -1)),
    R(
        "reshape[drawn, with -1]",
        lambda x, *, shape: tnp.reshape(x, shape),
        lambda x, *, shape: jnp.reshape(x, shape),
        shapes=_reshape_target,
    ),
    R("transpose[reversed]", tnp.transpose, jnp.transpose, shapes=one(0, 4)),
    R(
        "transpose[axes]",
        lambda x, *, axes: tnp.transpose(x, axes),
        lambda x, *, axes: jnp.transpose(x, axes),
        shapes=_transpose_axes,
    ),
    R(
        "swapaxes[0,-1]",
        lambda x: tnp.swapaxes(x, 0, -1),
        lambda x: jnp.swapaxes(x, 0, -1),
        shapes=one(1, 4),
    ),
    R(
        "moveaxis[0->-1]",
        lambda x: tnp.moveaxis(x, 0, -1),
        lambda x: jnp.moveaxis(x, 0, -1),
        shapes=one(1, 4),
    ),
    R(
        "moveaxis[(0,1)->(-1,0)]",
        lambda x: tnp.moveaxis(x, (0, 1), (-1, 0)),
        lambda x: jnp.moveaxis(x, (0, 1), (-1, 0)),
        shapes=one(2, 4),
    ),
    R(
        "broadcast_to",
        lambda x, *, shape: tnp.broadcast_to(x, shape),
        lambda x, *, shape: jnp.broadcast_to(x, shape),
        shapes=_broadcast_target,
    ),
    R("expand_dims[0]", tnp.expand_dims, jnp.expand_dims, kwargs={"axis": 0}),
    R("expand_dims[-1]", tnp.expand_dims, jnp.expand_dims, kwargs={"axis": -1}),
    R(
        "expand_dims[(0,2)]",
        tnp.expand_dims,
        jnp.expand_dims,
        shapes=one(1),
        kwargs={"axis": (0, 2)},
    ),
    R("squeeze[None]", tnp.squeeze, jnp.squeeze, shapes=one(0, 4, 1, 2)),
    R("squeeze[axis]", tnp.squeeze, jnp.squeeze, shapes=_squeezable),
    R(
        "take[axis=1]",
        lambda x: tnp.take(x, np.array([1, 0, 1]), axis=1),
        lambda x: jnp.take(x, np.array([1, 0, 1]), axis=1),
        shapes=one(2, 3, 2),
    ),
    R(
        "concatenate[axis=0]",
        _concat,
        _jconcat,
        arity=3,
        shapes=_joinable(3, 0),
        kwargs={"axis": 0},
    ),
    R(
        "concatenate[axis=-1]",
        _concat,
        _jconcat,
        arity=2,
        shapes=_joinable(2, -1),
        kwargs={"axis": -1},
    ),
    R(
        "concatenate[axis=None]",
        _concat,
        _jconcat,
        arity=2,
        shapes=_joinable(2, None),
        kwargs={"axis": None},
    ),
    R("stack[axis=0]", _stack, _jstack, arity=3, shapes=same(3), kwargs={"axis": 0}),
    R("stack[axis=-1]", _stack, _jstack, arity=2, shapes=same(2), kwargs={"axis": -1}),
    R("split[sections]", tnp.split, jnp.split, shapes=_split_sections),
    R("split[indices]", tnp.split, jnp.split, shapes=_split_indices),
    R("pad[drawn]", tnp.pad, jnp.pad, shapes=_pad_widths),
    R("pad[int]", tnp.pad, jnp.pad, shapes=one(1), kwargs={"pad_width": 1}),
    R("flip[axis=None]", tnp.flip, jnp.flip),
    R("flip[axis=0]", tnp.flip, jnp.flip, shapes=one(1), kwargs={"axis": 0}),
    R("flip[axis=(0,-1)]", tnp.flip, jnp.flip, shapes=one(2), kwargs={"axis": (0, -1)}),
]

ROWS = rows
