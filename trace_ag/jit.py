"""``jit``: trace once per signature, optimize the graph, then run generated NumPy code or the
graph lowered to JAX/XLA.

A signature is the pytree structure, shapes and dtypes of the array arguments plus the values
of the static ones. Calls with a cached signature skip tracing; under another transform (the
arguments are tracers) the cached graph is replayed into that transform instead.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trace_ag import config, errors, passes, tracing
from trace_ag.codegen import CompiledGraph
from trace_ag.core import (
    EVAL,
    Array,
    Graph,
    Tracer,
    as_array,
    aval_of,
    check_floats,
    current_interpreter,
)
from trace_ag.errors import api_boundary
from trace_ag.interpret import eval_graph
from trace_ag.jit_call import jit_call
from trace_ag.signatures import Signature, describe_signature, explain_miss
from trace_ag.tree_util import PyTreeDef, tree_flatten, tree_leaves, tree_unflatten

logger = logging.getLogger("trace_ag.jit")
BACKENDS = ("numpy", "jax")


@dataclass
class Compiled:
    """One cache entry: the traced and optimized graphs, the output structure, the runner."""

    traced: Graph
    graph: Graph
    out_tree: PyTreeDef
    run: Callable[..., Sequence] | None
    source: str | None
    donated: list[bool]


def _as_tuple(nums: int | Sequence[int] | None) -> tuple:
    if nums is None:
        return ()
    return (nums,) if isinstance(nums, (int, str)) else tuple(nums)


class Jitted:
    """A jit-compiled function; see ``jit``."""

    def __init__(
        self,
        fn: Callable,
        static_argnums,
        static_argnames,
        donate_argnums,
        backend,
        in_shardings,
        out_shardings,
    ):
        if backend not in BACKENDS:
            raise ValueError(f"jit: backend must be one of {BACKENDS}, got {backend!r}")
        if backend != "jax" and (in_shardings is not None or out_shardings is not None):
            raise ValueError(
                "jit: in_shardings/out_shardings need backend='jax' (the numpy "
                "backend runs on one CPU)"
            )
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.backend = backend
        try:
            self._arg_names = list(inspect.signature(fn).parameters)
            self._n_positional = _fixed_positional_count(fn)
        except (TypeError, ValueError):
            self._arg_names, self._n_positional = [], None
        self.static_argnums = self._positions(static_argnums, "static_argnums")
        self.static_argnames = _as_tuple(static_argnames)
        self.donate_argnums = self._positions(donate_argnums, "donate_argnums")
        if set(self.static_argnums) & set(self.donate_argnums):
            raise ValueError(
                f"jit({self.name}): an argument cannot be both static and donated "
                f"(static_argnums={self.static_argnums}, donate_argnums={self.donate_argnums})"
            )
        self.shardings = (in_shardings, out_shardings)
        self.trace_count = 0
        self._cache: OrderedDict[Signature, Compiled] = OrderedDict()
        # hot path: (tree, leaf types/shapes/dtypes) -> (entry, no argument needs preparing)
        self._fast: dict[tuple, tuple[Compiled, bool]] = {}
        self._fast_ok = backend == "numpy" and not self.static_argnums
        self._jax_jitted: Callable | None = None
        self._cache_size = config.read("jit_cache_size")

    def _positions(self, nums: Any, what: str) -> tuple[int, ...]:
        """Argument positions as non-negative ints; negative ones count from the end of the
        function's positional parameters, as in JAX."""
        positions = _as_tuple(nums)
        for i in positions:
            if not isinstance(i, (int, np.integer)) or isinstance(i, bool):
                raise TypeError(f"jit({self.name}): {what} must be ints, got {nums!r}")
        if any(i < 0 for i in positions):
            n = self._n_positional
            if n is None:
                raise ValueError(
                    f"jit({self.name}): negative {what} need a function with a fixed number of "
                    f"positional parameters (no *args), got {nums!r}"
                )
            if any(i < -n for i in positions):
                raise ValueError(
                    f"jit({self.name}): {what}={nums!r} is out of range for {n} parameters"
                )
            positions = tuple(i % n for i in positions)
        return tuple(int(i) for i in positions)

    @property
    def name(self) -> str:
        return getattr(self.fn, "__name__", "fn")

    # ---- signature
    def _split(self, args: tuple, kwargs: dict):
        """(static positional values, static keyword items, traced args, traced kwargs)."""
        for i in self.static_argnums:
            if i >= len(args):
                raise ValueError(
                    f"jit({self.name}): static_argnums={i} but only {len(args)} "
                    "positional arguments were given"
                )
        static_pos = tuple(args[i] for i in self.static_argnums)
        static_kw = tuple(sorted((k, v) for k, v in kwargs.items() if k in self.static_argnames))
        for value in (*static_pos, *(v for _, v in static_kw)):
            try:
                hash(value)
            except TypeError:
                raise TypeError(
                    errors.at_user_line(
                        f"jit({self.name}): a static argument must be hashable, got "
                        f"{type(value).__name__}; pass a tuple instead of a list, or make it a "
                        "traced argument"
                    )
                ) from None
        dyn_args = tuple(a for i, a in enumerate(args) if i not in self.static_argnums)
        dyn_kwargs = {k: v for k, v in kwargs.items() if k not in self.static_argnames}
        return (static_pos, static_kw), dyn_args, dyn_kwargs

    def _call_python(self, static: tuple, dyn_args: tuple, dyn_kwargs: dict) -> Any:
        static_pos, static_kw = static
        it_static, it_dyn = iter(static_pos), iter(dyn_args)
        n = len(dyn_args) + len(static_pos)
        args = [next(it_static) if i in self.static_argnums else next(it_dyn) for i in range(n)]
        return self.fn(*args, **dyn_kwargs, **dict(static_kw))

    # ---- tracing and compiling
    def _trace(self, sig: Signature) -> tuple[Graph, PyTreeDef]:
        self.trace_count += 1
        if config.read("log_compiles"):
            logger.warning("jit(%s): tracing for %s", self.name, describe_signature(sig))

        def flat_fn(*leaves):
            dyn_args, dyn_kwargs = tree_unflatten(sig.tree, list(leaves))
            return self._call_python(sig.static, dyn_args, dyn_kwargs)

        _, graph, out_tree = tracing.trace_to_graph(
            flat_fn, list(sig.avals), concrete=False, fn_name="jit"
        )
        return graph, out_tree

    def _compile(self, sig: Signature, dyn_args: tuple) -> Compiled:
        traced, out_tree = self._trace(sig)
        graph = passes.optimize(traced)
        donated = self._donated_leaves(dyn_args, len(sig.avals))
        if any(isinstance(c, Tracer) for c in graph.constvals):
            return Compiled(traced, graph, out_tree, None, None, donated)  # closes over a tracer
        if self.backend == "numpy":
            compiled = CompiledGraph(graph, donated)
            return Compiled(traced, graph, out_tree, compiled.fn, compiled.source, donated)
        from trace_ag.backends.jax import lower

        # evaluated on JAX tracers inside ``jax.jit`` (see ``_jax_entry``), so XLA compiles it
        return Compiled(traced, graph, out_tree, lower(graph), None, donated)

    def _donated_leaves(self, dyn_args: tuple, n_leaves: int) -> list[bool]:
        positions = [
            i
            for i in range(len(dyn_args) + len(self.static_argnums))
            if i not in self.static_argnums
        ]
        flags = []
        for pos, arg in zip(positions, dyn_args, strict=True):
            flags += [pos in self.donate_argnums] * len(tree_leaves(arg))
        return flags + [False] * (n_leaves - len(flags))  # keyword arguments are not donated

    def _lookup(self, args: tuple, kwargs: dict) -> tuple[Compiled, list]:
        static, dyn_args, dyn_kwargs = self._split(args, kwargs)
        leaves, tree = tree_flatten((dyn_args, dyn_kwargs))
        leaves = [tracing.as_input_value(x, f"jit({self.name})") for x in leaves]
        sig = Signature(tree, tuple(aval_of(x) for x in leaves), static)
        entry = self._cache.get(sig)
        if entry is not None:
            self._cache.move_to_end(sig)
            return entry, leaves
        if self._cache and config.read("explain_cache_misses"):
            previous = next(reversed(self._cache))
            logger.warning(
                "jit(%s): retracing because %s",
                self.name,
                explain_miss(previous, sig, self._dyn_arg_names()),
            )
        entry = self._compile(sig, dyn_args)
        if entry.run is not None:
            self._cache[sig] = entry
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
                self._fast.clear()  # rebuilt from the cache by the next calls
        return entry, leaves

    def _dyn_arg_names(self) -> list[str]:
        return [n for i, n in enumerate(self._arg_names) if i not in self.static_argnums]

    def _fast_key(self, leaves: list, tree: PyTreeDef) -> tuple | None:
        """The hot path's cache key: the tree structure and each leaf's (type, shape, dtype),
        no avals built; None when a leaf is not a NumPy array or scalar (then the general path
        runs: Python numbers, tracers, other backends' arrays). ``Array`` leaves (what the last
        call returned) are replaced by plain views: each NumPy call on the subclass costs ~1 us
        more, and a step's parameters come back every call."""
        for i, x in enumerate(leaves):
            kind = type(x)
            if kind is Array:
                leaves[i] = x.view(np.ndarray)
            elif kind is not np.ndarray and not isinstance(x, np.generic):
                return None
        return (tree, tuple([(type(x), x.shape, x.dtype) for x in leaves]))

    def _jax_entry(self) -> Callable:
        """``jax.jit`` of a function that looks up (or traces) this function's graph for the
        JAX tracers it receives and evaluates the graph's JAX lowering: JAX's own dispatch
        (pytrees, static arguments, donation, shardings) then serves every later call."""
        if self._jax_jitted is None:
            from trace_ag.backends.jax import import_jax

            def body(*args: Any, **kwargs: Any) -> Any:
                entry, leaves = self._lookup(args, kwargs)
                return tree_unflatten(entry.out_tree, list(entry.run(*leaves)))

            in_shardings, out_shardings = self.shardings
            options: dict[str, Any] = {}
            if in_shardings is not None:
                options["in_shardings"] = in_shardings
            if out_shardings is not None:
                options["out_shardings"] = out_shardings
            self._jax_jitted = import_jax().jit(
                body,
                static_argnums=self.static_argnums,
                static_argnames=self.static_argnames,
                donate_argnums=self.donate_argnums,
                **options,
            )
        return self._jax_jitted

    @api_boundary
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if config.DISABLE_JIT[0]:  # config "disable_jit" / ag.disable_jit(): run as written
            return self.fn(*args, **kwargs)
        if self.backend == "jax" and current_interpreter() is EVAL:
            from trace_ag.backends.jax import import_jax, x64_scope

            try:  # no enclosing trace_ag transform: JAX dispatches
                with x64_scope(import_jax()):
                    return self._jax_entry()(*args, **kwargs)
            except ValueError as e:
                if "shardings" in str(e).split("\n", 1)[0]:
                    raise ValueError(f"jit({self.name}): {str(e).splitlines()[0]}") from None
                raise
        if not kwargs and self._fast_ok:
            leaves, tree = tree_flatten(args)
            key = self._fast_key(leaves, tree)
            fast = self._fast.get(key) if key is not None else None
            if fast is not None:  # one flatten, one lookup, the generated function
                entry, plain = fast
                outs = entry.run(*(leaves if plain else self._prepared(leaves, entry)))
                if config.DEBUG_FLOATS[0]:
                    self._check_floats(entry, leaves, outs)
                return tree_unflatten(entry.out_tree, [as_array(o) for o in outs])
        entry, leaves = self._lookup(args, kwargs)
        if not kwargs and self._fast_ok and entry.run is not None and key is not None:
            self._fast[key] = (entry, not any(entry.donated))
        if entry.run is None:
            outs = eval_graph(entry.graph, *leaves)  # closes over a tracer: inlined
        elif any(isinstance(x, Tracer) for x in leaves):
            # under another transform: one equation whose rules are compiled in turn
            outs = jit_call.bind(*leaves, graph=entry.graph, name=self.name)
        elif self.backend == "numpy":
            outs = entry.run(*self._prepared(leaves, entry))
            if config.DEBUG_FLOATS[0]:
                self._check_floats(entry, leaves, outs)
        else:
            outs = entry.run(*leaves)
        return tree_unflatten(entry.out_tree, [as_array(o) for o in outs])

    def _check_floats(self, entry: Compiled, leaves: list, outs: Sequence) -> None:
        """``debug_nans``/``debug_infs``: compiled code is checked at its outputs only; when
        one is bad the graph runs again op by op, which names the operation (as JAX does)."""
        try:
            check_floats(f"jit({self.name})", outs)
        except FloatingPointError:
            eval_graph(entry.graph, *leaves)  # raises at the first bad operation
            raise

    def _prepared(self, leaves: list, entry: Compiled) -> list:
        return _numpy_leaves(leaves, entry.donated, self.name)

    def lower(self, *args: Any, **kwargs: Any) -> Lowered:
        """The traced and optimized graphs (and generated source) for these arguments."""
        entry, _ = self._lookup(args, kwargs)
        jax_lowered = None
        if self.backend == "jax":
            from trace_ag.backends.jax import import_jax, x64_scope

            with x64_scope(import_jax()):
                jax_lowered = self._jax_entry().lower(*args, **kwargs)
        return Lowered(entry, jax_lowered)

    def clear_cache(self) -> None:
        self._cache.clear()
        self._fast.clear()
        self._jax_jitted = None

    def cache_size(self) -> int:
        return len(self._cache)


def _fixed_positional_count(fn: Callable) -> int | None:
    """How many positional parameters ``fn`` takes, or None if it takes ``*args``."""
    kinds = [p.kind for p in inspect.signature(fn).parameters.values()]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(k in positional for k in kinds)


def _numpy_leaves(leaves: list, donated: list[bool], name: str) -> list:
    """Arguments for generated NumPy code: other backends' arrays become NumPy arrays, and a
    donated argument must be a writable array (else it is copied, as donation is a hint)."""
    out = []
    for x, d in zip(leaves, donated, strict=True):
        if not isinstance(x, (np.ndarray, np.generic)):
            x = np.asarray(x)
        if d and not (isinstance(x, np.ndarray) and x.flags.writeable):
            x = np.array(x)
        out.append(x)
    if True in donated:
        _check_donated_alone(out, donated, name)
    return out


def _check_donated_alone(leaves: list, donated: list[bool], name: str) -> None:
    """A donated buffer is overwritten while the step runs: refuse one that is also passed
    elsewhere (``f(a, a)``, two leaves of one pytree, a view of another argument)."""
    owners = []  # arrays can only overlap when one buffer owns both
    for y in leaves:
        base = getattr(y, "base", None)
        while isinstance(base, np.ndarray) and base.base is not None:
            base = base.base
        owners.append(id(y) if base is None else id(base))
    if len(set(owners)) == len(owners):
        return  # the usual case: every leaf its own buffer
    by_owner: dict[int, list[int]] = {}
    for j, (y, owner) in enumerate(zip(leaves, owners, strict=True)):
        if isinstance(y, np.ndarray):
            by_owner.setdefault(owner, []).append(j)
    for group in by_owner.values():
        for i, j in itertools.permutations(group, 2):
            x, y = leaves[i], leaves[j]
            if donated[i] and np.may_share_memory(x, y):
                raise ValueError(
                    errors.at_user_line(
                        f"jit({name}): donated argument leaf {i} ({x.dtype}{list(x.shape)}) "
                        f"shares memory with argument leaf {j} ({y.dtype}{list(y.shape)}); a "
                        "donated buffer is overwritten by the step, so it must be passed only "
                        "once. Pass a copy (np.array(x)) or do not donate it."
                    )
                )


class Lowered:
    """What ``jitted.lower(*args)`` returns: the graphs and code for one signature."""

    def __init__(self, entry: Compiled, jax_lowered: Any = None):
        self.traced_graph = entry.traced
        self.graph = entry.graph
        self.source = entry.source
        self.jax_lowered = jax_lowered  # jax.stages.Lowered (backend="jax")

    def as_text(self, kind: str = "graph") -> str:
        """``"graph"``: the optimized graph that runs; ``"traced"``: before the passes;
        ``"source"``: the generated NumPy code (numpy backend); ``"hlo"``: the program XLA
        compiled, after its own optimizations (jax backend)."""
        texts = {
            "graph": self.graph,
            "traced": self.traced_graph,
            "source": self.source,
            "hlo": self.jax_lowered,
        }
        if kind not in texts or texts[kind] is None:
            raise ValueError(f"as_text: kind must be one of {sorted(k for k in texts if texts[k])}")
        if kind == "hlo":
            return self.jax_lowered.compile().as_text()
        return str(texts[kind])


def jit(
    fn: Callable | None = None,
    *,
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
    donate_argnums: int | Sequence[int] = (),
    backend: str = "numpy",
    in_shardings: Any = None,
    out_shardings: Any = None,
) -> Jitted:
    """Compile ``fn``: trace it once per signature (shapes/dtypes/structure of array arguments,
    values of static ones), optimize the graph, and run generated NumPy code
    (``backend="numpy"``) or the graph lowered to JAX and compiled by XLA (``backend="jax"``).

    ``donate_argnums`` lets the step reuse those arguments' buffers for its outputs (a
    parameter update then allocates no new parameter arrays). On the NumPy backend a donated
    array holds garbage after the call: use only the returned values. A donated array must not
    also be passed in another position (that is refused). Arrays the function closes over are
    captured when it is traced; later changes to them are not seen (as in JAX).
    ``jitted.trace_count`` counts traces; ``jitted.lower(*args).as_text()`` shows the graph
    that runs.

    Examples:
        >>> def train_step(params, x):
        ...     loss, g = ag.value_and_grad(lambda w: tnp.sum((x @ w) ** 2))(params)
        ...     return params - 0.1 * g, loss
        >>> step = ag.jit(train_step, donate_argnums=0)
        >>> params, batch = np.ones(2), np.eye(2)
        >>> params, loss = step(params, batch)
        >>> print(params, loss, step.trace_count)
        [0.8 0.8] 2.0 1
    """
    if fn is None:
        return functools.partial(
            jit,
            static_argnums=static_argnums,
            static_argnames=static_argnames,
            donate_argnums=donate_argnums,
            backend=backend,
            in_shardings=in_shardings,
            out_shardings=out_shardings,
        )
    return Jitted(
        fn, static_argnums, static_argnames, donate_argnums, backend, in_shardings, out_shardings
    )
