"""Recording and backpropagation for the lecture's objects: what ``Scalar`` and ``Tensor`` share.

An operation on a Scalar or Tensor runs ``trace_ag.numpy`` on the NumPy values under a short,
concrete ``GraphInterpreter`` whose input tracers are the operands' own ``Var``s, so it records
ordinary core equations ``Eqn(primitive, input Vars, params, output Vars)``: one ``Var`` per
Tensor. ``.backward()`` gathers the nodes reachable from the output (iteratively, so graphs
thousands of nodes deep work) and visits them in reverse creation order, a topological order;
each node's recorded equations go to the core's ``autodiff.backward_pass``, which applies the
same vjp rules ``trace_ag.grad`` uses: no derivative formula is written here. Cotangents are
*added* to ``.grad`` (leaves and intermediate nodes, as on the slides), so
``optimizer.zero_grad()`` matters.

A Scalar operation on Python floats (and ints) is recorded once per operator and operand
kind, and then made on floats (``_fast.FloatOp``): its primitives' ``float_impl``s compute the
value, its equations are made only when asked for, and ``backward()`` over such Scalars runs
each one's backward step, its primitives' vjp rules traced once and lowered to float code.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag import numpy as tnp
from trace_ag.autodiff import apply_vjp, backward_pass
from trace_ag.core import (
    Aval,
    Eqn,
    Graph,
    Lit,
    Var,
    aval_of,
    current_interpreter,
    use_interpreter,
)
from trace_ag.lecture import _fast
from trace_ag.lecture._floats import FAILURES
from trace_ag.tracing import GraphInterpreter, GraphTracer, end

_creation = itertools.count()  # orders recorded operations: inputs always come first
_REPLAYABLE: set[Callable] = set()  # the operators' functions: Scalar calls may be replayed
_SCALAR_AVAL = Aval((), np.dtype(np.float64))
_by_order = operator.attrgetter("_order")


class Node:
    """What Scalar and Tensor share: a value, a grad, and the operation that made them.

    Attributes:
        value: the NumPy value (a Python float for ``Scalar``).
        grad: the accumulated gradient of the last ``backward()`` calls, same shape as value.
        op: the name of the operation that produced this node ("" for a leaf).
        inputs: the Scalars/Tensors it was computed from (constants are not listed).
        label: a name shown by ``draw_dot``.
    """

    __slots__ = ()  # Scalar has slots; Tensor a __dict__
    __array_ufunc__ = None  # NumPy defers to our reflected operators: ndarray * Tensor works
    __array_priority__ = 1000

    _var: Var
    _eqns: list[Eqn]
    _env: dict[Var, Any]
    # a Scalar made on floats (see ``_fast.FloatOp``): its FloatOp, and (output, *operands)
    _fast: _fast.FloatOp | None = None
    _args: tuple = ()
    _kinds: dict[str, type[Node]] = {}  # "scalar" and "tensor": the classes ``record`` makes

    def __init_subclass__(cls, kind: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if kind is not None:
            Node._kinds[kind] = cls

    def _init_leaf(self, label: str, op: str, inputs: Any, backward: Any) -> None:
        """A node made by the user: a leaf, or (with ``inputs`` and a ``_backward`` closure,
        as the slides build their ops) a node whose gradient rule is the user's own."""
        self.label, self.op, self.inputs = label, op, list(inputs)
        self._backward = backward
        self._eqns, self._env, self._order = [], {}, next(_creation)
        self._var = Var(aval_of(self._data()))
        self.grad = self._zero_grad()

    # -- what subclasses define
    def _data(self) -> Any:
        raise NotImplementedError

    def _zero_grad(self) -> Any:
        raise NotImplementedError

    def _accumulate(self, ct: Any) -> None:
        raise NotImplementedError

    @property
    def shape(self) -> tuple[int, ...]:
        return self._var.aval.shape

    @property
    def is_leaf(self) -> bool:
        """True for a node created by the user rather than by an operation."""
        return not self.inputs and not self._eqns

    def backward(self, grad: Any = None) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node this one was computed from.

        ``grad`` is the seed (the gradient of some scalar with respect to ``self``); it may be
        left out only when ``self`` is a scalar, where it is 1. Leaves and intermediate nodes
        alike receive their gradient, as in the lecture's implementation.

        Examples:
            >>> import trace_ag.lecture as ag
            >>> x = ag.Scalar(3.0); y = x * x
            >>> y.backward(); x.grad
            6.0
        """
        seed = self._seed(grad)
        if type(self) is Node._kinds["scalar"] and _float_backward(self, seed):
            return
        cts = {id(self): seed}
        for node in sorted(reachable(self), key=_by_order, reverse=True):
            ct = cts.pop(id(node), None)
            if ct is None:
                continue  # no path from this node to self carries a gradient
            node._accumulate(ct)
            parents = list({id(p): p for p in node.inputs}.values())  # x * x lists x twice
            if parents:
                for parent, g in zip(parents, node._pull_back(parents, ct), strict=True):
                    if g is not None:
                        cts[id(parent)] = g if id(parent) not in cts else cts[id(parent)] + g

    def _pull_back(self, parents: list[Node], ct: Any) -> list[Any]:
        """Cotangents of ``parents`` from this node's cotangent: the core's ``backward_pass``
        over the equations this node's operation recorded (its vjp rules, in reverse)."""
        if self._is_custom():
            return self._pull_back_custom(parents, ct)
        env = self._env
        if len(self._eqns) == 1 and type(self) is Node._kinds["scalar"]:
            return _pull_back_one(self._eqns[0], env, parents, ct)

        def value_of(atom: Var | Lit) -> Any:
            return atom.value if isinstance(atom, Lit) else env[atom]

        return backward_pass(self._eqns, value_of, [p._var for p in parents], [self._var], [ct])

    def _pull_back_custom(self, parents: list[Node], ct: Any) -> list[Any]:
        """Run a slide-style ``_backward`` closure (``input.grad += f(output.grad)``) with this
        call's cotangent in ``self.grad`` and zeros in the parents', and read off what it added."""
        saved, own = [p.grad for p in parents], self.grad
        try:
            self.grad = self._zero_grad()
            self._accumulate(ct)
            for p in parents:
                p.grad = p._zero_grad()
            try:
                self._backward()
            except ValueError as e:  # typically NumPy: the shapes of a += do not broadcast
                shapes = ", ".join(str(p.shape) for p in parents)
                raise errors.ShapeError(
                    errors.at_user_line(
                        f"backward: the _backward of {self.op or 'a custom op'!r} failed: {e}. "
                        f"Its output.grad has shape {self.shape}; its inputs have shapes {shapes}"
                    )
                ) from e
            added = [p.grad for p in parents]
        finally:
            self.grad = own
            for p, g in zip(parents, saved, strict=True):
                p.grad = g
        for p, g in zip(parents, added, strict=True):
            if np.shape(g) != p.shape:
                raise errors.ShapeError(
                    errors.at_user_line(
                        f"backward: the _backward of {self.op or 'a custom op'!r} gave an input "
                        f"of shape {p.shape} a gradient of shape {np.shape(g)}; a gradient must "
                        "have its input's shape"
                    )
                )
        return added

    def _seed(self, grad: Any) -> Any:
        aval = self._var.aval
        name = f"{type(self).__name__}.backward"
        if grad is None:
            if aval.shape != ():
                raise errors.ShapeError(
                    errors.at_user_line(
                        f"{name}: called without a gradient on a {type(self).__name__} of shape "
                        f"{aval.shape}; backward() with no argument needs a scalar output "
                        "(shape ()), like a loss. Reduce it first (ag.sum or ag.mean), or pass "
                        f"the output's gradient: out.backward(np.ones({aval.shape}))"
                    )
                )
            return np.ones((), aval.dtype)
        seed = np.asarray(grad.value if isinstance(grad, Node) else grad, dtype=aval.dtype)
        if seed.shape != aval.shape:
            raise errors.ShapeError(
                errors.at_user_line(
                    f"{name}: the seed gradient has shape {seed.shape} but the output has shape "
                    f"{aval.shape}; they must match"
                )
            )
        return seed

    def to_graph(self) -> Graph:
        """The recorded computation of this node as a core ``Graph`` (print it to see the IR).

        Its inputs are the leaves, its constants the NumPy arrays that were mixed in.

        Examples:
            >>> import trace_ag.lecture as ag
            >>> z = ag.Tensor([1.0, 2.0])
            >>> print((ag.exp(z) * 2).to_graph())
            { lambda a:f64[2] . let
                b:f64[2] = exp a
                c:f64[2] = mul b 2.0
              in ( c ) }
        """
        ops, leaves = _collect(self)
        eqns = [e for node in ops for e in node._eqns]
        env = {k: v for node in ops for k, v in node._env.items()}
        defined = {n._var for n in leaves} | {v for e in eqns for v in e.outputs}
        consts = {a: None for e in eqns for a in e.inputs if isinstance(a, Var)}
        constvars = [v for v in consts if v not in defined]
        return Graph(
            [n._var for n in leaves], eqns, [self._var], constvars, [env[v] for v in constvars]
        )

    def labels(self) -> dict[Var, str]:
        """The ``label`` of every labelled node in this node's graph, keyed by its Var."""
        labels = {}
        for n in reachable(self):
            if n._is_custom():
                labels[n._var] = (n.label + "\n" if n.label else "") + f"{n.op} (own _backward)"
            elif n.label:
                labels[n._var] = n.label
        return labels

    def _is_custom(self) -> bool:
        """Made by hand with ``inputs=`` and a ``_backward`` closure, as on the slides."""
        return self._backward is not None and bool(self.inputs) and not self._eqns


def _float_backward(root: Node, seed: Any) -> bool:
    """``backward`` for a graph of Scalars: each node's cotangent is kept in its ``_ct`` slot
    instead of a dict, and a Scalar made on floats runs its FloatOp's backward step (the
    primitives' vjp rules lowered to floats); any other Scalar is pulled back as ``backward``
    does. Cotangents are added in the same order as there. Returns False, having changed only
    ``_ct`` slots, when the graph holds a Tensor."""
    scalar = Node._kinds["scalar"]
    unseen = object()  # this pass's "reached, no cotangent yet"
    root._ct = unseen
    order = [root]
    for node in order:  # breadth first: ``order`` grows while it is walked
        for parent in node.inputs:
            if parent._ct is not unseen:
                if type(parent) is not scalar:
                    return False  # a Tensor (or a subclass): the general pass
                parent._ct = unseen
                order.append(parent)
    order.sort(key=_by_order, reverse=True)
    root._ct = float(seed)
    for node in order:
        ct = node._ct
        if ct is unseen:
            continue  # no path from this node to root carries a gradient
        float_op = node._fast
        if float_op is not None:
            try:
                float_op.step(node, unseen)
                continue
            except FAILURES:  # NumPy would warn here: its rules run below, with its values
                pass
        elif not node.inputs:
            node.grad += ct  # a leaf
            continue
        node._accumulate(ct)
        parents = list({id(p): p for p in node.inputs}.values())  # x * x lists x twice
        for parent, g in zip(parents, node._pull_back(parents, ct), strict=True):
            if g is not None:
                before = parent._ct
                parent._ct = float(g) if before is unseen else before + float(g)
    return True


def _pull_back_one(eqn: Eqn, env: dict, parents: list[Node], ct: Any) -> list[Any]:
    """``backward_pass`` for a float64 Scalar made by one equation (most Scalar operations):
    the primitive's vjp rule applied directly, with the same shape check, and the cotangents
    of an operand used twice (``x * x``) added."""
    if not eqn.primitive.differentiable:
        return [None] * len(parents)
    needed = [isinstance(a, Var) for a in eqn.inputs]
    values = [a.value if isinstance(a, Lit) else env[a] for a in eqn.inputs]
    out = env[eqn.outputs[0]]
    cts = apply_vjp(eqn.primitive, eqn.params, [ct], [out], values, needed)
    total: dict[Var, Any] = {}
    for atom, g in zip(eqn.inputs, cts, strict=True):
        if g is None or not isinstance(atom, Var):
            continue
        if np.shape(g) != atom.aval.shape:
            raise errors.ShapeError(
                f"internal error in the vjp rule of {eqn.primitive.name}: it returned a "
                f"cotangent of shape {np.shape(g)} for an input of shape {atom.aval.shape}"
            )
        total[atom] = g if atom not in total else total[atom] + g
    return [total.get(p._var) for p in parents]


def record(op: str, fn: Callable[..., Any], *operands: Any, _templating: bool = True) -> Node:
    """Run ``fn`` on the operands' values with trace_ag.numpy, recording core equations.

    Scalars/Tensors among ``operands`` become tracers of their own Vars; anything else (Python
    numbers, NumPy arrays) is a constant. The result is a Scalar when every operand node is a
    Scalar and the result has shape (), otherwise a Tensor.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> y = record("softplus", lambda x: tnp.log1p(tnp.exp(x)), ag.Tensor([0.0, 1.0]))
        >>> y.op, [e.primitive.name for e in y._eqns]
        ('softplus', ['exp', 'log1p'])
    """
    if _templating and fn in _REPLAYABLE:
        node = _replayed(op, fn, operands)
        if node is not None:
            return node
    tr = GraphInterpreter(current_interpreter(), concrete=True)
    nodes = [x for x in operands if isinstance(x, Node)]
    args = []
    for x in operands:
        if isinstance(x, Node):
            data = x._data()
            tr.values[x._var] = data
            args.append(GraphTracer(tr, x._var, data))
        else:
            args.append(x)
    try:
        with use_interpreter(tr):
            out = fn(*args)
    finally:
        end(tr)
    tensor, scalar = Node._kinds["tensor"], Node._kinds["scalar"]
    if not (isinstance(out, GraphTracer) and out.trace is tr):
        return tensor(np.asarray(out))  # the result does not depend on any node: a constant
    is_scalar = bool(nodes) and all(isinstance(n, scalar) for n in nodes) and out.shape == ()
    cls = scalar if is_scalar else tensor
    node = cls.__new__(cls)
    node.value = out.value
    node.label, node.op, node.inputs, node._backward = "", op, nodes, None
    node._var, node._eqns, node._env = out.var, tr.eqns, tr.values
    node._order = next(_creation)
    node.grad = node._zero_grad()
    return node


def _replayed(op: str, fn: Callable[..., Any], operands: tuple) -> Node | None:
    """``record`` by replaying the template of this operator and operand kinds (Scalars and
    Python numbers only; see ``_fast``), or None to trace as usual."""
    scalar = Node._kinds["scalar"]
    kinds = _fast.operand_kinds(operands, scalar)
    if kinds is None or "s" not in kinds:
        return None
    key = (op, fn, kinds)
    template = _fast.lookup(key)
    if template is None:  # first time: trace, and keep the template if it replays the same
        node = record(op, fn, *operands, _templating=False)
        made = _fast.make_template(record, op, fn, operands, scalar, node)
        template = _fast.lower_to_floats(op, made, kinds, _scalar_parts())
        _fast.remember(key, template)
        if type(template) is not _fast.FloatOp:
            return node
        # a FloatOp: this first node too is made on floats (below), so that a graph's Scalars
        # are all alike and its backward() runs on floats throughout
    if template is _fast.NOT_REPLAYABLE:
        return None
    if type(template) is _fast.FloatOp:
        try:
            return template.make(*operands)
        except FAILURES:
            template = template.template  # NumPy's values then, warnings and all
    eqns, env, out_var, value = template.replay(operands)
    node = scalar.__new__(scalar)
    node.value = value
    node.label, node.op, node._backward = "", op, None
    node.inputs = [x for x in operands if isinstance(x, Node)]
    node._var, node._eqns, node._env = out_var, eqns, env
    node._order = next(_creation)
    node.grad = node._zero_grad()
    return node


def _scalar_parts() -> dict[str, Any]:
    """What a FloatOp's ``make`` builds a Scalar with."""
    scalar = Node._kinds["scalar"]
    return {"new": scalar.__new__, "scalar": scalar, "creation": _creation}


def materialize(node: Node, name: str) -> Any:
    """For a Scalar made on floats: its ``_var`` (a new Var, kept), or its ``_eqns`` and
    ``_env`` made from its FloatOp's template (NumPy impls on the recorded values)."""
    if name == "_var":
        node._var = Var(_SCALAR_AVAL)
        return node._var
    eqns, env, _, _ = node._fast.materialize(node.inputs, node._args, node._var)
    node._eqns, node._env = eqns, env
    return eqns if name == "_eqns" else env


def reachable(root: Node) -> list[Node]:
    """Every node ``root`` was computed from, itself included (a stack, not recursion)."""
    seen = {id(root): root}
    stack = [root]
    while stack:
        for parent in stack.pop().inputs:
            if id(parent) not in seen:
                seen[id(parent)] = parent
                stack.append(parent)
    return list(seen.values())


def _collect(root: Node) -> tuple[list[Node], list[Node]]:
    """The recorded operations in creation order (a topological order) and the graph's inputs:
    the leaves, and hand-made nodes (whose ``_backward`` records no equations)."""
    nodes = reachable(root)
    ops = sorted((n for n in nodes if n._eqns), key=lambda n: n._order)
    leaves = [n for n in nodes if n.is_leaf or n._is_custom()]  # the graph's inputs
    return ops, leaves


def _attach_operators() -> None:
    """``+ - * / ** @`` (and their reflected forms), unary ``-``, and ``x.exp()``-style methods:
    each records the trace_ag.numpy function of the same meaning."""
    binary = {
        "add": ("add", tnp.add),
        "sub": ("sub", tnp.subtract),
        "mul": ("mul", tnp.multiply),
        "truediv": ("div", tnp.divide),
        "pow": ("pow", tnp.power),
        "matmul": ("matmul", tnp.matmul),
    }
    _REPLAYABLE.update(fn for _, fn in binary.values())
    _REPLAYABLE.add(tnp.negative)
    _REPLAYABLE.update(getattr(tnp, name) for name in UNARY_METHODS)
    for dunder, (op, fn) in binary.items():
        forward = lambda self, other, op=op, fn=fn: record(op, fn, self, other)  # noqa: E731
        forward.op_and_fn = (op, fn)
        setattr(Node, f"__{dunder}__", forward)
        setattr(
            Node, f"__r{dunder}__", lambda self, other, op=op, fn=fn: record(op, fn, other, self)
        )
    Node.__neg__ = lambda self: record("neg", tnp.negative, self)
    Node.__pos__ = lambda self: self
    for name in UNARY_METHODS:
        setattr(Node, name, lambda self, name=name: record(name, getattr(tnp, name), self))


UNARY_METHODS = ("exp", "log", "relu", "tanh", "sigmoid")


_attach_operators()
