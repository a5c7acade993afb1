"""The training loop: ``fit`` runs minibatch steps (jit-compiled when ``trace_ag.jit`` exists),
shows a tqdm progress bar, evaluates on the held-out split after every epoch, optionally saves a
checkpoint, and returns the trained parameters with the per-epoch history.

A step is one pure function ``(params, opt_state, x, y) -> (params, opt_state, loss, acc)``:
``ag.value_and_grad`` of the loss, the optimizer's update, ``apply_updates``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import trace_ag
import trace_ag as ag
from nn import layers, losses, optim
from nn.checkpoint import save_checkpoint
from nn.data import Dataset, batches
from trace_ag.tree_util import tree_map

History = dict[str, list[float]]


def _apply_fn(model: Any) -> Callable:
    return model.apply if hasattr(model, "apply") else model


def _is_stochastic(model: Any) -> bool:
    """Whether training draws random masks with NumPy (Dropout), which jit cannot recompile."""
    if isinstance(model, layers.Dropout):
        return model.rate > 0
    return any(_is_stochastic(la) for la in getattr(model, "layers", ()))


def _maybe_jit(fn: Callable, enabled: bool, **options: Any) -> Callable:
    return ag.jit(fn, **options) if enabled and hasattr(trace_ag, "jit") else fn


def make_train_step(
    model: Any, optimizer: optim.GradientTransformation, loss_fn: Callable, rng=None
) -> Callable:
    """The pure training step ``(params, opt_state, x, y) -> (params, opt_state, loss, acc)``.

    Example:
        >>> step = ag.jit(make_train_step(model, optim.adam(1e-3), losses.cross_entropy))
    """
    apply = _apply_fn(model)

    def train_step(params, opt_state, x, y):
        def objective(p):
            logits = apply(p, x, rng=rng, training=True)
            return loss_fn(logits, y), logits

        (loss, logits), grads = ag.value_and_grad(objective, has_aux=True)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optim.apply_updates(params, updates), opt_state, loss, losses.accuracy(logits, y)

    return train_step


def evaluate(
    model: Any,
    params: Any,
    x: np.ndarray,
    y: np.ndarray,
    *,
    loss_fn: Callable = losses.cross_entropy,
    batch_size: int = 500,
    jit: bool = True,
) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on ``(x, y)``, in batches.

    Example:
        >>> loss, acc = evaluate(model, params, data.x_test, data.y_test)
    """
    apply = _apply_fn(model)

    def metrics(params, xb, yb):
        logits = apply(params, xb)
        return loss_fn(logits, yb), losses.accuracy(logits, yb)

    metrics = _maybe_jit(metrics, jit)
    total_loss = total_acc = 0.0
    for xb, yb in batches(x, y, batch_size):
        loss, acc = metrics(params, xb, yb)
        total_loss, total_acc = total_loss + float(loss) * len(xb), total_acc + float(acc) * len(xb)
    return total_loss / len(x), total_acc / len(x)


def fit(
    model: Any,
    params: Any,
    data: Dataset,
    optimizer: optim.GradientTransformation,
    *,
    epochs: int = 1,
    batch_size: int = 64,
    seed: int = 0,
    loss_fn: Callable = losses.cross_entropy,
    jit: bool | None = None,
    progress: bool = True,
    checkpoint: str | Path | None = None,
    eval_batch_size: int = 500,
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
) -> tuple[Any, History]:
    """Train ``model`` (a layer, or ``apply(params, x, *, rng, training)``) on ``data``.

    Each epoch shuffles the training split with ``seed + epoch`` (the last partial batch is
    dropped, so every step has one shape and jit compiles once), then evaluates on the test
    split. ``jit=None`` compiles the step when ``trace_ag.jit`` exists and the model draws no
    dropout masks. ``checkpoint`` saves the params after every epoch.

    Returns ``(params, history)`` with per-epoch ``train_loss``, ``train_accuracy``,
    ``test_loss``, ``test_accuracy`` and ``seconds``. ``augment(x_batch, rng)`` transforms
    each training batch before the step (e.g. ``nn.data.random_shift``).

    Example:
        >>> params, history = fit(model, params, load_digits(), optim.adam(1e-3), epochs=5)
    """
    from tqdm.auto import tqdm

    use_jit = (jit if jit is not None else not _is_stochastic(model)) and hasattr(trace_ag, "jit")
    rng = np.random.default_rng(seed)
    step = make_train_step(model, optimizer, loss_fn, rng)
    step = _maybe_jit(step, use_jit, donate_argnums=(0, 1))
    params = tree_map(np.array, params)  # the step may reuse (donate) these buffers
    opt_state = tree_map(np.array, optimizer.init(params))
    history: History = {
        k: [] for k in ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds")
    }
    steps = len(data.x_train) // batch_size
    for epoch in range(epochs):
        start, seen_loss, seen_acc = time.perf_counter(), [], []
        bar = tqdm(total=steps, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress)
        for xb, yb in batches(
            data.x_train, data.y_train, batch_size, seed=seed + epoch, drop_last=True
        ):
            xb = augment(xb, rng) if augment is not None else xb
            params, opt_state, loss, acc = step(params, opt_state, xb, yb)
            seen_loss.append(float(loss))
            seen_acc.append(float(acc))
            bar.update(1)
            bar.set_postfix(loss=f"{seen_loss[-1]:.4f}", acc=f"{seen_acc[-1]:.3f}", refresh=False)
        test_loss, test_acc = evaluate(
            model,
            params,
            data.x_test,
            data.y_test,
            loss_fn=loss_fn,
            batch_size=eval_batch_size,
            jit=use_jit,
        )
        bar.set_postfix(loss=f"{np.mean(seen_loss):.4f}", test_acc=f"{test_acc:.4f}")
        bar.close()
        for key, value in zip(
            history,
            (
                np.mean(seen_loss),
                np.mean(seen_acc),
                test_loss,
                test_acc,
                time.perf_counter() - start,
            ),
            strict=True,
        ):
            history[key].append(float(value))
        if checkpoint is not None:
            save_checkpoint(checkpoint, params)
    return params, history
