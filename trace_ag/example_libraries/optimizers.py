"""``jax.example_libraries.optimizers``: an optimizer is a triple
``(init_fun, update_fun, get_params)`` over pytrees of arrays, as in JAX's example library.

::

    opt_init, opt_update, get_params = optimizers.adam(1e-3)
    opt_state = opt_init(params)
    opt_state = opt_update(step, grads, opt_state)
    params = get_params(opt_state)

The state is a pytree (``OptimizerState``), so ``update_fun`` works under ``ag.jit``.

Examples:
    >>> import numpy as np
    >>> init, update, get_params = sgd(0.1)
    >>> get_params(update(0, {"w": np.ones(2)}, init({"w": np.zeros(2)})))
    {'w': array([-0.1, -0.1])}
"""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from trace_ag import numpy as tnp
from trace_ag import tree_util as tu

OptimizerState = namedtuple("OptimizerState", ["packed_state", "tree_def", "subtree_defs"])
tu.register_pytree_node(
    OptimizerState,
    lambda xs: ((xs.packed_state,), (xs.tree_def, xs.subtree_defs)),
    lambda data, xs: OptimizerState(xs[0], data[0], data[1]),
)

Schedule = Callable[[Any], Any]


class Optimizer(NamedTuple):
    init_fn: Callable
    update_fn: Callable
    params_fn: Callable


def _unzip2(pairs: list) -> tuple[list, list]:
    return [a for a, _ in pairs], [b for _, b in pairs]


def optimizer(opt_maker: Callable[..., tuple]) -> Callable[..., Optimizer]:
    """Lift an optimizer on single arrays, ``(init, update, get_params)``, to pytrees."""

    @functools.wraps(opt_maker)
    def tree_opt_maker(*args: Any, **kwargs: Any) -> Optimizer:
        init, update, get_params = opt_maker(*args, **kwargs)

        def tree_init(x0_tree: Any) -> OptimizerState:
            x0_flat, tree = tu.tree_flatten(x0_tree)
            states_flat, subtrees = _unzip2([tu.tree_flatten(init(x0)) for x0 in x0_flat])
            return OptimizerState(states_flat, tree, subtrees)

        def tree_update(i: Any, grad_tree: Any, opt_state: OptimizerState) -> OptimizerState:
            states_flat, tree, subtrees = opt_state
            grad_flat, tree2 = tu.tree_flatten(grad_tree)
            if tree2 != tree:
                raise TypeError(
                    "optimizer update function was passed a gradient tree that did not match "
                    f"the parameter tree structure with which it was initialized: parameter "
                    f"tree {tree} and grad tree {tree2}."
                )
            states = [tu.tree_unflatten(s, f) for s, f in zip(subtrees, states_flat, strict=True)]
            new = [update(i, g, s) for g, s in zip(grad_flat, states, strict=True)]
            new_flat, subtrees2 = _unzip2([tu.tree_flatten(s) for s in new])
            for subtree, subtree2 in zip(subtrees, subtrees2, strict=True):
                if subtree2 != subtree:
                    raise TypeError(
                        "optimizer update function produced an output structure that did not "
                        f"match its input structure: input {subtree} and output {subtree2}."
                    )
            return OptimizerState(new_flat, tree, subtrees)

        def tree_get_params(opt_state: OptimizerState) -> Any:
            states_flat, tree, subtrees = opt_state
            states = [tu.tree_unflatten(s, f) for s, f in zip(subtrees, states_flat, strict=True)]
            return tu.tree_unflatten(tree, [get_params(s) for s in states])

        return Optimizer(tree_init, tree_update, tree_get_params)

    return tree_opt_maker


def constant(step_size: Any) -> Schedule:
    """The schedule ``i -> step_size``."""
    return lambda i: step_size


def exponential_decay(step_size: Any, decay_steps: Any, decay_rate: Any) -> Schedule:
    """``step_size * decay_rate ** (i / decay_steps)``."""
    return lambda i: step_size * decay_rate ** (i / decay_steps)


def inverse_time_decay(step_size, decay_steps, decay_rate, staircase: bool = False) -> Schedule:
    """``step_size / (1 + decay_rate * i / decay_steps)`` (floored with ``staircase``)."""
    if staircase:
        return lambda i: step_size / (1 + decay_rate * tnp.floor(i / decay_steps))
    return lambda i: step_size / (1 + decay_rate * i / decay_steps)


def polynomial_decay(step_size, decay_steps, final_step_size, power: float = 1.0) -> Schedule:
    """From ``step_size`` to ``final_step_size`` over ``decay_steps`` as ``(1 - t) ** power``."""

    def schedule(step_num: Any) -> Any:
        step_num = tnp.minimum(step_num, decay_steps)
        step_mult = (1 - step_num / decay_steps) ** power
        return step_mult * (step_size - final_step_size) + final_step_size

    return schedule


def piecewise_constant(boundaries: Any, values: Any) -> Schedule:
    """``values[k]`` where ``k`` boundaries are below ``i``."""
    boundaries, values = np.asarray(boundaries), np.asarray(values)
    if not boundaries.ndim == values.ndim == 1:
        raise ValueError("boundaries and values must be sequences")
    if not boundaries.shape[0] == values.shape[0] - 1:
        raise ValueError("boundaries length must be one shorter than values length")
    return lambda i: tnp.take(values, tnp.sum(i > boundaries))


def make_schedule(scalar_or_schedule: float | Schedule) -> Schedule:
    """A schedule from a schedule or a scalar step size."""
    if callable(scalar_or_schedule):
        return scalar_or_schedule
    if np.ndim(scalar_or_schedule) == 0:
        return constant(scalar_or_schedule)
    raise TypeError(type(scalar_or_schedule))


@optimizer
def sgd(step_size: Any):
    """Stochastic gradient descent: ``x - step_size(i) * g``."""
    step_size = make_schedule(step_size)
    return (lambda x0: x0), (lambda i, g, x: x - step_size(i) * g), (lambda x: x)


@optimizer
def momentum(step_size: Any, mass: float):
    """Heavy-ball momentum: ``v = mass * v + g; x -= step_size(i) * v``."""
    step_size = make_schedule(step_size)

    def update(i: Any, g: Any, state: tuple) -> tuple:
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * velocity, velocity

    return (lambda x0: (x0, tnp.zeros_like(x0))), update, (lambda state: state[0])


@optimizer
def nesterov(step_size: Any, mass: float):
    """Nesterov momentum."""
    step_size = make_schedule(step_size)

    def update(i: Any, g: Any, state: tuple) -> tuple:
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * (mass * velocity + g), velocity

    return (lambda x0: (x0, tnp.zeros_like(x0))), update, (lambda state: state[0])


@optimizer
def adagrad(step_size: Any, momentum: float = 0.9):
    """Adagrad with momentum, as JAX's example library writes it."""
    step_size = make_schedule(step_size)

    def init(x0: Any) -> tuple:
        return x0, tnp.zeros_like(x0), tnp.zeros_like(x0)

    def update(i: Any, g: Any, state: tuple) -> tuple:
        x, g_sq, m = state
        g_sq = g_sq + tnp.square(g)
        g_sq_inv_sqrt = tnp.where(g_sq > 0, 1.0 / tnp.sqrt(g_sq), 0.0)
        m = (1.0 - momentum) * (g * g_sq_inv_sqrt) + momentum * m
        return x - step_size(i) * m, g_sq, m

    return init, update, (lambda state: state[0])


@optimizer
def rmsprop(step_size: Any, gamma: float = 0.9, eps: float = 1e-8):
    """RMSProp: divide by the root of a running mean of squared gradients."""
    step_size = make_schedule(step_size)

    def update(i: Any, g: Any, state: tuple) -> tuple:
        x, avg_sq_grad = state
        avg_sq_grad = avg_sq_grad * gamma + tnp.square(g) * (1.0 - gamma)
        return x - step_size(i) * g / tnp.sqrt(avg_sq_grad + eps), avg_sq_grad

    return (lambda x0: (x0, tnp.zeros_like(x0))), update, (lambda state: state[0])


@optimizer
def rmsprop_momentum(step_size: Any, gamma: float = 0.9, eps: float = 1e-8, momentum=0.9):
    """RMSProp with momentum."""
    step_size = make_schedule(step_size)

    def init(x0: Any) -> tuple:
        return x0, tnp.zeros_like(x0), tnp.zeros_like(x0)

    def update(i: Any, g: Any, state: tuple) -> tuple:
        x, avg_sq_grad, mom = state
        avg_sq_grad = avg_sq_grad * gamma + tnp.square(g) * (1.0 - gamma)
        mom = momentum * mom + step_size(i) * g / tnp.sqrt(avg_sq_grad + eps)
        return x - mom, avg_sq_grad, mom

    return init, update, (lambda state: state[0])


@optimizer
def adam(step_size: Any, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
    """Adam (Kingma and Ba), bias-corrected with the step index ``i`` (0-based)."""
    step_size = make_schedule(step_size)

    def init(x0: Any) -> tuple:
        return x0, tnp.zeros_like(x0), tnp.zeros_like(x0)

    def update(i: Any, g: Any, state: tuple) -> tuple:
        x, m, v = state
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * tnp.square(g) + b2 * v
        mhat = m / (1 - np.asarray(b1, m.dtype) ** (i + 1))
        vhat = v / (1 - np.asarray(b2, m.dtype) ** (i + 1))
        return x - step_size(i) * mhat / (tnp.sqrt(vhat) + eps), m, v

    return init, update, (lambda state: state[0])


@optimizer
def adamax(step_size: Any, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
    """Adamax: Adam with the infinity norm."""
    step_size = make_schedule(step_size)

    def init(x0: Any) -> tuple:
        return x0, tnp.zeros_like(x0), tnp.zeros_like(x0)

    def update(i: Any, g: Any, state: tuple) -> tuple:
        x, m, u = state
        m = (1 - b1) * g + b1 * m
        u = tnp.maximum(b2 * u, tnp.abs(g))
        x = x - step_size(i) / (1 - np.asarray(b1, m.dtype) ** (i + 1)) * m / (u + eps)
        return x, m, u

    return init, update, (lambda state: state[0])


def l2_norm(tree: Any) -> Any:
    """The L2 norm of all the leaves of `tree` together."""
    leaves = tu.tree_leaves(tree)
    return tnp.sqrt(sum(tnp.vdot(x, x) for x in leaves))


def clip_grads(grad_tree: Any, max_norm: Any) -> Any:
    """`grad_tree` scaled down so its `l2_norm` is at most `max_norm`."""
    norm = l2_norm(grad_tree)
    return tu.tree_map(lambda g: tnp.where(norm < max_norm, g, g * (max_norm / norm)), grad_tree)


class JoinPoint:
    """Marks where a leaf's optimizer subtree sits in an unpacked optimizer state."""

    def __init__(self, subtree: Any) -> None:
        self.subtree = subtree

    def __iter__(self):
        yield self.subtree


def unpack_optimizer_state(opt_state: OptimizerState) -> Any:
    """The state as a pytree of `JoinPoint`s shaped like the parameters (for saving)."""
    states_flat, tree_def, subtree_defs = opt_state
    subtrees = [tu.tree_unflatten(d, s) for d, s in zip(subtree_defs, states_flat, strict=True)]
    return tu.tree_unflatten(tree_def, [JoinPoint(s) for s in subtrees])


def pack_optimizer_state(marked_pytree: Any) -> OptimizerState:
    """Inverse of `unpack_optimizer_state`."""
    sentinels, tree_def = tu.tree_flatten(marked_pytree)
    if not all(isinstance(s, JoinPoint) for s in sentinels):
        raise TypeError("pack_optimizer_state: expected a pytree of JoinPoint leaves")
    states_flat, subtree_defs = _unzip2([tu.tree_flatten(s.subtree) for s in sentinels])
    return OptimizerState(states_flat, tree_def, subtree_defs)
