"""The window kernels' test cases, shared by tests/test_threads.py (bit-identical over threads)
and tests/test_window_layouts.py (bit-identical over memory layouts): every kernel of
``trace_ag.primitives._windows`` with arguments that hold ties, signed zeros and (on request)
a nan, in the NCHW layout or batch-last (the batch axis last in memory)."""

import functools

import numpy as np

from trace_ag.primitives import _windows

NO_PAD = ((0, 0), (0, 0))
LAYOUTS = ["nchw", "batch_last"]


def batch_last(a: np.ndarray) -> np.ndarray:
    """The same values as ``a``, stored with the batch axis last."""
    return np.moveaxis(np.ascontiguousarray(np.moveaxis(a, 0, -1)), -1, 0)


def draw(rng, shape, dtype, nan=False):
    x = rng.standard_normal(shape).astype(dtype)
    x[..., ::3, ::4] = x[..., 1::3, ::4]  # ties inside pooling windows
    x.reshape(-1)[::7] = -0.0
    if nan:
        x[0, 0, 1, 1] = np.nan
    return x


def kernel_cases(rng, n, dtype, layout="nchw"):
    """(name, kernel, args) for every window kernel, on a batch of ``n``."""
    x = draw(rng, (n, 3, 8, 10), dtype)
    g_pool = rng.standard_normal((n, 3, 4, 5)).astype(dtype)
    g_pool.reshape(-1)[::5] = -0.0
    g_overlap = rng.standard_normal((n, 3, 3, 4)).astype(dtype)
    pad = ((1, 0), (0, 2))
    cols = rng.standard_normal((n, 3, 3, 2, 4, 5)).astype(dtype)
    if layout == "batch_last":
        x, g_pool, g_overlap, cols = map(batch_last, (x, g_pool, g_overlap, cols))
    selection = _windows.max_pool_2x2_selecting(x)[1]
    im2col = functools.partial(_windows.im2col_strided, batch_last=layout == "batch_last")
    return [
        ("im2col", im2col, (x, (3, 2), (2, 2), pad, (1, 2))),
        ("col2im", _windows.col2im_strided, (cols, x.shape, (3, 2), (2, 2), pad, (1, 2))),
        ("max_pool", _windows.max_pool, (x, (3, 3), (2, 2), ((1, 1), (0, 1)))),
        ("max_pool_2x2_selecting", _windows.max_pool_2x2_selecting, (x,)),
        ("scatter_selected", _windows.max_pool_2x2_scatter_selected, (g_pool, x, selection)),
        ("scatter_tiled", _windows.max_pool_scatter, (g_pool, x, (2, 2), (2, 2), NO_PAD)),
        ("scatter_overlap", _windows.max_pool_scatter, (g_overlap, x, (3, 3), (2, 2), NO_PAD)),
        ("gather", _windows.max_pool_gather, (x + 1, x, (3, 3), (2, 2), NO_PAD)),
        ("window_sum", _windows.window_sum, (x, (3, 2), (2, 2), pad)),
        (
            "window_sum_transpose",
            _windows.window_sum_transpose,
            (_windows.window_sum(x, (3, 2), (2, 2), pad), x.shape, (3, 2), (2, 2), pad),
        ),
    ]
