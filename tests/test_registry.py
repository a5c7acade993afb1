"""The primitive registry, checked with NumPy alone (no JAX needed): every primitive of the
library declares each rule a transform needs. The spec rows that exercise them against JAX
are in test_primitives_vs_jax.py (rows in tests/spec_rows/)."""

import pytest

import trace_ag  # noqa: F401  (registers the primitives)
from trace_ag.core import PRIMITIVES, ForPrimitive


def library_primitives() -> set[str]:
    """trace_ag's own primitives (tests and the docs declare others of their own)."""
    return {n for n, p in PRIMITIVES.items() if p.declared_in.startswith("trace_ag")}


@pytest.mark.parametrize("name", sorted(library_primitives()))
def test_primitive_declares_every_rule(name):
    prim = PRIMITIVES[name]
    assert prim.name == name
    assert callable(prim.impl), f"{name}: no impl"
    assert callable(prim.abstract_eval), f"{name}: no abstract_eval"
    assert callable(prim.jax), f"{name}: no JAX lowering"
    if prim.differentiable:
        rules = [prim.vjp] if callable(prim.vjp) else list(prim.vjp or [])
        assert rules and any(callable(r) for r in rules), f"{name}: no vjp rule"
    else:
        assert prim.vjp is None, f"{name}: a vjp rule on a primitive marked non-differentiable"
    for rule in (prim.jvp, prim.batch):  # builders are bound to the primitive when declared
        assert rule is None or (callable(rule) and not isinstance(rule, ForPrimitive))


def test_declarations_record_where_they_were_made():
    from trace_ag.core import Primitive
    from trace_ag.primitives._rules import same_aval

    prim = Primitive("test_registry_local", impl=abs, abstract_eval=same_aval, differentiable=False)
    assert not prim.declared_in.startswith("trace_ag")  # the running program's top level
    assert "test_registry_local" not in library_primitives()
    assert PRIMITIVES["add"].declared_in == "trace_ag.primitives.elementwise"
