"""Spec rows: ``x.at[idx].<op>(v)`` against ``jnp.asarray(x).at[idx].<op>(v)``: the scatter
primitives (set, multiply, min, max) and the composites over them (add, subtract, divide,
power, get), with negative, repeated and out-of-bounds indices under every mode."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import Draw, Spec, broadcast_like

import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

rows: list[Spec] = []


def _ints(d: Draw, n: int, size, *, spill: bool, repeat: bool) -> np.ndarray:
    """Indices in ``[-n, n)`` (``[-n - 2, n + 2)`` with ``spill``: some out of bounds), the
    last one naming the first one's element again when ``repeat``."""
    lo, hi = (-n - 2, n + 2) if spill else (-n, n)
    idx = d.rng.integers(lo, hi, size)
    flat = idx.reshape(-1)
    if repeat and flat.size > 1 and -n <= flat[0] < n:
        flat[-1] = flat[0] if flat[0] < 0 else flat[0] - n
    return idx


def _unique_ints(d: Draw, n: int, k: int) -> np.ndarray:
    """``k`` distinct in-bounds indices, some written negative."""
    picks = d.rng.permutation(n)[: min(k, n)]
    return np.where(d.rng.random(picks.size) < 0.4, picks - n, picks)


def _int_index(d, shape, spill, repeat):
    n = shape[0]
    return d.int(-n - 2, n + 1) if spill else d.int(-n, n - 1)


def _array_index(d, shape, spill, repeat):
    if not repeat:
        return _unique_ints(d, shape[0], d.int(1, 4))
    return _ints(d, shape[0], d.int(2, 5), spill=spill, repeat=repeat)


def _slice_array_index(d, shape, spill, repeat):
    if not repeat:
        return (slice(None), _unique_ints(d, shape[1], d.int(1, 3)))
    return (slice(None), _ints(d, shape[1], d.int(2, 4), spill=spill, repeat=repeat))


def _two_arrays_index(d, shape, spill, repeat):
    k = d.int(1, 3)
    if not repeat:
        flat = d.rng.permutation(shape[0] * shape[1])[: min(k, shape[0] * shape[1])]
        return (flat // shape[1], flat % shape[1] - shape[1])
    return tuple(_ints(d, n, k, spill=spill, repeat=repeat) for n in shape[:2])


def _basic_index(d, shape, spill, repeat):
    start = d.choice([None, d.int(-shape[0] - 1, shape[0])])
    return (slice(start, None, d.choice([None, 1, 2, -1])), Ellipsis, None)


def _mask_index(d, shape, spill, repeat):
    return d.rng.random(shape[:1]) < 0.6


def _ellipsis_array_index(d, shape, spill, repeat):
    return (Ellipsis, _array_index(d, shape[-1:], spill, repeat))


INDEXES = {
    "int": (_int_index, 1),
    "int array": (_array_index, 1),
    "slice, int array": (_slice_array_index, 2),
    "two int arrays": (_two_arrays_index, 2),
    "basic": (_basic_index, 1),
    "mask": (_mask_index, 1),
    "..., int array": (_ellipsis_array_index, 1),
}


def _draw(index_kind: str, modes: tuple, *, spill=True, repeat=True, arity=2):
    make_index, min_dims = INDEXES[index_kind]

    def draw(d: Draw):
        shape = d.shape(min_dims, 3, min_side=1, max_side=4)
        mode = d.choice(list(modes))
        # JAX documents gradients as wrong for out-of-bounds indices it was promised not to get
        index = make_index(d, shape, spill and mode in ("clip", "drop", "fill"), repeat)
        target = tnp.at(np.zeros(shape))[index].get(mode="clip").shape
        values = broadcast_like(d, target) if d.int(0, 3) == 0 else target
        shapes = [shape, values][:arity]
        return shapes, {"index": index, "mode": mode}

    return draw


def _ours(op: str, **extra):
    def fn(x, v=None, *, index, mode):
        ref = tnp.at(x)[index]
        return (
            ref.get(mode=mode, **extra) if op == "get" else getattr(ref, op)(v, mode=mode, **extra)
        )

    return fn


def _theirs(op: str, **extra):
    def fn(x, v=None, *, index, mode):
        ref = jnp.asarray(x).at[index]
        return (
            ref.get(mode=mode, **extra) if op == "get" else getattr(ref, op)(v, mode=mode, **extra)
        )

    return fn


def _with_operand(fn, xnp):
    """The update's result beside ``x`` itself: the operand's cotangent is then of order one,
    so JAX's rounding (2.8e-17 where a tie rule gives 0) stays within tolerance."""

    def both(x, v, *, index, mode):
        return xnp.concatenate([xnp.ravel(fn(x, v, index=index, mode=mode)), xnp.ravel(x)])

    return both


ALL_MODES = (None, "promise_in_bounds", "clip", "drop", "fill")
# JAX's min/max derivative gathers without the mode: wrong for clipped indices, so no "clip"
EXTREMAL_MODES = (None, "promise_in_bounds", "drop", "fill")
# Every index kind for set (the scatter primitive); add and get (scatter_add, getitem, whose
# rows elsewhere draw more indices) and the other updates on the kinds that differ most. Each
# drawn index is a new static argument, so JAX compiles each example: rows are kept few.
for kind in INDEXES:
    rows.append(Spec(f"at.set[{kind}]", _ours("set"), _theirs("set"), arity=2,
                     shapes=_draw(kind, ALL_MODES), order=2))  # fmt: skip
for kind in ("int array", "two int arrays", "mask"):
    rows.append(Spec(f"at.add[{kind}]", _ours("add"), _theirs("add"), arity=2,
                     shapes=_draw(kind, ALL_MODES)))  # fmt: skip
    # a finite fill_value: NaN (the default, tested in test_at.py) defeats central differences
    rows.append(Spec(f"at.get[{kind}]", _ours("get", fill_value=0.5),
                     _theirs("get", fill_value=0.5), arity=1,
                     shapes=_draw(kind, (None, "clip", "fill"), arity=1)))  # fmt: skip
for kind in ("int array", "slice, int array"):
    # JAX differentiates multiply only with unique_indices=True: unique, in-bounds indices
    unique = _draw(kind, (None, "drop"), spill=False, repeat=False)
    rows.append(Spec(f"at.multiply[{kind}]", _ours("multiply"),
                     _theirs("multiply", unique_indices=True), arity=2, shapes=unique,
                     order=2))  # fmt: skip
    rows.append(Spec(f"at.divide[{kind}]", _ours("divide"),
                     _theirs("divide", unique_indices=True), arity=2, shapes=unique,
                     domain=("real", "positive")))  # fmt: skip
    for op in ("min", "max"):
        rows.append(Spec(f"at.{op}[{kind}]", _with_operand(_ours(op), tnp),
                         _with_operand(_theirs(op), jnp), arity=2,
                         shapes=_draw(kind, EXTREMAL_MODES),
                         domain=("distinct", "distinct_offset")))  # fmt: skip
rows.append(Spec("at.subtract[int array]", _ours("subtract"), _theirs("subtract"), arity=2,
                 shapes=_draw("int array", ALL_MODES)))  # fmt: skip
rows.append(Spec("at.power[int array]", _ours("power"),
                 _theirs("power", unique_indices=True), arity=2,
                 shapes=_draw("int array", (None,), spill=False, repeat=False),
                 domain=("positive", "real")))  # fmt: skip

ROWS = rows
