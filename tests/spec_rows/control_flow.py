"""Spec rows: control flow, custom derivatives, checkpoint."""

from __future__ import annotations

import pytest
from oracle import Spec, broadcasting, same

import trace_ag as ag
import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

R = Spec
rows: list[Spec] = []


def _cond(lax, np_like):
    def fn(p, x):
        return lax.cond(
            np_like.sum(p) > 0, lambda x: np_like.sin(x) * 2.0, lambda x: np_like.cos(x) - x, x
        )

    return fn


def _while(lax, np_like):
    """A data-dependent trip count: double-ish until the largest value reaches 4."""
    return lambda x: lax.while_loop(lambda v: np_like.max(v) < 4.0, lambda v: v * 1.7 + 0.1, x)


def _scan(lax, np_like):
    def fn(c0, xs, *, reverse):
        return lax.scan(lambda c, x: (c * np_like.sin(x) + x, c * x), c0, xs, reverse=reverse)

    return fn


def _scan_shapes(d):
    carry = d.shape(0, 2)
    return [carry, (d.int(1, 4), *carry)], {}


def _fori(lax, np_like):
    def body(i, v):
        return np_like.sin(v) * (i + 1).astype(v.dtype) + v

    return lambda x: lax.fori_loop(0, 3, body, x)


def _custom_vjp(decorator, np_like):
    """``x * sin(y)`` with its true derivative as a user-defined vjp."""

    @decorator
    def f(x, y):
        return x * np_like.sin(y)

    f.defvjp(
        lambda x, y: (x * np_like.sin(y), (x, y)),
        lambda res, g: (g * np_like.sin(res[1]), g * res[0] * np_like.cos(res[1])),
    )
    return f


def _custom_jvp_tnp():
    """A stable softplus whose jvp rule is the user's (reverse mode transposes it)."""

    @ag.custom_jvp
    def softplus(x):
        return tnp.log1p(tnp.exp(-tnp.abs(x))) + tnp.maximum(x, 0.0)

    @softplus.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return softplus(x), t * tnp.sigmoid(x)

    return softplus


def _custom_jvp_jax():
    @jax.custom_jvp
    def softplus(x):
        return jnp.log1p(jnp.exp(-jnp.abs(x))) + jnp.maximum(x, 0.0)

    @softplus.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return softplus(x), t * jax.nn.sigmoid(x)

    return softplus


def _remat(checkpoint, np_like):
    return checkpoint(lambda x, y: np_like.sin(x) * np_like.cos(y) + x * y)


def _jitted(jit, np_like):
    """A jitted function called under the transforms: trace_ag's jit_call equation."""
    return jit(lambda x, y: np_like.sin(x) * np_like.cos(y) + x * y)


rows += [
    R(
        "cond",
        _cond(ag.lax, tnp),
        _cond(jax.lax, jnp),
        arity=2,
        domain="nonzero",
        shapes=lambda d: ([d.shape(), d.shape()], {}),
    ),
    R(
        "while_loop",
        _while(ag.lax, tnp),
        _while(jax.lax, jnp),
        domain="positive",
        reverse=False,
        numeric=False,
    ),
    R(
        "scan",
        _scan(ag.lax, tnp),
        _scan(jax.lax, jnp),
        arity=2,
        shapes=_scan_shapes,
        kwargs={"reverse": False},
        order=2,
    ),
    R(
        "scan[reverse]",
        _scan(ag.lax, tnp),
        _scan(jax.lax, jnp),
        arity=2,
        shapes=_scan_shapes,
        kwargs={"reverse": True},
    ),
    R("fori_loop", _fori(ag.lax, tnp), _fori(jax.lax, jnp)),
    R(
        "custom_vjp",
        _custom_vjp(ag.custom_vjp, tnp),
        _custom_vjp(jax.custom_vjp, jnp),
        arity=2,
        shapes=same(2),
    ),
    R("custom_jvp", _custom_jvp_tnp(), _custom_jvp_jax(), order=2),
    R(
        "checkpoint",
        _remat(ag.checkpoint, tnp),
        _remat(jax.checkpoint, jnp),
        arity=2,
        shapes=broadcasting(),
        order=2,
    ),
    R(
        "jit_call",
        _jitted(ag.jit, tnp),
        _jitted(jax.jit, jnp),
        arity=2,
        shapes=broadcasting(),
        order=2,
    ),
]

ROWS = rows
