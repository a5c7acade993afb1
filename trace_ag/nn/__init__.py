"""``trace_ag.nn``: the functions of ``jax.nn`` (activations, softmax, one_hot, standardize)
and ``jax.nn.initializers``, with JAX's values and derivatives.

Not to be confused with the top-level ``nn`` package, trace_ag's networks library (layers,
losses, optimizers, training loops): ``import trace_ag.nn as jnn`` is the JAX-compatible
function namespace, ``import nn`` the library.

Examples:
    >>> import numpy as np
    >>> import trace_ag as ag
    >>> from trace_ag import nn as jnn
    >>> float(ag.grad(jnn.relu)(0.0))
    0.0
"""

from trace_ag.nn import initializers
from trace_ag.nn._attention import dot_product_attention, log1mexp
from trace_ag.nn._functions import (
    celu,
    elu,
    gelu,
    glu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    identity,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    logmeanexp,
    logsumexp,
    mish,
    one_hot,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    soft_sign,
    softmax,
    softplus,
    sparse_plus,
    sparse_sigmoid,
    squareplus,
    standardize,
    swish,
)
from trace_ag.numpy import tanh

__all__ = [
    "celu",
    "dot_product_attention",
    "elu",
    "gelu",
    "glu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "identity",
    "initializers",
    "leaky_relu",
    "log1mexp",
    "log_sigmoid",
    "log_softmax",
    "logmeanexp",
    "logsumexp",
    "mish",
    "one_hot",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_sign",
    "softmax",
    "softplus",
    "sparse_plus",
    "sparse_sigmoid",
    "squareplus",
    "standardize",
    "swish",
    "tanh",
]
