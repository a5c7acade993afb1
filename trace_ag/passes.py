"""Graph passes: small graph-to-graph functions that jit runs before generating code.

- ``inline_custom_jvp``: a ``custom_jvp`` function's call becomes its equations;
- ``dce``: drop equations whose outputs nobody reads;
- ``cse``: reuse the result of an identical earlier equation;
- ``fold_constants``: evaluate equations whose inputs are all constants;
- ``simplify``: the algebraic clean-ups reverse mode needs (``x + 0``, ``x * 1``, ``--x``,
  transposes of transposes, reshape chains, no-op reshapes/broadcasts/casts).

Each pass keeps the graph's inputs and outputs and returns a new graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trace_ag import config
from trace_ag.core import Eqn, Graph, Lit, Tracer, Var, aval_of
from trace_ag.interpret import GraphTypeError, typecheck_graph

Atom = Var | Lit
FOLD_MAX_ELEMENTS = 1 << 16  # larger constants are computed at run time instead


def dce(graph: Graph) -> Graph:
    """Dead-code elimination: keep only equations that contribute to the outputs."""
    live = {a for a in graph.outvars if isinstance(a, Var)}
    kept = []
    for eqn in reversed(graph.eqns):
        if any(v in live for v in eqn.outputs):
            kept.append(eqn)
            live.update(a for a in eqn.inputs if isinstance(a, Var))
    consts = [(v, c) for v, c in zip(graph.constvars, graph.constvals, strict=True) if v in live]
    return Graph(
        graph.invars, kept[::-1], graph.outvars, [v for v, _ in consts], [c for _, c in consts]
    )


class _Rewriter:
    """Walks equations in order, substituting atoms; a rule may replace an equation's single
    output by an existing atom (``return atom``) or keep the equation (``return None``)."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.subst: dict[Var, Atom] = {}
        self.consts = dict(zip(graph.constvars, graph.constvals, strict=True))
        self.eqns: list[Eqn] = []

    def read(self, atom: Atom) -> Atom:
        return self.subst.get(atom, atom) if isinstance(atom, Var) else atom

    def run(self, rule: Callable[[_Rewriter, Eqn], Atom | None]) -> Graph:
        for eqn in self.graph.eqns:
            eqn = Eqn(eqn.primitive, [self.read(a) for a in eqn.inputs], eqn.params, eqn.outputs)
            replacement = rule(self, eqn) if len(eqn.outputs) == 1 else None
            if replacement is None:
                self.eqns.append(eqn)
            else:
                self.subst[eqn.outputs[0]] = replacement
        outvars = [self.read(a) for a in self.graph.outvars]
        return Graph(
            self.graph.invars, self.eqns, outvars, list(self.consts), list(self.consts.values())
        )

    def constant_value(self, atom: Atom) -> Any:
        """The value of a literal or a non-traced constant, else None."""
        if isinstance(atom, Lit):
            return atom.value
        value = self.consts.get(atom)
        return None if isinstance(value, Tracer) else value

    def new_constant(self, value: Any) -> Atom:
        if np.ndim(value) == 0:
            return Lit(np.asarray(value)[()])
        var = Var(aval_of(value))
        self.consts[var] = value
        return var


def _value_key(value: Any) -> Any:
    """A hashable key equal only for interchangeable values: numbers by type and bits, so that
    ``-0.0`` and ``0.0`` differ, a nan equals itself, and ``1``, ``1.0`` and ``True`` differ.
    Raises TypeError for an unhashable value (an array: then the equation is not merged)."""
    if isinstance(value, (bool, int)):  # Python ints may exceed int64: compare them exactly
        return (type(value).__name__, value)
    if isinstance(value, (float, complex, np.generic)):
        scalar = np.asarray(value)
        return (type(value).__name__, scalar.dtype.str, scalar.tobytes())
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(_value_key(v) for v in value))
    if isinstance(value, np.ndarray):
        raise TypeError("arrays are not compared")
    hash(value)
    return (type(value).__name__, value)


def _params_key(params: dict) -> Any:
    try:
        return tuple(sorted((name, _value_key(v)) for name, v in params.items()))
    except TypeError:
        return None


def _atom_key(atom: Atom) -> Any:
    if isinstance(atom, Var):
        return id(atom)
    return ("lit", _value_key(np.asarray(atom.value)[()]))


def cse(graph: Graph) -> Graph:
    """Common-subexpression elimination: an equation identical to an earlier one (same
    primitive, inputs and params) reuses the earlier result."""
    seen: dict[Any, Var] = {}

    def rule(rw: _Rewriter, eqn: Eqn) -> Atom | None:
        params = _params_key(eqn.params)
        if params is None:
            return None
        key = (eqn.primitive.name, tuple(_atom_key(a) for a in eqn.inputs), params)
        if key in seen:
            return seen[key]
        seen[key] = eqn.outputs[0]
        return None

    return _Rewriter(graph).run(rule)


def fold_constants(graph: Graph) -> Graph:
    """Evaluate equations whose inputs are all constants (results up to 64K elements)."""

    def rule(rw: _Rewriter, eqn: Eqn) -> Atom | None:
        values = [rw.constant_value(a) for a in eqn.inputs]
        if any(v is None for v in values) or eqn.outputs[0].aval.size > FOLD_MAX_ELEMENTS:
            return None
        out = eqn.primitive.impl(*values, **eqn.params)
        if eqn.primitive.multiple_results:  # its one output, returned as a 1-tuple
            (out,) = out
        return rw.new_constant(out)

    return _Rewriter(graph).run(rule)


def _is_exactly(rw: _Rewriter, atom: Atom, number: Any) -> bool:
    """``atom`` is a constant equal to ``number`` everywhere, zeros with ``number``'s sign (so
    ``x + -0.0`` simplifies, ``x + 0.0`` does not: it turns ``-0.0`` into ``0.0``)."""
    value = rw.constant_value(atom)
    if value is None or np.size(value) == 0:
        return False
    value = np.asarray(value)
    if not bool(np.all(value == number)):
        return False
    if value.dtype.kind == "c":
        return number != 0  # a complex zero has two signs: leave it
    return value.dtype.kind != "f" or bool(np.all(np.signbit(value) == np.signbit(number)))


def _same_aval(atom: Atom, eqn: Eqn) -> bool:
    return atom.aval == eqn.outputs[0].aval


def _unbroadcast(atom: Atom, producers: dict[Var, Eqn]) -> Atom:
    """What ``atom`` broadcasts, if a ``broadcast_to`` made it (a constant too large to fold,
    such as the ones that seed a gradient), else ``atom``."""
    eqn = producers.get(atom) if isinstance(atom, Var) else None
    return eqn.inputs[0] if eqn is not None and eqn.primitive.name == "broadcast_to" else atom


def _identity_rules(rw: _Rewriter, eqn: Eqn, producers: dict[Var, Eqn]) -> Atom | None:
    """An equation that returns one of its inputs unchanged, by its primitive's declared
    identities (``x * 1``, also with the 1 broadcast) or no-op condition (a reshape to the
    same shape)."""
    prim, ins = eqn.primitive, eqn.inputs
    for position, constant in prim.identities.items():
        other = ins[1 - position]
        known = _unbroadcast(ins[position], producers)
        if _is_exactly(rw, known, constant) and _same_aval(other, eqn):
            return other
    if prim.noop is not None and prim.noop(eqn.params, ins[0].aval, eqn.outputs[0].aval):
        return ins[0]
    return None


def _chain_rules(rw: _Rewriter, eqn: Eqn, producers: dict[Var, Eqn]) -> Atom | None:
    """An op applied to the result of the same op: an involution cancels, a composable op
    becomes one application (declared by the primitive)."""
    prim, x = eqn.primitive, eqn.inputs[0]
    inner = producers.get(x) if isinstance(x, Var) else None
    if inner is None or inner.primitive is not prim:
        return None
    if prim.involution:
        return inner.inputs[0]
    if prim.compose is not None:
        params = prim.compose(eqn.params, inner.params)
        if params is None:
            return None
        eqn.inputs, eqn.params = [inner.inputs[0]], params
        if prim.noop is not None and prim.noop(params, inner.inputs[0].aval, eqn.outputs[0].aval):
            return inner.inputs[0]
    return None


def simplify(graph: Graph) -> Graph:
    """Algebraic clean-ups; equations left unused are removed by a following ``dce``."""
    producers: dict[Var, Eqn] = {}

    def rule(rw: _Rewriter, eqn: Eqn) -> Atom | None:
        result = _identity_rules(rw, eqn, producers)
        if result is None:
            result = _chain_rules(rw, eqn, producers)
        if result is None:
            producers[eqn.outputs[0]] = eqn
        return result

    return _Rewriter(graph).run(rule)


def inline_custom_jvp(graph: Graph) -> Graph:
    """Replace each ``custom_jvp_call`` by the equations of its function. Once jit has the
    graph to run, derivatives are already taken and the rule no longer matters; the call's
    impl would run the Python function eagerly at every step (``nn.relu``: 4 calls, 0.4 ms of a
    LeNet-5 step), and its equations now join the buffer plan. (The JAX lowering of the call
    lowers the same equations.)"""
    from trace_ag.custom import custom_jvp_call

    if not any(e.primitive is custom_jvp_call for e in graph.eqns):
        return graph
    rw = _Rewriter(graph)
    for eqn in graph.eqns:
        inputs = [rw.read(a) for a in eqn.inputs]
        if eqn.primitive is not custom_jvp_call:
            rw.eqns.append(Eqn(eqn.primitive, inputs, eqn.params, eqn.outputs))
            continue
        call, in_tree = eqn.params["call"], eqn.params["in_tree"]
        inner, consts, _ = call.traced(in_tree, [a.aval for a in inputs])
        if any(isinstance(c, Tracer) for c in consts):
            rw.eqns.append(Eqn(eqn.primitive, inputs, eqn.params, eqn.outputs))
            continue
        env: dict[Var, Atom] = {}
        for var, value in zip(inner.invars, [*map(rw.new_constant, consts), *inputs], strict=True):
            env[var] = value
        for inner_eqn in inner.eqns:  # fresh variables: the same call may be inlined twice
            outputs = [Var(v.aval) for v in inner_eqn.outputs]
            env.update(zip(inner_eqn.outputs, outputs, strict=True))
            args = [env.get(a, a) if isinstance(a, Var) else a for a in inner_eqn.inputs]
            rw.eqns.append(Eqn(inner_eqn.primitive, args, inner_eqn.params, outputs))
        for out, inner_out in zip(eqn.outputs, inner.outvars, strict=True):
            rw.subst[out] = (
                env.get(inner_out, inner_out) if isinstance(inner_out, Var) else inner_out
            )
    outvars = [rw.read(a) for a in graph.outvars]
    inlined = Graph(graph.invars, rw.eqns, outvars, list(rw.consts), list(rw.consts.values()))
    return inline_custom_jvp(inlined)  # calls inside the inlined functions


DEFAULT_PASSES = (inline_custom_jvp, simplify, fold_constants, simplify, cse, dce)


def optimize(graph: Graph, passes=DEFAULT_PASSES) -> Graph:
    """Run the passes in order (by default: simplify, fold, simplify, CSE, DCE); with
    ``config.check_graphs`` each result is type-checked, naming the pass that broke it."""
    check = config.read("check_graphs")
    if check:
        typecheck_graph(graph)
    for graph_pass in passes:
        graph = graph_pass(graph)
        if check:
            try:
                typecheck_graph(graph)
            except GraphTypeError as e:
                raise GraphTypeError(f"after the pass {graph_pass.__name__}: {e}") from None
    return graph
