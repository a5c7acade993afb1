"""Parameter initializers: ``init(rng, shape, dtype) -> array``, seeded by a NumPy Generator.

Fans follow the usual conventions: a ``Linear`` weight is ``(in, out)``; a ``Conv2d`` weight is
``(O, C, KH, KW)``, with ``fan_in = C*KH*KW`` and ``fan_out = O*KH*KW``. The same generator
state always gives the same array: seed a model with ``np.random.default_rng(seed)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Initializer = Callable[[np.random.Generator, tuple[int, ...], np.dtype], np.ndarray]


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
    def init(rng: np.random.Generator, shape, dtype=np.float32) -> np.ndarray:
        limit = np.sqrt(3.0 * scale(*fans(tuple(shape))))
        return rng.uniform(-limit, limit, size=shape).astype(dtype)

    return init


def _normal(scale: Callable[[int, int], float]) -> Initializer:
    def init(rng: np.random.Generator, shape, dtype=np.float32) -> np.ndarray:
        std = np.sqrt(scale(*fans(tuple(shape))))
        return (std * rng.standard_normal(size=shape)).astype(dtype)

    return init


#: Glorot/Xavier: variance ``2 / (fan_in + fan_out)``; suits tanh and sigmoid layers.
glorot_uniform = _uniform(lambda fan_in, fan_out: 2.0 / (fan_in + fan_out))
glorot_normal = _normal(lambda fan_in, fan_out: 2.0 / (fan_in + fan_out))
#: He/Kaiming: variance ``2 / fan_in``; suits ReLU layers.
he_uniform = _uniform(lambda fan_in, fan_out: 2.0 / fan_in)
he_normal = _normal(lambda fan_in, fan_out: 2.0 / fan_in)


def zeros(rng: np.random.Generator, shape, dtype=np.float32) -> np.ndarray:
    """All zeros (biases). Example: ``zeros(rng, (3,))``."""
    return np.zeros(shape, dtype)


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A NumPy Generator from a Generator, a seed, or None (seed 0: runs are reproducible)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(0 if rng is None else rng)
