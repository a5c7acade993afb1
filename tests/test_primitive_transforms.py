"""Every row of the primitive spec table (``spec_rows.SPECS``) under the other
transforms: jvp against ``jax.jvp``, vmap against stacking and ``jax.vmap``, and jit (NumPy and
JAX backends) against eager evaluation."""

from __future__ import annotations

import numpy as np
import oracle
import pytest
from hypothesis import given
from hypothesis import strategies as st
from spec_rows import SPECS

import trace_ag as ag

jax = pytest.importorskip("jax")

by_name = pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)


def float_leaves(tree) -> list:
    return [x for x in oracle.leaves(tree) if oracle.is_float(x)]


def split_float_args(spec, args):
    """The positions of the float arguments (the others stay fixed)."""
    return [i for i, a in enumerate(args) if oracle.is_float(a)]


def with_fixed(fn, args, positions):
    def partial(*floats):
        full = list(args)
        for i, x in zip(positions, floats, strict=True):
            full[i] = x
        return fn(*full)

    return partial


@by_name
@oracle.LOWERING
@given(data=st.data())
def test_jvp_matches_jax(spec, data):
    if not spec.numeric:
        return
    args, kwargs = spec.draw(oracle.Draw(data))
    f, ref = spec.bind(kwargs)
    positions = split_float_args(spec, args)
    primals = [args[i] for i in positions]
    rng = np.random.default_rng(7)
    tangents = [rng.standard_normal(np.shape(p)) for p in primals]
    if spec.name.startswith("custom_vjp"):  # forward mode of a custom_vjp fails, as in JAX
        with pytest.raises(TypeError, match="can't apply forward-mode autodiff"):
            ag.jvp(with_fixed(f, args, positions), primals, tangents)
        return
    out, tangent = ag.jvp(with_fixed(f, args, positions), primals, tangents)
    jax_out, jax_tangent = jax.jvp(with_fixed(ref, args, positions), primals, tangents)
    oracle.assert_matches(out, jax_out, spec.rtol, f"{spec.name}: jvp value")
    oracle.assert_matches(
        float_leaves(tangent),
        float_leaves(jax_tangent),
        spec.grad_rtol,
        f"{spec.name}: jvp tangent",
    )


def draw_batch(spec, data, size=3):
    """``size`` argument lists with one drawn shape and independently drawn values."""
    d = oracle.Draw(data)
    args, kwargs = spec.draw(d)
    domains = (spec.domain,) * spec.arity if isinstance(spec.domain, str) else spec.domain
    batch = [args]
    for _ in range(size - 1):
        batch.append(
            [
                np.asarray(oracle.DOMAINS[dom](d.rng, np.shape(a))).astype(a.dtype)
                for dom, a in zip(domains, args, strict=True)
            ]
        )
    return batch, kwargs


@by_name
@oracle.LOWERING
@given(data=st.data())
def test_vmap_matches_stacking_and_jax(spec, data):
    batch, kwargs = draw_batch(spec, data)
    f, ref = spec.bind(kwargs)
    stacked = [np.stack(column) for column in zip(*batch, strict=True)]
    expected = [f(*args) for args in batch]
    ours = ag.vmap(f)(*stacked)
    for j, leaf in enumerate(oracle.leaves(ours)):
        want = np.stack([oracle.leaves(e)[j] for e in expected])
        oracle.assert_matches(leaf, want, spec.rtol, f"{spec.name}: vmap vs stacking [{j}]")
    oracle.assert_matches(ours, jax.vmap(ref)(*stacked), spec.rtol, f"{spec.name}: vmap")
    # only the first argument mapped, on its last axis: the others broadcast
    if np.ndim(stacked[0]) > 1:
        first = np.moveaxis(stacked[0], 0, -1)
        in_axes = (-1,) + (None,) * (len(batch[0]) - 1)
        ours = ag.vmap(f, in_axes=in_axes)(first, *batch[0][1:])
        theirs = jax.vmap(ref, in_axes=in_axes)(first, *batch[0][1:])
        oracle.assert_matches(ours, theirs, spec.rtol, f"{spec.name}: vmap in_axes=(-1, None)")


def check_jit_matches_eager(spec, data, backend: str) -> None:
    args, kwargs = spec.draw(oracle.Draw(data))
    f, _ = spec.bind(kwargs)
    eager = f(*args)
    jitted = ag.jit(f, backend=backend)(*args)
    oracle.assert_matches(
        [np.asarray(x) for x in oracle.leaves(jitted)],
        [np.asarray(x) for x in oracle.leaves(eager)],
        spec.rtol,
        f"{spec.name}: jit ({backend})",
    )


@by_name
@oracle.LOWERING
@given(data=st.data())
def test_jit_matches_eager(spec, data):
    check_jit_matches_eager(spec, data, "numpy")


@pytest.mark.slow  # an XLA compile per row (~0.3 s each): CI's slow step runs it
@by_name
@oracle.LOWERING
@given(data=st.data())
def test_jit_on_the_jax_backend_matches_eager(spec, data):
    check_jit_matches_eager(spec, data, "jax")
