"""Errors raised by ``nn``, pointing at the user's own line (outside both trace_ag and nn).

``nn`` registers its folder with ``trace_ag.errors``, whose ``at_user_line`` then skips nn's
frames as well as trace_ag's: a bad input shape given to ``model.apply`` names the line that
called ``apply``, not a line in ``nn/layers.py``.
"""

from __future__ import annotations

from trace_ag import errors
from trace_ag.core import shape_error  # noqa: F401  (re-exported for nn's modules)
from trace_ag.errors import at_user_line  # noqa: F401

errors.register_library_dir(__file__)


class DataError(errors.TraceAgError, ValueError):
    """A data file is missing, truncated or not in the format its loader expects."""


class CheckpointError(errors.TraceAgError, ValueError):
    """A checkpoint does not fit the parameters it is loaded into."""
