"""Op-table rows for ``fluxion._src.prims.special_incomplete`` (prefix ``si-``).

Every row checks second order, in the shape parameters too: ``gammainc_da``, ``betainc_da`` and
``betainc_db`` are differentiated by the second-order primitives ``gammainc_daa``,
``betainc_daa``, ``betainc_dab``, ``betainc_dbb`` (Richardson differences of the smooth part of
the log-derivative, ~1e-9 relative; see the module docstring), the inverses by the implicit
rule composed of these. The ``-x`` / ``-y`` rows hold the shape parameters fixed; the
``-small`` / ``-large`` rows put the shape parameters near 0 and in the hundreds, with ``x`` in
the tails.
"""

from __future__ import annotations

import scipy.special as sc

import fluxion.scipy.special as fs
from fluxion._src.prims import special_incomplete as si
from optable.special_args import fixed as _fixed
from optable.special_args import row_maker
from optable.special_args import uniform as _uniform
from optable.special_args import uniforms as _uniforms

_GAMMA = ((0.5, 5.0), (0.3, 6.0))
_GAMMA_INV = ((0.5, 5.0), (0.05, 0.95))
_BETA = ((0.5, 5.0), (0.5, 5.0), (0.05, 0.95))
_DA = (si.gammainc_da_p,)
_DAB = (si.betainc_da_p, si.betainc_db_p)


_row = row_maker()

ROWS = [
    # second order in every argument (the shape parameters by the *_daa / *_dab / *_dbb prims)
    _row("si-gammainc", fs.gammainc, sc.gammainc, _uniforms(*_GAMMA), (si.gammainc_p, *_DA)),
    _row(
        "si-gammaincc",
        fs.gammaincc,
        sc.gammaincc,
        _uniforms(*_GAMMA),
        (si.gammaincc_p, *_DA),
    ),
    _row(
        "si-gammaincinv",
        fs.gammaincinv,
        sc.gammaincinv,
        _uniforms(*_GAMMA_INV),
        (si.gammaincinv_p, *_DA),
        rtol=1e-10,
    ),
    _row(
        "si-gammainccinv",
        fs.gammainccinv,
        sc.gammainccinv,
        _uniforms(*_GAMMA_INV),
        (si.gammainccinv_p, *_DA),
        rtol=1e-10,
    ),
    _row("si-betainc", fs.betainc, sc.betainc, _uniforms(*_BETA), (si.betainc_p, *_DAB)),
    _row("si-betaincc", fs.betaincc, sc.betaincc, _uniforms(*_BETA), (si.betaincc_p, *_DAB)),
    _row(
        "si-betaincinv",
        fs.betaincinv,
        sc.betaincinv,
        _uniforms(*_BETA),
        (si.betaincinv_p, *_DAB),
    ),
    _row(
        "si-betainccinv",
        fs.betainccinv,
        sc.betainccinv,
        _uniforms(*_BETA),
        (si.betainccinv_p, *_DAB),
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
    # awkward points: shape parameters near 0 and in the hundreds, x in the tails
    *[
        _row(
            f"si-{name}-{tag}",
            getattr(fs, name),
            getattr(sc, name),
            _uniforms(*ranges),
            (getattr(si, f"{name}_p"), *(_DA if name.startswith("gamma") else _DAB)),
            **kw,
        )
        for name, tag, ranges, kw in [
            ("gammainc", "small", ((0.01, 0.1), (1e-3, 4.0)), {}),
            ("gammaincc", "large", ((100.0, 300.0), (80.0, 350.0)), {}),
            ("gammaincinv", "small", ((0.2, 0.5), (0.05, 0.95)), {"rtol": 1e-10}),
            ("betainc", "small", ((0.02, 0.2), (0.02, 0.2), (0.01, 0.99)), {}),
            ("betaincc", "large", ((50.0, 200.0), (50.0, 200.0), (0.25, 0.75)), {}),
            ("betaincinv", "mixed", ((0.3, 1.0), (20.0, 60.0), (0.05, 0.95)), {}),
        ]
    ],
    # the first-derivative primitives in every argument (their jvp calls the second-order
    # primitives: a jvp check of d/da against central differences is a check of d2/da2 ...)
    _row(
        "si-gammainc_da",
        si.gammainc_da,
        None,
        _uniforms((0.05, 8.0), (0.01, 12.0)),
        (si.gammainc_da_p, si.gammainc_daa_p),
        order=1,
    ),
    _row(
        "si-betainc_da",
        si.betainc_da,
        None,
        _uniforms(*_BETA),
        (si.betainc_da_p, si.betainc_daa_p, si.betainc_dab_p),
        order=1,
    ),
    _row(
        "si-betainc_db",
        si.betainc_db,
        None,
        _uniforms(*_BETA),
        (si.betainc_db_p, si.betainc_dab_p, si.betainc_dbb_p),
        order=1,
    ),
    # ... and the second-order primitives in x (closed forms; second order in x)
    _row(
        "si-gammainc_daa-x",
        _fixed(si.gammainc_daa, 0.3),
        None,
        _uniform(0.05, 5.0),
        (si.gammainc_daa_p,),
    ),
    _row(
        "si-betainc_daa-x",
        _fixed(si.betainc_daa, 2.0, 3.5),
        None,
        _uniform(0.05, 0.95),
        (si.betainc_daa_p,),
    ),
    _row(
        "si-betainc_dab-x",
        _fixed(si.betainc_dab, 0.7, 3.5),
        None,
        _uniform(0.05, 0.95),
        (si.betainc_dab_p,),
    ),
    _row(
        "si-betainc_dbb-x",
        _fixed(si.betainc_dbb, 2.0, 0.4),
        None,
        _uniform(0.05, 0.95),
        (si.betainc_dbb_p,),
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
