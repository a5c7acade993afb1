"""NumPy kernels for sliding windows: patch extraction (im2col) and its transpose (col2im) in
three flavors, and the window reductions of pooling.

Geometry: ``x`` is ``(N, C, H, W)``; a window of ``kernel = (KH, KW)`` taps spaced ``dilation``
apart slides with ``stride`` over ``x`` padded by ``padding = ((top, bottom), (left, right))``.
Patches come out in Caffe's column layout ``(N, C, KH, KW, OH, OW)``: the last two axes are
contiguous, which makes extraction, the matmul against ``(O, C*KH*KW)`` weights and the
transpose all stream through memory (``trace_ag.convolution.im2col`` reorders them into the
lecture's ``(N, P, C, KH, KW)``).

The three flavors compute the same linear map ``x -> cols``:

- ``strided``: a zero-copy ``as_strided`` view, copied once; col2im adds ``KH*KW`` strided
  slices (plain ``+=`` is exact: within one kernel offset no two outputs hit the same pixel);
- ``dense``: ``x_flat @ M`` with the 0/1 matrix ``M`` of shape ``(C*H*W, C*KH*KW*OH*OW)``;
- ``sparse``: the same ``M`` as a ``scipy.sparse`` CSR matrix.

Convolutions of ``BATCH_LAST_MIN`` images or more are laid out *batch-last* in memory: im2col
with ``batch_last=True`` stores its columns as ``(C, KH, KW, OH, OW, N)`` and returns them as
the ``(N, C, KH, KW, OH, OW)`` view, and the pooling kernels and col2im give a batch-last
input a batch-last result.
The values are the same; what changes is that every copy, add and comparison then runs over
``OW * N`` (or ``N``) contiguous elements instead of rows of 8-24, and ``conv2d``'s three
products (forward, input and weight gradient) are each one GEMM over views
(``trace_ag.convolution.conv2d``). The layout travels with the arrays (their strides), so eager
and jitted runs pick the same paths and compute the same numbers.

Large batches are split over ``ag.config`` ``threads`` threads (``in_parallel``): NumPy releases
the GIL in its copies and ufunc loops, and OpenBLAS's threads only help the GEMMs. Each thread
writes a disjoint slice of the result and computes it with the same operations in the same
order as one thread would, so the result does not depend on the thread count.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.lib.stride_tricks import as_strided

from trace_ag import config, errors

Pair = tuple[int, int]
Padding = tuple[Pair, Pair]

#: The dense im2col matrix is refused above this many bytes (it is for teaching, not speed).
DENSE_LIMIT_BYTES = 256 * 2**20


class DenseMatrixTooLargeError(errors.TraceAgError, MemoryError):
    """``method="dense"`` would build an im2col matrix larger than ``DENSE_LIMIT_BYTES``."""


class MissingDependencyError(errors.TraceAgError, ImportError):
    """``method="sparse"`` needs SciPy (the ``conv-sparse`` extra)."""


def out_size(n: int, k: int, s: int, pad: Pair, d: int) -> int:
    """The number of window positions along one axis (may be < 1 when the kernel does not fit)."""
    return (n + pad[0] + pad[1] - (d * (k - 1) + 1)) // s + 1


def out_hw(shape: tuple, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair) -> Pair:
    return tuple(
        out_size(shape[2 + a], kernel[a], stride[a], padding[a], dilation[a]) for a in (0, 1)
    )


def pad_hw(x: np.ndarray, padding: Padding, value: float = 0) -> np.ndarray:
    """``x`` padded with ``value`` around its last two axes, in ``x``'s layout."""
    if padding == ((0, 0), (0, 0)):
        return x
    (top, bottom), (left, right) = padding
    n, c, h, w = x.shape
    shape = (n, c, h + top + bottom, w + left + right)
    out = empty_like_layout(shape, x.dtype, is_batch_last(x))
    out.fill(value)
    out[:, :, top : top + h, left : left + w] = x
    return out


def crop_hw(xp: np.ndarray, padding: Padding) -> np.ndarray:
    (t, b), (left, r) = padding
    return xp[:, :, t : xp.shape[2] - b, left : xp.shape[3] - r]


def tap_slices(
    kernel: Pair, stride: Pair, dilation: Pair, out: Pair
) -> Iterator[tuple[int, int, tuple[slice, slice]]]:
    """For each kernel tap (i, j), row-major, the slice of the padded input it reads."""
    for i in range(kernel[0]):
        rows = slice(i * dilation[0], i * dilation[0] + stride[0] * (out[0] - 1) + 1, stride[0])
        for j in range(kernel[1]):
            start = j * dilation[1]
            yield i, j, (rows, slice(start, start + stride[1] * (out[1] - 1) + 1, stride[1]))


# ---------------------------------------------------------------- NumPy's ufunc buffer

#: NumPy's ufunc buffer size (elements) inside the kernels that run ufuncs over strided views.
#: With NumPy's 8192, a ufunc whose contiguous runs are shorter than the buffer copies them
#: through it: col2im's adds over runs of OW*N = 512 floats ran 3x slower than on contiguous
#: arrays (benchmarks/docs: 0.81 -> 0.55 ms). Elementwise results do not depend on it.
KERNEL_UFUNC_BUFFER = 1024


def small_ufunc_buffer(kernel: Callable) -> Callable:
    """Run ``kernel`` (elementwise ufuncs only: no reduction whose order the buffer could
    change) with NumPy's ufunc buffer at ``KERNEL_UFUNC_BUFFER``, restored afterwards."""

    @functools.wraps(kernel)
    def run(*args, **kwargs):
        previous = np.setbufsize(KERNEL_UFUNC_BUFFER)
        try:
            return kernel(*args, **kwargs)
        finally:
            np.setbufsize(previous)

    return run


# ---------------------------------------------------------------- the batch-last layout

#: ``conv2d`` asks im2col for batch-last columns from this many images on (below it, runs of
#: N contiguous elements are too short to pay for the transposes).
BATCH_LAST_MIN = 16


def is_batch_last(x: np.ndarray) -> bool:
    """``x`` (N, ...) has its batch axis innermost in memory: images interleaved element by
    element, as a ``(..., N)`` buffer (or a crop of one) seen with its last axis moved first.

    Examples:
        >>> buffer = np.zeros((3, 4, 5))
        >>> is_batch_last(np.moveaxis(buffer, -1, 0)), is_batch_last(buffer)
        (True, False)
    """
    if x.ndim < 2 or x.shape[0] < 2 or x.strides[0] != x.itemsize:
        return False
    row = x.shape[0] * x.itemsize
    return all(s >= row for s, d in zip(x.strides[1:], x.shape[1:], strict=True) if d > 1)


def front_to_back(a: np.ndarray) -> np.ndarray:
    """View of ``a`` with its first axis moved last (``np.moveaxis(a, 0, -1)`` without the
    argument checks, which cost several microseconds a call in the window kernels)."""
    return a.transpose((*range(1, a.ndim), 0))


def back_to_front(a: np.ndarray) -> np.ndarray:
    """View of ``a`` with its last axis moved first (``np.moveaxis(a, -1, 0)``)."""
    return a.transpose((a.ndim - 1, *range(a.ndim - 1)))


def empty_like_layout(shape, dtype, batch_last: bool) -> np.ndarray:
    """An uninitialized ``shape`` array, batch-last in memory when ``batch_last``."""
    if not batch_last:
        return np.empty(shape, dtype)
    return back_to_front(np.empty((*shape[1:], shape[0]), dtype))


def filled_like_layout(shape, dtype, like: np.ndarray, value=0) -> np.ndarray:
    """A ``shape`` array of ``value`` in the layout of ``like`` (batch-last or not)."""
    out = empty_like_layout(shape, dtype, is_batch_last(like))
    out.fill(value)
    return out


def in_layout(a: np.ndarray, batch_last: bool) -> np.ndarray:
    """``a``, copied into the batch-last layout if it is not in it and ``batch_last`` (a kernel
    reading two arrays of different layouts walks one of them across its rows)."""
    if not batch_last or is_batch_last(a):
        return a
    return back_to_front(np.ascontiguousarray(front_to_back(a)))


def batch_part(a: np.ndarray, s: slice, batch_last: bool) -> np.ndarray:
    """The share ``s`` of a kernel's work: images ``s`` of an NCHW array, channels ``s`` of a
    batch-last one (whose images are interleaved in memory)."""
    return a[:, s] if batch_last else a[s]


# ---------------------------------------------------------------- splitting a batch over threads

#: A kernel touching fewer bytes than this (inputs and outputs) runs on the calling thread.
PARALLEL_MIN_BYTES = 256 * 2**10
#: Each thread gets at least this many bytes of work (a task costs ~10-30 us to hand over).
PARALLEL_BYTES_PER_THREAD = 128 * 2**10

_pool_lock = threading.Lock()
_pools: dict[int, ThreadPoolExecutor] = {}
_splitting = threading.local()  # set while a thread runs its share: a nested split runs serially


def _forget_pools() -> None:
    _pools.clear()  # a forked child has none of the parent's threads


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools)


def default_threads() -> int:
    """The thread count ``threads=None`` means: OpenBLAS's (its environment variables), else
    the CPU count."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").split(",")[0].strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


def thread_count() -> int:
    """The ``threads`` option, resolved (``None``: ``default_threads()``)."""
    threads = config.read("threads")
    if threads is None:
        return default_threads()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise errors.TraceAgError(
            f"config option 'threads' must be a positive int or None, got {threads!r}"
        )
    return threads


def _pool(workers: int) -> ThreadPoolExecutor:
    """The shared pool of ``workers`` threads, made on first use (the caller is one more)."""
    with _pool_lock:
        if workers not in _pools:
            _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="trace_ag-window")
        return _pools[workers]


def batch_slices(n: int, nbytes: int, threads: int | None = None) -> list[slice]:
    """``range(n)`` cut into contiguous slices, one per thread that pays for ``nbytes`` of work
    (one slice, the whole batch, below ``PARALLEL_MIN_BYTES`` or with ``threads=1``).

    Examples:
        >>> batch_slices(5, 2**30, threads=2)
        [slice(0, 3, None), slice(3, 5, None)]
        >>> batch_slices(64, 1000, threads=2)
        [slice(0, 64, None)]
    """
    threads = thread_count() if threads is None else threads
    if nbytes < PARALLEL_MIN_BYTES:
        parts = 1
    else:
        parts = max(1, min(threads, n, nbytes // PARALLEL_BYTES_PER_THREAD))
    bounds = [(n * k + parts - 1) // parts for k in range(parts + 1)]
    return [slice(lo, hi) for lo, hi in zip(bounds, bounds[1:], strict=False)]


def in_parallel(work: Callable[[slice], None], n: int, nbytes: int) -> None:
    """Call ``work(s)`` for each slice ``s`` of ``batch_slices(n, nbytes)``, the first on this
    thread and the others on the shared pool, and wait for all (re-raising the first error).
    ``work`` must write only its slice of the result."""
    parts = [slice(0, n)] if getattr(_splitting, "on", False) else batch_slices(n, nbytes)
    if len(parts) == 1:
        work(parts[0])
        return
    buffer = np.getbufsize()  # the pool's threads run with the caller's ufunc buffer
    futures = [_pool(len(parts) - 1).submit(_share, work, s, buffer) for s in parts[1:]]
    try:
        _share(work, parts[0], buffer)
    finally:
        for future in futures:
            future.exception()  # wait, even when this thread's share failed
    for future in futures:
        future.result()


def _share(work: Callable[[slice], None], s: slice, buffer: int) -> None:
    _splitting.on = True
    previous = np.setbufsize(buffer)
    try:
        work(s)
    finally:
        _splitting.on = False
        np.setbufsize(previous)


def per_batch(kernel: Callable[..., np.ndarray], out_shape, dtype, *batched, nbytes: int):
    """``kernel(*batched)`` for a kernel that treats each image (axis 0) on its own, computed
    slice by slice (``in_parallel``) into one array of ``out_shape``."""
    if getattr(_splitting, "on", False) or len(batch_slices(out_shape[0], nbytes)) == 1:
        return kernel(*batched)
    out = empty_like_layout(out_shape, dtype, is_batch_last(batched[0]))

    def work(s: slice) -> None:
        out[s] = kernel(*(a[s] for a in batched))

    in_parallel(work, out_shape[0], nbytes)
    return out


# ---------------------------------------------------------------- strided


def im2col_strided(x, kernel, stride, padding, dilation, batch_last=False):
    if batch_last:
        return _im2col_batch_last(x, kernel, stride, padding, dilation)
    xp = pad_hw(x, padding)
    oh, ow = out_hw(x.shape, kernel, stride, padding, dilation)
    sn, sc, sh, sw = xp.strides
    shape = (x.shape[0], x.shape[1], *kernel, oh, ow)
    strides = (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1])
    patches = as_strided(xp, shape, strides, writeable=False)
    cols = np.empty(shape, x.dtype)
    in_parallel(lambda s: np.copyto(cols[s], patches[s]), shape[0], 2 * cols.nbytes)
    return cols


def _im2col_batch_last(x, kernel, stride, padding, dilation):
    """Columns stored ``(C, KH, KW, OH, OW, N)``: with the image batch-last (a copy unless it
    already is), each tap row of the copy is ``OW * N`` contiguous elements."""
    n, c, h, w = x.shape
    if not is_batch_last(x):
        x = back_to_front(np.ascontiguousarray(front_to_back(x)))
    image = front_to_back(pad_hw(x, padding))  # (C, H, W, N), C-contiguous
    oh, ow = out_hw(x.shape, kernel, stride, padding, dilation)
    sc, sh, sw, sn = image.strides
    shape = (c, *kernel, oh, ow, n)
    strides = (sc, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1], sn)
    patches = as_strided(image, shape, strides, writeable=False)
    cols = np.empty(shape, x.dtype)
    in_parallel(lambda s: np.copyto(cols[s], patches[s]), c, 2 * cols.nbytes)
    return back_to_front(cols)


@small_ufunc_buffer
def col2im_strided(cols, shape, kernel, stride, padding, dilation):
    # Accumulate with the batch axis last: each tap's add then runs over OW*N contiguous
    # elements instead of OW (2x faster for LeNet's 8x8 outputs); the result is a view.
    # Threads take disjoint channels (the batch is the contiguous axis here).
    n, c, h, w = shape
    moved = front_to_back(cols)  # (C, KH, KW, OH, OW, N)
    xp = np.zeros((c, h + sum(padding[0]), w + sum(padding[1]), n), cols.dtype)
    taps = list(tap_slices(kernel, stride, dilation, cols.shape[4:]))

    def work(channels: slice) -> None:
        for i, j, (rows, columns) in taps:
            xp[channels, rows, columns] += moved[channels, i, j]

    in_parallel(work, c, cols.nbytes + xp.nbytes)
    return crop_hw(back_to_front(xp), padding)


# ---------------------------------------------------------------- dense and sparse matrices


def check_dense_size(shape, kernel, stride, padding, dilation, dtype, fn: str = "im2col") -> None:
    """Refuse a dense im2col matrix above ``DENSE_LIMIT_BYTES``, naming its size."""
    _, c, h, w = shape
    oh, ow = out_hw(shape, kernel, stride, padding, dilation)
    rows, columns = c * h * w, c * kernel[0] * kernel[1] * oh * ow
    size = rows * columns * np.dtype(dtype).itemsize
    if size > DENSE_LIMIT_BYTES:
        raise DenseMatrixTooLargeError(
            errors.at_user_line(
                f"{fn}: method='dense' needs a {rows} x {columns} {np.dtype(dtype).name} matrix "
                f"({size / 2**20:.0f} MiB) for an input of shape {tuple(shape)}, more than the "
                f"{DENSE_LIMIT_BYTES / 2**20:.0f} MiB limit (trace_ag.primitives._windows."
                "DENSE_LIMIT_BYTES). Use method='sparse' or method='strided'."
            )
        )


def _gather_index(chw, kernel, stride, padding, dilation) -> np.ndarray:
    """For each column entry (c, i, j, oh, ow), the flat input index it copies, or -1 (padding)."""
    c, h, w = chw
    oh, ow = out_hw((1, *chw), kernel, stride, padding, dilation)
    ci, i, j, r, q = np.ix_(*(np.arange(n) for n in (c, *kernel, oh, ow)))
    rows = r * stride[0] + i * dilation[0] - padding[0][0]
    columns = q * stride[1] + j * dilation[1] - padding[1][0]
    inside = (rows >= 0) & (rows < h) & (columns >= 0) & (columns < w)
    flat = (ci * h + rows) * w + columns
    return np.where(inside, flat, -1).reshape(-1)


@functools.lru_cache(maxsize=8)
def dense_matrix(chw, kernel, stride, padding, dilation, dtype) -> np.ndarray:
    """The lecture's ``im2col_mat``: ``x.reshape(N, -1) @ M`` is every patch, flattened."""
    index = _gather_index(chw, kernel, stride, padding, dilation)
    matrix = np.zeros((int(np.prod(chw)), index.size), dtype)
    hit = np.flatnonzero(index >= 0)
    matrix[index[hit], hit] = 1
    matrix.flags.writeable = False
    return matrix


@functools.lru_cache(maxsize=32)
def sparse_matrix(chw, kernel, stride, padding, dilation, dtype):
    """``M`` as ``scipy.sparse`` CSR, transposed: ``(cols_flat,) = M.T @ x_flat`` per image."""
    try:
        from scipy import sparse
    except ImportError:
        raise MissingDependencyError(
            "im2col: method='sparse' needs SciPy: pip install 'trace-ag[conv-sparse]' "
            "(or use method='strided', the default)"
        ) from None
    index = _gather_index(chw, kernel, stride, padding, dilation)
    hit = np.flatnonzero(index >= 0)
    data = np.ones(hit.size, dtype)
    shape = (index.size, int(np.prod(chw)))
    return sparse.csr_matrix((data, (hit, index[hit])), shape=shape)


def im2col_matrix(x, kernel, stride, padding, dilation, method):
    n, c, h, w = x.shape
    oh, ow = out_hw(x.shape, kernel, stride, padding, dilation)
    key = ((c, h, w), kernel, stride, padding, dilation, np.dtype(x.dtype))
    flat = x.reshape(n, -1)
    if method == "dense":
        check_dense_size(x.shape, kernel, stride, padding, dilation, x.dtype)
        cols = flat @ dense_matrix(*key)
    else:
        cols = np.ascontiguousarray((sparse_matrix(*key) @ flat.T).T)  # C order for matmul
    return cols.reshape(n, c, *kernel, oh, ow)


def col2im_matrix(cols, shape, kernel, stride, padding, dilation, method):
    n, c, h, w = shape
    key = ((c, h, w), kernel, stride, padding, dilation, np.dtype(cols.dtype))
    flat = cols.reshape(n, -1)
    if method == "dense":
        check_dense_size(shape, kernel, stride, padding, dilation, cols.dtype, "col2im")
        x = flat @ dense_matrix(*key).T
    else:
        x = np.ascontiguousarray((sparse_matrix(*key).T @ flat.T).T)
    return x.reshape(shape)


# ---------------------------------------------------------------- pooling


def _lowest(dtype) -> float:
    return -np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).min


def max_pool(x, window, stride, padding):
    """The max of each window (padding never wins: it is -inf)."""
    shape = (*x.shape[:2], *_pool_out(x, window, stride, padding))
    kernel = functools.partial(_max_pool, window=window, stride=stride, padding=padding)
    return per_batch(kernel, shape, x.dtype, x, nbytes=x.nbytes)


def _max_pool(x, window, stride, padding):
    xp = pad_hw(x, padding, _lowest(x.dtype))
    out = None
    for _, _, (rows, columns) in tap_slices(
        window, stride, (1, 1), _pool_out(x, window, stride, padding)
    ):
        tap = xp[:, :, rows, columns]
        out = tap.copy(order="K") if out is None else np.maximum(out, tap)
    return out


def _pool_out(x, window, stride, padding) -> Pair:
    return out_hw(x.shape, window, stride, padding, (1, 1))


def selected_taps(x, window, stride, padding) -> Iterator[tuple[tuple, np.ndarray]]:
    """For each tap, its input slice and where it is its window's *selected* element: the one
    ``jax.grad`` of ``lax.reduce_window(max)`` sends the cotangent to. XLA's select-and-scatter
    walks each window in row-major order and moves to the next tap unless the current choice is
    ``>=`` it: the first maximum when maxima tie, and never a lost cotangent when a nan makes
    every ``==`` false (after a nan, the next tap is chosen; a nan tap is always chosen)."""
    if not (np.issubdtype(x.dtype, np.floating) and np.isnan(x).any()):
        yield from _first_max_taps(x, window, stride, padding)  # the same choice, 3x faster
        return
    xp = pad_hw(x, padding, _lowest(x.dtype))
    out = _pool_out(x, window, stride, padding)
    slices = [sl for _, _, sl in tap_slices(window, stride, (1, 1), out)]
    taps = [xp[(slice(None), slice(None), *sl)] for sl in slices]
    best = taps[0].copy()
    choice = filled_like_layout(best.shape, np.min_scalar_type(len(taps)), best)
    for k, tap in enumerate(taps[1:], start=1):
        move = ~(best >= tap)
        np.copyto(best, tap, where=move)
        np.copyto(choice, k, where=move)
    for k, sl in enumerate(slices):
        yield sl, choice == k


def _first_max_taps(x, window, stride, padding) -> Iterator[tuple[tuple, np.ndarray]]:
    """``selected_taps`` without nans: each window's first maximum in row-major order (what
    select-and-scatter picks then), found by comparing each tap with the window's max."""
    xp = pad_hw(x, padding, _lowest(x.dtype))
    out = _max_pool(x, window, stride, padding)
    remaining = filled_like_layout(out.shape, bool, out, True)
    for _, _, sl in tap_slices(window, stride, (1, 1), out.shape[2:]):
        hit = xp[(slice(None), slice(None), *sl)] == out
        hit &= remaining
        remaining ^= hit
        yield sl, hit


def keep(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``where(mask, values, 0)`` by bit masking: exact, and ~10x faster than ``np.where`` on
    irregular masks, where the latter mispredicts a branch per element."""
    if not np.issubdtype(values.dtype, np.floating):
        return np.where(mask, values, 0)
    bits = mask.astype(np.dtype(f"u{values.dtype.itemsize}"))
    np.negative(bits, out=bits)  # 1 -> all ones
    return (values.view(bits.dtype) & bits).view(values.dtype)


def _tiles(x, window, stride, padding) -> bool:
    """The windows tile ``x`` exactly (stride = window, no padding, sizes divisible), so each
    input element lies in exactly one window."""
    return (
        tuple(window) == tuple(stride)
        and padding == ((0, 0), (0, 0))
        and x.shape[2] % window[0] == 0
        and x.shape[3] % window[1] == 0
    )


def _max_pool_scatter_tiled(g, x, window):
    """``max_pool_scatter`` for windows that tile a float input without nans: every input
    element is written once (its cotangent or zero), through a ``(N, C, OH, KH, OW, KW)``
    view, with the first maximum found as in ``_first_max_taps``."""
    kernel = functools.partial(_max_pool_scatter_tiled_slice, window=window)
    return per_batch(kernel, x.shape, g.dtype, g, x, nbytes=2 * x.nbytes)


def _max_pool_scatter_tiled_slice(g, x, window):
    n, c, h, w = x.shape
    (kh, kw), oh, ow = window, h // window[0], w // window[1]
    tiles = x.reshape(n, c, oh, kh, ow, kw)
    out = _max_pool(x, window, window, ((0, 0), (0, 0)))
    batch_last = is_batch_last(x)
    gp = empty_like_layout((n, c, oh, kh, ow, kw), g.dtype, batch_last)
    unsigned = np.dtype(f"u{g.dtype.itemsize}")
    g_bits = in_layout(g, batch_last).view(unsigned)
    mask = empty_like_layout(out.shape, unsigned, batch_last)
    hit = empty_like_layout(out.shape, bool, batch_last)
    remaining = empty_like_layout(out.shape, bool, batch_last)
    remaining.fill(True)
    for k in range(kh * kw):
        a, b = divmod(k, kw)
        if k < kh * kw - 1:
            np.equal(tiles[:, :, :, a, :, b], out, out=hit)
            hit &= remaining
            remaining ^= hit
        else:  # the last tap takes whatever is left
            hit = remaining
        np.copyto(mask, hit, casting="unsafe")
        np.negative(mask, out=mask)  # 1 -> all ones: keep the cotangent's bits
        np.bitwise_and(g_bits, mask, out=gp[:, :, :, a, :, b].view(unsigned))
    return gp.reshape(n, c, h, w)


def selects_in_2x2_tiles(x_aval, g_dtype, window, stride, padding) -> bool:
    """``max_pool_2x2_selecting``/``max_pool_2x2_scatter_selected`` apply: 2x2 windows that
    tile a float input of even height and width (LeNet's pooling)."""
    return (
        tuple(window) == (2, 2)
        and tuple(stride) == (2, 2)
        and tuple(map(tuple, padding)) == ((0, 0), (0, 0))
        and len(x_aval.shape) == 4
        and x_aval.shape[2] % 2 == 0
        and x_aval.shape[3] % 2 == 0
        and np.dtype(x_aval.dtype) in (np.dtype(np.float32), np.dtype(np.float64))
        and np.dtype(g_dtype) == np.dtype(x_aval.dtype)
    )


@small_ufunc_buffer
def max_pool_2x2_selecting(x):
    """``max_pool(x, (2, 2), (2, 2), no padding)`` (the same values, computed in the same order)
    and each window's selected element, for ``max_pool_2x2_scatter_selected``: three all-ones
    bit masks, "the right column wins" in each row and "the bottom row wins", which encode the
    first maximum in row-major order. The selection is None when a nan reached the output
    (the scatter then walks ``x`` as select-and-scatter does)."""
    n, c, h, w = x.shape
    tiles = x.reshape(n, c, h // 2, 2, w // 2, 2)
    batch_last = is_batch_last(x)
    out = empty_like_layout((n, c, h // 2, w // 2), x.dtype, batch_last)
    unsigned = np.dtype(f"u{x.dtype.itemsize}")
    selection = tuple(empty_like_layout(out.shape, unsigned, batch_last) for _ in range(3))

    def work(s: slice) -> None:
        part = batch_part(tiles, s, batch_last)
        top_left, top_right = part[:, :, :, 0, :, 0], part[:, :, :, 0, :, 1]
        low_left, low_right = part[:, :, :, 1, :, 0], part[:, :, :, 1, :, 1]
        top = np.maximum(top_left, top_right)
        pooled = batch_part(out, s, batch_last)
        np.maximum(top, low_left, out=pooled)
        np.maximum(pooled, low_right, out=pooled)
        # Strict comparisons: on ties the earlier element (left, top) keeps the cotangent.
        pairs = ((top_right, top_left), (low_right, low_left), (pooled, top))
        for bits, (later, earlier) in zip(selection, pairs, strict=True):
            share = batch_part(bits, s, batch_last)
            np.greater(later, earlier, out=share)  # True -> 1
            np.negative(share, out=share)  # 1 -> all ones

    in_parallel(work, c if batch_last else n, 2 * x.nbytes)
    # A nan in x reaches out through maximum; summed in memory order (a batch-last out read
    # in index order is a strided walk).
    if np.isnan(np.add.reduce(out.ravel(order="K"))):
        return out, None
    return out, selection


@small_ufunc_buffer
def max_pool_2x2_scatter_selected(g, x, selection):
    """``max_pool_scatter(g, x, (2, 2), (2, 2), no padding)`` from the selection that
    ``max_pool_2x2_selecting(x)`` returned: six bitwise operations, every element written once."""
    if selection is None:
        return max_pool_scatter(g, x, (2, 2), (2, 2), ((0, 0), (0, 0)))
    right_top, right_low, low = selection
    n, c, h, w = x.shape
    unsigned = right_top.dtype
    batch_last = is_batch_last(x)
    gp = empty_like_layout((n, c, h // 2, 2, w // 2, 2), g.dtype, batch_last)
    tiles, g_bits = gp.view(unsigned), in_layout(g, batch_last).view(unsigned)

    def work(s: slice) -> None:
        def share(a):
            return batch_part(a, s, batch_last)

        to_low = np.bitwise_and(share(g_bits), share(low))
        to_top = np.bitwise_xor(share(g_bits), to_low)  # the bits to_low did not take
        for row, part in ((0, to_top), (1, to_low)):
            right = share(tiles)[:, :, :, row, :, 1]
            np.bitwise_and(part, share(right_low if row else right_top), out=right)
            np.bitwise_xor(part, right, out=share(tiles)[:, :, :, row, :, 0])

    in_parallel(work, c if batch_last else n, 2 * gp.nbytes)
    return gp.reshape(n, c, h, w)


def max_pool_2x2_scatter_selected_masked(g, x, selection, pooled, zero):
    """``max_pool_2x2_scatter_selected(g, x, selection) * (x > zero)`` (a relu's backward
    mask after the pool's scatter), the same bits, with the mask taken on the pooled output,
    a quarter of the elements: without a nan (``selection`` present) each window's selected
    element equals its pooled value, and every other element receives +0 either way. With a
    nan the operations run as written."""
    if selection is None:
        scattered = max_pool_2x2_scatter_selected(g, x, selection)
        return np.multiply(scattered, np.greater(x, zero).astype(g.dtype))
    masked = np.multiply(g, np.greater(pooled, zero).astype(g.dtype))
    return max_pool_2x2_scatter_selected(masked, x, selection)


def max_pool_scatter(g, x, window, stride, padding):
    """Route each window's cotangent ``g`` to the window's selected (first maximum) element."""
    if (
        np.issubdtype(x.dtype, np.floating)
        and g.dtype == x.dtype
        and _tiles(x, window, stride, padding)
        and not np.isnan(x).any()
    ):
        return _max_pool_scatter_tiled(g, x, window)
    kernel = functools.partial(_max_pool_scatter, window=window, stride=stride, padding=padding)
    return per_batch(kernel, x.shape, g.dtype, g, x, nbytes=2 * x.nbytes)


def _max_pool_scatter(g, x, window, stride, padding):
    n, c, h, w = x.shape
    gp = filled_like_layout((n, c, h + sum(padding[0]), w + sum(padding[1])), g.dtype, x)
    for (rows, columns), hit in selected_taps(x, window, stride, padding):
        gp[:, :, rows, columns] += keep(g, hit)
    return crop_hw(gp, padding)


def max_pool_gather(y, x, window, stride, padding):
    """``y`` read at each window's selected element of ``x`` (the transpose of the scatter)."""
    shape = (*x.shape[:2], *_pool_out(x, window, stride, padding))
    kernel = functools.partial(_max_pool_gather, window=window, stride=stride, padding=padding)
    return per_batch(kernel, shape, y.dtype, y, x, nbytes=2 * x.nbytes)


def _max_pool_gather(y, x, window, stride, padding):
    yp = pad_hw(y, padding)
    out = filled_like_layout((*x.shape[:2], *_pool_out(x, window, stride, padding)), y.dtype, x)
    for (rows, columns), hit in selected_taps(x, window, stride, padding):
        out += keep(yp[:, :, rows, columns], hit)
    return out


def window_sum(x, window, stride, padding):
    """The sum of each window (padding adds zeros)."""
    shape = (*x.shape[:2], *_pool_out(x, window, stride, padding))
    kernel = functools.partial(_window_sum, window=window, stride=stride, padding=padding)
    return per_batch(kernel, shape, x.dtype, x, nbytes=x.nbytes)


def _window_sum(x, window, stride, padding):
    xp = pad_hw(x, padding)
    out = filled_like_layout((*x.shape[:2], *_pool_out(x, window, stride, padding)), x.dtype, x)
    for _, _, (rows, columns) in tap_slices(window, stride, (1, 1), out.shape[2:]):
        out += xp[:, :, rows, columns]
    return out


def window_sum_transpose(g, shape, window, stride, padding):
    """Each window's ``g`` added to every input element of the window (``window_sum``'s
    transpose)."""

    def kernel(g):
        return _window_sum_transpose(g, (len(g), *shape[1:]), window, stride, padding)

    return per_batch(kernel, tuple(shape), g.dtype, g, nbytes=g.itemsize * int(np.prod(shape)))


def _window_sum_transpose(g, shape, window, stride, padding):
    n, c, h, w = shape
    gp = filled_like_layout((n, c, h + sum(padding[0]), w + sum(padding[1])), g.dtype, g)
    for _, _, (rows, columns) in tap_slices(window, stride, (1, 1), g.shape[2:]):
        gp[:, :, rows, columns] += g
    return crop_hw(gp, padding)
