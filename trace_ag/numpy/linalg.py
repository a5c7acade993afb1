"""``trace_ag.numpy.linalg``: NumPy's linear algebra on stacks of real or complex matrices,
traceable and differentiable (JAX's derivatives and complex conventions)."""

from trace_ag.numpy._linalg import (
    matmul,  # noqa: F401
    norm,  # noqa: F401
)
from trace_ag.numpy._linalg_array_api import (  # noqa: F401,E402
    cond,
    cross,
    diagonal,
    matrix_norm,
    matrix_transpose,
    outer,
    tensordot,
    trace,
    vecdot,
    vector_norm,
)
from trace_ag.numpy._linalg_more import (  # noqa: F401
    EighResult,
    EigResult,
    LinAlgError,
    LstsqResult,
    QRResult,
    SlogdetResult,
    SVDResult,
    cholesky,
    det,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    inv,
    lstsq,
    matrix_power,
    matrix_rank,
    multi_dot,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
    tensorinv,
    tensorsolve,
)
