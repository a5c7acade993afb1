"""HIPS autograd's own test suite, run through trace_ag and through JAX (issue 14).

autograd's tests are not part of this repository (their licence, and our rule that facts carry
over, code does not): fetch them yourself, for example

    pip download autograd --no-deps --no-binary :all: -d /tmp/peer
    tar xzf /tmp/peer/autograd-*.tar.gz -C /tmp/peer
    python benchmarks/peer_suite.py /tmp/peer/autograd-1.9.1/tests --json /tmp/peer/result.json

The script runs pytest on that folder twice, in subprocesses: once with ``PEER_SUITE_BACKEND``
set to ``trace_ag`` and once to ``jax``. Each run loads this very file as a pytest plugin
(``-p peer_suite``), which puts an import hook in front of ``sys.meta_path`` so that every
``autograd.*`` import resolves to the backend:

* ``autograd.numpy`` / ``.linalg`` / ``.fft`` forward to ``trace_ag.numpy`` or ``jax.numpy``;
  ``autograd.numpy.random`` is plain ``numpy.random`` (as in autograd itself);
* ``autograd.scipy.*`` forwards to ``trace_ag.scipy.*`` or ``jax.scipy.*``;
* autograd's operators (``grad``, ``elementwise_grad``, ``value_and_grad``, ``make_vjp``,
  ``make_jvp``, ``deriv``, ``holomorphic_grad``, ``grad_named``, ``grad_and_aux``,
  the Hessian and Jacobian products) are written here on top of the backend's ``vjp``/``jvp``,
  with autograd's calling convention (``argnum``, ``make_vjp(f)(x) -> (vjp, ans)``);
  ``jacobian``, ``hessian`` and ``checkpoint`` are the backend's ``jacrev``/``hessian``/
  ``checkpoint``;
* ``autograd.test_util.check_grads`` is one checker for both backends, with autograd's
  semantics: forward and reverse mode against central differences, complex inputs, pytrees,
  higher orders through the (x, v) -> jvp / vjp functions, and autograd's tolerances;
* the parts of autograd that neither JAX nor trace_ag have (``extend.primitive``/``defvjp``,
  ``core.vspace``, boxes, ``misc.const_graph``) are stubs that raise ``PeerAutogradOnly`` when
  called, so only the tests that use them fail.

A name missing from the backend raises ``AttributeError`` starting with ``PEER_MISSING``; the
summary counts those per name. Not a test of this repository: a measurement.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import importlib
import importlib.abc
import importlib.machinery
import inspect
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import types
import xml.etree.ElementTree as ElementTree
from pathlib import Path

BACKEND_VARIABLE = "PEER_SUITE_BACKEND"
TIMEOUT_VARIABLE = "PEER_SUITE_TEST_TIMEOUT"
MISSING_MARK = "PEER_MISSING"
AUTOGRAD_ONLY_MARK = "PEER_AUTOGRAD_ONLY"
TIMEOUT_MARK = "PEER_TIMEOUT"


class PeerAutogradOnly(NotImplementedError):
    """An autograd API with no counterpart in JAX or trace_ag (boxes, vspaces, defvjp)."""


class PeerTimeout(Exception):
    """One test ran past the per-test time limit."""


# ---------------------------------------------------------------------------------------------
# The backend: the few core pieces the shim needs, for trace_ag or JAX.


class _Backend:
    def __init__(self, name: str):
        self.name = name
        if name == "jax":
            import jax

            jax.config.update("jax_enable_x64", True)
            import jax.numpy as jnp

            self.ad = jax
            self.numpy = jnp
            self.numpy_name = "jax.numpy"
            self.scipy_name = "jax.scipy"
            self.tree_flatten = jax.tree_util.tree_flatten
            self.tree_unflatten = jax.tree_util.tree_unflatten
            self.tracer_types = (jax.core.Tracer,)
        elif name == "trace_ag":
            import trace_ag
            import trace_ag.core
            import trace_ag.numpy as tnp

            self.ad = trace_ag
            self.numpy = tnp
            self.numpy_name = "trace_ag.numpy"
            self.scipy_name = "trace_ag.scipy"
            self.tree_flatten = trace_ag.tree_util.tree_flatten
            self.tree_unflatten = trace_ag.tree_util.tree_unflatten
            self.tracer_types = (trace_ag.core.Tracer,)
        else:
            raise ValueError(f"peer_suite: unknown backend {name!r} (trace_ag or jax)")

    def vjp(self, fun, x, has_aux=False):
        if has_aux:
            out, pullback, aux = self.ad.vjp(fun, x, has_aux=True)
            return out, (lambda g: pullback(g)[0]), aux
        out, pullback = self.ad.vjp(fun, x)
        return out, (lambda g: pullback(g)[0])

    def jvp(self, fun, x, v):
        return self.ad.jvp(fun, (x,), (v,))

    def ravel_pytree(self):
        if self.name == "jax":
            from jax.flatten_util import ravel_pytree
        else:
            from trace_ag.flatten_util import ravel_pytree
        return ravel_pytree


def _missing(where: str, name: str):
    raise AttributeError(
        f"{MISSING_MARK} {where}.{name}: module {where!r} has no attribute {name!r}"
    )


def _autograd_only(qualname: str):
    def stub(*args, **kwargs):
        raise PeerAutogradOnly(f"{AUTOGRAD_ONLY_MARK} {qualname}: autograd-only API")

    stub.__name__ = qualname.rsplit(".", 1)[-1]
    return stub


# ---------------------------------------------------------------------------------------------
# autograd's operators on top of the backend's vjp / jvp.


def _nary(unary):
    """autograd's convention: ``op(fun, argnum=0, *op_args)(*args)`` differentiates ``fun``
    in positional argument ``argnum`` (an int, or a tuple of ints for a tuple of arguments)."""

    def operator(fun, argnum=0, *op_args, **op_kwargs):
        def applied(*args, **kwargs):
            def unary_fun(x):
                new_args = list(args)
                if isinstance(argnum, int):
                    new_args[argnum] = x
                else:
                    for index, value in zip(argnum, x, strict=True):
                        new_args[index] = value
                return fun(*new_args, **kwargs)

            unary_fun.__name__ = getattr(fun, "__name__", "fun")
            x = args[argnum] if isinstance(argnum, int) else tuple(args[i] for i in argnum)
            return unary(unary_fun, x, *op_args, **op_kwargs)

        fun_name = getattr(fun, "__name__", "fun")
        applied.__name__ = f"{unary.__name__}_of_{fun_name}_wrt_argnum_{argnum}"
        applied.__doc__ = (
            f"    {unary.__name__} of function {fun_name} with respect to argument number {argnum}."
        )
        return applied

    operator.__name__ = unary.__name__
    operator.__doc__ = unary.__doc__
    return operator


def _build_operators(backend: _Backend) -> dict:
    bnp = backend.numpy

    def _size(value):
        return int(getattr(value, "size", 1)) if hasattr(value, "size") else int(bnp.size(value))

    def _is_complex(value):
        import numpy

        dtype = numpy.dtype(getattr(value, "dtype", type(value)))
        return numpy.issubdtype(dtype, numpy.complexfloating)

    def _is_inexact(value):
        import numpy

        dtype = numpy.dtype(getattr(value, "dtype", type(value)))
        return numpy.issubdtype(dtype, numpy.inexact)

    def make_vjp(fun, x):
        out, pullback = backend.vjp(fun, x)
        return pullback, out

    def make_jvp(fun, x):
        return lambda v: backend.jvp(fun, x, v)

    def grad(fun, x):
        """
        Returns a function which computes the gradient of ``fun`` in argument ``argnum``
        (autograd's contract: real scalar output, else ``TypeError``)."""
        pullback, ans = make_vjp(fun, x)
        if _size(ans) != 1 or _is_complex(ans) or not _is_inexact(ans):
            raise TypeError("grad: only real scalar-output functions (autograd's contract)")
        return pullback(bnp.ones_like(ans))

    def elementwise_grad(fun, x):
        pullback, ans = make_vjp(fun, x)
        if _is_complex(ans):
            raise TypeError("Elementwise_grad only applies to real-output functions.")
        return pullback(bnp.ones_like(ans))

    def deriv(fun, x):
        return backend.jvp(fun, x, bnp.ones_like(x))[1]

    def holomorphic_grad(fun, x):
        return _nary(grad)(lambda z: bnp.real(fun(z)))(x)

    def value_and_grad(fun, x):
        pullback, ans = make_vjp(fun, x)
        return ans, pullback(bnp.ones_like(ans))

    def grad_and_aux(fun, x):
        ans, pullback, aux = backend.vjp(fun, x, has_aux=True)
        return pullback(bnp.ones_like(ans)), aux

    def make_hvp(fun, x):
        return make_vjp(_nary(grad)(fun), x)

    def jacobian(fun, argnum=0):
        return backend.ad.jacrev(fun, argnums=argnum)

    def hessian(fun, argnum=0):
        return backend.ad.hessian(fun, argnums=argnum)

    def grad_named(fun, argname):
        return _nary(grad)(fun, inspect.getfullargspec(fun).args.index(argname))

    def hessian_tensor_product(fun, argnum=0):
        fun_grad = _nary(grad)(fun, argnum)

        def vector_dot_grad(*args, **kwargs):
            args, vector = args[:-1], args[-1]
            return bnp.tensordot(fun_grad(*args, **kwargs), vector, bnp.ndim(vector))

        return _nary(grad)(vector_dot_grad, argnum)

    def tensor_jacobian_product(fun, argnum=0):
        def vector_dot_fun(*args, **kwargs):
            args, vector = args[:-1], args[-1]
            return bnp.tensordot(vector, fun(*args, **kwargs), axes=bnp.ndim(vector))

        return jacobian(vector_dot_fun, argnum)

    def make_ggnvp(f, g=lambda x: 0.5 * bnp.sum(x**2, axis=-1), f_argnum=0):
        def ggnvp_at(f, x):
            f_vjp, f_x = make_vjp(f, x)
            g_hvp, grad_g_x = make_vjp(_nary(grad)(g), f_x)
            f_jvp, _ = make_vjp(f_vjp, bnp.zeros_like(grad_g_x))
            return lambda v: f_vjp(g_hvp(f_jvp(v)))

        ggnvp_at.__name__ = "make_ggnvp"
        return _nary(ggnvp_at)(f, f_argnum)

    return {
        "make_vjp": _nary(make_vjp),
        "make_jvp": _nary(make_jvp),
        "grad": _nary(grad),
        "elementwise_grad": _nary(elementwise_grad),
        "deriv": _nary(deriv),
        "holomorphic_grad": _nary(holomorphic_grad),
        "value_and_grad": _nary(value_and_grad),
        "grad_and_aux": _nary(grad_and_aux),
        "make_hvp": _nary(make_hvp),
        "jacobian": jacobian,
        "hessian": hessian,
        "grad_named": grad_named,
        "hessian_tensor_product": hessian_tensor_product,
        "hessian_vector_product": hessian_tensor_product,
        "tensor_jacobian_product": tensor_jacobian_product,
        "vector_jacobian_product": tensor_jacobian_product,
        "make_ggnvp": make_ggnvp,
        "checkpoint": backend.ad.checkpoint,
        "core_make_vjp": make_vjp,
    }


# ---------------------------------------------------------------------------------------------
# check_grads with autograd's semantics, one implementation for both backends.

TOLERANCE = 1e-6  # autograd's absolute and relative tolerance
STEP = 1e-6  # autograd's central-difference step


def _build_test_util(backend: _Backend, operators: dict) -> dict:
    import numpy

    rng = numpy.random

    def leaves(tree):
        return backend.tree_flatten(tree)[0]

    def random_like(tree):
        flat, treedef = backend.tree_flatten(tree)
        drawn = []
        for leaf in flat:
            arr = numpy.asarray(leaf)
            shape = arr.shape
            if numpy.issubdtype(arr.dtype, numpy.complexfloating):
                drawn.append(rng.randn(*shape) + 1j * rng.randn(*shape))
            else:
                drawn.append(numpy.asarray(rng.randn(*shape), dtype=numpy.float64))
        return backend.tree_unflatten(treedef, drawn)

    def pair(a, b):
        # Real part of the bilinear pairing: the vjp convention autograd and JAX share.
        total = 0.0
        for x, y in zip(leaves(a), leaves(b), strict=True):
            total += float(numpy.real(numpy.sum(numpy.asarray(x) * numpy.asarray(y))))
        return total

    def add_scaled(tree, direction, scale):
        flat, treedef = backend.tree_flatten(tree)
        moved = [x + scale * numpy.asarray(u) for x, u in zip(flat, leaves(direction), strict=True)]
        return backend.tree_unflatten(treedef, moved)

    def numeric_jvp(f, x, direction):
        plus = f(add_scaled(x, direction, STEP / 2))
        minus = f(add_scaled(x, direction, -STEP / 2))
        flat, treedef = backend.tree_flatten(plus)
        quotients = [
            (numpy.asarray(p) - numpy.asarray(m)) / STEP
            for p, m in zip(flat, leaves(minus), strict=True)
        ]
        return backend.tree_unflatten(treedef, quotients)

    def scalar_close(a, b):
        return abs(a - b) < TOLERANCE or abs(a - b) / abs(a + b) < TOLERANCE

    def check_vjp(f, x):
        pullback, y = operators["core_make_vjp"](f, x)
        x_direction, y_direction = random_like(x), random_like(y)
        exact = pair(x_direction, pullback(y_direction))
        numeric = pair(y_direction, numeric_jvp(f, x, x_direction))
        assert scalar_close(numeric, exact), (
            f"Derivative (VJP) check of {getattr(f, '__name__', 'f')} failed:\n"
            f"analytic: {exact}\nnumeric:  {numeric}"
        )

    def check_equivalent(a, b):
        sa, sb = [numpy.shape(v) for v in leaves(a)], [numpy.shape(v) for v in leaves(b)]
        assert sa == sb, f"VSpace mismatch:\nx: {sa}\ny: {sb}"
        direction = random_like(a)
        assert scalar_close(pair(a, direction), pair(b, direction)), (
            f"Value mismatch:\nx: {a}\ny: {b}"
        )

    def check_jvp(f, x):
        direction = random_like(x)
        check_equivalent(backend.jvp(f, x, direction)[1], numeric_jvp(f, x, direction))

    def check_grads_unary(f, x, modes=("fwd", "rev"), order=2):
        assert all(m in ("fwd", "rev") for m in modes)
        name = getattr(f, "__name__", "f")
        if "fwd" in modes:
            check_jvp(f, x)
            if order > 1:

                def jvp_of_f(x, v):
                    return backend.jvp(f, x, v)[1]

                jvp_of_f.__name__ = f"jvp_{name}"
                v = random_like(x)
                _nary(check_grads_unary)(jvp_of_f, (0, 1), modes, order=order - 1)(x, v)
        if "rev" in modes:
            check_vjp(f, x)
            if order > 1:

                def vjp_of_f(x, v):
                    return operators["core_make_vjp"](f, x)[0](v)

                vjp_of_f.__name__ = f"vjp_{name}"
                v = random_like(f(x))
                _nary(check_grads_unary)(vjp_of_f, (0, 1), modes, order=order - 1)(x, v)

    check_grads_unary.__name__ = "check_grads"
    check_grads = _nary(check_grads_unary)

    def combo_check(fun, *args, **kwargs):
        import itertools

        def checker(*arg_lists, **kwarg_lists):
            kwarg_pairs = [[(k, v) for v in vs] for k, vs in kwarg_lists.items()]
            for chosen_args in itertools.product(*arg_lists):
                for chosen_kwargs in itertools.product(*kwarg_pairs):
                    check_grads(fun, *args, **kwargs)(*chosen_args, **dict(chosen_kwargs))

        return checker

    return {
        "check_grads": check_grads,
        "combo_check": combo_check,
        "scalar_close": scalar_close,
        "check_equivalent": check_equivalent,
        "check_vjp": check_vjp,
        "check_jvp": check_jvp,
        "TOL": TOLERANCE,
        "RTOL": TOLERANCE,
        "EPS": STEP,
    }


# ---------------------------------------------------------------------------------------------
# The import hook: every ``autograd.*`` module is made here.


class _ForwardingModule(types.ModuleType):
    """A module whose missing attributes come from ``target`` (a backend module, by name)."""

    def __init__(self, name, target_name, overrides=None):
        super().__init__(name)
        self.__path__ = []  # a package, so that submodule imports reach the hook
        self._peer_target_name = target_name
        self._peer_overrides = dict(overrides or {})

    def __getattr__(self, attr):
        if attr.startswith("_peer_"):
            raise AttributeError(attr)
        if attr in self._peer_overrides:
            return self._peer_overrides[attr]
        try:
            target = importlib.import_module(self._peer_target_name)
        except ImportError:
            _missing(self._peer_target_name, attr)
        if attr == "rvs" and ".stats." in self._peer_target_name:
            # autograd's samplers are SciPy's own (not differentiable), like numpy.random.
            import scipy.stats

            return getattr(scipy.stats, self._peer_target_name.rsplit(".", 1)[-1]).rvs
        found = getattr(target, attr, None)
        if found is None:
            try:  # a submodule not imported yet, e.g. trace_ag.scipy.special
                found = importlib.import_module(f"{self._peer_target_name}.{attr}")
            except ImportError:
                found = None
        if isinstance(found, types.ModuleType):  # keep forwarding, e.g. stats.norm.logpdf
            return _ForwardingModule(f"{self.__name__}.{attr}", found.__name__)
        if found is not None:
            return found
        if attr.startswith("__"):
            raise AttributeError(attr)
        _missing(self._peer_target_name, attr)


class _StubModule(types.ModuleType):
    """An autograd-only module: every name is a stub that raises when called."""

    def __init__(self, name, provided=None):
        super().__init__(name)
        self.__path__ = []
        self._peer_provided = dict(provided or {})

    def __getattr__(self, attr):
        if attr.startswith("__") or attr.startswith("_peer_"):
            raise AttributeError(attr)
        if attr in self._peer_provided:
            return self._peer_provided[attr]
        return _autograd_only(f"{self.__name__}.{attr}")


def _primitive(fun):
    stub = _autograd_only(f"autograd.extend.primitive({getattr(fun, '__name__', 'f')})")
    stub.defvjp = _autograd_only("Primitive.defvjp")
    stub.defvjp_is_zero = _autograd_only("Primitive.defvjp_is_zero")
    stub.defjvp = _autograd_only("Primitive.defjvp")
    stub.defgrad = _autograd_only("Primitive.defgrad")
    return stub


def _unary_to_nary(unary):
    return _nary(unary)


class _AutogradFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, backend: _Backend):
        import builtins

        import numpy

        self.backend = backend
        operators = _build_operators(backend)
        self.test_util = _build_test_util(backend, operators)
        container_builtins = {
            "list": builtins.list,
            "tuple": builtins.tuple,
            "dict": builtins.dict,
            "isinstance": builtins.isinstance,
            "type": builtins.type,
        }
        public = {k: v for k, v in operators.items() if k != "core_make_vjp"}
        self.modules = {
            "autograd": lambda name: _StubModule(
                name, {**public, **container_builtins, "primitive": _primitive}
            ),
            "autograd.numpy": lambda name: _ForwardingModule(
                name,
                backend.numpy_name,
                {"random": numpy.random, "__version__": numpy.__version__},
            ),
            "autograd.numpy.random": lambda name: numpy.random,
            "autograd.test_util": lambda name: _StubModule(name, self.test_util),
            "autograd.builtins": lambda name: _StubModule(name, container_builtins),
            "autograd.differential_operators": lambda name: _StubModule(name, public),
            "autograd.wrap_util": lambda name: _StubModule(name, {"unary_to_nary": _unary_to_nary}),
            "autograd.extend": lambda name: _StubModule(name, {"primitive": _primitive}),
            "autograd.core": lambda name: _StubModule(
                name,
                {"make_vjp": operators["core_make_vjp"], "primitive": _primitive},
            ),
            "autograd.tracer": lambda name: _StubModule(
                name,
                {
                    "primitive": _primitive,
                    "isbox": lambda x: isinstance(x, backend.tracer_types),
                },
            ),
            "autograd.misc": lambda name: _StubModule(name, {"flatten": self._flatten}),
        }

    def _flatten(self, value):
        flat, unflatten = self.backend.ravel_pytree()(value)
        return flat, unflatten

    def _make(self, fullname):
        if fullname in self.modules:
            return self.modules[fullname](fullname)
        for prefix, target in (
            ("autograd.numpy.", self.backend.numpy_name + "."),
            ("autograd.scipy.", self.backend.scipy_name + "."),
        ):
            if fullname.startswith(prefix):
                return _ForwardingModule(fullname, target + fullname[len(prefix) :])
        if fullname == "autograd.scipy":
            return _ForwardingModule(fullname, self.backend.scipy_name)
        return _StubModule(fullname)

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "autograd" or fullname.startswith("autograd."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = self._make(spec.name)
        if isinstance(module, types.ModuleType) and module.__name__ != spec.name:
            return module  # an alias such as numpy.random: kept as it is
        module.__spec__ = spec
        module.__loader__ = self
        return module

    def exec_module(self, module):
        # Nothing to run: a forwarding module whose backend module is missing still imports,
        # and each name read from it then fails with the marker, so only the tests that use
        # it fail (not the whole file at collection).
        return None


# ---------------------------------------------------------------------------------------------
# The pytest plugin side (loaded in the subprocesses with ``-p peer_suite``).


def _install():
    backend_name = os.environ.get(BACKEND_VARIABLE)
    if not backend_name or any(isinstance(f, _AutogradFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _AutogradFinder(_Backend(backend_name)))


_install()


def _raise_timeout(signum, frame):
    raise PeerTimeout(f"{TIMEOUT_MARK}: the test ran past its time limit")


try:
    import pytest

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(item):
        limit = int(os.environ.get(TIMEOUT_VARIABLE, "0"))
        if limit and hasattr(signal, "SIGALRM"):
            previous = signal.signal(signal.SIGALRM, _raise_timeout)
            signal.alarm(limit)
            try:
                yield
            finally:
                signal.alarm(0)
                signal.signal(signal.SIGALRM, previous)
        else:
            yield

except ImportError:  # the driver itself does not need pytest
    pass


# ---------------------------------------------------------------------------------------------
# The driver: two pytest runs, their JUnit XML read back, one table.


def _start_backend(
    tests: Path, targets: list, backend: str, workdir: Path, timeout: int, extra: list
):
    xml_path = workdir / f"{backend}.xml"
    ini = workdir / "pytest.ini"
    environment = dict(os.environ)
    environment[BACKEND_VARIABLE] = backend
    environment[TIMEOUT_VARIABLE] = str(timeout)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parent), environment.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    environment.setdefault("JAX_PLATFORMS", "cpu")
    command = [
        sys.executable,
        "-m",
        "pytest",
        *targets,
        "-c",
        str(ini),
        "--rootdir",
        str(tests),
        "-p",
        "peer_suite",
        "-p",
        "no:cacheprovider",
        "-q",
        "-rN",
        "--tb=short",
        "-W",
        "ignore",
        "--continue-on-collection-errors",
        f"--junitxml={xml_path}",
        *extra,
    ]
    log = open(workdir / f"{backend}.log", "w")  # noqa: SIM115 (closed by _wait)
    process = subprocess.Popen(
        command, env=environment, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, text=True
    )
    return process, log, xml_path, time.perf_counter()


def _wait(backend: str, running) -> Path:
    process, log, xml_path, started = running
    process.wait()
    log.close()
    print(
        f"{backend}: pytest exit {process.returncode} in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return xml_path


def _read_results(xml_path: Path) -> dict:
    """test id -> (outcome, message, text), outcome in passed/failed/error/skipped."""
    results = {}
    root = ElementTree.parse(xml_path).getroot()
    for case in root.iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome, message, text = "passed", "", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
                message = child.get("message", "") or ""
                text = child.text or ""
                break
        results[test_id] = (outcome, message, text)
    return results


def _file_of(test_id: str) -> str:
    module = test_id.split("::", 1)[0]
    return module.rsplit(".", 1)[-1] if "." in module else (module or "<collection>")


_MISSING_NAME = re.compile(MISSING_MARK + r" (?:module )?([A-Za-z0-9_.]+)")
_ONLY_NAME = re.compile(AUTOGRAD_ONLY_MARK + r" ([A-Za-z0-9_.()]+)")


def categorize(message: str, text: str) -> tuple[str, str]:
    """(category, detail) for one failing test, from its failure message and traceback."""
    both = f"{message}\n{text}"
    found = _MISSING_NAME.search(both)
    if found:
        return "missing function", found.group(1).rstrip(":.")
    found = _ONLY_NAME.search(both)
    if found:
        return "autograd-only API", found.group(1)
    if TIMEOUT_MARK in both:
        return "timeout", ""
    first = (message.strip().splitlines() or [""])[0][:160]
    lowered = message.lower()  # the message only: test sources mention "complex" everywhere
    if "item assignment" in lowered or "immutable" in lowered or "in-place" in lowered:
        return "unsupported: in-place update", first
    if "complex" in lowered:
        return "complex numbers", first
    if message.startswith("AssertionError") or "assert " in message or "check of" in message:
        return "wrong value or derivative", first
    error_type = re.match(r"([A-Za-z_][A-Za-z0-9_.]*(?:Error|Exception|Warning))", message)
    if error_type and any(
        key in error_type.group(1)
        for key in ("Concretization", "Tracer", "TraceAg", "Unsupported", "NotImplemented")
    ):
        return "unsupported feature", first
    return "other error", first


def summarize(trace_ag_results: dict, jax_results: dict) -> dict:
    files = sorted({_file_of(t) for t in [*trace_ag_results, *jax_results]})
    per_file = {}
    for name in files:
        row = {}
        for label, results in (("trace_ag", trace_ag_results), ("jax", jax_results)):
            counts = collections.Counter(
                o for t, (o, _, _) in results.items() if _file_of(t) == name
            )
            row[label] = {
                "collected": sum(counts.values()),
                "passed": counts["passed"],
                "failed": counts["failed"],
                "error": counts["error"],
                "skipped": counts["skipped"],
            }
        per_file[name] = row
    totals = {}
    for label, results in (("trace_ag", trace_ag_results), ("jax", jax_results)):
        counts = collections.Counter(o for o, _, _ in results.values())
        collected = sum(counts.values())
        totals[label] = {
            "collected": collected,
            "passed": counts["passed"],
            "failed": counts["failed"],
            "error": counts["error"],
            "skipped": counts["skipped"],
            "pass_rate": counts["passed"] / collected if collected else 0.0,
        }
    categories = {}
    for label, results in (("trace_ag", trace_ag_results), ("jax", jax_results)):
        by_category = collections.Counter()
        missing = collections.Counter()
        for outcome, message, text in results.values():
            if outcome in ("failed", "error"):
                category, detail = categorize(message, text)
                by_category[category] += 1
                if category == "missing function":
                    missing[detail] += 1
        categories[label] = {"categories": dict(by_category), "missing": dict(missing)}
    only_trace_ag_fails = {}
    for test_id, (outcome, message, text) in sorted(trace_ag_results.items()):
        if outcome in ("failed", "error") and jax_results.get(test_id, ("",))[0] == "passed":
            only_trace_ag_fails[test_id] = list(categorize(message, text))
    only_jax_fails = sorted(
        t
        for t, (o, _, _) in jax_results.items()
        if o in ("failed", "error") and trace_ag_results.get(t, ("",))[0] == "passed"
    )
    return {
        "per_file": per_file,
        "totals": totals,
        "failures": categories,
        "fails_only_in_trace_ag": only_trace_ag_fails,
        "fails_only_in_jax": only_jax_fails,
    }


def print_table(summary: dict) -> None:
    header = (
        f"{'file':28s} {'coll':>5s} | {'trace_ag pass/fail/err':>23s} | {'jax pass/fail/err':>18s}"
    )
    print(header)
    print("-" * len(header))
    for name, row in summary["per_file"].items():
        t, j = row["trace_ag"], row["jax"]
        print(
            f"{name:28s} {max(t['collected'], j['collected']):5d} | "
            f"{t['passed']:9d}/{t['failed']:5d}/{t['error']:5d}   | "
            f"{j['passed']:6d}/{j['failed']:5d}/{j['error']:5d}"
        )
    print()
    for label, total in summary["totals"].items():
        print(
            f"{label:9s}: {total['passed']}/{total['collected']} passed "
            f"({100 * total['pass_rate']:.1f}%), {total['failed']} failed, "
            f"{total['error']} errors, {total['skipped']} skipped"
        )
    for label, info in summary["failures"].items():
        print(f"\n{label} failures by category:")
        for category, count in sorted(info["categories"].items(), key=lambda kv: -kv[1]):
            print(f"  {count:4d}  {category}")
        if info["missing"]:
            print(f"{label}: missing names (tests affected):")
            for name, count in sorted(info["missing"].items(), key=lambda kv: -kv[1]):
                print(f"  {count:4d}  {name}")
    print(f"\nfail in trace_ag, pass in JAX: {len(summary['fails_only_in_trace_ag'])}")
    for test_id, (category, detail) in summary["fails_only_in_trace_ag"].items():
        print(f"  {test_id}  [{category}] {detail}")
    print(f"\nfail in JAX, pass in trace_ag: {len(summary['fails_only_in_jax'])}")
    for test_id in summary["fails_only_in_jax"]:
        print(f"  {test_id}")


def _merge(earlier: dict, later: dict) -> dict:
    """Later results win test by test; a file's collection error goes once a later run
    collected tests of that file."""
    later_files = {_file_of(t) for t in later if not t.startswith("::")}
    merged = {t: v for t, v in earlier.items() if not (t.startswith("::") and t[2:] in later_files)}
    merged.update(later)
    return merged


def _report(summary: dict, argv, json_path) -> None:
    summary["command"] = " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])])
    summary["date"] = datetime.date.today().isoformat()
    print_table(summary)
    if json_path:
        json_path.write_text(json.dumps(summary, indent=1))


def _summarize_folders(args, folders: list, argv) -> int:
    results = {}
    for backend in args.backends.split(","):
        results[backend] = {}
        for folder in folders:
            xml_path = folder / f"{backend}.xml"
            if xml_path.exists():
                results[backend] = _merge(results[backend], _read_results(xml_path))
    _report(summarize(results.get("trace_ag", {}), results.get("jax", {})), argv, args.json)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tests", type=Path, help="autograd's tests folder")
    parser.add_argument("--backends", default="trace_ag,jax", help="comma-separated")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per test (0: none)")
    parser.add_argument("--json", type=Path, help="write the summary here too")
    parser.add_argument("--keep", type=Path, help="keep the XML and logs in this folder")
    parser.add_argument(
        "--only", default="", help="comma-separated test files inside the folder (default: all)"
    )
    parser.add_argument(
        "--summarize",
        default="",
        help="comma-separated --keep folders of earlier runs: merge their XML (later folders win,"
        " a collection error is dropped once a later run collected that file); run nothing",
    )
    args, pytest_args = parser.parse_known_args(argv)
    if args.summarize:
        return _summarize_folders(args, [Path(f) for f in args.summarize.split(",")], argv)
    pytest_args = [a for a in pytest_args if a != "--"]
    tests = args.tests.resolve()
    if not tests.is_dir():
        parser.error(f"{tests} is not a folder")
    targets = [str(tests / name) for name in args.only.split(",") if name] or [str(tests)]
    workdir = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="peer_suite_"))
    workdir.mkdir(parents=True, exist_ok=True)
    backends = args.backends.split(",")
    # One pytest per backend, side by side: the JAX run (op-by-op dispatch) is the slow one.
    ini = workdir / "pytest.ini"
    ini.write_text("[pytest]\n")
    running = {
        b: _start_backend(tests, targets, b, workdir, args.timeout, pytest_args) for b in backends
    }
    results = {}
    for backend in backends:
        xml_path = _wait(backend, running[backend])
        results[backend] = _read_results(xml_path) if xml_path.exists() else {}
    _report(summarize(results.get("trace_ag", {}), results.get("jax", {})), argv, args.json)
    print(f"\nlogs and JUnit XML: {workdir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
