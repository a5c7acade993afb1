"""The rows of the primitive spec table, one module per family of primitives.

A module here defines ``ROWS``, a list of ``oracle.Spec``; ``SPECS`` gathers every module's rows
(a new module is picked up without being listed anywhere).
"""

import importlib
import pkgutil

SPECS = [
    row
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__))
    for row in importlib.import_module(f"{__name__}.{module}").ROWS
]
