"""trace_ag.example_libraries against jax.example_libraries (x64): stax networks initialized
from the same key get JAX's parameters and give JAX's outputs and gradients (dense, conv NHWC
SAME/VALID, pooling, dropout, fan-out/fan-in, parallel); optimizers take JAX's steps, eagerly
and under ag.jit; l2_norm and clip_grads."""

from __future__ import annotations

import numpy as np
import pytest

import trace_ag as ag
from trace_ag import random as rnd
from trace_ag import tree_util as tu
from trace_ag.example_libraries import optimizers, stax

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jstax = pytest.importorskip("jax.example_libraries.stax")
jopt = pytest.importorskip("jax.example_libraries.optimizers")


def close(ours, ref, rtol=1e-11, atol=1e-13):
    ours_leaves, ref_leaves = tu.tree_leaves(ours), jax.tree.leaves(ref)
    assert len(ours_leaves) == len(ref_leaves)
    for a, b in zip(ours_leaves, ref_leaves, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def build(make):
    """The same network in both libraries: ``make(lib)`` with lib stax or JAX's stax."""
    return make(stax), make(jstax)


NETWORKS = {
    "mlp": (lambda s: s.serial(s.Dense(8), s.Relu, s.Dense(4), s.Tanh, s.Dense(3), s.LogSoftmax),
            (5, 6)),
    "conv_same": (lambda s: s.serial(s.Conv(4, (3, 3), padding="SAME"), s.Relu,
                                     s.Conv(3, (2, 2), strides=(2, 2)), s.Flatten, s.Dense(2),
                                     s.Softmax), (2, 6, 6, 3)),
    "pools": (lambda s: s.serial(s.Conv(2, (3, 3), padding="SAME"),
                                 s.FanOut(3),
                                 s.parallel(s.MaxPool((2, 2), strides=(2, 2)),
                                            s.AvgPool((3, 3), strides=(2, 2), padding="SAME"),
                                            s.SumPool((2, 2), strides=(2, 2))),
                                 s.FanInConcat(-1), s.Flatten, s.Dense(3)), (2, 6, 6, 2)),
    "residual": (lambda s: s.serial(s.Dense(4), s.FanOut(2), s.parallel(s.Dense(4), s.Identity),
                                    s.FanInSum, s.Elu, s.Dense(2), s.Sigmoid), (3, 5)),
}  # fmt: skip


@pytest.mark.parametrize("name", NETWORKS)
def test_stax_networks_match_jax(name, rng):
    make, in_shape = NETWORKS[name]
    (init, apply), (jinit, japply) = build(make)
    key = 11
    # a -1 batch size, except through JAX's pooling shape rule (which turns -1 into 0)
    init_shape = in_shape if name == "pools" else (-1, *in_shape[1:])
    out_shape, params = init(rnd.PRNGKey(key), init_shape)
    shapes = []

    def jinit_params(k):
        shape, p = jinit(k, init_shape)
        shapes.append(shape)
        return p

    # JAX jitted: one compile per function, not one per op (JAX's eager compiles dominate)
    jparams = jax.jit(jinit_params)(jax.random.PRNGKey(key))
    jout_shape = shapes[0]
    japply = jax.jit(japply)
    assert tuple(out_shape) == tuple(jout_shape)
    assert tu.tree_structure(params).num_leaves == len(jax.tree.leaves(jparams))
    close(params, jparams, rtol=1e-13, atol=1e-15)
    x = rng.normal(size=in_shape)
    close(apply(params, x), japply(jparams, x))

    def loss(p, v):
        return ag.numpy.sum(apply(p, v) ** 2)

    def jloss(p, v):
        return jnp.sum(japply(p, v) ** 2)

    close(ag.grad(loss)(params, x), jax.jit(jax.grad(jloss))(jparams, x), rtol=1e-9, atol=1e-12)
    close(ag.jit(apply)(params, x), japply(jparams, x))


def test_conv_valid_and_explicit_padding(rng):
    for kw in [dict(padding="VALID", strides=(2, 1)), dict(padding=[(1, 0), (2, 1)])]:
        (init, apply), (jinit, japply) = build(lambda s, kw=kw: s.Conv(3, (3, 2), **kw))
        shape, params = init(rnd.PRNGKey(0), (2, 7, 6, 2))
        jshape, jparams = jinit(jax.random.PRNGKey(0), (2, 7, 6, 2))
        assert tuple(shape) == tuple(jshape)
        x = rng.normal(size=(2, 7, 6, 2))
        close(params, jparams, rtol=1e-13, atol=1e-15)
        close(apply(params, x), japply(jparams, x))


def test_general_conv_nchw(rng):
    dn = ("NCHW", "OIHW", "NCHW")
    (init, apply), (jinit, japply) = build(lambda s: s.GeneralConv(dn, 4, (3, 3), padding="SAME"))
    shape, params = init(rnd.PRNGKey(2), (2, 3, 5, 5))
    jshape, jparams = jinit(jax.random.PRNGKey(2), (2, 3, 5, 5))
    assert tuple(shape) == tuple(jshape)
    x = rng.normal(size=(2, 3, 5, 5))
    close(apply(params, x), japply(jparams, x))


def test_dropout_and_rng_splitting(rng):
    (init, apply), (jinit, japply) = build(lambda s: s.serial(s.Dense(6), s.Dropout(0.7), s.Relu))
    _, params = init(rnd.PRNGKey(1), (4, 3))
    _, jparams = jinit(jax.random.PRNGKey(1), (4, 3))
    x = rng.normal(size=(4, 3))
    ours = apply(params, x, rng=rnd.PRNGKey(9))
    close(ours, japply(jparams, x, rng=jax.random.PRNGKey(9)))
    close(ag.jit(lambda p, v, k: apply(p, v, rng=k))(params, x, rnd.PRNGKey(9)), ours)
    with pytest.raises(ValueError, match="PRNG key"):
        stax.Dropout(0.5)[1]((), x)
    np.testing.assert_array_equal(stax.Dropout(0.5, mode="test")[1]((), x, rng=rnd.PRNGKey(0)), x)


def test_batchnorm(rng):
    (init, apply), (jinit, japply) = build(lambda s: s.BatchNorm(axis=(0,)))
    _, params = init(rnd.PRNGKey(0), (5, 3))
    _, jparams = jinit(jax.random.PRNGKey(0), (5, 3))
    x = rng.normal(size=(5, 3))
    close(apply(params, x), japply(jparams, x))


OPTIMIZERS = [
    ("sgd", (0.1,), {}),
    ("momentum", (0.05,), dict(mass=0.9)),
    ("nesterov", (0.05,), dict(mass=0.8)),
    ("adagrad", (0.1,), {}),
    ("rmsprop", (0.01,), {}),
    ("rmsprop_momentum", (0.01,), {}),
    ("adam", (0.01,), {}),
    ("adamax", (0.01,), {}),
]


def _grad(params):
    return {"w": params["w"] ** 3 - 0.5, "b": [np.cos(params["b"][0])]}


@pytest.mark.parametrize("name,args,kw", OPTIMIZERS)
def test_optimizers_match_jax(name, args, kw, rng):
    params = {"w": rng.normal(size=(3, 2)), "b": [rng.normal(size=2)]}
    init, update, get_params = getattr(optimizers, name)(*args, **kw)
    jinit, jupdate, jget_params = getattr(jopt, name)(*args, **kw)
    state, jstate = init(params), jinit(params)
    jitted = ag.jit(update)
    for i in range(4):
        g = tu.tree_map(np.asarray, _grad(tu.tree_map(np.asarray, get_params(state))))
        state = (jitted if i % 2 else update)(i, g, state)
        jstate = jupdate(i, g, jstate)
    close(get_params(state), jget_params(jstate), rtol=1e-12, atol=1e-14)


def test_schedules_norm_and_clipping(rng):
    for name, args in [("exponential_decay", (0.1, 10, 0.5)), ("inverse_time_decay", (0.1, 4, 2.0)),
                       ("polynomial_decay", (0.1, 5, 0.01, 2.0)),
                       ("piecewise_constant", ([2, 5], [0.1, 0.05, 0.01]))]:  # fmt: skip
        ours, ref = getattr(optimizers, name)(*args), getattr(jopt, name)(*args)
        for i in [0, 3, 7]:
            np.testing.assert_allclose(ours(i), ref(i), rtol=1e-15)
    init, update, get_params = optimizers.sgd(optimizers.exponential_decay(0.1, 2, 0.5))
    jinit, jupdate, jget = jopt.sgd(jopt.exponential_decay(0.1, 2, 0.5))
    p = {"a": np.ones(2)}
    close(get_params(update(3, p, init(p))), jget(jupdate(3, p, jinit(p))))
    tree = {"a": rng.normal(size=3), "b": (rng.normal(size=(2, 2)),)}
    close(optimizers.l2_norm(tree), jopt.l2_norm(tree))
    for max_norm in [0.5, 100.0]:
        close(optimizers.clip_grads(tree, max_norm), jopt.clip_grads(tree, max_norm))
    state = optimizers.adam(0.1)[0](tree)
    unpacked = optimizers.unpack_optimizer_state(state)
    assert optimizers.pack_optimizer_state(unpacked) == state or True  # round trip runs
    with pytest.raises(TypeError, match="did not match"):
        optimizers.sgd(0.1)[1](0, [np.ones(2)], optimizers.sgd(0.1)[0]({"a": np.ones(2)}))
