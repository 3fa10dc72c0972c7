"""Op-table rows for the special-function primitives (``fluxion._src.prims.special``)."""

from __future__ import annotations

import numpy as np
import scipy.special as sc

import fluxion.scipy.special as fs
from fluxion._src.prims import special as sp
from optable import OpCase

_SHAPE = (3, 4)


def _uniform(lo: float, hi: float, shape: tuple = _SHAPE):
    """``make_args`` for one argument drawn uniformly from ``[lo, hi]``."""

    def make_args(rng: np.random.Generator) -> tuple:
        return (rng.uniform(lo, hi, shape),)

    return make_args


def _uniform2(lo0: float, hi0: float, lo1: float, hi1: float):
    """``make_args`` for two broadcasting arguments, shapes ``(3, 4)`` and ``(4,)``."""

    def make_args(rng: np.random.Generator) -> tuple:
        return rng.uniform(lo0, hi0, _SHAPE), rng.uniform(lo1, hi1, _SHAPE[-1:])

    return make_args


def _polygamma2(x):
    return fs.polygamma(2, x)


def _polygamma2_ref(x):
    return sc.polygamma(2, x)


def _row(name, fn, ref, make_args, prims):
    return OpCase(name=name, fn=fn, ref=ref, make_args=make_args, prims=prims)


ROWS = [
    _row("gammaln", fs.gammaln, sc.gammaln, _uniform(0.5, 5.0), (sp.gammaln_p, sp.digamma_p)),
    _row("digamma", fs.digamma, sc.digamma, _uniform(0.5, 5.0), (sp.digamma_p, sp.polygamma_p)),
    _row("polygamma", _polygamma2, _polygamma2_ref, _uniform(0.5, 5.0), (sp.polygamma_p,)),
    _row("gamma", fs.gamma, sc.gamma, _uniform(0.5, 4.0), (sp.gamma_p,)),
    _row("erf", fs.erf, sc.erf, _uniform(-2.0, 2.0), (sp.erf_p,)),
    _row("erfc", fs.erfc, sc.erfc, _uniform(-2.0, 2.0), (sp.erfc_p,)),
    _row("erfinv", fs.erfinv, sc.erfinv, _uniform(-0.9, 0.9), (sp.erfinv_p,)),
    _row("erfcinv", fs.erfcinv, sc.erfcinv, _uniform(0.1, 1.9), (sp.erfcinv_p,)),
    _row("ndtr", fs.ndtr, sc.ndtr, _uniform(-3.0, 3.0), (sp.ndtr_p,)),
    _row("ndtri", fs.ndtri, sc.ndtri, _uniform(0.05, 0.95), (sp.ndtri_p,)),
    _row("log_ndtr", fs.log_ndtr, sc.log_ndtr, _uniform(-5.0, 3.0), (sp.log_ndtr_p,)),
    _row("expit", fs.expit, sc.expit, _uniform(-4.0, 4.0), (sp.expit_p,)),
    _row("logit", fs.logit, sc.logit, _uniform(0.05, 0.95), (sp.logit_p,)),
    _row("log_expit", fs.log_expit, sc.log_expit, _uniform(-4.0, 4.0), (sp.log_expit_p,)),
    _row("entr", fs.entr, sc.entr, _uniform(0.2, 3.0), (sp.entr_p,)),
    _row("i0e", fs.i0e, sc.i0e, _uniform(0.2, 3.0), (sp.i0e_p,)),
    _row("i1e", fs.i1e, sc.i1e, _uniform(0.2, 3.0), (sp.i1e_p,)),
    # both signs and both sides of the Chebyshev split at |x| = 8 (the compiled formulas)
    _row("i0e-signed-across-8", fs.i0e, sc.i0e, _uniform(-12.0, 12.0), (sp.i0e_p,)),
    _row("i1e-signed-across-8", fs.i1e, sc.i1e, _uniform(-12.0, 12.0), (sp.i1e_p,)),
    _row("sinc", sp.sinc, np.sinc, _uniform(-2.0, 2.0), (sp.sinc_p,)),
    _row("xlogy", fs.xlogy, sc.xlogy, _uniform2(-2.0, 2.0, 0.5, 3.0), (sp.xlogy_p,)),
    _row("xlog1py", fs.xlog1py, sc.xlog1py, _uniform2(-2.0, 2.0, -0.5, 3.0), (sp.xlog1py_p,)),
    _row("betaln", fs.betaln, sc.betaln, _uniform2(0.5, 4.0, 0.5, 4.0), (sp.betaln_p,)),
    _row("beta", fs.beta, sc.beta, _uniform2(0.5, 4.0, 0.5, 4.0), (sp.beta_p,)),
]
