"""The training loop: ``fit`` runs minibatch steps (jit-compiled when ``trace_ag.jit`` exists),
shows a tqdm progress bar in a terminal (one line per epoch in a log), evaluates on the held-out
split after every epoch, optionally saves a checkpoint, stops with ``NonFiniteLossError``
when the loss becomes NaN or infinite, and returns the trained parameters with the per-epoch
history. The same step runs on NumPy, on JAX, or data-parallel over JAX devices and processes
(``nn.distributed``).

A step is one pure function ``(params, opt_state, x, y) -> (params, opt_state, loss, acc)``:
``ag.value_and_grad`` of the loss, the optimizer's update, ``apply_updates``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

import trace_ag
import trace_ag as ag
from nn import distributed, layers, losses, optim
from nn.checkpoint import checkpoint_path, save_checkpoint
from nn.data import Dataset, batches
from nn.errors import at_user_line
from trace_ag import errors
from trace_ag.tree_util import tree_map

History = dict[str, list[float]]


class NonFiniteLossError(errors.TraceAgError, FloatingPointError):
    """Training diverged: a step's loss was NaN or infinite (``fit`` stops; the checkpoint, if
    any, keeps the last epoch whose losses were all finite)."""


def _interactive() -> bool:
    """Whether a progress bar can redraw itself: stdout and stderr are both terminals (not a
    pipe, ``| tee``, a file or a CI log, where each redraw would be a line of its own)."""
    try:
        return sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


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

    Examples:
        >>> model = layers.Sequential([layers.Flatten(), layers.Linear(3)])
        >>> params, _ = model.init(0, (2,))
        >>> opt = optim.adam(1e-2)
        >>> step = ag.jit(make_train_step(model, opt, losses.cross_entropy))
        >>> x, y = np.random.default_rng(0).normal(size=(8, 2)), np.arange(8) % 3
        >>> params, opt_state, loss, acc = step(params, opt.init(params), x, y)
        >>> round(float(loss), 4), float(acc)
        (1.2816, 0.25)
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
    backend: str = "numpy",
) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on ``(x, y)``, in batches (compiled with
    ``backend`` when ``jit``).

    Examples:
        >>> model = layers.Sequential([layers.Flatten(), layers.Linear(3)])
        >>> params, _ = model.init(0, (2,))
        >>> x, y = np.random.default_rng(0).normal(size=(8, 2)), np.arange(8) % 3
        >>> loss, acc = evaluate(model, params, x, y, batch_size=4)
        >>> round(loss, 4), acc
        (1.2816, 0.25)
    """
    apply = _apply_fn(model)

    def metrics(params, xb, yb):
        logits = apply(params, xb)
        return loss_fn(logits, yb), losses.accuracy(logits, yb)

    metrics = _maybe_jit(metrics, jit, backend=backend)
    total_loss = total_acc = 0.0
    for xb, yb in batches(x, y, batch_size):
        loss, acc = metrics(params, xb, yb)
        total_loss, total_acc = total_loss + float(loss) * len(xb), total_acc + float(acc) * len(xb)
    return total_loss / len(x), total_acc / len(x)


class _Placement(NamedTuple):
    """Where ``fit`` runs: the backend, the data-parallel mesh (or None) and this process."""

    backend: str
    dp: distributed.DataParallel | None
    process_index: int
    process_count: int


def _placement(
    backend: str,
    devices: int | str | None,
    processes: tuple[int | None, int | None, str | None],
    batch_size: int,
    timeout_s: float,
) -> _Placement:
    """Check fit's backend/devices/process arguments; join the processes; build the mesh."""
    num_processes, process_id, coordinator = processes
    if backend not in ("numpy", "jax"):
        raise ValueError(f"fit: backend must be 'numpy' or 'jax', got {backend!r}")
    if backend == "numpy" and (devices is not None or num_processes is not None):
        raise ValueError(
            f"fit: devices={devices!r} and num_processes={num_processes!r} need backend='jax' "
            "(the numpy backend runs on one CPU)"
        )
    if num_processes is not None:
        if process_id is None or coordinator is None:
            raise ValueError(
                f"fit: num_processes={num_processes} also needs process_id and coordinator "
                f"(got process_id={process_id!r}, coordinator={coordinator!r})"
            )
        distributed.initialize(num_processes, process_id, coordinator, timeout_s=int(timeout_s))
        devices = "all" if devices is None else devices
    elif process_id is not None or coordinator is not None:
        raise ValueError("fit: process_id and coordinator need num_processes")
    if backend == "numpy":
        return _Placement(backend, None, 0, 1)
    dp = None if devices is None else distributed.data_parallel(devices, batch_size, "fit")
    jax = distributed.import_jax()
    return _Placement(backend, dp, jax.process_index(), jax.process_count())


def _compile_step(step: Callable, use_jit: bool, where: _Placement) -> Callable:
    """The step compiled for ``where``: parameters and optimizer state replicated, batches
    split along the mesh, so GSPMD inserts the gradient all-reduce."""
    if where.dp is None:
        return _maybe_jit(step, use_jit, donate_argnums=(0, 1), backend=where.backend)
    rep, batch = where.dp.replicated, where.dp.batch
    return ag.jit(
        step,
        backend="jax",
        donate_argnums=(0, 1),
        in_shardings=(rep, rep, batch, batch),
        out_shardings=rep,
    )


def _train_batches(data: Dataset, batch_size: int, seed: int, where: _Placement) -> Iterator:
    """This process's rows of each shuffled global batch (all of them with one process)."""
    rows = slice(None) if where.dp is None else where.dp.local_rows(batch_size)
    ids = np.arange(len(data.x_train))
    for index, _ in batches(ids, ids, batch_size, seed=seed, drop_last=True):
        yield data.x_train[index[rows]], data.y_train[index[rows]]


def _scalar(x: Any) -> float:
    """A replicated scalar as a float, read from this process's own copy."""
    return float(distributed.to_host(x))


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
    backend: str = "numpy",
    devices: int | str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
    coordinator: str | None = None,
    timeout_s: float = 120.0,
) -> tuple[Any, History]:
    """Train ``model`` (a layer, or ``apply(params, x, *, rng, training)``) on ``data``.

    Each epoch shuffles the training split with ``seed + epoch`` (the last partial batch is
    dropped, so every step has one shape and jit compiles once), then evaluates on the test
    split. ``jit=None`` compiles the step when ``trace_ag.jit`` exists and the model draws no
    dropout masks. ``checkpoint`` saves the params after every epoch (atomically: an
    interrupted save keeps the previous one). ``progress`` shows a tqdm bar when stdout and
    stderr are terminals, else prints one line per epoch. A step whose loss is NaN or infinite
    raises ``NonFiniteLossError`` (the checkpoint keeps the last finite epoch).

    ``backend="jax"`` compiles the step through JAX/XLA. ``devices=N`` (or ``"all"``) trains
    data-parallel over a 1-D mesh of N devices: each batch is split along it (``batch_size``
    must divide by N), parameters and optimizer state are replicated, and XLA inserts the
    gradient all-reduce; the result equals one device's on the same batches. With
    ``num_processes``, ``process_id`` and ``coordinator="HOST:PORT"`` the processes join through
    ``jax.distributed`` (``devices`` then defaults to all of theirs); each process reads only
    its own rows of every global batch, and only process 0 shows progress and writes the
    checkpoint. ``timeout_s`` is the wait for the others to join and the heartbeat timeout
    after which a dead process ends the others; a step stalled for ``2 * timeout_s`` (a peer
    that hangs) ends this process (exit code 75): errors instead of a hang. See docs/scaling_out.md.

    Returns ``(params, history)`` with NumPy params and per-epoch ``train_loss``,
    ``train_accuracy``, ``test_loss``, ``test_accuracy`` and ``seconds``. ``augment(x_batch,
    rng)`` transforms each training batch (this process's rows of it) before the step (e.g.
    ``nn.data.random_shift``).

    Examples:
        >>> model = layers.Sequential([layers.Flatten(), layers.Linear(3)])
        >>> params, _ = model.init(0, (2,))
        >>> x, y = np.random.default_rng(0).normal(size=(8, 2)), np.arange(8) % 3
        >>> data = Dataset(x, y, x, y)
        >>> params, history = fit(
        ...     model, params, data, optim.adam(1e-2), epochs=2, batch_size=4, progress=False
        ... )
        >>> [round(v, 4) for v in history["test_loss"]]
        [1.2672, 1.2553]
        >>> sorted(history)
        ['seconds', 'test_accuracy', 'test_loss', 'train_accuracy', 'train_loss']

        On real data, data-parallel over 8 JAX devices:
        ``fit(model, params, load_digits(), opt, epochs=5, backend="jax", devices=8)``.
    """
    from tqdm.auto import tqdm

    where = _placement(
        backend, devices, (num_processes, process_id, coordinator), batch_size, timeout_s
    )
    stochastic = _is_stochastic(model)
    if backend == "jax" and (jit is False or stochastic):
        raise ValueError(
            f"fit: backend='jax' compiles the step, but jit={jit!r} and the model "
            f"{'draws' if stochastic else 'does not draw'} dropout masks with NumPy; use "
            "backend='numpy' for an eager step"
        )
    use_jit = (jit if jit is not None else not stochastic) and hasattr(trace_ag, "jit")
    rng = np.random.default_rng(seed)
    step = _compile_step(make_train_step(model, optimizer, loss_fn, rng), use_jit, where)
    params = tree_map(np.array, params)  # the step may reuse (donate) these buffers
    opt_state = tree_map(np.array, optimizer.init(params))
    if where.dp is not None:
        params, opt_state = where.dp.replicate(params), where.dp.replicate(opt_state)
    main = where.process_index == 0
    history: History = {
        k: [] for k in ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds")
    }
    steps = len(data.x_train) // batch_size
    if steps == 0:
        raise ValueError(
            at_user_line(
                f"fit: {len(data.x_train)} training examples are fewer than batch_size="
                f"{batch_size}, so no step would run (the last partial batch is dropped)"
            )
        )
    show_bar = progress and main and _interactive()
    for epoch in range(epochs):
        start, seen_loss, seen_acc = time.perf_counter(), [], []
        bar = tqdm(total=steps, desc=f"epoch {epoch + 1}/{epochs}", disable=not show_bar)
        try:
            for i, (xb, yb) in enumerate(_train_batches(data, batch_size, seed + epoch, where)):
                xb = augment(xb, rng) if augment is not None else xb
                if where.dp is not None:
                    xb, yb = where.dp.shard(xb, batch_size), where.dp.shard(yb, batch_size)
                # Not the first step (compilation); after the heartbeat, which names a dead peer.
                guard = 2 * timeout_s if where.process_count > 1 and (epoch or i) else None
                what = f"fit: step {i} of epoch {epoch + 1} in process {where.process_index}"
                with distributed.Watchdog(guard, what):
                    params, opt_state, loss, acc = step(params, opt_state, xb, yb)
                    seen_loss.append(_scalar(loss))
                if not math.isfinite(seen_loss[-1]):
                    raise _diverged(seen_loss[-1], i, epoch, checkpoint)
                seen_acc.append(_scalar(acc))
                bar.update(1)
                bar.set_postfix(
                    loss=f"{seen_loss[-1]:.4f}", acc=f"{seen_acc[-1]:.3f}", refresh=False
                )
        except BaseException:
            bar.close()
            raise
        host_params = distributed.to_host(params) if backend == "jax" else params
        test_loss, test_acc = evaluate(
            model,
            host_params,
            data.x_test,
            data.y_test,
            loss_fn=loss_fn,
            batch_size=eval_batch_size,
            jit=use_jit,
            backend=backend,
        )
        bar.set_postfix(loss=f"{np.mean(seen_loss):.4f}", test_acc=f"{test_acc:.4f}")
        bar.close()
        if progress and main and not show_bar:
            print(
                f"epoch {epoch + 1}/{epochs}: loss {np.mean(seen_loss):.4f}, accuracy "
                f"{np.mean(seen_acc):.3f}; held-out accuracy {test_acc:.4f} (loss {test_loss:.4f})"
                f" in {time.perf_counter() - start:.1f} s",
                file=sys.stderr,  # where the progress bar goes in a terminal
                flush=True,
            )
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
        if checkpoint is not None and main:
            save_checkpoint(checkpoint, host_params)
    return (distributed.to_host(params) if backend == "jax" else params), history


def _diverged(
    loss: float, step: int, epoch: int, checkpoint: str | Path | None
) -> NonFiniteLossError:
    if checkpoint is None:
        kept = ""
    elif epoch == 0:
        kept = "; no checkpoint was written"
    else:
        kept = f"; {checkpoint_path(checkpoint)} keeps the parameters after epoch {epoch}"
    return NonFiniteLossError(
        at_user_line(
            f"fit: the training loss is {loss} at step {step + 1} of epoch {epoch + 1}, so "
            f"training stopped (try a smaller learning rate){kept}"
        )
    )
