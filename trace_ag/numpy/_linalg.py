"""Products of ``trace_ag.numpy``: matmul and einsum are primitives; dot, tensordot, inner,
outer and vdot are written with them."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from trace_ag.core import shape_error
from trace_ag.numpy import _reductions as red
from trace_ag.numpy import _shape as shp
from trace_ag.numpy._base import promote
from trace_ag.primitives import linalg as la


def matmul(x: Any, y: Any) -> Any:
    """``x @ y`` with NumPy's rules for 1-D operands and batch broadcasting."""
    return la.matmul.bind(*promote(x, y))


def _expand_ellipsis(subscripts: str, ndims: Sequence[int]) -> str:
    """Explicit ``'ab,bc->ac'`` form: ellipses become letters, an implicit output is written."""
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(ndims):
        raise shape_error("einsum", f"{subscripts!r} names {len(terms)} operands, got {len(ndims)}")
    used = set(subscripts)
    spare = [c for c in string.ascii_letters if c not in used]
    n_ell = max(
        (nd - len(t.replace("...", "")) for t, nd in zip(terms, ndims, strict=True) if "..." in t),
        default=0,
    )
    ell = "".join(spare[:n_ell])
    terms = [
        t.replace("...", ell[n_ell - (nd - len(t) + 3) :] if "..." in t else "")
        for t, nd in zip(terms, ndims, strict=True)
    ]
    if arrow:
        output = output.replace("...", ell)
    else:
        counts = {c: "".join(terms).count(c) for c in set("".join(terms))}
        output = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    return ",".join(terms) + "->" + output


def _broadcast_size_one(spec: str, operands: list) -> list:
    """NumPy and JAX broadcast an index of size 1 against the size another operand gives it
    (``'...ij,...jk'`` with batch shapes ``(2, 1)`` and ``(4,)``); make that explicit, so the
    einsum primitive sees one size per index and ``broadcast_to``'s vjp sums the gradient."""
    terms = spec.split("->")[0].split(",")
    if len(terms) != len(operands) or any(
        len(t) != np.ndim(x) for t, x in zip(terms, operands, strict=True)
    ):
        return operands  # the primitive's shape rule reports the mismatch
    sizes: dict[str, int] = {}
    for term, x in zip(terms, operands, strict=True):
        for c, n in zip(term, np.shape(x), strict=True):
            if n != 1:
                sizes.setdefault(c, n)
    return [
        shp.broadcast_to(
            x, tuple(sizes.get(c, 1) if n == 1 else n for c, n in zip(t, np.shape(x), strict=True))
        )
        for t, x in zip(terms, operands, strict=True)
    ]


# Sublist labels 0..51 as letters in ASCII order, so an implicit output sorted by letter is
# sorted by label, as NumPy sorts it.
_SUBLIST_LETTERS = string.ascii_uppercase + string.ascii_lowercase


def _sublist_term(sublist: Any) -> str:
    """One sublist (``[0, Ellipsis, 1]``) as a subscripts term (``'A...B'``)."""
    term = []
    for label in sublist:
        if label is Ellipsis:
            term.append("...")
        elif isinstance(label, (int, np.integer)) and 0 <= label < len(_SUBLIST_LETTERS):
            term.append(_SUBLIST_LETTERS[int(label)])
        else:
            raise ValueError(
                f"einsum: a sublist holds integers in [0, {len(_SUBLIST_LETTERS)}) or Ellipsis, "
                f"got {label!r} in {sublist!r}"
            )
    return "".join(term)


def _from_sublists(args: tuple) -> tuple[str, list]:
    """NumPy's interleaved form ``einsum(x, [0, 1], y, [1, 2], [0, 2])`` as subscripts and
    operands (``'AB,BC->AC'``, ``[x, y]``)."""
    pairs, output = args[: len(args) // 2 * 2], args[len(args) // 2 * 2 :]
    operands = list(pairs[0::2])
    subscripts = ",".join(_sublist_term(sub) for sub in pairs[1::2])
    if output:
        subscripts += "->" + _sublist_term(output[0])
    return subscripts, operands


def einsum(subscripts: Any, *operands: Any, optimize: Any = None) -> Any:
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', x, y)`` (ellipsis supported), or in
    NumPy's interleaved form ``einsum(x, [0, 1], y, [1, 2], [0, 2])``, where each operand is
    followed by its sublist of integer labels (``Ellipsis`` allowed) and an optional last
    sublist names the output.

    Examples:
        >>> tnp.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((3, 4))).shape
        (2, 4)
        >>> tnp.einsum(np.ones((2, 3)), [0, 1], np.ones((3, 4)), [1, 2], [0, 2]).shape
        (2, 4)
    """
    if not isinstance(subscripts, str):
        subscripts, operands = _from_sublists((subscripts, *operands))
    operands = promote(*operands)
    spec = _expand_ellipsis(subscripts, [np.ndim(o) for o in operands])
    spec, operands = _take_diagonals(spec, operands)
    return la.einsum.bind(*_broadcast_size_one(spec, operands), subscripts=spec)


def _take_diagonals(spec: str, operands: list) -> tuple[str, list]:
    """An index repeated within one operand (``'ii'``, ``'iij->j'``) means its diagonal: take
    it first (``diagonal`` moves it to the end), so the primitive sees each index once."""
    from trace_ag.numpy._more_index import diagonal

    inputs, output = spec.split("->")
    terms, operands = inputs.split(","), list(operands)
    for k, term in enumerate(terms):
        for c in dict.fromkeys(term):
            while term.count(c) > 1:
                i = term.index(c)
                j = term.index(c, i + 1)
                operands[k] = diagonal(operands[k], 0, i, j)
                term = term[:i] + term[i + 1 : j] + term[j + 1 :] + c
        terms[k] = term
    return ",".join(terms) + "->" + output, operands


def tensordot(a: Any, b: Any, axes: int | Sequence = 2) -> Any:
    """Sum products over the last ``axes`` axes of ``a`` and the first of ``b`` (or the
    given pairs of axes), like ``numpy.tensordot``."""
    a, b = promote(a, b)
    if isinstance(axes, (int, np.integer)):
        a_axes, b_axes = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        a_axes, b_axes = (list(np.atleast_1d(ax)) for ax in axes)
    a_axes = [int(ax) % a.ndim for ax in a_axes]
    b_axes = [int(ax) % b.ndim for ax in b_axes]
    letters = iter(string.ascii_letters)
    a_sub = [next(letters) for _ in range(a.ndim)]
    b_sub = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(a_axes, b_axes, strict=True):
        b_sub[j] = a_sub[i]
    out = [c for i, c in enumerate(a_sub) if i not in a_axes]
    out += [c for j, c in enumerate(b_sub) if j not in b_axes]
    return einsum("".join(a_sub) + "," + "".join(b_sub) + "->" + "".join(out), a, b)


def dot(a: Any, b: Any) -> Any:
    """``numpy.dot``: scalars multiply, up to 2-D it is matmul, beyond it contracts the last
    axis of ``a`` with the second-to-last of ``b``."""
    a, b = promote(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if b.ndim <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([-1], [b.ndim - 2]))


def inner(a: Any, b: Any) -> Any:
    a, b = promote(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return tensordot(a, b, axes=([-1], [-1]))


def outer(a: Any, b: Any) -> Any:
    a, b = promote(a, b)
    return shp.reshape(a, (-1, 1)) * shp.reshape(b, (1, -1))


def vdot(a: Any, b: Any) -> Any:
    return red.sum(shp.ravel(a) * shp.ravel(b))


def _abs_squared(x: Any) -> Any:
    """``|x|^2``: ``x * x`` for real ``x`` (a smooth derivative at 0), ``re^2 + im^2`` else."""
    from trace_ag.numpy import _complex as cx

    if np.issubdtype(x.dtype, np.complexfloating):
        re, im = cx.real(x), cx.imag(x)
        return re * re + im * im
    return x * x


def _vector_norm(x: Any, ord: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    from trace_ag.numpy import _ufuncs as uf

    if ord is None or ord == 2:
        return uf.sqrt(red.sum(_abs_squared(x), axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return red.max(uf.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return red.min(uf.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return red.sum(uf.astype(uf.not_equal(x, 0), x.dtype), axis=axis, keepdims=keepdims)
    if ord == 1:
        return red.sum(uf.abs(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"linalg.norm: invalid norm order {ord!r} for vectors")
    p = float(ord)
    return red.sum(uf.abs(x) ** p, axis=axis, keepdims=keepdims) ** (1 / p)


def _singular_values(x: Any, row: int, col: int) -> Any:
    from trace_ag.numpy import linalg

    if not hasattr(linalg, "svdvals"):
        raise NotImplementedError(
            "linalg.norm: matrix ord=2, -2 and 'nuc' need singular values, and "
            "trace_ag.numpy.linalg has no svdvals; use ord='fro', 1, -1, inf or -inf"
        )
    return linalg.svdvals(shp.moveaxis(x, (row, col), (-2, -1)))


def _matrix_norm(x: Any, ord: Any, row: int, col: int, keepdims: bool) -> Any:
    from trace_ag.numpy import _ufuncs as uf

    if ord is None or ord == "fro":
        out = uf.sqrt(red.sum(_abs_squared(x), axis=(row, col)))
    elif ord in (1, -1, np.inf, -np.inf):
        summed, reduce = (row, col) if ord in (1, -1) else (col, row)
        pick = red.max if ord in (1, np.inf) else red.min
        out = pick(red.sum(uf.abs(x), axis=summed), axis=reduce - (reduce > summed))
    elif ord in (2, -2, "nuc"):
        s = _singular_values(x, row, col)
        out = red.sum(s, axis=-1) if ord == "nuc" else (red.max if ord == 2 else red.min)(s, -1)
    else:
        raise ValueError(f"linalg.norm: invalid norm order {ord!r} for matrices")
    if keepdims:
        out = shp.reshape(out, tuple(1 if i in (row, col) else n for i, n in enumerate(x.shape)))
    return out


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Vector or matrix norm, like ``numpy.linalg.norm``: vector orders None/2, 1, inf, -inf,
    0 and any real ``p``; matrix orders None/'fro', 1, -1, inf, -inf, and 2, -2, 'nuc' (from
    ``svdvals``). ``axis`` an int is a vector norm, a pair a matrix norm; None means the vector
    2-norm of the flattened ``x``, or the matrix norm of a 2-D ``x`` when ``ord`` is given.

    Examples:
        >>> float(tnp.linalg.norm(np.array([3.0, -4.0]), ord=1))
        7.0
    """
    from trace_ag.numpy._base import normalize_axis, promote_float

    (x,) = promote_float(x)
    if axis is None:
        if ord is None:
            out = _vector_norm(shp.ravel(x), None, (0,), False)
            return shp.reshape(out, (1,) * x.ndim) if keepdims else out
        if x.ndim not in (1, 2):
            raise ValueError("linalg.norm: give axis for an ord= norm of an array beyond 2-D")
        axis = tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(normalize_axis(a, x.ndim, "linalg.norm") for a in axes)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2 and axes[0] != axes[1]:
        return _matrix_norm(x, ord, axes[0], axes[1], keepdims)
    raise ValueError(f"linalg.norm: improper axis {axis!r}")
