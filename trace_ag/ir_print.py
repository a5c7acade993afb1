"""The IR printer: one equation a line, variables named a, b, c, ... with their avals.

{ lambda a:f64[] b:f64[] . let
    c:f64[] = add a b
    d:f64[] = neg c
  in ( d ) }
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag.core import Eqn, Graph, Lit, Var


def _names():
    """a, b, ..., z, ba, bb, ... (like jaxprs)."""
    n = 0
    while True:
        digits, k = [], n
        while True:
            digits.append(chr(ord("a") + k % 26))
            k //= 26
            if k == 0:
                break
        yield "".join(reversed(digits))
        n += 1


def format_index(spec: tuple) -> str:
    """A getitem spec as NumPy index syntax; ``#k`` is the k-th index-array operand."""
    parts = []
    for item in spec:
        if isinstance(item, tuple) and item[0] == "s":
            bounds = ["" if v is None else str(v) for v in item[1:]]
            parts.append(":".join(bounds[:2] if not bounds[2] else bounds))
        elif isinstance(item, tuple):
            parts.append(f"#{item[1]}")
        else:
            parts.append("..." if item is Ellipsis else str(item))
    return "[" + ",".join(parts) + "]"


def format_param(value: Any) -> str:
    if isinstance(value, np.dtype) or isinstance(value, type):
        return np.dtype(value).name
    if isinstance(value, tuple):
        inner = ",".join(format_param(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, Graph):
        return "\n      ".join(graph_to_str(value).splitlines())
    return repr(value)


def format_eqn_param(eqn: Eqn, name: str, value: Any) -> str:
    """A param as text, by the printer its primitive declares for it (``param_printers``)."""
    return eqn.primitive.param_printers.get(name, format_param)(value)


def format_lit(lit: Lit) -> str:
    value = np.asarray(lit.value)
    text = repr(value.item())
    return text if value.dtype.kind in "fb" or value.dtype == np.int64 else f"{text}:{lit.aval}"


class _Namer:
    def __init__(self):
        self.names: dict[Var, str] = {}
        self.fresh = _names()

    def decl(self, var: Var) -> str:
        self.names[var] = next(self.fresh)
        return f"{self.names[var]}:{var.aval.str_short()}"

    def use(self, atom: Var | Lit) -> str:
        if isinstance(atom, Lit):
            return format_lit(atom)
        return self.names.get(atom, "<unbound>")


def _eqn_to_str(eqn: Eqn, namer: _Namer) -> str:
    outs = " ".join(namer.decl(v) for v in eqn.outputs)
    params = ""
    if eqn.params:
        params = " ".join(f"{k}={format_eqn_param(eqn, k, v)}" for k, v in eqn.params.items())
        params = f"[{params}]"
    ins = " ".join(namer.use(a) for a in eqn.inputs)
    return f"{outs} = {eqn.primitive.name}{params} {ins}".rstrip()


def graph_to_str(graph: Graph) -> str:
    namer = _Namer()
    invars = " ".join(namer.decl(v) for v in graph.invars)
    consts = " ".join(namer.decl(v) for v in graph.constvars)
    header = f"{{ lambda {invars}" + (f" ; {consts}" if consts else "") + " . let"
    body = [f"    {_eqn_to_str(e, namer)}" for e in graph.eqns]
    outs = " ".join(namer.use(a) for a in graph.outvars)
    return "\n".join([header, *body, f"  in ( {outs} ) }}"])
