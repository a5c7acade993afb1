"""Jacobians: ``jacfwd`` (a vmap of jvps over input directions), ``jacrev`` (a vmap of vjps
over output directions) and ``hessian`` (``jacfwd`` of ``jacrev``), with JAX's output layout:
for every output leaf and input leaf, an array of shape ``out.shape + in.shape``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag import numpy as tnp
from trace_ag.autodiff import argnums_tuple, check_diff_args, of_argnums, vjp
from trace_ag.batching import vmap
from trace_ag.core import dtype_of, is_complex
from trace_ag.errors import api_boundary
from trace_ag.forward import jvp
from trace_ag.tracing import as_input_value
from trace_ag.tree_util import tree_flatten, tree_unflatten


def _partial(fn: Callable, args: tuple, argnums: tuple[int, ...], name: str, holomorphic: bool):
    """``fn`` as a function of the flat leaves of the differentiated arguments."""
    check_diff_args(args, argnums, name, holomorphic)
    flat, tree = tree_flatten(tuple(args[i] for i in argnums))
    flat = [as_input_value(x, name) for x in flat]
    chosen = of_argnums(fn, args, argnums)
    return (lambda *leaves: chosen(*tree_unflatten(tree, list(leaves)))), flat, tree


def _unit_vectors(leaves: Sequence, dtype) -> np.ndarray:
    return np.eye(sum(int(np.size(x)) for x in leaves), dtype=dtype)


def _split_flat(vector: Any, like: Sequence) -> list:
    """Cut a flat vector into pieces shaped like ``like``."""
    pieces, start = [], 0
    for x in like:
        n = int(np.size(x))
        pieces.append(tnp.reshape(vector[start : start + n], np.shape(x)).astype(dtype_of(x)))
        start += n
    return pieces


def _nest(blocks: list[list], out_tree, in_tree, single_in: bool):
    """``blocks[o][i]`` (out leaf o, in leaf i) as an out-tree of in-trees."""
    inner = [tree_unflatten(in_tree, row) for row in blocks]
    inner = [t[0] if single_in else t for t in inner]
    return tree_unflatten(out_tree, inner)


def _check_kind(leaves: Sequence, holomorphic: bool, name: str, what: str) -> None:
    """Real leaves, or complex ones with ``holomorphic=True`` (JAX's rule: a Jacobian of a
    non-holomorphic complex function is not a complex matrix)."""
    for x in leaves:
        if is_complex(dtype_of(x)) != holomorphic:
            fix = (
                "pass holomorphic=True for a holomorphic function"
                if not holomorphic
                else "holomorphic=True needs complex values"
            )
            raise TypeError(errors.at_user_line(f"{name}: {what} of dtype {dtype_of(x)}; {fix}"))


def jacfwd(
    fn: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
):
    """The Jacobian of ``fn`` by forward mode: one jvp per input element, batched by vmap.

    Examples:
        >>> print(np.round(ag.jacfwd(lambda x: tnp.sin(x) * x)(np.arange(3.0)), 4))   # diagonal
        [[0.     0.     0.    ]
         [0.     1.3818 0.    ]
         [0.     0.     0.077 ]]
    """
    nums = argnums_tuple(argnums, "jacfwd")

    @api_boundary
    def jac_fn(*args: Any):
        partial, flat, in_tree = _partial(fn, args, nums, "jacfwd", holomorphic)
        _check_kind(flat, holomorphic, "jacfwd", "an input")
        dtype = np.result_type(*[dtype_of(x) for x in flat])

        def push(direction):
            out = jvp(partial, flat, _split_flat(direction, flat), has_aux=has_aux)
            return out[1]

        columns = vmap(push)(_unit_vectors(flat, dtype))  # leading axis: input element
        out_leaves, out_tree = tree_flatten(columns)
        blocks = []
        for col in out_leaves:
            col = tnp.moveaxis(col, 0, -1)  # out.shape + (n_in,)
            out_shape = np.shape(col)[:-1]
            blocks.append(
                [
                    tnp.reshape(piece, out_shape + np.shape(x))
                    for piece, x in zip(_split_last(col, flat), flat, strict=True)
                ]
            )
        jac = _nest(blocks, out_tree, in_tree, isinstance(argnums, int))
        if has_aux:
            return jac, jvp(
                partial, flat, [np.zeros_like(np.asarray(x)) for x in flat], has_aux=True
            )[2]
        return jac

    return jac_fn


def _split_last(col: Any, like: Sequence) -> list:
    pieces, start = [], 0
    for x in like:
        n = int(np.size(x))
        pieces.append(col[..., start : start + n])
        start += n
    return pieces


def jacrev(
    fn: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
):
    """The Jacobian of ``fn`` by reverse mode: one vjp per output element, batched by vmap.

    Examples:
        >>> print(np.round(ag.jacrev(lambda x: tnp.sin(x) * x)(np.arange(3.0)), 4))
        [[0.     0.     0.    ]
         [0.     1.3818 0.    ]
         [0.     0.     0.077 ]]
    """
    nums = argnums_tuple(argnums, "jacrev")

    @api_boundary
    def jac_fn(*args: Any):
        partial, flat, in_tree = _partial(fn, args, nums, "jacrev", holomorphic)
        result = vjp(partial, *flat, has_aux=has_aux)
        out, pullback = result[0], result[1]
        out_leaves, out_tree = tree_flatten(out)
        _check_kind(out_leaves, holomorphic, "jacrev", "an output")
        dtype = np.result_type(*[dtype_of(o) for o in out_leaves])

        def pull(direction):
            return pullback(tree_unflatten(out_tree, _split_flat(direction, out_leaves)))

        rows = vmap(pull)(_unit_vectors(out_leaves, dtype))  # leading axis: output element
        blocks, start = [], 0
        for o in out_leaves:
            n = int(np.size(o))
            blocks.append(
                [
                    tnp.reshape(r[start : start + n], np.shape(o) + np.shape(x))
                    for r, x in zip(rows, flat, strict=True)
                ]
            )
            start += n
        jac = _nest(blocks, out_tree, in_tree, isinstance(argnums, int))
        return (jac, result[2]) if has_aux else jac

    return jac_fn


def hessian(
    fn: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
):
    """The Hessian of a scalar ``fn``: ``jacfwd(jacrev(fn))``.

    Examples:
        >>> ag.hessian(lambda x: tnp.sum(x ** 3))(np.ones(2))   # diag(6, 6)
        array([[6., 0.],
               [0., 6.]])
    """
    return jacfwd(jacrev(fn, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)
