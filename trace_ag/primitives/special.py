"""Special-function primitives for ``trace_ag.scipy.special`` (gammaln, digamma, ...)."""
