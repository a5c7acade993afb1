"""Train LeNet-5 with trace_ag end to end: data, model, optimizer, jit-compiled steps, held-out
accuracy and a checkpoint.

    python examples/lenet5.py                       # MNIST sample (4,000/1,000 digits): >= 97%
    python examples/lenet5.py --dataset digits      # small CNN on 8x8 digits: >= 97%
    python examples/lenet5.py --dataset fashion-mnist --epochs 5
    python examples/lenet5.py --dataset mnist:~/data/mnist --save lenet5.npz
    python examples/lenet5.py --epochs 1 --train-size 256 --test-size 128   # a smoke test

Defaults (``nn.recipes``, shared with the ``trace-ag train`` command): Adam with a
cosine-decayed learning rate, batch 32, random shifts of up to 2 pixels (MNIST-sized images
only). The options have the names and meanings of ``trace-ag train``'s (``--dataset NAME[:DIR]``,
``--conv-method``, ``--save``); ``--min-accuracy`` makes the script exit with status 1 below it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

from nn import checkpoint, recipes  # noqa: E402


def dataset_spec(spec: str) -> str:
    """An argparse type: ``NAME`` or ``NAME:DIR``, checked as ``trace-ag train`` checks it."""
    try:
        recipes.parse_dataset(spec)
    except (ValueError, FileNotFoundError) as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return spec


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The options of ``trace-ag train`` that the recipe takes, with the same names."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--dataset",
        type=dataset_spec,
        default="mnist-sample",
        metavar="NAME[:DIR]",
        help=f"{recipes.DATASET_HELP} (default: mnist-sample)",
    )
    parser.add_argument(
        "--epochs", type=int, metavar="N", help="default: 15 for the samples, 5 for full MNIST"
    )
    parser.add_argument("--batch-size", type=int, default=32, metavar="N", help="default: 32")
    parser.add_argument(
        "--lr", type=float, help="peak of the cosine learning rate (default: 2e-3; digits 3e-3)"
    )
    parser.add_argument(
        "--optimizer", choices=recipes.OPTIMIZERS, default="adam", help="default: adam"
    )
    parser.add_argument(
        "--conv-method",
        choices=recipes.CONV_METHODS,
        default="strided",
        help="how convolutions extract patches (default: strided)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="initialization and shuffling (default: 0)"
    )
    parser.add_argument("--save", type=Path, metavar="FILE.npz", help="save the parameters")
    # The old name of --save, kept (unlisted) for scripts that still pass it.
    parser.add_argument("--checkpoint", type=Path, dest="save", help=argparse.SUPPRESS)
    parser.add_argument("--train-size", type=int, metavar="N", help="train on N images only")
    parser.add_argument("--test-size", type=int, metavar="N", help="evaluate on N only")
    parser.add_argument("--no-augment", action="store_true", help="no random shifts")
    parser.add_argument("--no-jit", action="store_true", help="run the steps eagerly (slow)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--min-accuracy", type=float, metavar="A", help="exit 1 if the final accuracy is lower"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    name, _ = recipes.parse_dataset(args.dataset)
    dataset = recipes.subset(recipes.load_dataset(args.dataset), args.train_size, args.test_size)
    epochs = args.epochs or recipes.DEFAULT_EPOCHS[name]
    print(
        f"{name}: {len(dataset.x_train)} train / {len(dataset.x_test)} test images of "
        f"shape {dataset.x_train.shape[1:]}; {epochs} epochs, batch {args.batch_size}, "
        f"{args.optimizer}, {args.conv_method} im2col"
    )
    start = time.perf_counter()
    params, history, _ = recipes.train_lenet5(
        dataset,
        dataset_name=name,
        epochs=epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        method=args.conv_method,
        seed=args.seed,
        augment=not args.no_augment,
        progress=not args.quiet,
        jit=not args.no_jit,
    )
    seconds = time.perf_counter() - start
    accuracy = history["test_accuracy"][-1]
    print(
        f"test accuracy {accuracy:.4f} (loss {history['test_loss'][-1]:.4f}) after {epochs} "
        f"epochs in {seconds:.1f} s"
    )
    if args.save:
        print(f"saved {checkpoint.save_checkpoint(args.save, params)}")
    if args.min_accuracy is not None and accuracy < args.min_accuracy:
        print(f"FAILED: accuracy {accuracy:.4f} < {args.min_accuracy}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
