"""Training pieces for the lecture: losses (``mse``, ``cross_entropy``, ``binary_cross_entropy``)
recorded as trace_ag.numpy programs, and optimizers (``SGD`` with momentum, ``Adam``) that
update ``.value`` from ``.grad`` in place, PyTorch style: ``zero_grad()``, ``backward()``,
``step()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag import numpy as tnp
from trace_ag.lecture._node import Node, record
from trace_ag.lecture._tensor import Scalar


def mse(predictions: Any, targets: Any) -> Node:
    """Mean squared error ``mean((predictions - targets) ** 2)``.

    ``predictions`` may be a Tensor or a list of Scalars (as the lecture's ``Model`` returns).

    Examples:
        >>> import trace_ag.lecture as ag
        >>> ag.mse(ag.Tensor([1.0, 2.0]), np.array([1.0, 4.0])).value
        array(2.)
    """
    if isinstance(predictions, (list, tuple)):
        if len(predictions) != len(targets):
            raise errors.ShapeError(
                errors.at_user_line(
                    f"mse: {len(predictions)} predictions but {len(targets)} targets"
                )
            )
        loss = Scalar(0.0)
        for p, t in zip(predictions, targets, strict=True):
            loss = loss + (p - t) ** 2
        return loss / len(predictions)
    return record("mse", lambda p, t: tnp.mean((p - t) ** 2), predictions, targets)


def _labels(labels: Any, logits_shape: tuple[int, ...]) -> np.ndarray:
    labels = np.asarray(labels.value if isinstance(labels, Node) else labels)
    batch = logits_shape[:-1]
    if labels.shape != batch or (labels.dtype.kind == "f" and np.any(labels != labels.round())):
        raise errors.ShapeError(
            errors.at_user_line(
                f"cross_entropy: logits of shape {logits_shape} need integer labels of shape "
                f"{batch}, got labels of shape {labels.shape} and dtype {labels.dtype}"
            )
        )
    labels = labels.astype(np.intp)
    n_classes = logits_shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise errors.ShapeError(
            errors.at_user_line(
                f"cross_entropy: labels must lie in [0, {n_classes}) for logits of shape "
                f"{logits_shape}, got values from {labels.min()} to {labels.max()}"
            )
        )
    return labels


def cross_entropy(logits: Any, labels: Any) -> Node:
    """Mean of ``-log softmax(logits)[label]``, computed with log-sum-exp (no overflow).

    ``logits`` is ``(N, classes)`` with integer ``labels`` of shape ``(N,)``, or one sample
    ``(classes,)`` with an integer label: the lecture's ``L(z, y)``. Stable at logits of 1e4.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> ag.cross_entropy(ag.Tensor([[1e4, 0.0, -1e4]]), [0]).value
        array(0.)
    """
    shape = np.shape(logits.value if isinstance(logits, Node) else logits)
    if len(shape) not in (1, 2):
        raise errors.ShapeError(
            errors.at_user_line(
                f"cross_entropy: logits must be (classes,) or (N, classes), got shape {shape}"
            )
        )
    y = _labels(labels, shape)
    rows = np.arange(shape[0]) if len(shape) == 2 else ()

    def loss(z):
        picked = z[(rows, y)] if len(shape) == 2 else z[y]
        return tnp.mean(tnp.logsumexp(z, axis=-1) - picked)

    return record("cross_entropy", loss, logits)


def binary_cross_entropy(probs: Any, targets: Any) -> Node:
    """``-mean(t * log(p) + (1 - t) * log(1 - p))`` for probabilities ``p`` (Exercise 2.3).

    ``p`` is clipped to ``[eps, 1 - eps]`` (``eps`` the dtype's machine epsilon), so a
    saturated sigmoid gives a large finite loss rather than ``inf`` or ``nan``.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> loss = ag.binary_cross_entropy(ag.Tensor([0.9, 0.2]), np.array([1.0, 0.0]))
        >>> round(float(loss.value), 6)
        0.164252
    """

    def loss(p, t):
        eps = float(np.finfo(p.dtype).eps)
        p = tnp.clip(p, eps, 1 - eps)
        return -tnp.mean(t * tnp.log(p) + (1 - t) * tnp.log(1 - p))

    return record("binary_cross_entropy", loss, probs, targets)


class Optimizer:
    """Holds the parameters; ``zero_grad()`` resets their ``.grad``, ``step()`` updates them."""

    def __init__(self, params: Iterable[Node], lr: float):
        self.params: list[Node] = list(params)
        bad = [type(p).__name__ for p in self.params if not isinstance(p, Node)]
        if bad:
            raise TypeError(
                errors.at_user_line(
                    f"{type(self).__name__}: parameters must be ag.Scalar or ag.Tensor, "
                    f"got {bad[0]}"
                )
            )
        self.lr = lr

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = p._zero_grad()

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent, with heavy-ball momentum when ``momentum > 0`` (as ``torch.optim.SGD``).

    Examples:
        >>> import trace_ag.lecture as ag
        >>> w = ag.Tensor([1.0]); opt = ag.SGD([w], lr=0.1)
        >>> opt.zero_grad(); ag.sum(w * w).backward(); opt.step(); w.value
        array([0.8])
    """

    def __init__(self, params: Iterable[Node], lr: float = 0.01, momentum: float = 0.0):
        super().__init__(params, lr)
        self.momentum = momentum
        self.velocity: list[Any] = [None] * len(self.params)

    def step(self) -> None:
        for i, p in enumerate(self.params):
            update = p.grad
            if self.momentum:
                v = self.velocity[i]
                update = self.velocity[i] = update if v is None else self.momentum * v + update
            p.value = p.value - self.lr * update  # a new value: recorded graphs keep the old


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction, as ``torch.optim.Adam``.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> w = ag.Tensor([1.0]); opt = ag.Adam([w], lr=0.1)
        >>> opt.zero_grad(); ag.sum(w * w).backward(); opt.step(); w.value
        array([0.9])
    """

    def __init__(
        self,
        params: Iterable[Node],
        lr: float = 0.001,
        betas: Sequence[float] = (0.9, 0.999),
        eps: float = 1e-8,
    ):
        super().__init__(params, lr)
        self.betas, self.eps, self.t = tuple(betas), eps, 0
        self.m: list[Any] = [0.0] * len(self.params)
        self.v: list[Any] = [0.0] * len(self.params)

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        for i, p in enumerate(self.params):
            g = np.asarray(p.grad)
            self.m[i] = b1 * self.m[i] + (1 - b1) * g
            self.v[i] = b2 * self.v[i] + (1 - b2) * g * g
            m_hat = self.m[i] / (1 - b1**self.t)
            v_hat = self.v[i] / (1 - b2**self.t)
            p.value = p.value - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
