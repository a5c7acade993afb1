"""Functional array updates, the JAX way: x.at[idx].set/add/multiply/min/max/get (out-of-bounds
modes included), lax.dynamic_slice and dynamic_update_slice, and a table indexed with a traced
index inside jit and scan."""

import jax
import jax.numpy as jnp
from jax import lax

jax.config.update("jax_enable_x64", True)

x = jnp.arange(6.0)
print("set", x.at[2].set(10.0))
print("add with repeated indices", x.at[jnp.array([0, 0, 3])].add(1.0))
print("multiply a slice", x.at[1:4].multiply(2.0))
print("min / max", x.at[::2].min(1.0), x.at[-1].max(100.0))
print("divide / power", x.at[1].divide(4.0), x.at[2].power(3.0))
print("get out of bounds, fill", x.at[jnp.array([1, 9])].get(mode="fill", fill_value=-1.0))
print("set out of bounds is dropped", x.at[10].set(99.0))
print("original unchanged", x)

m = jnp.zeros((3, 4))
print("2-d set row", m.at[1].set(1.0))
print("2-d add column", m.at[:, 2].add(jnp.arange(3.0)))


@jax.jit
def scatter_counts(labels):
    return jnp.zeros(4, dtype=jnp.int32).at[labels].add(1)


print("counts", scatter_counts(jnp.array([0, 1, 1, 3, 3, 3])))

print("grad through .at[].set", jax.grad(lambda v: jnp.sum(v.at[0].set(0.0) ** 2))(x))
add_twice = lambda v: jnp.sum(x.at[jnp.array([1, 1])].add(v) ** 2)  # noqa: E731
print("grad through .at[].add", jax.grad(add_twice)(2.0))

# dynamic slices: the start is a traced value, the size is static
print("dynamic_slice", jax.jit(lambda i: lax.dynamic_slice(x, (i,), (3,)))(2))
print("dynamic_slice clamps the start", jax.jit(lambda i: lax.dynamic_slice(x, (i,), (3,)))(5))
print("dynamic_update_slice", lax.dynamic_update_slice(m, jnp.ones((2, 2)), (1, 1)))
print("dynamic_index_in_dim", lax.dynamic_index_in_dim(m.at[2].set(7.0), 2, keepdims=False))

# a lookup table indexed by a traced integer (an embedding, as in a language model)
table = jnp.sin(jnp.arange(12.0)).reshape(6, 2)
print("jit table[i]", jax.jit(lambda i: table[i])(4))
print("jit jnp.take", jax.jit(lambda idx: jnp.take(table, idx, axis=0))(jnp.array([5, 0])))


def embed_and_sum(tokens):
    def step(total, token):
        return total + table[token], None

    return lax.scan(step, jnp.zeros(2), tokens)[0]


print("scan over tokens", jax.jit(embed_and_sum)(jnp.array([1, 2, 2, 5])))
print("vmap lookup", jax.vmap(lambda i: table[i, 1])(jnp.array([0, 3, 5])))
print("grad wrt table", jax.grad(lambda t: jnp.sum(t[jnp.array([1, 1, 4])] ** 2))(table))
