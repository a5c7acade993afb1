"""The array API's numpy.linalg names (cond, cross, diagonal, matrix_norm, matrix_transpose,
outer, tensordot, trace, vecdot, vector_norm) against jax.numpy.linalg: values and vjps, under
jit and vmap."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import assert_trees_match

import trace_ag as ag
import trace_ag.numpy as tnp

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

rng = np.random.default_rng(0)
M = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
V = rng.standard_normal((2, 3))
W = rng.standard_normal((2, 3))

# name -> (fn(linalg module, *args), args)
CASES = {
    "cond": (lambda la, m: la.cond(m), (M,)),
    "cond_fro": (lambda la, m: la.cond(m, "fro"), (M,)),
    "cond_1": (lambda la, m: la.cond(m, 1), (M,)),
    "cross": (lambda la, a, b: la.cross(a, b), (V, W)),
    "cross_axis0": (lambda la, a, b: la.cross(a.T, b.T, axis=0), (V, W)),
    "diagonal": (lambda la, m: la.diagonal(m, offset=1), (M,)),
    "matrix_norm": (lambda la, m: la.matrix_norm(m), (M,)),
    "matrix_norm_nuc": (lambda la, m: la.matrix_norm(m, ord="nuc", keepdims=True), (M,)),
    "matrix_norm_inf": (lambda la, m: la.matrix_norm(m, ord=np.inf), (M,)),
    "matrix_transpose": (lambda la, m: la.matrix_transpose(m), (M,)),
    "outer": (lambda la, a, b: la.outer(a[0], b[1]), (V, W)),
    "tensordot": (lambda la, m, a: la.tensordot(m, a, axes=((1, 2), (0, 1))), (M, V.T @ W)),
    "trace": (lambda la, m: la.trace(m, offset=-1), (M,)),
    "vecdot": (lambda la, a, b: la.vecdot(a, b), (V, W)),
    "vector_norm": (lambda la, m: la.vector_norm(m), (M,)),
    "vector_norm_axes": (lambda la, m: la.vector_norm(m, axis=(0, 2), keepdims=True), (M,)),
    "vector_norm_1": (lambda la, m: la.vector_norm(m, axis=-1, ord=1), (M,)),
}


BATCH_AXIS_USED = ("outer", "tensordot", "cross_axis0", "vector_norm_axes")  # no vmap over 0


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_vjp_jit_and_vmap_match_jax(name):
    fn, args = CASES[name]
    ours = lambda *xs: fn(tnp.linalg, *xs)  # noqa: E731
    ref = lambda *xs: fn(jnp.linalg, *xs)  # noqa: E731
    ct = rng.standard_normal(jax.eval_shape(ref, *args).shape)
    batched = name not in BATCH_AXIS_USED

    @jax.jit  # one compile per case: JAX's op-by-op dispatch would compile every operation
    def reference(args, ct):
        want, jax_vjp = jax.vjp(ref, *args)
        return want, jax_vjp(ct), jax.vmap(ref)(*args) if batched else want

    want, want_vjp, want_vmap = reference(args, ct)
    out, vjp_fn = ag.vjp(ours, *args)
    assert_trees_match(out, want, 1e-10, f"{name}: value")
    assert_trees_match(vjp_fn(ct), want_vjp, 1e-8, f"{name}: vjp")
    assert_trees_match(ag.jit(ours)(*args), want, 1e-10, f"{name}: jit")
    if batched:
        assert_trees_match(ag.vmap(ours)(*args), want_vmap, 1e-10, f"{name}: vmap")


def test_errors_name_the_function():
    with pytest.raises(ValueError, match="linalg.outer: takes two vectors"):
        tnp.linalg.outer(M, V)
    with pytest.raises(ValueError, match="linalg.cross: axis -1 must have 3 entries"):
        tnp.linalg.cross(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="linalg.cond: needs matrices"):
        tnp.linalg.cond(V[0])
