"""Every trace_ag.numpy operation against JAX as the oracle, driven by one table.

Each row of ``SPECS`` (gathered from ``tests/spec_rows/``, one module per family; the oracle
machinery is ``tests/oracle.py``) names a ``trace_ag.numpy`` callable, its JAX counterpart,
its arity, the domain its values are drawn from, how its shapes and static arguments are
drawn, and its tolerances. For every row, with shapes drawn by hypothesis:

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
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import (
    DOMAINS,
    FAST_COMPILE,
    FEW,
    LOWERING,
    SETTINGS,
    Draw,
    Spec,
    assert_matches,
    check_against_jax,
    leaves,
)
from spec_rows import SPECS

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag.core import Graph, Lit, Var

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jsp = pytest.importorskip("jax.scipy.special")

NUMERIC_SPECS = [s for s in SPECS if s.numeric]
SECOND_ORDER_SPECS = [s for s in SPECS if s.order > 1]


def test_jax_computes_in_float64():
    assert jax.config.jax_enable_x64, "conftest.py must enable jax_enable_x64 before JAX is used"
    assert jnp.asarray(1.0).dtype == jnp.float64


def test_spec_names_are_unique():
    names = [s.name for s in SPECS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


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


@pytest.mark.slow  # a second JAX compile per row (~0.75 s each): CI's slow step runs it
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


@pytest.mark.slow  # an XLA compile per row (~0.5 s each): CI's slow step runs it
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
