"""``nn``: neural networks on trace_ag, functional style.

Parameters are plain pytrees (dicts and lists of arrays) and models are pure functions
``apply(params, x)``: layers (``nn.layers``), initializers (``nn.init``), losses
(``nn.losses``), optax-style optimizers (``nn.optim``), offline datasets (``nn.data``), the
training loop and checkpoints (``nn.train``, ``nn.checkpoint``) and LeNet-5 (``nn.models``).

Examples:
    >>> from nn import data, models, optim, train
    >>> model = models.lenet5_small()
    >>> params, _ = model.init(0, (1, 8, 8))
    >>> params, history = train.fit(model, params, data.load_digits(), optim.adam(1e-3))
"""

from nn import checkpoint, data, init, layers, losses, models, optim, train  # noqa: F401
from nn.checkpoint import load_checkpoint, save_checkpoint  # noqa: F401
from nn.errors import CheckpointError, DataError  # noqa: F401
from nn.layers import (  # noqa: F401
    Activation,
    AvgPool2d,
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    Sequential,
    gelu,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from nn.train import NonFiniteLossError  # noqa: F401
