"""Custom derivative rules: custom_jvp for a numerically stable log1pexp and a safe norm,
defjvps, custom_vjp for gradient clipping, nondiff_argnums, and both under jit, vmap and grad."""

from functools import partial

import jax
import jax.numpy as jnp
from jax import custom_jvp, custom_vjp, grad, jit, vmap

jax.config.update("jax_enable_x64", True)


def log1pexp_naive(x):
    return jnp.log(1.0 + jnp.exp(x))


@custom_jvp
def log1pexp(x):
    return jnp.log(1.0 + jnp.exp(x))


@log1pexp.defjvp
def log1pexp_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    ans = log1pexp(x)
    ans_dot = (1 - 1 / (1 + jnp.exp(x))) * x_dot
    return ans, ans_dot


print(f"naive grad at 100: {grad(log1pexp_naive)(100.0)}")
print(f"custom grad at 100: {grad(log1pexp)(100.0)}")
print(f"custom grad at 3, jit: {jit(grad(log1pexp))(3.0):.12f}")
print("vmap of grad", vmap(grad(log1pexp))(jnp.array([-10.0, 0.0, 10.0])))
print(f"second derivative at 2: {grad(grad(log1pexp))(2.0):.12f}")


# defjvps: one rule per argument
@custom_jvp
def f(x, y):
    return jnp.sin(x) * y


f.defjvps(
    lambda x_dot, primal_out, x, y: jnp.cos(x) * x_dot * y,
    lambda y_dot, primal_out, x, y: jnp.sin(x) * y_dot,
)
print(f"defjvps grads {grad(f)(2.0, 3.0):.12f} {grad(f, 1)(2.0, 3.0):.12f}")
y, y_dot = jax.jvp(f, (2.0, 3.0), (1.0, 0.5))
print(f"defjvps jvp {y:.12f} {y_dot:.12f}")


# a norm whose gradient at zero is zero instead of nan
@custom_jvp
def safe_norm(x):
    return jnp.sqrt(jnp.sum(x**2))


@safe_norm.defjvp
def safe_norm_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    norm = safe_norm(x)
    scale = jnp.where(norm == 0.0, 0.0, 1.0 / jnp.where(norm == 0.0, 1.0, norm))
    return norm, jnp.sum(x * x_dot) * scale


print("safe_norm grad at 0", grad(safe_norm)(jnp.zeros(3)))
print("safe_norm grad at (3, 4)", grad(safe_norm)(jnp.array([3.0, 4.0])))
print("plain norm grad at 0", grad(lambda x: jnp.sqrt(jnp.sum(x**2)))(jnp.zeros(3)))


# custom_vjp: clip the gradient flowing backwards, leave the forward value alone
@custom_vjp
def clip_gradient(lo, hi, x):
    return x


def clip_gradient_fwd(lo, hi, x):
    return x, (lo, hi)


def clip_gradient_bwd(res, g):
    lo, hi = res
    return (None, None, jnp.clip(g, lo, hi))


clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)


def clipped_sin(x):
    return clip_gradient(-0.75, 0.75, jnp.sin(3 * x))


xs = jnp.linspace(0.0, 2.0, 5)
print("clipped grads", vmap(grad(clipped_sin))(xs))
print("unclipped grads", vmap(grad(lambda x: jnp.sin(3 * x)))(xs))
print("clipped jit grads", jit(vmap(grad(clipped_sin)))(xs))


# nondiff_argnums: a function argument passed through the custom rule untouched
@partial(custom_vjp, nondiff_argnums=(0,))
def apply_twice(fn, x):
    return fn(fn(x))


def apply_twice_fwd(fn, x):
    y = fn(x)
    return fn(y), (x, y)


def apply_twice_bwd(fn, res, g):
    x, y = res
    _, vjp_y = jax.vjp(fn, y)
    _, vjp_x = jax.vjp(fn, x)
    return vjp_x(vjp_y(g)[0])


apply_twice.defvjp(apply_twice_fwd, apply_twice_bwd)
print(f"apply_twice grad {grad(lambda x: apply_twice(jnp.sin, x))(0.7):.12f}")
print(f"chain rule check {jnp.cos(jnp.sin(0.7)) * jnp.cos(0.7):.12f}")


# a fixed point with an implicit-function-theorem gradient (the custom_vjp tutorial's example)
@partial(custom_vjp, nondiff_argnums=(0,))
def fixed_point(f, a, x_guess):
    def cond_fun(carry):
        x_prev, x = carry
        return jnp.abs(x_prev - x) > 1e-12

    def body_fun(carry):
        _, x = carry
        return x, f(a, x)

    _, x_star = jax.lax.while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
    return x_star


def fixed_point_fwd(f, a, x_init):
    x_star = fixed_point(f, a, x_init)
    return x_star, (a, x_star)


def fixed_point_bwd(f, res, x_star_bar):
    a, x_star = res
    _, vjp_a = jax.vjp(lambda a: f(a, x_star), a)
    _, vjp_x = jax.vjp(lambda x: f(a, x), x_star)
    # solve w = x_star_bar + w df/dx by iterating (converges: |df/dx| < 1)
    w = x_star_bar
    for _ in range(60):
        w = x_star_bar + vjp_x(w)[0]
    return vjp_a(w)[0], jnp.zeros_like(x_star)


fixed_point.defvjp(fixed_point_fwd, fixed_point_bwd)


def newton_sqrt(a):
    update = lambda a, x: 0.5 * (x + a / x)  # noqa: E731
    return fixed_point(update, a, a)


print(f"sqrt(2) by fixed point {newton_sqrt(2.0):.12f}")
print(f"d sqrt(a)/da at 2 {grad(newton_sqrt)(2.0):.12f} (exact {0.5 / jnp.sqrt(2.0):.12f})")
print("vmap grad sqrt", vmap(grad(newton_sqrt))(jnp.array([1.0, 4.0, 9.0])))
