"""Batching rules for ``getitem`` and ``scatter_add``.

With only the operand batched, a full slice is put in front of the index. With batched index
arrays, ``arange(batch)`` joins them as one more advanced index, which keeps NumPy's layout
when the advanced indices lead the index (``x[labels]``, ``x[rows, cols]``); other layouts fall
back to a loop. Where NumPy puts the batch axis is found by evaluating the shape rule for two
batch sizes and seeing which axis changes.
"""

from __future__ import annotations

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.core import Aval, aval_of
from trace_ag.primitives._transform_rules import to_front


def _shape():
    """The module declaring getitem and scatter_add, whose batching rules live here (imported
    when a rule runs: that module imports these rules)."""
    from trace_ag.primitives import shape

    return shape


FULL_SLICE = ("s", None, None, None)


def advanced_lead(spec: tuple) -> bool:
    """True when the advanced indices (arrays, and ints beside them) come first, together."""
    advanced = [isinstance(e, int) or (isinstance(e, tuple) and e[0] == "a") for e in spec]
    if not advanced or not advanced[0]:
        return False
    first_gap = advanced.index(False) if False in advanced else len(advanced)
    return not any(advanced[first_gap:])


def _shift_arrays(spec: tuple, by: int) -> tuple:
    return tuple(("a", e[1] + by) if isinstance(e, tuple) and e[0] == "a" else e for e in spec)


def batch_axis(x_shape: tuple, array_shapes, spec: tuple, dtype, size: int) -> int | None:
    """Position of the batch axis in ``x[spec]`` where ``x_shape``/``array_shapes(n)`` carry a
    batch of ``n``; None if the batch axis does not simply appear as one axis."""
    getitem_aval = _shape().getitem.abstract_eval

    def out_shape(n):
        arrays = [Aval(s, np.dtype(np.intp)) for s in array_shapes(n)]
        return getitem_aval(Aval((n, *x_shape[1:]), dtype), *arrays, spec=spec).shape

    a, b = out_shape(size), out_shape(size + 1)
    changed = [i for i, (m, n) in enumerate(zip(a, b, strict=True)) if m != n]
    return changed[0] if len(changed) == 1 else None


def with_batch_index(arrays, array_dims, spec: tuple, size: int):
    """Index arrays batched in front, led by ``arange(size)`` as one more advanced index."""
    ranks = [np.ndim(a) - (d is not None) for a, d in zip(arrays, array_dims, strict=True)]
    rank = max(ranks)
    batched = []
    for a, d, r in zip(arrays, array_dims, ranks, strict=True):
        if d is not None:
            a = to_front(a, d, size)
            a = tnp.reshape(a, (size,) + (1,) * (rank - r) + np.shape(a)[1:])
        batched.append(a)
    batch_index = np.arange(size).reshape((size,) + (1,) * rank)
    return [batch_index, *batched], (("a", 0), *_shift_arrays(spec, 1))


def getitem_batch(vals, dims, *, size, spec):
    x = to_front(vals[0], dims[0], size)
    arrays, array_dims = vals[1:], dims[1:]
    if all(d is None for d in array_dims):
        spec_b = (FULL_SLICE, *spec)
        shapes = [np.shape(a) for a in arrays]
        out_dim = batch_axis(np.shape(x), lambda n: shapes, spec_b, aval_of(x).dtype, size)
        if out_dim is None:
            return NotImplemented
        return _shape().getitem.bind(x, *arrays, spec=spec_b), out_dim
    if not advanced_lead(spec):
        return NotImplemented
    arrays_b, spec_b = with_batch_index(arrays, array_dims, spec, size)
    return _shape().getitem.bind(x, *arrays_b, spec=spec_b), 0


def scatter_add_batch(vals, dims, *, size, spec, shape):
    updates, arrays, array_dims = vals[0], vals[1:], dims[1:]
    shape_b = (size, *shape)
    if any(d is not None for d in array_dims):
        if not advanced_lead(spec):
            return NotImplemented
        arrays_b, spec_b = with_batch_index(arrays, array_dims, spec, size)
        updates = to_front(updates, dims[0], size)
        return _shape().scatter_add.bind(updates, *arrays_b, spec=spec_b, shape=shape_b), 0
    spec_b = (FULL_SLICE, *spec)
    shapes = [np.shape(a) for a in arrays]
    where = batch_axis(shape_b, lambda n: shapes, spec_b, aval_of(updates).dtype, size)
    if where is None:
        return NotImplemented
    updates = tnp.moveaxis(to_front(updates, dims[0], size), 0, where)
    return _shape().scatter_add.bind(updates, *arrays, spec=spec_b, shape=shape_b), 0
