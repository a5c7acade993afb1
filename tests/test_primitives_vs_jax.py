"""Every trace_ag.numpy operation against JAX as the oracle, driven by one table.

Each row of ``SPECS`` names a ``trace_ag.numpy`` callable, its JAX counterpart, its arity, the
domain its values are drawn from, how its shapes and static arguments are drawn, and its
tolerances. For every row, with shapes drawn by hypothesis:

* the forward value, shape and dtype equal JAX's (float64);
* the vjp for a random cotangent equals ``jax.vjp``'s;
* ``ag.check_grads`` passes (order 2 for a sample of smooth ops);
* in float32 the dtypes stay float32 and the vjp matches JAX's float32 vjp;
* the avals of ``ag.make_ir`` (the shape rules) equal the eagerly computed shapes and dtypes;
* every primitive's JAX lowering agrees with its NumPy implementation.

A registry test checks that the rows exercise every primitive in ``PRIMITIVES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag.core import Graph, Lit, Var

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jsp = pytest.importorskip("jax.scipy.special")

SETTINGS = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(SETTINGS, max_examples=5)  # float32 variant, second order
LOWERING = settings(SETTINGS, max_examples=2)  # one compile per example

# JAX compiles every new shape. XLA options that roughly halve compile time here
# (xla_cpu_use_fusion_emitters=False, xla_backend_optimization_level=0,
# xla_llvm_disable_expensive_passes=True) were dropped: a full-suite run aborted inside XLA
# compilation twice while they were on, and default compilation costs only ~35 s more.
FAST_COMPILE: dict = {}


def test_jax_computes_in_float64():
    assert jax.config.jax_enable_x64, "conftest.py must enable jax_enable_x64 before JAX is used"
    assert jnp.asarray(1.0).dtype == jnp.float64


# ---------------------------------------------------------------- drawing shapes and values


class Draw:
    """Draws shapes and static arguments with hypothesis (given ``data``) or, without it, from a
    seeded RNG. Array values always come from ``self.rng``, whose seed is the first draw."""

    def __init__(self, data: Any = None, seed: int = 0):
        self.data = data
        if data is not None:
            seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
        self.rng = np.random.default_rng(seed)

    def int(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi]``."""
        if self.data is not None:
            return self.data.draw(st.integers(lo, hi))
        return int(self.rng.integers(lo, hi + 1))

    def bool(self) -> bool:
        return self.int(0, 1) == 1

    def choice(self, options: list) -> Any:
        return options[self.int(0, len(options) - 1)]

    def permutation(self, n: int) -> tuple[int, ...]:
        if self.data is not None:
            return tuple(self.data.draw(st.permutations(range(n))))
        return tuple(int(i) for i in self.rng.permutation(n))

    def shape(self, min_dims=0, max_dims=3, min_side=1, max_side=3) -> tuple[int, ...]:
        return tuple(self.int(min_side, max_side) for _ in range(self.int(min_dims, max_dims)))


def broadcast_like(d: Draw, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts against ``shape``: leading axes dropped, some sizes set to 1."""
    return tuple(1 if d.int(0, 2) == 0 else n for n in shape[d.int(0, len(shape)) :])


def _distinct(rng, shape, offset=0.0):
    """Values at least 0.15 apart (no ties, even within central-difference steps); with
    ``offset=0.125`` they are also at least 0.025 from every value drawn without it."""
    n = int(np.prod(shape, dtype=np.int64))
    grid = (rng.permutation(n) - n // 2) * 0.25 + offset + rng.uniform(0, 0.1, n)
    return grid.reshape(shape)


def _special(rng, shape):
    x = rng.uniform(-2, 2, shape)
    return np.where(rng.random(shape) < 0.3, rng.choice([np.inf, -np.inf, np.nan], shape), x)


def _nonzero(rng, shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2, shape)


# Value domains: each draws an array of a shape, in float64.
DOMAINS: dict[str, Callable] = {
    "real": lambda rng, s: rng.uniform(-2, 2, s),
    "positive": lambda rng, s: rng.uniform(0.3, 3, s),
    "nonzero": _nonzero,  # away from 0: denominators, abs, sign, relu
    "open_unit": lambda rng, s: rng.uniform(-0.9, 0.9, s),  # arcsin, arccos, arctanh
    "gt1": lambda rng, s: rng.uniform(1.1, 3, s),  # arccosh
    "gt_m1": lambda rng, s: rng.uniform(-0.7, 2, s),  # log1p
    "tan": lambda rng, s: rng.uniform(-1.3, 1.3, s),  # away from the poles of tan
    "frac": lambda rng, s: rng.integers(-3, 3, s) + rng.uniform(0.1, 0.9, s),  # floor, ceil
    "near_int": lambda rng, s: rng.integers(-3, 4, s) + rng.uniform(-0.4, 0.4, s),  # round
    "small_int": lambda rng, s: rng.integers(-2, 3, s).astype(np.float64),  # comparisons
    "low": lambda rng, s: rng.uniform(-1.5, -0.3, s),  # clip's lower bound
    "high": lambda rng, s: rng.uniform(0.3, 1.5, s),  # clip's upper bound
    "distinct": _distinct,  # max, min, argmax: no ties
    "distinct_offset": lambda rng, s: _distinct(rng, s, 0.125),  # no ties with "distinct"
    "special": _special,  # with inf, -inf and nan: isfinite, isnan, isinf
}


# ---------------------------------------------------------------- the spec table

Shapes = Callable[[Draw], tuple[list, dict]]


@dataclass(repr=False)
class Spec:
    """One row: a trace_ag.numpy operation and its JAX counterpart.

    ``shapes(draw) -> (shapes, kwargs)`` draws the operands' shapes and any static arguments
    that depend on them; ``kwargs`` are fixed static arguments. ``fn`` and ``ref`` are called as
    ``fn(*arrays, **kwargs)``. Tolerances are relative: ``rtol`` for float64 values,
    ``grad_rtol`` for float64 vjps, ``f32_rtol`` for float32 vjps (a tenth of it for float32
    values); ``order=2`` adds a second-order ``check_grads``. ``numeric=False`` leaves the row
    out of the central-difference check (non-float outputs, ``stop_gradient``);
    ``keeps_dtype=False`` marks rows whose output dtype is not the input's (casts, predicates);
    ``reverse=False`` marks forward-only rows (``while_loop``, as in JAX): their vjp must
    raise.
    """

    name: str
    fn: Callable
    ref: Callable
    arity: int = 1
    domain: str | tuple[str, ...] = "real"
    shapes: Shapes | None = None
    kwargs: dict = field(default_factory=dict)
    rtol: float = 1e-10
    grad_rtol: float = 1e-6
    f32_rtol: float = 1e-4
    order: int = 1
    numeric: bool = True
    keeps_dtype: bool = True
    reverse: bool = True

    def draw(self, d: Draw, dtype=np.float64) -> tuple[list[np.ndarray], dict]:
        shapes, drawn = (self.shapes or one())(d)
        assert len(shapes) == self.arity, f"{self.name}: drew {len(shapes)} shapes"
        domains = (self.domain,) * self.arity if isinstance(self.domain, str) else self.domain
        args = [
            np.asarray(DOMAINS[dom](d.rng, tuple(s))).astype(dtype)
            for dom, s in zip(domains, shapes, strict=True)
        ]
        return args, {**self.kwargs, **drawn}

    def bind(self, kwargs: dict) -> tuple[Callable, Callable]:
        """The row's function and its JAX counterpart with the static arguments bound."""
        return (lambda *a: self.fn(*a, **kwargs)), (lambda *a: self.ref(*a, **kwargs))

    def __repr__(self) -> str:
        return self.name


def one(min_dims=0, max_dims=3, min_side=1, max_side=3) -> Shapes:
    return lambda d: ([d.shape(min_dims, max_dims, min_side, max_side)], {})


def same(n: int) -> Shapes:
    """``n`` equal shapes."""

    def draw(d):
        return [d.shape()] * n, {}

    return draw


def broadcasting(n=2, min_dims=0, max_dims=4) -> Shapes:
    """``n`` broadcast-compatible shapes: one drawn shape, the others derived from it by
    dropping leading axes and setting sizes to 1 (sometimes all ``n`` are derived)."""

    def draw(d):
        base = d.shape(min_dims, max_dims, max_side=3)
        shapes = [broadcast_like(d, base) for _ in range(n)]
        if d.bool():
            shapes[d.int(0, n - 1)] = base
        return shapes, {}

    return draw


def fixed(*dims: str) -> Shapes:
    """Shapes written with letters, one size drawn per letter: ``fixed("ik", "kj")``."""

    def draw(d):
        sizes = {c: d.int(1, 3) for c in sorted(set("".join(dims)))}
        return [tuple(sizes[c] for c in s) for s in dims], {}

    return draw


# ---- elementwise

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

# ---- reductions

REDUCTIONS = [
    # name, tnp, jax, domain, min_side
    ("sum", tnp.sum, jnp.sum, "real", 1),
    ("max", tnp.max, jnp.max, "distinct", 1),
    ("min", tnp.min, jnp.min, "distinct", 1),
    ("prod", tnp.prod, jnp.prod, "real", 1),
    ("mean", tnp.mean, jnp.mean, "real", 1),
    ("var", tnp.var, jnp.var, "real", 2),  # two values or more: std'(constant) is nan
    ("std", tnp.std, jnp.std, "real", 2),
]
AXES = [
    # axis, keepdims, min_dims
    (None, False, 0),
    (-1, True, 1),
    ((0, 2), False, 3),
]
MORE_AXES = [(None, True, 1), (1, False, 2), ((0, -1), True, 2)]
rows += [
    R(
        f"{name}[axis={axis},keepdims={keep}]",
        f,
        r,
        domain=dom,
        shapes=one(max(min_dims, min_side - 1), 3, min_side),  # var, std: not of a 0-D array
        kwargs={"axis": axis, "keepdims": keep},
    )
    for name, f, r, dom, min_side in REDUCTIONS
    for axis, keep, min_dims in AXES + (MORE_AXES if name in ("sum", "max", "prod") else [])
]
rows += [
    R("var[ddof=1,axis=0]", tnp.var, jnp.var, shapes=one(1, 3, 2), kwargs={"axis": 0, "ddof": 1}),
    R("std[ddof=1]", tnp.std, jnp.std, shapes=one(1, 3, 2), kwargs={"ddof": 1}),
    R(
        "logsumexp[axis=None]",
        tnp.logsumexp,
        jsp.logsumexp,
        order=2,
    ),
    R(
        "logsumexp[axis=-1,keepdims]",
        tnp.logsumexp,
        jsp.logsumexp,
        shapes=one(1),
        kwargs={"axis": -1, "keepdims": True},
    ),
    R(
        "logsumexp[axis=(0,1)]",
        tnp.logsumexp,
        jsp.logsumexp,
        shapes=one(2),
        kwargs={"axis": (0, 1)},
    ),
    R("softmax[axis=-1]", tnp.softmax, jax.nn.softmax, shapes=one(1), order=2),
    R("softmax[axis=0]", tnp.softmax, jax.nn.softmax, shapes=one(1), kwargs={"axis": 0}),
    R("softmax[axis=(0,-1)]", tnp.softmax, jax.nn.softmax, shapes=one(2), kwargs={"axis": (0, -1)}),
    R("log_softmax[axis=-1]", tnp.log_softmax, jax.nn.log_softmax, shapes=one(1), order=2),
    R(
        "log_softmax[axis=(0,-1)]",
        tnp.log_softmax,
        jax.nn.log_softmax,
        shapes=one(2),
        kwargs={"axis": (0, -1)},
    ),
    R("cumsum[axis=None]", tnp.cumsum, jnp.cumsum),
    R("cumsum[axis=0]", tnp.cumsum, jnp.cumsum, shapes=one(1), kwargs={"axis": 0}),
    R("cumsum[axis=-1]", tnp.cumsum, jnp.cumsum, shapes=one(2), kwargs={"axis": -1}),
    # index-valued and boolean reductions: no gradient
    R(
        "argmax[axis=None]",
        tnp.argmax,
        jnp.argmax,
        domain="distinct",
        numeric=False,
        keeps_dtype=False,
    ),
    R(
        "argmin[axis=-1,keepdims]",
        tnp.argmin,
        jnp.argmin,
        domain="distinct",
        shapes=one(1),
        kwargs={"axis": -1, "keepdims": True},
        numeric=False,
        keeps_dtype=False,
    ),
    R(
        "any[axis=None]",
        lambda x: tnp.any(x > 1),
        lambda x: jnp.any(x > 1),
        numeric=False,
        keeps_dtype=False,
    ),
    R(
        "all[axis=0,keepdims]",
        lambda x: tnp.all(x > -1, axis=0, keepdims=True),
        lambda x: jnp.all(x > -1, axis=0, keepdims=True),
        shapes=one(1),
        numeric=False,
        keeps_dtype=False,
    ),
]


# ---- shapes


def _reshape_target(d: Draw):
    """A new shape for ``reshape``: the drawn sizes permuted, some merged, one written -1."""
    shape = d.shape(1, 4)
    sizes = [shape[i] for i in d.permutation(len(shape))]
    merged = [sizes[0]]
    for n in sizes[1:]:
        if d.bool():
            merged[-1] *= n
        else:
            merged.append(n)
    merged[d.int(0, len(merged) - 1)] = -1
    return [shape], {"shape": tuple(merged)}


def _transpose_axes(d: Draw):
    shape = d.shape(0, 4)
    return [shape], {"axes": d.permutation(len(shape))}


def _broadcast_target(d: Draw):
    target = d.shape(0, 4, max_side=3)
    return [broadcast_like(d, target)], {"shape": target}


def _squeezable(d: Draw):
    shape = list(d.shape(0, 3))
    where = d.int(0, len(shape))
    shape.insert(where, 1)
    return [tuple(shape)], {"axis": where - len(shape) if d.bool() else where}


def _joinable(n: int, axis: int | None):
    """``n`` shapes equal except along ``axis``."""

    def draw(d):
        base = list(d.shape(1 if axis is None else 2, 3))
        shapes = []
        for _ in range(n):
            if axis is None:
                shapes.append(tuple(d.shape(0, 3)))
            else:
                base[axis] = d.int(1, 3)
                shapes.append(tuple(base))
        return shapes, {}

    return draw


def _split_sections(d: Draw):
    shape = list(d.shape(1, 3))
    sections = d.int(1, 3)
    shape[-1] = sections * d.int(1, 2)
    return [tuple(shape)], {"indices_or_sections": sections, "axis": -1}


def _split_indices(d: Draw):
    shape = d.shape(1, 3)
    cuts = sorted(d.int(0, shape[0]) for _ in range(d.int(1, 3)))
    return [shape], {"indices_or_sections": cuts, "axis": 0}


def _pad_widths(d: Draw):
    shape = d.shape(1, 3)  # jnp.pad rejects pad_width=() for a 0-D array
    widths = tuple((d.int(0, 2), d.int(0, 2)) for _ in shape)
    return [shape], {"pad_width": widths, "constant_values": d.choice([0.0, 1.5])}


def _concat(*xs, axis):
    return tnp.concatenate(xs, axis=axis)


def _jconcat(*xs, axis):
    return jnp.concatenate(xs, axis=axis)


def _stack(*xs, axis):
    return tnp.stack(xs, axis=axis)


def _jstack(*xs, axis):
    return jnp.stack(xs, axis=axis)


rows += [
    R("reshape[-1]", lambda x: tnp.reshape(x, -1), lambda x: jnp.reshape(x, -1)),
    R(
        "reshape[drawn, with -1]",
        lambda x, *, shape: tnp.reshape(x, shape),
        lambda x, *, shape: jnp.reshape(x, shape),
        shapes=_reshape_target,
    ),
    R("transpose[reversed]", tnp.transpose, jnp.transpose, shapes=one(0, 4)),
    R(
        "transpose[axes]",
        lambda x, *, axes: tnp.transpose(x, axes),
        lambda x, *, axes: jnp.transpose(x, axes),
        shapes=_transpose_axes,
    ),
    R(
        "swapaxes[0,-1]",
        lambda x: tnp.swapaxes(x, 0, -1),
        lambda x: jnp.swapaxes(x, 0, -1),
        shapes=one(1, 4),
    ),
    R(
        "moveaxis[0->-1]",
        lambda x: tnp.moveaxis(x, 0, -1),
        lambda x: jnp.moveaxis(x, 0, -1),
        shapes=one(1, 4),
    ),
    R(
        "moveaxis[(0,1)->(-1,0)]",
        lambda x: tnp.moveaxis(x, (0, 1), (-1, 0)),
        lambda x: jnp.moveaxis(x, (0, 1), (-1, 0)),
        shapes=one(2, 4),
    ),
    R(
        "broadcast_to",
        lambda x, *, shape: tnp.broadcast_to(x, shape),
        lambda x, *, shape: jnp.broadcast_to(x, shape),
        shapes=_broadcast_target,
    ),
    R("expand_dims[0]", tnp.expand_dims, jnp.expand_dims, kwargs={"axis": 0}),
    R("expand_dims[-1]", tnp.expand_dims, jnp.expand_dims, kwargs={"axis": -1}),
    R(
        "expand_dims[(0,2)]",
        tnp.expand_dims,
        jnp.expand_dims,
        shapes=one(1),
        kwargs={"axis": (0, 2)},
    ),
    R("squeeze[None]", tnp.squeeze, jnp.squeeze, shapes=one(0, 4, 1, 2)),
    R("squeeze[axis]", tnp.squeeze, jnp.squeeze, shapes=_squeezable),
    R(
        "take[axis=1]",
        lambda x: tnp.take(x, np.array([1, 0, 1]), axis=1),
        lambda x: jnp.take(x, np.array([1, 0, 1]), axis=1),
        shapes=one(2, 3, 2),
    ),
    R(
        "concatenate[axis=0]",
        _concat,
        _jconcat,
        arity=3,
        shapes=_joinable(3, 0),
        kwargs={"axis": 0},
    ),
    R(
        "concatenate[axis=-1]",
        _concat,
        _jconcat,
        arity=2,
        shapes=_joinable(2, -1),
        kwargs={"axis": -1},
    ),
    R(
        "concatenate[axis=None]",
        _concat,
        _jconcat,
        arity=2,
        shapes=_joinable(2, None),
        kwargs={"axis": None},
    ),
    R("stack[axis=0]", _stack, _jstack, arity=3, shapes=same(3), kwargs={"axis": 0}),
    R("stack[axis=-1]", _stack, _jstack, arity=2, shapes=same(2), kwargs={"axis": -1}),
    R("split[sections]", tnp.split, jnp.split, shapes=_split_sections),
    R("split[indices]", tnp.split, jnp.split, shapes=_split_indices),
    R("pad[drawn]", tnp.pad, jnp.pad, shapes=_pad_widths),
    R("pad[int]", tnp.pad, jnp.pad, shapes=one(1), kwargs={"pad_width": 1}),
    R("flip[axis=None]", tnp.flip, jnp.flip),
    R("flip[axis=0]", tnp.flip, jnp.flip, shapes=one(1), kwargs={"axis": 0}),
    R("flip[axis=(0,-1)]", tnp.flip, jnp.flip, shapes=one(2), kwargs={"axis": (0, -1)}),
]


# ---- indexing: the index is a static argument, drawn to fit the shape


def _slice(d: Draw, n: int) -> slice:
    start = d.choice([None, d.int(-n - 1, n + 1)])
    stop = d.choice([None, d.int(-n - 1, n + 1)])
    return slice(start, stop, d.choice([None, 1, 2, -1, -2, 3]))


def _ints(d: Draw, n: int, size) -> np.ndarray:
    """Index values in ``[-n, n)``, with a repeated index whenever there are two or more."""
    idx = d.rng.integers(-n, n, size)
    flat = idx.reshape(-1)
    if flat.size > 1:
        flat[-1] = flat[0] if flat[0] < 0 else flat[0] - n  # the same element, written negative
    return idx


def _index_basic(d):
    shape = d.shape(1, 3)
    return [shape], {"index": tuple(_slice(d, n) for n in shape[: d.int(1, len(shape))])}


def _index_mixed(d):
    shape = d.shape(2, 3, min_side=2)
    index = (d.int(-shape[0], shape[0] - 1), None, Ellipsis, _slice(d, shape[-1]))
    return [shape], {"index": index}


def _index_array(d):
    shape = d.shape(1, 3)
    return [shape], {"index": _ints(d, shape[0], d.int(2, 6))}


def _index_array_axis1(d):
    shape = d.shape(2, 3)
    return [shape], {"index": (slice(None), _ints(d, shape[1], d.int(2, 5)))}


def _index_array_2d(d):
    shape = d.shape(1, 3)
    return [shape], {"index": _ints(d, shape[0], (d.int(1, 3), d.int(2, 3)))}


def _index_two_arrays(d):
    shape = d.shape(2, 3)
    k = d.int(1, 4)
    i = _ints(d, shape[0], (k, 1) if d.bool() else k)  # (k, 1) broadcasts against (k,)
    return [shape], {"index": (i, _ints(d, shape[1], k))}


def _index_arrays_apart(d):
    shape = d.shape(3, 3)
    k = d.int(1, 4)
    return [shape], {"index": (_ints(d, shape[0], k), slice(None), _ints(d, shape[2], k))}


def _index_ellipsis_array(d):
    shape = d.shape(1, 3)
    return [shape], {"index": (Ellipsis, _ints(d, shape[-1], d.int(2, 4)), None)}


def _index_mask(d):
    shape = d.shape(1, 3)
    return [shape], {"index": d.rng.random(shape) < 0.5}


def _index_mask_axis1(d):
    shape = d.shape(2, 3)
    return [shape], {"index": (slice(None), d.rng.random(shape[1]) < 0.5)}


def _index_int(d):
    shape = d.shape(1, 3)
    return [shape], {"index": d.int(-shape[0], shape[0] - 1)}


def _scatter(draw_index):
    """The operand and a cotangent for ``x[index]``: the vjp of getitem is scatter_add."""

    def draw(d):
        (shape,), kw = draw_index(d)
        out_shape = np.empty(shape)[kw["index"]].shape
        return [shape, out_shape], kw

    return draw


def _getitem(x, *, index):
    return tnp.getitem(x, index)  # not x[index]: x is a NumPy array when called eagerly


def _jgetitem(x, *, index):
    return x[index]


def _getitem_vjp(x, g, *, index):
    return ag.vjp(lambda x: x[index], x)[1](g)[0]


def _jgetitem_vjp(x, g, *, index):
    return jax.vjp(lambda x: x[index], x)[1](g)[0]


INDEXING = [
    ("basic slices", _index_basic),
    ("int, None, ..., slice", _index_mixed),
    ("int", _index_int),
    ("int array, repeated", _index_array),
    ("slice, int array", _index_array_axis1),
    ("2-D int array", _index_array_2d),
    ("two int arrays", _index_two_arrays),
    ("int array, slice, int array", _index_arrays_apart),
    ("..., int array, None", _index_ellipsis_array),
    ("boolean mask", _index_mask),
    ("slice, boolean mask", _index_mask_axis1),
]
rows += [R(f"getitem[{what}]", _getitem, _jgetitem, shapes=draw) for what, draw in INDEXING]
rows += [
    R(
        f"scatter_add[vjp of getitem, {what}]",
        _getitem_vjp,
        _jgetitem_vjp,
        arity=2,
        shapes=_scatter(draw),
    )
    for what, draw in [
        ("int array, repeated", _index_array),
        ("two int arrays", _index_two_arrays),
        ("basic slices", _index_basic),
    ]
]


# ---- contractions


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

# ---- casts and stop_gradient
rows += [
    R(
        "astype[float32]",
        lambda x: tnp.astype(x, np.float32),
        lambda x: x.astype(jnp.float32),
        keeps_dtype=False,
        numeric=False,  # float32 outputs are too coarse for central differences at eps=1e-6
    ),
    R(
        "astype[float64]",
        lambda x: tnp.astype(x, np.float64),
        lambda x: x.astype(jnp.float64),
        keeps_dtype=False,
    ),
    # zero gradient, like JAX (so no central differences)
    R("stop_gradient", tnp.stop_gradient, jax.lax.stop_gradient, numeric=False),
    R(
        "stop_gradient[x * sg(x)]",
        lambda x: x * ag.stop_gradient(x),
        lambda x: x * jax.lax.stop_gradient(x),
        numeric=False,
    ),
]

# ---- convolution and pooling (trace_ag.lax; NCHW images, OIHW weights)


def _window_geometry(d: Draw, conv: bool) -> dict:
    """A window that fits: kernel, stride, padding (less than the kernel for pooling, so that
    no window is all padding) and, for convolutions, dilation."""
    kernel = (d.int(1, 3), d.int(1, 3))
    dilation = (d.int(1, 2), d.int(1, 2)) if conv else (1, 1)
    padding = tuple((d.int(0, k - 1), d.int(0, k - 1)) for k in kernel)
    return {
        "kernel": kernel,
        "stride": (d.int(1, 2), d.int(1, 2)),
        "padding": padding,
        "dilation": dilation,
        "image": (
            d.int(1, 2),
            d.int(1, 2),
            d.int(dilation[0] * (kernel[0] - 1) + 1, 5),
            d.int(dilation[1] * (kernel[1] - 1) + 1, 5),
        ),
    }


def _conv_shapes(d):
    g = _window_geometry(d, conv=True)
    n, c, h, w = g.pop("image")
    o = d.int(1, 2)
    return [(n, c, h, w), (o, c, *g.pop("kernel")), (o,)], g


def _conv(x, w, b, *, stride, padding, dilation):
    return ag.lax.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)


def _jconv(x, w, b, *, stride, padding, dilation):
    out = jax.lax.conv_general_dilated(
        x, w, stride, padding, rhs_dilation=dilation, precision=jax.lax.Precision.HIGHEST
    )
    return out + b[None, :, None, None]


def _window_shapes(conv: bool, with_cotangent: bool = False, fn: Callable | None = None):
    """An image and the window's parameters; with ``with_cotangent``, also a cotangent shaped
    like ``fn``'s output (for rows that are the vjp of a windowed op)."""

    def draw(d):
        g = _window_geometry(d, conv)
        image = g.pop("image")
        if not conv:
            g = {"window": g.pop("kernel"), "stride": g["stride"], "padding": g["padding"]}
        shapes = [image]
        if with_cotangent:
            shapes.append(np.shape(fn(np.zeros(image), **g)))
        return shapes, g

    return draw


def _im2col(x, *, kernel, stride, padding, dilation):
    return ag.lax.im2col(x, kernel, stride=stride, padding=padding, dilation=dilation)


def _jim2col(x, *, kernel, stride, padding, dilation):
    patches = jax.lax.conv_general_dilated_patches(
        x, kernel, stride, padding, rhs_dilation=dilation, precision=jax.lax.Precision.HIGHEST
    )  # (N, C*KH*KW, OH, OW)
    n, _, oh, ow = patches.shape
    patches = patches.reshape(n, x.shape[1], *kernel, oh * ow)
    return jnp.moveaxis(patches, -1, 1)  # (N, OH*OW, C, KH, KW)


def _max_pool(x, *, window, stride, padding):
    return ag.lax.max_pool2d(x, window, stride=stride, padding=padding)


def _jmax_pool(x, *, window, stride, padding):
    pads = ((0, 0), (0, 0), *padding)
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, *window), (1, 1, *stride), pads)


def _avg_pool(x, *, window, stride, padding):
    return ag.lax.avg_pool2d(x, window, stride=stride, padding=padding)


def _javg_pool(x, *, window, stride, padding):
    pads = ((0, 0), (0, 0), *padding)
    total = jax.lax.reduce_window(x, 0.0, jax.lax.add, (1, 1, *window), (1, 1, *stride), pads)
    return total / (window[0] * window[1])


def _vjp_of(fn: Callable, jax_fn: Callable) -> tuple[Callable, Callable]:
    """``(x, g) -> vjp of fn at x applied to g``, in trace_ag and in JAX: a row whose forward
    pass is the transpose primitive (col2im, max_pool2d_scatter, avg_pool2d_transpose)."""

    def ours(x, g, **kw):
        return ag.vjp(lambda x: fn(x, **kw), x)[1](g)[0]

    def theirs(x, g, **kw):
        return jax.vjp(lambda x: jax_fn(x, **kw), x)[1](g)[0]

    return ours, theirs


def _max_pool_jvp(x, t, **kw):
    return ag.jvp(lambda x: _max_pool(x, **kw), (x,), (t,))[1]


def _jmax_pool_jvp(x, t, **kw):
    return jax.jvp(lambda x: _jmax_pool(x, **kw), (x,), (t,))[1]


def _same_image_twice(d):
    (image,), kw = _window_shapes(conv=False)(d)
    return [image, image], kw


rows += [
    R("conv2d", _conv, _jconv, arity=3, shapes=_conv_shapes),
    R("im2col", _im2col, _jim2col, shapes=_window_shapes(conv=True)),
    R(
        "col2im[vjp of im2col]",
        *_vjp_of(_im2col, _jim2col),
        arity=2,
        shapes=_window_shapes(conv=True, with_cotangent=True, fn=_im2col),
    ),
    R("max_pool2d", _max_pool, _jmax_pool, domain="distinct", shapes=_window_shapes(False)),
    R(
        "max_pool2d_scatter[vjp of max_pool2d]",
        *_vjp_of(_max_pool, _jmax_pool),
        arity=2,
        domain="distinct",
        shapes=_window_shapes(False, with_cotangent=True, fn=_max_pool),
    ),
    R(
        "max_pool2d_gather[jvp of max_pool2d]",
        _max_pool_jvp,
        _jmax_pool_jvp,
        arity=2,
        domain="distinct",
        shapes=_same_image_twice,
    ),
    R("avg_pool2d", _avg_pool, _javg_pool, shapes=_window_shapes(conv=False)),
    R(
        "avg_pool2d_transpose[vjp of avg_pool2d]",
        *_vjp_of(_avg_pool, _javg_pool),
        arity=2,
        shapes=_window_shapes(False, with_cotangent=True, fn=_avg_pool),
    ),
]


# ---- control flow, custom derivatives, checkpoint (JAX's interfaces on both sides)


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


# ---- bit primitives (trace_ag.random's threefry): integer operands made from the floats
def _u32(np_like):
    return lambda x: np_like.astype(x * 1000, np_like.uint32)


def _bit_rows():
    u, ju = _u32(tnp), _u32(jnp)
    i32 = lambda x: tnp.astype(x * 1000 - 1500, tnp.int32)  # noqa: E731  (negatives too)
    ji32 = lambda x: (x * 1000 - 1500).astype(jnp.int32)  # noqa: E731
    bits_of = lambda x: np.dtype(f"u{x.dtype.itemsize}")  # noqa: E731
    binary = [("bitwise_and", "&"), ("bitwise_or", "|"), ("bitwise_xor", "^")]
    common = {"numeric": False, "keeps_dtype": False}
    return [
        *(
            R(
                f"{name}[uint32]",
                lambda x, y, n=name: getattr(tnp, n)(u(x), u(y)),
                lambda x, y, n=name: getattr(jnp, n)(ju(x), ju(y)),
                arity=2,
                domain="positive",
                shapes=broadcasting(),
                **common,
            )
            for name, _ in binary
        ),
        R("invert[uint32]", lambda x: ~u(x), lambda x: ~ju(x), domain="positive", **common),
        R(
            "left_shift[uint32 << 3]",
            lambda x: u(x) << np.uint32(3),
            lambda x: ju(x) << np.uint32(3),
            domain="positive",
            **common,
        ),
        R(
            "right_shift[uint32 >> 2]",
            lambda x: u(x) >> np.uint32(2),
            lambda x: ju(x) >> np.uint32(2),
            domain="positive",
            **common,
        ),
        R(
            "right_shift[int32 >> 2]",
            lambda x: i32(x) >> np.int32(2),
            lambda x: ji32(x) >> np.int32(2),
            domain="positive",
            **common,
        ),
        R(
            "bitcast_convert_type[float -> uint]",
            lambda x: tnp.bitcast_convert_type(x, bits_of(x)),
            lambda x: jax.lax.bitcast_convert_type(x, bits_of(x)),
            **common,
        ),
        R(
            "argsort[axis=-1]",
            lambda x: tnp.argsort(x, axis=-1),
            lambda x: jnp.argsort(x, axis=-1, stable=True),
            domain="distinct",
            shapes=one(1),
            **common,
        ),
    ]


rows += _bit_rows()


# ---- linear algebra (tnp.linalg): inputs made well conditioned inside the row's function;
# eigen- and singular vectors enter only through sign-invariant functions of them
def _linalg_rows():
    from trace_ag.primitives import linalg_decomp as ld

    def spd(xp, a):
        return a @ xp.swapaxes(a, -1, -2) + a.shape[-1] * xp.eye(a.shape[-1], dtype=a.dtype)

    def shifted(xp, a):
        return a + 3 * xp.eye(a.shape[-1], dtype=a.dtype)

    def spread(xp, a):
        """Near a rectangular diagonal 1, 3, 5, ...: distinct, well-separated eigen/singular
        values and vectors whose largest entries are clear."""
        m, n = a.shape[-2:]
        return 0.1 * a + xp.eye(m, n, dtype=a.dtype) * (2 * xp.arange(n, dtype=a.dtype) + 1)

    def sym_spread(xp, a):
        return spread(xp, (a + xp.swapaxes(a, -1, -2)) / 2)

    def eigh(L, xp):
        return lambda a: (lambda w, v: (w, v**2))(*L.eigh(sym_spread(xp, a)))

    def svd(L, xp):
        return lambda a: (lambda u, s, vh: (u**2, s, vh**2, u[..., :, :1] * vh[..., :1, :]))(
            *L.svd(spread(xp, a), full_matrices=False)
        )

    def tri(lower, transpose):
        def fn(a, b):
            a = shifted(tnp, a)
            return ld.triangular_solve.bind(a, b, lower=lower, transpose_a=transpose)

        def ref(a, b):
            a = shifted(jnp, a)
            return jax.lax.linalg.triangular_solve(
                a, b, left_side=True, lower=lower, transpose_a=transpose
            )

        return fn, ref

    def tall(d):
        n = d.int(1, 3)
        return [(d.int(1, 2), d.int(n, 4), n)], {}

    L, jL = tnp.linalg, jnp.linalg
    sq = fixed("bnn")
    both = {"f32_rtol": 1e-3}
    return [
        R(
            "linalg.solve",
            lambda a, b: L.solve(shifted(tnp, a), b),
            lambda a, b: jL.solve(shifted(jnp, a), b),
            arity=2,
            shapes=fixed("bnn", "bnk"),
        ),
        R(
            "linalg.inv",
            lambda a: L.inv(shifted(tnp, a)),
            lambda a: jL.inv(shifted(jnp, a)),
            shapes=sq,
            order=2,
        ),
        R(
            "linalg.slogdet",
            lambda a: tuple(L.slogdet(spd(tnp, a))),
            lambda a: tuple(jL.slogdet(spd(jnp, a))),
            shapes=sq,
        ),
        R(
            "linalg.det",
            lambda a: L.det(shifted(tnp, a)),
            lambda a: jL.det(shifted(jnp, a)),
            shapes=sq,
            order=2,
        ),
        R(
            "linalg.triangular_solve[lower]",
            *tri(True, False),
            arity=2,
            shapes=fixed("bnn", "bnk"),
            order=2,
        ),
        R(
            "linalg.triangular_solve[upper, transposed]",
            *tri(False, True),
            arity=2,
            shapes=fixed("bnn", "bnk"),
        ),
        R(
            "linalg.cholesky",
            lambda a: L.cholesky(spd(tnp, a)),
            lambda a: jL.cholesky(spd(jnp, a)),
            shapes=sq,
            order=2,
            **both,
        ),
        R("linalg.eigh", eigh(L, tnp), eigh(jL, jnp), shapes=sq, order=2, **both),
        R(
            "linalg.eigvalsh",
            lambda a: L.eigvalsh(sym_spread(tnp, a)),
            lambda a: jL.eigvalsh(sym_spread(jnp, a)),
            shapes=sq,
            **both,
        ),
        R("linalg.svd", svd(L, tnp), svd(jL, jnp), shapes=fixed("bmn"), order=2, **both),
        R(
            "linalg.svd[compute_uv=False]",
            lambda a: L.svd(spread(tnp, a), compute_uv=False),
            lambda a: jL.svd(spread(jnp, a), compute_uv=False),
            shapes=fixed("bmn"),
            **both,
        ),
        R(
            "linalg.qr",
            lambda a: tuple(L.qr(spread(tnp, a))),
            lambda a: tuple(jL.qr(spread(jnp, a))),
            shapes=tall,
            order=2,
            **both,
        ),
        R(
            "linalg.pinv",
            lambda a: L.pinv(spread(tnp, a)),
            lambda a: jL.pinv(spread(jnp, a)),
            shapes=fixed("bmn"),
            **both,
        ),
        R(
            "linalg.eigvals[real, imaginary parts]",
            lambda a: ld.eig.bind(spread(tnp, a), compute_v=False),
            lambda a: (lambda w: (jnp.real(w), jnp.imag(w)))(jL.eigvals(spread(jnp, a))),
            shapes=sq,
            reverse=False,
            numeric=False,
        ),
    ]


rows += _linalg_rows()


# ---- complex parts: real inputs made complex inside, so the row's inputs and output are real
def _complex_parts(np_like):
    def f(x, y):
        z = x + 1j * y
        return np_like.real(np_like.conj(z) * np_like.exp(z)) + np_like.imag(z * z) * np_like.abs(z)

    return f


rows += [
    R(
        "real/imag/conj",
        _complex_parts(tnp),
        _complex_parts(jnp),
        arity=2,
        shapes=same(2),
        order=2,
    )
]

SPECS: list[Spec] = rows
NUMERIC_SPECS = [s for s in SPECS if s.numeric]
SECOND_ORDER_SPECS = [s for s in SPECS if s.order > 1]


def test_spec_names_are_unique():
    names = [s.name for s in SPECS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


# ---------------------------------------------------------------- comparing with JAX


def leaves(x: Any) -> list:
    """The arrays of an output: a list or tuple of arrays (split, scan), or one array."""
    return list(x) if isinstance(x, (list, tuple)) else [x]


def is_float(x: Any) -> bool:
    """Float or complex: compared within a tolerance (XLA and NumPy may round differently)."""
    return np.issubdtype(getattr(x, "dtype", None) or np.asarray(x).dtype, np.inexact)


def assert_matches(ours: Any, ref: Any, rtol: float, what: str) -> None:
    """Same structure, shapes and dtypes; float values within ``rtol`` (relative to the largest
    reference value, so that cancellations do not count), others equal."""
    ours_leaves, ref_leaves = leaves(ours), leaves(ref)
    assert len(ours_leaves) == len(ref_leaves), f"{what}: {len(ours_leaves)} != {len(ref_leaves)}"
    for i, (a, b) in enumerate(zip(ours_leaves, ref_leaves, strict=True)):
        a, b = np.asarray(a), np.asarray(b)
        where = f"{what} [{i}]"
        assert a.shape == b.shape, f"{where}: shape {a.shape}, jax's {b.shape}"
        assert a.dtype == b.dtype, f"{where}: dtype {a.dtype}, jax's {b.dtype}"
        if not is_float(b):
            np.testing.assert_array_equal(a, b, err_msg=where)
            continue
        finite = np.abs(b[np.isfinite(b)])
        scale = float(finite.max()) if finite.size else 0.0
        np.testing.assert_allclose(
            a, b, rtol=rtol, atol=rtol * scale, equal_nan=True, err_msg=where
        )


def _frozen(x: Any) -> Any:
    """A hashable stand-in for static arguments (index arrays, slices, lists)."""
    if isinstance(x, np.ndarray):
        return ("array", x.dtype.str, x.shape, x.tobytes())
    if isinstance(x, slice):
        return ("slice", x.start, x.stop, x.step)
    if isinstance(x, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in x.items()))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, *map(_frozen, x))
    return x


_JAX_VJPS: dict = {}


def jax_value_and_vjp(spec: Spec, kwargs: dict) -> Callable:
    """``jit(args, float_cts -> (out, input cotangents))`` for the row's JAX counterpart.

    Non-float outputs get ``float0`` cotangents, as JAX requires. The whole vjp is compiled as
    one program (op-by-op dispatch would compile every primitive for every new shape), and
    cached per row and static arguments, so repeated shapes compile once.
    """
    key = (spec.name, _frozen(kwargs))
    if key not in _JAX_VJPS:
        ref = spec.bind(kwargs)[1]

        def value_and_vjp(args, float_cts):
            if not spec.reverse:
                return ref(*args), None
            out, vjp_fn = jax.vjp(ref, *args)
            out_leaves, tree = jax.tree_util.tree_flatten(out)
            given = iter(float_cts)
            cts = [
                next(given) if is_float(o) else np.zeros(o.shape, jax.dtypes.float0)
                for o in out_leaves
            ]
            return out, vjp_fn(jax.tree_util.tree_unflatten(tree, cts))

        _JAX_VJPS[key] = jax.jit(value_and_vjp, compiler_options=FAST_COMPILE)
    return _JAX_VJPS[key]


def check_against_jax(spec: Spec, args: list, kwargs: dict, rtol: float, grad_rtol: float):
    """Forward values (eager and under vjp) and the vjp for a random cotangent, against JAX."""
    f, ref = spec.bind(kwargs)
    eager = f(*args)
    out, vjp_fn = ag.vjp(f, *args)
    rng = np.random.default_rng(len(args))
    ct = [
        rng.standard_normal(np.shape(o)).astype(np.asarray(o).dtype)
        if is_float(o)
        else np.zeros(np.shape(o), np.asarray(o).dtype)
        for o in leaves(out)
    ]
    try:
        jax_out, jax_grads = jax_value_and_vjp(spec, kwargs)(args, [c for c in ct if is_float(c)])
    except Exception:
        # Most likely our outputs' shapes or dtypes (hence the cotangents') are not JAX's.
        expected = [(o.shape, o.dtype) for o in leaves(jax.eval_shape(ref, *args))]
        ours = [(np.shape(o), np.asarray(o).dtype) for o in leaves(eager)]
        assert ours == expected, f"{spec.name}: outputs {ours}, jax's {expected}"
        raise
    assert_matches(eager, jax_out, rtol, f"{spec.name}: eager value")
    assert_matches(out, jax_out, rtol, f"{spec.name}: value under vjp")
    ct = type(out)(ct) if isinstance(out, (list, tuple)) else ct[0]
    if not spec.reverse:
        with pytest.raises(ag.TraceAgError, match="not reverse-mode differentiable"):
            vjp_fn(ct)
        return out, []
    grads = vjp_fn(ct)
    assert_matches(grads, jax_grads, grad_rtol, f"{spec.name}: vjp")
    return out, grads


# ---------------------------------------------------------------- the tests, one per row

by_name = pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)


@by_name
@SETTINGS
@given(data=st.data())
def test_value_and_vjp_match_jax(spec: Spec, data):
    """(a) float64 values, shapes and dtypes equal JAX's; (b) so does the vjp of a random
    cotangent."""
    args, kwargs = spec.draw(Draw(data))
    check_against_jax(spec, args, kwargs, spec.rtol, spec.grad_rtol)


@pytest.mark.parametrize("spec", NUMERIC_SPECS, ids=lambda s: s.name)
@SETTINGS
@given(data=st.data())
def test_check_grads(spec: Spec, data):
    """(c) The vjp agrees with central differences."""
    args, kwargs = spec.draw(Draw(data))
    ag.check_grads(spec.bind(kwargs)[0], args, order=1)


@pytest.mark.parametrize("spec", SECOND_ORDER_SPECS, ids=lambda s: s.name)
@FEW
@given(data=st.data())
def test_check_grads_second_order(spec: Spec, data):
    """(c) For smooth rows, the vjp of the vjp agrees with central differences too."""
    args, kwargs = spec.draw(Draw(data))
    ag.check_grads(spec.bind(kwargs)[0], args, order=2)


@by_name
@FEW
@given(data=st.data())
def test_float32_matches_jax(spec: Spec, data):
    """(d) In float32 the results stay float32 and match JAX's float32 results."""
    args, kwargs = spec.draw(Draw(data), np.float32)
    out, grads = check_against_jax(spec, args, kwargs, spec.f32_rtol / 10, spec.f32_rtol)
    if spec.keeps_dtype:
        assert all(np.asarray(o).dtype == np.float32 for o in leaves(out))
    assert all(np.asarray(g).dtype == np.float32 for g in leaves(grads))


# ---------------------------------------------------------------- shape rules and lowerings


def eval_graph(graph: Graph, args: list) -> dict[Var, Any]:
    """Run ``graph`` with each primitive's NumPy impl; every variable's value."""
    env: dict[Var, Any] = dict(zip(graph.invars, args, strict=True))
    env.update(zip(graph.constvars, graph.constvals, strict=True))
    for eqn in graph.eqns:
        out = eqn.primitive.impl(*[read(env, a) for a in eqn.inputs], **eqn.params)
        env.update(zip(eqn.outputs, out if isinstance(out, tuple) else (out,), strict=True))
    return env


def read(env: dict, atom: Var | Lit) -> Any:
    return atom.value if isinstance(atom, Lit) else env[atom]


def trace(spec: Spec, d: Draw, dtype=np.float64) -> tuple[Callable, list, Graph]:
    args, kwargs = spec.draw(d, dtype)
    f = spec.bind(kwargs)[0]
    return f, args, ag.make_ir(f)(*args)


@by_name
@SETTINGS
@given(data=st.data())
def test_shape_rules_match_eager_values(spec: Spec, data):
    """The avals of abstract tracing (each primitive's abstract_eval) are the shapes and dtypes
    of the eagerly computed values: for the outputs, and for every equation."""
    d = Draw(data)
    f, args, graph = trace(spec, d, d.choice([np.float64, np.float32]))
    eager = leaves(f(*args))
    assert [(o.aval.shape, o.aval.dtype) for o in graph.outvars] == [
        (np.shape(e), np.asarray(e).dtype) for e in eager
    ]
    env = eval_graph(graph, args)
    for eqn in graph.eqns:
        for var in eqn.outputs:
            value = np.asarray(env[var])
            assert (value.shape, value.dtype) == (var.aval.shape, var.aval.dtype), (
                f"{eqn.primitive.name}{eqn.params}: abstract_eval gives {var.aval}, "
                f"impl gives {value.dtype}{list(value.shape)}"
            )


def eval_graph_with_lowerings(graph: Graph) -> Callable:
    """``jit(args, constants -> (each equation's outputs, the graph's outputs))``, the graph
    evaluated with every primitive's JAX lowering in place of its impl (one compiled program)."""

    def run(args: list, consts: list) -> tuple[list, list]:
        env: dict[Var, Any] = dict(zip(graph.invars, args, strict=True))
        env.update(zip(graph.constvars, consts, strict=True))
        per_eqn = []
        for eqn in graph.eqns:
            out = eqn.primitive.jax(*[read(env, a) for a in eqn.inputs], **eqn.params)
            out = list(out) if isinstance(out, tuple) else [out]
            env.update(zip(eqn.outputs, out, strict=True))
            per_eqn.append(out)
        return per_eqn, [read(env, v) for v in graph.outvars]

    return jax.jit(run, compiler_options=FAST_COMPILE)


@by_name
@LOWERING
@given(data=st.data())
def test_jax_lowerings_match_impls(spec: Spec, data):
    """The graph evaluated with the JAX lowerings gives what it gives with the NumPy impls:
    equation by equation (the first mismatch names the primitive) and at the outputs."""
    d = Draw(data)
    dtype = d.choice([np.float64, np.float32])
    _, args, graph = trace(spec, d, dtype)
    env = eval_graph(graph, args)
    per_eqn, outs = eval_graph_with_lowerings(graph)(args, graph.constvals)
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    for eqn, lowered in zip(graph.eqns, per_eqn, strict=True):
        expected = [env[v] for v in eqn.outputs]
        assert_matches(lowered, expected, rtol, f"{eqn.primitive.name}{eqn.params} lowering")
    assert_matches(outs, [read(env, v) for v in graph.outvars], rtol, "outputs")


# ---------------------------------------------------------------- the registry


def primitives_of(spec: Spec, seeds=range(4)) -> set[str]:
    """The primitives a row's function records under ``make_ir``, over a few draws."""
    names = set()
    for seed in seeds:
        _, _, graph = trace(spec, Draw(seed=seed))
        names.update(eqn.primitive.name for eqn in graph.eqns)
    return names


def test_every_primitive_is_exercised_by_a_spec_row():
    from test_registry import library_primitives

    covered = set().union(*(primitives_of(spec) for spec in SPECS))
    missing = library_primitives() - covered
    assert not missing, f"no spec row uses {sorted(missing)}"


# ---------------------------------------------------------------- unbroadcasting

UNBROADCAST_OPS = [
    (tnp.multiply, jnp.multiply, "real"),
    (tnp.add, jnp.add, "real"),
    (tnp.subtract, jnp.subtract, "real"),
    (tnp.divide, jnp.divide, "nonzero"),
    (tnp.maximum, jnp.maximum, "real"),
    (tnp.arctan2, jnp.arctan2, "nonzero"),
    (tnp.power, jnp.power, "positive"),
]


@pytest.mark.parametrize(
    "op, jop, domain", UNBROADCAST_OPS, ids=lambda x: getattr(x, "__name__", x)
)
def test_unbroadcast_lecture_example(op, jop, domain, rng):
    """X1 of shape (2, 3, 1, 5, 6) with X2 of shape (4, 1, 6): the product has shape
    (2, 3, 4, 5, 6); each gradient sums the cotangent back down to its input's shape."""
    x1 = DOMAINS[domain](rng, (2, 3, 1, 5, 6))
    x2 = DOMAINS[domain](rng, (4, 1, 6))
    w = rng.standard_normal((2, 3, 4, 5, 6))
    assert np.shape(op(x1, x2)) == w.shape
    loss = lambda a, b: tnp.sum(op(a, b) * w)
    g1, g2 = ag.grad(loss, argnums=(0, 1))(x1, x2)
    assert g1.shape == x1.shape and g2.shape == x2.shape
    j1, j2 = jax.grad(lambda a, b: jnp.sum(jop(a, b) * w), argnums=(0, 1))(x1, x2)
    assert_matches([g1, g2], [j1, j2], 1e-10, "grads")


# ---------------------------------------------------------------- special points


SPECIAL_POINTS = [
    # name, tnp function, jax function, arguments: ties (where JAX shares the cotangent
    # equally), zeros of prod, infinities of the stable log-sum-exp family
    ("maximum ties", tnp.maximum, jnp.maximum, ([1.0, 2.0, 3.0], [1.0, 0.0, 3.0])),
    ("minimum ties", tnp.minimum, jnp.minimum, ([1.0, 2.0, 3.0], [1.0, 0.0, 3.0])),
    (
        "max ties",
        lambda x: tnp.max(x, axis=1),
        lambda x: jnp.max(x, axis=1),
        ([[1, 3, 3.0], [2, 2, 2]],),
    ),
    ("min ties", lambda x: tnp.min(x), lambda x: jnp.min(x), ([[1, 3, 1.0], [2, 1, 2]],)),
    (
        "clip at bounds",
        lambda x: tnp.clip(x, 0.0, 1.0),
        lambda x: jnp.clip(x, 0.0, 1.0),
        ([0.0, 0.5, 1.0],),
    ),
    ("relu at 0", tnp.relu, jax.nn.relu, ([0.0, -1.0, 1.0],)),
    (
        "prod with zeros",
        lambda x: tnp.prod(x, axis=1),
        lambda x: jnp.prod(x, axis=1),
        ([[0.0, 2.0, 3.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0]],),
    ),
    ("logsumexp with -inf", tnp.logsumexp, jsp.logsumexp, ([-np.inf, 0.0, 1.0],)),
    ("logsumexp of 1e4", tnp.logsumexp, jsp.logsumexp, ([1e4, 0.0],)),
    ("softmax with -inf", tnp.softmax, jax.nn.softmax, ([-np.inf, 0.0, 1.0],)),
    ("log_softmax with -inf", tnp.log_softmax, jax.nn.log_softmax, ([-np.inf, 0.0, 1.0],)),
    ("sigmoid saturated", tnp.sigmoid, jax.nn.sigmoid, ([-800.0, 800.0, 0.0],)),
]


@pytest.mark.parametrize("name, f, ref, args", SPECIAL_POINTS, ids=[t[0] for t in SPECIAL_POINTS])
def test_special_points_match_jax(name, f, ref, args):
    """Where the derivative is a convention or needs care, trace_ag gives JAX's."""
    args = [np.asarray(a, np.float64) for a in args]
    spec = Spec(f"special point: {name}", f, ref, arity=len(args))
    check_against_jax(spec, args, {}, 1e-12, 1e-12)
