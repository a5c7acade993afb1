"""Optimizers in optax's convention: pure ``(init, update)`` pairs over pytrees.

``opt.init(params) -> state``; ``opt.update(grads, state, params) -> (updates, state)``;
``apply_updates(params, updates)`` adds them. States are NamedTuples of arrays (pytrees), so a
whole training step, optimizer included, can be ``ag.jit``-compiled. The arithmetic follows
optax's (same order of operations), and trajectories match ``optax`` to float64 precision.
``learning_rate`` may be a float or a schedule ``count -> float``.

Examples:
    >>> params = {"w": np.array([1.0, -2.0])}
    >>> grads = {"w": np.array([0.5, 0.5])}
    >>> opt = chain(clip_by_global_norm(1.0), adam(1e-3))
    >>> state = opt.init(params)
    >>> updates, state = opt.update(grads, state, params)
    >>> params = apply_updates(params, updates)
    >>> params
    {'w': array([ 0.999, -2.001])}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import trace_ag.numpy as tnp
from trace_ag.tree_util import tree_leaves, tree_map


class GradientTransformation(NamedTuple):
    """An optimizer: ``init(params) -> state`` and ``update(grads, state, params)``."""

    init: Callable
    update: Callable


class EmptyState(NamedTuple):
    """The state of a stateless transformation."""


class TraceState(NamedTuple):
    trace: Any


class ScaleByAdamState(NamedTuple):
    count: Any
    mu: Any
    nu: Any


class ScaleByRmsState(NamedTuple):
    nu: Any


class ScaleByRStdDevState(NamedTuple):
    mu: Any
    nu: Any


class ScaleByScheduleState(NamedTuple):
    count: Any


def _zeros_like(params: Any, fill: float = 0.0) -> Any:
    return tree_map(lambda p: np.full(np.shape(p), fill, np.asarray(p).dtype), params)


def _increment(count: Any) -> Any:
    return count + np.int32(1)


def _bias_correction(moment: Any, decay: float, count: Any) -> Any:
    correction = 1 - tnp.power(np.float64(decay), tnp.astype(count, np.float64))
    return tree_map(lambda t: t / tnp.astype(correction, t.dtype), moment)


# ---------------------------------------------------------------- building blocks


def identity() -> GradientTransformation:
    """Leaves updates unchanged. Example: ``chain(identity(), sgd(0.1))``."""
    return GradientTransformation(lambda params: EmptyState(), lambda u, s, p=None: (u, s))


def scale(step_size: float) -> GradientTransformation:
    """Multiplies updates by ``step_size``. Example: ``scale(-0.1)``."""
    return GradientTransformation(
        lambda params: EmptyState(),
        lambda updates, state, params=None: (tree_map(lambda g: g * step_size, updates), state),
    )


def scale_by_schedule(schedule: Callable[[Any], Any]) -> GradientTransformation:
    """Multiplies updates by ``schedule(count)``; ``count`` starts at 0.

    Example: ``scale_by_schedule(lambda n: -0.1 / (1 + n))``."""

    def update(updates, state, params=None):
        factor = schedule(state.count)
        updates = tree_map(lambda g: g * tnp.astype(factor, g.dtype), updates)
        return updates, ScaleByScheduleState(_increment(state.count))

    return GradientTransformation(lambda params: ScaleByScheduleState(np.int32(0)), update)


def scale_by_learning_rate(learning_rate: float | Callable) -> GradientTransformation:
    """Multiplies by ``-learning_rate`` (a number or a schedule). Example: see ``sgd``."""
    if callable(learning_rate):
        return scale_by_schedule(lambda count: -learning_rate(count))
    return scale(-learning_rate)


def trace(decay: float, nesterov: bool = False) -> GradientTransformation:
    """Momentum: ``t = g + decay * t``; the update is ``t`` (or ``g + decay * t``, Nesterov).

    Example: ``chain(trace(0.9), scale(-0.1))``."""

    def update(updates, state, params=None):
        new = tree_map(lambda g, t: g + decay * t, updates, state.trace)
        out = tree_map(lambda g, t: g + decay * t, updates, new) if nesterov else new
        return out, TraceState(new)

    return GradientTransformation(lambda params: TraceState(_zeros_like(params)), update)


def scale_by_adam(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0) -> GradientTransformation:
    """Adam's direction ``mu_hat / (sqrt(nu_hat + eps_root) + eps)``.

    Example: ``chain(scale_by_adam(), scale(-1e-3))`` is ``adam(1e-3)``."""

    def init(params):
        return ScaleByAdamState(np.int32(0), _zeros_like(params), _zeros_like(params))

    def update(updates, state, params=None):
        mu = tree_map(lambda g, m: (1 - b1) * g + b1 * m, updates, state.mu)
        nu = tree_map(lambda g, v: (1 - b2) * (g * g) + b2 * v, updates, state.nu)
        count = _increment(state.count)
        mu_hat, nu_hat = _bias_correction(mu, b1, count), _bias_correction(nu, b2, count)
        out = tree_map(lambda m, v: m / (tnp.sqrt(v + eps_root) + eps), mu_hat, nu_hat)
        return out, ScaleByAdamState(count, mu, nu)

    return GradientTransformation(init, update)


def scale_by_rms(decay=0.9, eps=1e-8, initial_scale=0.0) -> GradientTransformation:
    """RMSProp's ``g / sqrt(nu + eps)`` (optax's default ``eps_in_sqrt=True``).

    Example: ``chain(scale_by_rms(0.9), scale(-1e-3))`` is ``rmsprop(1e-3)``."""

    def update(updates, state, params=None):
        nu = tree_map(lambda g, v: (1 - decay) * (g * g) + decay * v, updates, state.nu)
        return tree_map(lambda g, v: g / tnp.sqrt(v + eps), updates, nu), ScaleByRmsState(nu)

    return GradientTransformation(
        lambda params: ScaleByRmsState(_zeros_like(params, initial_scale)), update
    )


def scale_by_stddev(decay=0.9, eps=1e-8, initial_scale=0.0) -> GradientTransformation:
    """Centered RMSProp's ``g / sqrt(nu - mu**2 + eps)``.

    Example: ``chain(scale_by_stddev(0.9), scale(-1e-3))`` is ``rmsprop(1e-3, centered=True)``."""

    def update(updates, state, params=None):
        mu = tree_map(lambda g, m: (1 - decay) * g + decay * m, updates, state.mu)
        nu = tree_map(lambda g, v: (1 - decay) * (g * g) + decay * v, updates, state.nu)
        out = tree_map(lambda g, m, v: g / tnp.sqrt(v - m * m + eps), updates, mu, nu)
        return out, ScaleByRStdDevState(mu, nu)

    def init(params):
        return ScaleByRStdDevState(_zeros_like(params), _zeros_like(params, initial_scale))

    return GradientTransformation(init, update)


def add_decayed_weights(weight_decay: float) -> GradientTransformation:
    """Adds ``weight_decay * params`` to the updates (decoupled weight decay).

    Example: ``chain(scale_by_adam(), add_decayed_weights(1e-4), scale(-1e-3))``."""

    def update(updates, state, params=None):
        if params is None:
            raise ValueError("add_decayed_weights: update(grads, state, params) needs params")
        return tree_map(lambda g, p: g + weight_decay * p, updates, params), state

    return GradientTransformation(lambda params: EmptyState(), update)


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """Rescales all updates together so that their global L2 norm is at most ``max_norm``.

    Example: ``chain(clip_by_global_norm(1.0), sgd(0.1))``."""

    def update(updates, state, params=None):
        norm = tnp.sqrt(sum(tnp.sum(g * g) for g in tree_leaves(updates)))
        keep = norm < max_norm
        updates = tree_map(
            lambda g: tnp.where(keep, g, g / tnp.astype(norm, g.dtype) * max_norm), updates
        )
        return updates, state

    return GradientTransformation(lambda params: EmptyState(), update)


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Applies ``transforms`` in order; the state is the tuple of their states.

    Example: ``chain(clip_by_global_norm(1.0), adam(1e-3))``."""

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(updates, state, params=None):
        new_states = []
        for t, s in zip(transforms, state, strict=True):
            updates, s = t.update(updates, s, params)
            new_states.append(s)
        return updates, tuple(new_states)

    return GradientTransformation(init, update)


def apply_updates(params: Any, updates: Any) -> Any:
    """``params + updates`` leaf by leaf, keeping each parameter's dtype.

    Example: ``params = apply_updates(params, updates)``."""
    return tree_map(lambda p, u: tnp.astype(p + u, _dtype(p)), params, updates)


def _dtype(x: Any) -> np.dtype:
    return np.dtype(x.dtype) if hasattr(x, "dtype") else np.asarray(x).dtype


# ---------------------------------------------------------------- optimizers


def sgd(learning_rate, momentum: float | None = None, nesterov: bool = False):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    Example: ``opt = sgd(0.1, momentum=0.9)``."""
    return chain(
        trace(momentum, nesterov) if momentum is not None else identity(),
        scale_by_learning_rate(learning_rate),
    )


def adam(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0):
    """Adam (Kingma & Ba). Example: ``opt = adam(1e-3)``."""
    return chain(scale_by_adam(b1, b2, eps, eps_root), scale_by_learning_rate(learning_rate))


def adamw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, weight_decay=1e-4):
    """Adam with decoupled weight decay (Loshchilov & Hutter). Example: ``adamw(1e-3)``."""
    return chain(
        scale_by_adam(b1, b2, eps, eps_root),
        add_decayed_weights(weight_decay),
        scale_by_learning_rate(learning_rate),
    )


def rmsprop(
    learning_rate,
    decay=0.9,
    eps=1e-8,
    initial_scale=0.0,
    centered=False,
    momentum=None,
    nesterov=False,
):
    """RMSProp as optax defines it (eps inside the square root; momentum after the step size).

    Example: ``opt = rmsprop(1e-3, momentum=0.9)``."""
    scaling = (scale_by_stddev if centered else scale_by_rms)(decay, eps, initial_scale)
    return chain(
        scaling,
        scale_by_learning_rate(learning_rate),
        trace(momentum, nesterov) if momentum is not None else identity(),
    )
