"""Reverse mode: ``vjp``, ``grad`` and ``value_and_grad`` over a recorded graph.

The forward pass is traced concretely (``tracing.GraphInterpreter``); the backward pass walks the
equations in reverse and applies each primitive's vjp rule to the recorded values. The rules are
written with trace_ag ops and run under whatever interpreter is current, so the backward pass is
itself traced by an enclosing transform: that is all grad-of-grad needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag import config, errors, tracing
from trace_ag.core import (
    Eqn,
    Lit,
    Tracer,
    Var,
    as_array,
    check_complex_rules,
    check_floats,
    dtype_of,
    is_complex,
    is_float,
    is_inexact,
    zeros_like,
)
from trace_ag.errors import api_boundary
from trace_ag.tree_util import tree_flatten, tree_map, tree_unflatten


def active_vars(eqns: Sequence[Eqn], invars: Sequence[Var]) -> set[Var]:
    """The float and complex variables that depend on ``invars``: only these get cotangents."""
    active = {v for v in invars if is_inexact(v.aval.dtype)}
    for eqn in eqns:
        if eqn.primitive.differentiable and any(a in active for a in eqn.inputs):
            avals = [a.aval for a in eqn.inputs if a in active] + [v.aval for v in eqn.outputs]
            check_complex_rules(eqn.primitive, avals, "grad/vjp")
            active.update(v for v in eqn.outputs if is_inexact(v.aval.dtype))
    return active


def apply_vjp(prim, params: dict, gs: list, outs: list, ins: list, needed: list[bool]) -> list:
    """A primitive's vjp rule(s) on cotangents ``gs`` of its outputs: one cotangent (or None)
    per input; per-input rules run only for the inputs marked ``needed``."""
    g, out = (tuple(gs), tuple(outs)) if prim.multiple_results else (gs[0], outs[0])
    if callable(prim.vjp):
        return list(prim.vjp(g, out, *ins, **params))
    return [
        rule(g, out, *ins, **params) if rule is not None and need else None
        for rule, need in zip(prim.vjp, needed, strict=True)
    ]


def _input_cotangents(eqn: Eqn, gs: list, value_of: Callable, active: set) -> list:
    ins = [value_of(a) for a in eqn.inputs]
    outs = [value_of(v) for v in eqn.outputs]
    needed = [a in active for a in eqn.inputs]
    return apply_vjp(eqn.primitive, eqn.params, gs, outs, ins, needed)


def _check_cotangent(eqn: Eqn, atom: Var, ct: Any) -> None:
    shape, dtype = np.shape(ct), dtype_of(ct)
    if shape != atom.aval.shape or dtype != atom.aval.dtype:
        raise errors.ShapeError(
            f"internal error in the vjp rule of {eqn.primitive.name}: it returned a cotangent "
            f"of shape {shape} and dtype {dtype} for an input of shape {atom.aval.shape} and "
            f"dtype {atom.aval.dtype}. Please report this as a bug."
        )
    if config.DEBUG_FLOATS[0] and not isinstance(ct, Tracer):
        check_floats(f"the vjp of {eqn.primitive.name}", (ct,))


def backward_pass(
    eqns: Sequence[Eqn],
    value_of: Callable[[Var | Lit], Any],
    invars: Sequence[Var],
    outvars: Sequence[Var | Lit],
    out_cts: Sequence[Any],
) -> list[Any]:
    """Cotangents of ``invars`` given cotangents of ``outvars`` (None: zero)."""
    active = active_vars(eqns, invars)
    cts: dict[Var, Any] = {}

    def accumulate(var: Var, ct: Any) -> None:
        cts[var] = ct if var not in cts else cts[var] + ct

    for var, ct in zip(outvars, out_cts, strict=True):
        if ct is not None and var in active:
            accumulate(var, ct)
    for eqn in reversed(eqns):
        gs = [cts.pop(v, None) for v in eqn.outputs]
        if all(g is None for g in gs) or not eqn.primitive.differentiable:
            continue
        gs = [
            np.zeros(v.aval.shape, v.aval.dtype) if g is None else g
            for v, g in zip(eqn.outputs, gs, strict=True)
        ]
        for atom, ct in zip(eqn.inputs, _input_cotangents(eqn, gs, value_of, active), strict=True):
            if ct is not None and atom in active:
                _check_cotangent(eqn, atom, ct)
                accumulate(atom, ct)
    return [cts.get(v) for v in invars]


def to_user(x: Any) -> Any:
    """Results leave transforms as ``Array``s (NumPy arrays with ``.at``); 0-d arrays become
    NumPy scalars."""
    if isinstance(x, np.ndarray):
        # float0 zeros (grad(allow_int=True)) stay arrays: a NumPy void scalar is no value
        return x[()] if x.ndim == 0 and x.dtype.kind != "V" else as_array(x)
    return x


def _lower_value(tr: tracing.GraphInterpreter, x: Any) -> Any:
    """An output of the traced function, as a value of the enclosing level."""
    return tr.value_of(tr.lift(x))


@api_boundary
def vjp(fn: Callable, *primals: Any, has_aux: bool = False):
    """Evaluate ``fn(*primals)`` and return its output and a function pulling cotangents back.

    Returns ``(out, vjp_fn)`` or, with ``has_aux``, ``(out, vjp_fn, aux)``; ``vjp_fn(ct)``
    takes a cotangent shaped like ``out`` and returns a tuple with one cotangent per primal.

    Examples:
        >>> out, vjp_fn = ag.vjp(tnp.sin, 0.5)
        >>> (ct,) = vjp_fn(1.0)
        >>> print(round(float(ct), 6))   # cos(0.5)
        0.877583
    """
    aux_box = []

    def main_output(*args: Any) -> Any:
        out = fn(*args)
        if not has_aux:
            return out
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            what = "one array" if hasattr(out, "shape") else f"a {type(out).__name__}"
            raise TypeError(
                errors.at_user_line(
                    f"has_aux=True requires {_fn_name(fn)} to return a pair (output, aux), but "
                    f"it returned {what}"
                )
            )
        aux_box.append(out[1])
        return out[0]

    main_output.__wrapped__ = fn
    tr, graph, out_tree = tracing.trace_to_graph(main_output, primals, True, fn_name="vjp")
    invars, outvars = graph.invars, graph.outvars
    if has_aux:
        aux = tree_map(lambda x: to_user(_lower_value(tr, x)), aux_box[0])
    out_values = [tr.value_of(v) for v in outvars]
    in_tree = tree_flatten(tuple(primals))[1]

    @api_boundary
    def vjp_fn(cotangent: Any) -> tuple:
        ct_flat, ct_tree = tree_flatten(cotangent)
        if ct_tree != out_tree:
            raise ValueError(
                errors.at_user_line(
                    f"vjp_fn: the cotangent's structure {ct_tree} differs from the output's "
                    f"{out_tree}"
                )
            )
        cts = []
        for v, ct in zip(outvars, ct_flat, strict=True):
            ct = tracing.as_input_value(ct, "vjp_fn")
            if np.shape(ct) != v.aval.shape:
                raise errors.ShapeError(
                    errors.at_user_line(
                        f"vjp_fn: cotangent of shape {np.shape(ct)} for an output of shape "
                        f"{v.aval.shape}"
                    )
                )
            if is_complex(dtype_of(ct)) and not is_complex(v.aval.dtype):
                raise TypeError(
                    errors.at_user_line(
                        f"vjp_fn: a complex cotangent ({dtype_of(ct)}) for a real output "
                        f"({v.aval.dtype}); its imaginary part would be dropped"
                    )
                )
            cts.append(ct.astype(v.aval.dtype) if dtype_of(ct) != v.aval.dtype else ct)
        in_cts = backward_pass(tr.eqns, tr.value_of, invars, outvars, cts)
        in_cts = [
            to_user(zeros_like(tr.values[v]) if ct is None else ct)
            for v, ct in zip(invars, in_cts, strict=True)
        ]
        return tree_unflatten(in_tree, in_cts)

    vjp_fn.residuals = _residual_count(tr)
    user_out = tree_unflatten(out_tree, [to_user(v) for v in out_values])
    return (user_out, vjp_fn, aux) if has_aux else (user_out, vjp_fn)


def _fn_name(fn: Callable) -> str:
    """The user's name for ``fn``, seen through the wrappers transforms put around it."""
    while hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__
    return getattr(fn, "__name__", "the function")


def _residual_count(tr: tracing.GraphInterpreter) -> int:
    """How many intermediate arrays the backward pass keeps alive (inputs and constants
    excluded): what ``checkpoint`` reduces."""
    produced = {v for eqn in tr.eqns for v in eqn.outputs}
    return sum(1 for v in tr.values if v in produced)


def argnums_tuple(argnums: int | Sequence[int], fn_name: str = "grad") -> tuple[int, ...]:
    """``argnums`` as a tuple of ints, refusing anything else and repeated positions (which
    would differentiate one argument twice and return zeros for one of them)."""
    nums = (argnums,) if isinstance(argnums, (int, np.integer)) else argnums
    try:
        nums = tuple(nums)
    except TypeError:
        nums = None
    if nums is None or not all(
        isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in nums
    ):
        raise TypeError(
            errors.at_user_line(
                f"{fn_name}: argnums must be an int or a tuple of ints, got {argnums!r}"
            )
        )
    if len(set(nums)) != len(nums):
        raise ValueError(
            errors.at_user_line(f"{fn_name}: argnums {argnums!r} names an argument twice")
        )
    return tuple(int(i) for i in nums)


def of_argnums(fn: Callable, args: Sequence, argnums: tuple[int, ...]) -> Callable:
    """``fn`` as a function of the arguments at ``argnums``, the others fixed to ``args``."""

    def partial(*chosen: Any) -> Any:
        full = list(args)
        for i, a in zip(argnums, chosen, strict=True):
            full[i] = a
        return fn(*full)

    partial.__wrapped__ = fn  # errors name the user's function
    return partial


def check_diff_args(
    args: Sequence,
    argnums: tuple[int, ...],
    fn_name: str,
    holomorphic: bool = False,
    allow_int: bool = False,
) -> None:
    for i in argnums:
        if i >= len(args) or i < -len(args):
            raise ValueError(
                errors.at_user_line(
                    f"{fn_name}: argnums={i} but the function was called with {len(args)} arguments"
                )
            )
    if len({i % len(args) for i in argnums}) != len(argnums):
        raise ValueError(
            errors.at_user_line(
                f"{fn_name}: argnums {argnums} name the same argument twice (with {len(args)} "
                "arguments)"
            )
        )
    for i in argnums:
        for leaf in tree_flatten(args[i])[0]:
            dtype = dtype_of(tracing.as_input_value(leaf, fn_name))
            if holomorphic and not is_complex(dtype):
                raise TypeError(
                    errors.at_user_line(
                        f"{fn_name} with holomorphic=True requires complex inputs, but argument "
                        f"{i} has a leaf of dtype {dtype}. Pass complex values (e.g. "
                        "x.astype(complex))."
                    )
                )
            if not is_inexact(dtype) and not (allow_int and _is_int_like(dtype)):
                raise TypeError(
                    errors.at_user_line(
                        f"{fn_name} requires float (or complex) inputs, but argument {i} has a "
                        f"leaf of dtype "
                        f"{dtype}. Pass floats (e.g. 2.0, not 2), use allow_int=True for float0 "
                        "zero gradients, or use ag.vjp to differentiate with respect to other "
                        "arguments only."
                    )
                )


def _is_int_like(dtype: np.dtype) -> bool:
    return np.dtype(dtype).kind in "biu"


def _without_int_leaves(fn: Callable, args: Sequence, nums: tuple[int, ...]) -> tuple:
    """``fn`` as a function of the float leaves of ``args[nums]`` only (the integer leaves
    fixed), the float leaves, and ``rebuild(grads)``, which puts float0 zeros, as JAX's
    ``allow_int``, where the integer leaves were."""
    from trace_ag._jax_more import float0

    trees = [tree_flatten(args[i]) for i in nums]
    masks = [[_is_int_like(dtype_of(tracing.as_input_value(x, "grad"))) for x in leaves]
             for leaves, _ in trees]  # fmt: skip
    floats = [[x for x, m in zip(leaves, mask, strict=True) if not m]
              for (leaves, _), mask in zip(trees, masks, strict=True)]  # fmt: skip

    def merge(values: Sequence, fill: Callable) -> list:
        out = []
        for (leaves, treedef), mask, vals in zip(trees, masks, values, strict=True):
            it = iter(vals)
            out.append(treedef.unflatten([fill(x) if m else next(it)
                                          for x, m in zip(leaves, mask, strict=True)]))  # fmt: skip
        return out

    def of_floats(*values: Any) -> Any:
        full = list(args)
        for i, tree in zip(nums, merge(values, lambda x: x), strict=True):
            full[i] = tree
        return fn(*full)

    of_floats.__wrapped__ = fn
    return of_floats, floats, lambda grads: merge(grads, lambda x: np.zeros(np.shape(x), float0))


def value_and_grad(
    fn: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
    allow_int: bool = False,
    reduce_axes: Sequence = (),
):
    """Like ``grad``, but the returned function gives ``(value, gradient)``.

    Examples:
        >>> def loss_fn(w, x): return tnp.sum((x @ w) ** 2)
        >>> params, batch = np.ones(2), np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> loss, grads = ag.value_and_grad(loss_fn)(params, batch)
        >>> print(loss, grads)
        58.0 [48. 68.]
    """
    nums = argnums_tuple(argnums, "grad")

    @api_boundary
    def value_and_grad_fn(*args: Any):
        check_diff_args(args, nums, "grad", holomorphic, allow_int)
        rebuild = None
        if allow_int:
            of_floats, floats, rebuild = _without_int_leaves(fn, args, nums)
            result = vjp(of_floats, *floats, has_aux=has_aux)
        else:
            result = vjp(of_argnums(fn, args, nums), *[args[i] for i in nums], has_aux=has_aux)
        out, vjp_fn = result[0], result[1]
        if not (hasattr(out, "shape") or isinstance(out, (int, float))):
            raise TypeError(
                errors.at_user_line(
                    f"grad requires {_fn_name(fn)} to return one scalar float array, but it "
                    f"returned a {type(out).__name__}. Return the scalar itself (or use "
                    "has_aux=True to return (value, aux))."
                )
            )
        if holomorphic and np.shape(out) == () and not is_complex(dtype_of(out)):
            raise TypeError(
                errors.at_user_line(
                    f"grad with holomorphic=True requires a complex output, but "
                    f"{_fn_name(fn)} returned dtype {dtype_of(out)}"
                )
            )
        wanted = is_complex if holomorphic else is_float
        if np.shape(out) != () or not wanted(dtype_of(out)):
            raise TypeError(
                errors.at_user_line(
                    f"grad requires a scalar float output (shape ()), but {_fn_name(fn)} "
                    f"returned shape {np.shape(out)} and dtype {dtype_of(out)}. For non-scalar "
                    "outputs use ag.vjp with a cotangent (or ag.jacrev), or reduce the output, "
                    "e.g. with tnp.sum."
                )
            )
        grads = vjp_fn(np.ones((), dtype_of(out)))
        if rebuild is not None:
            grads = tuple(rebuild(grads))
        grads = grads[0] if isinstance(argnums, int) else grads
        return ((out, result[2]), grads) if has_aux else (out, grads)

    return value_and_grad_fn


def grad(
    fn: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
    allow_int: bool = False,
    reduce_axes: Sequence = (),
):
    """The gradient of a scalar-valued ``fn`` with respect to the argument(s) ``argnums``.

    Arguments may be arrays, Python floats, or pytrees (dict/list/tuple) of them; the gradient
    has the same structure. With ``has_aux``, ``fn`` returns ``(value, aux)`` and the gradient
    function returns ``(grads, aux)``. Complex inputs follow JAX: for a real output the
    gradient is ``df/dx - i df/dy``; ``holomorphic=True`` takes a complex output and gives
    ``f'(z)``.

    Examples:
        >>> ag.grad(lambda x, y: x * tnp.sin(y), argnums=(0, 1))(2.0, 0.0)
        (np.float64(0.0), np.float64(2.0))
    """
    value_and_grad_fn = value_and_grad(fn, argnums, has_aux, holomorphic, allow_int)

    @api_boundary
    def grad_fn(*args: Any):
        (value, grads) = value_and_grad_fn(*args)
        return (grads, value[1]) if has_aux else grads

    return grad_fn
