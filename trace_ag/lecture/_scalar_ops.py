"""Scalar's own operators: ``+ - * / **`` (and reflected), ``-x`` and ``x.exp()``-style methods.

Each is the operator ``_node`` attaches to every Node (``record`` of the same
``trace_ag.numpy`` function), with the FloatOp of this operator and kind of operand looked up
first: a Scalar op on Python floats is then one generated ``make`` call (see ``_fast`` and
``_floats``), which computes the value with the primitives' ``float_impl``s and builds the
Scalar. The first call of each operator and operand kind goes through ``record``, which traces
it, checks its template and lowers it to floats.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trace_ag import core as _core
from trace_ag import numpy as tnp
from trace_ag.core import EVAL
from trace_ag.lecture import _fast
from trace_ag.lecture._floats import FAILURES
from trace_ag.lecture._node import UNARY_METHODS, Node, record

# read on every Scalar op
_interpreter = _core.current_interpreter

_BINARY_FLOAT_OPS = ("add", "sub", "mul", "truediv", "pow")
_UNARY_FLOAT_OPS = {"neg": tnp.negative, **{n: getattr(tnp, n) for n in UNARY_METHODS}}
_MAX_KINDS = 256  # int operands are kinds by value: a method's table is bounded


def attach_scalar_operators(scalar: type[Node]) -> None:
    """Give ``scalar`` (the Scalar class) its own operators and methods."""
    for dunder in _BINARY_FLOAT_OPS:
        op, fn = getattr(Node, f"__{dunder}__").op_and_fn
        setattr(scalar, f"__{dunder}__", _float_binary(scalar, op, fn, reflected=False))
        setattr(scalar, f"__r{dunder}__", _float_binary(scalar, op, fn, reflected=True))
    for op, fn in _UNARY_FLOAT_OPS.items():
        setattr(scalar, "__neg__" if op == "neg" else op, _float_unary(scalar, op, fn))


_METHOD_TABLES: list[dict] = []  # each Scalar method's FloatOps, by operand kind
_METHOD_CELLS: list[list] = []  # [make] cells of the binary methods


def forget_templates() -> None:
    """Drop every template and FloatOp, so that the next Scalar operations trace and lower
    again (tests use it after changing a primitive's ``float_impl``)."""
    _fast.forget()
    for table in _METHOD_TABLES:
        table.clear()
    for cell in _METHOD_CELLS:
        cell[0] = None


def _known_make(key: tuple) -> Callable | None:
    entry = _fast.lookup(key)
    return entry.make if type(entry) is _fast.FloatOp else None


def _float_binary(scalar: type[Node], op: str, fn: Callable, reflected: bool) -> Callable:
    """The operator ``op`` of a Scalar and another operand (``other op self`` if reflected):
    the ``make`` of its FloatOp for this kind of operand, found in the closure (ints: in a
    table by value) once a first call has made it, else ``record``."""
    with_scalar: list = [None]  # the FloatOp's make, once a first call made it
    with_float: list = [None]
    with_int: dict[tuple, Callable | None] = {}  # (type, value) -> make
    _METHOD_TABLES.append(with_int)
    _METHOD_CELLS.extend([with_scalar, with_float])

    def method(self: Node, other: Any) -> Node:
        kind = type(other)
        if kind is scalar:
            make = with_scalar[0]
        elif kind is float:
            make = with_float[0]
        elif kind is int or kind is bool:
            make = with_int.get((kind, other))
        else:
            return record(op, fn, other, self) if reflected else record(op, fn, self, other)
        if make is not None and type(self) is scalar and _interpreter() is EVAL:
            try:
                return make(other, self) if reflected else make(self, other)
            except FAILURES:
                pass  # NumPy computes it (record replays the template)
        node = record(op, fn, other, self) if reflected else record(op, fn, self, other)
        if make is None:  # a first call: keep the make of the FloatOp it made, if any
            key = "s" if kind is scalar else "f" if kind is float else (kind, other)
            made = _known_make((op, fn, (key, "s") if reflected else ("s", key)))
            if kind is scalar:
                with_scalar[0] = made
            elif kind is float:
                with_float[0] = made
            else:
                if len(with_int) >= _MAX_KINDS:
                    with_int.clear()
                with_int[(kind, other)] = made
        return node

    return method


def _float_unary(scalar: type[Node], op: str, fn: Callable) -> Callable:
    known: dict[str, Callable | None] = {}  # "s" -> the FloatOp's make, after a first call
    _METHOD_TABLES.append(known)

    def method(self: Node) -> Node:
        make = known.get("s")
        if make is not None and type(self) is scalar and _interpreter() is EVAL:
            try:
                return make(self)
            except FAILURES:
                pass
        node = record(op, fn, self)
        if "s" not in known:
            known["s"] = _known_make((op, fn, ("s",)))
        return node

    return method
