"""``trace_ag.numpy.fft``: NumPy's FFT functions, traceable (like ``jax.numpy.fft``).

Every transform is one application of the ``fft`` primitive (``trace_ag.primitives.fft``:
``fft``, ``ifft``, ``rfft`` or ``irfft`` over a tuple of axes) with composites around it:
cropping or zero-padding to ``n``/``s``, the ``norm`` scaling (``"backward"``, the default,
scales the inverse by ``1/n``; ``"ortho"`` both ways by ``1/sqrt(n)``; ``"forward"`` the forward
transform by ``1/n``), and ``hfft``/``ihfft`` as conjugated ``irfft``/``rfft``. So every function
works under ``grad``, ``jvp``, ``vmap`` and ``jit`` on both backends, with JAX's derivatives
(complex cotangents paired by ``Re(sum(a * b))``).

Values and dtypes follow NumPy 2: float32 and complex64 inputs give complex64 (float32 for
``irfft``/``hfft``), as in JAX; float64, complex128, integers and booleans give complex128
(float64), or complex64 (float32) for integers, booleans and Python numbers when
``config.default_float`` is float32 (JAX without x64). Where NumPy and JAX differ, NumPy wins
for values and dtypes: booleans transform in complex128 (JAX: complex64); float16 computes in
float32 as in NumPy, but ``irfft``/``hfft`` of float16 give float32 (NumPy casts those back to
float16; JAX refuses float16 for ``rfft``).
Arguments NumPy accepts but JAX refuses are refused, with JAX's reason: repeated axes (NumPy
transforms such an axis twice) and entries of ``s`` below 1 (NumPy 2 reads ``-1`` as "the
input's size"). An ``rfft`` of a complex array raises, as in both.

Examples:
    >>> print(tnp.fft.fft(np.array([1.0, 2.0, 3.0, 4.0])))
    [10.+0.j -2.+2.j -2.+0.j -2.-2.j]
    >>> print(ag.grad(lambda x: tnp.sum(tnp.abs(tnp.fft.rfft(x)) ** 2))(np.array([1.0, 2.0])))
    [4. 8.]
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from trace_ag import config, errors
from trace_ag.core import Tracer, is_complex
from trace_ag.numpy import _complex as cx
from trace_ag.numpy import _more_index as mi
from trace_ag.numpy import _shape as shp
from trace_ag.numpy._base import asarray_or_tracer, cast, normalize_axis
from trace_ag.primitives import fft as prim

__all__ = [
    "fft",
    "ifft",
    "fft2",
    "ifft2",
    "fftn",
    "ifftn",
    "rfft",
    "irfft",
    "rfft2",
    "irfft2",
    "rfftn",
    "irfftn",
    "hfft",
    "ihfft",
    "fftshift",
    "ifftshift",
    "fftfreq",
    "rfftfreq",
]

_NORMS = (None, "backward", "ortho", "forward")
_SWAPPED = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


# ---------------------------------------------------------------- checking arguments


def _check_norm(norm: Any, fn: str) -> None:
    if norm not in _NORMS:
        raise ValueError(
            f'{fn}: invalid norm value {norm!r}; should be "backward", "ortho" or "forward"'
        )


def _points(n: Any, fn: str) -> int:
    """A transform length: a positive integer."""
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"{fn}: the number of FFT points must be an integer, got {n!r}") from None
    if n < 1:
        raise ValueError(f"{fn}: invalid number of FFT data points ({n}) specified")
    return n


def _one_axis(axis: Any, fn: str) -> tuple[int]:
    if isinstance(axis, (list, tuple)) or axis is None:
        raise TypeError(f"{fn}: axis must be one integer, got {axis!r} (use {fn}n for several)")
    return (axis,)


def _complex_dtype(dtype: np.dtype) -> np.dtype:
    """The complex dtype a transform of ``dtype`` computes in; integers and booleans go to
    the default float's (complex128, or complex64 with ``config.default_float`` float32)."""
    if np.issubdtype(dtype, np.inexact):
        return prim.complex_dtype(dtype)
    return prim.complex_dtype(config.default_float_dtype)


def _input(a: Any, kind: str, fn: str) -> Any:
    """``a`` in the dtype the transform computes in: real for ``rfft``, complex otherwise."""
    x = asarray_or_tracer(a)
    if kind != "rfft":
        return cast(x, _complex_dtype(x.dtype))
    if is_complex(x.dtype):
        raise errors.DTypeError(
            errors.at_user_line(f"{fn}: expected a real array, got {x.dtype} (use fft for complex)")
        )
    return cast(x, prim.real_dtype(_complex_dtype(x.dtype)))


def _axes_and_lengths(x: Any, s: Any, axes: Any, kind: str, fn: str):
    """NumPy's (and JAX's) reading of ``s`` and ``axes``: the axes, in order, and the logical
    transform lengths along them."""
    if s is not None:
        if isinstance(s, (str, bytes)) or not np.iterable(s):
            raise TypeError(f"{fn}: s must be a sequence of integers, got {s!r}")
        s = [_points(n, fn) for n in s]
    if axes is None:
        count = x.ndim if s is None else len(s)
        if count > x.ndim:
            raise errors.ShapeError(
                errors.at_user_line(f"{fn}: s={tuple(s)} has more entries than x has axes")
            )
        axes = range(x.ndim - count, x.ndim)
    elif isinstance(axes, (int, np.integer)):
        raise TypeError(f"{fn}: axes must be a sequence of integers, got {axes!r}")
    axes = tuple(normalize_axis(a, x.ndim, fn) for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{fn}: repeated axes are not supported (as in jax.numpy), got {axes}")
    if s is not None and len(s) != len(axes):
        raise ValueError(f"{fn}: s={tuple(s)} and axes={axes} have different lengths")
    if s is None:
        s = [x.shape[a] for a in axes]
        if kind == "irfft" and axes:
            s[-1] = _points(2 * (s[-1] - 1), fn)
    return axes, tuple(s)


def _fit(x: Any, axes: tuple, sizes: Sequence[int]) -> Any:
    """``x`` cropped or zero-padded at the end of each axis to the given size."""
    for axis, size in zip(axes, sizes, strict=True):
        have = x.shape[axis]
        if size < have:
            x = x[(slice(None),) * axis + (slice(0, size),)]
        elif size > have:
            widths = [(0, 0)] * x.ndim
            widths[axis] = (0, size - have)
            x = shp.pad(x, widths)
    return x


def _scaled(out: Any, norm: Any, n: int, inverse: bool) -> Any:
    """The primitive's ``backward`` normalization changed to ``norm``."""
    if norm == "ortho":
        return out * (math.sqrt(n) if inverse else 1 / math.sqrt(n))
    if norm == "forward":
        return out * (n if inverse else 1 / n)
    return out


def _transform(a: Any, s: Any, axes: Any, norm: Any, kind: str, fn: str) -> Any:
    _check_norm(norm, fn)
    x = _input(a, kind, fn)
    axes, lengths = _axes_and_lengths(x, s, axes, kind, fn)
    if not axes:
        if kind in ("rfft", "irfft"):
            raise ValueError(f"{fn}: needs at least one axis to transform, got axes=()")
        return x  # nothing to transform, as in NumPy (in the transform's complex dtype)
    sizes = list(lengths)
    if kind == "irfft":
        sizes[-1] = lengths[-1] // 2 + 1
    out = prim.fft.bind(_fit(x, axes, sizes), kind=kind, axes=axes, lengths=lengths)
    return _scaled(out, norm, math.prod(lengths), inverse=kind in ("ifft", "irfft"))


# ---------------------------------------------------------------- one axis


def fft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """The discrete Fourier transform along ``axis`` (``numpy.fft.fft``), of length ``n``
    (``a`` cropped or zero-padded to it; default: its size).

    Examples:
        >>> print(tnp.fft.fft(np.array([1.0, 0.0, -1.0, 0.0]), norm="ortho"))
        [0.+0.j 1.+0.j 0.+0.j 1.+0.j]
    """
    return _transform(a, _n(n), _one_axis(axis, "fft"), norm, "fft", "fft")


def ifft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """The inverse of :func:`fft` (``numpy.fft.ifft``).

    Examples:
        >>> print(tnp.fft.ifft(np.array([4.0, 0.0, 0.0, 0.0])))
        [1.+0.j 1.+0.j 1.+0.j 1.+0.j]
    """
    return _transform(a, _n(n), _one_axis(axis, "ifft"), norm, "ifft", "ifft")


def rfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """The Fourier transform of a real array along ``axis``, its ``n // 2 + 1`` non-negative
    frequencies (``numpy.fft.rfft``).

    Examples:
        >>> print(tnp.fft.rfft(np.array([1.0, 2.0, 3.0, 4.0])))
        [10.+0.j -2.+2.j -2.+0.j]
    """
    return _transform(a, _n(n), _one_axis(axis, "rfft"), norm, "rfft", "rfft")


def irfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """The inverse of :func:`rfft`: a real array of length ``n`` (default ``2 * (m - 1)`` for
    ``m`` input frequencies) along ``axis`` (``numpy.fft.irfft``).

    Examples:
        >>> print(tnp.fft.irfft(np.array([10.0, -2 + 2j, -2.0])))
        [1. 2. 3. 4.]
    """
    return _transform(a, _n(n), _one_axis(axis, "irfft"), norm, "irfft", "irfft")


def hfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """The (real) Fourier transform of a signal with Hermitian symmetry given by its first half
    ``a`` (``numpy.fft.hfft``): ``irfft(conj(a), n)`` with the opposite normalization.

    Examples:
        >>> print(tnp.fft.hfft(np.array([1.0, 2.0, 3.0])))
        [ 8. -2.  0. -2.]
    """
    _check_norm(norm, "hfft")
    conj_a = cx.conj(asarray_or_tracer(a))
    return _transform(conj_a, _n(n), _one_axis(axis, "hfft"), _SWAPPED[norm], "irfft", "hfft")


def ihfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """The inverse of :func:`hfft` for a real ``a`` (``numpy.fft.ihfft``):
    ``conj(rfft(a, n))`` with the opposite normalization.

    Examples:
        >>> print(tnp.fft.ihfft(np.array([8.0, -2.0, 0.0, -2.0])))
        [1.-0.j 2.-0.j 3.-0.j]
    """
    _check_norm(norm, "ihfft")
    out = _transform(a, _n(n), _one_axis(axis, "ihfft"), _SWAPPED[norm], "rfft", "ihfft")
    return cx.conj(out)


def _n(n: Any) -> tuple | None:
    return None if n is None else (n,)


# ---------------------------------------------------------------- several axes


def fftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None, norm=None):
    """The n-dimensional Fourier transform over ``axes`` (default: all, or the last ``len(s)``)
    with lengths ``s`` (``numpy.fft.fftn``).

    Examples:
        >>> print(tnp.fft.fftn(np.array([[1.0, 2.0], [3.0, 4.0]])))
        [[10.+0.j -2.+0.j]
         [-4.+0.j  0.+0.j]]
    """
    return _transform(a, s, axes, norm, "fft", "fftn")


def ifftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None, norm=None):
    """The inverse of :func:`fftn` (``numpy.fft.ifftn``).

    Examples:
        >>> print(tnp.fft.ifftn(np.array([[4.0, 0.0], [0.0, 0.0]])).real)
        [[1. 1.]
         [1. 1.]]
    """
    return _transform(a, s, axes, norm, "ifft", "ifftn")


def rfftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None, norm=None):
    """The n-dimensional Fourier transform of a real array; the last of ``axes`` keeps its
    non-negative frequencies only (``numpy.fft.rfftn``).

    Examples:
        >>> tnp.fft.rfftn(np.ones((2, 4))).shape
        (2, 3)
    """
    return _transform(a, s, axes, norm, "rfft", "rfftn")


def irfftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None, norm=None):
    """The inverse of :func:`rfftn`, a real array of shape ``s`` over ``axes``
    (``numpy.fft.irfftn``; the last length defaults to ``2 * (m - 1)``).

    Examples:
        >>> print(tnp.fft.irfftn(tnp.fft.rfftn(np.array([[1.0, 2.0], [3.0, 4.0]]))))
        [[1. 2.]
         [3. 4.]]
    """
    return _transform(a, s, axes, norm, "irfft", "irfftn")


def fft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1), norm=None):
    """:func:`fftn` over the last two axes by default (``numpy.fft.fft2``).

    Examples:
        >>> tnp.fft.fft2(np.ones((3, 2, 2)))[:, 0, 0].real
        array([4., 4., 4.])
    """
    return _transform(a, s, axes, norm, "fft", "fft2")


def ifft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1), norm=None):
    """:func:`ifftn` over the last two axes by default (``numpy.fft.ifft2``).

    Examples:
        >>> tnp.fft.ifft2(np.ones((2, 2)))[0].real
        array([1., 0.])
    """
    return _transform(a, s, axes, norm, "ifft", "ifft2")


def rfft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1), norm=None):
    """:func:`rfftn` over the last two axes by default (``numpy.fft.rfft2``).

    Examples:
        >>> tnp.fft.rfft2(np.ones((4, 4))).shape
        (4, 3)
    """
    return _transform(a, s, axes, norm, "rfft", "rfft2")


def irfft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1), norm=None):
    """:func:`irfftn` over the last two axes by default (``numpy.fft.irfft2``).

    Examples:
        >>> tnp.fft.irfft2(np.ones((4, 3)), s=(4, 5)).shape
        (4, 5)
    """
    return _transform(a, s, axes, norm, "irfft", "irfft2")


# ---------------------------------------------------------------- frequencies and shifts


def _shifts(x: Any, axes: Any, sign: int, fn: str) -> tuple[tuple, tuple]:
    if axes is None:
        axes = tuple(range(x.ndim))
    elif isinstance(axes, (int, np.integer)):
        axes = (axes,)
    axes = tuple(normalize_axis(a, x.ndim, fn) for a in axes)
    return tuple(sign * (x.shape[a] // 2) for a in axes), axes


def fftshift(x: Any, axes: int | Sequence[int] | None = None) -> Any:
    """The zero frequency moved to the middle of ``axes`` (default: all;
    ``numpy.fft.fftshift``).

    Examples:
        >>> tnp.fft.fftshift(np.fft.fftfreq(5))
        array([-0.4, -0.2,  0. ,  0.2,  0.4])
    """
    x = asarray_or_tracer(x)
    shifts, axes = _shifts(x, axes, 1, "fftshift")
    return mi.roll(x, shifts, axes) if axes else x


def ifftshift(x: Any, axes: int | Sequence[int] | None = None) -> Any:
    """The inverse of :func:`fftshift` (``numpy.fft.ifftshift``).

    Examples:
        >>> tnp.fft.ifftshift(np.array([-0.4, -0.2, 0.0, 0.2, 0.4]))
        array([ 0. ,  0.2,  0.4, -0.4, -0.2])
    """
    x = asarray_or_tracer(x)
    shifts, axes = _shifts(x, axes, -1, "ifftshift")
    return mi.roll(x, shifts, axes) if axes else x


def _frequencies(k: np.ndarray, n: int, d: Any, dtype: Any) -> Any:
    dtype = np.dtype(config.default_float_dtype if dtype is None else dtype)
    if isinstance(d, Tracer):
        return cast(k * (1.0 / (n * d)), dtype)
    if np.ndim(d) != 0:
        raise ValueError(f"fftfreq: the sample spacing d must be a scalar, got {d!r}")
    return (k * (1.0 / (n * d))).astype(dtype)  # NumPy's rounding: k times 1/(n d)


def fftfreq(n: int, d: Any = 1.0, *, dtype: Any = None) -> Any:
    """The frequencies of :func:`fft`'s ``n`` outputs for sample spacing ``d``, in cycles per
    unit (``numpy.fft.fftfreq``; ``dtype`` as in ``jax.numpy.fft``, default: the default float,
    ``config.default_float``). ``d`` may be traced.

    Examples:
        >>> tnp.fft.fftfreq(4, d=0.5)
        array([ 0. ,  0.5, -1. , -0.5])
    """
    n = _points(n, "fftfreq")
    k = np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)])
    return _frequencies(k, n, d, dtype)


def rfftfreq(n: int, d: Any = 1.0, *, dtype: Any = None) -> Any:
    """The frequencies of :func:`rfft`'s ``n // 2 + 1`` outputs (``numpy.fft.rfftfreq``).

    Examples:
        >>> tnp.fft.rfftfreq(5, d=0.1)
        array([0., 2., 4.])
    """
    n = _points(n, "rfftfreq")
    return _frequencies(np.arange(0, n // 2 + 1), n, d, dtype)
