"""Train LeNet-5 with trace_ag end to end: data, model, optimizer, jit-compiled steps, held-out
accuracy and a checkpoint.

    python examples/lenet5.py                       # MNIST sample (4,000/1,000 digits): >= 97%
    python examples/lenet5.py --dataset digits      # small CNN on 8x8 digits: >= 97%
    python examples/lenet5.py --dataset fashion-mnist --epochs 5
    python examples/lenet5.py --epochs 1 --train-size 256 --test-size 128   # a smoke test

Defaults (``nn.recipes``, shared with the ``trace-ag train`` command): Adam with a
cosine-decayed learning rate, batch 32, random shifts of up to 2 pixels (MNIST-sized images
only). ``--min-accuracy`` makes the script exit with status 1 below it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

from nn import checkpoint, recipes  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=recipes.DATASETS, default="mnist-sample")
    parser.add_argument("--folder", help="data folder for --dataset mnist, cifar10, fashion-mnist")
    parser.add_argument("--epochs", type=int, help="default: 15 (samples), 5 (full MNIST)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, help="peak learning rate (default 2e-3; digits 3e-3)")
    parser.add_argument("--optimizer", choices=recipes.OPTIMIZERS, default="adam")
    parser.add_argument("--method", choices=recipes.CONV_METHODS, default="strided")
    parser.add_argument("--train-size", type=int, help="use only this many training examples")
    parser.add_argument("--test-size", type=int, help="evaluate on only this many examples")
    parser.add_argument("--no-augment", action="store_true", help="no random shifts")
    parser.add_argument("--no-jit", action="store_true", help="run the steps eagerly")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", type=Path, help="save the parameters here (.npz)")
    parser.add_argument("--min-accuracy", type=float, help="exit 1 if the final accuracy is lower")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    spec = f"{args.dataset}:{args.folder}" if args.folder else args.dataset
    dataset = recipes.subset(recipes.load_dataset(spec), args.train_size, args.test_size)
    epochs = args.epochs or recipes.DEFAULT_EPOCHS[args.dataset]
    print(
        f"{args.dataset}: {len(dataset.x_train)} train / {len(dataset.x_test)} test images of "
        f"shape {dataset.x_train.shape[1:]}; {epochs} epochs, batch {args.batch_size}, "
        f"{args.optimizer}, method {args.method}"
    )
    start = time.perf_counter()
    params, history, _ = recipes.train_lenet5(
        dataset,
        dataset_name=args.dataset,
        epochs=epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        method=args.method,
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
    if args.checkpoint:
        print(f"saved {checkpoint.save_checkpoint(args.checkpoint, params)}")
    if args.min_accuracy is not None and accuracy < args.min_accuracy:
        print(f"FAILED: accuracy {accuracy:.4f} < {args.min_accuracy}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
