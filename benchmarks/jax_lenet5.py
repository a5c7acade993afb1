"""LeNet-5 written in JAX, the peer that ``lenet5_step.py`` and ``epoch.py`` time against
trace_ag (no side effects on import: those scripts set thread counts before theirs)."""

from __future__ import annotations


def lenet5_logits(layers, x):
    """LeNet-5's logits written in JAX (``lax`` convolutions and pools), from the model's
    parameter layers that hold weights (``[p for p in params if p]``)."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    def conv(p, h):
        out = lax.conv_general_dilated(h, p["w"], (1, 1), "VALID")
        return out + p["b"][None, :, None, None]

    def pool(h):
        return lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    h = pool(jax.nn.relu(conv(layers[0], x)))
    h = pool(jax.nn.relu(conv(layers[1], h))).reshape(len(x), -1)
    for dense in layers[2:-1]:
        h = jax.nn.relu(h @ dense["w"] + dense["b"])
    return h @ layers[-1]["w"] + layers[-1]["b"]
