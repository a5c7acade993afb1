"""Indexed updates (``x.at[idx].set/multiply/min/max``): the scatter primitives.

Each takes ``(x, updates, *index_arrays)`` with the index written as ``getitem``'s static
``spec`` (``trace_ag.primitives.shape``), ``updates`` already shaped like ``x[spec]`` and of
``x``'s dtype, and every index in bounds and non-negative: the user-facing ``.at`` wrapper
(``trace_ag._indexed_update``) broadcasts, casts and applies the out-of-bounds mode first.
``.at[].add`` needs no primitive of its own: it is ``x + scatter_add(updates)``.

Repeated indices: ``scatter`` (set) keeps the *last* update in index order (NumPy's
assignment order); its derivative sends the cotangent only to the update that was kept.
``scatter_mul`` multiplies every one in; its derivative with respect to the updates needs
``unique_indices`` for traced indices (as in JAX); concrete ones with repeats are handled
exactly (JAX raises). ``scatter_min``/``scatter_max`` share a tied result's
derivative evenly among the operand and the updates that reach it (JAX's rule).

Every impl works on a copy (``allocates=True``): jit may write into the result, never into
an input.
"""

from __future__ import annotations

import numpy as np

from trace_ag import errors
from trace_ag import numpy as tnp
from trace_ag.core import Aval, Primitive, Tracer, shape_error, zeros_like
from trace_ag.ir_print import format_index
from trace_ag.primitives._index_batching import (
    FULL_SLICE,
    advanced_lead,
    batch_axis,
    with_batch_index,
)
from trace_ag.primitives._transform_rules import linear_jvp, to_front
from trace_ag.primitives.shape import build_index, getitem, scatter_add


def _scatter_aval(name: str):
    def aval(x: Aval, updates: Aval, *arrays: Aval, spec, unique_indices) -> Aval:
        expected = getitem.abstract_eval(x, *arrays, spec=spec)
        if updates.shape != expected.shape or updates.dtype != x.dtype:
            raise shape_error(
                name,
                f"updates {updates.str_short()} do not fit x{format_index(spec)} of "
                f"x {x.str_short()} (expected {expected.str_short()})",
            )
        return x

    return aval


def _set_impl(x, updates, *arrays, spec, unique_indices):
    out = np.array(x, copy=True)
    out[build_index(spec, arrays)] = updates  # repeated indices: the last one stays
    return out


def _ufunc_at_impl(ufunc: np.ufunc):
    def impl(x, updates, *arrays, spec, unique_indices):
        out = np.array(x, copy=True)
        ufunc.at(out, build_index(spec, arrays), updates)  # unbuffered: repeats combine
        return out

    impl.__name__ = f"{ufunc.__name__}_at"
    return impl


def _jax_at(method: str):
    def lower(x, updates, *arrays, spec, unique_indices):
        import jax.numpy as jnp

        ref = jnp.asarray(x).at[build_index(spec, arrays)]
        return getattr(ref, method)(
            updates, unique_indices=unique_indices, mode="promise_in_bounds"
        )

    lower.__name__ = f"jax_at_{method}"
    return lower


def _scatter_batch():
    """vmap of ``prim(x, updates, *arrays)``: the batch axis goes in front as a full slice
    (unbatched indices) or as one more leading advanced index (batched ones)."""
    from trace_ag.core import ForPrimitive

    def make(prim):
        def batch(vals, dims, *, size, spec, unique_indices):
            x, updates, arrays = vals[0], vals[1], vals[2:]
            x = to_front(x, dims[0], size)
            params = {"unique_indices": unique_indices}
            if any(d is not None for d in dims[2:]):
                if not advanced_lead(spec):
                    return NotImplemented
                arrays_b, spec_b = with_batch_index(arrays, dims[2:], spec, size)
                updates = to_front(updates, dims[1], size)
                return prim.bind(x, updates, *arrays_b, spec=spec_b, **params), 0
            spec_b = (FULL_SLICE, *spec)
            shapes = [np.shape(a) for a in arrays]
            dtype = np.dtype(x.dtype)
            where = batch_axis(np.shape(x), lambda n: shapes, spec_b, dtype, size)
            if where is None:
                return NotImplemented
            updates = tnp.moveaxis(to_front(updates, dims[1], size), 0, where)
            return prim.bind(x, updates, *arrays, spec=spec_b, **params), 0

        return batch

    return ForPrimitive(make)


# ---------------------------------------------------------------- scatter (set)


def _kept_updates(x_shape, updates_shape, arrays, spec):
    """Which updates survive a set with repeated indices: each update scatters its own id,
    and the ids read back at the same places are those of the ones that were kept."""
    ids = np.arange(int(np.prod(updates_shape, dtype=np.int64))).reshape(updates_shape)
    written = scatter.bind(
        np.full(x_shape, -1, ids.dtype), ids, *arrays, spec=spec, unique_indices=False
    )
    return getitem.bind(written, *arrays, spec=spec) == ids


def _set_vjp(g, out, x, updates, *arrays, spec, unique_indices):
    # the overwritten places of x get no cotangent; each kept update gets its place's
    g_x = scatter.bind(g, zeros_like(updates), *arrays, spec=spec, unique_indices=unique_indices)
    g_updates = getitem.bind(g, *arrays, spec=spec)
    if arrays and not unique_indices:
        kept = _kept_updates(np.shape(x), np.shape(updates), arrays, spec)
        g_updates = tnp.where(kept, g_updates, tnp.zeros_like(g_updates))
    return [g_x, g_updates, *[None] * len(arrays)]


scatter = Primitive(
    "scatter",
    impl=_set_impl,
    abstract_eval=_scatter_aval("scatter"),
    vjp=_set_vjp,
    jvp=linear_jvp(linear=(0, 1)),  # the same update wins for values and tangents
    batch=_scatter_batch(),
    jax=_jax_at("set"),
    complex_rules=True,
    allocates=True,  # a copy of x, always
    param_printers={"spec": format_index},
)


# ---------------------------------------------------------------- scatter_mul


def _occurrence(x_shape, arrays, spec) -> np.ndarray | None:
    """For each update, how many earlier updates (in index order) go to its place; None when
    the index arrays are traced, which leaves repeats unknown."""
    values = [a.concrete_value() if isinstance(a, Tracer) else a for a in arrays]
    if any(v is None for v in values):
        return None
    size = int(np.prod(x_shape, dtype=np.int64))
    places = np.arange(size).reshape(x_shape)[build_index(spec, values)]
    flat = places.reshape(-1)
    order = np.argsort(flat, kind="stable")
    ranked = flat[order]
    rank = np.empty(flat.size, np.int64)
    rank[order] = np.arange(flat.size) - np.searchsorted(ranked, ranked, side="left")
    return rank.reshape(places.shape)


def _others_product(x, updates, arrays, spec, unique_indices):
    """For each update, the product of the *other* updates sent to its place (None: no
    repeats). Updates are split into rounds (the r-th update at each place); each round's
    product is a scatter without repeats, so no update is divided out and every order of
    derivative stays exact."""
    if not arrays or unique_indices:
        return None
    rank = _occurrence(np.shape(x), arrays, spec)
    if rank is None:
        raise errors.UnsupportedFunctionError(
            errors.at_user_line(
                "x.at[idx].multiply/divide/power: the derivative with respect to the updates "
                "with traced indices needs unique_indices=True (as in JAX); with concrete "
                "(NumPy) indices, repeats are handled"
            )
        )
    rounds = int(rank.max(initial=0)) + 1
    if rounds == 1:
        return None
    ones = np.ones(np.shape(x), np.dtype(x.dtype))
    others = None
    for r in range(rounds):
        mine = rank == r
        factors = tnp.where(mine, updates, tnp.ones_like(updates))
        product = scatter_mul.bind(ones, factors, *arrays, spec=spec, unique_indices=False)
        here = tnp.where(mine, tnp.ones_like(updates), getitem.bind(product, *arrays, spec=spec))
        others = here if others is None else others * here
    return others


def _mul_vjp(g, out, x, updates, *arrays, spec, unique_indices):
    g_x = scatter_mul.bind(g, updates, *arrays, spec=spec, unique_indices=unique_indices)
    g_updates = getitem.bind(g * x, *arrays, spec=spec)
    others = _others_product(x, updates, arrays, spec, unique_indices)
    if others is not None:
        g_updates = g_updates * others
    return [g_x, g_updates, *[None] * len(arrays)]


def _mul_jvp(primals, tangents, *, spec, unique_indices):
    x, updates, *arrays = primals
    t_x, t_updates = tangents[0], tangents[1]
    out = scatter_mul.bind(*primals, spec=spec, unique_indices=unique_indices)
    t_x = zeros_like(x) if t_x is None else t_x
    t_out = scatter_mul.bind(t_x, updates, *arrays, spec=spec, unique_indices=unique_indices)
    if t_updates is not None:
        others = _others_product(x, updates, arrays, spec, unique_indices)
        if others is not None:
            t_updates = t_updates * others
        t_out = t_out + x * scatter_add.bind(t_updates, *arrays, spec=spec, shape=np.shape(x))
    return out, t_out


scatter_mul = Primitive(
    "scatter_mul",
    impl=_ufunc_at_impl(np.multiply),
    abstract_eval=_scatter_aval("scatter_mul"),
    vjp=_mul_vjp,
    jvp=_mul_jvp,
    batch=_scatter_batch(),
    jax=_jax_at("multiply"),
    complex_rules=True,
    allocates=True,
    param_printers={"spec": format_index},
)


# ---------------------------------------------------------------- scatter_min, scatter_max


def _winners(out, x, updates, arrays, spec):
    """Where the result came from: the operand (``kept``), the updates equal to it
    (``won``), and how many of them tie at each place (``count``, at least 1)."""
    kept = x == out
    won = updates == getitem.bind(out, *arrays, spec=spec)
    dtype = np.dtype(out.dtype) if np.issubdtype(out.dtype, np.inexact) else np.float64
    ones = tnp.where(won, 1.0, 0.0).astype(dtype)
    count = tnp.where(kept, 1.0, 0.0).astype(dtype) + scatter_add.bind(
        ones, *arrays, spec=spec, shape=np.shape(x)
    )
    return kept, won, count


def _extremal_vjp(g, out, x, updates, *arrays, spec, unique_indices):
    kept, won, count = _winners(out, x, updates, arrays, spec)
    share = g / count
    g_x = tnp.where(kept, share, tnp.zeros_like(share))
    g_updates = getitem.bind(share, *arrays, spec=spec)
    g_updates = tnp.where(won, g_updates, tnp.zeros_like(g_updates))
    return [g_x, g_updates, *[None] * len(arrays)]


def _extremal_jvp():
    from trace_ag.core import ForPrimitive

    def make(prim):
        def jvp(primals, tangents, *, spec, unique_indices):
            x, updates, *arrays = primals
            out = prim.bind(*primals, spec=spec, unique_indices=unique_indices)
            kept, won, count = _winners(out, x, updates, arrays, spec)
            t_x = zeros_like(x) if tangents[0] is None else tangents[0]
            t_u = zeros_like(updates) if tangents[1] is None else tangents[1]
            from_x = tnp.where(kept, t_x, tnp.zeros_like(t_x))
            from_u = scatter_add.bind(
                tnp.where(won, t_u, tnp.zeros_like(t_u)), *arrays, spec=spec, shape=np.shape(x)
            )
            return out, (from_x + from_u) / count

        return jvp

    return ForPrimitive(make)


def _extremal(name: str, ufunc: np.ufunc, method: str) -> Primitive:
    return Primitive(
        name,
        impl=_ufunc_at_impl(ufunc),
        abstract_eval=_scatter_aval(name),
        vjp=_extremal_vjp,
        jvp=_extremal_jvp(),
        batch=_scatter_batch(),
        jax=_jax_at(method),
        allocates=True,
        param_printers={"spec": format_index},
    )


scatter_min = _extremal("scatter_min", np.minimum, "min")
scatter_max = _extremal("scatter_max", np.maximum, "max")
