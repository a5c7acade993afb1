"""The Scalar fast path's backend: a few equations on 0-d float64 values lowered to one
straight-line Python function on floats, each equation running its primitive's ``float_impl``.

``lower`` is jit's code generation in miniature, with Python floats for NumPy arrays: it keeps
the equations an output needs, names each value, and writes ``v3 = v1 * v2`` where the
``float_impl`` is one of Python's operators (the same IEEE operation, without a call), else
``v3 = f2(v1)`` calling the ``float_impl`` itself. A graph with anything else (an array shape, an
integer dtype, a primitive without ``float_impl``) is not lowered: ``lower`` returns None.

``pullback_graph`` traces a recorded operation's vjp, the core's ``backward_pass`` over its
equations, with abstract scalar inputs: the graph of the operation's derivative rules, as the
rules themselves write it. No derivative is written here.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag.autodiff import backward_pass
from trace_ag.core import EVAL, Eqn, Lit, Var, use_interpreter
from trace_ag.primitives import elementwise as ew
from trace_ag.tracing import GraphInterpreter, end

# what a float_impl raises where NumPy would warn (FloatingPointError is an ArithmeticError)
FAILURES = (ArithmeticError, ValueError)

_F64, _BOOL = np.dtype(np.float64), np.dtype(np.bool_)

# float_impls that are Python operators, written as the operator itself
_OPERATORS: dict[Callable, str] = {
    operator.add: "{} + {}",
    operator.sub: "{} - {}",
    operator.mul: "{} * {}",
    operator.truediv: "{} / {}",
    operator.neg: "-{}",
    operator.eq: "{} == {}",
    operator.ne: "{} != {}",
    operator.lt: "{} < {}",
    operator.le: "{} <= {}",
    operator.gt: "{} > {}",
    operator.ge: "{} >= {}",
}
# primitives whose float_impl is a Python expression (select: a conditional, stop_gradient: the
# value itself)
_EXPRESSIONS: dict[Any, str] = {ew.select: "{1} if {0} else {2}", ew.stop_gradient: "{}"}


def _scalar_aval(aval: Any) -> bool:
    return aval.shape == () and aval.dtype in (_F64, _BOOL)


def _literal(value: Any, consts: dict[str, Any]) -> str | None:
    """Source text of a 0-d float64 or bool literal (nan and infinities by name), else None."""
    value = np.asarray(value)
    if value.shape != () or value.dtype not in (_F64, _BOOL):
        return None
    plain = value.item()
    if isinstance(plain, bool) or math.isfinite(plain):
        return repr(plain)
    name = f"c{len(consts)}"
    consts[name] = plain
    return name


def lower(
    params: Sequence[Var], eqns: Sequence[Eqn], outputs: Sequence[Var | Lit], name: str
) -> Callable | None:
    """A Python function ``name(*floats)`` computing ``outputs`` from ``params`` by ``eqns``
    (the one output itself, or a tuple of several), or None when some equation has no float
    form. It raises FloatingPointError where a float result is inf or nan. Only the equations
    the outputs need are kept; an equation whose outputs are all parameters is skipped (its
    value is passed in).

    Examples:
        >>> from trace_ag.core import Aval, Eqn, Var, Lit
        >>> x, y = Var(Aval((), np.dtype("float64"))), Var(Aval((), np.dtype("float64")))
        >>> f = lower([x], [Eqn(ew.mul, [x, Lit(np.float64(2.0))], {}, [y])], [y], "twice")
        >>> f(1.5)
        3.0
        >>> print(f.source, end="")
        def twice(v0):
            v1 = v0 * 2.0
            if v1 - v1 != 0.0:
                raise FloatingPointError
            return v1
    """
    code = _straight_line(params, eqns, outputs)
    if code is None:
        return None
    lines, results, consts = code
    body = results[0] if len(results) == 1 else "(" + "".join(r + ", " for r in results) + ")"
    head = f"def {name}({', '.join(f'v{i}' for i in range(len(params)))}):"
    floats = [r for r, v in zip(results, outputs, strict=True) if _is_f64(v)]
    checks = _finite_checks(floats, len(params))
    return _define(name, [head, *lines, *checks, f"    return {body}"], consts)


def lower_maker(
    slots: Sequence[Var],
    eqns: Sequence[Eqn],
    out: Var,
    kinds: Sequence[Any],
    name: str,
    namespace: dict[str, Any],
) -> Callable | None:
    """``name(*operands)``: the Scalar one operation makes from its operands (Scalars, floats,
    and ints, whose values are in the equations), its value computed on floats by ``eqns``
    from the ``slots`` (one per Scalar or float operand, ``kinds`` ``"s"``/``"f"``). The Scalar
    is built as ``namespace`` says: ``new``, ``scalar``, ``op``, ``creation`` (the counter
    ordering nodes) and ``float_op`` (what the node's backward step comes from). It raises
    FloatingPointError where the value is inf or nan (then NumPy computes it)."""
    code = _straight_line(slots, eqns, [out])
    if code is None:
        return None
    lines, (value,), consts = code
    loads, scalars = [], []
    for i, kind in enumerate(kinds):
        if kind == "s" or kind == "f":
            field = "._value" if kind == "s" else ""
            loads.append(f"    v{len(loads)} = o{i}{field}")
        if kind == "s":
            scalars.append(f"o{i}")
    head = f"def {name}({', '.join(f'o{i}' for i in range(len(kinds)))}):"
    build = [
        "    node = new(scalar)",
        f"    node._value = {value}",
        "    node.grad = 0.0",
        "    node.op = op",
        "    node._order = next(creation)",
        "    node._fast = float_op",
        "    node._ct = None",
        f"    node._args = ({value}, {''.join(f'v{i}, ' for i in range(len(slots)))})",
        f"    node.inputs = [{', '.join(scalars)}]",
        "    return node",
    ]
    checks = _finite_checks([value], len(slots))
    return _define(name, [head, *loads, *lines, *checks, *build], {**namespace, **consts})


def lower_step(
    params: Sequence[Var], eqns: Sequence[Eqn], cts: Sequence[Var | Lit | None], name: str
) -> Callable | None:
    """The backward step of a Scalar made on floats, from its pullback graph (``params`` are
    ``[g, out, *slots]``, ``cts`` one cotangent per Scalar operand, None where none flows).

    ``name(node, unseen)`` reads the node's cotangent from ``node._ct``, computes its operands'
    cotangents from ``node._args`` (``(out, *slots)``), then adds the cotangent to
    ``node.grad`` and each operand's to its ``_ct`` (``unseen`` until a cotangent reaches it).
    An operand used twice (``x * x``) gets the sum of its two, as ``backward_pass`` adds them.
    Nothing is changed before everything is computed, so when a ``float_impl`` raises, the
    node can be pulled back by NumPy instead. None when the graph has no float form.
    """
    code = _straight_line(params, eqns, [c for c in cts if c is not None])
    if code is None:
        return None
    lines, results, consts = code
    ct_of = iter(results)
    flowing = [(f"p{i}", next(ct_of)) for i, c in enumerate(cts) if c is not None]
    head = [f"def {name}(node, unseen):", "    v0 = node._ct"]
    if any(f"v{i}" in _words(lines + results) for i in range(1, len(params))):
        head.append(f"    {''.join(f'v{i}, ' for i in range(1, len(params)))}= node._args")
    head.append(f"    {''.join(f'p{i}, ' for i in range(len(cts)))}= node.inputs")
    tail = _finite_checks(results, len(params)) + ["    node.grad += v0"]
    if len(flowing) == 2:  # the same Scalar twice (x * x): one sum, as backward_pass makes it
        (p, a), (q, b) = flowing
        tail += [f"    if {p} is {q}:", *_add_to(p, f"{a} + {b}", "        "), "    else:"]
        tail += [*_add_to(p, a, "        "), *_add_to(q, b, "        ")]
    else:
        tail += [line for parent, ct in flowing for line in _add_to(parent, ct, "    ")]
    return _define(name, head + lines + tail, consts)


def _words(lines: list[str]) -> set[str]:
    return {w for line in lines for w in re.findall(r"[A-Za-z_]\w*", line)}


def _is_f64(atom: Var | Lit) -> bool:
    return atom.aval.dtype == _F64


def _finite_checks(texts: list[str], n_params: int) -> list[str]:
    """Lines raising where a computed result is inf or nan: NumPy then computes it again, so
    its value and its warning (overflow in ``1e200 * 1e200``, invalid ``inf * 0``) are what
    you get. Parameters passed through (``v0`` .. ``v{n_params - 1}``) are not checked."""
    given = {f"v{i}" for i in range(n_params)}
    # literals are finite (inf and nan are named constants, checked)
    names = list(dict.fromkeys(t for t in texts if t.isidentifier() and t not in given))
    if not names:
        return []
    test = " or ".join(f"{t} - {t} != 0.0" for t in names)  # x - x is 0 for finite x only
    return [f"    if {test}:", "        raise FloatingPointError"]


def _add_to(parent: str, ct: str, indent: str) -> list[str]:
    return [
        f"{indent}before = {parent}._ct",
        f"{indent}{parent}._ct = {ct} if before is unseen else before + ({ct})",
    ]


def _define(name: str, lines: list[str], consts: dict[str, Any]) -> Callable:
    source = "\n".join(lines) + "\n"
    namespace = dict(consts)
    exec(compile(source, f"<trace_ag.lecture float code {name}>", "exec"), namespace)  # noqa: S102
    fn = namespace[name]
    fn.source = source
    return fn


def _straight_line(
    params: Sequence[Var], eqns: Sequence[Eqn], outputs: Sequence[Var | Lit]
) -> tuple[list[str], list[str], dict[str, Any]] | None:
    """The statements computing ``outputs`` from parameters named ``v0, v1, ...`` (indented for
    a function body), each output's text, and the constants the statements name; None when
    some needed equation has no float form."""
    given = set(params)
    needed = {v for v in outputs if isinstance(v, Var)}
    kept = []
    for eqn in reversed(eqns):
        if any(v in needed and v not in given for v in eqn.outputs):
            kept.append(eqn)
            needed.update(a for a in eqn.inputs if isinstance(a, Var))
    kept.reverse()
    if not needed <= given | {v for e in kept for v in e.outputs}:
        return None  # an output depends on something that is neither passed nor computed
    names: dict[Var, str] = {v: f"v{i}" for i, v in enumerate(params)}
    consts: dict[str, Any] = {}

    def text(atom: Var | Lit) -> str | None:
        return names[atom] if isinstance(atom, Var) else _literal(atom.value, consts)

    lines = []
    for eqn in kept:
        prim = eqn.primitive
        if prim.float_impl is None or prim.multiple_results:
            return None
        if not all(_scalar_aval(a.aval) for a in [*eqn.inputs, *eqn.outputs]):
            return None
        args = [text(a) for a in eqn.inputs]
        if None in args:
            return None
        form = _EXPRESSIONS.get(prim) or _OPERATORS.get(prim.float_impl)
        if form is not None and not eqn.params:
            expr = form.format(*args)
        else:
            fn_name = f"f{len(consts)}"
            consts[fn_name] = prim.float_impl
            for key, value in eqn.params.items():
                if type(value) in (int, float, bool) and math.isfinite(value):
                    args.append(f"{key}={value!r}")
                else:
                    consts[f"{fn_name}_{key}"] = value
                    args.append(f"{key}={fn_name}_{key}")
            expr = f"{fn_name}({', '.join(args)})"
        (out,) = eqn.outputs
        names[out] = f"v{len(names)}"
        lines.append(f"    {names[out]} = {expr}")
    results = [text(atom) for atom in outputs]  # a Lit output is a literal too
    if None in results:
        return None
    return lines, results, consts


def pullback_graph(
    eqns: Sequence[Eqn], slots: Sequence[Var], out: Var, differentiated: Sequence[bool]
) -> tuple[list[Var], list[Eqn], list[Var | Lit | None]] | None:
    """The vjp of an operation recorded as ``eqns`` (inputs ``slots``, output ``out``) as a
    graph: parameters ``[g, out, *slots]``, its equations (the operation's own, then its vjp
    rules'), and one cotangent per ``differentiated`` slot (None where none flows). Traced
    abstractly once; None when the rules cannot be traced on abstract scalars."""
    tr = GraphInterpreter(EVAL, concrete=False)
    env: dict[Var, Any] = {v: tr.new_input(v.aval) for v in slots}
    g = tr.new_input(out.aval)

    def value_of(atom: Var | Lit) -> Any:
        return atom.value if isinstance(atom, Lit) else env[atom]

    try:
        with use_interpreter(tr):
            for eqn in eqns:
                result = eqn.primitive.bind(*[value_of(a) for a in eqn.inputs], **eqn.params)
                results = result if eqn.primitive.multiple_results else (result,)
                env.update(zip(eqn.outputs, results, strict=True))
            wrt = [v for v, d in zip(slots, differentiated, strict=True) if d]
            cts = backward_pass(eqns, value_of, wrt, [out], [g])
            outputs = [None if ct is None else tr.lift(ct) for ct in cts]
    except Exception:  # a rule that needs concrete values: Scalars keep the NumPy path
        return None
    finally:
        end(tr)
    if tr.constvars:
        return None  # a rule captured an array constant
    params = [g.var, tr.lift(env[out]), *(env[v].var for v in slots)]
    if not isinstance(params[1], Var) or len(set(params)) != len(params):
        return None
    return params, list(tr.eqns), outputs
