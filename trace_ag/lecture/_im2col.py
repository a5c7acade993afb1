"""The lecture's im2col: 0/1 matrices that pick every K x K patch out of a flattened image, and
``spcmatmul``, the product of a dense Tensor with a ``scipy.sparse`` matrix.

With ``M = im2col_matrix_dense(X, K, S)`` of shape ``(C*H*W, P*C*K*K)``,
``X.reshape(N, -1) @ M`` reshaped to ``(N, P, C, K, K)`` is the lecture's ``X_patches``: patch
``p = row * OW + col`` (row-major over the ``OH x OW`` window positions), then channel, then
the K x K window. ``im2col_matrix_sparse`` is the same matrix as a SciPy CSR matrix.

``spcmatmul`` is recorded with the core's ``getitem`` (and ``scatter_add`` when a column of the
sparse matrix has several entries), so its gradient ``g @ M.T`` comes from their vjp rules.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from trace_ag import errors
from trace_ag import numpy as tnp
from trace_ag.lecture._node import Node, record
from trace_ag.primitives import shape as shape_prims


def _image_shape(X: Any, K: int, S: int, fn: str) -> tuple[int, int, int]:
    shape = np.shape(X.value if isinstance(X, Node) else X)
    if len(shape) != 4:
        raise errors.ShapeError(
            errors.at_user_line(f"{fn}: X must have shape (N, C, H, W), got shape {shape}")
        )
    _, C, H, W = shape
    if K < 1 or S < 1 or K > H or K > W:
        raise errors.ShapeError(
            errors.at_user_line(
                f"{fn}: a kernel of size K={K} with stride S={S} does not fit images of shape "
                f"(C, H, W) = {(C, H, W)}"
            )
        )
    return C, H, W


@functools.lru_cache(maxsize=32)
def _patch_rows(C: int, H: int, W: int, K: int, S: int) -> np.ndarray:
    """For column ``((p*C + c)*K + i)*K + j`` of the matrix, the flat pixel it copies."""
    OH, OW = (H - K) // S + 1, (W - K) // S + 1
    p, c, i, j = np.meshgrid(np.arange(OH * OW), np.arange(C), np.arange(K), np.arange(K),
                             indexing="ij")  # fmt: skip
    oh, ow = np.divmod(p, OW)
    rows = (c * H + oh * S + i) * W + ow * S + j
    rows = rows.reshape(-1)
    rows.flags.writeable = False
    return rows


def im2col_matrix_dense(X: Any, K: int, S: int = 1) -> np.ndarray:
    """The dense 0/1 matrix ``M`` of shape ``(C*H*W, P*C*K*K)`` with ``X_flat @ M = patches``.

    Only ``X.shape = (N, C, H, W)`` is used. ``P = OH * OW``, ``OH = (H - K) // S + 1``.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> X = np.arange(2 * 2 * 4 * 5).reshape(2, 2, 4, 5)
        >>> M = ag.im2col_matrix_dense(X, 2)
        >>> M.shape
        (40, 96)
        >>> (X.reshape(2, -1) @ M).reshape(2, 12, 2, 2, 2)[0, 0]
        array([[[ 0.,  1.],
                [ 5.,  6.]],
        <BLANKLINE>
               [[20., 21.],
                [25., 26.]]])
    """
    C, H, W = _image_shape(X, K, S, "im2col_matrix_dense")
    rows = _patch_rows(C, H, W, K, S)
    M = np.zeros((C * H * W, rows.size))
    M[rows, np.arange(rows.size)] = 1.0
    return M


def im2col_matrix_sparse(X: Any, K: int, S: int = 1):
    """``im2col_matrix_dense`` as a ``scipy.sparse`` CSR matrix (one nonzero per column).

    Examples:
        >>> import trace_ag.lecture as ag
        >>> M = ag.im2col_matrix_sparse(np.zeros((2, 2, 4, 5)), 2)
        >>> M.shape, M.nnz
        ((40, 96), 96)
    """
    from scipy import sparse

    C, H, W = _image_shape(X, K, S, "im2col_matrix_sparse")
    rows = _patch_rows(C, H, W, K, S)
    data = np.ones(rows.size)
    return sparse.csr_matrix((data, (rows, np.arange(rows.size))), shape=(C * H * W, rows.size))


class _Key:
    """A sparse matrix hashed by identity, so its unpacked entries are cached per matrix."""

    __slots__ = ("matrix",)

    def __init__(self, matrix: Any):
        self.matrix = matrix

    def __hash__(self) -> int:
        return id(self.matrix)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and other.matrix is self.matrix


@functools.lru_cache(maxsize=32)
def _coo(key: _Key) -> tuple:
    """``(rows, cols, data, gather)``: the entries of ``matrix``; ``gather`` is set when every
    column holds exactly one entry, so the product is a pure gather of ``x``'s columns."""
    coo = key.matrix.tocoo()
    rows, cols, data = coo.row.astype(np.intp), coo.col.astype(np.intp), coo.data
    counts = np.bincount(cols, minlength=key.matrix.shape[1])
    gather = bool(np.all(counts == 1))
    if gather:
        order = np.argsort(cols, kind="stable")
        rows, cols, data = rows[order], cols[order], data[order]
    return rows, cols, data, gather


def _sparse_product(x: Any, matrix: Any) -> Any:
    rows, cols, data, gather = _coo(_Key(matrix))
    out_dtype = np.result_type(x.dtype, data.dtype)
    x = tnp.astype(x, out_dtype) if x.dtype != out_dtype else x
    picked = x[..., rows]
    if not np.all(data == 1):
        picked = picked * data.astype(out_dtype)
    if gather:
        return picked
    shape = tuple(x.shape[:-1]) + (matrix.shape[1],)
    return shape_prims.scatter_add.bind(picked, cols, spec=(Ellipsis, ("a", 0)), shape=shape)


def spcmatmul(dense: Any, sparse_matrix: Any) -> Any:
    """``dense @ sparse_matrix`` for a Tensor (or array) and a ``scipy.sparse`` matrix.

    Recorded with the core's ``getitem`` (a gather of ``dense``'s columns, which is all an
    im2col matrix does) and ``scatter_add`` for columns with several entries; the gradient
    with respect to ``dense`` is therefore ``g @ sparse_matrix.T``, from their vjp rules.

    Examples:
        >>> import trace_ag.lecture as ag
        >>> M = ag.im2col_matrix_sparse(np.zeros((1, 1, 3, 3)), 2)
        >>> x = ag.Tensor(np.arange(9.0).reshape(1, 9))
        >>> y = ag.spcmatmul(x, M); y.shape
        (1, 16)
    """
    shape = np.shape(dense.value if isinstance(dense, Node) else dense)
    m_shape = getattr(sparse_matrix, "shape", None)
    if not hasattr(sparse_matrix, "tocoo") or len(m_shape) != 2:
        raise TypeError(
            errors.at_user_line(
                f"spcmatmul: the second operand must be a 2-D scipy.sparse matrix, got "
                f"{type(sparse_matrix).__name__}"
            )
        )
    if len(shape) < 1 or shape[-1] != m_shape[0]:
        raise errors.ShapeError(
            errors.at_user_line(
                f"spcmatmul: shapes {shape} @ {m_shape}: contracted sizes differ "
                f"({shape[-1] if shape else '?'} != {m_shape[0]})"
            )
        )
    if not isinstance(dense, Node):
        return np.asarray(_sparse_product(np.asarray(dense), sparse_matrix))
    return record("spcmatmul", lambda x: _sparse_product(x, sparse_matrix), dense)
