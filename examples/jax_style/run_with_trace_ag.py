"""Run a JAX program on trace_ag without editing it.

    python examples/jax_style/run_with_trace_ag.py examples/jax_style/gp_regression.py
    python examples/jax_style/run_with_trace_ag.py --backend jax examples/jax_style/gp_regression.py

Inside the program, ``import jax``, ``import jax.numpy as jnp``, ``from jax import random``,
``from jax.example_libraries import stax`` and every other ``jax.<name>`` import give the
trace_ag module of the same name (``trace_ag``, ``trace_ag.numpy``, ``trace_ag.random``,
``trace_ag.example_libraries.stax``, ...).

Only the program's own imports are redirected (the hook looks at which file is importing), so
trace_ag's JAX backend, which imports the real jax, keeps working: with ``--backend jax`` every
``jax.jit`` in the program compiles through XLA (``trace_ag.jit(..., backend="jax")``).
"""

from __future__ import annotations

import argparse
import builtins
import functools
import importlib
import os
import runpy
import sys
import types


def _jax_name_to_trace_ag(name: str) -> str:
    return "trace_ag" + name[len("jax") :]


def _with_jit_backend(module: types.ModuleType, backend: str) -> types.ModuleType:
    """``module`` itself, or (for another backend) a view of it whose ``jit`` uses ``backend``."""
    if backend == "numpy" or module.__name__ != "trace_ag":
        return module

    def jit(fun=None, **options):
        options.setdefault("backend", backend)
        if fun is None:  # used as @partial(jax.jit, ...) or @jax.jit(...)
            return functools.partial(module.jit, **options)
        return module.jit(fun, **options)

    view = types.ModuleType("trace_ag", module.__doc__)
    view.__dict__.update(module.__dict__)
    view.jit = jit
    return view


def _import_trace_ag() -> types.ModuleType:
    try:
        return importlib.import_module("trace_ag")
    except ModuleNotFoundError:  # run from a checkout without installing it
        sys.path.insert(
            0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
        )
        return importlib.import_module("trace_ag")


def install(program_path: str, backend: str = "numpy") -> None:
    """Send ``program_path``'s ``jax`` imports to trace_ag (and ``jax.jit`` to ``backend``)."""
    program_file = os.path.realpath(program_path)
    original_import = builtins.__import__
    top = _with_jit_backend(_import_trace_ag(), backend)

    def redirecting_import(name, globals=None, locals=None, fromlist=(), level=0):
        importer = (globals or {}).get("__file__")
        is_jax = level == 0 and (name == "jax" or name.startswith("jax."))
        if not (is_jax and importer and os.path.realpath(importer) == program_file):
            return original_import(name, globals, locals, fromlist, level)
        module = original_import(_jax_name_to_trace_ag(name), globals, locals, fromlist, level)
        # `import jax.x` binds the top package; `from jax.x import y` uses the submodule
        return top if module.__name__ == "trace_ag" else module

    builtins.__import__ = redirecting_import


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("numpy", "jax"), default="numpy")
    parser.add_argument("program", help="the JAX program to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the program")
    options = parser.parse_args()
    install(options.program, options.backend)
    sys.argv = [options.program, *options.args]
    sys.path.insert(0, os.path.dirname(os.path.realpath(options.program)))
    runpy.run_path(options.program, run_name="__main__")


if __name__ == "__main__":
    main()
