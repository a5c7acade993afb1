"""The autodiff cookbook, condensed: grad, value_and_grad, jacfwd/jacrev, hessian, jvp, vjp and
Hessian-vector products on a small logistic-regression model."""

import jax
import jax.numpy as jnp
from jax import random

jax.config.update("jax_enable_x64", True)

key = random.PRNGKey(0)

# grad of a scalar function, and its higher derivatives
grad_tanh = jax.grad(jnp.tanh)
print(f"grad tanh(2.0) {grad_tanh(2.0):.12f}")
print(f"third derivative tanh(2.0) {jax.grad(jax.grad(jax.grad(jnp.tanh)))(2.0):.12f}")


def sigmoid(x):
    return 0.5 * (jnp.tanh(x / 2) + 1)


def predict(W, b, inputs):
    return sigmoid(jnp.dot(inputs, W) + b)


inputs = jnp.array(
    [[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30], [0.74, -2.49, 1.39]]
)
targets = jnp.array([True, True, False, True])


def loss(W, b):
    preds = predict(W, b, inputs)
    label_probs = preds * targets + (1 - preds) * (1 - targets)
    return -jnp.sum(jnp.log(label_probs))


key, W_key, b_key = random.split(key, 3)
W = random.normal(W_key, (3,))
b = random.normal(b_key, ())
print("W", W)
print(f"b {b:.12f}")

W_grad = jax.grad(loss, argnums=0)(W, b)
print("W_grad", W_grad)
W_grad, b_grad = jax.grad(loss, (0, 1))(W, b)
print(f"b_grad {b_grad:.12f}")
loss_value, Wb_grad = jax.value_and_grad(loss, (0, 1))(W, b)
print(f"loss {loss_value:.12f}")

# a finite-difference check, as the cookbook does
eps = 1e-4
b_grad_numerical = (loss(W, b + eps / 2.0) - loss(W, b - eps / 2.0)) / eps
print(f"b_grad numerical {b_grad_numerical:.6f}")
key, subkey = random.split(key)
vec = random.normal(subkey, W.shape)
unitvec = vec / jnp.sqrt(jnp.vdot(vec, vec))
W_grad_numerical = (loss(W + eps / 2.0 * unitvec, b) - loss(W - eps / 2.0 * unitvec, b)) / eps
print(f"W_dirderiv numerical {W_grad_numerical:.6f}")
print(f"W_dirderiv autodiff {jnp.vdot(jax.grad(loss)(W, b), unitvec):.6f}")


# gradients with respect to a dict of parameters
def loss2(params_dict):
    preds = predict(params_dict["W"], params_dict["b"], inputs)
    label_probs = preds * targets + (1 - preds) * (1 - targets)
    return -jnp.sum(jnp.log(label_probs))


grads = jax.grad(loss2)({"W": W, "b": b})
print("dict grads W", grads["W"], "b", grads["b"])

# Jacobians: forward and reverse mode agree
f = lambda W: predict(W, b, inputs)  # noqa: E731
J_fwd = jax.jacfwd(f)(W)
J_rev = jax.jacrev(f)(W)
print("jacfwd shape", J_fwd.shape)
print("jacfwd", J_fwd)
print("jacrev", J_rev)


def hessian(fun):
    return jax.jit(jax.jacfwd(jax.jacrev(fun)))


H = hessian(f)(W)
print("hessian shape", H.shape)
print("hessian of sample 0", H[0])
print("jax.hessian of loss", jax.hessian(loss)(W, b))

# jvp and vjp
y, u = jax.jvp(f, (W,), (vec,))
print("jvp primal", y)
print("jvp tangent", u)
y, vjp_fun = jax.vjp(f, W)
(v,) = vjp_fun(jnp.ones_like(y))
print("vjp cotangent", v)


# Hessian-vector products: forward over reverse, reverse over forward, reverse over reverse
def hvp(f, x, v):
    return jax.jvp(jax.grad(f), (x,), (v,))[1]


def hvp_revfwd(f, x, v):
    g = lambda x: jax.jvp(f, (x,), (v,))[1]  # noqa: E731
    return jax.grad(g)(x)


def hvp_revrev(f, x, v):
    return jax.grad(lambda x: jnp.vdot(jax.grad(f)(x), v))(x)


def loss_W(W):
    return loss(W, b)


print("hvp fwd-rev", hvp(loss_W, W, vec))
print("hvp rev-fwd", hvp_revfwd(loss_W, W, vec))
print("hvp rev-rev", hvp_revrev(loss_W, W, vec))
print("hessian @ v", jnp.dot(jax.hessian(loss_W)(W), vec))

# a batch of Jacobian-vector products with vmap
key, subkey = random.split(key)
vecs = random.normal(subkey, (5, 3))
batched_jvp = jax.vmap(lambda t: jax.jvp(f, (W,), (t,))[1])(vecs)
print("vmap jvp", batched_jvp)
print("matches J @ vecs.T", bool(jnp.allclose(batched_jvp, vecs @ J_fwd.T)))

# complex numbers: grad of a real-valued function of a complex input
z = 3.0 + 4.0j
print("grad |z|^2 at 3+4j", jax.grad(lambda z: jnp.abs(z) ** 2)(z))
