"""config debug_nans / debug_infs (and JAX's jax_debug_nans / jax_debug_infs): a NaN or an
infinity computed by any operation raises FloatingPointError naming it, eagerly, in a vjp rule
and under jit (compiled outputs checked, then the graph re-run op by op), as JAX does."""

from __future__ import annotations

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")


@pytest.fixture
def debug(request):
    names = request.param if isinstance(request.param, tuple) else (request.param,)
    for name in names:
        ag.config.update(name, True)
    jax_names = [n if n.startswith("jax_") else f"jax_{n}" for n in names]
    for name in jax_names:
        jax.config.update(name, True)
    yield
    for name in names:
        ag.config.update(name, False)
    for name in jax_names:
        jax.config.update(name, False)


def both_raise(fn_of, *args):
    """``fn_of(np_module)(*args)`` raises FloatingPointError in trace_ag and in JAX."""
    with pytest.raises(FloatingPointError) as got:
        fn_of(tnp)(*args)
    with pytest.raises(FloatingPointError):
        fn_of(jnp)(*args)
    return str(got.value)


@pytest.mark.parametrize("debug", ["debug_nans", "jax_debug_nans"], indirect=True)
def test_a_nan_raises_eagerly_naming_the_operation(debug):
    message = both_raise(lambda np_: lambda x: np_.log(x) * 2.0, np.array([-1.0, 2.0]))
    assert message.startswith("log computed NaN") and "test_debug_nans.py" in message
    np.testing.assert_allclose(tnp.log(np.array([1.0, 2.0])), np.log([1.0, 2.0]))  # fine ones run


@pytest.mark.parametrize("debug", ["debug_nans"], indirect=True)
def test_a_nan_under_jit_is_found_op_by_op(debug):
    def f(np_):
        return lambda x: np_.sum(np_.sqrt(x - 1.0) + 1.0)

    good = np.array([2.0, 5.0])
    np.testing.assert_allclose(ag.jit(f(tnp))(good), jax.jit(f(jnp))(good))
    with pytest.raises(FloatingPointError, match="^sqrt computed NaN"):
        ag.jit(f(tnp))(np.array([0.0, 5.0]))
    with pytest.raises(FloatingPointError):
        jax.jit(f(jnp))(np.array([0.0, 5.0]))


@pytest.mark.parametrize("debug", ["debug_infs"], indirect=True)
def test_an_infinity_in_a_derivative_raises(debug):
    x = np.array([0.0, 1.0])
    assert np.isfinite(ag.grad(lambda v: tnp.sum(v**2))(x)).all()
    with pytest.raises(FloatingPointError, match="the vjp of sqrt computed an infinity"):
        ag.grad(lambda v: tnp.sum(tnp.sqrt(v)))(x)
    with pytest.raises(FloatingPointError):
        jax.grad(lambda v: jnp.sum(jnp.sqrt(v)))(x)


def test_off_by_default_nan_and_inf_flow_through():
    assert not ag.config.read("debug_nans") and not ag.config.jax_debug_infs
    with np.errstate(all="ignore"):
        out = ag.jit(lambda x: tnp.log(x))(np.array([-1.0, 0.0]))
    assert np.isnan(out[0]) and np.isneginf(out[1])
