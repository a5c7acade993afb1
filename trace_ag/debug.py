"""``trace_ag.debug``: ``debug.print``, JAX's printf for traced code.

``debug.print(fmt, *args, **kwargs)`` formats ``fmt.format(*args, **kwargs)`` with the
arguments as NumPy arrays (pytrees of them allowed), as ``jax.debug.print`` does:

- eagerly, and inside ``grad``/``vjp``/``jvp`` (whose tracers carry values), it prints the
  values at once (the primal values under differentiation);
- inside ``vmap`` it prints one line per batch element, in order, as JAX does (one level of
  ``vmap``; under nested ``vmap`` the arguments print as ``Traced<...>``);
- inside ``ag.jit`` (and ``make_ir``, ``lax.scan``/``cond`` bodies) values are not known when
  the function is traced and trace_ag cannot stage a print into compiled code, so it prints
  **once per trace**, at trace time, with each traced argument shown as ``Traced<f64[3]>``.
  JAX would print the runtime values at every call.

Examples:
    >>> import numpy as np
    >>> from trace_ag import debug
    >>> debug.print("x = {x}, total {}", np.float64(6.0), x=np.arange(3))
    x = [0 1 2], total 6.0
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from trace_ag.core import Tracer
from trace_ag.tree_util import tree_leaves, tree_map

__all__ = ["print"]


class _Traced:
    """How an argument without a value prints: ``Traced<f64[3]>``."""

    def __init__(self, aval: Any) -> None:
        self.aval = aval

    def __format__(self, spec: str) -> str:
        return f"Traced<{self.aval}>"

    __repr__ = __str__ = lambda self: self.__format__("")  # noqa: E731


class _Batch:
    """A batched argument under one level of vmap: values stacked along axis 0."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values


def _value(x: Any) -> Any:
    from trace_ag.batching import BatchTracer  # here: batching imports trace_ag.numpy

    if not isinstance(x, Tracer):
        return x
    if isinstance(x, BatchTracer):
        inner = x.value
        if isinstance(inner, Tracer):
            inner = inner.concrete_value()
        if inner is None or isinstance(inner, Tracer):
            return _Traced(x.aval)
        return _Batch(np.moveaxis(np.asarray(inner), x.bdim, 0))
    value = x.concrete_value()
    return _Traced(x.aval) if value is None else np.asarray(value)


def print(fmt: str, *args: Any, ordered: bool = False, **kwargs: Any) -> None:  # noqa: A001
    """Print ``fmt.format(*args, **kwargs)`` with array values (see the module docstring for
    what happens under each transform). ``ordered`` is accepted for JAX compatibility: prints
    here always happen in program order."""
    args, kwargs = tree_map(_value, (args, kwargs))
    batches = [leaf.values for leaf in _leaves((args, kwargs)) if isinstance(leaf, _Batch)]
    if not batches:
        builtins.print(fmt.format(*args, **kwargs))
        return
    for i in range(len(batches[0])):
        pick = lambda leaf, i=i: leaf.values[i] if isinstance(leaf, _Batch) else leaf  # noqa: E731
        a, k = tree_map(pick, (args, kwargs), is_leaf=lambda v: isinstance(v, _Batch))
        builtins.print(fmt.format(*a, **k))


def _leaves(tree: Any) -> list:
    return tree_leaves(tree, is_leaf=lambda v: isinstance(v, _Batch))
