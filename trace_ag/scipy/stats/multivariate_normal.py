"""The multivariate normal distribution, ``jax.scipy.stats.multivariate_normal``: ``mean`` of
shape ``(..., n)`` (or a scalar), ``cov`` a scalar variance or ``(..., n, n)`` matrices."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import trace_ag as ag
from trace_ag import numpy as tnp
from trace_ag.core import shape_error
from trace_ag.scipy.stats._util import promote_args


def _dimension_check(fn: str, mean: Any, cov: Any) -> int:
    n = mean.shape[-1]
    if cov.ndim < 2 or cov.shape[-2:] != (n, n):
        raise shape_error(
            fn,
            f"cov must be a scalar or have shape (..., {n}, {n}) for a mean of shape "
            f"{mean.shape}, got {cov.shape}",
        )
    return n


def _singular_allowed(fn: str, allow_singular: Any) -> bool:
    if allow_singular is None or allow_singular is False:
        return False
    if allow_singular is True:
        return True
    raise TypeError(f"{fn}: allow_singular must be None, False or True, got {allow_singular!r}")


def _negligible(eigenvalues: Any) -> Any:
    """SciPy's cutoff for eigenvalues taken as 0 (``scipy.stats._multivariate._PSD``): a
    dtype-dependent multiple of the machine epsilon times the largest ``|eigenvalue|``."""
    dtype = np.dtype(eigenvalues.dtype)
    factor = 1e3 if dtype == np.float32 else 1e6
    largest = tnp.max(tnp.abs(eigenvalues), axis=-1, keepdims=True)
    return ag.stop_gradient(factor * np.finfo(dtype).eps * largest)


def _singular_logpdf(diff: Any, cov: Any) -> Any:
    """SciPy's ``allow_singular=True``: the density on the support of ``cov`` (its range
    through ``mean``), from the pseudo-inverse and pseudo-determinant; ``-inf`` off it."""
    eigenvalues, vectors = tnp.linalg.eigh(cov)
    cutoff = _negligible(eigenvalues)
    kept = eigenvalues > cutoff
    safe = tnp.where(kept, eigenvalues, 1.0)
    rank = tnp.sum(tnp.astype(kept, diff.dtype), axis=-1)
    log_pdet = tnp.sum(tnp.where(kept, tnp.log(safe), 0.0), axis=-1)
    coordinates = tnp.matmul(diff[..., None, :], vectors)[..., 0, :]  # in the eigenbasis
    squares = tnp.sum(tnp.where(kept, coordinates * coordinates / safe, 0.0), axis=-1)
    off_support = tnp.sum(tnp.where(kept, 0.0, coordinates * coordinates), axis=-1)
    out = -(rank * math.log(2 * math.pi) + log_pdet + squares) / 2
    return tnp.where(off_support < (1e3 * cutoff[..., 0]) ** 2, out, -np.inf)


def logpdf(x: Any, mean: Any, cov: Any, allow_singular: bool | None = None) -> Any:
    """The log density ``-|L^-1 (x - mean)|^2 / 2 - n log(2 pi) / 2 - sum(log(diag(L)))`` with
    ``L`` the Cholesky factor of ``cov``; batch dimensions broadcast.

    ``allow_singular=True`` (SciPy's option; JAX has none) accepts a positive semidefinite
    ``cov``: the density is taken on its range, with the pseudo-inverse and the
    pseudo-determinant of SciPy's eigenvalue cutoff, and is ``-inf`` off that subspace.
    It is differentiable in ``x`` and ``mean``; its derivative in ``cov`` is ``eigh``'s, nan
    where eigenvalues repeat (as the zero ones of a singular ``cov`` do).

    Examples:
        >>> from trace_ag.scipy.stats import multivariate_normal
        >>> cov = np.array([[2.0, 0.5], [0.5, 1.0]])
        >>> print(multivariate_normal.logpdf(np.array([1.0, -1.0]), np.zeros(2), cov).round(6))
        -3.260542
        >>> print(multivariate_normal.logpdf(np.array([0.5, 1.0]), 0.0, 2.0).round(6))
        [-1.328012 -1.515512]
        >>> flat = np.diag([1.0, 0.0])
        >>> print(multivariate_normal.logpdf(np.array([[1.0, 0.0], [1.0, 0.5]]), np.zeros(2),
        ...                                  flat, allow_singular=True).round(6))
        [-1.418939      -inf]
    """
    singular = _singular_allowed("multivariate_normal.logpdf", allow_singular)
    x, mean, cov = promote_args("multivariate_normal.logpdf", x, mean, cov)
    if mean.ndim == 0:
        return -((x - mean) ** 2) / cov / 2 - (math.log(2 * math.pi) + tnp.log(cov)) / 2
    n = mean.shape[-1]
    diff = x - mean
    if cov.ndim == 0:
        squares = tnp.sum(diff * diff, axis=-1)
        return -squares / cov / 2 - n / 2 * (math.log(2 * math.pi) + tnp.log(cov))
    _dimension_check("multivariate_normal.logpdf", mean, cov)
    if singular:
        return _singular_logpdf(diff, cov)
    chol = tnp.linalg.cholesky(cov)
    whitened = tnp.linalg.solve(chol, diff[..., None])[..., 0]
    log_det = tnp.sum(tnp.log(tnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    squares = tnp.sum(whitened * whitened, axis=-1)
    return -squares / 2 - n / 2 * math.log(2 * math.pi) - log_det


def pdf(x: Any, mean: Any, cov: Any, allow_singular: bool | None = None) -> Any:
    """The density, ``exp(logpdf)``.

    Examples:
        >>> from trace_ag.scipy.stats import multivariate_normal
        >>> print(multivariate_normal.pdf(np.zeros(2), np.zeros(2), np.eye(2)).round(6))
        0.159155
    """
    return tnp.exp(logpdf(x, mean, cov, allow_singular))


def entropy(mean: Any = None, cov: Any = 1) -> Any:
    """The differential entropy ``(rank (1 + log(2 pi)) + log pdet(cov)) / 2``, as
    ``scipy.stats.multivariate_normal.entropy``: with SciPy's pseudo-determinant and rank, so a
    singular ``cov`` is allowed. ``cov`` is a scalar variance (of dimension ``mean``'s size, 1
    without a mean) or ``(..., n, n)`` matrices; differentiable in ``cov`` (the mean does not
    enter). (JAX has no ``multivariate_normal.entropy``.)

    Examples:
        >>> from trace_ag.scipy.stats import multivariate_normal
        >>> print(multivariate_normal.entropy(cov=np.array([[2.0, 0.5], [0.5, 1.0]])).round(6))
        3.117685
        >>> print(multivariate_normal.entropy(np.zeros(3), 2.0).round(6))
        5.296536
    """
    (cov,) = promote_args("multivariate_normal.entropy", cov)
    if cov.ndim == 0:
        n = 1 if mean is None else int(np.prod(np.shape(mean)))
        return n * (1 + math.log(2 * math.pi) + tnp.log(cov)) / 2
    if mean is not None:
        _dimension_check("multivariate_normal.entropy", tnp.asarray(mean), cov)
    elif cov.ndim < 2 or cov.shape[-1] != cov.shape[-2]:
        raise shape_error(
            "multivariate_normal.entropy", f"cov must be square matrices, got shape {cov.shape}"
        )
    eigenvalues = tnp.linalg.eigvalsh(cov)
    kept = eigenvalues > _negligible(eigenvalues)
    rank = tnp.sum(tnp.astype(kept, cov.dtype), axis=-1)
    log_pdet = tnp.sum(tnp.where(kept, tnp.log(tnp.where(kept, eigenvalues, 1.0)), 0.0), axis=-1)
    return (rank * (1 + math.log(2 * math.pi)) + log_pdet) / 2
