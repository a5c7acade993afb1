"""Contractions: ``matmul`` (NumPy semantics, 1-D operands and batch broadcasting included) and
``einsum`` (explicit subscripts without ellipsis; ``trace_ag.numpy.einsum`` expands them).

dot, tensordot, inner, outer and vdot are composites in ``trace_ag.numpy``.
"""

from __future__ import annotations

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.core import Aval, Primitive, shape_error
from trace_ag.primitives._rules import jnp_fn, unbroadcast


def _matmul_aval(x: Aval, y: Aval) -> Aval:
    if x.ndim == 0 or y.ndim == 0:
        raise shape_error("matmul", f"operands must be at least 1-D, got {x} @ {y} (use *)")
    if x.dtype != y.dtype:
        raise shape_error("matmul", f"dtypes {x.dtype} and {y.dtype} differ")
    xs = x.shape if x.ndim > 1 else (1,) + x.shape
    ys = y.shape if y.ndim > 1 else y.shape + (1,)
    if xs[-1] != ys[-2]:
        raise shape_error(
            "matmul",
            f"shapes {x.shape} @ {y.shape}: contracted sizes differ ({xs[-1]} != {ys[-2]})",
        )
    try:
        batch = np.broadcast_shapes(xs[:-2], ys[:-2])
    except ValueError:
        raise shape_error(
            "matmul", f"shapes {x.shape} @ {y.shape}: batch dimensions do not broadcast"
        ) from None
    shape = batch + (xs[-2],) * (x.ndim > 1) + (ys[-1],) * (y.ndim > 1)
    return Aval(tuple(shape), x.dtype)


def _matmul_vjp_x(g, out, x, y):
    if np.ndim(y) == 1:
        return unbroadcast(tnp.expand_dims(g, -1) * y, np.shape(x))
    if np.ndim(x) == 1:
        return unbroadcast(tnp.matmul(y, tnp.expand_dims(g, -1))[..., 0], np.shape(x))
    return unbroadcast(tnp.matmul(g, tnp.swapaxes(y, -1, -2)), np.shape(x))


def _matmul_vjp_y(g, out, x, y):
    if np.ndim(x) == 1:
        if np.ndim(y) == 1:
            return g * x
        return unbroadcast(tnp.expand_dims(x, -1) * tnp.expand_dims(g, -2), np.shape(y))
    if np.ndim(y) == 1:
        x_t = tnp.swapaxes(x, -1, -2)
        return unbroadcast(tnp.matmul(x_t, tnp.expand_dims(g, -1))[..., 0], np.shape(y))
    return unbroadcast(tnp.matmul(tnp.swapaxes(x, -1, -2), g), np.shape(y))


matmul = Primitive(
    "matmul",
    impl=np.matmul,
    abstract_eval=_matmul_aval,
    vjp=(_matmul_vjp_x, _matmul_vjp_y),
    jax=jnp_fn("matmul"),
)


def parse_subscripts(subscripts: str) -> tuple[list[str], str]:
    inputs, output = subscripts.split("->")
    return inputs.split(","), output


def _einsum_aval(*operands: Aval, subscripts: str) -> Aval:
    inputs, output = parse_subscripts(subscripts)
    if len(inputs) != len(operands):
        raise shape_error(
            "einsum", f"{subscripts!r} names {len(inputs)} operands, got {len(operands)}"
        )
    sizes: dict[str, int] = {}
    for letters, aval in zip(inputs, operands, strict=True):
        if len(letters) != aval.ndim:
            raise shape_error(
                "einsum",
                f"{letters!r} has {len(letters)} axes but the operand has shape {aval.shape}",
            )
        for c, n in zip(letters, aval.shape, strict=True):
            if sizes.setdefault(c, n) != n:
                raise shape_error(
                    "einsum",
                    f"index {c!r} has sizes {sizes[c]} and {n} in "
                    f"{subscripts!r} with shapes {[a.shape for a in operands]}",
                )
    if len({a.dtype for a in operands}) > 1:
        raise shape_error("einsum", f"dtypes differ: {[a.dtype.name for a in operands]}")
    return Aval(tuple(sizes[c] for c in output), operands[0].dtype)


def _einsum_vjp(g, out, *operands, subscripts):
    """Operand i's cotangent is the einsum of g with the other operands, onto i's indices;
    indices that only operand i has were summed out, so they come back by broadcasting."""
    inputs, output = parse_subscripts(subscripts)
    cotangents = []
    for i, (letters, x) in enumerate(zip(inputs, operands, strict=True)):
        if len(set(letters)) != len(letters):
            raise NotImplementedError(
                f"einsum: differentiating {subscripts!r} with a repeated index in operand {i} "
                "(a diagonal) is not supported; take the diagonal with indexing first"
            )
        others = [s for j, s in enumerate(inputs) if j != i]
        present = set(output).union(*others)
        kept = "".join(c for c in letters if c in present)
        spec = ",".join([output, *others]) + "->" + kept
        ct = tnp.einsum(spec, g, *[o for j, o in enumerate(operands) if j != i])
        if kept != letters:
            with_ones = tuple(
                n if c in kept else 1 for c, n in zip(letters, np.shape(x), strict=True)
            )
            ct = tnp.broadcast_to(tnp.reshape(ct, with_ones), np.shape(x))
        cotangents.append(ct)
    return cotangents


einsum = Primitive(
    "einsum",
    impl=lambda *operands, subscripts: np.einsum(subscripts, *operands, optimize=True),
    abstract_eval=_einsum_aval,
    vjp=_einsum_vjp,
    jax=lambda *operands, subscripts: jnp_fn("einsum")(subscripts, *operands),
)
