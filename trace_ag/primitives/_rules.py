"""Helpers shared by the primitive declarations: shape rules, lowering, ``unbroadcast``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from trace_ag.core import Aval, shape_error


def same_aval(x: Aval, **_) -> Aval:
    return x


def same_aval_noop(params: dict, x: Aval, out: Aval) -> bool:
    """A cast, reshape or broadcast to the aval its operand already has returns the operand."""
    return x == out


def broadcast_avals(name: str, *avals: Aval, out_dtype: np.dtype | None = None) -> Aval:
    """The aval of NumPy-broadcasting ``avals``, whose dtypes must agree (tnp promotes first)."""
    try:
        shape = np.broadcast_shapes(*(a.shape for a in avals))
    except ValueError:
        shapes = " and ".join(str(a.shape) for a in avals)
        raise shape_error(
            name,
            f"shapes {shapes} do not broadcast together (NumPy aligns trailing axes; each "
            "pair of sizes must be equal or one of them 1)",
        ) from None
    dtypes = {a.dtype for a in avals}
    if len(dtypes) > 1:
        raise shape_error(name, f"dtypes {sorted(d.name for d in dtypes)} differ")
    return Aval(shape, np.dtype(out_dtype) if out_dtype is not None else avals[0].dtype)


def jnp_fn(name: str) -> Callable:
    """A JAX lowering that calls ``jax.numpy.<name>`` with the same arguments."""

    def lower(*args, **params):
        import jax.numpy as jnp

        return getattr(jnp, name)(*args, **params)

    lower.__name__ = f"jnp_{name}"
    return lower


def lax_fn(name: str) -> Callable:
    """A JAX lowering that calls ``jax.lax.<name>`` with the same arguments."""

    def lower(*args, **params):
        from jax import lax

        return getattr(lax, name)(*args, **params)

    lower.__name__ = f"lax_{name}"
    return lower


def unbroadcast(g, shape: tuple[int, ...]):
    """Sum a cotangent ``g`` back down to ``shape``, undoing NumPy broadcasting.

    The one place where broadcasting is reversed: every binary vjp rule goes through it.

    Examples:
        >>> unbroadcast(np.ones((2, 3, 4, 5, 6)), (4, 1, 6)).shape
        (4, 1, 6)
    """
    g_shape = np.shape(g)
    if g_shape == tuple(shape):
        return g
    from trace_ag import numpy as tnp

    lead = len(g_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1
    )
    return tnp.reshape(tnp.sum(g, axis=axes), shape)
