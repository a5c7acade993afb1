"""``check_grads``: reverse-mode derivatives checked against central differences in float64.

In a random direction ``u`` and for a random cotangent ``v``, the vjp must satisfy
``<vjp(v), u> == <v, J u>``, with ``J u`` from ``(f(x + eps u) - f(x - eps u)) / (2 eps)``.
Complex inputs and outputs get complex directions and cotangents, and ``<a, b>`` is JAX's real
pairing ``Re(sum(a * b))``, under which its (and our) vjp is the transpose of the jvp.
Higher orders check the vjp function itself the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trace_ag.autodiff import vjp
from trace_ag.tree_util import tree_leaves, tree_map


def _to_float64(x: Any) -> Any:
    arr = np.asarray(x)
    if np.issubdtype(arr.dtype, np.complexfloating):
        return arr.astype(np.complex128)
    return arr.astype(np.float64) if np.issubdtype(arr.dtype, np.floating) else arr


def _random_like(tree: Any, rng: np.random.Generator) -> Any:
    def draw(x):
        arr = np.asarray(x)
        if np.issubdtype(arr.dtype, np.complexfloating):
            return rng.standard_normal(arr.shape) + 1j * rng.standard_normal(arr.shape)
        if not np.issubdtype(arr.dtype, np.floating):
            return np.zeros(arr.shape, arr.dtype)
        return rng.standard_normal(arr.shape)

    return tree_map(draw, tree)


def _inner(a: Any, b: Any) -> float:
    """JAX's real pairing ``Re(sum(a * b))`` over the leaves (no conjugate)."""
    return float(
        sum(
            np.real(np.sum(np.asarray(x, np.complex128) * np.asarray(y, np.complex128)))
            for x, y in zip(tree_leaves(a), tree_leaves(b), strict=True)
        )
    )


def _shifted(args: Any, direction: Any, step: float) -> Any:
    return tree_map(
        lambda x, u: x + step * u if np.issubdtype(np.asarray(x).dtype, np.inexact) else x,
        args,
        direction,
    )


def _difference_quotient(eps: float) -> Callable:
    def quotient(plus: Any, minus: Any) -> Any:
        plus, minus = np.asarray(plus), np.asarray(minus)
        if not np.issubdtype(plus.dtype, np.inexact):
            return np.zeros(plus.shape)  # integer or boolean outputs: no derivative
        return (plus - minus) / (2 * eps)

    return quotient


def _check_vjp(f: Callable, args: tuple, eps: float, atol: float, rtol: float, rng) -> None:
    out, vjp_fn = vjp(f, *args)
    cotangent = _random_like(out, rng)
    direction = _random_like(args, rng)
    reverse = _inner(vjp_fn(cotangent), direction)
    plus, minus = f(*_shifted(args, direction, eps)), f(*_shifted(args, direction, -eps))
    numeric_jvp = tree_map(_difference_quotient(eps), plus, minus)
    numeric = _inner(cotangent, numeric_jvp)
    if not abs(reverse - numeric) <= atol + rtol * max(abs(reverse), abs(numeric)):
        name = getattr(f, "__name__", "f")
        raise AssertionError(
            f"check_grads: the vjp of {name} disagrees with central differences: "
            f"<vjp(v), u> = {reverse!r} but <v, (f(x+eps u) - f(x-eps u)) / 2eps> = {numeric!r} "
            f"(eps={eps}, atol={atol}, rtol={rtol})"
        )


def check_grads(
    f: Callable,
    args: Sequence[Any],
    order: int = 1,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-5,
    seed: int = 0,
) -> None:
    """Raise ``AssertionError`` unless reverse-mode derivatives of ``f`` up to ``order`` agree
    with central differences in float64 (float arguments are cast to float64 first).

    Examples:
        >>> ag.check_grads(lambda x: tnp.sum(tnp.tanh(x) ** 2), (np.ones(3),), order=2)
    """
    rng = np.random.default_rng(seed)
    args = tuple(tree_map(_to_float64, tuple(args)))
    _check_vjp(f, args, eps, atol, rtol, rng)
    if order > 1:
        cotangent = _random_like(f(*args), rng)

        def vjp_of_f(*primals):
            return vjp(f, *primals)[1](cotangent)

        vjp_of_f.__name__ = f"vjp({getattr(f, '__name__', 'f')})"
        check_grads(vjp_of_f, args, order - 1, eps, atol, rtol, seed + 1)
