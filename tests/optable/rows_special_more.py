"""Op-table rows for the primitives of ``fluxion._src.prims.special_more`` (issue 14): Bessel
functions, zeta, exponential integrals, Lambert W, Owen's T, Box-Cox, binom/poch, Spence, sici,
fresnel, wofz, relative entropies, Huber losses, hypergeometric functions.

Integer orders (``expn``) are integer arrays, which the op table does not perturb. Bessel
orders, the zeta exponent and the hypergeometric parameters are differentiated (the ``-order``,
``zeta``, ``-params`` rows; their derivative primitives in ``special_params``).
"""

from __future__ import annotations

import numpy as np
import scipy.special as sc

import fluxion.scipy.special as fs
from fluxion._src.prims import special as sp
from fluxion._src.prims import special_more as sm
from optable.special_args import SHAPE as _SHAPE
from optable.special_args import complex_uniform as _complex
from optable.special_args import fixed as _fixed
from optable.special_args import row_maker, uniforms
from optable.special_args import uniform as _uniform


def _uniform2(lo0: float, hi0: float, lo1: float, hi1: float):
    """Two broadcasting arguments, shapes ``(3, 4)`` and ``(4,)``."""
    return uniforms((lo0, hi0), (lo1, hi1))


def _expn_args(rng: np.random.Generator) -> tuple:
    return rng.integers(0, 4, _SHAPE[-1:]), rng.uniform(0.3, 3.0, _SHAPE)


def _riemann_args(rng: np.random.Generator) -> tuple:
    return (rng.choice(np.array([-7, -4, -3, -1, 0, 2, 3, 5, 8]), _SHAPE),)


_row = row_maker("sm-")

_V = 1.7  # a non-integer Bessel order
_INT_V = np.array([0.0, 1.0, -2.0, 5.0])  # integer orders, broadcast along the last axis
_NEG_V = -0.6

ROWS = [
    _row("i0", fs.i0, sc.i0, _uniform(-3.0, 3.0), (sm.i0_p, sm.i1_p)),
    _row("i1", fs.i1, sc.i1, _uniform(-3.0, 3.0), (sm.i1_p, sm.i0_p)),
    _row("k0", fs.k0, sc.k0, _uniform(0.3, 4.0), (sm.k0_p, sm.k1_p)),
    _row("k1", fs.k1, sc.k1, _uniform(0.3, 4.0), (sm.k1_p,)),
    _row("k0e", fs.k0e, sc.k0e, _uniform(0.3, 4.0), (sm.k0e_p, sm.k1e_p)),
    _row("k1e", fs.k1e, sc.k1e, _uniform(0.3, 4.0), (sm.k1e_p,)),
    _row("j0", fs.j0, sc.j0, _uniform(-6.0, 6.0), (sm.j0_p, sm.j1_p)),
    _row("j1", fs.j1, sc.j1, _uniform(-6.0, 6.0), (sm.j1_p,)),
    _row("y0", fs.y0, sc.y0, _uniform(0.3, 6.0), (sm.y0_p, sm.y1_p)),
    _row("y1", fs.y1, sc.y1, _uniform(0.3, 6.0), (sm.y1_p,)),
    _row("iv", _fixed(fs.iv, _V), _fixed(sc.iv, _V), _uniform(0.2, 4.0), (sm.iv_p,)),
    _row("iv-neg-order", _fixed(fs.iv, _NEG_V), _fixed(sc.iv, _NEG_V), _uniform(0.2, 4.0),
         (sm.iv_p,)),
    _row("ive", _fixed(fs.ive, _V), _fixed(sc.ive, _V), _uniform(0.2, 4.0), (sm.ive_p,)),
    # constant integer orders (Skellam's): tier 1 and the tape run ive's integer-order formula,
    # here with negative orders and arguments, on both sides of the asymptotic switch at 40
    _row("ive-integer-orders", _fixed(fs.ive, _INT_V), _fixed(sc.ive, _INT_V),
         _uniform(-60.0, 60.0), (sm.ive_p,)),
    _row("kv", _fixed(fs.kv, _V), _fixed(sc.kv, _V), _uniform(0.3, 4.0), (sm.kv_p,)),
    _row("kve", _fixed(fs.kve, _V), _fixed(sc.kve, _V), _uniform(0.3, 4.0), (sm.kve_p,)),
    _row("jv", _fixed(fs.jv, _V), _fixed(sc.jv, _V), _uniform(0.2, 8.0), (sm.jv_p,)),
    _row("yv", _fixed(fs.yv, _V), _fixed(sc.yv, _V), _uniform(0.5, 8.0), (sm.yv_p,)),
    _row("jv-complex", _fixed(fs.jv, _V), _fixed(sc.jv, _V), _complex((0.5, 3.0), (-1.0, 1.0)),
         (sm.jv_p,)),
    _row("kve-complex", _fixed(fs.kve, _V), _fixed(sc.kve, _V),
         _complex((0.5, 3.0), (-1.0, 1.0)), (sm.kve_p,)),
    _row("zeta-q", _fixed(fs.zeta, 2.5), _fixed(sc.zeta, 2.5), _uniform(0.5, 3.0), (sm.zeta_p,)),
    # Hurwitz zeta in the exponent x and the shift q (second order in (x, q))
    _row("zeta", fs.zeta, sc.zeta, _uniform2(1.2, 6.0, 0.3, 3.0), (sm.zeta_p, sm.zeta_dx1_p)),
    _row("zeta_dx", lambda x, q: sm.zeta_dx_p.bind(x, q, order=1), None,
         _uniform2(1.5, 5.0, 0.5, 3.0), (sm.zeta_dx_p,), order=1),
    # Bessel functions differentiated in the order v too (second order in (v, x)); v between
    # the integers, x across the series / integral branches of special_order
    *[
        _row(f"{name}-order{tag}", getattr(fs, name), getattr(sc, name),
             _uniform2(*v_range, *x_range), (getattr(sm, f"{name}_p"), getattr(sm, f"{name}_dv_p")))
        for name, tag, v_range, x_range in [
            ("iv", "", (-2.4, 3.4), (0.2, 6.0)),
            ("iv", "-near0", (-0.3, 0.3), (10.0, 30.0)),
            ("ive", "", (0.1, 4.9), (0.5, 40.0)),
            ("kv", "", (-3.9, 3.9), (0.3, 6.0)),
            ("kv", "-small-x", (0.1, 12.0), (1e-3, 0.05)),
            ("kve", "", (0.1, 4.9), (0.5, 80.0)),
            ("jv", "", (-2.4, 3.4), (0.2, 6.0)),
            ("jv", "-large-x", (0.1, 4.9), (15.0, 40.0)),
            ("yv", "", (-2.4, 3.4), (0.5, 8.0)),
            ("yv", "-large-x", (0.1, 4.9), (15.0, 40.0)),
        ]
    ],
    # the order-derivative primitives: in (v, x) to first order (a check of the second
    # derivatives), and the second-order ones in x to second order
    *[
        _row(f"{name}_dv", getattr(sm, f"{name}_dv_p").bind, None, _uniform2(0.3, 2.7, 0.5, 5.0),
             (getattr(sm, f"{name}_dv_p"), getattr(sm, f"{name}_dvv_p")), order=1)
        for name in ("iv", "ive", "kv", "kve", "jv", "yv")
    ],
    *[
        _row(f"{name}_dvv-x", _fixed(getattr(sm, f"{name}_dvv_p").bind, 1.3), None,
             _uniform(0.5, 5.0), (getattr(sm, f"{name}_dvv_p"),))
        for name in ("iv", "ive", "kv", "kve", "jv", "yv")
    ],
    # the Riemann zeta function at integer points (values), then differentiated in x on both
    # sides of the pole (x < 0: the functional equation)
    _row("zeta-riemann", fs.zeta, sc.zeta, _riemann_args, (sm.riemann_zeta_p,)),
    _row("zeta-riemann-x", fs.zeta, sc.zeta, _uniform(1.2, 6.0),
         (sm.riemann_zeta_p, sm.riemann_zeta_dx_p)),
    _row("zeta-riemann-x-negative", fs.zeta, sc.zeta, _uniform(-6.5, -0.2),
         (sm.riemann_zeta_p, sm.riemann_zeta_dx_p)),
    _row("zeta-riemann-x-critical", fs.zeta, sc.zeta, _uniform(0.05, 0.9),
         (sm.riemann_zeta_p, sm.riemann_zeta_dx_p)),
    _row("expi", fs.expi, sc.expi, _uniform(0.2, 3.0), (sm.expi_p,)),
    _row("expi-negative", fs.expi, sc.expi, _uniform(-3.0, -0.2), (sm.expi_p,)),
    _row("exp1", fs.exp1, sc.exp1, _uniform(0.2, 3.0), (sm.exp1_p,)),
    _row("exp1-complex", fs.exp1, sc.exp1, _complex((0.3, 2.0), (-1.0, 1.0)), (sm.exp1_p,)),
    _row("expn", fs.expn, sc.expn, _expn_args, (sm.expn_p,)),
    _row("lambertw", fs.lambertw, sc.lambertw, _uniform(-0.3, 3.0), (sm.lambertw_p,)),
    _row("owens_t", fs.owens_t, sc.owens_t, _uniform2(-2.0, 2.0, -2.0, 2.0), (sm.owens_t_p,)),
    _row("boxcox", fs.boxcox, sc.boxcox, _uniform2(0.3, 3.0, -1.5, 1.5), (sm.boxcox_p,)),
    _row("boxcox-small-lambda", fs.boxcox, sc.boxcox, _uniform2(0.3, 3.0, -0.02, 0.02),
         (sm.boxcox_p,)),
    _row("boxcox1p", fs.boxcox1p, sc.boxcox1p, _uniform2(-0.5, 3.0, -1.5, 1.5),
         (sm.boxcox1p_p,)),
    _row("inv_boxcox", fs.inv_boxcox, sc.inv_boxcox, _uniform2(-1.0, 2.0, -0.3, 0.3),
         (sm.inv_boxcox_p,)),
    _row("inv_boxcox-small-lambda", fs.inv_boxcox, sc.inv_boxcox,
         _uniform2(-1.0, 2.0, -0.02, 0.02), (sm.inv_boxcox_p,)),
    _row("inv_boxcox1p", fs.inv_boxcox1p, sc.inv_boxcox1p, _uniform2(-1.0, 2.0, -0.3, 0.3),
         (sm.inv_boxcox1p_p,)),
    _row("binom", fs.binom, sc.binom, _uniform2(2.0, 6.0, 0.2, 1.8), (sm.binom_p,)),
    _row("poch", fs.poch, sc.poch, _uniform2(0.5, 3.0, -0.4, 2.0), (sm.poch_p,)),
    _row("spence", fs.spence, sc.spence, _uniform(0.1, 3.0), (sm.spence_p,)),
    _row("spence-near-1", fs.spence, sc.spence, _uniform(0.97, 1.03), (sm.spence_p,)),
    _row("sici", fs.sici, sc.sici, _uniform(0.3, 6.0), (sm.si_p, sm.ci_p)),
    _row("sici-negative", fs.sici, sc.sici, _uniform(-6.0, -0.3), (sm.si_p, sm.ci_p)),
    _row("fresnel", fs.fresnel, sc.fresnel, _uniform(-2.0, 2.0), (sm.fresnel_s_p, sm.fresnel_c_p)),
    _row("wofz", fs.wofz, sc.wofz, _complex((-2.0, 2.0), (0.1, 2.0)), (sm.wofz_p,)),
    _row("wofz-real", fs.wofz, sc.wofz, _uniform(-2.0, 2.0), (sm.wofz_p,)),
    _row("rel_entr", fs.rel_entr, sc.rel_entr, _uniform2(0.2, 3.0, 0.2, 3.0), (sm.rel_entr_p,)),
    _row("kl_div", fs.kl_div, sc.kl_div, _uniform2(0.2, 3.0, 0.2, 3.0), (sm.kl_div_p,)),
    _row("huber", fs.huber, sc.huber, _uniform2(0.5, 2.0, -3.0, 3.0), (sm.huber_p,)),
    _row("pseudo_huber", fs.pseudo_huber, sc.pseudo_huber, _uniform2(0.3, 2.0, -3.0, 3.0),
         (sm.pseudo_huber_p,)),
    _row("hyp1f1", _fixed(fs.hyp1f1, 0.7, 1.9), _fixed(sc.hyp1f1, 0.7, 1.9),
         _uniform(-2.0, 2.0), (sm.hyp1f1_p,)),
    _row("hyp2f1", _fixed(fs.hyp2f1, 0.6, 1.3, 2.1), _fixed(sc.hyp2f1, 0.6, 1.3, 2.1),
         _uniform(-0.9, 0.9), (sm.hyp2f1_p,)),
    # in every argument, parameters included (second order in all of them)
    _row("hyp1f1-params", fs.hyp1f1, sc.hyp1f1, uniforms((0.3, 2.5), (0.5, 3.0), (-3.0, 3.0)),
         (sm.hyp1f1_p, sm.hyp1f1_dp_p)),
    _row("hyp2f1-params", fs.hyp2f1, sc.hyp2f1,
         uniforms((0.2, 2.0), (0.3, 2.0), (1.0, 3.0), (-0.8, 0.8)),
         (sm.hyp2f1_p, sm.hyp2f1_dp_p)),
    _row("hyp1f1_dp", lambda a, b, x: sm.hyp1f1_dp_p.bind(a, b, x, orders=(1, 0)), None,
         uniforms((0.3, 2.5), (0.5, 3.0), (-2.0, 2.0)), (sm.hyp1f1_dp_p,), order=1),
    _row("hyp2f1_dp", lambda a, b, c, z: sm.hyp2f1_dp_p.bind(a, b, c, z, orders=(0, 0, 1)),
         None, uniforms((0.2, 2.0), (0.3, 2.0), (1.0, 3.0), (-0.8, 0.8)), (sm.hyp2f1_dp_p,),
         order=1),
    _row("factorial", fs.factorial, sc.factorial, _uniform(-1.0, 4.0), (sp.gamma_p,)),
    _row("comb", fs.comb, sc.comb, _uniform2(3.0, 6.0, 0.5, 2.5), (sm.binom_p,)),
]
