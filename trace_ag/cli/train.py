"""``trace-ag train``: train LeNet-5 with ``nn.recipes`` (the MNIST sample by default, nothing
downloaded), show a progress bar and the held-out accuracy per epoch (one line per epoch when
the output is not a terminal), print a summary line, and optionally save the parameters
(``--save``, after every epoch) and the loss/accuracy curves (``--plot``).

Everything that can be checked before training is: output paths, a training split smaller
than one batch, non-finite numbers. A loss that becomes NaN or infinite stops training with a
one-line error and exit status 1 (``--save`` keeps the last finite epoch).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from trace_ag.cli._common import (
    CLIError,
    check_output,
    first_line,
    non_negative_int,
    positive_float,
    positive_int,
    require,
)

DESCRIPTION = (
    "Train LeNet-5 with trace_ag and nn.train.fit: a progress bar per epoch showing the "
    "held-out accuracy, and a final summary line. The defaults (Adam with a cosine learning "
    "rate, batch 32, random shifts of up to 2 pixels) reach ~97.5% on the MNIST sample in 15 "
    "epochs. Errors (a bad option, a missing data folder) are one line, exit status 2; a loss "
    "that becomes NaN or infinite stops training with exit status 1."
)


def dataset_spec(spec: str) -> str:
    """An argparse type: a dataset name (``NAME`` or ``NAME:DIR``), its folder checked."""
    from nn.recipes import parse_dataset

    try:
        parse_dataset(spec)
    except (ValueError, FileNotFoundError) as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return spec


def add_parser(commands: Any) -> None:
    """Declare ``train`` and its options on the ``trace-ag`` subcommands."""
    from nn.recipes import CONV_METHODS, DATASET_HELP, OPTIMIZERS

    p = commands.add_parser(
        "train",
        help="train LeNet-5 (MNIST sample by default, no download)",
        description=DESCRIPTION,
    )
    p.add_argument(
        "--dataset",
        type=dataset_spec,
        default="mnist-sample",
        metavar="NAME[:DIR]",
        help=f"{DATASET_HELP} (default: mnist-sample, 4,000 + 1,000 real digits)",
    )
    p.add_argument(
        "--epochs",
        type=positive_int,
        metavar="N",
        help="default: 15 for the samples, 5 for MNIST and Fashion-MNIST, 10 for CIFAR-10",
    )
    p.add_argument("--batch-size", type=positive_int, default=32, metavar="N", help="default: 32")
    p.add_argument(
        "--lr",
        type=positive_float,
        help="peak of the cosine learning-rate schedule (default: adam and adamw 2e-3, 3e-3 on "
        "digits; sgd 0.1; momentum 0.02; rmsprop 1e-3)",
    )
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="default: adam")
    p.add_argument(
        "--backend",
        choices=("numpy", "jax"),
        default="numpy",
        help="run the jit-compiled steps as generated NumPy code or with JAX/XLA (default: numpy)",
    )
    p.add_argument(
        "--conv-method",
        choices=CONV_METHODS,
        default="strided",
        help="how convolutions extract patches (default: strided)",
    )
    p.add_argument(
        "--seed", type=non_negative_int, default=0, help="initialization and shuffling (default: 0)"
    )
    p.add_argument("--plot", type=Path, metavar="FILE.png", help="save loss/accuracy curves")
    p.add_argument(
        "--save", type=Path, metavar="FILE.npz", help="save the parameters (after every epoch)"
    )
    p.add_argument("--train-size", type=positive_int, metavar="N", help="train on N images only")
    p.add_argument("--test-size", type=positive_int, metavar="N", help="evaluate on N only")
    p.add_argument("--no-augment", action="store_true", help="no random shifts")
    p.add_argument("--no-jit", action="store_true", help="run the steps eagerly (slow)")
    p.add_argument("--quiet", action="store_true", help="no progress bars: a table at the end")
    add_scaling_options(p)
    p.set_defaults(run=run)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _check_requirements(args: argparse.Namespace) -> None:
    for module in ("tqdm", "mlxtend", "sklearn"):
        require(module, "trace-ag train", "nn")
    if args.plot:
        require("matplotlib", "--plot", "nn")
    if args.backend == "jax":
        require("jax", "--backend jax", "jax")
    if args.conv_method == "sparse":
        require("scipy", "--conv-method sparse", "conv-sparse")
    if args.save is not None:
        from nn.checkpoint import checkpoint_path

        check_output("--save", checkpoint_path(args.save))
    if args.plot is not None:
        check_output("--plot", args.plot, make_folders=True)  # plot_history makes its folder
        _check_plot_format(args.plot)


def _check_plot_format(path: Path) -> None:
    suffix = path.suffix.lower().lstrip(".")
    if not suffix:
        return  # matplotlib's default format
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    formats = FigureCanvasAgg.get_supported_filetypes()
    if suffix not in formats:
        raise CLIError(f"--plot {path}: the suffix must be one of .{', .'.join(sorted(formats))}")


def _check_batches(args: argparse.Namespace, n_train: int) -> None:
    """A training split smaller than one batch would train zero steps."""
    if n_train >= args.batch_size:
        return
    given = f"--train-size {args.train_size}" if args.train_size else f"the {n_train} images"
    raise CLIError(
        f"{given} is smaller than --batch-size {args.batch_size}: no training step would run"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``trace-ag train`` with parsed options; returns the exit status."""
    _check_requirements(args)
    scaling = scaling_options(args)
    from nn import DataError, checkpoint, recipes
    from nn.train import NonFiniteLossError

    try:
        dataset = recipes.load_dataset(args.dataset)
    except (FileNotFoundError, DataError, ModuleNotFoundError, ValueError) as e:
        raise CLIError(first_line(e)) from None
    dataset = recipes.subset(dataset, args.train_size, args.test_size)
    _check_batches(args, len(dataset.x_train))
    name = args.dataset.partition(":")[0]
    epochs = args.epochs or recipes.DEFAULT_EPOCHS[name]
    lr = args.lr or recipes.default_lr(args.optimizer, dataset.x_train.shape[1:])
    setting = (
        f"{args.optimizer} (peak lr {lr:g}, cosine), batch {args.batch_size}, "
        f"{args.backend} backend, {args.conv_method} im2col"
    )
    shape = "x".join(map(str, dataset.x_train.shape[1:]))
    if is_main_process(args):
        # Two lines that each fit in 80 columns.
        print(
            f"{name}: {len(dataset.x_train)} train / {len(dataset.x_test)} held-out images "
            f"{shape}, {_plural(epochs, 'epoch')}\n{setting}",
            flush=True,
        )
    start = time.perf_counter()
    try:
        _, history = _train(args, dataset, name, epochs, lr, scaling)
    except NonFiniteLossError as e:
        raise CLIError(first_line(e).removeprefix("fit: "), status=1) from None
    seconds = time.perf_counter() - start
    if not is_main_process(args):
        return 0  # only process 0 reports, saves and plots
    if args.quiet:
        rows = zip(history["test_accuracy"], history["test_loss"], strict=True)
        for i, (acc, loss) in enumerate(rows):
            print(f"epoch {i + 1:3d}/{epochs}: held-out accuracy {acc:.2%} (loss {loss:.4f})")
    if args.save:
        print(f"saved the parameters to {checkpoint.checkpoint_path(args.save)}")
    if args.plot:
        title = f"LeNet-5 on {name} with trace_ag: {setting}"
        print(f"saved the curves to {recipes.plot_history(history, args.plot, title)}")
    print(
        f"trained LeNet-5 on {name}: held-out accuracy {history['test_accuracy'][-1]:.2%} "
        f"(loss {history['test_loss'][-1]:.4f}) after {_plural(epochs, 'epoch')} in {seconds:.1f} s"
    )
    return 0


def _train(args: argparse.Namespace, dataset: Any, name: str, epochs: int, lr: float, scaling):
    """``recipes.train_lenet5`` with the options; ``--save`` is written after every epoch.

    NumPy's overflow warnings are silenced: ``fit`` itself stops on a non-finite loss, with
    one line instead of a warning per overflowing operation."""
    import numpy as np

    from nn import recipes

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        params, history, _ = recipes.train_lenet5(
            dataset,
            dataset_name=name,
            epochs=epochs,
            batch_size=args.batch_size,
            lr=lr,
            optimizer=args.optimizer,
            method=args.conv_method,
            seed=args.seed,
            augment=not args.no_augment,
            progress=not args.quiet,
            jit=not args.no_jit,
            backend=args.backend,
            checkpoint=args.save,
            **scaling,
        )
    return params, history


# ---------------------------------------------------------------- scaling out (docs/scaling_out.md)


def devices_spec(text: str) -> int | str:
    """An argparse type: a positive device count or ``all``.

    Examples:
        >>> devices_spec("8"), devices_spec("all")
        (8, 'all')
    """
    return "all" if text == "all" else positive_int(text)


def add_scaling_options(p: argparse.ArgumentParser) -> None:
    """``--devices``, ``--num-processes``, ``--process-id``, ``--coordinator`` for
    ``nn.train.fit``'s data-parallel training on JAX.

    Examples:
        >>> parser = argparse.ArgumentParser()
        >>> add_scaling_options(parser)    # then: trace-ag train --backend jax --devices 8
        >>> parser.parse_args(["--devices", "8"]).devices
        8
    """
    group = p.add_argument_group("scaling out (with --backend jax; see docs/scaling_out.md)")
    group.add_argument(
        "--devices",
        type=devices_spec,
        metavar="N|all",
        help="train data-parallel over N JAX devices (the batch size must divide by N)",
    )
    group.add_argument(
        "--num-processes", type=positive_int, metavar="P", help="processes in a multi-process run"
    )
    group.add_argument("--process-id", type=int, metavar="I", help="this process: 0 .. P-1")
    group.add_argument(
        "--coordinator", metavar="HOST:PORT", help="address of process 0 (all processes agree)"
    )


def is_main_process(args: argparse.Namespace) -> bool:
    """Whether this process reports and writes files (process 0, or the only one).

    Examples:
        >>> is_main_process(argparse.Namespace(process_id=1))
        False
    """
    return not args.process_id


def scaling_options(args: argparse.Namespace) -> dict[str, Any]:
    """``nn.train.fit``'s scaling keyword arguments from the options, checked up front: one-line
    errors for a missing ``--backend jax``, an incomplete process triple, too many devices or
    a batch size that does not divide by them.

    Examples:
        >>> from trace_ag.cli import make_parser
        >>> args = make_parser().parse_args(["train", "--backend", "jax", "--devices", "1"])
        >>> scaling_options(args)
        {'devices': 1}
    """
    given = {
        k: v
        for k, v in (
            ("devices", args.devices),
            ("num_processes", args.num_processes),
            ("process_id", args.process_id),
            ("coordinator", args.coordinator),
        )
        if v is not None
    }
    if given and args.backend != "jax":
        names = ", ".join("--" + k.replace("_", "-") for k in given)
        raise CLIError(f"{names} {'needs' if len(given) == 1 else 'need'} --backend jax")
    triple = ("num_processes", "process_id", "coordinator")
    if any(k in given for k in triple) and not all(k in given for k in triple):
        raise CLIError("--num-processes, --process-id and --coordinator go together")
    if "num_processes" in given and not 0 <= args.process_id < args.num_processes:
        raise CLIError(
            f"--process-id {args.process_id} must be in 0..{args.num_processes - 1} for "
            f"--num-processes {args.num_processes}"
        )
    if "devices" in given and "num_processes" not in given:  # JAX may start only after joining
        from nn.distributed import data_parallel

        try:
            data_parallel(args.devices, args.batch_size, "--devices")
        except ValueError as e:
            raise CLIError(first_line(e)) from None
    return given
