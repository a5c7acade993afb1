"""The lecture's PyTorch-lite with ``ag.Scalar``: a 1-hidden-layer ReLU network fitted to a 1-D
function with a ``Model``, a ``Loss`` and an ``Optimizer`` class, written as on the slides (the
import is the only change). Then "Check gradients!": the Scalar gradients against ``ag.grad`` of
the same network written functionally with ``trace_ag.numpy``.

Run:  python examples/lecture/scalar_relu_fit.py [--n-hidden 20 --n-samples 30 --epochs 100]
"""

from __future__ import annotations

import argparse

import numpy as np

import trace_ag as tag
import trace_ag.lecture as ag
import trace_ag.numpy as tnp


class Model:
    def __init__(self, n_hidden, rng_seed=42):
        np.random.seed(rng_seed)

        w1np = np.random.randn(n_hidden)
        b1np = np.random.randn(n_hidden)
        w2np = np.random.randn(n_hidden) / np.sqrt(n_hidden)
        b2np = np.random.randn(1)

        self.w1 = [ag.Scalar(val) for val in w1np]
        self.b1 = [ag.Scalar(val) for val in b1np]
        self.w2 = [ag.Scalar(val) for val in w2np]
        self.b2 = [ag.Scalar(val) for val in b2np]

        self.parameters = self.w1 + self.b1 + self.w2 + self.b2

    def forward(self, x):
        # x is a 1-dimensional numpy array
        # "upgrade" x into ag.Scalars
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
        # mean squared error
        assert len(predictions) == len(targets)
        n_samples = len(predictions)
        loss = ag.Scalar(0.0)
        for prediction, target in zip(predictions, targets, strict=True):
            loss = loss + (prediction - target) ** 2
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


# ---- the same network in the functional API: one function of arrays, differentiated by tag.grad
def functional_loss(params, x, y):
    hidden = tnp.relu(tnp.outer(x, params["w1"]) + params["b1"])
    return tnp.mean((hidden @ params["w2"] + params["b2"] - y) ** 2)


def scalar_gradients(model, x, y):
    """The gradients ``loss.backward()`` leaves on the Scalars, as arrays."""
    for p in model.parameters:
        p.grad = 0.0
    Loss().mse(model.forward(x), y).backward()
    as_array = lambda ps: np.array([p.grad for p in ps])  # noqa: E731
    return {"w1": as_array(model.w1), "b1": as_array(model.b1), "w2": as_array(model.w2),
            "b2": model.b2[0].grad}  # fmt: skip


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-hidden", type=int, default=20)
    parser.add_argument("--n-samples", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args(argv)

    xnp = np.linspace(-2, 2, args.n_samples)
    ynp = np.sin(1.5 * xnp)

    model = Model(n_hidden=args.n_hidden)
    loss_fn = Loss()
    optimizer = Optimizer(model.parameters, lr=args.lr)

    for epoch in range(args.epochs):
        optimizer.zero_grad()
        output = model.forward(xnp)
        loss = loss_fn.mse(output, ynp)
        loss.backward()
        optimizer.step()
        if epoch % 10 == 0 or epoch == args.epochs - 1:
            print(f"Iteration {epoch}, Loss: {loss.value}")

    print("\nCheck gradients!")
    grads = scalar_gradients(model, xnp, ynp)
    params = {
        "w1": np.array([p.value for p in model.w1]),
        "b1": np.array([p.value for p in model.b1]),
        "w2": np.array([p.value for p in model.w2]),
        "b2": model.b2[0].value,
    }
    reference = tag.grad(functional_loss)(params, xnp, ynp)
    np.set_printoptions(precision=8, threshold=6, edgeitems=2)
    print("Gradients w.r.t...          ag.Scalar loss.backward()  |  trace_ag.grad(functional)")
    for k in ("w1", "b1", "w2", "b2"):
        print(f"  {k}: {grads[k]}\n      {np.asarray(reference[k])}")
    diff = max(float(np.max(np.abs(grads[k] - reference[k]))) for k in grads)
    print(f"max |difference| = {diff:.3e}")
    return diff


if __name__ == "__main__":
    main()
