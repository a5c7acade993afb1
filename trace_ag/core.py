"""The core: primitives and the interpreter held in context (the IR they record is
``trace_ag.ir``).

``bind`` hands a primitive application to the *current interpreter*, one ``ContextVar`` switched
only by ``use_interpreter``. The bottom interpreter evaluates with NumPy; a tracing interpreter
records equations. An interpreter decides by identity whether a tracer is its own (``lift``);
anything else is a constant to it, which is what keeps nested transforms apart.
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from trace_ag import config, errors

# The IR's names, used here and imported from here by most of the library (one import line
# for the core's vocabulary).
from trace_ag.ir import (  # noqa: F401
    Atom,
    Aval,
    Eqn,
    Graph,
    Lit,
    Var,
    aval_of,
    dtype_of,
    is_complex,
    is_float,
    is_inexact,
    zeros_like,
)


def check_complex_rules(prim: Primitive, avals: Sequence[Aval], where: str) -> None:
    """A complex value on a differentiated path needs rules written for complex numbers (JAX's
    convention); a primitive that does not declare ``complex_rules`` would give wrong numbers
    (a float rule's zeros), so it raises instead."""
    if prim.complex_rules:
        return
    for aval in avals:
        if is_complex(aval.dtype):
            raise errors.TransformError(
                errors.at_user_line(
                    f"{where} of {prim.name}: a complex value ({aval.str_short()}) depends on a "
                    f"differentiated input, but {prim.name}'s derivative rules are not defined "
                    "for complex numbers. Keep this part real (tnp.real/tnp.abs first), or "
                    "wrap it in ag.stop_gradient."
                )
            )


# ---------------------------------------------------------------- primitives

PRIMITIVES: dict[str, Primitive] = {}


def _declaring_module() -> str:
    """The module whose top-level code is running this declaration (through any helper)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_name != "<module>":
        frame = frame.f_back
    return frame.f_globals.get("__name__", "?") if frame is not None else "?"


class ForPrimitive:
    """A rule not yet bound to its primitive: ``build(prim)`` makes it. Shared rule builders
    (``elementwise_jvp()``, ``reduce_batch()``, ...) return one, so a declaration passes them
    before the primitive exists and each rule holds its primitive object, not a name."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[Primitive], Callable]):
        self.build = build


def _bound(rule: Any, prim: Primitive) -> Any:
    return rule.build(prim) if isinstance(rule, ForPrimitive) else rule


class Primitive:
    """An operation declared once with all its rules side by side.

    impl(*arrays, **params) -> array            NumPy implementation
    float_impl(*floats, **params) -> float       the same value on Python floats (and bools), for
                                                 the lecture's Scalar; it raises (ValueError,
                                                 ArithmeticError) wherever it would not give
                                                 ``impl``'s float64 result, and callers then use
                                                 ``impl``. None: Scalars use ``impl``
    abstract_eval(*avals, **params) -> aval     shape/dtype rule (used when tracing abstractly)
    vjp                                          either one callable per input, each
                                                 ``rule(g, out, *inputs, **params) -> cotangent``
                                                 (None: no gradient flows to that input), or one
                                                 callable returning a cotangent per input.
                                                 ``differentiable=False`` marks zero gradients.
    jax(*jax_arrays, **params) -> jax array      lowering for the JAX backend
    jvp, batch                                   slots for the forward-mode and vmap transforms
    multiple_results                             impl and rules take/return tuples of outputs
    complex_rules                                the vjp/jvp rules hold for complex values too
                                                 (JAX's convention); else a complex value on a
                                                 differentiated path through it raises
    identities                                   {operand position: constant}: with that operand
                                                 equal to the constant, the result is the other
                                                 operand (x + -0.0, x * 1), for jit's simplify
    noop(params, in_aval, out_aval) -> bool      the result is the (first) operand itself
    involution                                   applied twice, the identity (neg, conj)
    compose(outer_params, inner_params)          params of one application equal to two in a
                                                 row (reshape, transpose), or None
    param_printers                               {param name: value -> text} for the IR printer
    allocates                                    the impl always returns new arrays, never a view
                                                 or an input itself, so jit may write into them;
                                                 default: only when ``impl`` is a NumPy ufunc
    """

    def __init__(
        self,
        name: str,
        *,
        impl: Callable,
        abstract_eval: Callable,
        float_impl: Callable | None = None,
        vjp: Callable | Sequence[Callable | None] | None = None,
        jax: Callable | None = None,
        differentiable: bool = True,
        jvp: Callable | None = None,
        batch: Callable | None = None,
        multiple_results: bool = False,
        allocates: bool | None = None,
        complex_rules: bool = False,
        identities: dict[int, Any] | None = None,
        noop: Callable[[dict, Aval, Aval], bool] | None = None,
        involution: bool = False,
        compose: Callable[[dict, dict], dict | None] | None = None,
        param_printers: dict[str, Callable[[Any], str]] | None = None,
    ):
        if name in PRIMITIVES:
            raise ValueError(f"a primitive named {name!r} is already registered")
        if differentiable and vjp is None:
            raise ValueError(f"primitive {name!r} needs a vjp rule or differentiable=False")
        self.name = name
        self.impl = impl
        self.float_impl = float_impl
        self.abstract_eval = abstract_eval
        self.vjp = vjp
        self.jax = jax
        self.differentiable = differentiable
        self.jvp = _bound(jvp, self)
        self.batch = _bound(batch, self)
        self.multiple_results = multiple_results
        # Safe by default: an output that might alias an input is never written by jit.
        self.allocates = isinstance(impl, np.ufunc) if allocates is None else allocates
        self.complex_rules = complex_rules
        # algebraic facts, read by jit's simplify pass
        self.identities = identities or {}
        self.noop = noop
        self.involution = involution
        self.compose = compose
        self.param_printers = param_printers or {}  # how the IR printer shows a param
        self.declared_in = _declaring_module()  # trace_ag's own, or a user's/test's module
        PRIMITIVES[name] = self

    def bind(self, *args: Any, **params: Any) -> Any:
        """Apply the primitive under the current interpreter."""
        try:
            return _current.get().process(self, args, params)
        except errors.TraceAgError:
            raise
        except Exception as e:
            explained = self.explain_failure(args, params, e)
            if explained is None:
                raise  # a bug in an impl or rule surfaces as itself, with a note naming us
            raise explained from None  # the message says all the NumPy error said

    def explain_failure(self, args: Sequence, params: dict, cause: Exception) -> Exception | None:
        """A failure the user caused (operands whose shapes or dtypes this primitive's shape
        rule refuses, an index out of bounds) as an error naming this primitive, the shapes and
        the line; None for anything else, which gets a note and is re-raised as it is."""
        try:
            avals = [aval_of(a) for a in args]
            self.abstract_eval(*avals, **params)
        except errors.TraceAgError as e:
            return e
        except Exception:
            avals = None
        shapes = ", ".join(a.str_short() for a in avals) if avals is not None else "?"
        if isinstance(cause, IndexError):
            return errors.InvalidIndexError(
                errors.at_user_line(f"{self.name}({shapes}) failed: {cause}")
            )
        note = f"(raised while applying the primitive {self.name} to ({shapes}))"
        if not any(n.startswith("(raised while applying") for n in getattr(cause, "__notes__", ())):
            cause.add_note(note)
        return None

    def __repr__(self) -> str:
        return self.name


def shape_error(fn_name: str, message: str) -> errors.ShapeError:
    """A ``ShapeError`` that names the function and the user's line."""
    return errors.ShapeError(errors.at_user_line(f"{fn_name}: {message}"))


# ---------------------------------------------------------------- interpreters


class Interpreter:
    """Something that gives meaning to ``bind``: evaluation, graph recording, later jvp/vmap."""

    parent: Interpreter | None = None

    def process(self, prim: Primitive, args: Sequence, params: dict) -> Any:
        raise NotImplementedError

    def check_enclosing(self, tracer: Tracer) -> None:
        """A tracer that is not this interpreter's must belong to a live enclosing one; any
        other tracer escaped its transform."""
        if not (getattr(tracer.trace, "alive", True) and tracer.trace.is_ancestor_of(self)):
            raise escaped_tracer_error(tracer)

    def is_ancestor_of(self, other: Interpreter) -> bool:
        node = other.parent
        while node is not None:
            if node is self:
                return True
            node = node.parent
        return False


class EvalInterpreter(Interpreter):
    """The bottom interpreter: run the NumPy implementation."""

    def process(self, prim: Primitive, args: Sequence, params: dict) -> Any:
        plain = []
        for a in args:
            if isinstance(a, Tracer):
                raise escaped_tracer_error(a, prim)
            plain.append(a.view(np.ndarray) if type(a) is Array else a)
        out = prim.impl(*plain, **params)
        if prim.multiple_results:
            arrays = [as_array(o) for o in out]
            if config.DEBUG_FLOATS[0]:
                check_floats(prim.name, arrays)
            return arrays if isinstance(out, list) else tuple(arrays)
        if config.DEBUG_FLOATS[0]:
            check_floats(prim.name, (out,))
        return as_array(out)


EVAL = EvalInterpreter()
_current: contextvars.ContextVar[Interpreter] = contextvars.ContextVar(
    "trace_ag_interpreter", default=EVAL
)


def check_floats(what: str, values: Sequence) -> None:
    """``debug_nans`` / ``debug_infs``: a NaN (an infinity) in ``values`` raises
    ``FloatingPointError`` naming ``what`` computed it and the user's line."""
    for value in values:
        if not np.issubdtype(np.result_type(value), np.inexact):
            continue
        if config.read("debug_nans") and np.isnan(value).any():
            found = "NaN"
        elif config.read("debug_infs") and np.isinf(value).any():
            found = "an infinity"
        else:
            continue
        raise FloatingPointError(
            errors.at_user_line(
                f"{what} computed {found} (config debug_nans/debug_infs is on): "
                f"{np.array2string(np.asarray(value), threshold=10)}"
            )
        )


# the interpreter ``bind`` goes to now (the context variable's own getter: no Python frame,
# which the lecture's Scalar operators, called once per float operation, notice)
current_interpreter: Callable[[], Interpreter] = _current.get


@contextmanager
def use_interpreter(interpreter: Interpreter):
    """Make ``interpreter`` the one ``bind`` goes to, for the ``with`` block only."""
    token = _current.set(interpreter)
    try:
        yield interpreter
    finally:
        _current.reset(token)


def escaped_tracer_error(tracer: Tracer, prim: Primitive | None = None) -> Exception:
    what = f" by {prim.name}" if prim is not None else ""
    return errors.UnexpectedTracerError(
        errors.at_user_line(
            f"a tracer ({tracer.aval.str_short()}) was used{what} outside the transform that "
            "created it: it escaped (through a global, a closure or a side effect) and its "
            "transform has returned or is not the one running now. Return it as an output of "
            "the transformed function instead of storing it."
        )
    )


# ---------------------------------------------------------------- tracers


class Tracer:
    """A stand-in for an array while a function is traced.

    The NumPy-like operators and methods are attached by ``trace_ag.numpy``; subclasses say where
    their aval and (if any) concrete value come from.
    """

    __slots__ = ("trace",)
    __array_priority__ = 1000

    @property
    def aval(self) -> Aval:
        raise NotImplementedError

    def concrete_value(self) -> Any:
        """The concrete NumPy value behind this tracer, or None when tracing abstractly."""
        return None

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: self.aval.ndim)
    size = property(lambda self: self.aval.size)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array (tracer)")
        return self.shape[0]

    def _concrete(self, what: str) -> Any:
        value = self.concrete_value()
        if value is None:
            raise errors.ConcretizationTypeError(
                errors.at_user_line(
                    f"{what} needs a concrete value, but this tracer is abstract "
                    f"({self.aval.str_short()}): under jit only shapes and dtypes are known. "
                    "Mark the argument static (static_argnums / static_argnames), use "
                    "tnp.where for a value-dependent choice, or ag.lax.cond for control flow."
                )
            )
        return value

    def __bool__(self) -> bool:
        return bool(self._concrete("bool() (an `if`, `while`, `and`/`or` on a traced value)"))

    def _number(self, what: str) -> Any:
        """The concrete value for a conversion that leaves the trace. For a float or complex
        tracer that would silently drop its derivative (``float(x) * x``), so it raises."""
        if np.issubdtype(self.aval.dtype, np.inexact):
            raise errors.ConcretizationTypeError(
                errors.at_user_line(
                    f"{what} of a traced {self.aval.str_short()} value would drop its "
                    "derivative (the result is a plain Python/NumPy number the transform cannot "
                    "see; math.* and np.float64() call it too). Keep computing with "
                    "trace_ag.numpy (tnp.sin instead of math.sin, no float()), or cut the "
                    "derivative explicitly with ag.stop_gradient and keep the value an array."
                )
            )
        return self._concrete(what)

    def __float__(self) -> float:
        return float(self._number("float()"))

    def __int__(self) -> int:
        return int(self._number("int()"))

    def __index__(self) -> int:
        return int(self._concrete("using a traced value as an index"))

    def __complex__(self) -> complex:
        return complex(self._number("complex()"))

    def item(self) -> Any:
        return self._number(".item()").item()

    def tolist(self) -> Any:
        return np.asarray(self._number(".tolist()")).tolist()

    def __array__(self, dtype=None, copy=None):
        raise errors.TracerArrayConversionError(
            errors.at_user_line(
                f"a tracer ({self.aval.str_short()}) was passed to raw NumPy (np.asarray or a "
                "NumPy function without a trace_ag version), which would silently drop the "
                "gradient. Use trace_ag.numpy (`import trace_ag.numpy as tnp`) inside "
                "transformed functions. Indexing a NumPy array with a traced index "
                "(`table[i]`) lands here too, as NumPy's [] cannot be traced: write "
                "tnp.take(table, i, axis=0), tnp.getitem(table, i) or "
                "ag.lax.dynamic_index_in_dim(table, i)."
            )
        )

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array (tracer)")
        return (self[i] for i in range(self.shape[0]))

    def __repr__(self) -> str:
        value = self.concrete_value()
        shown = "" if value is None else f" value={np.array2string(np.asarray(value))}"
        return f"{type(self).__name__}<{self.aval.str_short()}{shown}>"

    __hash__ = None  # like JAX tracers: not hashable, since == is elementwise


# ---------------------------------------------------------------- the eager array type


class ArrayType(type):
    """``isinstance(x, Array)`` holds for every array trace_ag takes: NumPy arrays and scalars,
    and tracers inside a transform, as ``jax.Array`` does for JAX's values."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, (np.ndarray, np.generic, Tracer))

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, (np.ndarray, np.generic, Tracer))


class Array(np.ndarray, metaclass=ArrayType):
    """What trace_ag computes outside a transform: a NumPy array that also has JAX's ``.at``
    (attached by ``trace_ag.numpy``), so ``tnp.zeros(3).at[0].set(1.0)`` runs as in JAX.

    It prints as a NumPy array, and NumPy takes it wherever it takes one. Primitives run on
    plain views of it (a subclass would slow every NumPy call down).

    Examples:
        >>> x = tnp.zeros(3)
        >>> type(x).__name__, x.at[1].set(5.0)
        ('Array', array([0., 5., 0.]))
        >>> isinstance(np.ones(2), Array), isinstance(1.0, Array)
        (True, False)
        >>> isinstance(ag.grad(lambda x: x * 2.0)(1.0), Array)
        True
    """

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any):
        raise TypeError("trace_ag.Array is not constructed directly; use tnp.asarray")

    def __repr__(self) -> str:
        return repr(self.view(np.ndarray))


Array.__module__ = "trace_ag"  # shown and pickled as the public name, ag.Array


def as_array(x: Any) -> Any:
    """A plain NumPy array as an ``Array`` (a view: no copy); anything else unchanged."""
    return x.view(Array) if type(x) is np.ndarray else x
