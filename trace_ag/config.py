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
"""

from __future__ import annotations

from typing import Any

_values: dict[str, Any] = {
    "log_compiles": False,
    "explain_cache_misses": False,
    "jit_cache_size": 64,
    "jit_reuse_buffers": True,
    "traceback_filtering": "auto",
    "check_graphs": False,
}


def update(name: str, value: Any) -> None:
    """Set option ``name``; unknown names are an error listing the known ones."""
    if name not in _values:
        raise KeyError(f"unknown trace_ag option {name!r}; known: {sorted(_values)}")
    _values[name] = value


def read(name: str) -> Any:
    return _values[name]
