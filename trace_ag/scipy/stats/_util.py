"""Argument handling shared by the distributions: JAX's ``promote_args_inexact`` (one float
dtype for every argument, Python scalars weak), ``lax.clamp`` with its gradient, and the special
functions looked up when called (some arrive in ``trace_ag.scipy.special`` later than others)."""

from __future__ import annotations

from typing import Any

from trace_ag import numpy as tnp
from trace_ag.numpy._base import promote_float


def promote_args(fn: str, *args: Any) -> list:
    """``args`` in their common float dtype; complex values are refused (as SciPy's are)."""
    out = promote_float(*args)
    if any(tnp.iscomplexobj(a) for a in out):
        raise TypeError(f"{fn}: complex arguments are not supported, got dtype {out[0].dtype}")
    return out


def clamp(lo: Any, x: Any, hi: Any) -> Any:
    """``lax.clamp``: ``x`` limited to ``[lo, hi]``; the gradient flows only strictly inside."""
    inside = (x > lo) & (x < hi)
    return tnp.where(inside, x, tnp.where(x <= lo, lo, hi))


def special(name: str) -> Any:
    """``trace_ag.scipy.special.<name>``, with a clear error if it is not there."""
    from trace_ag.scipy import special as sp

    fn = getattr(sp, name, None)
    if fn is None:
        raise NotImplementedError(
            f"trace_ag.scipy.special.{name} is not available yet; the distribution functions "
            "that need it cannot be computed"
        )
    return fn
