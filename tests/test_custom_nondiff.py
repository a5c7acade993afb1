"""JAX's custom-derivative interface beyond ``defvjp``/``defjvp``: ``custom_jvp.defjvps`` and
``nondiff_argnums`` on both decorators (functions and static values passed through), under
grad, jvp, jit and vmap, against JAX."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")


def _with(lib, np_like):
    """The same three custom functions written against ``lib`` (jax or trace_ag)."""

    @lib.custom_jvp
    def scaled_sin(x, y):
        return np_like.sin(x) * y

    scaled_sin.defjvps(
        lambda tx, out, x, y: np_like.cos(x) * y * tx, lambda ty, out, x, y: np_like.sin(x) * ty
    )

    @functools.partial(lib.custom_vjp, nondiff_argnums=(0,))
    def apply_clipped(f, x):
        return f(x)

    def fwd(f, x):
        return f(x), x

    def bwd(f, x, g):
        _, pullback = lib.vjp(f, x)
        return (np_like.clip(pullback(g)[0], -1.0, 1.0),)

    apply_clipped.defvjp(fwd, bwd)

    @functools.partial(lib.custom_jvp, nondiff_argnums=(1,))
    def power(x, n):
        return x**n

    @power.defjvp
    def power_jvp(n, primals, tangents):
        (x,), (t,) = primals, tangents
        return x**n, n * x ** (n - 1) * t

    return scaled_sin, apply_clipped, power


def _programs(lib, np_like):
    scaled_sin, apply_clipped, power = _with(lib, np_like)
    cube = lambda v: v**3  # noqa: E731
    return {
        "defjvps grad": lambda x: lib.grad(lambda a, b: scaled_sin(a, b), argnums=(0, 1))(x, 2 * x),
        "defjvps jvp": lambda x: lib.jvp(lambda a: scaled_sin(a, 3.0), (x,), (1.5,))[1],
        "nondiff vjp": lambda x: lib.grad(lambda a: apply_clipped(cube, a))(x),
        "nondiff vjp jit": lambda x: lib.jit(lib.grad(lambda a: apply_clipped(cube, a)))(x),
        "nondiff jvp": lambda x: lib.grad(lambda a: power(a, 3))(x),
        "nondiff jvp vmap": lambda x: lib.vmap(lib.grad(lambda a: power(a, 2)))(
            np_like.stack([x, x + 1])
        ),
    }


NAMES = list(_programs(jax, jnp))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("x", [0.3, -1.2])
def test_matches_jax(name, x):
    ours = _programs(ag, tnp)[name](np.float64(x))
    theirs = _programs(jax, jnp)[name](jnp.float64(x))
    np.testing.assert_allclose(np.asarray(ours, dtype=float), np.asarray(theirs), rtol=1e-12)


def test_nondiff_argnums_errors_name_the_function():
    @functools.partial(ag.custom_vjp, nondiff_argnums=(1,))
    def f(x, n):
        return x * n

    f.defvjp(lambda x, n: (x * n, None), lambda n, res, g: (g * n,))
    with pytest.raises(TypeError, match=r"f: nondiff_argnums \(1,\) for a call with 1 argument"):
        f(1.0)
    with pytest.raises(TypeError, match="traced value"):
        ag.grad(lambda n: f(2.0, n))(3.0)
    with pytest.raises(TypeError, match="non-negative ints"):
        ag.custom_jvp(lambda x: x, nondiff_argnums=(-1,))
