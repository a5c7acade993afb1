"""``trace_ag.numpy``: NumPy's names and semantics, traceable (like ``jax.numpy``).

Every function works on NumPy arrays, Python numbers and tracers alike; on tracers it records
primitives, so it can be differentiated and traced again. Beyond NumPy it offers the stable
composites ``logsumexp``, ``softmax``, ``log_softmax``, ``sigmoid`` and ``relu``.

Examples:
    >>> import trace_ag as ag, trace_ag.numpy as tnp
    >>> print(np.round(ag.grad(lambda x: tnp.sum(tnp.tanh(x) ** 2))(np.ones(3)), 4))
    [0.6397 0.6397 0.6397]
"""

import sys as _sys
from typing import Any as _Any

import numpy as _np

# dtypes and constants, as in NumPy
from numpy import (  # noqa: F401
    dtype,
    e,
    inf,
    nan,
    newaxis,
    pi,
)

from trace_ag.numpy import (
    _methods,  # noqa: E402
    fft,  # noqa: E402,F401
    linalg,  # noqa: E402,F401
)
from trace_ag.numpy._aliases import (  # noqa: E402,F401
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    bool,
    concat,
    cumulative_prod,
    cumulative_sum,
    matrix_transpose,
    matvec,
    permute_dims,
    positive,
    pow,
    unstack,
    vecdot,
    vecmat,
)
from trace_ag.numpy._bits import (  # noqa: E402,F401
    argsort,
    bitcast_convert_type,
    bitwise_and,
    bitwise_invert,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    invert,
    left_shift,
    right_shift,
)
from trace_ag.numpy._bits import attach_operators as _bits_operators  # noqa: E402
from trace_ag.numpy._complex import (  # noqa: E402,F401
    angle,
    conj,
    conjugate,
    imag,
    iscomplex,
    iscomplexobj,
    isreal,
    isrealobj,
    real,
)
from trace_ag.numpy._complex import attach_methods as _complex_methods  # noqa: E402
from trace_ag.numpy._creation import (  # noqa: E402,F401
    arange,
    array,
    asarray,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    identity,
    linspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from trace_ag.numpy._dtypes import (  # noqa: E402,F401
    broadcast_shapes,
    can_cast,
    cdouble,
    character,
    complex_,
    complexfloating,
    csingle,
    double,
    euler_gamma,
    finfo,
    flexible,
    float_,
    floating,
    generic,
    iinfo,
    inexact,
    int_,
    integer,
    isdtype,
    isscalar,
    issubdtype,
    iterable,
    number,
    object_,
    promote_types,
    signedinteger,
    single,
    uint,
    unsignedinteger,
)
from trace_ag.numpy._elementwise_more import (  # noqa: E402,F401
    bitwise_count,
    cbrt,
    copysign,
    divmod,
    float_power,
    fmod,
    frexp,
    gcd,
    heaviside,
    i0,
    isneginf,
    isposinf,
    lcm,
    ldexp,
    modf,
    nextafter,
    rint,
    signbit,
    sort_complex,
    spacing,
    trunc,
)
from trace_ag.numpy._histograms import (  # noqa: E402,F401
    corrcoef,
    cov,
    histogram,
    histogram2d,
    histogram_bin_edges,
    histogramdd,
    ptp,
)
from trace_ag.numpy._index_tricks import (  # noqa: E402,F401
    choose,
    compress,
    diag_indices,
    diag_indices_from,
    diagflat,
    extract,
    fill_diagonal,
    index_exp,
    indices,
    ix_,
    mask_indices,
    mgrid,
    ogrid,
    place,
    put,
    put_along_axis,
    ravel_multi_index,
    s_,
    tri,
    tril_indices,
    tril_indices_from,
    triu_indices,
    triu_indices_from,
    unravel_index,
)
from trace_ag.numpy._linalg import (  # noqa: E402,F401
    dot,
    einsum,
    inner,
    matmul,
    outer,
    tensordot,
    vdot,
)
from trace_ag.numpy._misc_more import (  # noqa: E402,F401
    apply_along_axis,
    apply_over_axes,
    array_equal,
    array_equiv,
    array_repr,
    array_str,
    block,
    copy,
    frombuffer,
    fromfunction,
    fromstring,
    get_printoptions,
    load,
    packbits,
    printoptions,
    resize,
    save,
    savez,
    set_printoptions,
    unpackbits,
    vectorize,
)
from trace_ag.numpy._more_index import (  # noqa: E402,F401
    diag,
    diagonal,
    fliplr,
    flipud,
    repeat,
    roll,
    rollaxis,
    rot90,
    take_along_axis,
    tile,
    trace,
    tril,
    triu,
)
from trace_ag.numpy._more_math import (  # noqa: E402,F401
    allclose,
    cross,
    cumprod,
    deg2rad,
    degrees,
    diff,
    fabs,
    fmax,
    fmin,
    gradient,
    hypot,
    isclose,
    kron,
    logaddexp,
    logaddexp2,
    nan_to_num,
    piecewise,
    rad2deg,
    radians,
    scalar_type,  # noqa: E402
    select,
    sinc,
)

# JAX's callable scalar types: tnp.int64(x) is a traced cast (zero derivative), the type still
# equal to NumPy's for dtype= and comparisons
_SCALAR_TYPES = (_np.bool_, _np.complex64, _np.complex128, _np.float16, _np.float32, _np.float64)
_SCALAR_TYPES += (_np.int8, _np.int16, _np.int32, _np.int64)
_SCALAR_TYPES += (_np.uint8, _np.uint16, _np.uint32, _np.uint64)
(bool_, complex64, complex128, float16, float32, float64) = map(scalar_type, _SCALAR_TYPES[:6])
(int8, int16, int32, int64) = map(scalar_type, _SCALAR_TYPES[6:10])
(uint8, uint16, uint32, uint64) = map(scalar_type, _SCALAR_TYPES[10:])
del scalar_type
from trace_ag.numpy._more_shape import (  # noqa: E402,F401
    append,
    array_split,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    c_,
    column_stack,
    delete,
    dsplit,
    dstack,
    hsplit,
    hstack,
    insert,
    meshgrid,
    r_,
    row_stack,
    vsplit,
    vstack,
)
from trace_ag.numpy._more_stats import (  # noqa: E402,F401
    argpartition,
    median,
    partition,
    percentile,
    quantile,
    sort,
)
from trace_ag.numpy._nan_stats import (  # noqa: E402,F401
    average,
    nanargmax,
    nanargmin,
    nancumprod,
    nancumsum,
    nanmax,
    nanmean,
    nanmedian,
    nanmin,
    nanpercentile,
    nanprod,
    nanquantile,
    nanstd,
    nansum,
    nanvar,
)
from trace_ag.numpy._polynomial import (  # noqa: E402,F401
    poly,
    polyadd,
    polyder,
    polydiv,
    polyfit,
    polyint,
    polymul,
    polysub,
    polyval,
    roots,
    vander,
)
from trace_ag.numpy._reductions import (  # noqa: E402,F401
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    cumsum,
    log_softmax,
    logsumexp,
    max,
    mean,
    min,
    prod,
    softmax,
    std,
    sum,
    var,
)
from trace_ag.numpy._sets import (  # noqa: E402,F401
    argwhere,
    bincount,
    count_nonzero,
    digitize,
    flatnonzero,
    intersect1d,
    isin,
    lexsort,
    searchsorted,
    setdiff1d,
    setxor1d,
    trim_zeros,
    union1d,
    unique,
    unique_all,
    unique_counts,
    unique_inverse,
    unique_values,
)
from trace_ag.numpy._shape import (  # noqa: E402,F401
    broadcast_arrays,
    broadcast_to,
    concatenate,
    expand_dims,
    flip,
    getitem,
    moveaxis,
    nonzero,
    pad,
    ravel,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    take,
    transpose,
)
from trace_ag.numpy._signal import (  # noqa: E402,F401
    bartlett,
    blackman,
    convolve,
    correlate,
    ediff1d,
    geomspace,
    hamming,
    hanning,
    interp,
    kaiser,
    logspace,
    trapezoid,
    unwrap,
)
from trace_ag.numpy._ufuncs import (  # noqa: E402,F401
    abs,
    absolute,
    add,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    around,
    astype,
    ceil,
    clip,
    cos,
    cosh,
    divide,
    equal,
    exp,
    exp2,
    expm1,
    floor,
    floor_divide,
    greater,
    greater_equal,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    log,
    log1p,
    log2,
    log10,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    mod,
    multiply,
    negative,
    not_equal,
    power,
    reciprocal,
    relu,
    remainder,
    round,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    stop_gradient,
    subtract,
    tan,
    tanh,
    true_divide,
    where,
)


def shape(x: _Any) -> tuple:
    return tuple(x.shape) if hasattr(x, "shape") else _np.shape(x)


def ndim(x: _Any) -> int:
    return len(shape(x))


def size(x: _Any) -> int:
    return int(_np.prod(shape(x), dtype=_np.int64))


def result_type(*args: _Any) -> _np.dtype:
    from trace_ag.numpy._base import result_dtype

    return result_dtype(*args)


from trace_ag._indexed_update import at  # noqa: E402,F401
from trace_ag._jax_api import Array as ndarray  # noqa: E402,F401  (jnp.ndarray is jax.Array)

_methods.attach(_sys.modules[__name__])
_bits_operators()
_complex_methods()


def __getattr__(name: str) -> _Any:
    if name == "__version__":  # trace_ag's own version; read late, trace_ag imports us first
        return _sys.modules["trace_ag"].__version__
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"trace_ag.numpy has no function {name!r}. {_methods.ADD_PRIMITIVE_HINT}")
