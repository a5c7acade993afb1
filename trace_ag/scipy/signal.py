"""``trace_ag.scipy.signal``: convolve and correlate, traceable (like ``jax.scipy.signal``).

Every function here is a composite: the smaller operand is flipped, the larger one padded (or
cropped) for the mode, and the result is a sliding-window product. Real operands of one or two
dimensions go through ``trace_ag.lax.conv2d`` (``im2col`` and one matmul); other ranks and complex
operands gather all windows with one static index array and contract them with ``tensordot``.
Both are built from primitives with every rule, so ``grad``, ``jvp``, ``vmap`` and ``jit`` work.

Values are SciPy's (``scipy.signal.convolve`` etc.); like JAX, integer inputs give floats and the
operand that is smaller in every dimension is the kernel, whichever argument it is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.convolution import conv2d as _conv2d
from trace_ag.core import shape_error
from trace_ag.numpy._base import asarray_or_tracer, promote_float

__all__ = ["convolve", "convolve2d", "correlate", "correlate2d", "fftconvolve"]

MODES = ("full", "same", "valid")
METHODS = ("auto", "direct", "fft")


def _check_mode(mode: str, fn: str) -> None:
    if mode not in MODES:
        raise ValueError(f"{fn}: mode must be one of {list(MODES)}, got {mode!r}")


def _check_method(method: str, fn: str) -> None:
    if method not in METHODS:
        raise ValueError(f"{fn}: got method={method!r}; expected 'auto', 'fft' or 'direct'")


def _check_fill(boundary: str, fillvalue: Any, fn: str) -> None:
    if boundary != "fill" or fillvalue != 0:
        raise NotImplementedError(
            f"{fn}: only boundary='fill' with fillvalue=0 is supported (as in JAX), got "
            f"boundary={boundary!r}, fillvalue={fillvalue!r}"
        )


def _check_2d(in1: Any, in2: Any, fn: str) -> None:
    if np.ndim(in1) != 2 or np.ndim(in2) != 2:
        raise shape_error(
            fn,
            f"only 2-dimensional inputs are supported, got shapes {np.shape(in1)} and "
            f"{np.shape(in2)}",
        )


def _pad_or_crop(x: Any, pads: list[tuple[int, int]]) -> Any:
    """``x`` with ``pads[d] = (before, after)`` zeros added on axis ``d``; negative amounts crop."""
    crop = tuple(slice(max(-lo, 0), x.shape[d] - max(-hi, 0)) for d, (lo, hi) in enumerate(pads))
    x = x[crop]
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
    return tnp.pad(x, grow) if any(lo or hi for lo, hi in grow) else x


def _window_index(padded_shape: tuple, kernel_shape: tuple) -> np.ndarray:
    """Flat indices into the raveled padded input, shape ``out_shape + kernel_shape``."""
    out_shape = tuple(p - k + 1 for p, k in zip(padded_shape, kernel_shape, strict=True))
    strides = np.cumprod((1,) + padded_shape[:0:-1])[::-1]
    ndim = len(padded_shape)
    index = np.zeros(out_shape + kernel_shape, dtype=np.intp)
    for d in range(ndim):
        along = np.arange(out_shape[d])[:, None] + np.arange(kernel_shape[d])[None, :]
        shape = [1] * (2 * ndim)
        shape[d], shape[ndim + d] = out_shape[d], kernel_shape[d]
        index = index + along.reshape(shape) * strides[d]
    return index


def _correlate_valid(x: Any, kernel: Any, pads: list[tuple[int, int]]) -> Any:
    """``out[o] = sum_j padded(x)[o + j] * kernel[j]`` over every full overlap."""
    if x.ndim == 0:
        return x * kernel
    if x.ndim <= 2 and not tnp.iscomplexobj(x):
        lead = (1,) * (4 - x.ndim)
        pads2 = [(0, 0)] * (2 - x.ndim) + list(pads)
        cropped = _pad_or_crop(x, [(min(lo, 0), min(hi, 0)) for lo, hi in pads])
        grow = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pads2)
        out = _conv2d(
            tnp.reshape(cropped, lead + cropped.shape),
            tnp.reshape(kernel, lead + kernel.shape),
            padding=grow,
        )
        return tnp.reshape(out, out.shape[4 - x.ndim :])
    padded = _pad_or_crop(x, pads)
    windows = tnp.ravel(padded)[_window_index(padded.shape, kernel.shape)]
    return tnp.tensordot(windows, kernel, axes=x.ndim)


def _convolve_nd(in1: Any, in2: Any, mode: str, fn: str) -> Any:
    _check_mode(mode, fn)
    in1, in2 = promote_float(asarray_or_tracer(in1), asarray_or_tracer(in2))
    if in1.ndim != in2.ndim:
        raise shape_error(
            fn,
            f"in1 and in2 must have the same number of dimensions, got shapes {in1.shape} "
            f"and {in2.shape}",
        )
    if in1.size == 0 or in2.size == 0:
        raise shape_error(fn, f"zero-size arrays are not supported, got {in1.shape}, {in2.shape}")
    no_swap = all(s1 >= s2 for s1, s2 in zip(in1.shape, in2.shape, strict=True))
    swap = all(s1 <= s2 for s1, s2 in zip(in1.shape, in2.shape, strict=True))
    if not (no_swap or swap):
        raise shape_error(
            fn,
            f"one input must be at least as large as the other in every dimension, got "
            f"shapes {in1.shape} and {in2.shape}",
        )
    original_in2 = in2.shape
    if swap and not no_swap:
        in1, in2 = in2, in1
    kernel = tnp.flip(in2)
    if mode == "valid":
        pads = [(0, 0)] * in2.ndim
    elif mode == "same":
        pads = [
            (k - 1 - (k_o - 1) // 2, k - k_o + (k_o - 1) // 2)
            for k, k_o in zip(in2.shape, original_in2, strict=True)
        ]
    else:
        pads = [(k - 1, k - 1) for k in in2.shape]
    return _correlate_valid(in1, kernel, pads)


def convolve(
    in1: Any, in2: Any, mode: str = "full", method: str = "auto", precision: Any = None
) -> Any:
    """The n-dimensional convolution of ``in1`` and ``in2`` (``scipy.signal.convolve``).

    Arguments:
        in1: an array.
        in2: an array of as many dimensions; one of the two must be at least as large as the
            other in every dimension.
        mode: ``"full"`` (every overlap, zero-padded), ``"same"`` (centred, the shape of
            ``in1``) or ``"valid"`` (only full overlaps).
        method: ``"auto"``, ``"direct"`` or ``"fft"``; all compute directly here (the values
            agree with an FFT's up to rounding).
        precision: accepted for JAX compatibility and ignored (NumPy computes in the dtype).

    Returns:
        The convolution, in the inputs' common float dtype.

    Examples:
        >>> x = np.array([1.0, 2.0, 3.0, 2.0, 1.0])
        >>> convolve(x, np.ones(3))
        array([1., 3., 6., 7., 6., 3., 1.])
        >>> convolve(x, np.ones(3), mode="same")
        array([3., 6., 7., 6., 3.])
        >>> ag.grad(lambda w: convolve(x, w, mode="valid").sum())(np.ones(3))
        array([6., 7., 6.])
    """
    _check_method(method, "convolve")
    return _convolve_nd(in1, in2, mode, "convolve")


def correlate(
    in1: Any, in2: Any, mode: str = "full", method: str = "auto", precision: Any = None
) -> Any:
    """The n-dimensional cross-correlation of ``in1`` and ``in2`` (``scipy.signal.correlate``):
    ``convolve(in1, flip(conj(in2)))``.

    Arguments are those of ``convolve``.

    Examples:
        >>> x = np.array([1.0, 2.0, 3.0, 2.0, 1.0])
        >>> correlate(x, np.array([2.0, 1.0, 0.0]))
        array([0., 1., 4., 7., 8., 5., 2.])
        >>> correlate(x, np.array([2.0, 1.0, 0.0]), mode="valid")
        array([4., 7., 8.])
    """
    _check_method(method, "correlate")
    in2 = tnp.conj(asarray_or_tracer(in2))
    return _convolve_nd(in1, tnp.flip(in2), mode, "correlate")


def fftconvolve(in1: Any, in2: Any, mode: str = "full", axes: Any = None) -> Any:
    """``scipy.signal.fftconvolve``: the convolution of ``in1`` and ``in2``, over ``axes`` only
    (the others must match in size and are mapped over). Computed directly here; the values agree
    with an FFT's up to rounding.

    Examples:
        >>> fftconvolve(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0]))
        array([1., 3., 5., 3.])
        >>> fftconvolve(np.ones((2, 3)), np.array([[1.0, 2.0], [3.0, 4.0]]), axes=1)
        array([[1., 3., 3., 2.],
               [3., 7., 7., 4.]])
    """
    in1, in2 = asarray_or_tracer(in1), asarray_or_tracer(in2)
    _check_mode(mode, "fftconvolve")
    if in1.ndim != in2.ndim:
        raise shape_error(
            "fftconvolve",
            f"in1 and in2 must have the same number of dimensions, got shapes "
            f"{in1.shape} and {in2.shape}",
        )
    if axes is None:
        return _convolve_nd(in1, in2, mode, "fftconvolve")
    from trace_ag.batching import vmap
    from trace_ag.numpy._base import normalize_axes

    axes = normalize_axes(axes, in1.ndim, "fftconvolve")
    mapped = [d for d in range(in1.ndim) if d not in axes]
    if any(in1.shape[d] != in2.shape[d] for d in mapped):
        raise shape_error(
            "fftconvolve",
            f"the axes not convolved ({mapped}) must have the same sizes, got "
            f"shapes {in1.shape} and {in2.shape}",
        )

    def unbatched(a, b):
        return _convolve_nd(a, b, mode, "fftconvolve")

    fn = unbatched
    for d in reversed(mapped):
        fn = vmap(fn, in_axes=d, out_axes=d)
    return fn(in1, in2)


def convolve2d(
    in1: Any,
    in2: Any,
    mode: str = "full",
    boundary: str = "fill",
    fillvalue: Any = 0,
    precision: Any = None,
) -> Any:
    """The 2-dimensional convolution of ``in1`` and ``in2`` (``scipy.signal.convolve2d``).

    Only ``boundary="fill"`` with ``fillvalue=0`` is supported, as in JAX; anything else raises
    ``NotImplementedError``.

    Examples:
        >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> convolve2d(x, np.array([[1.0, 0.0], [0.0, -1.0]]))
        array([[ 1.,  2.,  0.],
               [ 3.,  3., -2.],
               [ 0., -3., -4.]])
    """
    _check_fill(boundary, fillvalue, "convolve2d")
    _check_2d(in1, in2, "convolve2d")
    return _convolve_nd(in1, in2, mode, "convolve2d")


def correlate2d(
    in1: Any,
    in2: Any,
    mode: str = "full",
    boundary: str = "fill",
    fillvalue: Any = 0,
    precision: Any = None,
) -> Any:
    """The 2-dimensional cross-correlation of ``in1`` and ``in2`` (``scipy.signal.correlate2d``).

    Only ``boundary="fill"`` with ``fillvalue=0`` is supported, as in JAX. The values are
    SciPy's, which differ from ``correlate``'s in how ``"same"`` centres an even-sized kernel and
    in ``"valid"`` when ``in2`` is the larger operand.

    Examples:
        >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> correlate2d(x, np.array([[1.0, 0.0], [0.0, -1.0]]))
        array([[-1., -2.,  0.],
               [-3., -3.,  2.],
               [ 0.,  3.,  4.]])
    """
    _check_fill(boundary, fillvalue, "correlate2d")
    _check_2d(in1, in2, "correlate2d")
    _check_mode(mode, "correlate2d")
    in1, in2 = asarray_or_tracer(in1), asarray_or_tracer(in2)
    in2_larger = in1.shape != in2.shape and all(
        s1 <= s2 for s1, s2 in zip(in1.shape, in2.shape, strict=True)
    )
    if mode == "same":
        # SciPy centres "same" from the other end here: correlate the reversed input.
        return tnp.flip(_convolve_nd(tnp.flip(in1), tnp.conj(in2), mode, "correlate2d"))
    if mode == "valid" and in2_larger:
        return _convolve_nd(tnp.flip(in2), tnp.conj(in1), mode, "correlate2d")
    return _convolve_nd(in1, tnp.flip(tnp.conj(in2)), mode, "correlate2d")
