"""The Scalar fast path (trace_ag.lecture._fast / _floats): Scalar ops on Python floats, through
the primitives' float_impls and their vjp rules lowered to float code, against the IR path
(the same operations replayed with NumPy, as before the fast path existed), JAX and finite
differences; kinks, non-finite values and NumPy's warnings; every float_impl against its impl.
"""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import trace_ag.lecture as ag
import trace_ag.numpy as tnp
from trace_ag.core import PRIMITIVES
from trace_ag.lecture import _fast, _node, _scalar_ops
from trace_ag.primitives import elementwise as ew


@pytest.fixture
def ir_path(monkeypatch):
    """Scalar ops replay their recorded equations with NumPy (no FloatOp is made)."""
    monkeypatch.setattr(_fast, "lower_to_floats", lambda op, template, *rest: template)
    _scalar_ops.forget_templates()
    yield
    monkeypatch.undo()
    _scalar_ops.forget_templates()


@pytest.fixture(autouse=True)
def _fresh_templates():
    _scalar_ops.forget_templates()
    yield
    _scalar_ops.forget_templates()


def run(fn, values, repeat=2):
    """``fn`` on fresh Scalars (twice: the first call of an op kind traces it, later ones
    replay), backward from the output: (value, grads, output node, warnings' messages)."""
    for _ in range(repeat):
        xs = [ag.Scalar(v) for v in values]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = fn(*xs)
            out.backward()
    messages = sorted({str(w.message) for w in caught})
    return out.value, [x.grad for x in xs], out, messages


# (id, the function on Scalars and floats, the same in jax.numpy, points)
CASES = [
    ("mul", lambda x, y: x * y, lambda x, y: x * y, [(1.5, -2.0), (0.0, 3.0)]),
    ("mul_self", lambda x, y: x * x + y, lambda x, y: x * x + y, [(1.5, 0.5), (-2.0, 0.0)]),
    ("mul_float", lambda x, y: 2.5 * x * y * -0.5, lambda x, y: 2.5 * x * y * -0.5, [(1.0, 2.0)]),
    (
        "add_sub",
        lambda x, y: (x + y) - (1.0 - x) + 3,
        lambda x, y: (x + y) - (1.0 - x) + 3,
        [(1, 2)],
    ),
    (
        "div",
        lambda x, y: x / y + 1.0 / x + y / 4,
        lambda x, y: x / y + 1.0 / x + y / 4,
        [(1.5, -2)],
    ),
    ("neg", lambda x, y: -x * y, lambda x, y: -x * y, [(1.5, -2.0)]),
    ("pow_int", lambda x, y: x**2 + y**3 + x**0 + y**1 + x**-1, None, [(1.5, -2.0), (-3.0, 0.5)]),
    ("pow_float", lambda x, y: x**2.5 + y**0.5, lambda x, y: x**2.5 + y**0.5, [(1.5, 2.0)]),
    ("pow_both", lambda x, y: x**y, lambda x, y: x**y, [(1.5, -2.0), (2.0, 0.0), (0.5, 3.0)]),
    ("pow_base", lambda x, y: 2.0**x * y, lambda x, y: 2.0**x * y, [(1.5, -2.0), (0.0, 1.0)]),
    ("exp_log", lambda x, y: x.exp() * y.log(), lambda x, y: jnp.exp(x) * jnp.log(y), [(0.3, 2.0)]),
    ("tanh", lambda x, y: ag.tanh(x) * y, lambda x, y: jnp.tanh(x) * y, [(0.3, 2.0), (-4.0, 1)]),
    (
        "sigmoid",
        lambda x, y: x.sigmoid() + ag.sigmoid(y),
        lambda x, y: jax.nn.sigmoid(x) + jax.nn.sigmoid(y),
        [(0.3, -2.0), (0.0, 40.0), (-750.0, 750.0)],
    ),
    (
        "relu",
        lambda x, y: x.relu() * 2.0 + ag.relu(y * x),
        lambda x, y: jax.nn.relu(x) * 2.0 + jax.nn.relu(y * x),
        [(0.5, 2.0), (-0.5, 2.0), (0.0, 1.0), (0.0, -1.0)],  # 0: the kink, gradient 0
    ),
    (
        "neuron",  # the slides' fit: out + v * (w * x + b).relu(), squared error
        lambda w, b: ((0.7 * (w * 0.3 + b).relu() + 0.1) - 0.2) ** 2 / 100,
        lambda w, b: ((0.7 * jax.nn.relu(w * 0.3 + b) + 0.1) - 0.2) ** 2 / 100,
        [(1.0, -0.1), (-1.0, 0.2)],
    ),
]


def _int_pow_jax(x, y):
    return x**2 + y**3 + x**0 + y**1 + x**-1


@pytest.mark.parametrize("name, fn, jax_fn, points", CASES, ids=[c[0] for c in CASES])
def test_fast_path_matches_ir_path_and_jax(name, fn, jax_fn, points, request):
    jax_fn = jax_fn or _int_pow_jax
    for point in points:
        value, grads, out, _ = run(fn, point)
        assert out._fast is not None, "the fast path was not taken"
        ir_value, ir_grads = _on_ir_path(request, fn, point)
        np.testing.assert_allclose(value, ir_value, rtol=1e-15, atol=0)
        np.testing.assert_allclose(grads, ir_grads, rtol=1e-15, atol=1e-300)
        x64 = [np.float64(v) for v in point]
        want = jax.grad(jax_fn, argnums=(0, 1))(*x64)
        np.testing.assert_allclose(value, jax_fn(*x64), rtol=1e-13)
        np.testing.assert_allclose(grads, [float(g) for g in want], rtol=1e-12, atol=1e-300)


def _on_ir_path(request, fn, point):
    """fn's value and grads with the fast path switched off (NumPy replay of the equations)."""
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(_fast, "lower_to_floats", lambda op, template, *rest: template)
        _scalar_ops.forget_templates()
        value, grads, out, _ = run(fn, point)
        assert out._fast is None
        return value, grads
    finally:
        mp.undo()
        _scalar_ops.forget_templates()


def test_check_grads_through_scalars():
    """Finite differences of the Scalar program (its backward against nearby values)."""

    def f(a, b):
        return (a * b + (a / b).exp() - b**3 + (a - 2.0) ** 2.5).tanh() + ag.sigmoid(a) * b.log()

    point = (2.7, 1.3)
    _, grads, _, _ = run(f, point)
    eps = 1e-6
    for i in range(2):
        up = [v + eps * (j == i) for j, v in enumerate(point)]
        down = [v - eps * (j == i) for j, v in enumerate(point)]
        fd = (f(*map(ag.Scalar, up)).value - f(*map(ag.Scalar, down)).value) / (2 * eps)
        np.testing.assert_allclose(grads[i], fd, rtol=1e-7)


# Non-finite and raising cases: a float_impl raises, NumPy runs, with its values and warnings.
EDGES = [
    ("div_by_zero", lambda x, y: x / y, (1.0, 0.0)),
    ("zero_by_zero", lambda x, y: x / y, (0.0, 0.0)),
    ("neg_pow_frac", lambda x, y: x**2.5 + y, (-8.0, 1.0)),  # nan, as np.power
    ("neg_pow_both", lambda x, y: x**y, (-2.0, 3.0)),  # value fine, d/dy has log(-2): nan
    ("zero_pow_neg", lambda x, y: x**-1 + y, (0.0, 1.0)),
    ("sqrt_at_zero", lambda x, y: x**0.5 * y, (0.0, 2.0)),  # forward fine, backward 0 ** -0.5
    ("exp_overflow", lambda x, y: x.exp() * y, (1000.0, 2.0)),
    ("log_zero", lambda x, y: x.log() + y, (0.0, 1.0)),
    ("log_negative", lambda x, y: x.log() + y, (-1.0, 1.0)),
    ("pow_overflow", lambda x, y: x**y, (1e200, 2.0)),
    ("nan_relu", lambda x, y: x.relu() + y, (math.nan, 1.0)),
    ("inf_times_zero", lambda x, y: x * y, (math.inf, 0.0)),
    ("mul_overflow", lambda x, y: x * y, (1e200, 1e200)),
    ("inf_minus_inf", lambda x, y: (x - y) * 2.0, (math.inf, math.inf)),
]


@pytest.mark.parametrize("name, fn, point", EDGES, ids=[e[0] for e in EDGES])
def test_non_finite_values_are_numpys(name, fn, point, request):
    value, grads, _, messages = run(fn, point)
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(_fast, "lower_to_floats", lambda op, template, *rest: template)
        _scalar_ops.forget_templates()
        ir_value, ir_grads, _, ir_messages = run(fn, point)
    finally:
        mp.undo()
        _scalar_ops.forget_templates()
    np.testing.assert_array_equal(value, ir_value)  # nan == nan, inf == inf here
    np.testing.assert_array_equal(grads, ir_grads)
    assert messages == ir_messages  # NumPy's RuntimeWarnings, the same ones


def test_division_by_zero_value_and_grad():
    """Concretely: 1 / 0 is inf with NumPy's warning, never a ZeroDivisionError."""
    for _ in range(2):
        x, y = ag.Scalar(1.0), ag.Scalar(0.0)
        with pytest.warns(RuntimeWarning, match="divide by zero"):
            z = x / y
        assert z.value == math.inf
        with pytest.warns(RuntimeWarning):
            z.backward()
        assert x.grad == math.inf and y.grad == -math.inf  # 1 / 0 and -1 * inf / 0


def test_mixed_scalars_tensors_and_hand_written_backward():
    x = ag.Scalar(3.0)
    a = x * 2.0 + 1.0  # fast Scalars
    t = ag.Tensor([1.0, 2.0]) * a  # a Tensor: the general backward pass
    ag.sum(t).backward()
    assert x.grad == 6.0
    # a slide-style hand-made node in a Scalar graph
    x = ag.Scalar(3.0)
    y = x * x
    cube = ag.Scalar(y.value * x.value, op="times x", inputs=[y])

    def _backward():
        y.grad += cube.grad * x.value

    cube._backward = _backward
    out = cube * 2.0 + x
    out.backward()
    assert x.grad == 2 * 3.0 * 3.0 * 2 + 1  # through y = x * x only, then + 1
    assert y.grad == 6.0


def test_graph_drawing_and_ir_are_the_recorded_equations(request):
    def f(x, y):
        return (x * y + 2.0).relu() / y - x**2

    _, _, out, _ = run(f, (1.5, 2.0))
    assert out._fast is not None
    fast_ir = str(out.to_graph())
    labels = out.labels()
    dot = ag.draw_dot(out)
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(_fast, "lower_to_floats", lambda op, template, *rest: template)
        _scalar_ops.forget_templates()
        _, _, ir_out, _ = run(f, (1.5, 2.0))
    finally:
        mp.undo()
        _scalar_ops.forget_templates()
    assert fast_ir == str(ir_out.to_graph())
    assert labels == {} and len(ir_out.labels()) == 0
    assert dot is not None
    assert [e.primitive.name for e in out._eqns] == ["sub"]
    assert out.op == "sub" and len(out.inputs) == 2 and not out.is_leaf


def test_backward_accumulates_and_deep_chains_work():
    x = ag.Scalar(0.5)
    y = x * 3.0
    y.backward()
    y.backward()
    assert x.grad == 6.0 and y.grad == 2.0
    z = x
    for _ in range(5000):  # far deeper than Python's recursion limit
        z = z * 1.0 + 0.0
    z.backward()
    assert x.grad == 7.0


def test_a_primitive_without_float_impl_keeps_the_numpy_path(monkeypatch):
    monkeypatch.setattr(ew.exp, "float_impl", None)
    _scalar_ops.forget_templates()
    for _ in range(2):
        x = ag.Scalar(0.5)
        y = x.exp() * x
        y.backward()
    assert y.inputs[0]._fast is None  # exp: replayed with NumPy
    assert y._fast is not None  # mul: on floats
    np.testing.assert_allclose(x.grad, math.exp(0.5) * 1.5, rtol=1e-15)


def test_scalar_subclass_and_other_operand_types_use_tracing():
    class Named(ag.Scalar):
        pass

    for _ in range(2):
        n = Named(2.0)
        z = n * np.float64(3.0)  # a NumPy scalar operand: not a Python float
        z.backward()
    assert z._fast is None and n.grad == 3.0


# Every float_impl gives its impl's float64 value, or raises where NumPy warns.
_GRID = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -3.0, 1e-300, 710.0, -750.0, 1e200]
_GRID += [math.inf, -math.inf, math.nan]
_FLOAT_PRIMS = sorted(
    (p for p in PRIMITIVES.values() if p.float_impl is not None), key=lambda p: p.name
)


@pytest.mark.parametrize("prim", _FLOAT_PRIMS, ids=[p.name for p in _FLOAT_PRIMS])
def test_float_impl_is_the_impl_on_floats(prim):
    arity = (
        prim.impl.nin
        if isinstance(prim.impl, np.ufunc)
        else {"select": 3, "pow": 2}.get(prim.name, 1)
    )
    params_list = [{"y": k} for k in (0, 1, 2, 3, -1, -2)] if prim.name == "integer_pow" else [{}]
    if prim.name == "pow":
        params_list = [{}, {"int_exponent": True}]
    checked = 0
    for params in params_list:
        for args in _arguments(prim.name, arity):
            try:
                got = prim.float_impl(*args, **params)
            except (ArithmeticError, ValueError):  # then NumPy runs: it must be a hard case
                with np.errstate(all="ignore"):
                    want = prim.impl(*[np.asarray(a, _dtype(a)) for a in args], **params)
                assert not np.isfinite(want), (prim.name, args, want)
                continue
            with np.errstate(all="ignore"):
                want = prim.impl(*[np.asarray(a, _dtype(a)) for a in args], **params)
            assert type(got) is (bool if np.asarray(want).dtype == np.bool_ else float)
            np.testing.assert_allclose(got, want, rtol=4.5e-16, atol=0)  # 2 ulp: two libms
            if type(got) is float and got == 0:
                assert math.copysign(1, got) == math.copysign(1, float(want))
            checked += 1
    assert checked > 0


def _dtype(a):
    return np.bool_ if isinstance(a, bool) else np.float64


def _arguments(name, arity):
    if name == "select":
        return [(c, x, y) for c in (True, False) for x in (1.5, math.nan) for y in (-0.0, 2.0)]
    if arity == 1:
        return [(x,) for x in _GRID]
    return [(x, y) for x in _GRID for y in _GRID]


# Primitives with a float_impl that no Scalar operator records alone: lowered the same way
_UNARY_ONLY = [
    ("sin", tnp.sin, jnp.sin, [0.3, -2.0]),
    ("cos", tnp.cos, jnp.cos, [0.3, -2.0]),
    ("sqrt", tnp.sqrt, jnp.sqrt, [0.3, 4.0]),
    ("log1p", tnp.log1p, jnp.log1p, [0.3, -0.5]),
    ("expm1", tnp.expm1, jnp.expm1, [0.3, -2.0]),
    (
        "compare",  # lt, ne and select
        lambda v: tnp.where(v < 1.0, v * v, tnp.where(v != 2.0, -v, 3.0 * v)),
        lambda v: jnp.where(v < 1.0, v * v, jnp.where(v != 2.0, -v, 3.0 * v)),
        [0.5, 1.5, 2.0],
    ),
    ("compare_ge", lambda v: tnp.where(v >= 1.0, v, 0.5 * v), None, [0.5, 1.0, 1.5]),
]


@pytest.mark.parametrize("name, tfn, jax_fn, points", _UNARY_ONLY, ids=[u[0] for u in _UNARY_ONLY])
def test_other_float_impls_lowered_like_the_operators(name, tfn, jax_fn, points):
    jax_fn = jax_fn or (lambda v: jnp.where(v >= 1.0, v, 0.5 * v))
    for v in points:
        traced_x = ag.Scalar(v)
        traced = ag.record(name, tfn, traced_x)  # not an operator's function: traced
        traced.backward()
        template = _fast.make_template(ag.record, name, tfn, (traced_x,), ag.Scalar, traced)
        float_op = _fast.lower_to_floats(name, template, ("s",), _node._scalar_parts())
        assert type(float_op) is _fast.FloatOp, "not lowered to floats"
        x = ag.Scalar(v)
        y = float_op.make(x)
        y.backward()
        assert y._fast is float_op
        np.testing.assert_allclose(y.value, traced.value, rtol=1e-15)
        np.testing.assert_allclose(x.grad, traced_x.grad, rtol=1e-15)
        np.testing.assert_allclose(x.grad, float(jax.grad(jax_fn)(np.float64(v))), rtol=1e-13)


def test_debug_nans_sees_scalar_ops():
    """A NaN made on floats is computed again by NumPy, where debug_nans catches it."""
    import trace_ag as tag

    x = ag.Scalar(-1.0)
    with np.errstate(invalid="ignore"):
        x.log(), x.log()  # traced, then made on floats
    tag.config.update("debug_nans", True)
    try:
        with pytest.raises(FloatingPointError, match="log"), np.errstate(invalid="ignore"):
            x.log()
        y = x * 2.0
        y = x * 2.0  # finite: on floats
        assert y._fast is not None
    finally:
        tag.config.update("debug_nans", False)
    with pytest.warns(RuntimeWarning):
        assert math.isnan(x.log().value)  # off again: NumPy's nan, with its warning
