"""Losses and metrics on a batch, written with ``trace_ag.numpy`` so they differentiate and jit.

Classification losses take *logits* and work through ``log_softmax`` / ``softplus``, which
never overflow: logits of 1e4 give a finite loss and gradient. Each loss is the batch mean.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import trace_ag.numpy as tnp
from nn.errors import shape_error


def mse(predictions: Any, targets: Any) -> Any:
    """Mean squared error.

    Examples:
        >>> float(mse(np.array([1.0, 2.0]), np.array([1.0, 4.0])))
        2.0
    """
    if np.shape(predictions) != np.shape(targets):
        raise shape_error(
            "mse", f"predictions {np.shape(predictions)} and targets {np.shape(targets)} differ"
        )
    return tnp.mean((predictions - targets) ** 2)


def _is_integer_labels(logits: Any, labels: Any) -> bool:
    if np.issubdtype(np.dtype(labels.dtype), np.integer):
        if np.shape(labels) != np.shape(logits)[:-1]:
            raise shape_error(
                "cross_entropy",
                f"integer labels of shape {np.shape(labels)} for logits of shape "
                f"{np.shape(logits)}: expected {np.shape(logits)[:-1]}",
            )
        return True
    if np.shape(labels) != np.shape(logits):
        raise shape_error(
            "cross_entropy",
            f"one-hot labels of shape {np.shape(labels)} for logits of shape {np.shape(logits)}: "
            "they must match (or pass integer class labels)",
        )
    return False


def cross_entropy(logits: Any, labels: Any) -> Any:
    """Softmax cross-entropy of ``logits: (N, K)`` against integer labels ``(N,)`` or one-hot
    (or probability) labels ``(N, K)``, averaged over the batch.

    Examples:
        >>> float(cross_entropy(np.array([[1e4, 0.0]]), np.array([1])))  # finite
        10000.0
        >>> round(float(cross_entropy(np.array([[0.0, 0.0]]), np.array([[0.0, 1.0]]))), 4)
        0.6931
    """
    labels = tnp.asarray(labels)
    log_p = tnp.log_softmax(logits, axis=-1)
    if _is_integer_labels(logits, labels):
        rows = np.arange(int(np.prod(np.shape(labels))))
        picked = tnp.reshape(log_p, (rows.size, -1))[rows, tnp.reshape(labels, (-1,))]
        return -tnp.mean(picked)
    return -tnp.mean(tnp.sum(labels * log_p, axis=-1))


def softplus(x: Any) -> Any:
    """``log(1 + exp(x))`` without overflow, gradient ``sigmoid(x)`` everywhere (also at 0).

    Examples:
        >>> np.round(softplus(np.array([-1e4, 0.0, 1e4])), 4).tolist()  # [0, log 2, 1e4]
        [0.0, 0.6931, 10000.0]
    """
    return tnp.logsumexp(tnp.stack([x, tnp.zeros_like(x)]), axis=0)


def binary_cross_entropy_with_logits(logits: Any, labels: Any) -> Any:
    """Sigmoid cross-entropy ``softplus(x) - x * y``, averaged; labels in [0, 1].

    Examples:
        >>> loss = binary_cross_entropy_with_logits(np.array([0.0]), np.array([1.0]))
        >>> round(float(loss), 4)  # log 2
        0.6931
    """
    if np.shape(logits) != np.shape(labels):
        raise shape_error(
            "binary_cross_entropy_with_logits",
            f"logits {np.shape(logits)} and labels {np.shape(labels)} differ",
        )
    return tnp.mean(softplus(logits) - logits * labels)


def accuracy(logits: Any, labels: Any) -> Any:
    """The fraction of rows whose largest logit is the label (integer or one-hot).

    Examples:
        >>> float(accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1])))
        0.5
    """
    labels = tnp.asarray(labels)
    if not _is_integer_labels(logits, labels):
        labels = tnp.argmax(labels, axis=-1)
    return tnp.mean(tnp.astype(tnp.argmax(logits, axis=-1) == labels, np.float32))
