"""``x.at[idx]`` beyond the spec rows (tests/spec_rows/scatter.py): the method on tracers,
integer and boolean dtypes, traced and batched indices, every mode with out-of-bounds and
repeated indices, derivatives JAX does not define, and bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import FEW, Draw

import trace_ag as ag
import trace_ag.numpy as tnp
from trace_ag import errors

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

OPS = ["set", "add", "subtract", "multiply", "divide", "power", "min", "max"]
MODES = [None, "clip", "drop", "fill"]


def _index(d: Draw, shape: tuple):
    """An index for ``shape``: an int, an int array (repeats, negatives, out of bounds), an
    int array beside a slice, or a boolean mask."""
    n = shape[0]
    kind = d.int(0, 3)
    if kind == 0:
        return d.int(-n - 2, n + 1)
    if kind == 1:
        return d.rng.integers(-n - 2, n + 2, d.int(1, 5))
    if kind == 2 and len(shape) > 1:
        return (slice(None), d.rng.integers(-shape[1] - 1, shape[1] + 1, d.int(1, 4)))
    return d.rng.random(n) < 0.5


def _values(d: Draw, dtype, shape):
    if dtype == np.bool_:
        return d.rng.random(shape) < 0.5
    if np.issubdtype(dtype, np.integer):
        return d.rng.integers(1, 5, shape).astype(dtype)
    return d.rng.uniform(0.5, 2, shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.bool_, np.float32])
@FEW
@given(data=st.data())
def test_every_op_and_mode_matches_jax_for_each_dtype(dtype, data):
    d = Draw(data)
    shape = d.shape(1, 2, min_side=1, max_side=4)
    x = _values(d, dtype, shape)
    index = _index(d, shape)
    mode = d.choice(MODES)
    v = _values(d, dtype, tnp.at(np.zeros(shape))[index].get(mode="clip").shape)
    ops = OPS if dtype != np.bool_ else ["set", "min", "max"]  # JAX's ops for bools
    for op in ops:
        if op in ("divide", "power", "subtract") and dtype == np.uint8:
            continue  # wraps around differently in JAX's int promotion; covered for others
        ours = getattr(tnp.at(x)[index], op)(v, mode=mode)
        theirs = getattr(jnp.asarray(x).at[index], op)(v, mode=mode)
        if op not in ("divide", "power"):  # tnp.divide/power promote ints as NumPy does
            assert ours.dtype == theirs.dtype, (op, mode)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, err_msg=f"{op} {mode} {index}")
    got = tnp.at(x)[index].get(mode="fill" if mode in ("drop", "fill") else mode)
    want = jnp.asarray(x).at[index].get(mode="fill" if mode in ("drop", "fill") else mode)
    np.testing.assert_array_equal(got, want)


def test_python_scalars_and_casts_follow_jax():
    """Updates combine in the promoted dtype, then cast back: -2 + 0.5 truncates to -1."""
    x = np.array([-2, 3, 5], np.int32)
    for op, v in [("add", 0.5), ("multiply", 0.5), ("min", 2.5), ("set", 7.9)]:
        ours = getattr(tnp.at(x)[np.array([0, 1])], op)(v)
        theirs = getattr(jnp.asarray(x).at[np.array([0, 1])], op)(v)
        assert ours.dtype == theirs.dtype, op
        np.testing.assert_array_equal(ours, theirs)
    xf = np.ones(3, np.float32)
    assert tnp.at(xf)[0].add(0.1).dtype == np.float32
    np.testing.assert_array_equal(tnp.at(xf)[0].add(0.1), jnp.asarray(xf).at[0].add(0.1))


def test_fill_value_and_wrap_negative_indices():
    x = np.arange(5.0)
    idx = np.array([-1, 4, 7])
    for kw in [{}, {"fill_value": -3.0}, {"wrap_negative_indices": False}]:
        np.testing.assert_array_equal(
            tnp.at(x)[idx].get(mode="fill", **kw), jnp.asarray(x).at[idx].get(mode="fill", **kw)
        )
    for mode in MODES:
        np.testing.assert_array_equal(
            tnp.at(x)[idx].set(9.0, mode=mode, wrap_negative_indices=False),
            jnp.asarray(x).at[idx].set(9.0, mode=mode, wrap_negative_indices=False),
        )
    assert np.isnan(tnp.at(x)[9].get(mode="fill"))
    assert tnp.at(np.arange(3))[5].get(mode="fill") == np.iinfo(np.int64).min


def test_never_writes_into_its_input():
    x = np.arange(4.0)
    before = x.copy()
    for op in OPS:
        getattr(tnp.at(x)[np.array([0, 0, 2])], op)(2.0)
    step = ag.jit(lambda a: a.at[1].set(-1.0) * 2.0)
    step(x)
    step(x)
    np.testing.assert_array_equal(x, before)


def _f_tracer(x, v):
    y = x.at[1:, np.array([0, 0, 2])].add(v)  # the .at method of tracers; repeats accumulate
    y = y.at[0].multiply(v[0] + 1.0)
    y = y.at[np.array([2, -1]), 1].max(v[:2] * 3.0)
    return tnp.sum(tnp.sin(y.at[:, 1].set(v[-1] * y[0, 0])))


def _f_jax(x, v):
    y = x.at[1:, np.array([0, 0, 2])].add(v)
    y = y.at[0].multiply(v[0] + 1.0)
    y = y.at[np.array([2, -1]), 1].max(v[:2] * 3.0)
    return jnp.sum(jnp.sin(y.at[:, 1].set(v[-1] * y[0, 0])))


def test_tracer_method_under_every_transform_matches_jax(rng):
    x, v = rng.uniform(-1, 1, (3, 3)), rng.uniform(0.5, 1.5, 3)
    want = jax.grad(_f_jax, argnums=(0, 1))(x, v)
    for f in (ag.grad(_f_tracer, argnums=(0, 1)), ag.jit(ag.grad(_f_tracer, argnums=(0, 1))),
              ag.jit(ag.grad(_f_tracer, argnums=(0, 1)), backend="jax")):  # fmt: skip
        for got, w in zip(f(x, v), want, strict=True):
            np.testing.assert_allclose(got, w, rtol=1e-10)
    tx, tv = rng.normal(size=x.shape), rng.normal(size=v.shape)
    np.testing.assert_allclose(
        ag.jvp(_f_tracer, (x, v), (tx, tv))[1], jax.jvp(_f_jax, (x, v), (tx, tv))[1], rtol=1e-10
    )
    xs = rng.uniform(-1, 1, (4, 3, 3))
    np.testing.assert_allclose(
        ag.vmap(_f_tracer, in_axes=(0, None))(xs, v), jax.vmap(_f_jax, in_axes=(0, None))(xs, v)
    )


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("mode", MODES)
def test_traced_indices_under_jit_and_vmap(backend, mode, rng):
    x = rng.normal(size=(5, 2))
    idx = np.array([3, -1, 7, 3, -9])

    def ours(x, i, v):
        return x.at[i].add(v, mode=mode), x.at[i].get(mode=mode), x.at[i, 0].set(v[:, 1], mode=mode)

    def theirs(x, i, v):
        x = jnp.asarray(x)
        return x.at[i].add(v, mode=mode), x.at[i].get(mode=mode), x.at[i, 0].set(v[:, 1], mode=mode)

    v = rng.normal(size=(5, 2))
    if mode is None:
        idx = np.array([3, -1, 2, 3, -5])  # JAX promises nothing for out-of-bounds sets here
    for got, want in zip(ag.jit(ours, backend=backend)(x, idx, v), theirs(x, idx, v), strict=True):
        np.testing.assert_allclose(got, want)
    batch = np.stack([idx, idx[::-1]])
    vm = ag.jit(ag.vmap(ours, in_axes=(None, 0, None)), backend=backend)(x, batch, v)
    for got, want in zip(vm, jax.vmap(theirs, in_axes=(None, 0, None))(x, batch, v), strict=True):
        np.testing.assert_allclose(got, want)


def test_traced_scalar_index_in_a_loop():
    def ours(x):
        return ag.lax.fori_loop(0, 3, lambda i, acc: acc.at[i].add(x[i] * i), tnp.zeros(3))

    def theirs(x):
        x = jnp.asarray(x)
        return jax.lax.fori_loop(0, 3, lambda i, acc: acc.at[i].add(x[i] * i), jnp.zeros(3))

    x = np.array([1.0, 2.0, 3.0])
    for backend in ("numpy", "jax"):
        np.testing.assert_allclose(ag.jit(ours, backend=backend)(x), theirs(x))
    np.testing.assert_allclose(
        ag.grad(lambda x: tnp.sum(ours(x) ** 2))(x), jax.grad(lambda x: jnp.sum(theirs(x) ** 2))(x)
    )


@FEW
@given(data=st.data())
def test_repeated_multiply_gradients_by_finite_differences(data):
    """JAX refuses these (unique_indices needed); ours are checked numerically, zeros in the
    updates included."""
    d = Draw(data)
    n = d.int(1, 4)
    idx = d.rng.integers(-n, n, d.int(2, 6))
    x = d.rng.uniform(0.5, 2, (n, 2))
    v = d.rng.uniform(-2, 2, (idx.size, 2))
    v[0, 0] = 0.0  # a zero update: its place's other factors must not be divided by it

    def f(x, v):
        return tnp.sum(tnp.at(x)[idx].multiply(v) * np.arange(1.0, 2 * n + 1).reshape(n, 2))

    ag.check_grads(f, (x, v), order=2)
    for mode in ("divide", "power"):

        def g(x, v, mode=mode):
            return tnp.sum(getattr(tnp.at(x)[idx], mode)(v**2 + 0.5))

        ag.check_grads(g, (x, v), order=1)


def test_set_with_repeats_keeps_the_last_and_its_gradient():
    x = np.zeros(3)
    idx = np.array([1, 2, 1])
    v = np.array([10.0, 20.0, 30.0])
    np.testing.assert_array_equal(tnp.at(x)[idx].set(v), [0.0, 30.0, 20.0])
    g = ag.grad(lambda v: tnp.sum(tnp.at(x)[idx].set(v) * np.array([1.0, 2.0, 3.0])))(v)
    np.testing.assert_array_equal(g, [0.0, 3.0, 2.0])  # the overwritten first update gets none
    ag.check_grads(lambda x, v: tnp.sum(tnp.at(x)[idx].set(v) ** 2), (x + 1.0, v), order=2)


def test_min_max_ties_share_the_gradient_as_jax():
    x = np.array([1.0, 5.0, 2.0])
    idx = np.array([0, 0, 2])
    v = np.array([1.0, 1.0, 0.5])
    for op in ("min", "max"):
        ours = ag.grad(lambda x, v, op=op: tnp.sum(getattr(tnp.at(x)[idx], op)(v)), (0, 1))(x, v)
        theirs = jax.grad(lambda x, v, op=op: jnp.sum(getattr(x.at[idx], op)(v)), (0, 1))(
            jnp.asarray(x), jnp.asarray(v)
        )
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(a, b)


def test_apply_matches_jax():
    x = np.arange(1.0, 6.0)
    for idx in (np.array([0, 0, 3, -1]), 2, slice(1, 4)):
        np.testing.assert_allclose(
            tnp.at(x)[idx].apply(tnp.sqrt), jnp.asarray(x).at[idx].apply(jnp.sqrt)
        )
    f = ag.jit(lambda x, i: x.at[i].apply(lambda v: v * 2.0))
    np.testing.assert_allclose(f(x, np.array([1, 1, 4])), [1.0, 8.0, 3.0, 4.0, 10.0])


def test_bad_input_raises_clearly():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="mode must be one of"):
        tnp.at(x)[0].set(1.0, mode="wrap")
    with pytest.raises(errors.ShapeError, match=r"do not broadcast to the indexed shape \(3,\)"):
        tnp.at(x)[0].set(np.ones(4))
    with pytest.raises(errors.UnsupportedFunctionError, match="scalar boolean"):
        tnp.at(x)[True].set(1.0)
    with pytest.raises(errors.InvalidIndexError, match="integers"):
        tnp.at(x)[np.array([0.5])].set(1.0)
    with pytest.raises(errors.InvalidIndexError, match="too many indices"):
        tnp.at(x)[0, 0, 0].set(1.0)
    with pytest.raises(ValueError, match="fill_value must be a scalar"):
        tnp.at(x)[0].get(mode="fill", fill_value=np.ones(2))
    with pytest.raises(errors.NonConcreteIndexError):
        ag.jit(lambda x, m: x.at[m].set(0.0))(x, x > 0)


def test_ir_names_the_scatter_primitives():
    ir = str(ag.make_ir(lambda x: x.at[np.array([0, 1])].max(1.0).at[0].set(2.0))(np.zeros(3)))
    assert "scatter_max" in ir and "scatter[" in ir


def test_at_on_concrete_arrays_trace_ag_computes_as_in_jax():
    # what tnp creates or computes outside a transform has .at, as a JAX array does
    made = [tnp.zeros(4), tnp.arange(4.0), tnp.asarray([0.0, 1.0, 2.0, 3.0]), tnp.sin(np.ones(4))]
    made.append(ag.grad(lambda v: tnp.sum(v**2))(np.ones(4)))
    for x in made:
        assert type(x) is ag.Array
        want = jnp.asarray(np.asarray(x)).at[jnp.array([1, 1, 9])].add(2.0)
        np.testing.assert_array_equal(x.at[np.array([1, 1, 9])].add(2.0), want)
    x = tnp.arange(3.0)
    x.at[0].set(5.0)
    np.testing.assert_array_equal(x, [0.0, 1.0, 2.0])  # never written into
    assert repr(x) == "array([0., 1., 2.])"  # prints as NumPy's arrays do


def test_concrete_array_indexed_by_a_traced_index_inside_jit():
    table = tnp.sin(tnp.arange(12.0)).reshape(6, 2)
    want = jnp.sin(jnp.arange(12.0)).reshape(6, 2)
    for backend in ("numpy", "jax"):
        got = ag.jit(lambda i: table[i] * 2.0, backend=backend)(4)
        np.testing.assert_allclose(got, want[4] * 2.0)
        got = ag.jit(lambda i, j: table[i, j], backend=backend)(5, 1)
        np.testing.assert_allclose(got, want[5, 1])
    g = ag.grad(lambda t: tnp.sum(ag.vmap(lambda i: t[i])(np.array([1, 1, 3]))))(table)
    np.testing.assert_array_equal(g, jax.grad(lambda t: jnp.sum(t[jnp.array([1, 1, 3])]))(want))
