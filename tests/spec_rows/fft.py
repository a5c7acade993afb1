"""Spec rows: the FFT (``trace_ag.numpy.fft``, one ``fft`` primitive of four kinds).

The rows' functions take real arrays (a complex input is built as ``x + 1j * y``) and return
real ones (a complex result as its real and imaginary parts stacked), so that every check of
the table, central differences included, sees every part. The drawn keyword ``fn`` picks the
function of a pair (``fft`` or ``ifft``, ...); ``n``/``s``, the axes and ``norm`` are drawn
too, cropping and padding included.
"""

from __future__ import annotations

import pytest
from oracle import Draw, Spec

import trace_ag.numpy as tnp

jnp = pytest.importorskip("jax.numpy")

NORMS = [None, "backward", "ortho", "forward"]


def _parts(np_like, z):
    return np_like.stack([np_like.real(z), np_like.imag(z)])


def complex_to_complex(np_like):
    def f(x, y, *, fn, **kw):
        return _parts(np_like, getattr(np_like.fft, fn)(x + 1j * y, **kw))

    return f


def real_to_complex(np_like):
    def f(x, *, fn, **kw):
        return _parts(np_like, getattr(np_like.fft, fn)(x, **kw))

    return f


def complex_to_real(np_like):
    def f(x, y, *, fn, **kw):
        return getattr(np_like.fft, fn)(x + 1j * y, **kw)

    return f


def shifted(np_like):
    def f(x, *, fn, axes):
        return getattr(np_like.fft, fn)(x, axes=axes) * np_like.arange(x.shape[-1], dtype=x.dtype)

    return f


def one_axis(arity: int, fns: list[str], half_input: bool = False):
    """A shape of 1 to 3 axes, one of them transformed, with ``n`` (None: the input's size,
    else cropping or padding), ``axis`` and ``norm``. ``half_input``: the input is a half
    spectrum, whose default length ``2 * (m - 1)`` needs ``m >= 2``."""

    def draw(d: Draw):
        shape = d.shape(1, 3, 1, 4)
        axis = d.int(-len(shape), len(shape) - 1)
        n = d.choice([None, 1, 2, 3, 5, 6])
        if half_input and n is None and shape[axis] < 2:
            n = 4
        kw = dict(fn=d.choice(fns), n=n, axis=axis, norm=d.choice(NORMS))
        return [shape] * arity, kw

    return draw


def many_axes(arity: int, fns: list[str], half_input: bool = False):
    """A shape of 1 to 3 axes, some of them (in a drawn order) transformed, with ``s`` None or
    drawn lengths, and ``norm``."""

    def draw(d: Draw):
        shape = d.shape(1, 3, 1, 4)
        order = d.permutation(len(shape))
        axes = order[: d.int(1, len(shape))]
        s = None
        if d.bool():
            s = tuple(d.int(1, 5) for _ in axes)
        elif half_input and shape[axes[-1]] < 2:
            shape = tuple(3 if i == axes[-1] else n for i, n in enumerate(shape))
        kw = dict(fn=d.choice(fns), s=s, axes=axes, norm=d.choice(NORMS))
        return [shape] * arity, kw

    return draw


def shift_axes(d: Draw):
    shape = d.shape(1, 3, 1, 5)
    axes = d.choice([None, -1, tuple(range(len(shape)))[::-1]])
    return [shape], dict(fn=d.choice(["fftshift", "ifftshift"]), axes=axes)


R = Spec
rows: list[Spec] = [
    R(
        "fft.fft/ifft",
        complex_to_complex(tnp),
        complex_to_complex(jnp),
        arity=2,
        shapes=one_axis(2, ["fft", "ifft"]),
        order=2,
    ),
    R(
        "fft.rfft/ihfft",
        real_to_complex(tnp),
        real_to_complex(jnp),
        shapes=one_axis(1, ["rfft", "ihfft"]),
    ),
    R(
        "fft.irfft/hfft",
        complex_to_real(tnp),
        complex_to_real(jnp),
        arity=2,
        shapes=one_axis(2, ["irfft", "hfft"], half_input=True),
        order=2,
    ),
    R(
        "fft.fftn/ifftn",
        complex_to_complex(tnp),
        complex_to_complex(jnp),
        arity=2,
        shapes=many_axes(2, ["fftn", "ifftn"]),
    ),
    R(
        "fft.rfftn",
        real_to_complex(tnp),
        real_to_complex(jnp),
        shapes=many_axes(1, ["rfftn"]),
        order=2,
    ),
    R(
        "fft.irfftn",
        complex_to_real(tnp),
        complex_to_real(jnp),
        arity=2,
        shapes=many_axes(2, ["irfftn"], half_input=True),
    ),
    R("fft.fftshift", shifted(tnp), shifted(jnp), shapes=shift_axes),
]

ROWS = rows
