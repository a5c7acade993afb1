"""LeNet-5 in the lecture's ``nn.Module`` style on 32x32 digits: two ``Conv2d`` + ``AvgPool2d``
stages, ``16*5*5`` features flattened, three ``Linear`` layers, ``cross_entropy`` and ``Adam``.

Data: the 5,000 real MNIST digits of ``nn.data.load_mnist_sample`` (28x28, padded to 32x32), or
with ``--dataset digits`` (or when that sample is unavailable) scikit-learn's 8x8 digits
upsampled 3x to 24x24 and padded to 32x32.

Run:  python examples/lecture/lenet5.py [--epochs 2 --n-train 1500 --method sparse]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import trace_ag.lecture as ag


class LeNet5(ag.Module):
    def __init__(self, method="sparse"):
        super().__init__()
        self.conv1 = ag.Conv2d(1, 6, kernel_size=5, method=method)
        self.pool1 = ag.AvgPool2d(2)
        self.conv2 = ag.Conv2d(6, 16, kernel_size=5, method=method)
        self.pool2 = ag.AvgPool2d(2)
        self.fc1 = ag.Linear(16 * 5 * 5, 120)
        self.fc2 = ag.Linear(120, 84)
        self.fc3 = ag.Linear(84, 10)

    def forward(self, x):
        x = self.pool1(ag.relu(self.conv1(x)))  # (N, 6, 14, 14)
        x = self.pool2(ag.relu(self.conv2(x)))  # (N, 16, 5, 5)
        x = x.reshape(x.shape[0], -1)  # (N, 16*5*5)
        x = ag.relu(self.fc1(x))
        x = ag.relu(self.fc2(x))
        return self.fc3(x)


def load_32x32(dataset: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Digit images as (N, 1, 32, 32) float64 in [0, 1], their labels, and the source's name."""
    if dataset == "mnist-sample":
        try:
            from nn.data import load_mnist_sample  # 5,000 real MNIST digits, shipped offline

            data = load_mnist_sample()
            images = np.concatenate([data.x_train, data.x_test]).astype(np.float64)
            labels = np.concatenate([data.y_train, data.y_test])
            images = np.pad(images, ((0, 0), (0, 0), (2, 2), (2, 2)))  # 28x28 -> 32x32
            return images, labels, "MNIST sample (28x28 padded to 32x32)"
        except (ImportError, OSError, ValueError) as e:  # no nn package or no data file
            print(f"(MNIST sample unavailable: {str(e).splitlines()[0]}; using digits)")
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.kron(digits.images / 16.0, np.ones((3, 3)))  # 8x8 -> 24x24
    images = np.pad(images[:, None], ((0, 0), (0, 0), (4, 4), (4, 4)))
    return images, digits.target, "scikit-learn digits (8x8 upsampled to 24x24, padded to 32)"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-train", type=int, default=1500)
    parser.add_argument("--n-test", type=int, default=500)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--method", default="sparse", choices=["sparse", "dense", "strided"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dataset", default="mnist-sample", choices=["mnist-sample", "digits"])
    args = parser.parse_args(argv)

    images, labels, source = load_32x32(args.dataset)
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(images))
    train = order[: args.n_train]
    test = order[args.n_train : args.n_train + args.n_test]
    print(f"{source}: {len(train)} training and {len(test)} test images of shape 1x32x32")

    np.random.seed(args.seed)
    model = LeNet5(method=args.method)
    optimizer = ag.Adam(model.parameters(), lr=args.lr)
    history = {"loss": [], "accuracy": []}
    for epoch in range(args.epochs):
        start, losses = time.perf_counter(), []
        train = rng.permutation(train)  # a new order every epoch
        for i in range(0, len(train), args.batch_size):
            batch = train[i : i + args.batch_size]
            optimizer.zero_grad()
            loss = ag.cross_entropy(model(ag.Tensor(images[batch])), labels[batch])
            loss.backward()
            optimizer.step()
            losses.append(float(loss.value))
        logits = model(ag.Tensor(images[test])).value
        accuracy = float(np.mean(logits.argmax(axis=1) == labels[test]))
        history["loss"].append(float(np.mean(losses)))
        history["accuracy"].append(accuracy)
        print(
            f"epoch {epoch + 1}/{args.epochs}  train loss {np.mean(losses):.4f}  "
            f"test accuracy {accuracy:.3f}  ({time.perf_counter() - start:.1f}s)"
        )
    return history


if __name__ == "__main__":
    main()
