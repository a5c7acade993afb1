"""The discrete Fourier transform as one primitive, ``fft``, shaped like XLA's fft op.

``fft.bind(x, kind=..., axes=..., lengths=...)`` transforms ``x`` over ``axes`` (a tuple of
distinct axes, in the order given; for ``rfft``/``irfft`` the last one is the half-spectrum
axis). ``kind`` is one of

- ``"fft"``: complex to complex, unnormalized;
- ``"ifft"``: complex to complex, the inverse, scaled by ``1 / prod(lengths)``;
- ``"rfft"``: real to complex, the non-negative half ``lengths[-1] // 2 + 1`` of the last axis;
- ``"irfft"``: complex to real, the inverse of ``rfft`` (``1 / prod(lengths)``), with output
  lengths ``lengths``.

``lengths`` are the logical transform sizes: the operand's sizes along ``axes``, except that
``irfft``'s operand holds ``lengths[-1] // 2 + 1`` entries along its last axis. Padding,
cropping and the ``norm`` scalings are composites in ``trace_ag.numpy.fft``.

The derivatives are JAX's (``jax._src.lax.fft``): the op is linear, so the jvp applies it to
the tangent, and its transpose under the real pairing ``Re(sum(a * b))`` is: ``fft`` for
``fft`` (the DFT matrix is symmetric), ``ifft`` for ``ifft``; for ``rfft`` and ``irfft`` the
transpose of the other kind with the half-spectrum entries that stand for two (all but the
zero and, for even lengths, the Nyquist frequency) weighted by 2 and complex-conjugated, so
that the rules are written with the primitive itself and differentiate again.
"""

from __future__ import annotations

import math

import numpy as np

from trace_ag import errors
from trace_ag import numpy as tnp
from trace_ag.core import Aval, ForPrimitive, Primitive, shape_error
from trace_ag.primitives._transform_rules import linear_jvp, to_front

KINDS = ("fft", "ifft", "rfft", "irfft")


def complex_dtype(dtype: np.dtype) -> np.dtype:
    """complex64 for float16/float32/complex64, complex128 for everything else (NumPy's)."""
    dtype = np.dtype(dtype)
    if dtype in (np.float16, np.float32, np.complex64):
        return np.dtype(np.complex64)
    return np.dtype(np.complex128)


def real_dtype(dtype: np.dtype) -> np.dtype:
    """float32 for complex64/float32/float16, float64 for everything else."""
    return np.empty(0, complex_dtype(dtype)).real.dtype


# ---------------------------------------------------------------- shape rule


def _fft_aval(x: Aval, *, kind: str, axes: tuple, lengths: tuple) -> Aval:
    if kind not in KINDS:
        raise ValueError(f"fft: kind must be one of {KINDS}, got {kind!r}")
    if len(axes) != len(lengths) or not axes:
        raise shape_error("fft", f"axes {axes} and lengths {lengths} must be equally long, >= 1")
    if len(set(axes)) != len(axes) or not all(0 <= a < x.ndim for a in axes):
        raise shape_error("fft", f"axes {axes} must be distinct axes of a {x.shape} array")
    if any(n < 1 for n in lengths):
        raise shape_error("fft", f"transform lengths {lengths} must be positive")
    is_complex = np.issubdtype(x.dtype, np.complexfloating)
    if is_complex == (kind == "rfft") or not np.issubdtype(x.dtype, np.inexact):
        wanted = "a real float" if kind == "rfft" else "a complex"
        raise errors.DTypeError(
            errors.at_user_line(f"fft[{kind}]: expected {wanted} operand, got {x.dtype}")
        )
    expected = list(lengths)
    if kind == "irfft":
        expected[-1] = lengths[-1] // 2 + 1
    sizes = [x.shape[a] for a in axes]
    if sizes != expected:
        raise shape_error(
            "fft",
            f"{kind} of lengths {lengths} over axes {axes} expects sizes {tuple(expected)} "
            f"there, got shape {x.shape}",
        )
    shape = list(x.shape)
    if kind == "rfft":
        shape[axes[-1]] = lengths[-1] // 2 + 1
        return Aval(tuple(shape), complex_dtype(x.dtype))
    if kind == "irfft":
        shape[axes[-1]] = lengths[-1]
        return Aval(tuple(shape), real_dtype(x.dtype))
    return x


# ---------------------------------------------------------------- impl and lowering


def _fft_impl(x, *, kind, axes, lengths):
    # NumPy would crop or pad an operand of the wrong size: the shape rule refuses it instead
    _fft_aval(Aval(x.shape, x.dtype), kind=kind, axes=axes, lengths=lengths)
    if kind == "fft":
        out = np.fft.fftn(x, axes=axes)
    elif kind == "ifft":
        out = np.fft.ifftn(x, axes=axes)
    elif kind == "rfft":
        out = np.fft.rfftn(x, axes=axes)
    else:
        out = np.fft.irfftn(x, s=lengths, axes=axes)
    # NumPy computes float16 in float32: the declared dtype, whatever the input
    dtype = real_dtype(x.dtype) if kind == "irfft" else complex_dtype(x.dtype)
    return out.astype(dtype, copy=False)


def _fft_jax(x, *, kind, axes, lengths):
    import jax.numpy as jnp

    if kind == "irfft":
        return jnp.fft.irfftn(x, s=lengths, axes=axes)
    return getattr(jnp.fft, kind + "n")(x, axes=axes)


# ---------------------------------------------------------------- derivatives


def _half_spectrum_weights(g, axes: tuple, lengths: tuple) -> np.ndarray:
    """1 for the zero frequency (and the Nyquist one, for even lengths), 2 for the others,
    which stand for a frequency and its conjugate mirror; shaped to broadcast along the half
    axis."""
    m = lengths[-1] // 2 + 1
    weights = np.full(m, 2.0, real_dtype(g.dtype))
    weights[0] = 1.0
    if lengths[-1] % 2 == 0:
        weights[-1] = 1.0
    shape = [1] * np.ndim(g)
    shape[axes[-1]] = m
    return weights.reshape(shape)


def _fft_vjp(g, out, x, *, kind, axes, lengths):
    if kind in ("fft", "ifft"):
        return fft.bind(g, kind=kind, axes=axes, lengths=lengths)
    weights = _half_spectrum_weights(g, axes, lengths)
    n = math.prod(lengths)
    if kind == "rfft":
        return fft.bind(tnp.conj(g) / weights, kind="irfft", axes=axes, lengths=lengths) * n
    spectrum = fft.bind(g, kind="rfft", axes=axes, lengths=lengths)
    return tnp.conj(spectrum * (weights / n))


def _fft_batch() -> ForPrimitive:
    def make(prim):
        def batch(vals, dims, *, size, kind, axes, lengths):
            x = to_front(vals[0], dims[0], size)
            shifted = tuple(a + 1 for a in axes)
            return prim.bind(x, kind=kind, axes=shifted, lengths=lengths), 0

        return batch

    return ForPrimitive(make)


fft = Primitive(
    "fft",
    impl=_fft_impl,
    abstract_eval=_fft_aval,
    vjp=(_fft_vjp,),
    jvp=linear_jvp(),
    batch=_fft_batch(),
    jax=_fft_jax,
    complex_rules=True,
    allocates=True,  # NumPy's pocketfft always returns a new array
)
