"""Control flow that works under jit: ``cond``, ``while_loop``, ``fori_loop``, ``scan``.

Each is a primitive whose params hold traced sub-graphs. Closed-over values become explicit
leading operands (closure conversion), so every transform sees them as inputs: a gradient
flows to a variable that a branch or a loop body closes over. The vjp rules are written with
trace_ag ops (``cond`` and ``scan`` appear in their own rules), so they differentiate again.
Sub-graphs run as generated NumPy code (``codegen``), compiled once per graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag import errors, tracing
from trace_ag.autodiff import vjp
from trace_ag.core import Graph, Primitive, Var
from trace_ag.interpret import eval_graph
from trace_ag.numpy._base import asarray_or_tracer
from trace_ag.subgraphs import (
    avals_of,
    check_same_structure,
    jax_fn,
    run_graph,
    trace_closed,
    vmapped,
)
from trace_ag.tree_util import tree_flatten, tree_unflatten

# ---------------------------------------------------------------- cond


def _join_branches(traced: list[tuple[Graph, list]]) -> tuple[tuple[Graph, ...], list]:
    """Branch graphs that all take (every branch's constants..., operands...)."""
    consts = [c for _, cs in traced for c in cs]
    const_avals = avals_of(consts)
    graphs, start = [], 0
    for graph, cs in traced:
        n = len(cs)
        before = [Var(a) for a in const_avals[:start]]
        after = [Var(a) for a in const_avals[start + n :]]
        invars = before + graph.invars[:n] + after + graph.invars[n:]
        graphs.append(Graph(invars, graph.eqns, graph.outvars))
        start += n
    return tuple(graphs), consts


def _cond_vjp(g, out, index, *operands, branches):
    """Pull back through the branch that ran: a cond over the branches' vjps."""
    avals = avals_of([*g, *operands])

    def pullback_graph(branch: Graph) -> tuple[Graph, list]:
        def pullback(*args):
            cts, ops = list(args[: len(g)]), args[len(g) :]
            return list(vjp(lambda *xs: eval_graph(branch, *xs), *ops)[1](cts))

        graph, consts, _ = trace_closed(pullback, avals, "cond (vjp)")
        return graph, consts

    graphs, consts = _join_branches([pullback_graph(b) for b in branches])
    return [None, *cond_p.bind(index, *consts, *g, *operands, branches=graphs)]


def _cond_jvp(primals, tangents, *, branches):
    """A cond over the branches' jvps, chosen by the same index."""
    from trace_ag.forward import instantiate_all, jvp

    index, operands = primals[0], list(primals[1:])
    op_tangents = instantiate_all(operands, tangents[1:])
    n = len(operands)

    def branch_jvp(branch):
        def pushforward(*args):
            out, t_out = jvp(lambda *xs: eval_graph(branch, *xs), list(args[:n]), list(args[n:]))
            return (*out, *t_out)

        return pushforward

    outs = switch(index, [branch_jvp(b) for b in branches], *operands, *op_tangents)
    half = len(outs) // 2
    return tuple(outs[:half]), tuple(outs[half:])


def _cond_jax(index, *operands, branches):
    from jax import lax

    fns = [lambda *ops, b=b: list(jax_fn(b)(*ops)) for b in branches]
    return tuple(lax.switch(index, fns, *operands))


def _cond_batch(vals, dims, *, size, branches):
    """An unbatched index picks one vectorized branch; a batched one runs every branch on
    the whole batch and selects per example."""
    from trace_ag import numpy as tnp

    index, operands, op_dims = vals[0], vals[1:], dims[1:]
    fns = [vmapped(b, op_dims, size) for b in branches]
    if dims[0] is None:
        outs = switch(index, [lambda *xs, f=f: tuple(f(*xs)) for f in fns], *operands)
        return tuple(outs), (0,) * len(outs)
    index = tnp.clip(tnp.moveaxis(index, dims[0], 0), 0, len(branches) - 1)
    results = [f(*operands) for f in fns]
    outs = []
    for j in range(len(results[0])):
        out = results[0][j]
        for k in range(1, len(results)):
            pick = tnp.reshape(index == k, (size,) + (1,) * (np.ndim(out) - 1))
            out = tnp.where(pick, results[k][j], out)
        outs.append(out)
    return tuple(outs), (0,) * len(outs)


cond_p = Primitive(
    "cond",
    impl=lambda index, *ops, branches: tuple(
        run_graph(branches[int(np.clip(index, 0, len(branches) - 1))], *ops)
    ),
    abstract_eval=lambda index, *ops, branches: tuple(a.aval for a in branches[0].outvars),
    vjp=_cond_vjp,
    jvp=_cond_jvp,
    jax=_cond_jax,
    batch=_cond_batch,
    multiple_results=True,
    complex_rules=True,
)


def switch(index: Any, branches: Sequence[Callable], *operands: Any) -> Any:
    """``branches[index](*operands)`` as one primitive (``index`` is clamped into range), like
    ``jax.lax.switch``; every branch must return the same structure, shapes and dtypes.

    Examples:
        >>> print(round(float(ag.lax.switch(1, [tnp.sin, tnp.cos, tnp.tanh], 0.5)), 6))  # cos(0.5)
        0.877583
    """
    index = asarray_or_tracer(index)
    if index.shape != ():
        raise TypeError(
            errors.at_user_line(f"cond: pred must be a scalar, got shape {index.shape}")
        )
    flat, in_tree = tree_flatten(operands)
    flat = [tracing.as_input_value(x, "cond") for x in flat]
    traced, signatures = [], []
    for fn in branches:
        graph, consts, out_tree = trace_closed(
            lambda *xs, fn=fn: fn(*tree_unflatten(in_tree, list(xs))), avals_of(flat), "cond"
        )
        traced.append((graph, consts))
        signatures.append((out_tree, tuple(a.aval for a in graph.outvars)))
    names = [f"branch {i}'s output" for i in range(len(branches))]
    if len(branches) == 2:
        names = ["false_fun's output", "true_fun's output"]
    for i in range(1, len(branches)):
        check_same_structure("cond", names[i], signatures[i], names[0], signatures[0])
    graphs, consts = _join_branches(traced)
    if not np.issubdtype(index.dtype, np.integer):
        raise TypeError(errors.at_user_line(f"switch: index must be an integer, got {index.dtype}"))
    outs = cond_p.bind(index.astype(np.int32), *consts, *flat, branches=graphs)
    return tree_unflatten(signatures[0][0], list(outs))


def cond(pred: Any, true_fun: Callable, false_fun: Callable, *operands: Any) -> Any:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``, as one primitive, so
    it works under jit with a traced ``pred`` (like ``jax.lax.cond``).

    Examples:
        >>> y = ag.jit(lambda x: ag.lax.cond(x > 0, tnp.sin, tnp.cos, x))(1.0)
        >>> print(round(float(y), 6))   # sin(1.0)
        0.841471
    """
    pred = asarray_or_tracer(pred)
    if pred.shape != ():
        raise TypeError(errors.at_user_line(f"cond: pred must be a scalar, got shape {pred.shape}"))
    truth = pred if pred.dtype == np.bool_ else pred != 0
    return switch(truth.astype(np.int32), [false_fun, true_fun], *operands)


# ---------------------------------------------------------------- while_loop


def _while_impl(*args, cond_graph, body_graph, n_cond, n_body):
    cond_consts, body_consts, vals = (
        args[:n_cond],
        args[n_cond : n_cond + n_body],
        args[n_cond + n_body :],
    )
    while bool(run_graph(cond_graph, *cond_consts, *vals)[0]):
        vals = run_graph(body_graph, *body_consts, *vals)
    return tuple(vals)


def _while_vjp(g, out, *args, **params):
    raise errors.TraceAgError(
        errors.at_user_line(
            "while_loop is not reverse-mode differentiable (its trip count is known only at run "
            "time, as in JAX). Use ag.lax.fori_loop with Python int bounds or ag.lax.scan."
        )
    )


def _while_jvp(primals, tangents, *, cond_graph, body_graph, n_cond, n_body):
    """Loop over (values, tangents): forward mode through a while loop is well defined."""
    from trace_ag.forward import instantiate_all, jvp

    cond_consts, body_consts = primals[:n_cond], list(primals[n_cond : n_cond + n_body])
    init = list(primals[n_cond + n_body :])
    const_tangents = instantiate_all(body_consts, tangents[n_cond : n_cond + n_body])
    init_tangents = instantiate_all(init, tangents[n_cond + n_body :])

    def body(state):
        vals, ts = state
        out, t_out = jvp(
            lambda *a: eval_graph(body_graph, *a), [*body_consts, *vals], [*const_tangents, *ts]
        )
        return tuple(out), tuple(t_out)

    vals, ts = while_loop(
        lambda state: eval_graph(cond_graph, *cond_consts, *state[0])[0],
        body,
        (tuple(init), tuple(init_tangents)),
    )
    return tuple(vals), tuple(ts)


def _while_jax(*args, cond_graph, body_graph, n_cond, n_body):
    from jax import lax

    cond_consts, body_consts = args[:n_cond], args[n_cond : n_cond + n_body]
    return tuple(
        lax.while_loop(
            lambda vals: jax_fn(cond_graph)(*cond_consts, *vals)[0],
            lambda vals: tuple(jax_fn(body_graph)(*body_consts, *vals)),
            tuple(args[n_cond + n_body :]),
        )
    )


def _while_batch(vals, dims, *, size, cond_graph, body_graph, n_cond, n_body):
    """Every carry batched; loop while any example's predicate holds, and update only the
    examples whose predicate holds."""
    from trace_ag import numpy as tnp
    from trace_ag.primitives._transform_rules import to_front

    cond_consts, body_consts = vals[:n_cond], vals[n_cond : n_cond + n_body]
    cond_dims, body_dims = dims[:n_cond], dims[n_cond : n_cond + n_body]
    init = [
        to_front(v, d, size)
        for v, d in zip(vals[n_cond + n_body :], dims[n_cond + n_body :], strict=True)
    ]
    preds = vmapped(cond_graph, (*cond_dims, *[0] * len(init)))
    step = vmapped(body_graph, (*body_dims, *[0] * len(init)))

    def body(state):
        pred = preds(*cond_consts, *state)[0]
        new = step(*body_consts, *state)
        return tuple(
            tnp.where(tnp.reshape(pred, (size,) + (1,) * (np.ndim(o) - 1)), n, o)
            for n, o in zip(new, state, strict=True)
        )

    outs = while_loop(lambda state: tnp.any(preds(*cond_consts, *state)[0]), body, tuple(init))
    return tuple(outs), (0,) * len(outs)


while_p = Primitive(
    "while_loop",
    impl=_while_impl,
    abstract_eval=lambda *args, body_graph, **_: tuple(a.aval for a in body_graph.outvars),
    vjp=_while_vjp,
    jvp=_while_jvp,
    jax=_while_jax,
    batch=_while_batch,
    multiple_results=True,
    complex_rules=True,
)


def while_loop(cond_fun: Callable, body_fun: Callable, init_val: Any) -> Any:
    """Repeat ``val = body_fun(val)`` while ``cond_fun(val)``; forward-only, like JAX's.

    Examples:
        >>> print(ag.lax.while_loop(lambda v: v < 10, lambda v: v * 2, 1))
        16
    """
    flat, tree = tree_flatten(init_val)
    flat = [tracing.as_input_value(x, "while_loop") for x in flat]
    avals = avals_of(flat)
    unflat = lambda xs: tree_unflatten(tree, list(xs))  # noqa: E731
    body, body_consts, body_tree = trace_closed(
        lambda *xs: body_fun(unflat(xs)), avals, "while_loop body"
    )
    check_same_structure(
        "while_loop",
        "body_fun's output",
        (body_tree, tuple(a.aval for a in body.outvars)),
        "init_val",
        (tree, tuple(avals)),
    )
    cond_graph, cond_consts, _ = trace_closed(
        lambda *xs: cond_fun(unflat(xs)), avals, "while_loop cond"
    )
    if len(cond_graph.outvars) != 1 or cond_graph.outvars[0].aval.shape != ():
        raise TypeError(errors.at_user_line("while_loop: cond_fun must return a scalar"))
    outs = while_p.bind(
        *cond_consts,
        *body_consts,
        *flat,
        cond_graph=cond_graph,
        body_graph=body,
        n_cond=len(cond_consts),
        n_body=len(body_consts),
    )
    return tree_unflatten(tree, list(outs))
