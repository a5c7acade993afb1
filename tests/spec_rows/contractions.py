"""Spec rows: contractions: matmul, dot, einsum."""

from __future__ import annotations

import pytest
from oracle import Shapes, Spec, broadcast_like, fixed

import trace_ag.numpy as tnp

jnp = pytest.importorskip("jax.numpy")
jax = pytest.importorskip("jax")

R = Spec
rows: list[Spec] = []


def _batched_matmul(x_vector=False, y_vector=False):
    """Batch shapes broadcasting against each other (``(2, 1)`` with ``(3,)``...)."""

    def draw(d):
        base = d.shape(1, 2, max_side=3)
        m, k, n = d.int(1, 3), d.int(1, 3), d.int(1, 3)
        x = (k,) if x_vector else broadcast_like(d, base) + (m, k)
        y = (k,) if y_vector else broadcast_like(d, base) + (k, n)
        if not x_vector and not y_vector and len(x) == 2 and len(y) == 2:
            x = base + (m, k)  # keep at least one batch axis
        return [x, y], {}

    return draw


def _einsum_shapes(subscripts: str) -> Shapes:
    """Shapes fitting ``subscripts``; ``...`` stands for 0 to 2 axes that broadcast."""

    def draw(d):
        terms = subscripts.split("->")[0].split(",")
        sizes = {c: d.int(1, 3) for c in sorted(set("".join(terms)) - {"."})}
        ellipsis = d.shape(0, 2, max_side=3)
        shapes = []
        for term in terms:
            head, _, tail = term.partition("...")
            middle = broadcast_like(d, ellipsis) if "..." in term else ()
            shapes.append(tuple(sizes[c] for c in head) + middle + tuple(sizes[c] for c in tail))
        return shapes, {}

    return draw


def _einsum(*xs, subscripts):
    return tnp.einsum(subscripts, *xs)


def _jeinsum(*xs, subscripts):
    return jnp.einsum(subscripts, *xs)


EINSUMS = [
    "ij,jk->ik",
    "ij,jk->i",  # k is summed in one operand only
    "ij,jk",  # implicit output
    "i,j->ij",
    "i,i->",
    "ij->ji",
    "bij,bkj->bik",
    "ij,jk,kl->il",
    "...ij,jk->...ik",
    "...ij,...jk->...ik",  # the ellipses broadcast
    "i...,i->...",
]

rows += [
    R("matmul[1-D @ 1-D]", tnp.matmul, jnp.matmul, arity=2, shapes=fixed("k", "k"), order=2),
    R("matmul[1-D @ 2-D]", tnp.matmul, jnp.matmul, arity=2, shapes=fixed("k", "kn")),
    R("matmul[2-D @ 1-D]", tnp.matmul, jnp.matmul, arity=2, shapes=fixed("mk", "k")),
    R("matmul[2-D @ 2-D]", tnp.matmul, jnp.matmul, arity=2, shapes=fixed("mk", "kn"), order=2),
    R("matmul[batched]", tnp.matmul, jnp.matmul, arity=2, shapes=_batched_matmul()),
    R(
        "matmul[batched @ 1-D]",
        tnp.matmul,
        jnp.matmul,
        arity=2,
        shapes=_batched_matmul(y_vector=True),
    ),
    R(
        "matmul[1-D @ batched]",
        tnp.matmul,
        jnp.matmul,
        arity=2,
        shapes=_batched_matmul(x_vector=True),
    ),
    R("dot[0-D, 2-D]", tnp.dot, jnp.dot, arity=2, shapes=fixed("", "mk")),
    R("dot[1-D, 1-D]", tnp.dot, jnp.dot, arity=2, shapes=fixed("k", "k")),
    R("dot[2-D, 1-D]", tnp.dot, jnp.dot, arity=2, shapes=fixed("mk", "k")),
    R("dot[2-D, 2-D]", tnp.dot, jnp.dot, arity=2, shapes=fixed("mk", "kn")),
    R("dot[3-D, 3-D]", tnp.dot, jnp.dot, arity=2, shapes=fixed("amk", "bkn")),
    R("tensordot[axes=2]", tnp.tensordot, jnp.tensordot, arity=2, shapes=fixed("aij", "ijb")),
    R(
        "tensordot[axes=1]",
        tnp.tensordot,
        jnp.tensordot,
        arity=2,
        shapes=fixed("ai", "ib"),
        kwargs={"axes": 1},
    ),
    R(
        "tensordot[axes=pairs]",
        tnp.tensordot,
        jnp.tensordot,
        arity=2,
        shapes=fixed("iaj", "jbi"),
        kwargs={"axes": ([2, 0], [0, 2])},
    ),
    R("outer[1-D]", tnp.outer, jnp.outer, arity=2, shapes=fixed("i", "j")),
    R("outer[2-D, 1-D]", tnp.outer, jnp.outer, arity=2, shapes=fixed("ab", "j")),
    R("inner[1-D]", tnp.inner, jnp.inner, arity=2, shapes=fixed("k", "k")),
    R("inner[2-D, 3-D]", tnp.inner, jnp.inner, arity=2, shapes=fixed("ak", "bck")),
    R("inner[0-D, 2-D]", tnp.inner, jnp.inner, arity=2, shapes=fixed("", "ab")),
]
rows += [
    R(
        f"einsum[{sub}]",
        _einsum,
        _jeinsum,
        arity=sub.split("->")[0].count(",") + 1,
        shapes=_einsum_shapes(sub),
        kwargs={"subscripts": sub},
    )
    for sub in EINSUMS
]

ROWS = rows
