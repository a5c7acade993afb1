"""Complex numbers in ``trace_ag.numpy``: ``real``, ``imag``, ``conj``, ``angle`` and the
predicates, plus the ``.real``, ``.imag`` and ``.conj()`` of tracers. Derivatives follow JAX
(see ``trace_ag.primitives.complex``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag.core import Tracer, is_complex
from trace_ag.numpy._base import asarray_or_tracer
from trace_ag.primitives import complex as cx


def real(x: Any) -> Any:
    """The real part (``numpy.real``); a real array is returned as it is.

    Examples:
        >>> tnp.real(np.array([1 + 2j, 3 - 1j]))
        array([1., 3.])
    """
    x = asarray_or_tracer(x)
    return cx.real.bind(x) if is_complex(x.dtype) else x


def imag(x: Any) -> Any:
    """The imaginary part (``numpy.imag``); zeros for a real array.

    Examples:
        >>> tnp.imag(np.array([1 + 2j, 3 - 1j]))
        array([ 2., -1.])
    """
    return cx.imag.bind(asarray_or_tracer(x))


def conj(x: Any) -> Any:
    """The complex conjugate (``numpy.conj``); a real array is returned as it is.

    Examples:
        >>> tnp.conj(np.array([1 + 2j]))
        array([1.-2.j])
    """
    x = asarray_or_tracer(x)
    return cx.conj.bind(x) if is_complex(x.dtype) else x


conjugate = conj


def angle(z: Any, deg: bool = False) -> Any:
    """The argument of ``z`` in radians (degrees with ``deg=True``), as ``numpy.angle``.

    Examples:
        >>> float(tnp.angle(1j))
        1.5707963267948966
    """
    from trace_ag import numpy as tnp

    z = asarray_or_tracer(z)
    if not is_complex(z.dtype):
        z = tnp.astype(z, np.result_type(z.dtype, np.complex64))
    out = tnp.arctan2(imag(z), real(z))
    return out * (180 / np.pi) if deg else out


def iscomplexobj(x: Any) -> bool:
    return is_complex(np.dtype(getattr(x, "dtype", None) or np.result_type(x)))


def isrealobj(x: Any) -> bool:
    return not iscomplexobj(x)


def iscomplex(x: Any) -> Any:
    """Elementwise: a nonzero imaginary part (``numpy.iscomplex``)."""
    from trace_ag import numpy as tnp

    return imag(x) != 0 if iscomplexobj(x) else tnp.zeros(np.shape(x), bool)


def isreal(x: Any) -> Any:
    """Elementwise: a zero imaginary part (``numpy.isreal``)."""
    from trace_ag import numpy as tnp

    return imag(x) == 0 if iscomplexobj(x) else tnp.ones(np.shape(x), bool)


def attach_methods() -> None:
    """``.real``, ``.imag``, ``.conj()``/``.conjugate()`` on tracers, as on NumPy arrays."""
    Tracer.real = property(real)
    Tracer.imag = property(imag)
    Tracer.conj = conj
    Tracer.conjugate = conj
