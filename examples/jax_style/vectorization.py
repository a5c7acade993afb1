"""Automatic vectorization with vmap: batched matrix-vector products, in_axes/out_axes, nested
vmap for pairwise distances, per-example gradients, and a Jacobian built from vmapped vjps."""

import jax
import jax.numpy as jnp
from jax import grad, jit, random, vmap

jax.config.update("jax_enable_x64", True)

key = random.PRNGKey(42)
key_m, key_v, key_x, key_w = random.split(key, 4)
mat = random.normal(key_m, (5, 3))
batched_x = random.normal(key_v, (4, 3))


def apply_matrix(v):
    return jnp.dot(mat, v)


def naively_batched_apply_matrix(v_batched):
    return jnp.stack([apply_matrix(v) for v in v_batched])


@jit
def vmap_batched_apply_matrix(v_batched):
    return vmap(apply_matrix)(v_batched)


print("naive", naively_batched_apply_matrix(batched_x)[0])
print("vmap ", vmap_batched_apply_matrix(batched_x)[0])
print(
    "same",
    bool(
        jnp.allclose(
            naively_batched_apply_matrix(batched_x),
            vmap_batched_apply_matrix(batched_x),
            atol=1e-12,
        )
    ),
)

# in_axes and out_axes
print("in_axes=(None, 0)", vmap(jnp.dot, in_axes=(None, 0))(mat, batched_x).shape)
print("in_axes=1", vmap(lambda col: jnp.sum(col**2), in_axes=1)(mat))
print("out_axes=1 shape", vmap(apply_matrix, out_axes=1)(batched_x).shape)
print(
    "dict in_axes",
    vmap(lambda d: d["a"] * d["b"], in_axes=({"a": 0, "b": None},))(
        {"a": jnp.arange(3.0), "b": 2.0}
    ),
)

# pairwise squared distances with nested vmap
points = random.normal(key_x, (6, 2))
sqdist = lambda x, y: jnp.sum((x - y) ** 2)  # noqa: E731
pairwise = vmap(vmap(sqdist, in_axes=(None, 0)), in_axes=(0, None))(points, points)
print("pairwise distances row 0", pairwise[0])
print(
    f"pairwise symmetric {bool(jnp.allclose(pairwise, pairwise.T))} trace {jnp.trace(pairwise):.1f}"
)

# per-example gradients of a logistic-regression loss
true_w = jnp.array([1.0, -2.0, 0.5])
inputs = random.normal(key_w, (8, 3))
labels = (inputs @ true_w > 0).astype(jnp.float64)


def loss(w, x, y):
    logit = jnp.dot(x, w)
    return jnp.logaddexp(0.0, logit) - y * logit


w = jnp.zeros(3)
per_example = jit(vmap(grad(loss), in_axes=(None, 0, 0)))(w, inputs, labels)
print("per-example grads shape", per_example.shape)
print("per-example grad 0", per_example[0])
mean_grad = grad(lambda w: jnp.mean(vmap(loss, in_axes=(None, 0, 0))(w, inputs, labels)))(w)
print("mean of per-example == grad of mean", bool(jnp.allclose(per_example.mean(0), mean_grad)))
print("per-example grad norms", jnp.linalg.norm(per_example, axis=1))

# a Jacobian row by row: vmap over cotangent basis vectors
f = lambda x: jnp.tanh(mat @ x)  # noqa: E731
x0 = batched_x[0]
_, f_vjp = jax.vjp(f, x0)
jac_rows = vmap(lambda ct: f_vjp(ct)[0])(jnp.eye(5))
print("vmap(vjp) matches jacrev", bool(jnp.allclose(jac_rows, jax.jacrev(f)(x0))))
print("jacobian", jac_rows)

# vmap of a function with a random key per example
keys = random.split(random.PRNGKey(3), 4)
noise = vmap(lambda k: random.normal(k, (2,)))(keys)
print("vmapped normal", noise)
print("vmapped uniform", vmap(lambda k: random.uniform(k))(keys))
