"""Special functions the samplers need, written with trace_ag.numpy so they trace, batch,
differentiate and lower like everything else: ``erf_inv`` with XLA's polynomial approximations
(M. Giles, "Approximating the erfinv function", 2010: single and double precision), so normal
samples match JAX's to the last bit or two; ``erf`` with Cephes' rational approximations; and
a Cholesky factorization for ``multivariate_normal``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trace_ag import numpy as tnp

# Giles' coefficients, highest degree first, as XLA's ErfInv32 / ErfInv64 use them.
_F32_W_LT_5 = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
               -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)  # fmt: skip
_F32_W_GE_5 = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)  # fmt: skip
_F64_W_LT_6_25 = (
    -3.6444120640178196996e-21, -1.685059138182016589e-19, 1.2858480715256400167e-18,
    1.115787767802518096e-17, -1.333171662854620906e-16, 2.0972767875968561637e-17,
    6.6376381343583238325e-15, -4.0545662729752068639e-14, -8.1519341976054721522e-14,
    2.6335093153082322977e-12, -1.2975133253453532498e-11, -5.4154120542946279317e-11,
    1.051212273321532285e-09, -4.1126339803469836976e-09, -2.9070369957882005086e-08,
    4.2347877827932403518e-07, -1.3654692000834678645e-06, -1.3882523362786468719e-05,
    0.0001867342080340571352, -0.00074070253416626697512, -0.0060336708714301490533,
    0.24015818242558961693, 1.6536545626831027356,
)  # fmt: skip
_F64_W_LT_16 = (
    2.2137376921775787049e-09, 9.0756561938885390979e-08, -2.7517406297064545428e-07,
    1.8239629214389227755e-08, 1.5027403968909827627e-06, -4.013867526981545969e-06,
    2.9234449089955446044e-06, 1.2475304481671778723e-05, -4.7318229009055733981e-05,
    6.8284851459573175448e-05, 2.4031110387097893999e-05, -0.0003550375203628474796,
    0.00095328937973738049703, -0.0016882755560235047313, 0.0024914420961078508066,
    -0.0037512085075692412107, 0.005370914553590063617, 1.0052589676941592334,
    3.0838856104922207635,
)  # fmt: skip
_F64_W_GE_16 = (
    -2.7109920616438573243e-11, -2.5556418169965252055e-10, 1.5076572693500548083e-09,
    -3.7894654401267369937e-09, 7.6157012080783393804e-09, -1.4960026627149240478e-08,
    2.9147953450901080826e-08, -6.7711997758452339498e-08, 2.2900482228026654717e-07,
    -9.9298272942317002539e-07, 4.5260625972231537039e-06, -1.9681778105531670567e-05,
    7.5995277030017761139e-05, -0.00021503011930044477347, -0.00013871931833623122026,
    1.0103004648645343977, 4.8499064014085844221,
)  # fmt: skip


def _horner(coefficients: tuple[float, ...], w: Any) -> Any:
    typed = np.dtype(w.dtype).type
    p = typed(coefficients[0])
    for c in coefficients[1:]:
        p = typed(c) + p * w
    return p


def erf_inv(x: Any) -> Any:
    """The inverse error function on ``[-1, 1]`` (``±inf`` at ``±1``), as ``lax.erf_inv``.

    Examples:
        >>> round(float(erf_inv(np.float64(0.5))), 12)
        0.476936276204
    """
    x = tnp.asarray(x)
    dtype = np.dtype(x.dtype)
    edge = tnp.abs(x) == 1
    safe = tnp.where(edge, dtype.type(0), x)  # no log(0) warning at the edges
    w = -tnp.log1p(-safe * safe)
    if dtype == np.float64:
        sqrt_w = tnp.sqrt(tnp.maximum(w, 6.25))  # only used where w >= 6.25: no sqrt(0)
        p = tnp.where(
            w < 6.25,
            _horner(_F64_W_LT_6_25, w - 3.125),
            tnp.where(
                w < 16.0, _horner(_F64_W_LT_16, sqrt_w - 3.25), _horner(_F64_W_GE_16, sqrt_w - 5.0)
            ),
        )
    else:
        sqrt_w = tnp.sqrt(tnp.maximum(w, 5.0))
        p = tnp.where(w < 5.0, _horner(_F32_W_LT_5, w - 2.5), _horner(_F32_W_GE_5, sqrt_w - 3.0))
    return tnp.where(edge, tnp.where(x > 0, dtype.type(np.inf), dtype.type(-np.inf)), p * safe)


# Cephes ndtr.c: erf on |x| <= 1, erfc beyond (P/Q below 8, R/S from 8 on).
_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
      7.00332514112805075473e3, 5.55923013010394962768e4)  # fmt: skip
_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
      2.26290000613890934246e4, 4.92673942608635921086e4)  # fmt: skip
_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
      4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
      9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)  # fmt: skip
_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
      9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
      1.65666309194161350182e3, 5.57535340817727675546e2)  # fmt: skip
_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
      6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)  # fmt: skip
_S = (1.0, 2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
      1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)  # fmt: skip


def _erf_pieces(x: Any) -> tuple[Any, Any, Any, Any]:
    """Cephes ndtr.c's two approximations in float64, each evaluated only where it is accurate:
    ``erf`` of ``x`` clamped to ``[-1, 1]`` and ``erfc(|x|)`` for ``|x|`` in ``[1, 27]`` (it
    underflows to 0 beyond), with ``|x|`` and ``x`` in float64."""
    x64 = tnp.astype(x, np.float64)
    a = tnp.abs(x64)
    small = tnp.minimum(a, 1.0)
    z = small * small
    near = tnp.where(x64 < 0, -small, small) * _horner(_T, z) / _horner(_U, z)
    big = tnp.clip(a, 1.0, 27.0)
    p = tnp.where(big < 8.0, _horner(_P, big), _horner(_R, big))
    q = tnp.where(big < 8.0, _horner(_Q, big), _horner(_S, big))
    tail = tnp.where(a >= 27.0, 0.0, tnp.exp(-big * big) * p / q)
    return near, tail, a, x64


def erf(x: Any) -> Any:
    """The error function, to float64 rounding (float32 inputs are computed in float64).

    Examples:
        >>> round(float(erf(np.float64(0.5))), 12)
        0.520499877813
    """
    x = tnp.asarray(x)
    near, tail, a, x64 = _erf_pieces(x)
    far = tnp.where(x64 < 0, tail - 1.0, 1.0 - tail)
    return tnp.astype(tnp.where(a <= 1.0, near, far), np.dtype(x.dtype))


def erfc(x: Any) -> Any:
    """``1 - erf(x)``, accurate in the right tail (float32 inputs are computed in float64).

    Examples:
        >>> print(f"{float(erfc(np.float64(10.0))):.6e}")
        2.088488e-45
    """
    x = tnp.asarray(x)
    near, tail, a, x64 = _erf_pieces(x)
    far = tnp.where(x64 < 0, 2.0 - tail, tail)
    return tnp.astype(tnp.where(a < 1.0, 1.0 - near, far), np.dtype(x.dtype))


def cholesky(a: Any) -> Any:
    """The lower Cholesky factor of the symmetric positive definite matrices ``a[..., n, n]``,
    one column at a time (Cholesky-Banachiewicz), differentiable.

    Examples:
        >>> cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]))
        array([[2., 0.],
               [1., 2.]])
    """
    a = tnp.asarray(a)
    n = a.shape[-1]
    columns: list = []
    for j in range(n):
        done = tnp.stack(columns, axis=-1) if columns else None  # L[..., :, :j]
        col = a[..., :, j]
        diag = a[..., j, j]
        if done is not None:
            col = col - tnp.einsum("...ik,...k->...i", done, done[..., j, :])
            diag = diag - tnp.sum(done[..., j, :] * done[..., j, :], axis=-1)
        d = tnp.sqrt(diag)
        below = (np.arange(n) > j).astype(a.dtype)
        onehot = (np.arange(n) == j).astype(a.dtype)
        columns.append(col / d[..., None] * below + d[..., None] * onehot)
    return tnp.stack(columns, axis=-1)


# Lanczos' approximation (g = 7, 9 terms), as XLA evaluates lgamma and digamma, so float32
# results round like JAX's.
_LANCZOS_G = 7.0
_LANCZOS_BASE = 0.99999999999980993227684700473478
_LANCZOS = (676.520368121885098567009190444019, -1259.13921672240287047156078755283,
            771.3234287776530788486528258894, -176.61502916214059906584551354,
            12.507343278686904814458936853, -0.13857109526572011689554707,
            9.984369578019570859563e-6, 1.50563273514931155834e-7)  # fmt: skip


def _lanczos_parts(x: Any) -> tuple[Any, Any, Any, Any, Any, Any]:
    """``(need_to_reflect, z, series, series', t, log t)`` of the Lanczos sum at ``x``."""
    typed = np.dtype(x.dtype).type
    reflect = x < typed(0.5)
    z = tnp.where(reflect, -x, x - typed(1))
    series, d_series = typed(_LANCZOS_BASE), typed(0)
    for i, c in enumerate(_LANCZOS):
        term = z + typed(i) + typed(1)
        series = series + typed(c) / term
        d_series = d_series - typed(c) / (term * term)
    t = typed(_LANCZOS_G + 0.5) + z
    log_t = typed(np.log(_LANCZOS_G + 0.5)) + tnp.log1p(z / typed(_LANCZOS_G + 0.5))
    return reflect, z, series, d_series, t, log_t


def lgamma(x: Any) -> Any:
    """``log|Gamma(x)|``, as ``lax.lgamma`` computes it (Lanczos, reflected below 1/2).

    Examples:
        >>> round(float(lgamma(np.float64(4.5))), 12)
        2.453736570842
    """
    x = tnp.asarray(x)
    typed = np.dtype(x.dtype).type
    reflect, z, series, _, t, log_t = _lanczos_parts(x)
    log_y = typed(np.log(2 * np.pi) / 2) + (z + typed(0.5) - t / log_t) * log_t + tnp.log(series)
    frac = tnp.abs(x) - tnp.floor(tnp.abs(x))
    frac = tnp.where(frac > typed(0.5), typed(1) - frac, frac)
    sine = tnp.sin(typed(np.pi) * frac)
    at_pole = sine == 0  # log(0) would be -inf: the reflected value is +inf there
    denom = tnp.log(tnp.where(at_pole, typed(1), sine))
    reflected = tnp.where(at_pole, typed(np.inf), typed(np.log(np.pi)) - denom - log_y)
    out = tnp.where(reflect, reflected, log_y)
    return tnp.where(tnp.isinf(x), typed(np.inf), out)


def digamma(x: Any) -> Any:
    """The digamma function ``d/dx log Gamma(x)``, as ``lax.digamma`` computes it.

    Examples:
        >>> round(float(digamma(np.float64(1.0))), 12)
        -0.577215664902
    """
    x = tnp.asarray(x)
    typed = np.dtype(x.dtype).type
    reflect, _, series, d_series, t, log_t = _lanczos_parts(x)
    y = log_t + d_series / series - typed(_LANCZOS_G) / t
    reduced = x + tnp.abs(tnp.floor(x + typed(0.5)))
    sine = tnp.sin(typed(np.pi) * reduced)
    sine = tnp.where(sine == 0, typed(1), sine)  # only at the poles, which give nan below
    reflected = y - typed(np.pi) * tnp.cos(typed(np.pi) * reduced) / sine
    out = tnp.where(reflect, reflected, y)
    return tnp.where((x <= typed(0)) & (x == tnp.floor(x)), typed(np.nan), out)
