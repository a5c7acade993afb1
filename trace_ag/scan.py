"""``scan`` (differentiable loops with a carry and stacked outputs) and ``fori_loop``.

The vjp of a scan is two scans: one that recomputes the carry entering every step, and one
that runs backwards through the body's vjp, carrying the carry's cotangent and accumulating
the cotangents of the constants the body closes over.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trace_ag import errors, passes, tracing
from trace_ag.autodiff import vjp
from trace_ag.control_flow import while_loop
from trace_ag.core import Aval, Graph, Primitive
from trace_ag.interpret import eval_graph
from trace_ag.subgraphs import avals_of, check_same_structure, jax_fn, run_graph, trace_closed
from trace_ag.tree_util import tree_flatten, tree_unflatten


def _split(operands, n_consts, n_carry):
    return (
        list(operands[:n_consts]),
        list(operands[n_consts : n_consts + n_carry]),
        list(operands[n_consts + n_carry :]),
    )


def _scan_impl(*operands, body, n_consts, n_carry, length, reverse):
    consts, carry, xs = _split(operands, n_consts, n_carry)
    ys = []
    for i in reversed(range(length)) if reverse else range(length):
        out = run_graph(body, *consts, *carry, *[x[i] for x in xs])
        carry, y = out[:n_carry], out[n_carry:]
        ys.append(y)
    if reverse:
        ys.reverse()
    y_avals = [a.aval for a in body.outvars[n_carry:]]
    stacked = [
        np.stack([y[j] for y in ys]) if ys else np.zeros((0, *a.shape), a.dtype)
        for j, a in enumerate(y_avals)
    ]
    return (*carry, *stacked)


def _scan_aval(*operands, body, n_consts, n_carry, length, reverse):
    outs = [a.aval for a in body.outvars]
    ys = [Aval((length, *a.shape), a.dtype) for a in outs[n_carry:]]
    return (*outs[:n_carry], *ys)


def _carries_in(consts, init, xs, body, n_carry, length, reverse):
    """The carry entering each step, stacked: a scan whose outputs are its inputs' carries."""
    n_consts = len(consts)
    carries = body.invars[n_consts : n_consts + n_carry]
    recompute = passes.dce(Graph(body.invars, body.eqns, body.outvars[:n_carry] + carries))
    outs = scan_p.bind(
        *consts,
        *init,
        *xs,
        body=recompute,
        n_consts=n_consts,
        n_carry=n_carry,
        length=length,
        reverse=reverse,
    )
    return list(outs[n_carry:])


def _scan_vjp(g, out, *operands, body, n_consts, n_carry, length, reverse):
    consts, init, xs = _split(operands, n_consts, n_carry)
    g = list(g)
    g_carry, g_ys = g[:n_carry], g[n_carry:]
    carries = _carries_in(consts, init, xs, body, n_carry, length, reverse)
    n_xs, n_ys = len(xs), len(g_ys)

    def backward_step(*args):
        cs, acc, ct_carry = (
            args[:n_consts],
            args[n_consts : 2 * n_consts],
            args[2 * n_consts : 2 * n_consts + n_carry],
        )
        rest = args[2 * n_consts + n_carry :]
        x_i, carry_i, gy_i = rest[:n_xs], rest[n_xs : n_xs + n_carry], rest[n_xs + n_carry :]
        _, pull = vjp(lambda *a: eval_graph(body, *a), *cs, *carry_i, *x_i)
        cts = pull([*ct_carry, *gy_i])
        ct_consts, ct_carry_in, ct_x = _split(cts, n_consts, n_carry)
        return [*(a + c for a, c in zip(acc, ct_consts, strict=True)), *ct_carry_in, *ct_x]

    slice_avals = [Aval(a.shape[1:], a.dtype) for a in avals_of([*xs, *carries, *g_ys])]
    const_avals = avals_of(consts)
    avals = const_avals + const_avals + avals_of(g_carry) + slice_avals
    graph, closure, _ = trace_closed(backward_step, avals, "scan (vjp)")
    zeros = [np.zeros(a.shape, a.dtype) for a in const_avals]
    outs = scan_p.bind(
        *closure,
        *consts,
        *zeros,
        *g_carry,
        *xs,
        *carries,
        *g_ys,
        body=graph,
        n_consts=len(closure) + n_consts,
        n_carry=n_consts + n_carry,
        length=length,
        reverse=not reverse,
    )
    del n_ys
    return list(outs)


def _scan_jvp(primals, tangents, *, body, n_consts, n_carry, length, reverse):
    """A scan carrying (carry, carry tangent) over (x, x tangent)."""
    from trace_ag.forward import instantiate_all, jvp

    consts, init, xs = _split(list(primals), n_consts, n_carry)
    t_consts, t_init, t_xs = _split(instantiate_all(primals, tangents), n_consts, n_carry)

    def step(state, x):
        carry, t_carry = state
        x_i, t_x = x
        out, t_out = jvp(
            lambda *a: eval_graph(body, *a), [*consts, *carry, *x_i], [*t_consts, *t_carry, *t_x]
        )
        return (tuple(out[:n_carry]), tuple(t_out[:n_carry])), (
            tuple(out[n_carry:]),
            tuple(t_out[n_carry:]),
        )

    (final, t_final), (ys, t_ys) = scan(
        step, (tuple(init), tuple(t_init)), (tuple(xs), tuple(t_xs)), length=length, reverse=reverse
    )
    return (*final, *ys), (*t_final, *t_ys)


def _scan_jax(*operands, body, n_consts, n_carry, length, reverse):
    from jax import lax

    consts, init, xs = _split(operands, n_consts, n_carry)
    fn = jax_fn(body)

    def step(carry, x):
        out = fn(*consts, *carry, *x)
        return tuple(out[:n_carry]), tuple(out[n_carry:])

    carry, ys = lax.scan(step, tuple(init), tuple(xs), length=length, reverse=reverse)
    return (*carry, *ys)


def _scan_batch(vals, dims, *, size, body, n_consts, n_carry, length, reverse):
    """Every carry batched in front; batched ``xs`` carry the batch on axis 1 (axis 0 is the
    loop); the body is the vectorized body."""
    from trace_ag import numpy as tnp
    from trace_ag.primitives._transform_rules import to_front
    from trace_ag.subgraphs import vmapped

    consts, init, xs = _split(vals, n_consts, n_carry)
    const_dims, init_dims, xs_dims = _split(dims, n_consts, n_carry)
    carry = [to_front(v, d, size) for v, d in zip(init, init_dims, strict=True)]
    xs = [x if d is None else tnp.moveaxis(x, d, 1) for x, d in zip(xs, xs_dims, strict=True)]
    x_axes = [None if d is None else 0 for d in xs_dims]
    step = vmapped(body, (*const_dims, *[0] * n_carry, *x_axes))

    def f(c, x):
        out = step(*consts, *c, *x)
        return tuple(out[:n_carry]), tuple(out[n_carry:])

    final, ys = scan(f, tuple(carry), tuple(xs), length=length, reverse=reverse)
    return (*final, *ys), (0,) * n_carry + (1,) * len(ys)


scan_p = Primitive(
    "scan",
    impl=_scan_impl,
    abstract_eval=_scan_aval,
    vjp=_scan_vjp,
    jvp=_scan_jvp,
    jax=_scan_jax,
    batch=_scan_batch,
    multiple_results=True,
    complex_rules=True,
)


def scan(
    f: Callable,
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
    _split_transpose: bool = False,
) -> tuple[Any, Any]:
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns the final
    carry and the stacked ``y``s (like ``jax.lax.scan``). Differentiable. ``unroll`` is
    accepted as JAX's performance hint and checked; the generated loop does not unroll.

    Examples:
        >>> carry, ys = ag.lax.scan(lambda c, x: (c + x, c * x), 0.0, np.arange(4.0))
        >>> print(carry, ys)
        6.0 [0. 0. 2. 9.]
    """
    _check_unroll("scan", unroll)
    init_flat, carry_tree = tree_flatten(init)
    init_flat = [tracing.as_input_value(x, "scan") for x in init_flat]
    xs_flat, xs_tree = tree_flatten(xs)
    xs_flat = [tracing.as_input_value(x, "scan") for x in xs_flat]
    lengths = {np.shape(x)[0] if np.ndim(x) else None for x in xs_flat}
    if length is not None:
        lengths.add(length)
    if len(lengths) != 1 or None in lengths:
        raise ValueError(
            errors.at_user_line(
                f"scan: xs must share one leading axis length (and match length=), got "
                f"{sorted(map(str, lengths)) or 'no xs and no length'}"
            )
        )
    length = int(lengths.pop())
    carry_avals = avals_of(init_flat)
    x_avals = [Aval(a.shape[1:], a.dtype) for a in avals_of(xs_flat)]

    def flat_f(*args):
        carry = tree_unflatten(carry_tree, list(args[: len(carry_avals)]))
        x = tree_unflatten(xs_tree, list(args[len(carry_avals) :]))
        result = f(carry, x)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(errors.at_user_line("scan: f must return a pair (carry, y)"))
        return result

    body, consts, out_tree = trace_closed(flat_f, carry_avals + x_avals, "scan")
    carry_out_tree, y_tree = out_tree.children()
    n_carry = len(carry_avals)
    carry_out = (carry_out_tree, tuple(a.aval for a in body.outvars[:n_carry]))
    check_same_structure(
        "scan", "f's output carry", carry_out, "init", (carry_tree, tuple(carry_avals))
    )
    outs = scan_p.bind(
        *consts,
        *init_flat,
        *xs_flat,
        body=body,
        n_consts=len(consts),
        n_carry=n_carry,
        length=length,
        reverse=bool(reverse),
    )
    return (
        tree_unflatten(carry_tree, list(outs[:n_carry])),
        tree_unflatten(y_tree, list(outs[n_carry:])),
    )


def _check_unroll(name: str, unroll: Any) -> None:
    if isinstance(unroll, bool) or (isinstance(unroll, (int, np.integer)) and unroll >= 1):
        return
    raise ValueError(errors.at_user_line(f"{name}: unroll must be a positive int or a bool"))


def fori_loop(
    lower: Any, upper: Any, body_fun: Callable, init_val: Any, *, unroll: int | bool | None = None
) -> Any:
    """``for i in range(lower, upper): val = body_fun(i, val)``. With Python int bounds it is
    a ``scan`` (differentiable); with traced bounds a ``while_loop`` (forward only), as in JAX.
    ``unroll`` is accepted as in JAX (a hint; nothing is unrolled).

    Examples:
        >>> print(ag.lax.fori_loop(0, 5, lambda i, v: v + i, 0))   # 0 + 1 + 2 + 3 + 4
        10
    """
    if unroll is not None:
        _check_unroll("fori_loop", unroll)
    if isinstance(lower, (int, np.integer)) and isinstance(upper, (int, np.integer)):
        steps = np.arange(int(lower), int(upper))
        carry, _ = scan(lambda v, i: (body_fun(i, v), None), init_val, steps)
        return carry
    _, _, val = while_loop(
        lambda s: s[0] < s[1],
        lambda s: (s[0] + 1, s[1], body_fun(s[0], s[2])),
        (lower, upper, init_val),
    )
    return val
