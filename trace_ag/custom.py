"""User-defined derivatives: ``custom_vjp`` and ``custom_jvp`` (JAX's interface).

Each decorated function binds one primitive whose parameter is the decorated object, so every
transform sees it whole: reverse mode uses the user's ``bwd`` (``custom_vjp``) or transposes
the user's jvp rule (``custom_jvp``); forward mode uses the jvp rule (forward mode through a
custom_vjp function is an error, as in JAX); vmap vectorizes the function and its rules
together; jit traces through them.

A custom_vjp's residuals are recomputed by calling ``fwd`` again in the backward pass, so the
functions must not close over traced values (pass them as arguments).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag import errors, tracing
from trace_ag.autodiff import grad
from trace_ag.core import (
    Aval,
    Graph,
    Primitive,
    Tracer,
    aval_of,
    is_complex,
    is_float,
    is_inexact,
    zeros_like,
)
from trace_ag.forward import instantiate_all, real_pairing
from trace_ag.tree_util import tree_flatten, tree_map, tree_unflatten


class _Custom:
    """Shared machinery: flat calls, output avals by abstract tracing."""

    def __init__(self, fun: Callable, nondiff_argnums: tuple[int, ...] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.name = getattr(fun, "__name__", "fn")
        self.nondiff_argnums = tuple(sorted(set(nondiff_argnums)))
        if any(not isinstance(i, int) or i < 0 for i in self.nondiff_argnums):
            raise TypeError(f"{self.name}: nondiff_argnums must be non-negative ints")
        self._traced: dict[tuple, tuple] = {}

    def split_nondiff(self, args: tuple) -> tuple[list, list, Callable]:
        """``args`` as (non-differentiated values, differentiated values, merge), where
        ``merge(diff)`` puts the non-differentiated values back in their places."""
        kept = self.nondiff_argnums
        if kept and max(kept) >= len(args):
            raise TypeError(
                errors.at_user_line(
                    f"{self.name}: nondiff_argnums {kept} for a call with {len(args)} arguments"
                )
            )
        static = [args[i] for i in kept]
        if any(isinstance(x, Tracer) for x in tree_flatten(static)[0]):
            raise TypeError(
                errors.at_user_line(
                    f"{self.name}: an argument in nondiff_argnums {kept} is a traced value; "
                    "pass traced arrays as ordinary (differentiated) arguments"
                )
            )
        diff = [a for i, a in enumerate(args) if i not in kept]

        def merge(values: Sequence) -> list:
            it, fixed = iter(values), dict(zip(kept, static, strict=True))
            return [fixed[i] if i in fixed else next(it) for i in range(len(args))]

        return static, diff, merge

    def flat_call(self, fn: Callable, in_tree, flat: list) -> tuple[list, Any]:
        out = fn(*tree_unflatten(in_tree, list(flat)))
        leaves, out_tree = tree_flatten(out)
        return leaves, out_tree

    def traced(self, in_tree, avals: list[Aval]) -> tuple[Graph, list, Any]:
        """The function traced abstractly for these inputs: (graph, constants, out tree)."""
        key = (in_tree, tuple(avals))
        if key not in self._traced:
            from trace_ag.subgraphs import trace_closed

            self._traced[key] = trace_closed(
                lambda *xs: self.fun(*tree_unflatten(in_tree, list(xs))), avals, self.name
            )
        return self._traced[key]

    def out_avals(self, in_tree, avals: list[Aval]) -> tuple[tuple, Any]:
        graph, _, out_tree = self.traced(in_tree, avals)
        return tuple(v.aval for v in graph.outvars), out_tree

    def bind(self, prim: Primitive, args: tuple) -> Any:
        flat, in_tree = tree_flatten(args)
        flat = [tracing.as_input_value(x, self.name) for x in flat]
        _, out_tree = self.out_avals(in_tree, [aval_of(x) for x in flat])
        outs = prim.bind(*flat, call=self, in_tree=in_tree)
        return tree_unflatten(out_tree, list(outs))


def _impl(*flat, call, in_tree):
    return tuple(call.flat_call(call.fun, in_tree, list(flat))[0])


def _abstract_eval(*avals, call, in_tree):
    return call.out_avals(in_tree, list(avals))[0]


def _jax(*flat, call, in_tree):
    """The function's own graph, lowered (derivatives were taken before lowering)."""
    from trace_ag.backends.jax import lower

    graph, consts, _ = call.traced(in_tree, [aval_of(x) for x in flat])
    return tuple(lower(graph)(*consts, *flat))


def _check_cotangents(call: _Custom, cts: Any, primals: list, in_tree) -> list:
    """The user's bwd must return one cotangent per argument, shaped like the argument."""
    args = tree_unflatten(in_tree, list(primals))
    if not isinstance(cts, (tuple, list)) or len(cts) != len(args):
        raise TypeError(
            errors.at_user_line(
                f"custom_vjp {call.name}: bwd must return a tuple with one cotangent per argument "
                f"({len(args)}), got {type(cts).__name__}"
                + (f" of length {len(cts)}" if isinstance(cts, (tuple, list)) else "")
            )
        )
    cts = tuple(
        zeros_like(a) if c is None and not isinstance(a, (tuple, list, dict)) else c
        for c, a in zip(cts, args, strict=True)
    )
    flat_cts, ct_tree = tree_flatten(cts)
    if ct_tree != in_tree:
        raise TypeError(
            errors.at_user_line(
                f"custom_vjp {call.name}: bwd returned cotangents of structure {ct_tree}, but the "
                f"arguments have structure {in_tree}"
            )
        )
    for ct, p in zip(flat_cts, primals, strict=True):
        if np.shape(ct) != np.shape(p):
            raise errors.ShapeError(
                errors.at_user_line(
                    f"custom_vjp {call.name}: bwd returned a cotangent of shape {np.shape(ct)} for "
                    f"an argument of shape {np.shape(p)}"
                )
            )
    return [_cast_like(ct, p) for ct, p in zip(flat_cts, primals, strict=True)]


def _cast_like(ct: Any, primal: Any) -> Any:
    from trace_ag import numpy as tnp

    dtype, ct_dtype = aval_of(primal).dtype, aval_of(ct).dtype
    if ct_dtype == dtype:
        return ct
    if not is_inexact(dtype):
        return None  # an integer or bool argument gets no cotangent, whatever bwd said
    if not is_inexact(dtype) or not (
        is_inexact(ct_dtype) and (is_complex(dtype) or not is_complex(ct_dtype))
    ):
        raise errors.DTypeError(
            errors.at_user_line(
                f"a custom rule returned a cotangent of dtype {ct_dtype} for an argument of "
                f"dtype {dtype}"
            )
        )
    return tnp.astype(ct, dtype)  # a precision difference (float32 for float64) only


# ---------------------------------------------------------------- custom_vjp


def _custom_vjp_rule(g, out, *primals, call, in_tree):
    args = tree_unflatten(in_tree, list(primals))
    _, residuals = call.fwd(*args)
    out_tree = call.out_avals(in_tree, [aval_of(p) for p in primals])[1]
    cts = call.bwd(residuals, tree_unflatten(out_tree, list(g)))
    return _check_cotangents(call, cts, list(primals), in_tree)


def _custom_vjp_batch(vals, dims, *, size, call, in_tree):
    from trace_ag.batching import vmap

    axes = tree_unflatten(in_tree, list(dims))
    batched = custom_vjp(vmap(call.fun, in_axes=axes))
    batched.defvjp(vmap(call.fwd, in_axes=axes), vmap(call.bwd))
    batched.name = call.name
    flat, _ = tree_flatten(batched(*tree_unflatten(in_tree, list(vals))))
    return tuple(flat), (0,) * len(flat)


def _custom_vjp_no_jvp(primals, tangents, *, call, in_tree):
    raise errors.TransformError(
        errors.at_user_line(
            f"can't apply forward-mode autodiff (jvp, jacfwd, hessian) to the custom_vjp function "
            f"{call.name}, as in JAX: use custom_jvp to define forward mode, or jacrev"
        )
    )


custom_vjp_call = Primitive(
    "custom_vjp_call",
    impl=_impl,
    abstract_eval=_abstract_eval,
    vjp=_custom_vjp_rule,
    jvp=_custom_vjp_no_jvp,
    jax=_jax,
    batch=_custom_vjp_batch,
    multiple_results=True,
    complex_rules=True,  # the user's rules decide
)


class custom_vjp(_Custom):
    """A function with a user-defined vjp: ``f.defvjp(fwd, bwd)`` where ``fwd(*args)`` returns
    ``(out, residuals)`` and ``bwd(residuals, g)`` returns one cotangent per argument.

    Examples:
        >>> @ag.custom_vjp
        ... def clip_gradient(x):
        ...     return x
        >>> _ = clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (tnp.clip(g, -1, 1),))
        >>> print(ag.grad(lambda x: 5 * clip_gradient(x))(2.0))   # 5 clipped to 1
        1.0
    """

    def defvjp(self, fwd: Callable, bwd: Callable) -> custom_vjp:
        self.fwd, self.bwd = fwd, bwd
        return self

    def __call__(self, *args: Any) -> Any:
        if not hasattr(self, "bwd"):
            raise TypeError(f"custom_vjp {self.name}: call defvjp(fwd, bwd) before using it")
        if not self.nondiff_argnums:
            return self.bind(custom_vjp_call, args)
        # JAX's convention: bwd(*nondiff_args, residuals, g) -> cotangents of the others
        static, diff, merge = self.split_nondiff(args)
        inner = custom_vjp(functools.wraps(self.fun)(lambda *d: self.fun(*merge(d))))
        inner.defvjp(lambda *d: self.fwd(*merge(d)), lambda res, g: self.bwd(*static, res, g))
        return inner.bind(custom_vjp_call, tuple(diff))


# ---------------------------------------------------------------- custom_jvp


def _tangents_out(call: _Custom, primals: list, tangents: list, in_tree) -> tuple[list, list]:
    tangents = instantiate_all(primals, tangents)
    result = call.jvp_rule(
        tree_unflatten(in_tree, list(primals)), tree_unflatten(in_tree, tangents)
    )
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise TypeError(
            errors.at_user_line(
                f"custom_jvp {call.name}: the jvp rule must return a pair (primal_out, "
                f"tangent_out), got {type(result).__name__}"
            )
        )
    avals, out_tree = call.out_avals(in_tree, [aval_of(p) for p in primals])
    out = _check_rule_output(call, "primal output", result[0], avals, out_tree)
    t_out = _check_rule_output(call, "tangent output", result[1], avals, out_tree)
    return out, t_out


def _check_rule_output(call: _Custom, what: str, value: Any, avals: tuple, out_tree) -> list:
    """The leaves of what a user's jvp rule returned, each checked against the function's own
    output: same structure, shapes and dtypes (tangents of floats may differ in precision)."""
    flat, tree = tree_flatten(value)
    if tree != out_tree:
        raise TypeError(
            errors.at_user_line(
                f"custom_jvp {call.name}: the jvp rule's {what} has structure {tree}, but the "
                f"function returns {out_tree}"
            )
        )
    for i, (x, aval) in enumerate(zip(flat, avals, strict=True)):
        got = aval_of(x)
        same_kind = got.dtype == aval.dtype or (
            what == "tangent output" and is_float(got.dtype) and is_float(aval.dtype)
        )
        if got.shape != aval.shape or not same_kind:
            raise errors.ShapeError(
                errors.at_user_line(
                    f"custom_jvp {call.name}: the jvp rule's {what} (leaf {i}) is "
                    f"{got.str_short()}, but the function's output is {aval.str_short()}"
                )
            )
    return flat


def _custom_jvp_jvp(primals, tangents, *, call, in_tree):
    out, t_out = _tangents_out(call, list(primals), list(tangents), in_tree)
    return tuple(out), tuple(t_out)


def _custom_jvp_vjp(g, out, *primals, call, in_tree):
    """Reverse mode by transposing the user's (linear in the tangents) jvp rule."""

    def pairing(*tangents):
        _, t_out = _tangents_out(call, list(primals), list(tangents), in_tree)
        terms = [real_pairing(t, ct) for t, ct in zip(t_out, g, strict=True)]
        return sum(terms[1:], terms[0])

    zeros = [zeros_like(p) for p in primals]
    return list(grad(pairing, argnums=tuple(range(len(primals))))(*zeros))


def _custom_jvp_batch(vals, dims, *, size, call, in_tree):
    from trace_ag.batching import vmap

    axes = tree_unflatten(in_tree, list(dims))
    batched = custom_jvp(vmap(call.fun, in_axes=axes))
    batched.defjvp(vmap(call.jvp_rule, in_axes=(axes, axes)))
    flat, _ = tree_flatten(batched(*tree_unflatten(in_tree, list(vals))))
    return tuple(flat), (0,) * len(flat)


custom_jvp_call = Primitive(
    "custom_jvp_call",
    impl=_impl,
    abstract_eval=_abstract_eval,
    vjp=_custom_jvp_vjp,
    jvp=_custom_jvp_jvp,
    jax=_jax,
    batch=_custom_jvp_batch,
    multiple_results=True,
    complex_rules=True,  # the user's rules decide
)


class custom_jvp(_Custom):
    """A function with a user-defined jvp: ``f.defjvp(rule)`` where
    ``rule(primals, tangents)`` returns ``(out, tangent_out)``; reverse mode transposes it.

    Examples:
        >>> @ag.custom_jvp
        ... def log1pexp(x):
        ...     return tnp.log1p(tnp.exp(x))
        >>> @log1pexp.defjvp
        ... def _(primals, tangents):
        ...     (x,), (t,) = primals, tangents
        ...     return log1pexp(x), t * tnp.sigmoid(x)
    """

    def defjvp(self, rule: Callable) -> Callable:
        self.jvp_rule = rule
        return rule

    def defjvps(self, *rules: Callable | None) -> None:
        """One rule per argument, ``rule(tangent, primal_out, *primals) -> tangent_out``
        (None: that argument's tangent contributes nothing); the output's tangent is their
        sum, as ``jax.custom_jvp.defjvps``.

        Examples:
            >>> @ag.custom_jvp
            ... def times(x, y):
            ...     return x * y
            >>> times.defjvps(lambda tx, out, x, y: tx * y, lambda ty, out, x, y: x * ty)
            >>> print(ag.grad(times, argnums=(0, 1))(2.0, 3.0))
            (np.float64(3.0), np.float64(2.0))
        """

        def rule(primals: tuple, tangents: tuple) -> tuple:
            out = self.fun(*primals)
            terms = [
                r(t, out, *primals) for r, t in zip(rules, tangents, strict=True) if r is not None
            ]
            if not terms:
                return out, tree_map(lambda o: zeros_like(o), out)
            return out, functools.reduce(lambda a, b: tree_map(lambda u, v: u + v, a, b), terms)

        self.jvp_rule = rule

    def __call__(self, *args: Any) -> Any:
        if not hasattr(self, "jvp_rule"):
            raise TypeError(f"custom_jvp {self.name}: call defjvp(rule) before using it")
        if not self.nondiff_argnums:
            return self.bind(custom_jvp_call, args)
        # JAX's convention: rule(*nondiff_args, primals, tangents) over the other arguments
        static, diff, merge = self.split_nondiff(args)
        inner = custom_jvp(functools.wraps(self.fun)(lambda *d: self.fun(*merge(d))))
        inner.defjvp(lambda primals, tangents: self.jvp_rule(*static, primals, tangents))
        return inner.bind(custom_jvp_call, tuple(diff))
