"""Forward mode, Jacobians, vmap, custom derivatives and checkpoint, against JAX (float64), and
composed with jit on both backends."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag.core import Aval, Primitive

jax.config.update("jax_enable_x64", True)

JITS = {
    "eager": lambda f: f,
    "jit-numpy": ag.jit,
    "jit-jax": lambda f: ag.jit(f, backend="jax"),
}


def close(a, b, rtol=1e-9, atol=1e-11):
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb, strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


def mlp(np_):
    def loss(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = np_.tanh(h @ w + b)
        w, b = params[-1]
        logits = h @ w + b
        shifted = logits - np_.max(logits, axis=-1, keepdims=True)
        logp = shifted - np_.log(np_.sum(np_.exp(shifted), axis=-1, keepdims=True))
        return -np_.mean(np_.sum(logp * y, axis=-1))

    return loss


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    sizes = [3, 5, 4]
    params = [
        (rng.standard_normal((m, n)) / np.sqrt(m), rng.standard_normal(n) * 0.1)
        for m, n in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    x = rng.standard_normal((6, 3))
    y = np.eye(4)[rng.integers(0, 4, 6)]
    return params, x, y


# ---------------------------------------------------------------- jvp


@pytest.mark.parametrize("mode", JITS)
def test_jvp_matches_jax_with_pytrees(mode, problem):
    params, x, y = problem
    tangents = jax.tree_util.tree_map(lambda p: np.ones_like(p) * 0.3, params)
    ours = JITS[mode](lambda p, t: ag.jvp(lambda q: mlp(tnp)(q, x, y), (p,), (t,)))
    close(ours(params, tangents), jax.jvp(lambda q: mlp(jnp)(q, x, y), (params,), (tangents,)))


def test_jvp_against_central_differences(problem):
    params, x, y = problem
    rng = np.random.default_rng(3)
    direction = jax.tree_util.tree_map(lambda p: rng.standard_normal(np.shape(p)), params)
    eps = 1e-6
    shifted = lambda s: jax.tree_util.tree_map(lambda p, d: p + s * d, params, direction)  # noqa
    numeric = (mlp(tnp)(shifted(eps), x, y) - mlp(tnp)(shifted(-eps), x, y)) / (2 * eps)
    _, tangent = ag.jvp(lambda p: mlp(tnp)(p, x, y), (params,), (direction,))
    np.testing.assert_allclose(tangent, numeric, rtol=1e-6)


def test_linearize_and_forward_over_reverse():
    out, f_jvp = ag.linearize(tnp.sin, 0.5)
    assert out == np.sin(0.5) and np.isclose(f_jvp(2.0), 2 * np.cos(0.5))
    hvp = ag.jvp(ag.grad(lambda x: tnp.sum(tnp.sin(x) * x)), (np.arange(3.0),), (np.ones(3),))
    want = jax.jvp(jax.grad(lambda x: jnp.sum(jnp.sin(x) * x)), (np.arange(3.0),), (np.ones(3),))
    close(hvp, want)


def test_jvp_structure_mismatch_is_an_error():
    with pytest.raises(ValueError, match="jvp: primals .* and tangents .* same structure"):
        ag.jvp(lambda a, b: a * b, (1.0, 2.0), (1.0,))
    with pytest.raises(ag.ShapeError, match=r"tangent of shape \(2,\).*primal of shape \(3,\)"):
        ag.jvp(tnp.sin, (np.ones(3),), (np.ones(2),))


# ---------------------------------------------------------------- Jacobians


def vector_fn(np_):
    return lambda x, w: {"a": np_.sin(x * w[0]), "b": (np_.sum(x**2) * w, np_.tanh(x)[:2])}


@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_jacfwd_equals_jacrev_equals_jax(argnums):
    x, w = np.array([0.3, -1.2, 0.8]), np.array([1.5, -0.5])
    fwd = ag.jacfwd(vector_fn(tnp), argnums)(x, w)
    rev = ag.jacrev(vector_fn(tnp), argnums)(x, w)
    want = jax.jacfwd(vector_fn(jnp), argnums)(x, w)
    assert jax.tree_util.tree_structure(fwd) == jax.tree_util.tree_structure(want)
    close(fwd, want)
    close(rev, want)


@pytest.mark.parametrize("mode", JITS)
def test_hessian_of_mlp_loss_matches_jax(mode, problem):
    params, x, y = problem
    w = params[0][0]
    ours = JITS[mode](ag.hessian(lambda w: mlp(tnp)([(w, params[0][1]), params[1]], x, y)))(w)
    want = jax.hessian(lambda w: mlp(jnp)([(w, params[0][1]), params[1]], x, y))(w)
    assert np.shape(ours) == (3, 5, 3, 5)
    close(ours, want, rtol=1e-8)


def test_jacobian_has_aux():
    jac, aux = ag.jacrev(lambda x: (tnp.sin(x), {"n": tnp.sum(x)}), has_aux=True)(np.ones(2))
    close(jac, np.diag(np.cos(np.ones(2))))
    assert aux["n"] == 2.0


# ---------------------------------------------------------------- vmap


@pytest.mark.parametrize("mode", JITS)
def test_per_example_gradients(mode, problem):
    params, x, y = problem

    def single(np_):
        return lambda p, xi, yi: mlp(np_)(p, xi[None], yi[None])

    ours = JITS[mode](ag.vmap(ag.grad(single(tnp)), in_axes=(None, 0, 0)))(params, x, y)
    want = jax.vmap(jax.grad(single(jnp)), in_axes=(None, 0, 0))(params, x, y)
    close(ours, want)
    stacked = [ag.grad(single(tnp))(params, x[i], y[i]) for i in range(len(x))]
    close(ours, jax.tree_util.tree_map(lambda *g: np.stack(g), *stacked))


def test_per_example_gradients_with_integer_labels():
    def loss(np_, log_softmax):
        return lambda w, xi, label: -log_softmax(xi @ w)[label]

    rng = np.random.default_rng(1)
    w, xs, labels = (
        rng.standard_normal((4, 3)),
        rng.standard_normal((5, 4)),
        np.array([0, 2, 2, 1, 0]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every primitive on this path has a batching rule
        ours = ag.vmap(ag.grad(loss(tnp, tnp.log_softmax)), in_axes=(None, 0, 0))(w, xs, labels)
    want = jax.vmap(jax.grad(loss(jnp, jax.nn.log_softmax)), in_axes=(None, 0, 0))(w, xs, labels)
    close(ours, want)


def test_nested_vmap_in_axes_pytrees_and_out_axes():
    x = np.arange(24.0).reshape(2, 3, 4)
    f = lambda a, b: {"s": tnp.sum(a * b["w"]), "p": a * b["c"]}  # noqa: E731
    g = lambda a, b: {"s": jnp.sum(a * b["w"]), "p": a * b["c"]}  # noqa: E731
    b = {"w": np.ones(4), "c": np.arange(3.0)}
    in_axes = (0, {"w": None, "c": 0})
    ours = ag.vmap(ag.vmap(f, in_axes=in_axes), in_axes=(0, None), out_axes=1)(x, b)
    want = jax.vmap(jax.vmap(g, in_axes=in_axes), in_axes=(0, None), out_axes=1)(x, b)
    close(ours, want)


def test_vmap_errors_name_the_function():
    def f(a, b):
        return a + b

    with pytest.raises(ValueError, match=r"vmap\(f\): mapped axes have different sizes"):
        ag.vmap(f)(np.ones(3), np.ones(4))
    with pytest.raises(
        ag.ShapeError,
        match=r"vmap\(f\): in_axes 2 is out of range .*shape "
        r"\(3, 4\)",
    ):
        ag.vmap(f, in_axes=(2, None))(np.ones((3, 4)), 1.0)
    with pytest.raises(ValueError, match=r"in_axes has 1 entries but the function got 2"):
        ag.vmap(f, in_axes=(0,))(np.ones(3), np.ones(3))


def test_primitive_without_batching_rule_falls_back_to_a_loop_and_warns_once():
    cube = Primitive(
        "test_cube",
        impl=lambda x: x**3,
        abstract_eval=lambda x: Aval(x.shape, x.dtype),
        vjp=(lambda g, out, x: g * 3 * x**2,),
    )
    xs = np.arange(6.0).reshape(3, 2)
    with pytest.warns(UserWarning, match="primitive 'test_cube' has no batching rule"):
        out = ag.vmap(lambda x: cube.bind(x) + 1.0)(xs)
    np.testing.assert_allclose(out, xs**3 + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ag.vmap(cube.bind)(xs)  # warned once only


# ---------------------------------------------------------------- custom rules, remat


def test_custom_vjp_under_grad_jit_vmap():
    @ag.custom_vjp
    def clip_gradient(x, lo, hi):
        return x

    clip_gradient.defvjp(
        lambda x, lo, hi: (x, (lo, hi)), lambda res, g: (tnp.clip(g, res[0], res[1]), None, None)
    )

    def f(x):
        return tnp.sum(clip_gradient(x, -1.0, 1.0) * tnp.array([5.0, 0.5, -3.0]))

    x = np.ones(3)
    for mode in JITS.values():
        np.testing.assert_allclose(mode(ag.grad(f))(x), [1.0, 0.5, -1.0])
    np.testing.assert_allclose(ag.vmap(ag.grad(f))(np.ones((2, 3))), [[1.0, 0.5, -1.0]] * 2)
    with pytest.raises(TypeError, match="can't apply forward-mode autodiff"):
        ag.jvp(f, (x,), (x,))


def test_custom_vjp_bwd_with_wrong_structure_is_named():
    @ag.custom_vjp
    def mul(x, y):
        return x * y

    mul.defvjp(lambda x, y: (x * y, (x, y)), lambda r, g: (g * r[1],))
    with pytest.raises(
        TypeError,
        match=r"custom_vjp mul: bwd must return a tuple with one "
        r"cotangent per argument \(2\), got tuple of length 1",
    ):
        ag.grad(mul)(1.0, 2.0)


def test_custom_jvp_safe_log1pexp_everywhere():
    @ag.custom_jvp
    def log1pexp(x):
        return tnp.log1p(tnp.exp(x))

    @log1pexp.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return log1pexp(x), t * tnp.sigmoid(x)

    xs = np.array([-30.0, 0.0, 3.0])
    want = jax.vmap(jax.grad(lambda x: jnp.logaddexp(0.0, x)))(xs)
    with np.errstate(over="ignore"):
        for mode in JITS.values():
            close(mode(ag.vmap(ag.grad(log1pexp)))(xs), want)
        assert ag.grad(log1pexp)(1000.0) == 1.0  # the naive gradient would be nan
    close(ag.grad(ag.grad(log1pexp))(0.3), jax.grad(jax.grad(lambda x: jnp.logaddexp(0.0, x)))(0.3))


def test_checkpoint_keeps_fewer_residuals_and_same_gradients(problem):
    def block(h, w):
        return tnp.tanh(tnp.sin(h @ w) * 2.0 + 1.0)

    def net(layer):
        def f(w, x):
            h = x
            for _ in range(4):
                h = layer(h, w)
            return tnp.sum(h)

        return f

    w, x = np.eye(3) * 0.5, problem[1]
    _, plain = ag.vjp(net(block), w, x)
    _, remat = ag.vjp(net(ag.checkpoint(block)), w, x)
    assert remat.residuals < plain.residuals / 3
    want = ag.grad(net(block))(w, x)
    for mode in JITS.values():
        close(mode(ag.grad(net(ag.checkpoint(block))))(w, x), want)
    close(ag.jvp(net(ag.checkpoint(block)), (w, x), (w, x)), ag.jvp(net(block), (w, x), (w, x)))


# ---------------------------------------------------------------- stop_gradient


@pytest.mark.parametrize("mode", JITS)
def test_stop_gradient_under_every_transform(mode):
    def f(np_, stop):
        return lambda x: np_.sum(x**2 * stop(np_.sin(x)) + stop(x) ** 3)

    ours, theirs = f(tnp, ag.stop_gradient), f(jnp, jax.lax.stop_gradient)
    x = np.array([0.3, -0.7])
    close(JITS[mode](ag.grad(ours))(x), jax.grad(theirs)(x))
    close(
        JITS[mode](lambda x: ag.jvp(ours, (x,), (np.ones(2),)))(x),
        jax.jvp(theirs, (x,), (np.ones(2),)),
    )
    close(JITS[mode](ag.hessian(ours))(x), jax.hessian(theirs)(x))
    close(
        JITS[mode](ag.vmap(ag.grad(ours)))(np.stack([x, 2 * x])),
        jax.vmap(jax.grad(theirs))(np.stack([x, 2 * x])),
    )


def test_tracers_escaping_jvp_and_vmap_are_reported():
    leaked = []

    def keep(x):
        leaked.append(x)
        return x * 2.0

    ag.jvp(keep, (1.0,), (1.0,))
    ag.vmap(keep)(np.ones(2))
    for tracer in leaked:
        with pytest.raises(ag.UnexpectedTracerError, match="escaped"):
            tnp.sin(tracer)
        with pytest.raises(ag.UnexpectedTracerError, match="outside the transform"):
            ag.grad(lambda y, t=tracer: tnp.sum(y * t))(1.0)


def test_switch_picks_a_branch_and_differentiates():
    branches = [tnp.sin, tnp.cos, lambda v: v**2]
    for i, want in enumerate((np.cos(0.5), -np.sin(0.5), 1.0)):
        assert np.isclose(ag.grad(lambda x, i=i: ag.lax.switch(i, branches, x))(0.5), want)
    assert np.isclose(ag.jit(lambda i, x: ag.lax.switch(i, branches, x))(7, 0.5), 0.25)  # clamped
