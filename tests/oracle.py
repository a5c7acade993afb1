"""The JAX oracle for the primitive spec table: drawing shapes and values, the ``Spec`` row,
and the comparisons with JAX that ``test_primitives_vs_jax.py`` runs for every row.

The rows themselves live in ``tests/spec_rows/``, one module per family of primitives.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import trace_ag as ag

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


def assert_trees_match(ours: Any, ref: Any, rtol: float, what: str) -> None:
    """``assert_matches`` over every leaf of two pytrees (tuples of decompositions, ...)."""
    assert_matches(jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(ref), rtol, what)


def random_like(rng: np.random.Generator, x: Any) -> np.ndarray:
    """A random cotangent or tangent of ``x``'s shape and dtype (complex ones with an imaginary
    part)."""
    out = rng.standard_normal(np.shape(x))
    if np.iscomplexobj(x):
        out = out + 1j * rng.standard_normal(np.shape(x))
    return out.astype(np.asarray(x).dtype)


def jax_value_vjp_jvp(ref: Callable, args: list, ct: Any, tangents: list) -> tuple:
    """JAX's value, vjp of ``ct`` and jvp of ``tangents`` for ``ref(*args)``, in one jit."""

    @jax.jit
    def run(args, ct, tangents):
        out, vjp_fn = jax.vjp(ref, *args)
        return out, vjp_fn(ct), jax.jvp(ref, args, tangents)[1]

    return run(args, ct, tangents)


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
