"""Parameter initializers: ``init(rng, shape, dtype) -> array``, seeded by a NumPy Generator
or, as in JAX, by a ``trace_ag.random`` key (then the draw is ``random.uniform`` /
``random.normal`` of that key, an ordinary traced computation that works under ``ag.jit``).

Fans follow the usual conventions: a ``Linear`` weight is ``(in, out)``; a ``Conv2d`` weight is
``(O, C, KH, KW)``, with ``fan_in = C*KH*KW`` and ``fan_out = O*KH*KW``. The same generator
state always gives the same array: seed a model with ``np.random.default_rng(seed)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trace_ag.core import Tracer

Initializer = Callable[[Any, tuple[int, ...], np.dtype], Any]


def is_key(value: Any) -> bool:
    """Whether ``value`` is a ``trace_ag.random`` key (a uint32[2] array or tracer).

    Examples:
        >>> is_key(ag.random.PRNGKey(0)), is_key(np.random.default_rng(0))
        (True, False)
    """
    if not isinstance(value, (np.ndarray, Tracer)):
        return False
    return np.dtype(value.dtype) == np.uint32 and tuple(np.shape(value)) == (2,)


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape``.

    Examples:
        >>> fans((6, 1, 5, 5))
        (25, 150)
    """
    if len(shape) < 2:
        return (shape[0] if shape else 1,) * 2
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive


def _uniform(scale: Callable[[int, int], float]) -> Initializer:
    def init(rng: Any, shape, dtype=np.float32) -> Any:
        limit = np.sqrt(3.0 * scale(*fans(tuple(shape))))
        if is_key(rng):
            from trace_ag import random

            return random.uniform(rng, tuple(shape), dtype, -limit, limit)
        return rng.uniform(-limit, limit, size=shape).astype(dtype)

    return init


def _normal(scale: Callable[[int, int], float]) -> Initializer:
    def init(rng: Any, shape, dtype=np.float32) -> Any:
        std = np.sqrt(scale(*fans(tuple(shape))))
        if is_key(rng):
            from trace_ag import random

            return np.dtype(dtype).type(std) * random.normal(rng, tuple(shape), dtype)
        return (std * rng.standard_normal(size=shape)).astype(dtype)

    return init


#: Glorot/Xavier: variance ``2 / (fan_in + fan_out)``; suits tanh and sigmoid layers.
glorot_uniform = _uniform(lambda fan_in, fan_out: 2.0 / (fan_in + fan_out))
glorot_normal = _normal(lambda fan_in, fan_out: 2.0 / (fan_in + fan_out))
#: He/Kaiming: variance ``2 / fan_in``; suits ReLU layers.
he_uniform = _uniform(lambda fan_in, fan_out: 2.0 / fan_in)
he_normal = _normal(lambda fan_in, fan_out: 2.0 / fan_in)


def zeros(rng: Any, shape, dtype=np.float32) -> np.ndarray:
    """All zeros (biases); ``rng`` (a Generator or a key) is unused.

    Example: ``zeros(rng, (3,))``."""
    return np.zeros(shape, dtype)


def as_generator(rng: Any) -> np.random.Generator:
    """A NumPy Generator from a Generator, a seed, None (seed 0: runs are reproducible), or a
    ``trace_ag.random`` key (seeded by the key's two words, so ``model.init(key, shape)`` works
    and is reproducible; a key under tracing has no words to seed with, and is refused).

    Examples:
        >>> g1 = as_generator(ag.random.PRNGKey(3))
        >>> g2 = as_generator(ag.random.PRNGKey(3))
        >>> float(g1.random()) == float(g2.random())
        True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if is_key(rng):
        words = rng.concrete_value() if isinstance(rng, Tracer) else rng
        if words is None:
            raise TypeError(
                "nn.init.as_generator: a traced key cannot seed a NumPy Generator; call the "
                "initializer itself with the key (init(key, shape, dtype)), or init outside jit"
            )
        return np.random.default_rng([int(w) for w in np.asarray(words)])
    return np.random.default_rng(0 if rng is None else rng)
