"""Bit-level primitives: bitwise logic, shifts, bit casts and a stable argsort.

They are what a counter-based PRNG is made of (``trace_ag.random`` writes threefry2x32 with
them, so keys can be traced, jitted, vmapped and lowered to JAX like any other value). None of
them is differentiable: their operands are integers (or their result is a reinterpretation of
bits), so no gradient flows through them, as in JAX. Each JAX lowering calls the ``jax.lax`` op
of the same name; the shifts follow ``lax``'s semantics (a shift by the bit width or more gives
0, or the sign for ``shift_right_arithmetic``), which NumPy's ``left_shift``/``right_shift``
share.
"""

from __future__ import annotations

import numpy as np

from trace_ag.core import Aval, Primitive, shape_error
from trace_ag.primitives._rules import broadcast_avals
from trace_ag.primitives._transform_rules import elementwise_batch, to_front


def _integer_aval(name: str, *avals: Aval, allow_bool: bool = True) -> Aval:
    aval = broadcast_avals(name, *avals)
    kinds = "biu" if allow_bool else "iu"
    if aval.dtype.kind not in kinds:
        what = "integer or boolean" if allow_bool else "integer"
        raise shape_error(name, f"operands must be {what} arrays, got {aval.dtype}")
    return aval


def _lax_broadcasting(name: str):
    """A lowering to ``jax.lax.<name>``, whose operands must have one shape: NumPy-broadcast
    them first (the primitive broadcasts like NumPy)."""

    def lower(*args):
        import jax.numpy as jnp
        from jax import lax

        return getattr(lax, name)(*jnp.broadcast_arrays(*args))

    lower.__name__ = f"lax_{name}"
    return lower


def _unsigned(dtype: np.dtype) -> np.dtype:
    return np.dtype(f"u{np.dtype(dtype).itemsize}")


def _shift_right_logical(x, y):
    """``>>`` filling with zeros, for signed integers too (computed on their unsigned view)."""
    x, y = np.asarray(x), np.asarray(y)
    u = _unsigned(x.dtype)
    return np.right_shift(x.view(u), y.astype(u)).view(x.dtype)


def _binary(name, impl, allow_bool=True):
    return Primitive(
        name,
        impl=impl,
        abstract_eval=lambda x, y, **_: _integer_aval(name, x, y, allow_bool=allow_bool),
        differentiable=False,
        jax=_lax_broadcasting(name),
        batch=elementwise_batch(),
    )


bitwise_and = _binary("bitwise_and", np.bitwise_and)
bitwise_or = _binary("bitwise_or", np.bitwise_or)
bitwise_xor = _binary("bitwise_xor", np.bitwise_xor)
shift_left = _binary("shift_left", np.left_shift, allow_bool=False)
shift_right_logical = _binary("shift_right_logical", _shift_right_logical, allow_bool=False)
shift_right_arithmetic = _binary("shift_right_arithmetic", np.right_shift, allow_bool=False)

bitwise_not = Primitive(
    "bitwise_not",
    impl=np.invert,
    abstract_eval=lambda x: _integer_aval("bitwise_not", x),
    differentiable=False,
    jax=_lax_broadcasting("bitwise_not"),
    batch=elementwise_batch(),
)


# ---- bitcast_convert_type: the same bits read as another dtype of the same width
def _bitcast_aval(x: Aval, *, new_dtype: np.dtype) -> Aval:
    new_dtype = np.dtype(new_dtype)
    if new_dtype.itemsize != x.dtype.itemsize:
        raise shape_error(
            "bitcast_convert_type",
            f"{x.dtype} and {new_dtype} differ in width ({x.dtype.itemsize * 8} and "
            f"{new_dtype.itemsize * 8} bits); only same-width bit casts are supported",
        )
    return Aval(x.shape, new_dtype)


def _bitcast_impl(x, *, new_dtype):
    # A copy, not a view: generated code may later write into this result's buffer.
    return np.array(x, copy=True).view(new_dtype)


def _bitcast_jax(x, *, new_dtype):
    from jax import lax

    return lax.bitcast_convert_type(x, new_dtype)


bitcast_convert_type = Primitive(
    "bitcast_convert_type",
    impl=_bitcast_impl,
    abstract_eval=_bitcast_aval,
    differentiable=False,
    jax=_bitcast_jax,
    batch=elementwise_batch(),
)


# ---- argsort: stable, along one axis (the sort behind random.permutation)
def _argsort_aval(x: Aval, *, axis: int) -> Aval:
    if not 0 <= axis < x.ndim:
        raise shape_error("argsort", f"axis {axis} is out of bounds for shape {x.shape}")
    return Aval(x.shape, np.dtype(np.int64))


def _argsort_jax(x, *, axis):
    import jax.numpy as jnp

    return jnp.argsort(x, axis=axis, stable=True).astype(jnp.int64)


def _argsort_batch(vals, dims, *, size, axis):
    return argsort.bind(to_front(vals[0], dims[0], size), axis=axis + 1), 0


argsort = Primitive(
    "argsort",
    impl=lambda x, *, axis: np.argsort(x, axis=axis, kind="stable").astype(np.int64),
    abstract_eval=_argsort_aval,
    differentiable=False,
    jax=_argsort_jax,
    batch=_argsort_batch,
)
