"""Pseudo-random numbers the JAX way: explicit keys, split and fold_in, and the samplers
(uniform, normal, randint, bernoulli, categorical, permutation, choice, and the continuous
distributions), all reproducible bit for bit from the key."""

import jax
import jax.numpy as jnp
from jax import random

jax.config.update("jax_enable_x64", True)

key = random.PRNGKey(42)
print("key", key)
print("key data", random.key_data(random.key(42)))
key, subkey = random.split(key)
print("split", key, subkey)
print("split into 3", random.split(key, 3))
print("fold_in", random.fold_in(key, 7))
print("bits", random.bits(subkey, (4,)))

print("uniform", random.uniform(subkey, (3,)))
print("uniform in [2, 5)", random.uniform(subkey, (3,), minval=2.0, maxval=5.0))
print("normal", random.normal(subkey, (2, 3)))
print(
    "same key, same numbers",
    bool(jnp.all(random.normal(subkey, (3,)) == random.normal(subkey, (3,)))),
)
print("randint", random.randint(subkey, (8,), 0, 10))
print("bernoulli", random.bernoulli(subkey, 0.3, (8,)))
print("categorical", random.categorical(subkey, jnp.log(jnp.array([0.1, 0.2, 0.7])), shape=(8,)))
print("permutation", random.permutation(subkey, 10))
print("permutation of rows", random.permutation(subkey, jnp.arange(12).reshape(4, 3), axis=0))
print("choice with replacement", random.choice(subkey, 5, (6,)))
print("choice without replacement", random.choice(subkey, 10, (4,), replace=False))
print("choice with p", random.choice(subkey, 3, (6,), p=jnp.array([0.2, 0.3, 0.5])))
print("truncated normal", random.truncated_normal(subkey, -1.0, 1.0, (4,)))
print("exponential", random.exponential(subkey, (3,)))
print("gumbel", random.gumbel(subkey, (3,)))
print("laplace", random.laplace(subkey, (3,)))
print("logistic", random.logistic(subkey, (3,)))
print("rademacher", random.rademacher(subkey, (6,)))
print(
    "multivariate normal",
    random.multivariate_normal(subkey, jnp.zeros(2), jnp.array([[1.0, 0.5], [0.5, 2.0]]), (3,)),
)
print("orthogonal", random.orthogonal(subkey, 3))
print("gamma", random.gamma(subkey, 2.5, (3,)))
print("beta", random.beta(subkey, 2.0, 3.0, (3,)))
print("dirichlet", random.dirichlet(subkey, jnp.array([1.0, 2.0, 3.0])))
print("poisson", random.poisson(subkey, 4.0, (6,)))

# a key per loop iteration, the idiomatic way
key = random.PRNGKey(0)
total = 0.0
for _ in range(5):
    key, subkey = random.split(key)
    total += random.normal(subkey)
print(f"sum of five normals {total:.12f}")


# Monte Carlo estimate of pi with a jitted function of the key
@jax.jit
def estimate_pi(key, n=20000):
    xy = random.uniform(key, (n, 2))
    return 4.0 * jnp.mean(jnp.sum(xy**2, axis=1) < 1.0)


print(f"pi estimate {estimate_pi(random.PRNGKey(0)):.6f}")
print("float32 uniform dtype", random.uniform(key, (2,), dtype=jnp.float32).dtype)
print("float32 normal", random.normal(key, (3,), dtype=jnp.float32))
