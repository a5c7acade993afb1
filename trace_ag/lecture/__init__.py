"""``import trace_ag.lecture as ag``: the lecture's object API, running on trace_ag's core.

``ag.Scalar`` and ``ag.Tensor`` hold ``.value``, ``.grad``, ``.op``, ``.inputs`` and ``.label``;
``loss.backward()`` adds d(loss)/d(leaf) to every leaf's ``.grad``. Underneath, every operation
records the same primitives ``trace_ag.grad`` traces, and ``backward()`` runs the same vjp
rules (``trace_ag.autodiff.backward_pass``): one set of rules, two faces. ``x.to_graph()``
shows what was recorded as a core IR graph, ``draw_dot(x)`` draws it.

Also here: the PyTorch-lite layers (``Module``, ``Linear``, ``Conv2d``, ``AvgPool2d``,
``MaxPool2d``, ``ReLU``, ``Flatten``, ``Sequential``), losses (``mse``, ``cross_entropy``,
``binary_cross_entropy``), optimizers (``SGD``, ``Adam``) and the lecture's im2col matrices.

Examples:
    >>> import numpy as np
    >>> import trace_ag.lecture as ag
    >>> z = ag.Tensor(np.array([1.0, 2.0, 3.0]), label="z1\\nleaf(z)")
    >>> expX = ag.exp(z)
    >>> p = expX / ag.sum(expX)
    >>> nll = -ag.log(p[0])
    >>> nll.backward()
    >>> z.grad.round(4)  # softmax(z) - [1, 0, 0]
    array([-0.91  ,  0.2447,  0.6652])
"""

from trace_ag import viz  # noqa: F401
from trace_ag.autodiff import grad, value_and_grad  # noqa: F401  (the functional face)
from trace_ag.lecture._draw import draw_dot  # noqa: F401
from trace_ag.lecture._functions import (  # noqa: F401
    exp,
    log,
    logsumexp,
    matmul,
    mean,
    moveaxis,
    relu,
    reshape,
    sigmoid,
    sum,
    tanh,
    unbroadcast,
)
from trace_ag.lecture._im2col import (  # noqa: F401
    im2col_matrix_dense,
    im2col_matrix_sparse,
    spcmatmul,
)
from trace_ag.lecture._nn import (  # noqa: F401
    AvgPool2d,
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    Module,
    ReLU,
    Sequential,
)
from trace_ag.lecture._node import Node, record  # noqa: F401
from trace_ag.lecture._tensor import Scalar, Tensor  # noqa: F401
from trace_ag.lecture._train import (  # noqa: F401
    SGD,
    Adam,
    Optimizer,
    binary_cross_entropy,
    cross_entropy,
    mse,
)
