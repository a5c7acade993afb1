"""Training recipes: the tested settings that train LeNet-5 well, shared by ``trace-ag train``
and ``examples/lenet5.py``.

A recipe picks, from the dataset alone, the model (LeNet-5 for 28x28 and 32x32 images, its small
variant for 8x8 digits), the number of epochs, the peak learning rate of a cosine schedule and
the augmentation (random shifts of up to 2 pixels for MNIST-sized images). ``train_lenet5`` runs
``nn.train.fit`` with them; ``plot_history`` draws the loss and accuracy curves.

Examples:
    >>> from nn import recipes
    >>> dataset = recipes.load_dataset("digits")
    >>> params, history, model = recipes.train_lenet5(dataset, epochs=2, progress=False)
    >>> max(history["test_accuracy"]) > 0.8
    True
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import trace_ag.numpy as tnp
from nn import data, models, optim, train
from nn.layers import Sequential

DATASETS = ("mnist-sample", "digits", "fashion-mnist", "mnist", "cifar10")
NEEDS_FOLDER = ("mnist", "cifar10")
DEFAULT_EPOCHS = {"mnist-sample": 15, "digits": 15, "fashion-mnist": 5, "mnist": 5, "cifar10": 10}
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw", "rmsprop")
CONV_METHODS = ("strided", "sparse", "dense")
# Peak learning rates of the cosine schedule, tried on the MNIST sample and on digits.
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.02, "adam": 2e-3, "adamw": 2e-3, "rmsprop": 1e-3}
DATASET_HELP = "mnist-sample, digits, fashion-mnist[:DIR], mnist:DIR or cifar10:DIR"


def parse_dataset(spec: str) -> tuple[str, Path | None]:
    """Split ``"name"`` or ``"name:DIR"`` into the dataset's name and its folder, checked.

    Raises ``ValueError`` (unknown name, missing ``:DIR``) or ``FileNotFoundError`` (no such
    folder), each with a one-line message.

    Examples:
        >>> parse_dataset("digits")
        ('digits', None)
        >>> parse_dataset("mnist")
        Traceback (most recent call last):
        ...
        ValueError: dataset 'mnist' needs its folder: mnist:DIR
        >>> parse_dataset("mnist:~/data/mnist")  # doctest: +SKIP
        ('mnist', PosixPath('/home/me/data/mnist'))
    """
    name, _, folder = spec.partition(":")
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {spec!r}: choose {DATASET_HELP}")
    if not folder:
        if name in NEEDS_FOLDER:
            raise ValueError(f"dataset {name!r} needs its folder: {name}:DIR")
        return name, None
    if name in ("mnist-sample", "digits"):
        raise ValueError(f"dataset {name!r} ships with a Python package and takes no folder")
    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        raise FileNotFoundError(f"dataset {spec!r}: the folder {path} does not exist")
    return name, path


def load_dataset(spec: str) -> data.Dataset:
    """The dataset named by ``spec`` (see ``parse_dataset``), loaded from disk; nothing downloads.

    Examples:
        >>> load_dataset("mnist-sample").x_train.shape
        (4000, 1, 28, 28)
    """
    name, folder = parse_dataset(spec)
    if name == "mnist-sample":
        return data.load_mnist_sample()
    if name == "digits":
        return data.load_digits()
    if name == "fashion-mnist":
        return data.load_fashion_mnist(*([folder] if folder else []))
    return (data.load_mnist if name == "mnist" else data.load_cifar10)(folder)


def subset(dataset: data.Dataset, train_size: int | None, test_size: int | None) -> data.Dataset:
    """The first ``train_size`` training and ``test_size`` test examples (None: all).

    Examples:
        >>> subset(load_dataset("digits"), 256, 64).x_test.shape
        (64, 1, 8, 8)
    """
    x_train, y_train, x_test, y_test = dataset
    return data.Dataset(
        x_train[:train_size], y_train[:train_size], x_test[:test_size], y_test[:test_size]
    )


def model_for(input_shape: tuple[int, ...], method: str = "strided") -> Sequential:
    """LeNet-5 for ``(C, 28, 28)`` or ``(C, 32, 32)`` images, its small variant for ``(1, 8, 8)``.

    Examples:
        >>> params, out_shape = model_for((1, 8, 8)).init(0, (1, 8, 8))
    """
    if tuple(input_shape[1:]) == (8, 8):
        return models.lenet5_small(method=method)
    return models.lenet5(tuple(input_shape), method=method)


def default_lr(optimizer: str, input_shape: tuple[int, ...]) -> float:
    """The peak learning rate a recipe uses (Adam's is 1.5x higher on the small 8x8 model).

    Examples:
        >>> default_lr("adam", (1, 28, 28))
        0.002
    """
    small = tuple(input_shape[1:]) == (8, 8) and optimizer in ("adam", "adamw")
    return DEFAULT_LR[optimizer] * (1.5 if small else 1.0)


def cosine(peak: float, total_steps: int) -> Callable[[Any], Any]:
    """A learning rate decaying from ``peak`` to 0 along half a cosine over ``total_steps``.

    Computed in float32 from the optimizer's int32 step count, so that a step compiled for JAX
    without x64 asks for no float64.

    Examples:
        >>> schedule = cosine(1e-3, 1000)
        >>> round(float(schedule(0)), 6), round(float(schedule(500)), 6), float(schedule(1000))
        (0.001, 0.0005, 0.0)
    """
    total = np.float32(max(int(total_steps), 1))

    def schedule(count: Any) -> Any:
        done = tnp.minimum(tnp.astype(count, np.float32), total) / total
        return np.float32(peak) * np.float32(0.5) * (1 + tnp.cos(np.float32(np.pi) * done))

    return schedule


def make_optimizer(name: str, learning_rate: float | Callable) -> optim.GradientTransformation:
    """An ``nn.optim`` optimizer by name: sgd, momentum (0.9), adam, adamw or rmsprop.

    Examples:
        >>> opt = make_optimizer("momentum", cosine(0.02, 1000))
    """
    if name == "sgd":
        return optim.sgd(learning_rate)
    if name == "momentum":
        return optim.sgd(learning_rate, momentum=0.9)
    if name in ("adam", "adamw", "rmsprop"):
        return getattr(optim, name)(learning_rate)
    raise ValueError(f"unknown optimizer {name!r}: choose one of {', '.join(OPTIMIZERS)}")


def train_lenet5(
    dataset: data.Dataset,
    *,
    dataset_name: str = "mnist-sample",
    epochs: int | None = None,
    batch_size: int = 32,
    lr: float | None = None,
    optimizer: str = "adam",
    method: str = "strided",
    seed: int = 0,
    augment: bool = True,
    progress: bool = True,
    **fit_kwargs: Any,
) -> tuple[Any, train.History, Sequential]:
    """Train the recipe's LeNet-5 on ``dataset`` with ``nn.train.fit``.

    Arguments:
        dataset: an ``nn.data.Dataset`` of NCHW images and integer labels.
        dataset_name: picks the default number of epochs (``DEFAULT_EPOCHS``).
        epochs: None for the recipe's default (``DEFAULT_EPOCHS``).
        batch_size: images per step (the last partial batch of an epoch is dropped).
        lr: the cosine schedule's peak; None for the recipe's default (``default_lr``).
        optimizer: sgd, momentum, adam, adamw or rmsprop.
        method: how convolutions extract patches: strided, sparse or dense.
        seed: initialization, shuffling and augmentation.
        augment: random shifts of up to 2 pixels (28x28 and 32x32 images only).
        progress: show tqdm progress bars.
        fit_kwargs: passed on to ``nn.train.fit`` (e.g. ``backend="jax"``, ``jit=False``,
            ``checkpoint=path``).

    Returns:
        ``(params, history, model)``: see ``nn.train.fit`` for ``history``.

    Examples:
        >>> params, history, model = train_lenet5(load_dataset("digits"), epochs=1)
    """
    shape = dataset.x_train.shape[1:]
    model = model_for(shape, method)
    params, _ = model.init(seed, shape)
    epochs = epochs or DEFAULT_EPOCHS.get(dataset_name, 5)
    steps = epochs * (len(dataset.x_train) // batch_size)
    schedule = cosine(lr or default_lr(optimizer, shape), steps)
    shifts = augment and tuple(shape[1:]) != (8, 8)
    params, history = train.fit(
        model,
        params,
        dataset,
        make_optimizer(optimizer, schedule),
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        progress=progress,
        augment=data.random_shift if shifts else None,
        **fit_kwargs,
    )
    return params, history, model


def plot_history(history: train.History, path: str | Path, title: str = "") -> Path:
    """Save the per-epoch loss and accuracy curves (train and held-out) as a picture.

    Uses matplotlib's Agg backend, so no display is needed; the format follows the suffix.

    Examples:
        >>> history = {"train_loss": [1.0, 0.5], "test_loss": [0.9, 0.6],
        ...            "train_accuracy": [0.6, 0.8], "test_accuracy": [0.7, 0.85]}
        >>> import tempfile
        >>> folder = tempfile.TemporaryDirectory()
        >>> plot_history(history, Path(folder.name) / "curves.png", title="LeNet-5").name
        'curves.png'
        >>> folder.cleanup()
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for axes, key, label in ((left, "loss", "cross-entropy"), (right, "accuracy", "accuracy")):
        axes.plot(epochs, history[f"train_{key}"], "o-", label="train (running mean)")
        axes.plot(epochs, history[f"test_{key}"], "s-", label="held-out")
        axes.set(xlabel="epoch", ylabel=label)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
        axes.legend()
    right.set_title(f"final held-out accuracy {history['test_accuracy'][-1]:.2%}")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
