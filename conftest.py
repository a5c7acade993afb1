"""The names docstring examples use, for ``pytest --doctest-modules trace_ag nn``."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    import nn
    import trace_ag as ag
    import trace_ag.numpy as tnp

    doctest_namespace.update(np=np, ag=ag, tnp=tnp, lax=ag.lax, nn=nn)
