"""Spec rows: elementwise operations: unary, binary, comparisons, predicates."""

from __future__ import annotations

import pytest
from oracle import Spec, broadcasting

import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

R = Spec
rows: list[Spec] = []


UNARY = [
    # name, tnp, jax, domain, check_grads order
    ("exp", tnp.exp, jnp.exp, "real", 2),
    ("log", tnp.log, jnp.log, "positive", 2),
    ("log1p", tnp.log1p, jnp.log1p, "gt_m1", 2),
    ("expm1", tnp.expm1, jnp.expm1, "real", 1),
    ("sqrt", tnp.sqrt, jnp.sqrt, "positive", 2),
    ("sin", tnp.sin, jnp.sin, "real", 2),
    ("cos", tnp.cos, jnp.cos, "real", 2),
    ("tan", tnp.tan, jnp.tan, "tan", 1),
    ("tanh", tnp.tanh, jnp.tanh, "real", 2),
    ("arcsin", tnp.arcsin, jnp.arcsin, "open_unit", 1),
    ("arccos", tnp.arccos, jnp.arccos, "open_unit", 1),
    ("arctan", tnp.arctan, jnp.arctan, "real", 2),
    ("sinh", tnp.sinh, jnp.sinh, "real", 1),
    ("cosh", tnp.cosh, jnp.cosh, "real", 1),
    ("arcsinh", tnp.arcsinh, jnp.arcsinh, "real", 2),
    ("arccosh", tnp.arccosh, jnp.arccosh, "gt1", 1),
    ("arctanh", tnp.arctanh, jnp.arctanh, "open_unit", 1),
    ("abs", tnp.abs, jnp.abs, "nonzero", 1),
    ("negative", tnp.negative, jnp.negative, "real", 1),
    ("sigmoid", tnp.sigmoid, jax.nn.sigmoid, "real", 2),
    ("relu", tnp.relu, jax.nn.relu, "nonzero", 1),
    ("reciprocal", tnp.reciprocal, jnp.reciprocal, "nonzero", 1),
    ("log2", tnp.log2, jnp.log2, "positive", 1),
    ("exp2", tnp.exp2, jnp.exp2, "real", 1),
    # piecewise constant: zero gradient, like JAX
    ("sign", tnp.sign, jnp.sign, "nonzero", 1),
    ("floor", tnp.floor, jnp.floor, "frac", 1),
    ("ceil", tnp.ceil, jnp.ceil, "frac", 1),
    ("round", tnp.round, jnp.round, "near_int", 1),
]
rows += [R(name, f, r, domain=dom, order=order) for name, f, r, dom, order in UNARY]

BINARY = [
    # name, tnp, jax, domains, check_grads order
    ("add", tnp.add, jnp.add, "real", 2),
    ("subtract", tnp.subtract, jnp.subtract, "real", 1),
    ("multiply", tnp.multiply, jnp.multiply, "real", 2),
    ("divide", tnp.divide, jnp.divide, ("real", "nonzero"), 2),
    ("power", tnp.power, jnp.power, ("positive", "real"), 2),
    ("maximum", tnp.maximum, jnp.maximum, ("distinct", "distinct_offset"), 1),
    ("minimum", tnp.minimum, jnp.minimum, ("distinct_offset", "distinct"), 1),
    ("arctan2", tnp.arctan2, jnp.arctan2, ("nonzero", "nonzero"), 2),
    ("remainder", tnp.remainder, jnp.remainder, ("real", "nonzero"), 1),
    ("floor_divide", tnp.floor_divide, jnp.floor_divide, ("real", "nonzero"), 1),
]
rows += [
    R(name, f, r, arity=2, domain=dom, shapes=broadcasting(), order=order)
    for name, f, r, dom, order in BINARY
]


def _pow(x, *, y):
    return tnp.power(x, y)


def _jpow(x, *, y):
    return jnp.power(x, y)


rows += [
    # a Python int exponent records integer_pow: negative bases allowed
    R("power[int 3]", _pow, _jpow, kwargs={"y": 3}, order=2),
    R("power[int -2]", _pow, _jpow, domain="nonzero", kwargs={"y": -2}, order=2),
    R("power[int 0]", _pow, _jpow, kwargs={"y": 0}),
    R("power[int 1]", _pow, _jpow, kwargs={"y": 1}),
    # a Python float exponent is a weak scalar: pow with a literal
    R("power[float 2.5]", _pow, _jpow, domain="positive", kwargs={"y": 2.5}),
    R(
        "where",
        lambda c, x, y: tnp.where(c > 0, x, y),
        lambda c, x, y: jnp.where(c > 0, x, y),
        arity=3,
        domain=("nonzero", "real", "real"),
        shapes=broadcasting(3),
    ),
    R(
        "where[scalar branch]",
        lambda x: tnp.where(x > 0, tnp.multiply(x, x), 0.5),
        lambda x: jnp.where(x > 0, x * x, 0.5),
        domain="nonzero",
    ),
    R(
        "clip[scalars]",
        lambda x: tnp.clip(x, -0.5, 0.7),
        lambda x: jnp.clip(x, -0.5, 0.7),
    ),
    R(
        "clip[arrays]",
        tnp.clip,
        lambda x, lo, hi: jnp.clip(x, lo, hi),
        arity=3,
        domain=("real", "low", "high"),
        shapes=broadcasting(3),
    ),
]


# comparisons and logic: boolean outputs, zero gradients (one row returns them all)
def _compare(np_like):
    def fn(x, y):
        return [f(x, y) for f in (np_like.equal, np_like.not_equal, np_like.less)] + [
            f(x, y) for f in (np_like.less_equal, np_like.greater, np_like.greater_equal)
        ]

    return fn


def _logic(np_like):
    def fn(x, y):
        a, b = x > 0, y > 0
        return [
            np_like.logical_and(a, b),
            np_like.logical_or(a, b),
            np_like.logical_xor(a, b),
            np_like.logical_not(a),
        ]

    return fn


def _classify(np_like):
    return lambda x: [np_like.isfinite(x), np_like.isnan(x), np_like.isinf(x)]


PREDICATE = {"numeric": False, "keeps_dtype": False}
rows += [
    R(
        "compare[== != < <= > >=]",
        _compare(tnp),
        _compare(jnp),
        arity=2,
        domain="small_int",
        shapes=broadcasting(),
        **PREDICATE,
    ),
    R(
        "logical[and or xor not]",
        _logic(tnp),
        _logic(jnp),
        arity=2,
        shapes=broadcasting(),
        **PREDICATE,
    ),
    R("isfinite, isnan, isinf", _classify(tnp), _classify(jnp), domain="special", **PREDICATE),
]

ROWS = rows
