"""Global options, set with ``ag.config.update(name, value)`` (as ``jax.config.update``).

- ``log_compiles``: log (logger ``trace_ag.jit``, level WARNING) each time jit traces a function;
- ``explain_cache_misses``: on each retrace, log which argument's shape, dtype, structure or
  static value differs from the closest cached signature;
- ``jit_cache_size``: how many signatures each jitted function keeps (least recently used out);
- ``jit_reuse_buffers``: let generated NumPy code write into dead buffers (``out=``); turning it
  off measures what the buffer plan buys (``benchmarks/mlp.py``);
- ``traceback_filtering``: ``"auto"`` hides trace_ag's own frames from the tracebacks of
  ``TraceAgError``s raised through a transform (as JAX does), ``"off"`` shows every frame;
- ``check_graphs``: type-check every graph after each jit pass (a debugging aid; the test suite
  turns it on).
- ``debug_nans`` / ``debug_infs``: raise ``FloatingPointError`` naming the primitive and the
  user's line as soon as an operation computes a NaN (an infinity); a jitted function's outputs
  are checked and, when one has a NaN, it runs again op by op to find the operation, as JAX does;
- ``disable_jit``: ``ag.jit`` functions run as written, eagerly, op by op (to debug them with
  prints and breakpoints); ``ag.disable_jit()`` is the same as a context manager.
- ``default_float``: ``"float64"`` (the default) or ``"float32"``, JAX's defaults without x64:
  Python floats, lists of them and arrays created without a dtype (``zeros``, ``arange(1.0)``,
  ``linspace``, random samples) are float32 (complex64 for complex), and integers and bools
  promote to float32 where a float is needed (``exp(int_array)``). NumPy arrays passed in keep
  their dtype, in eager code and under every transform alike.
- ``threads``: how many threads the window kernels (im2col, col2im, pooling) split a large
  batch over; ``1`` (the default: on a shared 2-core machine the split measured 10% slower, and
  no idle machine has shown it faster yet) keeps them on the calling thread, ``None`` uses as
  many as OpenBLAS (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, else the CPU count).
  Results are bit-identical whatever the count.

JAX's option names are accepted where they mean something here (``_JAX_OPTIONS``):
``jax_disable_jit`` (``disable_jit``), ``jax_debug_nans``/``jax_debug_infs``,
``jax_enable_x64`` (``False`` sets ``default_float`` to ``"float32"``, ``True`` back to
``"float64"``), ``jax_platform_name``/``jax_platforms``
``"cpu"``, ``jax_log_compiles``, ``jax_explain_cache_misses``, ``jax_traceback_filtering``, and
``jax_threefry_partitionable``/``jax_default_prng_impl``/
``jax_numpy_rank_promotion``/``jax_default_matmul_precision`` at the value that is what trace_ag
always does. Any other value, and any other ``jax_*`` name, is a ``ValueError`` saying why.
``config.jax_enable_x64`` (and the other names) can be read, as in JAX.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

_values: dict[str, Any] = {
    "log_compiles": False,
    "explain_cache_misses": False,
    "jit_cache_size": 64,
    "jit_reuse_buffers": True,
    "traceback_filtering": "auto",
    "check_graphs": False,
    "default_float": "float64",
    "disable_jit": False,
    "debug_nans": False,
    "debug_infs": False,
    "threads": 1,
}
_CHOICES: dict[str, tuple] = {
    # JAX's values; every one but "off" hides trace_ag's frames
    "traceback_filtering": ("auto", "off", "tracebackhide", "remove_frames", "quiet_remove_frames"),
    "default_float": ("float64", "float32"),
}
# read on every array creation: kept as a dtype, not looked up by name
default_float_dtype = np.dtype(np.float64)
DISABLE_JIT = [False]  # read on every jitted call
DEBUG_FLOATS = [False]  # read on every eager operation: debug_nans or debug_infs is on


# JAX option -> (trace_ag option it sets, or None) and the values trace_ag can honour (None: any)
_JAX_OPTIONS: dict[str, tuple[str | None, tuple | None]] = {
    "jax_enable_x64": ("default_float", None),
    "jax_platform_name": (None, ("cpu", "")),
    "jax_platforms": (None, ("cpu", "")),
    "jax_debug_nans": ("debug_nans", None),
    "jax_debug_infs": ("debug_infs", None),
    "jax_disable_jit": ("disable_jit", None),
    "jax_threefry_partitionable": (None, (True, 1)),
    "jax_default_prng_impl": (None, ("threefry2x32", "threefry")),
    "jax_numpy_rank_promotion": (None, ("allow",)),
    "jax_default_matmul_precision": (None, None),  # float64 on NumPy: every precision is exact
    "jax_log_compiles": ("log_compiles", None),
    "jax_explain_cache_misses": ("explain_cache_misses", None),
    "jax_traceback_filtering": ("traceback_filtering", None),
}
_WHY_NOT = {
    "jax_platform_name": "trace_ag runs on the CPU (NumPy) only",
    "jax_platforms": "trace_ag runs on the CPU (NumPy) only",
}
_jax_set: dict[str, Any] = {"jax_enable_x64": True, "jax_platform_name": "cpu"}


def _update_jax(name: str, value: Any) -> None:
    if name not in _JAX_OPTIONS:
        raise ValueError(
            f"JAX option {name!r} has no trace_ag equivalent; supported JAX options: "
            f"{sorted(_JAX_OPTIONS)}"
        )
    target, allowed = _JAX_OPTIONS[name]
    if allowed is not None and not any(value is a or (value == a) for a in allowed):
        reason = _WHY_NOT.get(name, f"trace_ag always behaves as {name}={allowed[0]!r}")
        raise ValueError(f"config.update({name!r}, {value!r}) is not supported: {reason}")
    if name == "jax_enable_x64":
        update("default_float", "float64" if value else "float32")
    elif target is not None:
        update(target, value)
    _jax_set[name] = value


def __getattr__(name: str) -> Any:
    """``config.jax_enable_x64`` and the other JAX option names, read as in JAX."""
    if name in _JAX_OPTIONS:
        target, allowed = _JAX_OPTIONS[name]
        if name == "jax_enable_x64":
            return _values["default_float"] == "float64"
        if target is not None:
            return _values[target]
        return _jax_set.get(name, allowed[0] if allowed else None)
    raise AttributeError(f"module 'trace_ag.config' has no attribute {name!r}")


def update(name: str, value: Any) -> None:
    """Set option ``name``; unknown names are an error listing the known ones. JAX's option
    names (``"jax_enable_x64"``, ...) are accepted as the module docstring lists.

    Examples:
        >>> update("jax_enable_x64", True)   # float64 (the default)
        >>> update("default_float", "float32"); read("jax_enable_x64")
        False
        >>> update("default_float", "float64")
    """
    if name.startswith("jax_"):
        _update_jax(name, value)
        return
    global default_float_dtype
    if name not in _values:
        raise KeyError(f"unknown trace_ag option {name!r}; known: {sorted(_values)}")
    if name == "default_float" and not isinstance(value, str):
        value = np.dtype(value).name  # np.float32 and "float32" alike
    if name in _CHOICES and value not in _CHOICES[name]:
        raise ValueError(f"config.update({name!r}, {value!r}): choose one of {_CHOICES[name]}")
    _values[name] = value
    if name == "default_float":
        default_float_dtype = np.dtype(value)
    if name == "disable_jit":
        DISABLE_JIT[0] = bool(value)
    if name in ("debug_nans", "debug_infs"):
        _values[name] = bool(value)
        DEBUG_FLOATS[0] = _values["debug_nans"] or _values["debug_infs"]


def read(name: str) -> Any:
    """The value of option ``name`` (a trace_ag option or one of JAX's names)."""
    if name.startswith("jax_"):
        return __getattr__(name)
    return _values[name]


@contextlib.contextmanager
def disable_jit(disable: bool = True):
    """Within the block, ``ag.jit`` functions run eagerly, as ``jax.disable_jit()``.

    Examples:
        >>> import trace_ag as ag
        >>> f = ag.jit(lambda x: print("traced with", type(x).__name__) or x * 2)
        >>> with ag.disable_jit():
        ...     print(f(1.0))
        traced with float
        2.0
    """
    before = _values["disable_jit"]
    update("disable_jit", disable)
    try:
        yield
    finally:
        update("disable_jit", before)
