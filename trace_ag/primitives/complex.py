"""Complex parts: ``real``, ``imag``, ``conj``, with JAX's derivative convention.

JAX's vjp is the transpose of the jvp under the real pairing ``Re(sum(a * b))`` (no complex
conjugate), so a holomorphic op's rule is the same as for reals (``g * f'(z)``) and only the
non-holomorphic ones need their own: ``real`` pulls ``g`` back to ``g + 0j``, ``imag`` to
``-1j * g``, ``conj`` to ``conj(g)``.
"""

from __future__ import annotations

import numpy as np

from trace_ag import numpy as tnp
from trace_ag.core import Aval, Primitive
from trace_ag.primitives._rules import jnp_fn, same_aval
from trace_ag.primitives._transform_rules import elementwise_batch, linear_jvp


def _real_aval(x: Aval, **_) -> Aval:
    """The real dtype of the same precision: complex128 -> float64; a real dtype is kept."""
    return Aval(x.shape, np.empty(0, x.dtype).real.dtype)


def _to_input_dtype(value, x):
    return tnp.astype(value, np.dtype(x.dtype))


def _imag_vjp(g, out, x):
    if not np.issubdtype(x.dtype, np.complexfloating):
        return tnp.zeros_like(x)  # the imaginary part of a real value is the constant 0
    return _to_input_dtype(g, x) * np.asarray(-1j, x.dtype)


real = Primitive(
    "real",
    impl=np.real,
    abstract_eval=_real_aval,
    vjp=(lambda g, out, x: _to_input_dtype(g, x),),
    jax=jnp_fn("real"),
    jvp=linear_jvp(),
    batch=elementwise_batch(),
    complex_rules=True,
)
imag = Primitive(
    "imag",
    impl=np.imag,
    abstract_eval=_real_aval,
    vjp=(_imag_vjp,),
    jax=jnp_fn("imag"),
    jvp=linear_jvp(),
    batch=elementwise_batch(),
    complex_rules=True,
)
conj = Primitive(
    "conj",
    impl=np.conjugate,
    abstract_eval=same_aval,
    vjp=(lambda g, out, x: conj.bind(g),),
    jax=jnp_fn("conjugate"),
    jvp=linear_jvp(),
    batch=elementwise_batch(),
    complex_rules=True,
    allocates=True,
    involution=True,
)
