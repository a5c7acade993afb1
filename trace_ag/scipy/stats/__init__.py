"""``trace_ag.scipy.stats``: distributions, traceable (like ``jax.scipy.stats``).

One submodule per distribution, with JAX's function names and signatures
(``from trace_ag.scipy.stats import norm; norm.logpdf(x, loc, scale)``). Values are SciPy's,
derivatives in ``x`` and in every parameter are JAX's: each function is a composite of
``trace_ag.numpy`` and ``trace_ag.scipy.special``, written as JAX writes it, so conventions out
of the support match (``logpdf`` is ``-inf`` outside it; invalid parameters give nan where JAX's
formulas do).
"""

from trace_ag.scipy.stats import (  # noqa: F401
    bernoulli,
    beta,
    binom,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    geom,
    laplace,
    logistic,
    multivariate_normal,
    nbinom,
    norm,
    poisson,
    t,
    truncnorm,
    uniform,
    vonmises,
)
