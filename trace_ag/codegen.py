"""The NumPy executor: an optimized graph becomes straight-line Python source, compiled once.

Each equation is one line calling its primitive's NumPy implementation; nothing is interpreted
per equation at run time. A liveness-based buffer plan lets elementwise ufuncs (and matmul)
write into a dead input's buffer (``np.add(a, b, out=a)``), and ``del`` frees every other
array right after its last use. Only buffers the graph owns are written: results of
primitives that declare ``allocates`` (ufuncs do by default) and donated arguments. Any other
result may share memory with any of its inputs (a view, an operand passed through by ``cond``
or ``checkpoint``): it is never written, and its inputs stay alive as long as it does.

The first compiled graph also asks the C allocator to keep freed memory (``retain_freed_memory``):
a training step allocates the same few-megabyte arrays every call, and returning them to the
operating system after each step made every new array fault its pages in again, which took
half of a LeNet-5 step.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import itertools
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag import config
from trace_ag.core import Eqn, Graph, Lit, Var
from trace_ag.interpret import last_uses

_SIMPLE_TYPES = (int, float, bool, str, type(None))

# glibc's mallopt parameters: arrays up to 32 MiB come from the heap, and free heap memory is
# never trimmed back to the operating system (so a step's arrays reuse already-mapped pages).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_RETAINED_MMAP_BYTES = 32 * 2**20
_retention: list[bool] = []  # holds the one outcome once tried


def retain_freed_memory() -> bool:
    """Ask glibc's allocator to keep freed memory mapped (once per process); True if it did.

    Without it, each array of a training step above glibc's adaptive threshold is a fresh
    ``mmap`` whose pages fault in on first touch, every step (measured: 12 ms instead of 6 for
    the LeNet-5 step, ``benchmarks/profile_lenet5.py``). The process's resident memory then
    stays at its peak instead of shrinking between steps. Elsewhere than glibc it does nothing.
    """
    if not _retention:
        _retention.append(_set_mallopt())
    return _retention[0]


def _set_mallopt() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    trimmed = mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
    mapped = mallopt(_M_MMAP_THRESHOLD, _RETAINED_MMAP_BYTES)
    return bool(trimmed and mapped)


def _is_literal_source(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_is_literal_source(v) for v in value)
    if type(value) is float and not math.isfinite(value):
        return False  # repr gives inf or nan, which are not Python source
    return type(value) in _SIMPLE_TYPES


def _alias_group_last_use(graph: Graph, last: dict[Var, int]) -> dict[Var, int]:
    """For each variable, the last use of any variable that may share its memory (itself and
    everything computed by a primitive that does not declare ``allocates``, transitively): its
    buffer is free only after that."""
    parent: dict[Var, Var] = {}

    def find(v: Var) -> Var:
        while parent.get(v, v) is not v:
            v = parent[v]
        return v

    for eqn in graph.eqns:
        if eqn.primitive.allocates:
            continue
        for out in eqn.outputs:
            for atom in eqn.inputs:
                if isinstance(atom, Var) and find(out) is not find(atom):
                    parent[find(out)] = find(atom)
    group_last: dict[Var, int] = {}
    for var, i in last.items():
        root = find(var)
        group_last[root] = max(group_last.get(root, -1), i)
    return {var: group_last.get(find(var), -1) for var in last}


def _method_form(method: str, param: str):
    """``x.method(param)``: what the impl's ``np.<method>(x, param)`` does for an array, without
    NumPy's Python-level dispatch wrapper (about 1 us a call)."""
    return lambda eqn, args, emitter: f"{args[0]}.{method}({eqn.params[param]!r})"


def _reduce_form(ufunc: str):
    """``np.<ufunc>.reduce``: what ``np.sum``/``np.max`` call for an ndarray, without their
    wrapper."""
    return lambda eqn, args, emitter: (
        f"np.{ufunc}.reduce({args[0]}, {eqn.params['axis']!r}, None, None, "
        f"{eqn.params['keepdims']!r})"
    )


@functools.cache
def _direct_forms() -> dict:
    """Direct source for a few primitives whose NumPy impl only forwards to one NumPy call,
    used where the operand is known to be an array (an aval with ndim >= 1; reductions of
    floats). Each gives exactly the impl's result; it only skips Python frames on the hot
    path. (Imported late: the primitives import this module's users.)"""
    from trace_ag.primitives import linalg, reduce, shape

    def matmul(eqn, args, emitter):
        """``np.matmul``, or the blocked product ``matmul``'s impl runs for this thin shape."""
        x, y = (atom.aval for atom in eqn.inputs)
        plan = linalg.thin_product_plan(x.shape, y.shape, x.dtype)
        if plan is None and linalg.swaps_sides(x.shape, y.shape, x.dtype):
            swapped = emitter.global_ref("swapped_matmul", linalg.swapped_matmul)
            return f"{swapped}({args[0]}, {args[1]})"
        if plan is None:
            return f"np.matmul({args[0]}, {args[1]})"
        blocked = emitter.global_ref("blocked_matmul", linalg.blocked_matmul)
        return f"{blocked}({args[0]}, {args[1]}, {plan[0]!r}, {plan[1]})"

    def basic_index(eqn, args, emitter):
        """``x[index]`` with the index built once: no array operands, so it never changes."""
        if len(eqn.inputs) > 1:
            return None
        index = emitter.global_ref("index", shape.build_index(eqn.params["spec"], ()))
        return f"{args[0]}[{index}]"

    return {
        linalg.matmul: (matmul, "any"),
        shape.getitem: (basic_index, "any"),
        shape.reshape: (_method_form("reshape", "shape"), "any"),
        shape.transpose: (_method_form("transpose", "axes"), "any"),
        reduce.sum: (_reduce_form("add"), "float"),
        reduce.max: (_reduce_form("maximum"), "float"),
    }


def _direct_source(eqn: Eqn, args: list[str], emitter: _Emitter) -> str | None:
    from trace_ag.primitives import elementwise

    prim = eqn.primitive
    if prim is elementwise.select and eqn.inputs[0].aval.size < elementwise.SELECT_WHERE_BELOW:
        return f"np.where({', '.join(args)})"  # what select's impl does below that size
    form = _direct_forms().get(prim)
    x = eqn.inputs[0] if eqn.inputs else None
    if form is None or not isinstance(x, Var) or x.aval.ndim == 0:
        return None
    source, dtypes = form
    if dtypes == "float" and np.dtype(x.aval.dtype).kind not in "fc":
        return None
    return source(eqn, args, emitter)


def _pooling_selections(graph: Graph) -> dict[int, str]:
    """Max pools whose backward scatter is in the same graph (2x2 tiles): the forward keeps
    each window's selected element for the scatter instead of the scatter finding it again
    from the pooled input (PyTorch's pooling indices). Maps each such forward equation and its
    scatters to the name of the selection they share."""
    from trace_ag.primitives import _windows, conv

    forwards: dict[tuple, int] = {}
    pairs: dict[int, str] = {}
    for i, eqn in enumerate(graph.eqns):
        x = eqn.inputs[-1] if eqn.inputs else None
        if not isinstance(x, Var):
            continue
        key = (x, tuple(sorted(eqn.params.items())))
        if eqn.primitive is conv.max_pool2d:
            if _windows.selects_in_2x2_tiles(x.aval, x.aval.dtype, **eqn.params):
                forwards.setdefault(key, i)
        elif eqn.primitive is conv.max_pool2d_scatter and key in forwards:
            if eqn.inputs[0].aval.dtype == x.aval.dtype:
                name = pairs.setdefault(forwards[key], f"selection{forwards[key]}")
                pairs[i] = name
    return pairs


def _masked_pool_scatters(graph: Graph, selections: dict[int, str]) -> dict[int, tuple]:
    """Relu masks applied after a 2x2 pool's scatter, ``scatter(g, x) * astype(x > 0)``, where
    the scatter, the comparison and the cast feed only that product: the product is computed
    by ``_windows.max_pool_2x2_scatter_selected_masked`` with the mask on the pooled output
    (a quarter of the elements, the same bits). Maps each such product's index to
    ``(scatter index, comparison index, cast index, pooled variable, zero literal)``."""
    from trace_ag.primitives import conv, elementwise

    uses: dict[Var, int] = {}
    for atom in [a for e in graph.eqns for a in e.inputs] + list(graph.outvars):
        if isinstance(atom, Var):
            uses[atom] = uses.get(atom, 0) + 1
    producer = {v: i for i, e in enumerate(graph.eqns) for v in e.outputs}
    pooled = {}  # a selection's name -> the forward pool's output
    for i, name in selections.items():
        if graph.eqns[i].primitive is conv.max_pool2d:
            pooled[name] = graph.eqns[i].outputs[0]

    def made_by(atom, primitive):
        i = producer.get(atom) if isinstance(atom, Var) else None
        if i is None or graph.eqns[i].primitive is not primitive or uses[atom] != 1:
            return None
        return i

    fused = {}
    for i, eqn in enumerate(graph.eqns):
        if eqn.primitive is not elementwise.mul:
            continue
        for scattered, mask in (eqn.inputs, eqn.inputs[::-1]):
            k_scatter, k_cast = (
                made_by(scattered, conv.max_pool2d_scatter),
                made_by(mask, elementwise.astype),
            )
            if k_scatter is None or k_cast is None or k_scatter not in selections:
                continue
            k_gt = made_by(graph.eqns[k_cast].inputs[0], elementwise.greater)
            if k_gt is None:
                continue
            x, zero = graph.eqns[k_gt].inputs
            scatter = graph.eqns[k_scatter]
            if (
                x is scatter.inputs[1]
                and isinstance(zero, Lit)
                and zero.aval.dtype == x.aval.dtype
                and zero.value == 0
                and mask.aval == scattered.aval == eqn.outputs[0].aval
                and selections[k_scatter] in pooled
            ):
                name = selections[k_scatter]
                fused[i] = (k_scatter, k_gt, k_cast, pooled[name], zero)
                break
    return fused


def _is_extremum_with_scalar(eqn: Eqn) -> bool:
    """``maximum``/``minimum`` of a large float array and a scalar literal of its dtype (a
    relu): generated code runs it as ``elementwise.extremum_with_scalar`` (the same bits)."""
    from trace_ag.primitives import elementwise

    if eqn.primitive not in (elementwise.maximum, elementwise.minimum):
        return False
    a, b = eqn.inputs
    array, scalar = (b, a) if isinstance(a, Lit) else (a, b)
    out = eqn.outputs[0].aval
    return (
        isinstance(array, Var)
        and isinstance(scalar, Lit)
        and scalar.aval.ndim == 0
        and array.aval == out
        and scalar.aval.dtype == out.dtype
        and out.dtype.kind == "f"
        and out.size >= elementwise.EXTREMUM_ROW_FROM
    )


class _Emitter:
    def __init__(self, graph: Graph, donated: Sequence[bool]):
        self.graph = graph
        self.globals: dict[str, Any] = {"np": np}
        self.names: dict[Var, str] = {}
        self.counter = itertools.count()
        self.last = last_uses(graph)
        self.owned: set[Var] = {v for v, d in zip(graph.invars, donated, strict=True) if d}
        self.buffers_reused = 0
        self.selections = _pooling_selections(graph)
        self.selection_last = {name: i for i, name in self.selections.items()}
        self.masked_scatters = _masked_pool_scatters(graph, self.selections)
        self.skipped = set()  # equations computed inside a masked scatter's line
        for i, (k_scatter, k_gt, k_cast, pooled, _) in self.masked_scatters.items():
            self.skipped.update((k_scatter, k_gt, k_cast))
            g, x = graph.eqns[k_scatter].inputs
            for var in (g, x, pooled):  # read by the product's line now
                if isinstance(var, Var):
                    self.last[var] = max(self.last[var], i)
            self.selection_last[self.selections[k_scatter]] = max(
                self.selection_last[self.selections[k_scatter]], i
            )
        self.alias_last = _alias_group_last_use(graph, self.last)

    def name(self, var: Var) -> str:
        if var not in self.names:
            self.names[var] = f"v{next(self.counter)}"
        return self.names[var]

    def global_ref(self, prefix: str, value: Any) -> str:
        key = f"{prefix}{len(self.globals)}"
        self.globals[key] = value
        return key

    def atom(self, atom: Var | Lit) -> str:
        if isinstance(atom, Lit):
            return self.global_ref("lit", atom.value)
        return self.name(atom)

    def param(self, value: Any) -> str:
        return repr(value) if _is_literal_source(value) else self.global_ref("p", value)

    def reusable_input(self, i: int, eqn: Eqn) -> Var | None:
        """A dead, owned, same-aval, non-0-d input whose buffer the output can take."""
        if not isinstance(eqn.primitive.impl, np.ufunc) or not config.read("jit_reuse_buffers"):
            return None
        out = eqn.outputs[0].aval
        for atom in eqn.inputs:
            if (
                isinstance(atom, Var)
                and atom in self.owned
                and self.alias_last[atom] == i
                and atom.aval == out
                and out.ndim > 0
            ):
                return atom
        return None

    def line(self, i: int, eqn: Eqn) -> list[str]:
        if i in self.skipped:
            return []
        if i in self.masked_scatters:
            return self.masked_scatter_line(i, eqn)
        prim = eqn.primitive
        impl = f"impl_{prim.name}"
        self.globals.setdefault(impl, prim.impl)
        args = [self.atom(a) for a in eqn.inputs]
        args += [f"{k}={self.param(v)}" for k, v in eqn.params.items()]
        reuse = None if prim.multiple_results else self.reusable_input(i, eqn)
        if reuse is not None:
            args.append(f"out={self.name(reuse)}")
            self.buffers_reused += 1
        outs = ", ".join(self.name(v) for v in eqn.outputs)
        if eqn.primitive.multiple_results:
            outs += ","
        if prim.allocates or self.views_owned_memory(eqn):
            self.owned.update(eqn.outputs)
        direct = None if reuse is not None else _direct_source(eqn, args[: len(eqn.inputs)], self)
        call = direct if direct is not None else f"{impl}({', '.join(args)})"
        if _is_extremum_with_scalar(eqn):
            from trace_ag.primitives.elementwise import extremum_with_scalar

            self.globals["extremum_with_scalar"] = extremum_with_scalar
            call = f"extremum_with_scalar({impl}, {', '.join(args)})"
        selection = self.selections.get(i)
        if selection is not None:
            outs, call = self.pooling_with_selection(eqn, args, outs, selection)
        lines = [f"    {outs} = {call}"]
        dead = [
            self.names[a]
            for a in dict.fromkeys(eqn.inputs)
            if isinstance(a, Var) and self.last.get(a) == i and a in self.names
        ]
        if selection is not None and self.selection_last[selection] == i:
            dead.append(selection)
        if dead:
            lines.append(f"    del {', '.join(dead)}")
        return lines

    def masked_scatter_line(self, i: int, eqn: Eqn) -> list[str]:
        """``scatter(g, x) * (x > 0)`` in one kernel call (``_masked_pool_scatters``)."""
        from trace_ag.primitives import _windows

        k_scatter, _, _, pooled, zero = self.masked_scatters[i]
        g, x = self.graph.eqns[k_scatter].inputs
        selection = self.selections[k_scatter]
        self.globals["impl_max_pool2d_scatter_masked"] = (
            _windows.max_pool_2x2_scatter_selected_masked
        )
        out = eqn.outputs[0]
        self.owned.add(out)  # a new array
        args = ", ".join([self.atom(g), self.atom(x), selection, self.atom(pooled)])
        args += f", {self.atom(zero)}"
        lines = [f"    {self.name(out)} = impl_max_pool2d_scatter_masked({args})"]
        dead = [
            self.names[v]
            for v in dict.fromkeys((g, x, pooled))
            if isinstance(v, Var) and self.last.get(v) == i and v in self.names
        ]
        if self.selection_last[selection] == i:
            dead.append(selection)
        if dead:
            lines.append(f"    del {', '.join(dead)}")
        return lines

    def views_owned_memory(self, eqn: Eqn) -> bool:
        """A reshape or transpose of an owned buffer: a writable view of it (or a fresh copy),
        so once that buffer is dead the result may be written too (a convolution's bias is
        added into its matmul's result)."""
        return (
            eqn.primitive.name in ("reshape", "transpose")
            and isinstance(eqn.inputs[0], Var)
            and eqn.inputs[0] in self.owned
        )

    def pooling_with_selection(self, eqn: Eqn, args: list[str], outs: str, selection: str):
        """The forward max pool also returns its selection; its scatters read it."""
        from trace_ag.primitives import _windows, conv

        if eqn.primitive is conv.max_pool2d:
            self.globals["impl_max_pool2d_selecting"] = _windows.max_pool_2x2_selecting
            return f"{outs}, {selection}", f"impl_max_pool2d_selecting({args[0]})"
        self.globals["impl_max_pool2d_scatter_selected"] = _windows.max_pool_2x2_scatter_selected
        return outs, f"impl_max_pool2d_scatter_selected({args[0]}, {args[1]}, {selection})"

    def source(self) -> str:
        graph = self.graph
        params = [self.name(v) for v in graph.invars]
        consts = [
            f"    {self.name(v)} = {self.global_ref('const', c)}"
            for v, c in zip(graph.constvars, graph.constvals, strict=True)
        ]
        body = [line for i, e in enumerate(graph.eqns) for line in self.line(i, e)]
        outs = ", ".join(self.atom(a) for a in graph.outvars)
        return "\n".join(
            [
                f"def compiled({', '.join(params)}):",
                *consts,
                *body,
                f"    return ({outs}{',' if len(graph.outvars) == 1 else ''})",
            ]
        )


class CompiledGraph:
    """A graph compiled to a Python function; ``source`` is the generated code."""

    def __init__(self, graph: Graph, donated: Sequence[bool] | None = None):
        retain_freed_memory()
        emitter = _Emitter(graph, donated or [False] * len(graph.invars))
        self.source = emitter.source()
        self.buffers_reused = emitter.buffers_reused
        namespace = dict(emitter.globals)
        exec(compile(self.source, "<trace_ag.jit generated>", "exec"), namespace)
        self.fn: Callable[..., tuple] = namespace["compiled"]

    def __call__(self, *args: Any) -> tuple:
        return self.fn(*args)
