"""Model definitions: LeNet-5 (LeCun et al. 1998) for 1x28x28 and 3x32x32 images, and a small
variant of it for scikit-learn's 8x8 digits.

LeNet-5: conv 6@5x5 -> relu -> 2x2 max pool -> conv 16@5x5 -> relu -> 2x2 max pool ->
120 -> relu -> 84 -> relu -> classes. On 32x32 inputs the flattened features are 16*5*5 = 400;
on 28x28 (MNIST, unpadded) 16*4*4 = 256.
"""

from __future__ import annotations

from nn import init
from nn.layers import Conv2d, Flatten, Linear, MaxPool2d, Sequential, relu


def lenet5(
    input_shape: tuple[int, int, int] = (1, 28, 28), num_classes: int = 10, method: str = "strided"
) -> Sequential:
    """LeNet-5 for ``(C, 28, 28)`` or ``(C, 32, 32)`` images (ReLU and max pooling, He init).

    Examples:
        >>> model = lenet5((1, 28, 28))
        >>> params, out_shape = model.init(0, (1, 28, 28))
        >>> out_shape
        (10,)
    """
    if len(input_shape) != 3 or input_shape[1:] not in ((28, 28), (32, 32)):
        raise ValueError(f"lenet5: expects (C, 28, 28) or (C, 32, 32) inputs, got {input_shape}")
    he = init.he_uniform
    return Sequential(
        [
            Conv2d(6, 5, method=method, w_init=he),
            relu,
            MaxPool2d(2),
            Conv2d(16, 5, method=method, w_init=he),
            relu,
            MaxPool2d(2),
            Flatten(),
            Linear(120, w_init=he),
            relu,
            Linear(84, w_init=he),
            relu,
            Linear(num_classes),
        ]
    )


def lenet5_small(num_classes: int = 10, method: str = "strided") -> Sequential:
    """LeNet-5's shape scaled to 1x8x8 digits: 3x3 convolutions padded to keep the size.

    Examples:
        >>> params, out_shape = lenet5_small().init(0, (1, 8, 8))
        >>> out_shape, len(params)
        ((10,), 10)
    """
    he = init.he_uniform
    return Sequential(
        [
            Conv2d(16, 3, padding=1, method=method, w_init=he),
            relu,
            MaxPool2d(2),
            Conv2d(32, 3, padding=1, method=method, w_init=he),
            relu,
            MaxPool2d(2),
            Flatten(),
            Linear(64, w_init=he),
            relu,
            Linear(num_classes),
        ]
    )
