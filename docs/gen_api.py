"""Write docs/api/*.md: one page per public module, each entry headed by the name a user types
(``ag.grad``, ``tnp.exp``, ``nn.layers.Linear``). Run ``python docs/gen_api.py`` after adding
a public name; tests/test_docs.py fails while a page is out of date."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API = ROOT / "docs" / "api"

# (page, title, module, the prefix users type, intro, names or None for every public callable)
PAGES = [
    (
        "transforms",
        "Transforms (ag)",
        "trace_ag",
        "ag",
        "`import trace_ag as ag`: the transforms, tracing to a graph, and gradient checks.",
        [
            "grad",
            "value_and_grad",
            "vjp",
            "jvp",
            "linearize",
            "jacfwd",
            "jacrev",
            "hessian",
            "vmap",
            "jit",
            "make_ir",
            "custom_vjp",
            "custom_jvp",
            "checkpoint",
            "remat",
            "stop_gradient",
            "check_grads",
            "from_jax",
            "to_jax",
            "Graph",
        ],
    ),
    (
        "numpy",
        "NumPy (tnp)",
        "trace_ag.numpy",
        "tnp",
        "`import trace_ag.numpy as tnp`: NumPy's names and semantics (NumPy 2 promotion, Python "
        "scalars weak) over trace_ag's primitives, like `jax.numpy`.",
        None,
    ),
    ("linalg", "tnp.linalg", "trace_ag.numpy.linalg", "tnp.linalg", "Linear algebra.", None),
    (
        "fft",
        "tnp.fft",
        "trace_ag.numpy.fft",
        "tnp.fft",
        "Discrete Fourier transforms, like `jax.numpy.fft`: one `fft` primitive (fft, ifft, "
        "rfft, irfft over axes) and NumPy's functions around it.",
        None,
    ),
    (
        "scipy_special",
        "ag.scipy.special",
        "trace_ag.scipy.special",
        "ag.scipy.special",
        "SciPy's special functions, traceable, like `jax.scipy.special`.",
        None,
    ),
    (
        "scipy_stats",
        "ag.scipy.stats",
        "trace_ag.scipy.stats",
        "ag.scipy.stats",
        "Distributions as in `jax.scipy.stats`: one module per distribution "
        "(`from trace_ag.scipy.stats import norm; norm.logpdf(x, loc, scale)`).",
        "submodules",
    ),
    (
        "scipy_linalg",
        "ag.scipy.linalg",
        "trace_ag.scipy.linalg",
        "ag.scipy.linalg",
        "SciPy's linear algebra, traceable, like `jax.scipy.linalg`.",
        None,
    ),
    (
        "scipy_signal",
        "ag.scipy.signal",
        "trace_ag.scipy.signal",
        "ag.scipy.signal",
        "Convolution and correlation, like `jax.scipy.signal`.",
        None,
    ),
    (
        "jax_nn",
        "ag.nn",
        "trace_ag.nn",
        "ag.nn",
        "`jax.nn`'s functions (activations, softmax, one_hot, initializers); not the `nn` "
        "networks package.",
        None,
    ),
    (
        "lax",
        "Control flow and convolution (ag.lax)",
        "trace_ag.lax",
        "ag.lax",
        "Control flow that works under `jit`, `stop_gradient`, convolution and pooling, named "
        "as in `jax.lax`.",
        None,
    ),
    (
        "random",
        "Random numbers (ag.random)",
        "trace_ag.random",
        "ag.random",
        "JAX's threefry2x32 PRNG, bit for bit: explicit keys, `split`, `fold_in` and samplers.",
        None,
    ),
    (
        "tree_util",
        "Pytrees (ag.tree_util)",
        "trace_ag.tree_util",
        "ag.tree_util",
        "Pytrees: nested dicts, lists, tuples, NamedTuples and registered classes.",
        None,
    ),
    (
        "viz",
        "Graph pictures (ag.viz)",
        "trace_ag.viz",
        "ag.viz",
        "Computational-graph pictures as Graphviz DOT text (rendered by Graphviz's `dot`).",
        None,
    ),
    ("config", "Options (ag.config)", "trace_ag.config", "ag.config", "Global options.", None),
    ("errors", "Errors", "trace_ag.errors", "ag", "The errors trace_ag raises.", "exceptions"),
    (
        "lecture",
        "The lecture's API",
        "trace_ag.lecture",
        "lecture",
        "`import trace_ag.lecture as lecture`: the lecture's object-oriented `Scalar`/`Tensor` "
        "API, recorded on the same primitives and vjp rules.",
        None,
    ),
    ("nn_layers", "nn.layers", "nn.layers", "nn.layers", "Layers with pytree parameters.", None),
    ("nn_init", "nn.init", "nn.init", "nn.init", "Parameter initializers.", None),
    ("nn_losses", "nn.losses", "nn.losses", "nn.losses", "Loss functions.", None),
    (
        "nn_optim",
        "nn.optim",
        "nn.optim",
        "nn.optim",
        "Optimizers as pure `(init, update)` pairs, like optax.",
        None,
    ),
    ("nn_train", "nn.train", "nn.train", "nn.train", "The training loop.", None),
    ("nn_models", "nn.models", "nn.models", "nn.models", "Ready-made models.", None),
    ("nn_data", "nn.data", "nn.data", "nn.data", "Offline datasets and loaders.", None),
    (
        "nn_checkpoint",
        "nn.checkpoint",
        "nn.checkpoint",
        "nn.checkpoint",
        "Saving and loading parameters.",
        None,
    ),
    (
        "nn_recipes",
        "nn.recipes",
        "nn.recipes",
        "nn.recipes",
        "The settings `trace-ag train` and `examples/lenet5.py` share.",
        None,
    ),
    ("nn_errors", "nn.errors", "nn.errors", "nn.errors", "The errors `nn` raises.", "exceptions"),
]


def public_names(module) -> list[str]:
    """Callables (functions, classes) a module exports: `__all__`, else those it defines, else
    (a module of re-exports like `ag.lax`) those it imports from its own package."""
    names = getattr(module, "__all__", None)
    if names is None:
        package = module.__name__.split(".")[0]
        exported = {
            n: obj
            for n, obj in vars(module).items()
            if not n.startswith("_")
            and (inspect.isfunction(obj) or inspect.isclass(obj))
            and (getattr(obj, "__module__", "") or "").startswith(package)
        }
        own = [n for n, obj in exported.items() if obj.__module__.startswith(module.__name__)]
        names = own or list(exported)
    return sorted(n for n in names if callable(getattr(module, n)))


def exceptions(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    return [
        n
        for n in public_names(module)
        if inspect.isclass(getattr(module, n)) and issubclass(getattr(module, n), Exception)
    ]


def where_defined(obj, fallback: str) -> str:
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{module}.{name}" if module and name and "<" not in name else fallback


def statically_defined(target: str) -> bool:
    """Whether ``module.name`` is written in its module's source (mkdocstrings reads source;
    functions made in a loop, like lax's elementwise ops, are not)."""
    module_name, _, name = target.rpartition(".")
    try:
        source = inspect.getsource(importlib.import_module(module_name))
    except (ImportError, OSError, TypeError):
        return True
    return (
        re.search(rf"^(def|class) {re.escape(name)}\b|^{re.escape(name)}\s*[:=]", source, re.M)
        is not None
    )


def written_out(label: str, obj) -> list[str]:
    """A heading, signature and docstring for a callable mkdocstrings cannot find."""
    try:
        params = inspect.signature(obj).parameters.values()
        plain = [str(p.replace(annotation=inspect.Parameter.empty)) for p in params]
        signature = f"({', '.join(plain)})"
    except (TypeError, ValueError):
        signature = "(...)"
    text, _, examples = inspect.cleandoc(obj.__doc__ or "").partition("Examples:")
    lines = [f"## `{label}{signature}`", "", text.strip(), ""]
    if examples.strip():
        lines += ["**Examples:**", "", "```pycon", inspect.cleandoc(examples), "```", ""]
    return lines


def page(title: str, module_name: str, prefix: str, intro: str, names: list[str] | None) -> str:
    module = importlib.import_module(module_name)
    if names == "exceptions":
        names = exceptions(module_name)
    elif names == "submodules":
        names = [m.name for m in pkgutil.iter_modules(module.__path__) if m.name[0] != "_"]
    names = names or public_names(module)
    lines = [f"# {title}", "", intro, ""]
    for name in names:
        obj = getattr(module, name)
        target = where_defined(obj, f"{module_name}.{name}")
        label = f"{prefix}.{name}"
        if not inspect.ismodule(obj) and not statically_defined(target):
            lines += written_out(label, obj)
            continue
        lines += [
            f"::: {target}",
            "    options:",
            f'      heading: "{label}"',
            f'      toc_label: "{label}"',
            "",
        ]
    return "\n".join(lines)


def index() -> str:
    rows = [f"| [{title}]({name}.md) | `{module}` |" for name, title, module, *_ in PAGES]
    return "\n".join(
        [
            "# API reference",
            "",
            "One page per public module.",
            "",
            "| page | module |",
            "|---|---|",
            *rows,
            "",
        ]
    )


def pages() -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    out = {"index.md": index()}
    for name, title, module, prefix, intro, names in PAGES:
        out[f"{name}.md"] = page(title, module, prefix, intro, names)
    return out


def main() -> None:
    API.mkdir(exist_ok=True)
    for name, text in pages().items():
        (API / name).write_text(text)
    print(f"wrote {len(PAGES) + 1} pages to {API.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
