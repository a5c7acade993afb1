"""Structured control flow: lax.cond, lax.switch, lax.while_loop, lax.fori_loop and lax.scan,
under jit, grad and vmap, with the loop state updated functionally through .at[]."""

import jax
import jax.numpy as jnp
from jax import grad, jit, lax, vmap

jax.config.update("jax_enable_x64", True)


# cond: both branches take the operand
def piecewise(x):
    return lax.cond(x > 0, lambda x: x**2, lambda x: jnp.sin(x), x)


print(f"cond {piecewise(1.5):.12f} {piecewise(-1.5):.12f}")
print(f"grad cond {grad(piecewise)(1.5):.12f} {grad(piecewise)(-1.5):.12f}")
print("vmap cond", vmap(piecewise)(jnp.array([-1.0, 0.5, 2.0])))

# switch: an integer picks the branch
branches = [lambda x: x + 1.0, lambda x: 2.0 * x, lambda x: -x]
print("switch", [float(lax.switch(i, branches, 3.0)) for i in range(3)])
print("jit switch clamps index", float(jit(lambda i: lax.switch(i, branches, 3.0))(7)))


# while_loop: Newton's method for a square root, a data-dependent trip count
def newton_sqrt(a):
    def cond_fun(state):
        x, step = state
        return (jnp.abs(x * x - a) > 1e-12) & (step < 100)

    def body_fun(state):
        x, step = state
        return 0.5 * (x + a / x), step + 1

    return lax.while_loop(cond_fun, body_fun, (a, 0))


root, steps = jit(newton_sqrt)(10.0)
print(f"while_loop sqrt(10) {root:.12f} in {steps} steps")


# collatz: an integer loop
def collatz_steps(n):
    def body(state):
        n, count = state
        n = jnp.where(n % 2 == 0, n // 2, 3 * n + 1)
        return n, count + 1

    return lax.while_loop(lambda s: s[0] != 1, body, (n, 0))[1]


print("collatz steps", vmap(collatz_steps)(jnp.arange(1, 11)))


# fori_loop: a fixed trip count, differentiable in reverse mode
def power_sum(x, n=5):
    return lax.fori_loop(0, n, lambda i, acc: acc + x**i, 0.0)


print(f"fori_loop {power_sum(1.1):.12f} grad {grad(power_sum)(1.1):.12f}")


def fill_squares(n):
    return lax.fori_loop(0, n, lambda i, arr: arr.at[i].set(i * i), jnp.zeros(6, dtype=jnp.int32))


print("fori_loop with .at[].set", jit(fill_squares, static_argnums=0)(6))


# scan: a cumulative sum, and an Euler integration of a damped oscillator
def cumsum(xs):
    def step(carry, x):
        carry = carry + x
        return carry, carry

    return lax.scan(step, 0.0, xs)


total, partials = cumsum(jnp.arange(1.0, 6.0))
print(f"scan total {total:.1f}", "partials", partials)


def simulate(damping, dt=0.05, steps=100):
    def step(state, _):
        pos, vel = state
        acc = -pos - damping * vel
        new = (pos + dt * vel, vel + dt * acc)
        return new, new[0]

    (pos, vel), trajectory = lax.scan(step, (1.0, 0.0), None, length=steps)
    return pos, trajectory


final_pos, trajectory = jit(simulate)(0.3)
print(f"scan final position {final_pos:.12f} min {jnp.min(trajectory):.12f}")
print(f"d final position / d damping {grad(lambda d: simulate(d)[0])(0.3):.12f}")
print("vmap scan", vmap(lambda d: simulate(d)[0])(jnp.array([0.0, 0.3, 1.0])))
tangent = jax.jvp(lambda d: simulate(d)[0], (0.3,), (1.0,))[1]
print(f"jvp through scan {tangent:.12f}")


# a reverse scan
_, rev = lax.scan(lambda c, x: (c + x, c + x), 0.0, jnp.arange(1.0, 5.0), reverse=True)
print("reverse scan", rev)

# an RNN as a scan over time, with its parameters closed over
W = jnp.array([[0.5, -0.3], [0.2, 0.4]])
U = jnp.array([[1.0], [-1.0]])
inputs = jnp.sin(jnp.arange(8.0))[:, None]


def rnn_loss(W):
    def cell(h, x):
        h = jnp.tanh(W @ h + U @ x)
        return h, jnp.sum(h)

    _, outs = lax.scan(cell, jnp.zeros(2), inputs)
    return jnp.sum(outs**2)


print(f"rnn loss {rnn_loss(W):.12f}")
print("rnn grad", jit(grad(rnn_loss))(W))
