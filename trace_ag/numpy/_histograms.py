"""Histograms and second moments: ``histogram`` (1-D, 2-D, N-D) and its bin edges, ``cov``,
``corrcoef``, ``ptp``.

A histogram finds each sample's bin by ``searchsorted`` over the edges and scatter-adds the
weights, so it is differentiable in ``weights`` (and, through the edges, in a traced range),
as in JAX; counts of samples do not depend on them continuously.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag.core import shape_error
from trace_ag.numpy import _complex as cx
from trace_ag.numpy import _linalg as la
from trace_ag.numpy import _reductions as red
from trace_ag.numpy import _shape as shp
from trace_ag.numpy import _ufuncs as uf
from trace_ag.numpy._base import asarray_or_tracer, cast, promote, promote_float
from trace_ag.numpy._creation import linspace
from trace_ag.numpy._more_index import diag
from trace_ag.numpy._more_shape import atleast_2d
from trace_ag.numpy._sets import searchsorted


def ptp(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    """The range ``max - min`` along ``axis``.

    Examples:
        >>> tnp.ptp(np.array([[1.0, 5.0], [2.0, -1.0]]), axis=0)
        array([1., 6.])
    """
    red.no_out(out, "ptp")
    return red.max(a, axis=axis, keepdims=keepdims) - red.min(a, axis=axis, keepdims=keepdims)


def histogram_bin_edges(a: Any, bins: Any = 10, range: Any = None, weights: Any = None) -> Any:  # noqa: A002
    """The edges ``histogram`` uses: ``bins + 1`` equal steps over ``range`` (default: the data's
    min to max, widened by 0.5 each way when they are equal), or ``bins`` itself if an array."""
    (a,) = promote_float(a)
    if isinstance(bins, str):
        raise errors.UnsupportedFunctionError(
            f"histogram: bins={bins!r} (estimators) is not supported"
        )
    if np.ndim(bins) == 1 or getattr(bins, "ndim", 0) == 1:
        (edges,) = promote(asarray_or_tracer(bins))
        return edges
    bins = int(bins)
    if bins < 1:
        raise ValueError(f"histogram: bins must be positive, got {bins}")
    if range is None:
        lo, hi = (
            (red.min(a), red.max(a)) if a.size else (np.zeros((), a.dtype), np.ones((), a.dtype))
        )
    else:
        lo, hi = (cast(asarray_or_tracer(v), a.dtype) for v in range)
    equal = uf.equal(lo, hi)
    lo, hi = uf.where(equal, lo - 0.5, lo), uf.where(equal, hi + 0.5, hi)
    inner = cast(linspace(lo, hi, bins + 1), a.dtype)[1:-1]
    # the end edges exactly (a sample at the maximum must fall in the last bin)
    return shp.concatenate([shp.reshape(lo, (1,)), inner, shp.reshape(hi, (1,))])


def _bin_index(values: Any, edges: Any) -> Any:
    """Each value's bin (the last edge belongs to the last bin); ``nbins`` outside the edges."""
    nbins = edges.shape[0] - 1
    index = searchsorted(edges, values, side="right") - 1
    index = uf.where(uf.equal(values, edges[-1]), nbins - 1, index)
    outside = uf.logical_or(uf.less(values, edges[0]), uf.greater(values, edges[-1]))
    return uf.where(uf.logical_or(outside, uf.isnan(values)), nbins, index)


def _counts(flat_index: Any, size: int, weights: Any, n: int) -> Any:
    from trace_ag._indexed_update import at

    if weights is None:
        weights = np.ones(n, np.int64)
    return at(np.zeros(size, weights.dtype))[flat_index].add(weights, mode="drop")


def histogram(
    a: Any,
    bins: Any = 10,
    range: Any = None,
    weights: Any = None,
    density: Any = None,  # noqa: A002
) -> tuple[Any, Any]:
    """Counts (or summed ``weights``) of ``a`` (flattened) in each bin, and the bin edges.

    Examples:
        >>> counts, edges = tnp.histogram(np.array([0.0, 0.5, 1.0, 2.0]), bins=2)
        >>> counts, edges
        (array([2, 2]), array([0., 1., 2.]))
    """
    (a,) = promote_float(a)
    a = shp.ravel(a)
    edges = histogram_bin_edges(a, bins, range)
    a, edges = promote(a, edges)
    if weights is not None:
        weights = shp.ravel(asarray_or_tracer(weights))
        if weights.shape != a.shape:
            raise shape_error("histogram", f"weights {weights.shape} and a {a.shape} differ")
    counts = _counts(_bin_index(a, edges), edges.shape[0] - 1, weights, a.shape[0])
    if density:
        widths = edges[1:] - edges[:-1]
        counts = counts / (red.sum(counts) * widths)
    return counts, edges


def histogramdd(
    sample: Any,
    bins: Any = 10,
    range: Any = None,
    weights: Any = None,
    density: Any = None,  # noqa: A002
) -> tuple[Any, list]:
    """The N-D histogram of ``sample`` (``(N, D)``, one row per point) and the edges per axis."""
    (sample,) = promote_float(sample)
    if sample.ndim == 1:
        sample = sample[:, None]
    n, d = sample.shape
    bins_per_axis = [bins] * d if np.ndim(bins) == 0 else list(bins)
    ranges = [None] * d if range is None else list(range)
    if len(bins_per_axis) != d or len(ranges) != d:
        raise shape_error("histogramdd", f"{d} dimensions need {d} bins and ranges")
    edges = [
        histogram_bin_edges(sample[:, k], b, r)
        for k, (b, r) in enumerate(zip(bins_per_axis, ranges, strict=True))
    ]
    nbins = [e.shape[0] - 1 for e in edges]
    flat = np.zeros(n, np.int64)
    outside = np.zeros(n, bool)
    for k in np.arange(d):
        index = _bin_index(cast(sample[:, k], edges[k].dtype), edges[k])
        outside = uf.logical_or(outside, uf.equal(index, nbins[k]))
        flat = flat * nbins[k] + index
    total = int(np.prod(nbins))
    if weights is not None:
        weights = shp.ravel(asarray_or_tracer(weights))
    counts = _counts(uf.where(outside, total, flat), total, weights, n)
    if weights is None:
        counts = cast(counts, np.dtype(np.float64))  # NumPy's histogramdd counts in floats
    counts = shp.reshape(counts, tuple(nbins))
    if density:
        volume = np.ones((), sample.dtype)
        for k, e in enumerate(edges):
            shape = [1] * d
            shape[k] = -1
            volume = volume * shp.reshape(e[1:] - e[:-1], tuple(shape))
        counts = counts / (red.sum(counts) * volume)
    return counts, edges


def histogram2d(
    x: Any,
    y: Any,
    bins: Any = 10,
    range: Any = None,
    weights: Any = None,
    density: Any = None,  # noqa: A002
) -> tuple[Any, Any, Any]:
    """The 2-D histogram of the points ``(x, y)`` and the edges along x and y.

    Examples:
        >>> x, y = np.array([0.0, 1.0, 1.0]), np.array([0.0, 0.0, 1.0])
        >>> h, xe, ye = tnp.histogram2d(x, y, bins=2)
        >>> h
        array([[1., 0.],
               [1., 1.]])
    """
    x, y = promote_float(x, y)
    if (
        np.ndim(bins) == 1
        and not isinstance(bins, (list, tuple))
        or (isinstance(bins, (list, tuple)) and len(bins) != 2)
    ):
        bins = [bins, bins]
    counts, edges = histogramdd(shp.stack([x, y], axis=1), bins, range, weights, density)
    return counts, edges[0], edges[1]


def cov(
    m: Any,
    y: Any = None,
    rowvar: bool = True,
    bias: bool = False,
    ddof: int | None = None,
    fweights: Any = None,
    aweights: Any = None,
    *,
    dtype: Any = None,
) -> Any:
    """The covariance matrix of the variables in the rows (``rowvar``) or columns of ``m``
    (and ``y``), with NumPy's frequency and analytic weights.

    Examples:
        >>> tnp.cov(np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
        array([[ 1., -1.],
               [-1.,  1.]])
    """
    (x,) = promote_float(m)
    if x.ndim > 2:
        raise shape_error("cov", f"m has more than 2 dimensions: {x.shape}")
    x = atleast_2d(x)
    if not rowvar and x.shape[0] != 1:
        x = shp.transpose(x)
    if y is not None:
        (yy,) = promote_float(y)
        yy = atleast_2d(yy)
        if not rowvar and yy.shape[0] != 1:
            yy = shp.transpose(yy)
        x, yy = promote(x, yy)
        x = shp.concatenate([x, yy], axis=0)
    x = uf.astype(x, dtype if dtype is not None else np.result_type(x.dtype, np.float64))
    ddof = (0 if bias else 1) if ddof is None else ddof
    w = None
    if fweights is not None:
        w = cast(asarray_or_tracer(fweights), np.dtype(np.float64))
    if aweights is not None:
        aw = cast(asarray_or_tracer(aweights), np.dtype(np.float64))
        w = aw if w is None else w * aw
    n = x.shape[1]
    if w is None:
        mean = red.mean(x, axis=1, keepdims=True)
        factor = n - ddof
    else:
        w = cast(w, x.dtype) if np.issubdtype(x.dtype, np.inexact) else w
        w_sum = red.sum(w)
        mean = red.sum(x * w, axis=1, keepdims=True) / w_sum
        if ddof == 0:
            factor = w_sum
        elif aweights is None:
            factor = w_sum - ddof
        else:
            factor = w_sum - ddof * red.sum(w * cast(asarray_or_tracer(aweights), w.dtype)) / w_sum
    centered = x - mean
    weighted = centered if w is None else centered * w
    out = la.matmul(weighted, shp.transpose(cx.conj(centered))) / factor
    return shp.squeeze(out)


def corrcoef(x: Any, y: Any = None, rowvar: bool = True, *, dtype: Any = None) -> Any:
    """The Pearson correlation coefficients (``cov`` normalized by the standard deviations),
    clipped to [-1, 1] as NumPy does.

    Examples:
        >>> tnp.corrcoef(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]))
        array([[1., 1.],
               [1., 1.]])
    """
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return c / c
    std = uf.sqrt(cx.real(diag(c)))
    c = c / std[:, None] / std[None, :]
    if np.issubdtype(c.dtype, np.complexfloating):
        return uf.clip(cx.real(c), -1, 1) + 1j * uf.clip(cx.imag(c), -1, 1)
    return uf.clip(c, -1, 1)
