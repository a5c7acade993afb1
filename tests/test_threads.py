"""The window kernels' batch split over threads (``ag.config`` ``threads``): every kernel gives
bit-identical results with 1, 2 and 3 threads (odd batches, batch 1), the split really runs on
the pool, the threaded results still match JAX, and a jitted LeNet-5 step's values and gradients
do not depend on the thread count."""

import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from window_cases import LAYOUTS, draw, kernel_cases

import trace_ag as ag
from nn import losses, models, optim
from trace_ag import errors
from trace_ag.primitives import _windows

jax.config.update("jax_enable_x64", True)

NO_PAD = ((0, 0), (0, 0))
BATCHES = [1, 3, 5, 8]
DTYPES = [np.float32, np.float64]


@pytest.fixture
def tiny_split(monkeypatch):
    """Split even the tests' small arrays, and record which threads ran a share."""
    monkeypatch.setattr(_windows, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(_windows, "PARALLEL_BYTES_PER_THREAD", 1)
    ran_on: list[str] = []
    share = _windows._share

    def recording_share(work, s, buffer):
        ran_on.append(threading.current_thread().name)
        share(work, s, buffer)

    monkeypatch.setattr(_windows, "_share", recording_share)
    yield ran_on
    ag.config.update("threads", 1)  # the default


def with_threads(threads, fn, *args):
    ag.config.update("threads", threads)
    try:
        out = fn(*args)
    finally:
        ag.config.update("threads", 1)  # the default
    return out


def bits(tree):
    return [np.ascontiguousarray(a).view(np.uint8) for a in ag.tree_util.tree_leaves(tree)]


def assert_same_bits(a, b):
    for x, y in zip(bits(a), bits(b), strict=True):
        np.testing.assert_array_equal(x, y)


KERNEL_NAMES = [name for name, _, _ in kernel_cases(np.random.default_rng(0), 1, np.float32)]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n", BATCHES)
@pytest.mark.parametrize("name", KERNEL_NAMES)
def test_every_window_kernel_is_bit_identical_over_threads(tiny_split, name, n, dtype, layout):
    cases = {k: (f, a) for k, f, a in kernel_cases(np.random.default_rng(n), n, dtype, layout)}
    kernel, args = cases[name]
    tiny_split.clear()
    one = with_threads(1, kernel, *args)
    assert tiny_split == [] or all(t == "MainThread" for t in tiny_split)
    for threads in (2, 3):
        tiny_split.clear()
        assert_same_bits(one, with_threads(threads, kernel, *args))
        workers = [t for t in tiny_split if t.startswith("trace_ag-window")]
        # NCHW kernels split the batch, batch-last ones (and col2im) the channels
        if n > 1 and name != "col2im":
            assert workers, f"{name} did not split a batch of {n} ({layout}) over threads"


def test_col2im_splits_over_channels(tiny_split):
    cols = np.random.default_rng(0).standard_normal((1, 3, 2, 2, 3, 3))
    args = (cols, (1, 3, 4, 4), (2, 2), (1, 1), NO_PAD, (1, 1))
    one = with_threads(1, _windows.col2im_strided, *args)
    two = with_threads(2, _windows.col2im_strided, *args)
    assert_same_bits(one, two)
    assert any(t.startswith("trace_ag-window") for t in tiny_split)


def test_a_nan_in_one_slice_keeps_the_one_thread_choice(tiny_split):
    """A nan decides the scatter's path for the whole batch, not per thread's slice."""
    rng = np.random.default_rng(1)
    x = draw(rng, (4, 2, 6, 6), np.float32, nan=True)
    g = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    g.reshape(-1)[::2] = -0.0
    args = (g, x, (2, 2), (2, 2), NO_PAD)
    assert_same_bits(
        with_threads(1, _windows.max_pool_scatter, *args),
        with_threads(2, _windows.max_pool_scatter, *args),
    )
    out, selection = with_threads(2, _windows.max_pool_2x2_selecting, x)
    assert selection is None and np.isnan(out[0, 0, 0, 0])


def test_threaded_pooling_matches_jax(tiny_split):
    rng = np.random.default_rng(2)
    x = draw(rng, (5, 3, 8, 10), np.float64)
    g = rng.standard_normal((5, 3, 3, 4))
    window, stride = (3, 3), (2, 2)

    def jax_pool(x):
        return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, *window), (1, 1, *stride), "VALID")

    expected, pullback = jax.vjp(jax_pool, x)
    ag.config.update("threads", 2)
    np.testing.assert_array_equal(_windows.max_pool(x, window, stride, NO_PAD), expected)
    scatter = _windows.max_pool_scatter(g, x, window, stride, NO_PAD)
    np.testing.assert_allclose(scatter, pullback(g)[0], rtol=1e-14)  # overlaps: sum order
    cols = _windows.im2col_strided(x, (3, 3), (1, 1), NO_PAD, (1, 1))
    patches = lax.conv_general_dilated_patches(x, (3, 3), (1, 1), "VALID")
    np.testing.assert_array_equal(cols.reshape(patches.shape), patches)
    assert any(t.startswith("trace_ag-window") for t in tiny_split)


def test_batch_slices_cover_the_batch_disjointly():
    for n in (1, 2, 5, 64, 65):
        for threads in (1, 2, 3, 7):
            parts = _windows.batch_slices(n, 2**30, threads=threads)
            assert [i for s in parts for i in range(n)[s]] == list(range(n))
            assert len(parts) == min(threads, n)
            sizes = [s.stop - s.start for s in parts]
            assert max(sizes) - min(sizes) <= 1
    assert _windows.batch_slices(64, _windows.PARALLEL_MIN_BYTES - 1, threads=2) == [slice(0, 64)]


def test_every_share_runs_with_the_kernels_ufunc_buffer(tiny_split):
    """The pool's threads take the caller's NumPy ufunc buffer (a kernel sets a small one),
    and the caller's own buffer is restored afterwards."""
    ag.config.update("threads", 2)
    seen = []
    kernel = _windows.small_ufunc_buffer(
        lambda: _windows.in_parallel(lambda s: seen.append(np.getbufsize()), 4, 1 << 20)
    )
    before = np.getbufsize()
    kernel()
    assert len(seen) >= 2 and set(seen) == {_windows.KERNEL_UFUNC_BUFFER}
    assert len(set(tiny_split)) >= 2  # really on two threads
    assert np.getbufsize() == before


def test_an_error_in_a_worker_share_reaches_the_caller(tiny_split):
    def work(s):
        if s.start > 0:
            raise ValueError(f"share {s} failed")

    ag.config.update("threads", 2)
    with pytest.raises(ValueError, match="share"):
        _windows.in_parallel(work, 4, 2**20)


def test_a_split_inside_a_share_runs_serially(tiny_split):
    seen = []

    def inner(s):
        seen.append((threading.current_thread().name, s))

    ag.config.update("threads", 2)
    _windows.in_parallel(lambda s: _windows.in_parallel(inner, 3, 2**20), 2, 2**20)
    assert sorted(s.stop - s.start for _, s in seen) == [3, 3]  # each share ran all 3 alone


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_a_bad_threads_option_is_a_clear_error(bad):
    ag.config.update("threads", bad)
    try:
        with pytest.raises(errors.TraceAgError, match="'threads' must be a positive int"):
            _windows.im2col_strided(np.zeros((1, 1, 3, 3)), (2, 2), (1, 1), NO_PAD, (1, 1))
    finally:
        ag.config.update("threads", 1)  # the default


def test_threads_default_to_one_and_none_follows_openblas(monkeypatch):
    assert ag.config.read("threads") == 1 and _windows.thread_count() == 1
    ag.config.update("threads", None)
    try:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
        assert _windows.thread_count() == 3
        monkeypatch.delenv("OPENBLAS_NUM_THREADS")
        monkeypatch.setenv("OMP_NUM_THREADS", "2")
        assert _windows.thread_count() == 2
    finally:
        ag.config.update("threads", 1)


def _lenet_step():
    model = models.lenet5((1, 28, 28))
    opt = optim.adam(1e-3)

    def step(params, state, x, y):
        loss, grads = ag.value_and_grad(lambda p: losses.cross_entropy(model.apply(p, x), y))(
            params
        )
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, loss, grads

    params, _ = model.init(0, (1, 28, 28))
    return ag.jit(step), params, opt.init(params)


@pytest.mark.parametrize("n", [1, 5, 64])
def test_a_jitted_lenet5_step_is_bit_identical_over_threads(n):
    """At the real thresholds: batch 64 splits im2col, col2im and both pools' kernels."""
    step, params, state = _lenet_step()
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, n)
    one = with_threads(1, step, params, state, x, y)
    two = with_threads(2, step, params, state, x, y)
    assert_same_bits(one, two)
    assert np.isfinite(float(one[2]))
    if n == 64:
        assert len(_windows.batch_slices(n, 2 * x.nbytes * 25, threads=2)) == 2
