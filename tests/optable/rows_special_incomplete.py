"""Op-table rows for ``fluxion._src.prims.special_incomplete`` (prefix ``si-``).

Rows that differentiate in a shape parameter (``a``, ``b``) have ``order=1``: the numerical
shape-derivative primitives (``gammainc_da``, ``betainc_da``, ``betainc_db``) have derivatives in
``x`` but none in the shape parameters, so a second derivative in ``a`` or ``b`` raises. The
``-x`` / ``-y`` rows hold the shape parameters fixed and check second order in the limit.
"""

from __future__ import annotations

import numpy as np
import scipy.special as sc

import fluxion.scipy.special as fs
from fluxion._src.prims import special_incomplete as si
from optable import OpCase

_SHAPE = (3, 4)


def _uniform(lo: float, hi: float, shape: tuple = _SHAPE):
    def make_args(rng: np.random.Generator) -> tuple:
        return (rng.uniform(lo, hi, shape),)

    return make_args


def _uniforms(*ranges: tuple[float, float]):
    """``make_args`` for broadcasting arguments: shapes (3, 4), (4,), (3, 4), ..."""

    def make_args(rng: np.random.Generator) -> tuple:
        shapes = [_SHAPE, _SHAPE[-1:], _SHAPE]
        return tuple(rng.uniform(lo, hi, shapes[i]) for i, (lo, hi) in enumerate(ranges))

    return make_args


def _fixed(fn, *fixed):
    """``fn`` with its leading arguments fixed (shape parameters held constant)."""

    def call(x):
        return fn(*fixed, x)

    return call


_GAMMA = ((0.5, 5.0), (0.3, 6.0))
_GAMMA_INV = ((0.5, 5.0), (0.05, 0.95))
_BETA = ((0.5, 5.0), (0.5, 5.0), (0.05, 0.95))
_DA = (si.gammainc_da_p,)
_DAB = (si.betainc_da_p, si.betainc_db_p)


def _row(name, fn, ref, make_args, prims, **kw):
    return OpCase(name=name, fn=fn, ref=ref, make_args=make_args, prims=prims, **kw)


ROWS = [
    # order=1 rows: a second derivative in a / b is not implemented (it raises)
    _row(
        "si-gammainc", fs.gammainc, sc.gammainc, _uniforms(*_GAMMA), (si.gammainc_p, *_DA), order=1
    ),
    _row(
        "si-gammaincc",
        fs.gammaincc,
        sc.gammaincc,
        _uniforms(*_GAMMA),
        (si.gammaincc_p, *_DA),
        order=1,
    ),
    _row(
        "si-gammaincinv",
        fs.gammaincinv,
        sc.gammaincinv,
        _uniforms(*_GAMMA_INV),
        (si.gammaincinv_p, *_DA),
        order=1,
        rtol=1e-10,
    ),
    _row(
        "si-gammainccinv",
        fs.gammainccinv,
        sc.gammainccinv,
        _uniforms(*_GAMMA_INV),
        (si.gammainccinv_p, *_DA),
        order=1,
        rtol=1e-10,
    ),
    _row("si-betainc", fs.betainc, sc.betainc, _uniforms(*_BETA), (si.betainc_p, *_DAB), order=1),
    _row(
        "si-betaincc", fs.betaincc, sc.betaincc, _uniforms(*_BETA), (si.betaincc_p, *_DAB), order=1
    ),
    _row(
        "si-betaincinv",
        fs.betaincinv,
        sc.betaincinv,
        _uniforms(*_BETA),
        (si.betaincinv_p, *_DAB),
        order=1,
    ),
    _row(
        "si-betainccinv",
        fs.betainccinv,
        sc.betainccinv,
        _uniforms(*_BETA),
        (si.betainccinv_p, *_DAB),
        order=1,
    ),
    # shape parameters fixed: second order in the limit / probability
    _row(
        "si-gammainc-x",
        _fixed(fs.gammainc, 2.5),
        _fixed(sc.gammainc, 2.5),
        _uniform(0.3, 5.0),
        (si.gammainc_p,),
    ),
    _row(
        "si-gammaincc-x",
        _fixed(fs.gammaincc, 0.7),
        _fixed(sc.gammaincc, 0.7),
        _uniform(0.3, 5.0),
        (si.gammaincc_p,),
    ),
    _row(
        "si-gammaincinv-y",
        _fixed(fs.gammaincinv, 1.7),
        _fixed(sc.gammaincinv, 1.7),
        _uniform(0.05, 0.95),
        (si.gammaincinv_p,),
    ),
    _row(
        "si-betainc-x",
        _fixed(fs.betainc, 2.0, 3.5),
        _fixed(sc.betainc, 2.0, 3.5),
        _uniform(0.05, 0.95),
        (si.betainc_p,),
    ),
    _row(
        "si-betainccinv-y",
        _fixed(fs.betainccinv, 1.5, 0.8),
        _fixed(sc.betainccinv, 1.5, 0.8),
        _uniform(0.05, 0.95),
        (si.betainccinv_p,),
    ),
    # x-derivatives of the shape-derivative primitives (second order mixed a-x)
    _row("si-gammainc_da-x", _fixed(si.gammainc_da, 2.5), None, _uniform(0.3, 5.0), _DA),
    _row(
        "si-betainc_da-x",
        _fixed(si.betainc_da, 2.0, 3.5),
        None,
        _uniform(0.05, 0.95),
        (si.betainc_da_p,),
    ),
    _row(
        "si-betainc_db-x",
        _fixed(si.betainc_db, 2.0, 3.5),
        None,
        _uniform(0.05, 0.95),
        (si.betainc_db_p,),
    ),
    _row("si-loggamma", fs.loggamma, sc.loggamma, _uniform(0.2, 6.0), (si.loggamma_p,)),
    _row("si-rgamma", fs.rgamma, sc.rgamma, _uniform(-2.9, -2.1), (si.rgamma_p,)),
    _row("si-rgamma-positive", fs.rgamma, sc.rgamma, _uniform(0.2, 5.0), (si.rgamma_p,)),
    _row(
        "si-gammasgn", fs.gammasgn, sc.gammasgn, _uniform(-3.9, 3.9), (si.gammasgn_p,), nondiff=True
    ),
    _row("si-erfcx", fs.erfcx, sc.erfcx, _uniform(-2.0, 5.0), (si.erfcx_p,)),
    _row("si-dawsn", fs.dawsn, sc.dawsn, _uniform(-4.0, 4.0), (si.dawsn_p,)),
    _row("si-ndtri_exp", fs.ndtri_exp, sc.ndtri_exp, _uniform(-20.0, -0.05), (si.ndtri_exp_p,)),
]
