"""Tracing: calling a function on tracers records its primitives as a ``Graph``.

A ``GraphInterpreter`` records one equation per ``bind``. In *concrete* mode (grad, vjp) each tracer
also carries its value, computed by handing the same primitive to the parent interpreter, so
Python control flow on values works as in HIPS autograd and nested transforms stack naturally:
a value may itself be a tracer of the enclosing transform. In *abstract* mode (make_ir, jit)
tracers carry only an aval and the shape rules compute the outputs' avals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag.core import (
    Aval,
    Eqn,
    Graph,
    Interpreter,
    Lit,
    Primitive,
    Tracer,
    Var,
    aval_of,
    current_interpreter,
    use_interpreter,
)
from trace_ag.errors import api_boundary
from trace_ag.tree_util import tree_flatten, tree_unflatten


class GraphTracer(Tracer):
    """A tracer of a ``GraphInterpreter``: a graph variable plus, in concrete mode, its value."""

    __slots__ = ("var", "value")

    def __init__(self, trace: GraphInterpreter, var: Var, value: Any):
        self.trace = trace
        self.var = var
        self.value = value

    @property
    def aval(self) -> Aval:
        return self.var.aval

    def concrete_value(self) -> Any:
        value = self.value
        return value.concrete_value() if isinstance(value, Tracer) else value


class GraphInterpreter(Interpreter):
    """Records equations; in concrete mode also computes every value through ``parent``."""

    def __init__(self, parent: Interpreter, concrete: bool):
        self.parent = parent
        self.concrete = concrete
        self.alive = True
        self.eqns: list[Eqn] = []
        self.values: dict[Var, Any] = {}
        self.constvars: list[Var] = []
        self.constvals: list[Any] = []
        self._const_ids: dict[int, Var] = {}
        self._captured: list[Any] = []  # the originals, so their ids stay unique

    def new_input(self, value_or_aval: Any) -> GraphTracer:
        if isinstance(value_or_aval, Aval):
            return GraphTracer(self, Var(value_or_aval), None)
        value_or_aval = capture(value_or_aval)
        var = Var(aval_of(value_or_aval))
        self.values[var] = value_or_aval
        return GraphTracer(self, var, value_or_aval)

    def lift(self, x: Any) -> Var | Lit:
        """This trace's atom for ``x``: its own tracer's var, or a constant."""
        if isinstance(x, Tracer):
            if x.trace is self:
                return x.var
            self.check_enclosing(x)
        elif np.ndim(x) == 0 and not (isinstance(x, np.ndarray) and x.dtype.kind == "V"):
            return Lit(x[()] if isinstance(x, np.ndarray) else x)  # (float0 zeros stay arrays)
        var = self._const_ids.get(id(x))
        if var is None:
            var = self._const_ids[id(x)] = Var(aval_of(x))
            self._captured.append(x)
            value = capture(x)
            self.constvars.append(var)
            self.constvals.append(value)
            self.values[var] = value
        return var

    def value_of(self, atom: Var | Lit) -> Any:
        return atom.value if isinstance(atom, Lit) else self.values[atom]

    def process(self, prim: Primitive, args: Sequence, params: dict) -> Any:
        atoms = [self.lift(a) for a in args]
        if self.concrete:
            with use_interpreter(self.parent):
                out = prim.bind(*[self.value_of(a) for a in atoms], **params)
            outs = out if isinstance(out, tuple) else (out,)
            out_avals = [aval_of(o) for o in outs]
        else:
            out = prim.abstract_eval(*[a.aval for a in atoms], **params)
            outs = out if isinstance(out, tuple) else (out,)
            out_avals, outs = list(outs), [None] * len(outs)
        outvars = [Var(aval) for aval in out_avals]
        self.eqns.append(Eqn(prim, atoms, params, outvars))
        tracers = []
        for var, value in zip(outvars, outs, strict=True):
            if value is not None:
                self.values[var] = value
            tracers.append(GraphTracer(self, var, value))
        return tuple(tracers) if isinstance(out, tuple) else tracers[0]

    def to_graph(self, invars: list[Var], outvars: list[Var | Lit]) -> Graph:
        return Graph(invars, list(self.eqns), outvars, list(self.constvars), list(self.constvals))


def capture(x: Any) -> Any:
    """``x`` as it is now: a writable NumPy array is copied, so that mutating it later changes
    no graph, pullback or compiled function that captured it (JAX's rule: values are captured
    when traced)."""
    if isinstance(x, np.ndarray) and (x.flags.writeable or not x.flags.owndata):
        # (A read-only view may still see writes through its base.) The copy keeps the memory
        # layout: a batch-last activation captured by a custom_jvp rule must reduce in the same
        # order as under jit, or eager and jit gradients differ in their last bits.
        return x.copy(order="K")
    return x


def as_input_value(x: Any, fn_name: str) -> Any:
    """Check a pytree leaf passed to a transform and turn Python numbers into NumPy values."""
    if isinstance(x, (np.ndarray, np.generic, Tracer)):
        return x
    if hasattr(x, "__array__") and hasattr(x, "shape") and hasattr(x, "dtype"):
        return x  # another library's array (e.g. a jax.Array): kept as it is
    if isinstance(x, (bool, int, float, complex)):
        from trace_ag.numpy._base import python_data_dtype

        return python_data_dtype(np.asarray(x))[()]
    if isinstance(x, (list, tuple)):
        return np.asarray(x)
    raise TypeError(
        errors.at_user_line(
            f"{fn_name}: arguments must be arrays, numbers or pytrees (dict/list/tuple) of them; "
            f"got a leaf of type {type(x).__name__}. Mark it static or close over it instead."
        )
    )


def trace(
    fn: Callable, args: Sequence, concrete: bool, fn_name: str
) -> tuple[GraphInterpreter, list[Var], Any]:
    """Call ``fn(*args)`` on fresh tracers (``args`` may hold values or avals); returns the
    trace, the input vars and the output exactly as ``fn`` returned it. The caller lifts the
    outputs and then calls ``end(trace)``.
    """
    flat, in_tree = tree_flatten(tuple(args))
    tr = GraphInterpreter(current_interpreter(), concrete)
    if concrete:
        tracers = [tr.new_input(as_input_value(x, fn_name)) for x in flat]
    else:
        tracers = [
            tr.new_input(x if isinstance(x, Aval) else aval_of(as_input_value(x, fn_name)))
            for x in flat
        ]
    try:
        with use_interpreter(tr):
            out = fn(*tree_unflatten(in_tree, tracers))
    except BaseException:
        end(tr)  # a raising function leaves no live trace behind
        raise
    return tr, [t.var for t in tracers], out


def end(tr: GraphInterpreter) -> None:
    """Mark a trace finished, so that its tracers can no longer be used."""
    tr.alive = False


def trace_to_graph(
    fn: Callable, args: Sequence, concrete: bool, fn_name: str
) -> tuple[GraphInterpreter, Graph, Any]:
    """Trace ``fn(*args)`` into a graph whose outputs are its flattened output: returns the
    (ended) trace, the graph and the output tree. The one way every transform traces."""
    tr, invars, out = trace(fn, args, concrete, fn_name)
    try:
        out_flat, out_tree = tree_flatten(out)
        outvars = [tr.lift(o) for o in out_flat]
    finally:
        end(tr)
    return tr, tr.to_graph(invars, outvars), out_tree


def make_ir(fn: Callable, static_argnums: int | Sequence[int] = ()) -> Callable[..., Graph]:
    """Trace ``fn`` abstractly and return its graph, like ``jax.make_jaxpr``.

    Examples:
        >>> import trace_ag as ag, trace_ag.numpy as tnp
        >>> print(ag.make_ir(lambda x: tnp.sin(x) * 2.0)(1.0))
        { lambda a:f64[] . let
            b:f64[] = sin a
            c:f64[] = mul b 2.0
          in ( c ) }
    """
    static = {static_argnums} if isinstance(static_argnums, int) else set(static_argnums)

    @api_boundary
    def make(*args: Any) -> Graph:
        dynamic = [a for i, a in enumerate(args) if i not in static]

        def with_static(*dyn):
            it = iter(dyn)
            return fn(*[a if i in static else next(it) for i, a in enumerate(args)])

        return trace_to_graph(with_static, dynamic, concrete=False, fn_name="make_ir")[1]

    return make
