"""Complex numbers, differentiated with JAX's conventions: values, jvp, vjp, grad of real
functions of complex inputs, ``holomorphic=True``, under jit and vmap, against JAX (float64)."""

import numpy as np
import pytest

import trace_ag as ag
import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = jax.numpy

Z = np.array([1 + 2j, 3 - 1j, -0.5 + 0.25j])
T = np.array([0.3 - 1j, 1 + 0j, 0.5j])
HOLOMORPHIC = ["exp", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh", "sqrt", "square"]
NOT_HOLOMORPHIC = ["abs", "real", "imag", "conj", "conjugate", "angle"]
UNARY = HOLOMORPHIC + NOT_HOLOMORPHIC


def _same(got, want, rtol=1e-12):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-14)


@pytest.mark.parametrize("name", UNARY)
def test_values_eager_and_jit_agree_with_numpy(name):
    fn = getattr(tnp, name)
    _same(fn(Z), getattr(np, name)(Z))
    _same(ag.jit(fn)(Z), getattr(np, name)(Z))


@pytest.mark.parametrize("name", UNARY)
def test_jvp_and_vjp_match_jax(name):
    fn, jfn = getattr(tnp, name), getattr(jnp, name)
    _same(ag.jvp(fn, (Z,), (T,))[1], jax.jvp(jfn, (Z,), (T,))[1])
    out = jfn(Z)
    ct = T if jnp.iscomplexobj(out) else T.real
    _same(ag.vjp(fn, Z)[1](ct)[0], jax.vjp(jfn, Z)[1](ct)[0])


@pytest.mark.parametrize("name", UNARY)
def test_grad_of_a_real_function_of_complex_inputs_matches_jax(name):
    def loss(np_like):
        fn = getattr(np_like, name)
        return lambda z: np_like.sum(np_like.abs(fn(z) * (1 + 0.5j)) ** 2)

    _same(ag.grad(loss(tnp))(Z), jax.grad(loss(jnp))(Z))
    _same(ag.jit(ag.grad(loss(tnp)))(Z), jax.grad(loss(jnp))(Z))
    _same(ag.vmap(ag.grad(loss(tnp)))(Z[:, None]), jax.vmap(jax.grad(loss(jnp)))(Z[:, None]))


@pytest.mark.parametrize("name", HOLOMORPHIC)
def test_holomorphic_grad_and_jacobians_match_jax(name):
    def f(np_like):
        return lambda z: np_like.sum(getattr(np_like, name)(z) * z)

    _same(ag.grad(f(tnp), holomorphic=True)(Z), jax.grad(f(jnp), holomorphic=True)(Z))
    g = getattr(tnp, name)
    jg = getattr(jnp, name)
    _same(ag.jacfwd(g, holomorphic=True)(Z), jax.jacfwd(jg, holomorphic=True)(Z))
    _same(ag.jacrev(g, holomorphic=True)(Z), jax.jacrev(jg, holomorphic=True)(Z))


@pytest.mark.parametrize(
    "name",
    ["matmul", "dot", "einsum", "sum", "mean", "prod", "power", "var", "cumsum", "mul-real"],
)
def test_reductions_and_products_match_jax(name):
    a = np.array([[1 + 1j, 2 - 0.5j, 0.25j], [0.5j, -1, 2 + 2j], [1, 1j, -1j]])
    fns = {
        "matmul": lambda m: lambda z: m.real(m.sum(a @ z * m.conj(z))),
        "dot": lambda m: lambda z: m.abs(m.dot(z, z)),
        "einsum": lambda m: lambda z: m.abs(m.einsum("ij,j,i->", a, z, z)),
        "sum": lambda m: lambda z: m.abs(m.sum(z**2)),
        "mean": lambda m: lambda z: m.abs(m.mean(z**2)),
        "prod": lambda m: lambda z: m.abs(m.prod(z)),
        "power": lambda m: lambda z: m.abs(m.sum(m.power(z, 2.5 + 0.5j))),
        "var": lambda m: lambda z: m.var(z),
        "cumsum": lambda m: lambda z: m.abs(m.cumsum(z)[-1] * z[0]),
        "mul-real": lambda m: lambda z: m.abs(m.sum(z * m.real(z))),
    }
    _same(ag.grad(fns[name](tnp))(Z), jax.grad(fns[name](jnp))(Z))


def test_grad_of_a_real_input_through_complex_intermediates():
    def f(np_like):
        return lambda x: np_like.real(np_like.sum(np_like.exp(1j * x) * (2 - 1j)))

    x = np.linspace(0, 1, 4)
    _same(ag.grad(f(tnp))(x), jax.grad(f(jnp))(x))
    _same(ag.jvp(f(tnp), (x,), (np.ones(4),))[1], jax.jvp(f(jnp), (x,), (np.ones(4),))[1])


def test_tracer_attributes_and_predicates():
    f = lambda z: tnp.sum(z.real * z.imag + tnp.abs(z.conj()))  # noqa: E731
    g = lambda z: jnp.sum(z.real * z.imag + jnp.abs(z.conj()))  # noqa: E731
    _same(ag.grad(f)(Z), jax.grad(g)(Z))
    np.testing.assert_array_equal(tnp.iscomplex(np.array([1 + 0j, 1j])), [False, True])
    np.testing.assert_array_equal(tnp.isreal(np.array([1 + 0j, 1j])), [True, False])
    assert tnp.iscomplexobj(Z) and tnp.isrealobj(Z.real)


def test_mistakes_with_complex_values_raise():
    with pytest.raises(TypeError, match="holomorphic=True requires complex inputs"):
        ag.grad(lambda x: x * 1j, holomorphic=True)(1.0)
    with pytest.raises(TypeError, match="scalar float output"):
        ag.grad(lambda z: z * z)(1 + 1j)  # a complex output needs holomorphic=True
    with pytest.raises(TypeError, match="holomorphic=True"):
        ag.jacfwd(lambda z: z * z)(Z)
    with pytest.raises(TypeError, match="complex cotangent .* real output"):
        ag.vjp(tnp.sin, 1.0)[1](1j)
    with pytest.raises(TypeError, match="complex tangent for a real primal"):
        ag.jvp(tnp.sin, (1.0,), (1j,))


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_abs_and_parts_at_edge_inputs_match_jax(dtype):
    """|z| at 0 (gradient 0, as JAX), on the axes, in complex64 (real float32 results)."""
    z = np.array([0j, 1 + 0j, -2j, -3 + 0j, 1e-30 + 1e-30j], dtype)
    t = np.array([1 + 1j, -1j, 2, 0.5 - 0.5j, 1], dtype)
    for name in ["abs", "real", "imag", "conj"]:
        fn, jfn = getattr(tnp, name), getattr(jnp, name)
        rtol = 1e-6 if dtype == np.complex64 else 1e-12
        _same(ag.jit(fn)(z), jfn(z), rtol)
        _same(ag.jvp(fn, (z,), (t,))[1], jax.jvp(jfn, (z,), (t,))[1], rtol)

        def loss(np_like, f):
            return lambda z: np_like.sum(np_like.abs(f(z)))

        _same(ag.grad(loss(tnp, fn))(z), jax.grad(loss(jnp, jfn))(z), rtol)
        _same(
            ag.vmap(ag.grad(loss(tnp, fn)))(z[:, None]),
            jax.vmap(jax.grad(loss(jnp, jfn)))(z[:, None]),
            rtol,
        )


def test_check_grads_checks_complex_inputs_and_outputs():
    """check_grads pairs complex values with JAX's real pairing: correct rules pass, a rule
    that drops the imaginary part is caught (complex outputs used to go unchecked)."""
    z = np.array([0.3 + 0.4j, -1.0 + 0.5j])
    ag.check_grads(lambda z: tnp.exp(z) * tnp.conj(z), (z,), order=2)
    ag.check_grads(lambda x: tnp.exp(1j * x), (np.array([0.2, 1.0]),), order=2)

    @ag.custom_vjp
    def wrong_exp(z):
        return tnp.exp(z)

    wrong_exp.defvjp(lambda z: (tnp.exp(z), z), lambda z, g: (tnp.real(g * tnp.exp(z)) + 0j,))
    with pytest.raises(AssertionError, match="disagrees with central differences"):
        ag.check_grads(wrong_exp, (z,))
