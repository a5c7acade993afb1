"""Spec rows: bit primitives (trace_ag.random's threefry)."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import Spec, broadcasting, one

import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

R = Spec
rows: list[Spec] = []


def _u32(np_like):
    return lambda x: np_like.astype(x * 1000, np_like.uint32)


def _bit_rows():
    u, ju = _u32(tnp), _u32(jnp)
    i32 = lambda x: tnp.astype(x * 1000 - 1500, tnp.int32)  # noqa: E731  (negatives too)
    ji32 = lambda x: (x * 1000 - 1500).astype(jnp.int32)  # noqa: E731
    bits_of = lambda x: np.dtype(f"u{x.dtype.itemsize}")  # noqa: E731
    binary = [("bitwise_and", "&"), ("bitwise_or", "|"), ("bitwise_xor", "^")]
    common = {"numeric": False, "keeps_dtype": False}
    return [
        *(
            R(
                f"{name}[uint32]",
                lambda x, y, n=name: getattr(tnp, n)(u(x), u(y)),
                lambda x, y, n=name: getattr(jnp, n)(ju(x), ju(y)),
                arity=2,
                domain="positive",
                shapes=broadcasting(),
                **common,
            )
            for name, _ in binary
        ),
        R("invert[uint32]", lambda x: ~u(x), lambda x: ~ju(x), domain="positive", **common),
        R(
            "left_shift[uint32 << 3]",
            lambda x: u(x) << np.uint32(3),
            lambda x: ju(x) << np.uint32(3),
            domain="positive",
            **common,
        ),
        R(
            "right_shift[uint32 >> 2]",
            lambda x: u(x) >> np.uint32(2),
            lambda x: ju(x) >> np.uint32(2),
            domain="positive",
            **common,
        ),
        R(
            "right_shift[int32 >> 2]",
            lambda x: i32(x) >> np.int32(2),
            lambda x: ji32(x) >> np.int32(2),
            domain="positive",
            **common,
        ),
        R(
            "bitcast_convert_type[float -> uint]",
            lambda x: tnp.bitcast_convert_type(x, bits_of(x)),
            lambda x: jax.lax.bitcast_convert_type(x, bits_of(x)),
            **common,
        ),
        R(
            "argsort[axis=-1]",
            lambda x: tnp.argsort(x, axis=-1),
            lambda x: jnp.argsort(x, axis=-1, stable=True),
            domain="distinct",
            shapes=one(1),
            **common,
        ),
    ]


rows += _bit_rows()

ROWS = rows
