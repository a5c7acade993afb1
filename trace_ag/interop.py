"""Interop with JAX, both ways: ``from_jax`` (a JAX function as one trace_ag equation) and
``to_jax`` (a trace_ag function that ``jax.jit``, ``jax.grad`` and ``jax.vmap`` accept).

``from_jax(fn)`` binds the ``jax_call`` primitive, whose rules are JAX's own transforms of
``fn``: evaluated by ``jax.jit(fn)`` on the NumPy backend, inlined on the JAX backend,
differentiated by ``jax.vjp``/``jax.jvp`` and batched by ``jax.vmap``. The derived functions bind
``jax_call`` again, so derivatives of every order stay inside JAX.

``to_jax(fn)`` traces ``fn`` into a trace_ag graph once per input structure and evaluates it with
every primitive's JAX lowering; JAX differentiates and batches that lowered code itself (trace_ag's
vjp rules are not used there).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag.core import Aval, Primitive, Tracer, is_inexact
from trace_ag.errors import api_boundary


def _jax():
    from trace_ag.backends.jax import import_jax

    return import_jax()


def _struct(aval: Aval):
    return _jax().ShapeDtypeStruct(aval.shape, aval.dtype)


class JaxFunction:
    """A JAX-traceable function of flat arrays returning a tuple of flat arrays, with its
    jitted form and its derived functions (vjp, jvp, vmap) built once and cached here.
    Hashed by identity, so it can be a primitive's parameter."""

    def __init__(self, flat: Callable[..., tuple], name: str):
        self.flat = flat
        self.name = name
        self._derived: dict = {}
        self._jitted: Callable | None = None
        self._shapes: dict = {}

    def __repr__(self) -> str:
        return self.name

    def __call__(self, *args: Any) -> tuple:
        if self._jitted is None:
            self._jitted = _jax().jit(self.flat)
        return tuple(np.asarray(o) for o in self._jitted(*args))

    def out_avals(self, avals: Sequence[Aval]) -> tuple[Aval, ...]:
        key = tuple(avals)
        if key not in self._shapes:
            outs = _jax().eval_shape(self.flat, *map(_struct, avals))
            self._shapes[key] = tuple(Aval(tuple(o.shape), np.dtype(o.dtype)) for o in outs)
        return self._shapes[key]

    def derived(self, key: Any, make: Callable[[], Callable]) -> JaxFunction:
        if key not in self._derived:
            self._derived[key] = JaxFunction(make(), f"{key[0]}_of_{self.name}")
        return self._derived[key]


def _inexact_positions(values: Sequence) -> list[int]:
    return [i for i, v in enumerate(values) if is_inexact(np.dtype(v.dtype))]


def _jax_call_vjp(gs, outs, *args, fn):
    """JAX's pullback of ``fn``, for the float (and complex) inputs and outputs only."""
    wrt, cts = _inexact_positions(args), _inexact_positions(outs)
    if not wrt:
        return [None] * len(args)

    def make() -> Callable:
        jax = _jax()

        def pullback(*primals_and_cts):
            primals, given = primals_and_cts[: len(args)], primals_and_cts[len(args) :]

            def of_wrt(*xs):
                full = list(primals)
                for i, x in zip(wrt, xs, strict=True):
                    full[i] = x
                out = fn.flat(*full)
                return tuple(out[i] for i in cts)

            _, vjp_fn = jax.vjp(of_wrt, *[primals[i] for i in wrt])
            return tuple(vjp_fn(tuple(given)))

        return pullback

    pullback = fn.derived(("vjp", tuple(wrt), tuple(cts)), make)
    got = iter(jax_call.bind(*args, *[gs[i] for i in cts], fn=pullback))
    return [next(got) if i in wrt else None for i in range(len(args))]


def _jax_call_jvp(primals, tangents, *, fn):
    """JAX's pushforward of ``fn``; integer outputs get zero tangents of their own dtype."""
    from trace_ag import numpy as tnp
    from trace_ag.core import aval_of
    from trace_ag.forward import instantiate_all

    wrt = _inexact_positions(primals)
    out_avals = fn.out_avals([aval_of(p) for p in primals])
    moving = _inexact_positions(out_avals)
    tangents = instantiate_all(primals, tangents)

    def make() -> Callable:
        jax = _jax()

        def pushforward(*primals_and_tangents):
            ps, ts = primals_and_tangents[: len(primals)], primals_and_tangents[len(primals) :]

            def of_wrt(*xs):
                full = list(ps)
                for i, x in zip(wrt, xs, strict=True):
                    full[i] = x
                return fn.flat(*full)

            out, t_out = jax.jvp(of_wrt, tuple(ps[i] for i in wrt), tuple(ts))
            return (*out, *[t_out[i] for i in moving])

        return pushforward

    pushforward = fn.derived(("jvp", tuple(wrt)), make)
    both = jax_call.bind(*primals, *[tangents[i] for i in wrt], fn=pushforward)
    outs, moved = both[: len(out_avals)], iter(both[len(out_avals) :])
    t_outs = [next(moved) if i in moving else tnp.zeros_like(o) for i, o in enumerate(outs)]
    return tuple(outs), tuple(t_outs)


def _jax_call_batch(vals, dims, *, size, fn):
    dims = tuple(dims)
    batched = fn.derived(
        ("vmap", dims, size),
        lambda: _jax().vmap(fn.flat, in_axes=dims, out_axes=0, axis_size=size),
    )
    outs = jax_call.bind(*vals, fn=batched)
    return tuple(outs), (0,) * len(outs)


jax_call = Primitive(
    "jax_call",
    impl=lambda *args, fn: fn(*args),
    abstract_eval=lambda *avals, fn: fn.out_avals(avals),
    vjp=_jax_call_vjp,
    jvp=_jax_call_jvp,
    batch=_jax_call_batch,
    jax=lambda *args, fn: tuple(fn.flat(*args)),
    multiple_results=True,
    complex_rules=True,  # JAX's vjp and jvp follow JAX's complex convention, which is ours
    allocates=False,  # NumPy views of JAX's buffers: read-only, never written by jit
    param_printers={"fn": repr},
)


def _check_x64(leaves: Sequence, name: str) -> None:
    """JAX without x64 would compute a float64 input in float32: refuse instead."""
    jax = _jax()
    if jax.config.jax_enable_x64:
        return
    wide = [np.dtype(x.dtype) for x in leaves if np.dtype(x.dtype).itemsize == 8]
    if wide:
        raise errors.TraceAgError(
            errors.at_user_line(
                f"from_jax({name}): an input is {wide[0]}, but JAX's jax_enable_x64 is off, so "
                "JAX would compute it in 32 bits. Call jax.config.update('jax_enable_x64', "
                "True) first, or pass 32-bit inputs."
            )
        )


def _as_leaf(x: Any, name: str) -> Any:
    if isinstance(x, Tracer):
        return x
    if isinstance(x, (bool, int, float, complex, np.generic)) or hasattr(x, "__array__"):
        return np.asarray(x)
    raise TypeError(
        errors.at_user_line(
            f"from_jax({name}): arguments must be arrays, numbers or pytrees of them; got a "
            f"leaf of type {type(x).__name__}. Close over it with functools.partial instead."
        )
    )


def from_jax(fn: Callable) -> Callable:
    """A JAX-traceable function as one trace_ag equation, with JAX's derivatives and batching.

    Arguments and results are pytrees (as JAX flattens them, so optax states and Flax
    structures work); the function is run by ``jax.jit`` on the NumPy backend and inlined on
    the JAX backend. Every trace_ag transform applies: ``grad``/``vjp`` call ``jax.vjp``,
    ``jvp`` calls ``jax.jvp`` and ``vmap`` calls ``jax.vmap``. With float64 inputs JAX's
    ``jax_enable_x64`` must be on.

    Examples:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> sin = ag.from_jax(jax.numpy.sin)
        >>> print(round(float(ag.grad(lambda x: sin(x) * x)(1.0)), 6))   # sin 1 + cos 1
        1.381773
    """
    name = getattr(fn, "__name__", type(fn).__name__)
    by_structure: dict = {}

    def flat_function(in_tree: Any) -> JaxFunction:
        if in_tree not in by_structure:
            jax = _jax()
            out_trees: dict = {}

            def flat(*xs):
                args, kwargs = jax.tree_util.tree_unflatten(in_tree, xs)
                out_leaves, out_tree = jax.tree_util.tree_flatten(fn(*args, **kwargs))
                out_trees[tuple((x.shape, x.dtype) for x in xs)] = out_tree
                return tuple(out_leaves)

            jax_fn = JaxFunction(flat, name)
            jax_fn.out_trees = out_trees
            by_structure[in_tree] = jax_fn
        return by_structure[in_tree]

    @functools.wraps(fn)
    @api_boundary
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        jax = _jax()
        leaves, in_tree = jax.tree_util.tree_flatten((args, kwargs))
        leaves = [_as_leaf(x, name) for x in leaves]
        _check_x64(leaves, name)
        jax_fn = flat_function(in_tree)
        outs = jax_call.bind(*leaves, fn=jax_fn)
        signature = tuple((tuple(np.shape(x)), np.dtype(x.dtype)) for x in leaves)
        if signature not in jax_fn.out_trees:  # traced by another signature's compile only
            jax_fn.out_avals([Aval(s, d) for s, d in signature])
        return jax.tree_util.tree_unflatten(jax_fn.out_trees[signature], list(outs))

    return wrapped


def to_jax(fn: Callable) -> Callable:
    """A trace_ag function as a JAX function: ``jax.jit``, ``jax.grad`` and ``jax.vmap``
    accept it, and it takes and returns JAX arrays (pytrees as JAX flattens them).

    It is traced into a trace_ag graph once per input structure, shapes and dtypes, and the
    graph is evaluated with every primitive's JAX lowering, so JAX's own transforms
    differentiate and batch it.

    Examples:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> f = ag.to_jax(lambda x: tnp.sum(tnp.tanh(x) ** 2))
        >>> print(np.round(jax.jit(jax.grad(f))(np.ones(2)), 4))
        [0.6397 0.6397]
    """
    from trace_ag import tracing
    from trace_ag.backends.jax import lower
    from trace_ag.tree_util import tree_unflatten

    name = getattr(fn, "__name__", type(fn).__name__)
    graphs: dict = {}

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        jax = _jax()
        leaves, in_tree = jax.tree_util.tree_flatten((args, kwargs))
        leaves = [jax.numpy.asarray(x) for x in leaves]
        avals = tuple(Aval(tuple(x.shape), np.dtype(x.dtype)) for x in leaves)
        key = (in_tree, avals)
        if key not in graphs:

            def flat(*xs):
                a, k = jax.tree_util.tree_unflatten(in_tree, xs)
                return fn(*a, **k)

            _, graph, out_tree = tracing.trace_to_graph(
                flat, avals, concrete=False, fn_name=f"to_jax({name})"
            )
            graphs[key] = (lower(graph), out_tree)
        lowered, out_tree = graphs[key]
        return tree_unflatten(out_tree, lowered(*leaves))

    return wrapped
