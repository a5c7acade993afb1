"""Vectorization: ``vmap``.

A ``BatchInterpreter`` carries each value with the position of its batch axis (``bdim``; ``None``
when the value is the same for the whole batch). A primitive's batching rule,
``rule(values, bdims, **params) -> (out, out_bdim)``, runs under the parent interpreter. A
primitive without one falls back to a loop over the batch, with a one-time warning naming it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag.autodiff import to_user
from trace_ag.core import (
    Aval,
    Interpreter,
    Primitive,
    Tracer,
    aval_of,
    current_interpreter,
    use_interpreter,
)
from trace_ag.errors import api_boundary
from trace_ag.primitives._transform_rules import to_front
from trace_ag.tracing import as_input_value
from trace_ag.tree_util import tree_flatten, tree_unflatten

_warned: set[str] = set()


def batch_by_looping(prim: Primitive, vals: list, dims: list, size: int, **params):
    """Apply ``prim`` to each batch element and stack: the fallback for rule-less primitives."""
    from trace_ag import numpy as tnp

    if prim.name not in _warned:
        _warned.add(prim.name)
        warnings.warn(
            errors.at_user_line(
                f"vmap: primitive '{prim.name}' has no batching rule; falling back to a loop over "
                f"the batch (size {size})"
            ),
            stacklevel=2,
        )
    results = []
    for i in range(size):
        args = [v if d is None else tnp.take(v, i, axis=d) for v, d in zip(vals, dims, strict=True)]
        results.append(prim.bind(*args, **params))
    if prim.multiple_results:
        outs = tuple(tnp.stack([r[j] for r in results]) for j in range(len(results[0])))
        return outs, (0,) * len(outs)
    return tnp.stack(results), 0


class BatchTracer(Tracer):
    __slots__ = ("value", "bdim")

    def __init__(self, trace: BatchInterpreter, value: Any, bdim: int):
        self.trace = trace
        self.value = value
        self.bdim = bdim

    @property
    def aval(self) -> Aval:
        aval = aval_of(self.value)
        return Aval(aval.shape[: self.bdim] + aval.shape[self.bdim + 1 :], aval.dtype)

    def concrete_value(self) -> Any:
        return None  # a batch of values has no single value for Python to branch on


class BatchInterpreter(Interpreter):
    """Carries batched values with their batch axis through every primitive."""

    def __init__(self, parent: Interpreter, size: int):
        self.parent = parent
        self.size = size
        self.alive = True

    def lift(self, x: Any) -> tuple[Any, int | None]:
        if isinstance(x, BatchTracer) and x.trace is self:
            return x.value, x.bdim
        if isinstance(x, Tracer):
            self.check_enclosing(x)
        return x, None

    def process(self, prim: Primitive, args: Sequence, params: dict) -> Any:
        pairs = [self.lift(a) for a in args]
        vals, dims = [v for v, _ in pairs], [d for _, d in pairs]
        with use_interpreter(self.parent):
            if all(d is None for d in dims):
                return prim.bind(*vals, **params)
            result = NotImplemented
            if prim.batch is not None:
                result = prim.batch(vals, dims, size=self.size, **params)
            if result is NotImplemented:  # no rule, or none for this case
                result = batch_by_looping(prim, vals, dims, self.size, **params)
            out, out_dims = result
        if prim.multiple_results:
            return tuple(self.wrap(o, d) for o, d in zip(out, out_dims, strict=True))
        return self.wrap(out, out_dims)

    def wrap(self, value: Any, bdim: int | None) -> Any:
        return value if bdim is None else BatchTracer(self, value, bdim)


def _axes_per_leaf(axes: Any, args: tuple, what: str, name: str) -> list:
    """One axis (or None) per leaf of ``args``, from an int/None or a pytree prefix of args
    (checked as a prefix: a dict's keys must match, not only its number of entries)."""
    if isinstance(axes, list):
        axes = tuple(axes)
    if isinstance(axes, tuple) and len(axes) != len(args):
        raise ValueError(
            errors.at_user_line(
                f"vmap({name}): {what} has {len(axes)} entries but the function got {len(args)} "
                "arguments"
            )
        )
    prefix = axes if isinstance(axes, tuple) else (axes,) * len(args)
    spec_leaves, spec_tree = tree_flatten(prefix, is_leaf=lambda s: s is None)
    for spec in spec_leaves:
        if not (
            spec is None or (isinstance(spec, (int, np.integer)) and not isinstance(spec, bool))
        ):
            raise TypeError(
                errors.at_user_line(
                    f"vmap({name}): {what} must be an int, None, or a tuple (pytree prefix of "
                    f"the arguments) whose leaves are ints or None; got a leaf {spec!r}"
                )
            )
    try:
        subtrees = spec_tree.flatten_up_to(args)
    except ValueError as e:
        raise ValueError(
            errors.at_user_line(f"vmap({name}): {what} is not a tree prefix of the arguments: {e}")
        ) from None
    per_leaf = []
    for spec, sub in zip(spec_leaves, subtrees, strict=True):
        per_leaf += [spec] * len(tree_flatten(sub)[0])
    return per_leaf


def vmap(fn: Callable, in_axes: Any = 0, out_axes: Any = 0):
    """Vectorize ``fn`` over an axis of its arguments (``in_axes``; ``None`` broadcasts an
    argument) and stack the results along ``out_axes``, like ``jax.vmap``.

    Examples:
        >>> def loss(w, x, y): return (tnp.dot(x, w) - y) ** 2
        >>> params, xs, ys = np.ones(2), np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 2.0])
        >>> per_example = ag.vmap(ag.grad(loss), in_axes=(None, 0, 0))(params, xs, ys)
        >>> print(per_example)
        [[ 4.  8.]
         [30. 40.]]
    """
    name = getattr(fn, "__name__", "fn")

    @api_boundary
    def batched(*args: Any) -> Any:
        flat, in_tree = tree_flatten(args)
        flat = [as_input_value(x, "vmap") for x in flat]
        axes = _axes_per_leaf(in_axes, args, "in_axes", name)
        sizes = {}
        for i, (x, axis) in enumerate(zip(flat, axes, strict=True)):
            if axis is None:
                continue
            ndim = np.ndim(x)
            if not -ndim <= axis < ndim:
                raise errors.ShapeError(
                    errors.at_user_line(
                        f"vmap({name}): in_axes {axis} is out of range for argument leaf {i} of "
                        f"shape {np.shape(x)}"
                    )
                )
            axes[i] = axis % ndim
            sizes[i] = np.shape(x)[axes[i]]
        if not sizes:
            raise ValueError(f"vmap({name}): in_axes maps no argument (all None)")
        if len(set(sizes.values())) > 1:
            detail = ", ".join(f"leaf {i}: {n}" for i, n in sizes.items())
            raise ValueError(
                errors.at_user_line(f"vmap({name}): mapped axes have different sizes ({detail})")
            )
        size = next(iter(sizes.values()))
        trace = BatchInterpreter(current_interpreter(), size)
        tracers = [
            x if a is None else BatchTracer(trace, x, a) for x, a in zip(flat, axes, strict=True)
        ]
        try:
            with use_interpreter(trace):
                out = fn(*tree_unflatten(in_tree, tracers))
            out_flat, out_tree = tree_flatten(out)
            pairs = [trace.lift(o) for o in out_flat]
        finally:
            trace.alive = False
        outs_axes = _axes_per_leaf((out_axes,), (out,), "out_axes", name)
        results = [_place(v, d, a, size, name) for (v, d), a in zip(pairs, outs_axes, strict=True)]
        return tree_unflatten(out_tree, results)

    return batched


def _place(value: Any, bdim: int | None, out_axis: int | None, size: int, name: str) -> Any:
    from trace_ag import numpy as tnp

    if out_axis is None:
        if bdim is not None:
            raise ValueError(
                errors.at_user_line(
                    f"vmap({name}): out_axes=None but an output depends on the mapped axis"
                )
            )
        return to_user(value)
    value = to_front(value, bdim, size)
    return to_user(tnp.moveaxis(value, 0, out_axis) if out_axis != 0 else value)
