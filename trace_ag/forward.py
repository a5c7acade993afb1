"""Forward mode: ``jvp`` and ``linearize``.

A ``JVPInterpreter`` carries a (primal, tangent) pair per tracer; ``None`` is a symbolic zero
tangent.
Each primitive's ``jvp`` rule, ``rule(primals, tangents, **params) -> (out, tangent_out)``,
runs under the parent interpreter, so forward mode nests with everything else. A primitive
without a jvp rule falls back to transposing its vjp rule: ``J t = d/dg <J^T g, t>``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag import errors, tracing
from trace_ag.autodiff import apply_vjp, grad, to_user
from trace_ag.core import (
    Aval,
    Interpreter,
    Primitive,
    Tracer,
    aval_of,
    check_complex_rules,
    current_interpreter,
    is_complex,
    is_inexact,
    use_interpreter,
    zeros_like,
)
from trace_ag.errors import api_boundary
from trace_ag.interpret import eval_graph
from trace_ag.tracing import as_input_value
from trace_ag.tree_util import tree_flatten, tree_unflatten


class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent")

    def __init__(self, trace: JVPInterpreter, primal: Any, tangent: Any):
        self.trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self) -> Aval:
        return aval_of(self.primal)

    def concrete_value(self) -> Any:
        p = self.primal
        return p.concrete_value() if isinstance(p, Tracer) else p


def instantiate(tangent: Any, primal: Any) -> Any:
    """A symbolic zero tangent made concrete."""
    return zeros_like(primal) if tangent is None else tangent


def instantiate_all(primals: Sequence, tangents: Sequence) -> list:
    return [instantiate(t, p) for p, t in zip(primals, tangents, strict=True)]


def real_pairing(a: Any, b: Any) -> Any:
    """``Re(sum(a * b))``: the pairing under which JAX's vjp is the transpose of its jvp, for
    real and complex values alike (so ``grad`` of it with respect to ``a`` recovers ``b``)."""
    product = (a * b).sum()
    if is_complex(aval_of(product).dtype):
        from trace_ag import numpy as tnp

        return tnp.real(product)
    return product


def jvp_by_transposing_vjp(prim: Primitive, primals, tangents, **params):
    """``J t`` as the gradient, with respect to the cotangent ``g``, of ``<vjp(g), t>``."""
    out = prim.bind(*primals, **params)
    outs = list(out) if prim.multiple_results else [out]
    active = [i for i, t in enumerate(tangents) if t is not None]

    needed = [t is not None for t in tangents]

    def pairing(*gs):
        cts = apply_vjp(prim, params, list(gs), outs, primals, needed)
        terms = [real_pairing(cts[i], tangents[i]) for i in active if cts[i] is not None]
        return sum(terms[1:], terms[0]) if terms else np.zeros(())

    seeds = [zeros_like(o) for o in outs]
    t_out = [
        t if is_inexact(aval_of(o).dtype) else None
        for t, o in zip(grad(pairing, argnums=tuple(range(len(outs))))(*seeds), outs, strict=True)
    ]
    return out, (tuple(t_out) if prim.multiple_results else t_out[0])


class JVPInterpreter(Interpreter):
    """Pushes tangents forward alongside primals."""

    def __init__(self, parent: Interpreter):
        self.parent = parent
        self.alive = True

    def lift(self, x: Any) -> tuple[Any, Any]:
        if isinstance(x, JVPTracer) and x.trace is self:
            return x.primal, x.tangent
        if isinstance(x, Tracer):
            self.check_enclosing(x)
        return x, None

    def process(self, prim: Primitive, args: Sequence, params: dict) -> Any:
        pairs = [self.lift(a) for a in args]
        primals = [p for p, _ in pairs]
        tangents = [t if t is not None and is_inexact(aval_of(p).dtype) else None for p, t in pairs]
        with use_interpreter(self.parent):
            if not prim.differentiable or all(t is None for t in tangents):
                return prim.bind(*primals, **params)
            rule = prim.jvp or (lambda ps, ts, **kw: jvp_by_transposing_vjp(prim, ps, ts, **kw))
            out, t_out = rule(primals, tangents, **params)
        if not prim.complex_rules:
            outs = out if prim.multiple_results else (out,)
            avals = [aval_of(p) for p, t in zip(primals, tangents, strict=True) if t is not None]
            check_complex_rules(prim, avals + [aval_of(o) for o in outs], "jvp")
        if prim.multiple_results:
            return tuple(self.wrap(o, t) for o, t in zip(out, t_out, strict=True))
        return self.wrap(out, t_out)

    def wrap(self, primal: Any, tangent: Any) -> Any:
        if tangent is None or not is_inexact(aval_of(primal).dtype):
            return primal  # a zero tangent: no tracer needed
        return JVPTracer(self, primal, tangent)


def _check_tangents(primals: list, tangents: list, fn: str) -> None:
    for p, t in zip(primals, tangents, strict=True):
        if np.shape(p) != np.shape(t):
            raise errors.ShapeError(
                errors.at_user_line(
                    f"{fn}: a tangent of shape {np.shape(t)} was given for a primal of shape "
                    f"{np.shape(p)}"
                )
            )


@api_boundary
def jvp(fn: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False):
    """Evaluate ``fn(*primals)`` and its directional derivative along ``tangents``.

    Returns ``(out, tangent_out)`` (and ``aux`` with ``has_aux``), pytrees like the output.

    Examples:
        >>> out, tangent = ag.jvp(tnp.sin, (0.5,), (1.0,))
        >>> print(round(float(out), 6), round(float(tangent), 6))    # sin 0.5, cos 0.5
        0.479426 0.877583
    """
    p_flat, p_tree = tree_flatten(tuple(primals))
    t_flat, t_tree = tree_flatten(tuple(tangents))
    if p_tree != t_tree:
        raise ValueError(
            errors.at_user_line(
                f"jvp: primals {p_tree} and tangents {t_tree} must have the same structure"
            )
        )
    p_flat = [as_input_value(x, "jvp") for x in p_flat]
    t_flat = [as_input_value(x, "jvp") for x in t_flat]
    for p, t in zip(p_flat, t_flat, strict=True):
        if is_complex(aval_of(t).dtype) and not is_complex(aval_of(p).dtype):
            raise TypeError(
                errors.at_user_line(f"jvp: a complex tangent for a real primal ({aval_of(p)})")
            )
    _check_tangents(p_flat, t_flat, "jvp")
    trace = JVPInterpreter(current_interpreter())
    tracers = [JVPTracer(trace, p, t) for p, t in zip(p_flat, t_flat, strict=True)]
    try:
        with use_interpreter(trace):
            out = fn(*tree_unflatten(p_tree, tracers))
        if has_aux:
            out, aux = out
            aux = _map_out(trace, aux)[0]
        out_flat, out_tree = tree_flatten(out)
        pairs = [trace.lift(o) for o in out_flat]
    finally:
        trace.alive = False
    primals_out = [to_user(p) for p, _ in pairs]
    tangents_out = [to_user(instantiate(t, p)) for p, t in pairs]
    result = (tree_unflatten(out_tree, primals_out), tree_unflatten(out_tree, tangents_out))
    return (*result, aux) if has_aux else result


def _map_out(trace: JVPInterpreter, tree: Any):
    flat, t = tree_flatten(tree)
    return tree_unflatten(t, [to_user(trace.lift(x)[0]) for x in flat]), t


@api_boundary
def linearize(fn: Callable, *primals: Any):
    """``(out, f_jvp)``: the output at ``primals`` and the function ``f_jvp(*tangents)`` giving
    the directional derivative there. ``fn`` is traced once, now: the primals and the arrays it
    closes over are captured as they are at this call, as in JAX.

    Examples:
        >>> out, f_jvp = ag.linearize(tnp.sin, 0.5)
        >>> print(round(float(f_jvp(1.0)), 6))   # cos(0.5)
        0.877583
    """
    tr, graph, out_tree = tracing.trace_to_graph(fn, primals, concrete=True, fn_name="linearize")
    captured = tree_unflatten(tree_flatten(tuple(primals))[1], [tr.values[v] for v in graph.invars])

    def replay(*args: Any) -> Any:
        return tree_unflatten(out_tree, eval_graph(graph, *tree_flatten(args)[0]))

    out_user = tree_unflatten(out_tree, [to_user(tr.value_of(v)) for v in graph.outvars])
    return out_user, lambda *tangents: jvp(replay, captured, tangents)[1]
