"""``jax.nn``'s activation and normalization functions, written with ``trace_ag.numpy``.

Each function is JAX's formula, op for op, so values agree with JAX to float rounding and every
transform (grad, jvp, vmap, jit) applies. Where JAX fixes a derivative by hand -- ``relu`` and
``relu6`` (0 at the kinks) and ``softplus`` (``logaddexp``'s rule) -- the same rule is given with
``custom_jvp``, so ``relu'(0) == 0`` and ``relu(nan)`` is nan, as in JAX.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.custom import custom_jvp
from trace_ag.numpy._base import asarray_or_tracer, promote_float
from trace_ag.random._special import erfc

Axis = int | tuple[int, ...] | None


def identity(x: Any) -> Any:
    """Returns ``x`` unchanged (as an array)."""
    return asarray_or_tracer(x)


def _zero_unless(mask: Any, g: Any) -> Any:
    return tnp.where(mask, g, tnp.zeros_like(g))


@custom_jvp
def relu(x: Any) -> Any:
    """``max(x, 0)``; nan stays nan and the derivative at 0 is 0 (as ``jax.nn.relu``).

    Examples:
        >>> relu(np.array([-1.0, 0.0, 2.0]))
        array([0., 0., 2.])
    """
    return tnp.maximum(x, 0)


relu.defjvp(lambda p, t: (relu(p[0]), _zero_unless(p[0] > 0, t[0])))


@custom_jvp
def relu6(x: Any) -> Any:
    """``min(max(x, 0), 6)``, derivative 0 at both kinks (as ``jax.nn.relu6``)."""
    return tnp.minimum(tnp.maximum(x, 0), 6.0)


relu6.defjvp(lambda p, t: (relu6(p[0]), _zero_unless((p[0] > 0) & (p[0] < 6), t[0])))


def _replace_posinf(x: Any) -> Any:
    return tnp.where(x == np.inf, tnp.zeros_like(x), x)


@custom_jvp
def _softplus(x: Any) -> Any:
    # jnp.logaddexp(x, 0): max plus log1p(exp(-|delta|)), nan where delta is nan
    return tnp.where(tnp.isnan(x), x, tnp.maximum(x, 0.0) + tnp.log1p(tnp.exp(-tnp.abs(x))))


def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    out = _softplus(x)
    return out, t * tnp.exp(_replace_posinf(x) - _replace_posinf(out))


_softplus.defjvp(_softplus_jvp)


def softplus(x: Any) -> Any:
    """``log(1 + exp(x))`` as ``jnp.logaddexp(x, 0)``, with its derivative ``sigmoid(x)``."""
    (x,) = promote_float(x)
    return _softplus(x)


def sigmoid(x: Any) -> Any:
    """The logistic function ``1 / (1 + exp(-x))``."""
    return tnp.sigmoid(x)


def soft_sign(x: Any) -> Any:
    """``x / (|x| + 1)``."""
    x = asarray_or_tracer(x)
    return x / (tnp.abs(x) + 1)


def silu(x: Any) -> Any:
    """``x * sigmoid(x)`` (also named ``swish``)."""
    x = asarray_or_tracer(x)
    return x * sigmoid(x)


swish = silu


def mish(x: Any) -> Any:
    """``x * tanh(softplus(x))``."""
    x = asarray_or_tracer(x)
    return x * tnp.tanh(softplus(x))


def log_sigmoid(x: Any) -> Any:
    """``log(sigmoid(x)) = -softplus(-x)``."""
    return -softplus(-asarray_or_tracer(x))


def elu(x: Any, alpha: Any = 1.0) -> Any:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    x = asarray_or_tracer(x)
    return tnp.where(x > 0, x, alpha * tnp.expm1(tnp.where(x > 0, 0.0, x)))


def leaky_relu(x: Any, negative_slope: Any = 0.01) -> Any:
    """``x`` for ``x >= 0``, else ``negative_slope * x``."""
    x = asarray_or_tracer(x)
    return tnp.where(x >= 0, x, negative_slope * x)


def hard_tanh(x: Any) -> Any:
    """``x`` clipped to ``[-1, 1]`` (derivative 1 at the bounds, as JAX's)."""
    x = asarray_or_tracer(x)
    return tnp.where(x > 1, 1, tnp.where(x < -1, -1, x))


def celu(x: Any, alpha: Any = 1.0) -> Any:
    """``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``."""
    return tnp.maximum(x, 0.0) + alpha * tnp.expm1(tnp.minimum(x, 0.0) / alpha)


def selu(x: Any) -> Any:
    """``scale * elu(x, alpha)`` with the self-normalizing constants."""
    return 1.0507009873554805 * elu(x, 1.6732632423543772)


def gelu(x: Any, approximate: bool = True) -> Any:
    """Gaussian error linear unit: the tanh approximation (default, as JAX) or the exact form
    ``x/2 * erfc(-x/sqrt(2))`` (``erf`` from Cephes' rational approximations)."""
    (x,) = promote_float(x)
    dtype = np.dtype(x.dtype)
    if approximate:
        c = dtype.type(np.sqrt(2 / np.pi))
        return x * (0.5 * (1.0 + tnp.tanh(c * (x + 0.044715 * x**3))))
    return tnp.astype(0.5 * x * erfc(-x * dtype.type(np.sqrt(0.5))), dtype)


def glu(x: Any, axis: int = -1) -> Any:
    """Gated linear unit: split ``x`` in two along ``axis``; ``first * sigmoid(second)``."""
    x = asarray_or_tracer(x)
    if x.shape[axis] % 2:
        raise ValueError(f"glu: axis {axis} has odd size {x.shape[axis]}; it must be even")
    x1, x2 = tnp.split(x, 2, axis)
    return x1 * sigmoid(x2)


def hard_sigmoid(x: Any) -> Any:
    """``relu6(x + 3) / 6``."""
    return relu6(asarray_or_tracer(x) + 3.0) / 6.0


def hard_silu(x: Any) -> Any:
    """``x * hard_sigmoid(x)`` (also named ``hard_swish``)."""
    x = asarray_or_tracer(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def squareplus(x: Any, b: Any = 4) -> Any:
    """``(x + sqrt(x**2 + b)) / 2``."""
    x = asarray_or_tracer(x)
    return (x + tnp.sqrt(tnp.square(x) + b)) / 2


def sparse_plus(x: Any) -> Any:
    """0 below -1, ``x`` above 1, ``(x + 1)**2 / 4`` between."""
    x = asarray_or_tracer(x)
    return tnp.where(x <= -1.0, 0.0, tnp.where(x >= 1.0, x, (x + 1.0) ** 2 / 4))


def sparse_sigmoid(x: Any) -> Any:
    """``clip(x + 1, 0, 2) / 2``."""
    return 0.5 * tnp.clip(asarray_or_tracer(x) + 1.0, 0.0, 2.0)


def _axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % ndim if ndim else int(a) for a in axes)


def _masked_max(x: Any, axis: Axis, where: Any, keepdims: bool = True) -> Any:
    if where is not None:
        x = tnp.where(where, x, -np.inf)
    if x.size == 0:
        return tnp.full(tnp.sum(x, axis, keepdims=keepdims).shape, -np.inf, x.dtype)
    return tnp.max(x, axis, keepdims=keepdims)


def _masked_sum(x: Any, axis: Axis, where: Any, keepdims: bool = True) -> Any:
    return tnp.sum(x if where is None else tnp.where(where, x, 0), axis, keepdims=keepdims)


def logsumexp(
    a: Any,
    axis: Axis = None,
    b: Any = None,
    keepdims: bool = False,
    return_sign: bool = False,
    where: Any = None,
) -> Any:
    """``log(sum(b * exp(a)))`` over ``axis`` without overflow, as ``jax.nn.logsumexp``.

    Examples:
        >>> float(logsumexp(np.array([1e4, 0.0])))
        10000.0
    """
    if where is not None:
        a = tnp.where(where, a, 0)
    if b is not None:
        a, b = promote_float(a, b)
        a = tnp.where(b != 0, a, -np.inf)
    else:
        (a,) = promote_float(a)
    amax = _masked_max(a, axis, where, keepdims=True)
    amax = tnp.stop_gradient(tnp.where(tnp.isfinite(amax), amax, 0))
    exp_a = tnp.exp(a - amax)
    if b is not None:
        exp_a = exp_a * b
    sumexp = _masked_sum(exp_a, axis, where, keepdims=True)
    sign = tnp.sign(sumexp)
    out = tnp.log(tnp.abs(sumexp)) + amax
    if not keepdims:
        axes = _axes(axis, a.ndim)
        keep = tuple(n for i, n in enumerate(out.shape) if i not in axes)
        out, sign = tnp.reshape(out, keep), tnp.reshape(sign, keep)
    if return_sign:
        return out, sign
    if b is not None:
        out = tnp.where(sign < 0, np.nan, out)
    return out


def logmeanexp(a: Any, axis: Axis = None, where: Any = None, keepdims: bool = False) -> Any:
    """``logsumexp(a) - log(n)``, ``n`` the number of (unmasked) elements reduced."""
    lse = logsumexp(a, axis, keepdims=keepdims, where=where)
    a = asarray_or_tracer(a)
    if where is None:
        count = math.prod(a.shape[i] for i in _axes(axis, a.ndim))
    else:
        count = tnp.sum(tnp.broadcast_to(where, a.shape), axis, keepdims=keepdims)
    return lse - tnp.log(tnp.astype(count, lse.dtype))


def log_softmax(x: Any, axis: Axis = -1, where: Any = None) -> Any:
    """``x - logsumexp(x)`` along ``axis``; masked-out entries are ``-inf``."""
    (x,) = promote_float(x)
    shifted = (x if where is None else tnp.where(where, x, -np.inf)) - tnp.stop_gradient(
        _masked_max(x, axis, where)
    )
    result = shifted - tnp.log(_masked_sum(tnp.exp(shifted), axis, where))
    return result if where is None else tnp.where(where, result, -np.inf)


def softmax(x: Any, axis: Axis = -1, where: Any = None) -> Any:
    """``exp(x) / sum(exp(x))`` along ``axis``; masked-out entries are 0."""
    (x,) = promote_float(x)
    x_safe = x if where is None else tnp.where(where, x, -np.inf)
    unnormalized = tnp.exp(x_safe - tnp.stop_gradient(_masked_max(x, axis, where)))
    result = unnormalized / _masked_sum(unnormalized, axis, where)
    return result if where is None else tnp.where(where, result, 0)


def standardize(
    x: Any,
    axis: Axis = -1,
    mean: Any = None,
    variance: Any = None,
    epsilon: Any = 1e-5,
    where: Any = None,
    *,
    algorithm: str = "fast",
) -> Any:
    """``(x - mean) / sqrt(variance + epsilon)`` along ``axis`` (JAX's "fast" variance
    ``mean(x**2) - mean(x)**2`` clipped at 0 by default, or ``algorithm="stable"``)."""
    (x,) = promote_float(x)

    def _mean(v: Any) -> Any:
        if where is None:
            return tnp.mean(v, axis, keepdims=True)
        w = tnp.broadcast_to(where, v.shape)
        return _masked_sum(v, axis, w) / tnp.astype(tnp.sum(w, axis, keepdims=True), v.dtype)

    if mean is None:
        mean = _mean(x)
    if variance is None:
        if algorithm == "stable":
            variance = _mean(tnp.square(x - mean))
        elif algorithm == "fast":
            variance = tnp.clip(_mean(tnp.square(x)) - tnp.square(mean), 0)
        else:
            raise ValueError(f"Unknown algorithm '{algorithm}'. Expected 'fast' or 'stable'.")
    return (x - mean) / tnp.sqrt(variance + epsilon)


def one_hot(x: Any, num_classes: int, *, dtype: Any = None, axis: int = -1) -> Any:
    """``x`` as one-hot vectors of length ``num_classes`` along ``axis`` (out-of-range: zeros).

    Examples:
        >>> one_hot(np.array([0, 2, 3]), 3)
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 0., 0.]])
    """
    x = asarray_or_tracer(x)
    if not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"one_hot: num_classes must be a concrete int, got {num_classes!r}")
    ndim = x.ndim + 1
    if not -ndim <= axis < ndim:
        raise ValueError(f"one_hot: axis {axis} is out of bounds for an output of rank {ndim}")
    pos = axis % ndim
    shape = [1] * x.ndim
    shape.insert(pos, int(num_classes))
    classes = np.arange(int(num_classes), dtype=x.dtype).reshape(shape)
    out = tnp.expand_dims(x, pos) == classes
    return tnp.astype(out, np.float64 if dtype is None else dtype)
