"""The lecture's object API (``trace_ag.lecture``): the slides' numbers, every leaf's ``.grad``
against ``trace_ag.grad`` of the same program and against JAX in float64, the PyTorch-lite
pieces, im2col and the examples under examples/lecture/ run with tiny settings.

Programs are written once against a namespace ``m`` that is ``trace_ag.lecture``,
``trace_ag.numpy`` or ``jax.numpy`` (they share NumPy's names), so all three faces run the very
same code.
"""

import subprocess
import sys
import types
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax import lax
from scipy import sparse

import trace_ag as tag
import trace_ag.lecture as ag
import trace_ag.numpy as tnp
from trace_ag import convolution

jax.config.update("jax_enable_x64", True)

THIS_FILE = "test_lecture.py"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "lecture"
JNP = types.SimpleNamespace(
    **{n: getattr(jnp, n) for n in ("exp", "log", "sum", "mean", "reshape", "moveaxis", "tanh")},
    matmul=jnp.matmul,
    relu=jax.nn.relu,
    sigmoid=jax.nn.sigmoid,
)
TOL = dict(rtol=1e-12, atol=1e-12)


def three_ways(program, *inputs):
    """Run ``program(m, *leaves)`` as lecture Scalars/Tensors (backward), under trace_ag.grad
    and under jax.grad; return the three lists of gradients (one per input)."""
    leaves = [ag.Scalar(x) if isinstance(x, float) else ag.Tensor(x) for x in inputs]
    out = program(ag, *leaves)
    out.backward()
    lecture = [np.asarray(leaf.grad) for leaf in leaves]
    argnums = tuple(range(len(inputs)))
    functional = tag.grad(lambda *xs: program(tnp, *xs), argnums=argnums)(*inputs)
    reference = jax.grad(lambda *xs: program(JNP, *xs), argnums=argnums)(*inputs)
    value = program(JNP, *inputs)
    np.testing.assert_allclose(out.value, value, **TOL)
    return lecture, [np.asarray(g) for g in functional], [np.asarray(g) for g in reference]


def assert_three_ways(program, *inputs):
    lecture, functional, reference = three_ways(program, *inputs)
    for got, same, ref in zip(lecture, functional, reference, strict=True):
        assert got.shape == ref.shape
        np.testing.assert_allclose(got, same, **TOL)
        np.testing.assert_allclose(got, ref, **TOL)


# ---------------------------------------------------------------- the slides' programs


def lecture_f(m, x, y):
    """f(x, y) = log(1 + e^-(x+y)) (x + y), the first computational graph."""
    s = x + y
    return m.log(1 + m.exp(-s)) * s


def brute_force_dot(m, x1, x2, x3, y1, y2, y3):
    return x1 * y1 + x2 * y2 + x3 * y3


def scalar_cross_entropy(m, z1, z2, z3):
    expz1, expz2, expz3 = m.exp(z1), m.exp(z2), m.exp(z3)
    return -m.log(expz1 / (expz1 + expz2 + expz3))


def tensor_cross_entropy(m, z):
    expX = m.exp(z)
    p = expX / m.sum(expX)
    return -m.log(p[0])  # negative log-likelihood


def test_slide_scalar_graph_numbers():
    x, y = ag.Scalar(1.5, label="x"), ag.Scalar(-0.3, label="y")
    f = lecture_f(ag, x, y)
    f.backward()
    s = 1.2
    assert f.value == pytest.approx(np.log1p(np.exp(-s)) * s, rel=1e-15)
    expected = np.log1p(np.exp(-s)) - s * np.exp(-s) / (1 + np.exp(-s))
    assert x.grad == pytest.approx(expected, rel=1e-14) and y.grad == x.grad
    assert isinstance(f, ag.Scalar) and isinstance(f.value, float) and f.op == "mul"
    assert isinstance(x.grad, float) and x.is_leaf and not f.is_leaf


@pytest.mark.parametrize(
    "program, inputs",
    [
        (lecture_f, (1.5, -0.3)),
        (brute_force_dot, (1.0, 2.0, 3.0, -1.0, 0.5, 2.0)),
        (scalar_cross_entropy, (0.3, -1.2, 2.0)),
    ],
    ids=["f(x,y)", "brute-force dot", "scalar cross-entropy"],
)
def test_scalar_slides_against_grad_and_jax(program, inputs):
    assert_three_ways(program, *inputs)


def test_scalar_cross_entropy_is_softmax_minus_one_hot():
    z = [ag.Scalar(v) for v in (0.3, -1.2, 2.0)]
    scalar_cross_entropy(ag, *z).backward()
    softmax = np.exp([0.3, -1.2, 2.0]) / np.exp([0.3, -1.2, 2.0]).sum()
    np.testing.assert_allclose([v.grad for v in z], softmax - [1, 0, 0], **TOL)


def test_tensor_cross_entropy_slide():
    np.random.seed(0)
    z = ag.Tensor(np.random.randn(3), label="z1\nleaf(z)")
    nll = tensor_cross_entropy(ag, z)
    nll.backward()
    softmax = np.exp(z.value) / np.exp(z.value).sum()
    np.testing.assert_allclose(z.grad, softmax - [1, 0, 0], **TOL)
    assert z.grad.shape == z.value.shape  # the slide's star: same shape
    assert nll.op == "neg" and nll.inputs[0].op == "log"
    ops = [e.primitive.name for e in nll.to_graph().eqns]
    assert ops == ["exp", "sum", "div", "getitem", "log", "neg"]
    assert_three_ways(tensor_cross_entropy, z.value)


def test_intermediate_nodes_get_their_gradients_too():
    """As in the lecture's implementation, ``backward`` fills ``.grad`` of every node."""
    z = ag.Tensor(np.array([0.5, -1.0, 2.0]))
    expX = ag.exp(z)
    total = ag.sum(expX)
    p = expX / total
    nll = -ag.log(p[0])
    nll.backward()
    assert nll.grad == 1.0
    np.testing.assert_allclose(p.grad, [-1 / p.value[0], 0, 0], **TOL)
    np.testing.assert_allclose(total.grad, 1 / total.value, **TOL)
    np.testing.assert_allclose(expX.grad, p.grad / total.value + 1 / total.value, **TOL)


def test_slide_style_hand_written_ops_run_unchanged():
    """The slides build ops by hand: ``ag.Tensor(..., inputs=[...], op=...)`` + ``_backward``."""

    def log(input):
        output = ag.Tensor(np.log(input.value), inputs=[input], op="log")

        def _backward():
            input.grad += output.grad / input.value
            return None

        output._backward = _backward
        return output

    def mul(a, b):  # Scalar style, micrograd's way
        out = ag.Scalar(a.value * b.value, inputs=[a, b], op="mul")

        def _backward():
            a.grad += b.value * out.grad
            b.grad += a.value * out.grad

        out._backward = _backward
        return out

    weights = np.array([1.0, 2.0, 3.0])
    grads = []
    for log_fn in (log, ag.log):
        z = ag.Tensor([0.5, 1.0, 2.0])
        ag.sum(ag.tanh(log_fn(z * 2.0)) * weights).backward()
        grads.append(z.grad)
    np.testing.assert_allclose(grads[0], grads[1], **TOL)
    x = ag.Scalar(3.0)
    (mul(x, x) + x).backward()
    assert x.grad == 7.0
    z = ag.Tensor([0.5, 1.0])
    assert "log (own _backward)" in ag.draw_dot(ag.sum(log(z)))


def test_a_wrong_hand_written_backward_is_reported_with_shapes():
    def reshape_unfixed(input, newshape):
        output = ag.Tensor(np.reshape(input.value, newshape), inputs=[input], op="reshape")

        def _backward():
            input.grad += output.grad

        output._backward = _backward
        return output

    with pytest.raises(tag.ShapeError) as info:
        ag.sum(reshape_unfixed(ag.Tensor(np.ones((2, 3))), (-1,)) * np.arange(6.0)).backward()
    message = str(info.value)
    assert "_backward of 'reshape'" in message and "(6,)" in message and "(2, 3)" in message
    assert THIS_FILE in message


def test_matmul_dot_product_gradients():
    x, y = ag.Tensor([1.0, 2.0, 3.0]), ag.Tensor([-1.0, 0.5, 2.0])
    ag.matmul(x, y).backward()
    np.testing.assert_array_equal(x.grad, y.value)
    np.testing.assert_array_equal(y.grad, x.value)


# ---------------------------------------------------------------- tensors: a table of programs

RNG = np.random.default_rng(0)
W_CONST = RNG.standard_normal((2, 4))
ROWS, LABELS = np.array([0, 1, 2, 0, 1]), np.array([2, 0, 1, 2, 1])
TENSOR_PROGRAMS = {
    "unbroadcast mul (2,3,1,5,6)*(4,1,6)": (
        lambda m, a, b: m.sum(m.tanh(a * b)),
        (RNG.standard_normal((2, 3, 1, 5, 6)), RNG.standard_normal((4, 1, 6))),
    ),
    "sum axis / keepdims": (
        lambda m, x: m.sum(m.sum(x, axis=1) ** 2) + m.sum(x * m.sum(x, axis=0, keepdims=True)),
        (RNG.standard_normal((3, 4)),),
    ),
    "reshape (Exercise 2.1)": (
        lambda m, x: m.sum(m.tanh(m.reshape(x, (3, -1)) @ W_CONST)),
        (RNG.standard_normal((2, 3)),),
    ),
    "indexing loss (Exercise 2.2)": (
        lambda m, z: m.mean(
            -m.log((m.exp(z) / m.sum(m.exp(z), axis=1, keepdims=True))[ROWS, LABELS])
        ),
        (RNG.standard_normal((5, 3)),),
    ),
    "binary cross-entropy (Exercise 2.3)": (
        lambda m, X, w, b: (
            -m.mean(
                LABELS % 2 * m.log(m.sigmoid(X @ w + b))
                + (1 - LABELS % 2) * m.log(1 - m.sigmoid(X @ w + b))
            )
        ),
        (RNG.standard_normal((5, 2)), RNG.standard_normal(2), RNG.standard_normal(())),
    ),
    "relu mlp": (
        lambda m, x, w1, b1, w2: m.mean((m.relu(x @ w1 + b1) @ w2 - 1.0) ** 2),
        tuple(RNG.standard_normal(s) for s in ((5, 2), (2, 4), (4,), (4, 1))),
    ),
    "sub div pow neg": (
        lambda m, x, y: m.sum((x - y) ** 3 / (1 + y * y)) - m.mean(-x) + m.sum(2.0**y),
        (RNG.standard_normal(4), RNG.standard_normal(4)),
    ),
    "slices, transpose, moveaxis": (
        lambda m, x, t: (
            m.sum(x[1:, 0:4:2] * x[:-1, 1::2]) + m.sum(x @ x.T) + m.mean(m.moveaxis(t, 0, -1) ** 2)
        ),
        (RNG.standard_normal((4, 5)), RNG.standard_normal((2, 3, 4))),
    ),
    "constants mixed in (numpy array on the left)": (
        lambda m, x: m.sum(W_CONST[0] * x - np.ones(4) / (2.0 + m.exp(x))),
        (RNG.standard_normal(4),),
    ),
}


@pytest.mark.parametrize("name", list(TENSOR_PROGRAMS))
def test_tensor_programs_against_grad_and_jax(name):
    program, inputs = TENSOR_PROGRAMS[name]
    assert_three_ways(program, *inputs)


def test_repeated_indices_accumulate():
    """The slide's ``self.grad[idx] += output.grad  # idx must not have repeats!`` is fixed."""
    x = ag.Tensor([1.0, 2.0, 3.0])
    ag.sum(x[[0, 0, 2]]).backward()
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 1.0])
    assert "repeat" in ag.Tensor.__getitem__.__doc__


def test_lecture_unbroadcast_example():
    X1, X2 = RNG.standard_normal((2, 3, 1, 5, 6)), RNG.standard_normal((4, 1, 6))
    g = RNG.standard_normal((X1 * X2).shape)
    assert g.shape == (2, 3, 4, 5, 6)
    np.testing.assert_allclose(ag.unbroadcast(g * X2, X1.shape), (g * X2).sum(2, keepdims=True))
    np.testing.assert_allclose(ag.unbroadcast(g * X1, X2.shape), (g * X1).sum((0, 1, 3))[:, None])
    a, b = ag.Tensor(X1), ag.Tensor(X2)
    (a * b).backward(g)
    np.testing.assert_allclose(a.grad, ag.unbroadcast(g * X2, X1.shape), **TOL)
    np.testing.assert_allclose(b.grad, ag.unbroadcast(g * X1, X2.shape), **TOL)
    t = ag.unbroadcast(ag.Tensor(g), X2.shape)  # on a Tensor it records and differentiates
    assert t.shape == X2.shape and t.op == "unbroadcast"


def test_sum_backward_is_expand_dims():
    x = ag.Tensor(RNG.standard_normal((2, 3, 4)))
    g = RNG.standard_normal((2, 4))
    ag.sum(x, axis=1).backward(g)
    np.testing.assert_array_equal(x.grad, np.broadcast_to(np.expand_dims(g, 1), x.shape))


# ---------------------------------------------------------------- backward() semantics


def test_backward_accumulates_and_zero_grad_resets():
    w = ag.Tensor([1.0, -2.0])
    for _ in range(2):
        ag.sum(w * w).backward()
    np.testing.assert_array_equal(w.grad, 2 * 2 * w.value)
    ag.SGD([w], lr=0.1).zero_grad()
    np.testing.assert_array_equal(w.grad, [0.0, 0.0])
    w.grad = 0.0  # the slides' Optimizer writes a float: accumulation still works
    ag.sum(w * 3.0).backward()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0])


def test_five_thousand_deep_chain():
    x = ag.Scalar(0.5)
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0001**5000, rel=1e-12)
    t = ag.Tensor(np.ones(3))
    u = t
    for _ in range(5000):
        u = ag.tanh(u) + t
    ag.sum(u).backward()
    assert np.all(np.isfinite(t.grad))


def test_non_scalar_backward_without_seed_raises_clearly():
    out = ag.exp(ag.Tensor([1.0, 2.0]))
    with pytest.raises(tag.ShapeError) as info:
        out.backward()
    message = str(info.value)
    assert "Tensor.backward" in message and "(2,)" in message and "scalar" in message
    assert THIS_FILE in message and "out.backward()" in message
    with pytest.raises(tag.ShapeError, match=r"seed gradient has shape \(3,\)"):
        out.backward(np.ones(3))


def test_shape_errors_name_the_op_the_shapes_and_the_line():
    with pytest.raises(tag.ShapeError) as info:
        ag.Tensor(np.ones(3)) + ag.Tensor(np.ones(4))
    message = str(info.value)
    assert "add" in message and "(3,)" in message and "(4,)" in message and THIS_FILE in message


def test_values_types_and_constants():
    t = ag.Tensor(np.arange(3))
    assert t.value.dtype == np.float64 and t.grad.shape == (3,)
    s = np.arange(3.0) * ag.Scalar(2.0)  # NumPy defers to the reflected operator
    assert isinstance(s, ag.Tensor) and s.shape == (3,)
    assert isinstance(2.0 - ag.Scalar(1.0), ag.Scalar)
    assert t.reshape(3, 1).shape == (3, 1) and t.reshape(-1, 1).T.shape == (1, 3)


def test_student_training_loop_brings_the_loss_down():
    """The slides' PyTorch-lite, written as a student would."""

    class Model:
        def __init__(self, n_hidden, rng_seed=42):
            np.random.seed(rng_seed)
            self.w1 = [ag.Scalar(val) for val in np.random.randn(n_hidden)]
            self.b1 = [ag.Scalar(val) for val in np.random.randn(n_hidden)]
            self.w2 = [ag.Scalar(val) for val in np.random.randn(n_hidden) / n_hidden]
            self.b2 = [ag.Scalar(val) for val in np.random.randn(1)]
            self.parameters = self.w1 + self.b1 + self.w2 + self.b2

        def forward(self, x):
            x_scalar = [ag.Scalar(val) for val in x]
            outputs = []
            for xi in x_scalar:
                out = self.b2[0]
                for w1, b1, w2 in zip(self.w1, self.b1, self.w2, strict=True):
                    out = out + w2 * ag.relu(w1 * xi + b1)
                outputs.append(out)
            return outputs

    class Loss:
        def mse(self, predictions, targets):
            assert len(predictions) == len(targets)
            n_samples = len(predictions)
            loss = ag.Scalar(0.0)
            for i in range(n_samples):
                loss = loss + (predictions[i] - targets[i]) ** 2
            return loss / n_samples

    class Optimizer:
        def __init__(self, parameters, lr=0.01):
            self.parameters = parameters
            self.lr = lr

        def zero_grad(self):
            for param in self.parameters:
                param.grad = 0.0

        def step(self):
            for param in self.parameters:
                param.value -= self.lr * param.grad

    xnp = np.linspace(-2, 2, 12)
    ynp = np.sin(1.5 * xnp)
    model = Model(n_hidden=6)
    loss_fn = Loss()
    optimizer = Optimizer(model.parameters, lr=0.1)
    losses = []
    for _ in range(40):
        optimizer.zero_grad()
        output = model.forward(xnp)
        loss = loss_fn.mse(output, ynp)
        loss.backward()
        optimizer.step()
        losses.append(loss.value)
    assert losses[-1] < 0.5 * losses[0]
    assert all(isinstance(p.value, float) for p in model.parameters)


# ---------------------------------------------------------------- losses and optimizers


def test_cross_entropy_is_stable_at_1e4():
    logits = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]])
    z = ag.Tensor(logits)
    loss = ag.cross_entropy(z, [0, 2])
    loss.backward()
    reference = -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(2), jnp.array([0, 2])])
    np.testing.assert_allclose(loss.value, reference, **TOL)
    assert np.all(np.isfinite(z.grad))
    np.testing.assert_allclose(z.grad, [[0, 0, 0], [0, 0.25, -0.25]], atol=1e-12)
    assert ag.cross_entropy(ag.Tensor([1e4, 0.0]), 1).value == pytest.approx(1e4)
    with pytest.raises(tag.ShapeError, match=r"labels must lie in \[0, 3\)"):
        ag.cross_entropy(z, [0, 3])


def test_binary_cross_entropy_matches_formula_and_saturates_finitely():
    p, t = np.array([0.9, 0.2, 0.6]), np.array([1.0, 0.0, 1.0])
    probs = ag.Tensor(p)
    loss = ag.binary_cross_entropy(probs, t)
    loss.backward()
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(loss.value, expected, **TOL)
    np.testing.assert_allclose(probs.grad, -(t / p - (1 - t) / (1 - p)) / 3, **TOL)
    saturated = ag.binary_cross_entropy(ag.Tensor([0.0, 1.0]), np.array([1.0, 0.0]))
    assert np.isfinite(saturated.value) and saturated.value > 30


def test_mse_on_tensors_and_on_lists_of_scalars():
    assert ag.mse(ag.Tensor([1.0, 2.0]), np.array([1.0, 4.0])).value == 2.0
    assert ag.mse([ag.Scalar(1.0), ag.Scalar(2.0)], [1.0, 4.0]).value == 2.0


@pytest.mark.parametrize(
    "make, reference",
    [
        (lambda ps: ag.SGD(ps, lr=0.1), optax.sgd(0.1)),
        (lambda ps: ag.SGD(ps, lr=0.1, momentum=0.9), optax.sgd(0.1, momentum=0.9)),
        (lambda ps: ag.Adam(ps, lr=0.05), optax.adam(0.05)),
    ],
    ids=["sgd", "sgd-momentum", "adam"],
)
def test_optimizers_match_optax(make, reference):
    target = np.array([1.0, -2.0, 0.5])
    w, c = ag.Tensor(np.zeros(3)), ag.Scalar(0.3)
    optimizer = make([w, c])
    params = {"w": np.zeros(3), "c": np.float64(0.3)}
    state = reference.init(params)
    loss = lambda p: jnp.sum((p["w"] - target) ** 2 * p["c"] ** 2) + p["c"] ** 4  # noqa: E731
    for _ in range(5):
        optimizer.zero_grad()
        (ag.sum((w - target) ** 2 * c**2) + c**4).backward()
        optimizer.step()
        updates, state = reference.update(jax.grad(loss)(params), state, params)
        params = optax.apply_updates(params, updates)
    np.testing.assert_allclose(w.value, params["w"], **TOL)
    assert c.value == pytest.approx(float(params["c"]), rel=1e-12)


# ---------------------------------------------------------------- modules, im2col, convolution


def test_module_registers_parameters():
    class Net(ag.Module):
        def __init__(self):  # no super().__init__(): still works
            self.fc = ag.Linear(3, 2, rng=np.random.default_rng(0))
            self.scale = ag.Tensor(1.0)

        def forward(self, x):
            return self.fc(x) * self.scale

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "fc.weight", "fc.bias"]
    assert net(ag.Tensor(np.ones((4, 3)))).shape == (4, 2)
    seq = ag.Sequential(ag.Linear(2, 3), ag.ReLU(), ag.Flatten(), ag.Linear(3, 1))
    assert len(seq.parameters()) == 4 and isinstance(seq[1], ag.ReLU)


LECTURE_X = np.arange(2 * 2 * 4 * 5).reshape(2, 2, 4, 5)


@pytest.mark.parametrize("build", [ag.im2col_matrix_dense, ag.im2col_matrix_sparse])
def test_im2col_matrices_give_the_lectures_x_patches(build):
    M = build(LECTURE_X, 2)
    assert M.shape == (2 * 4 * 5, 12 * 2 * 2 * 2)
    X_flat = LECTURE_X.reshape(2, -1)
    X_out = np.asarray(X_flat @ M)
    np.testing.assert_array_equal(
        X_out[0, :16], [0, 1, 5, 6, 20, 21, 25, 26, 1, 2, 6, 7, 21, 22, 26, 27]
    )
    X_patches = X_out.reshape(2, 12, 2, 2, 2)
    np.testing.assert_array_equal(X_patches[0, 0], [[[0, 1], [5, 6]], [[20, 21], [25, 26]]])
    np.testing.assert_array_equal(X_patches[0, 1], [[[1, 2], [6, 7]], [[21, 22], [26, 27]]])
    np.testing.assert_array_equal(X_patches[0, 3], [[[3, 4], [8, 9]], [[23, 24], [28, 29]]])
    np.testing.assert_array_equal(X_patches[0, 4], [[[5, 6], [10, 11]], [[25, 26], [30, 31]]])
    np.testing.assert_array_equal(X_patches[1, 0], [[[40, 41], [45, 46]], [[60, 61], [65, 66]]])
    np.testing.assert_array_equal(X_patches, convolution.im2col(LECTURE_X, 2))


def test_im2col_matrices_with_stride_match_the_core():
    X = RNG.standard_normal((2, 3, 7, 6))
    M = ag.im2col_matrix_dense(X, 3, 2)
    patches = (X.reshape(2, -1) @ M).reshape(2, -1, 3, 3, 3)
    np.testing.assert_array_equal(patches, convolution.im2col(X, 3, stride=2))
    np.testing.assert_array_equal(ag.im2col_matrix_sparse(X, 3, 2).toarray(), M)


@pytest.mark.parametrize("kind", ["im2col", "general"])
def test_spcmatmul_value_and_gradient(kind):
    if kind == "im2col":
        M = ag.im2col_matrix_sparse(np.zeros((1, 2, 4, 5)), 2)
    else:  # columns with several entries, and values other than 1
        M = sparse.random(7, 5, density=0.6, random_state=1, format="csr")
    x = ag.Tensor(RNG.standard_normal((3, M.shape[0])))
    y = ag.spcmatmul(x, M)
    np.testing.assert_allclose(y.value, x.value @ M.toarray(), **TOL)
    g = RNG.standard_normal(y.shape)
    y.backward(g)
    np.testing.assert_allclose(x.grad, g @ M.T.toarray(), **TOL)
    np.testing.assert_allclose(x.grad, np.asarray(M.dot(g.T).T), **TOL)
    with pytest.raises(tag.ShapeError, match="spcmatmul: shapes"):
        ag.spcmatmul(ag.Tensor(np.ones((2, 3))), M)


def conv_params(seed, methods=("sparse", "dense", "strided"), **kw):
    layers = []
    for method in methods:
        np.random.seed(seed)
        layers.append(ag.Conv2d(3, 4, kernel_size=3, method=method, **kw))
    return layers


def test_conv2d_methods_identical_outputs_and_gradients():
    X = RNG.standard_normal((2, 3, 8, 7))
    results = []
    for layer in conv_params(0, stride=2):
        x = ag.Tensor(X)
        y = layer(x)
        ag.sum(y * y).backward()
        results.append((y.value, x.grad, layer.weight.grad, layer.bias.grad))
    assert results[0][0].shape == (2, 4, 3, 3)
    for other in results[1:]:
        np.testing.assert_array_equal(other[0], results[0][0])
        for got, want in zip(other[1:], results[0][1:], strict=True):
            np.testing.assert_allclose(got, want, **TOL)


@pytest.mark.parametrize("method", ["sparse", "dense", "strided"])
def test_conv2d_against_functional_conv_and_jax(method):
    (layer,) = conv_params(1, methods=(method,), stride=2)
    X = RNG.standard_normal((2, 3, 7, 7))
    x = ag.Tensor(X)
    ag.sum(ag.tanh(layer(x))).backward()
    w, b = layer.weight.value, layer.bias.value

    def functional(X, w, b):
        return tnp.sum(tnp.tanh(convolution.conv2d(X, w, b, stride=2)))

    def reference(X, w, b):
        y = lax.conv_general_dilated(X, w, (2, 2), "VALID", precision=lax.Precision.HIGHEST)
        return jnp.sum(jnp.tanh(y + b[None, :, None, None]))

    for grads in (
        tag.grad(functional, (0, 1, 2))(X, w, b),
        jax.grad(reference, (0, 1, 2))(X, w, b),
    ):
        for got, want in zip((x.grad, layer.weight.grad, layer.bias.grad), grads, strict=True):
            np.testing.assert_allclose(got, want, **TOL)


def test_small_lenet_every_parameter_against_grad_and_jax():
    np.random.seed(3)
    net = ag.Sequential(
        ag.Conv2d(1, 2, kernel_size=3),
        ag.ReLU(),
        ag.AvgPool2d(2),
        ag.Conv2d(2, 3, kernel_size=2, method="dense"),
        ag.MaxPool2d(2),
        ag.Flatten(),
        ag.Linear(3 * 1 * 1, 4),
    )
    X, y = RNG.standard_normal((3, 1, 8, 8)), np.array([0, 3, 1])
    ag.cross_entropy(net(ag.Tensor(X)), y).backward()
    params = [p.value for p in net.parameters()]
    lecture = [p.grad for p in net.parameters()]

    def functional(ps, m, conv, avg, mx, ce):
        w1, b1, w2, b2, w3, b3 = ps
        h = avg(m.relu(conv(X, w1) + b1[None, :, None, None]))
        h = mx(conv(h, w2) + b2[None, :, None, None])
        return ce(m.reshape(h, (3, -1)) @ w3.T + b3)

    def tnp_ce(z):
        return tnp.mean(tnp.logsumexp(z, axis=1) - z[np.arange(3), y])

    def jax_ce(z):
        return -jnp.mean(jax.nn.log_softmax(z)[jnp.arange(3), y])

    def jax_conv(x, w):
        return lax.conv_general_dilated(x, w, (1, 1), "VALID", precision=lax.Precision.HIGHEST)

    def jax_pool(op, init):
        return lambda x: lax.reduce_window(x, init, op, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    ours = tag.grad(functional)(
        params,
        tnp,
        convolution.conv2d,
        lambda h: convolution.avg_pool2d(h, 2),
        lambda h: convolution.max_pool2d(h, 2),
        tnp_ce,
    )
    jaxs = jax.grad(
        lambda ps: functional(
            ps,
            JNP,
            jax_conv,
            lambda h: jax_pool(lax.add, 0.0)(h) / 4,
            jax_pool(lax.max, -jnp.inf),
            jax_ce,
        )
    )(params)
    for got, same, ref in zip(lecture, ours, jaxs, strict=True):
        np.testing.assert_allclose(got, same, **TOL)
        np.testing.assert_allclose(got, ref, **TOL)


# ---------------------------------------------------------------- the example scripts

TINY = {
    "scalar_relu_fit.py": ["--n-hidden", "3", "--n-samples", "4", "--epochs", "2"],
    "tensor_cross_entropy_graph.py": ["--out-dir", "{tmp}"],
    "exercise_2_1_reshape.py": [],
    "exercise_2_2_indexing.py": ["--n", "4"],
    "exercise_2_3_bce.py": ["--n", "20", "--epochs", "3"],
    "x_patches.py": [],
    "exercise_3_convolution.py": [],
    "lenet5.py": ["--epochs", "1", "--n-train", "32", "--n-test", "16", "--batch-size", "16"],
}


def test_every_example_is_tested():
    assert sorted(TINY) == sorted(p.name for p in EXAMPLES.glob("*.py"))


@pytest.mark.parametrize("script", sorted(TINY))
def test_example_runs(script, tmp_path):
    args = [a.format(tmp=tmp_path) for a in TINY[script]]
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    if script == "scalar_relu_fit.py":
        assert "Check gradients!" in done.stdout
        difference = float(done.stdout.rsplit("max |difference| = ", 1)[1].split()[0])
        assert difference < 1e-12
    if script == "x_patches.py":
        assert "dense == sparse: True" in done.stdout
        assert "dense == strided im2col: True" in done.stdout
    if script == "exercise_3_convolution.py":
        assert "[[ 9. 10. 11. 12.]" in done.stdout and "False" not in done.stdout
    if script == "tensor_cross_entropy_graph.py":
        assert (tmp_path / "cross_entropy_tensor.dot").read_text().startswith("digraph")


def test_scalar_replay_keeps_operands_apart():
    """The Scalar fast path replays recorded equations: a template first made from x * x must
    not replay a * b as b * b."""
    import trace_ag.lecture as lecture

    a, b = lecture.Scalar(3.0), lecture.Scalar(5.0)
    a * a
    c = a * b
    c.backward()
    assert (c.value, a.grad, b.grad) == (15.0, 5.0, 3.0)
