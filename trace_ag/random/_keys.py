"""Keys and the threefry2x32 counter-based generator, bit for bit as ``jax.random`` computes
them (the default ``threefry2x32`` implementation with ``jax_threefry_partitionable=True``,
the default since JAX 0.5).

A key is an ordinary ``uint32[2]`` array (JAX's *raw* key form), so it flows through ``jit``,
``vmap``, ``lax.scan`` and ``grad`` like any other value: every operation on it is a trace_ag
primitive (integer add, xor, shifts, or), and nothing differentiable depends on it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.core import Tracer
from trace_ag.numpy._base import asarray_or_tracer

KEY_SHAPE = (2,)
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = np.uint32(0x1BD11BDA)  # threefry's key-schedule constant
UINT = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}


# ---------------------------------------------------------------- the hash


def _rotate_left(x: Any, d: int) -> Any:
    return tnp.bitwise_or(tnp.left_shift(x, np.uint32(d)), tnp.right_shift(x, np.uint32(32 - d)))


def threefry2x32(k1: Any, k2: Any, x1: Any, x2: Any) -> tuple[Any, Any]:
    """The Threefry-2x32 block cipher (20 rounds) of the counter pairs ``(x1, x2)`` under the
    key ``(k1, k2)``; all ``uint32``, broadcasting. JAX's ``threefry2x32_p``, unrolled.

    Examples:
        >>> [int(v) for v in threefry2x32(np.uint32(0), np.uint32(0), np.uint32(0), np.uint32(0))]
        [1797259609, 2579123966]
    """
    ks = [k1, k2, tnp.bitwise_xor(tnp.bitwise_xor(k1, k2), _PARITY)]
    x = [tnp.add(x1, ks[0]), tnp.add(x2, ks[1])]
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x0 = tnp.add(x[0], x[1])
            x = [x0, tnp.bitwise_xor(x0, _rotate_left(x[1], r))]
        injected = tnp.add(ks[(i + 2) % 3], np.uint32(i + 1))
        x = [tnp.add(x[0], ks[(i + 1) % 3]), tnp.add(x[1], injected)]
    return x[0], x[1]


def threefry_2x32(key: Any, count: Any) -> Any:
    """Hash a ``uint32`` array of counts: its flattened halves are the two counter words
    (padded with one 0 when the size is odd), as ``jax._src.prng.threefry_2x32`` does."""
    flat = tnp.ravel(count)
    n = flat.shape[0]
    if n % 2:
        flat = tnp.concatenate([flat, np.zeros(1, np.uint32)])
    half = flat.shape[0] // 2
    y1, y2 = threefry2x32(key[0], key[1], flat[:half], flat[half:])
    out = tnp.concatenate([y1, y2])
    return tnp.reshape(out[:n] if n % 2 else out, np.shape(count))


def _iota_2x32(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The high and low 32-bit words of ``arange(prod(shape))`` as uint64, shaped ``shape``."""
    counts = np.arange(math.prod(shape), dtype=np.uint64).reshape(shape)
    return (counts >> np.uint64(32)).astype(np.uint32), counts.astype(np.uint32)


def _hash_iota(key: Any, shape: tuple[int, ...]) -> tuple[Any, Any]:
    hi, lo = _iota_2x32(shape)
    return threefry2x32(key[0], key[1], hi, lo)


# ---------------------------------------------------------------- keys


def check_key(name: str, key: Any) -> Any:
    """A single raw key (uint32[2]) as an array or tracer, or a one-line error saying why not."""
    key = asarray_or_tracer(key)
    if key.dtype != np.uint32 or key.shape[-1:] != KEY_SHAPE:
        raise TypeError(
            f"{name}: a key is a uint32 array of shape (2,) (from PRNGKey, key, split or "
            f"fold_in), got {key.dtype}{list(key.shape)}"
        )
    if key.shape != KEY_SHAPE:
        raise ValueError(
            f"{name} accepts a single key, but was given a key array of shape "
            f"{tuple(key.shape[:-1])} != (). Use ag.vmap for batching."
        )
    return key


def _seed_words(seed: Any) -> tuple[Any, Any]:
    """The key of an integer seed: its high and low 32 bits (a 32-bit seed's high word is 0)."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer, Tracer)):
        seed = asarray_or_tracer(seed)
    if isinstance(seed, int):
        seed = np.int64(seed)  # as JAX does, so that Python hashes are valid seeds
    if np.ndim(seed):
        raise TypeError(
            f"PRNGKey accepts a scalar seed, but was given an array of shape {np.shape(seed)} "
            "!= (). Use ag.vmap for batching."
        )
    dtype = np.dtype(seed.dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"PRNGKey: the seed must be an integer, got {dtype}")
    low = tnp.astype(seed, np.uint32)  # wraps, like lax.convert_element_type
    if dtype.itemsize < 8:
        return np.zeros((), np.uint32), low
    high = tnp.right_shift(tnp.astype(seed, np.uint64), np.uint64(32))
    return tnp.astype(high, np.uint32), low


def PRNGKey(seed: Any) -> Any:  # noqa: N802 (JAX's name)
    """A key (``uint32[2]``) from an integer seed: the seed's high and low 32-bit words.

    Examples:
        >>> PRNGKey(42)
        array([ 0, 42], dtype=uint32)
    """
    return tnp.stack(list(_seed_words(seed)))


def key(seed: Any, *, impl: str | None = None) -> Any:
    """JAX's typed-key constructor. trace_ag has no key dtype: a key *is* its raw
    ``uint32[2]`` data, so this returns what ``PRNGKey`` returns (and ``key_data`` is the
    identity). Only the default ``threefry2x32`` implementation exists.

    Examples:
        >>> key(0)
        array([0, 0], dtype=uint32)
    """
    _check_impl(impl)
    return PRNGKey(seed)


def _check_impl(impl: Any) -> None:
    if impl not in (None, "threefry2x32"):
        raise ValueError(f"only the 'threefry2x32' PRNG implementation exists, got {impl!r}")


def key_data(keys: Any) -> Any:
    """The raw ``uint32[..., 2]`` data of keys: the keys themselves here."""
    keys = asarray_or_tracer(keys)
    if keys.dtype != np.uint32 or keys.shape[-1:] != KEY_SHAPE:
        raise TypeError(f"key_data: expected uint32[..., 2] keys, got {keys.dtype}{keys.shape}")
    return keys


def wrap_key_data(key_bits_array: Any, *, impl: str | None = None) -> Any:
    """Keys from their raw ``uint32[..., 2]`` data: the data itself here."""
    _check_impl(impl)
    return key_data(key_bits_array)


def key_impl(keys: Any) -> str:
    key_data(keys)
    return "threefry2x32"


def split(key: Any, num: int | Sequence[int] = 2) -> Any:
    """``num`` new keys (or an array of keys of shape ``num``) from one key, shape
    ``(*num, 2)``.

    Examples:
        >>> split(PRNGKey(0)).shape
        (2, 2)
    """
    key = check_key("split", key)
    shape = tuple(int(n) for n in num) if isinstance(num, Sequence) else (int(num),)
    bits1, bits2 = _hash_iota(key, shape)
    return tnp.stack([tnp.broadcast_to(bits1, shape), tnp.broadcast_to(bits2, shape)], axis=-1)


def fold_in(key: Any, data: Any) -> Any:
    """A new key that depends on ``key`` and the 32-bit integer ``data``.

    Examples:
        >>> fold_in(PRNGKey(0), 7).shape
        (2,)
    """
    key = check_key("fold_in", key)
    if np.ndim(data):
        raise TypeError(
            f"fold_in accepts a scalar, but was given an array of shape {np.shape(data)} != (). "
            "Use ag.vmap for batching."
        )
    if not isinstance(data, Tracer):
        data = np.asarray(data)
        if data.dtype.kind not in "biu" or (data.dtype.kind == "i" and data < 0):
            data = np.asarray(data, np.int64)  # a negative Python int wraps, as in JAX
    data = tnp.astype(data, np.uint32)
    return threefry_2x32(key, tnp.stack([np.zeros((), np.uint32), data]))


def random_bits(key: Any, bit_width: int, shape: tuple[int, ...]) -> Any:
    """Uniform unsigned integers of ``bit_width`` bits and shape ``shape``."""
    bits1, bits2 = _hash_iota(key, shape)
    dtype = UINT[bit_width]
    if bit_width == 64:
        high = tnp.left_shift(tnp.astype(bits1, dtype), np.uint64(32))
        out = tnp.bitwise_or(high, tnp.astype(bits2, dtype))
    else:
        out = tnp.bitwise_xor(bits1, bits2)
        out = out if bit_width == 32 else tnp.astype(out, dtype)
    return tnp.broadcast_to(out, shape)


def canonical_shape(name: str, shape: Any) -> tuple[int, ...]:
    if not isinstance(shape, Sequence):
        raise TypeError(f"{name}: shape must be a sequence of integers, got {shape!r}")
    return tuple(int(n) for n in shape)


def bits(key: Any, shape: Sequence[int] = (), dtype: Any = None) -> Any:
    """Uniform random bits as unsigned integers (``uint64`` by default, as JAX with x64).

    Examples:
        >>> bits(PRNGKey(0), (3,), np.uint32).dtype
        dtype('uint32')
    """
    key = check_key("bits", key)
    dtype = np.dtype(np.uint64 if dtype is None else dtype)
    if dtype.kind != "u":
        raise ValueError(f"dtype argument to `bits` must be an unsigned int dtype, got {dtype}")
    return random_bits(key, dtype.itemsize * 8, canonical_shape("bits", shape))
