"""Op-table rows (prefix ``sc-``) for issue 14's ``scipy.special`` list, found missing or thin by
``tools/scipy_coverage.py``: functions without a row (``sinc``, ``multigammaln``,
``logsumexp`` with ``b=`` and ``return_sign=``, ``softmax``, ``log_softmax``) and awkward points
of the others: near 0, large arguments, near the edges of the domain.

Every row compares its values with SciPy to 1e-12 relative (``atol=0``: the values come from
SciPy itself or from stable formulas) and perturbs every continuous argument whose derivative
exists. Rows that perturb a shape parameter of the incomplete gamma and beta functions stop at
first order (``order=1``): their second derivative in the shape parameters is not implemented yet.
"""

from __future__ import annotations

import numpy as np
import scipy.special as sc

import fluxion.scipy.special as fsp
from optable import OpCase

_SHAPE = (3, 4)


def _u(*ranges: tuple[float, float], log: bool = False):
    """``make_args``: one argument per ``(lo, hi)`` range, shapes (3, 4), (4,), (3, 4), ...;
    ``log=True`` draws log-uniformly (for ranges over several decades)."""

    def make_args(rng: np.random.Generator) -> tuple:
        shapes = [_SHAPE, _SHAPE[-1:], _SHAPE]
        out = []
        for i, (lo, hi) in enumerate(ranges):
            if log:
                out.append(np.exp(rng.uniform(np.log(lo), np.log(hi), shapes[i % 3])))
            else:
                out.append(rng.uniform(lo, hi, shapes[i % 3]))
        return tuple(out)

    return make_args


def _complex(re: tuple[float, float], im: tuple[float, float]):
    def make_args(rng: np.random.Generator) -> tuple:
        return (rng.uniform(*re, _SHAPE) + 1j * rng.uniform(*im, _SHAPE),)

    return make_args


def _row(name: str, fn, ref, make_args, **kw) -> OpCase:
    kw.setdefault("rtol", 1e-12)
    kw.setdefault("atol", 0.0)
    return OpCase(name=f"sc-{name}", fn=fn, ref=ref, make_args=make_args, **kw)




def _lse_signed_args(rng: np.random.Generator) -> tuple:
    # weights of both signs, kept away from 0 and from a vanishing sum
    b = rng.uniform(0.3, 1.5, _SHAPE) * np.where(rng.uniform(size=_SHAPE) < 0.3, -1.0, 1.0)
    b[:, 0] = 3.0  # every row's sum stays positive and far from 0
    return rng.uniform(-2.0, 2.0, _SHAPE), b


ROWS = [
    # --- sinc (scipy.special.sinc is numpy.sinc)
    _row("sinc", lambda x: fsp.sinc(x), sc.sinc, _u((-2.5, 2.5))),
    _row("sinc-near-0", lambda x: fsp.sinc(x), sc.sinc, _u((-1e-3, 1e-3))),
    _row("sinc-large", lambda x: fsp.sinc(x), sc.sinc, _u((40.3, 60.7))),
    _row("sinc-complex", lambda x: fsp.sinc(x), sc.sinc, _complex((-1.5, 1.5), (-0.8, 0.8)),
         rtol=1e-11),
    # --- multigammaln(a, d): d is an integer dimension, a > (d - 1) / 2
    _row("multigammaln-d3", lambda a: fsp.multigammaln(a, 3), lambda a: sc.multigammaln(a, 3),
         _u((1.1, 6.0))),
    _row("multigammaln-d1", lambda a: fsp.multigammaln(a, 1), lambda a: sc.multigammaln(a, 1),
         _u((0.05, 4.0))),
    _row("multigammaln-large", lambda a: fsp.multigammaln(a, 5),
         lambda a: sc.multigammaln(a, 5), _u((50.0, 500.0))),
    _row("multigammaln-near-edge", lambda a: fsp.multigammaln(a, 4),
         lambda a: sc.multigammaln(a, 4), _u((1.502, 1.6))),
    # --- logsumexp, with axis/keepdims, weights b= (perturbed), return_sign=
    _row("logsumexp", lambda a: fsp.logsumexp(a), sc.logsumexp, _u((-3.0, 3.0))),
    _row("logsumexp-axis1-keepdims", lambda a: fsp.logsumexp(a, axis=1, keepdims=True),
         lambda a: sc.logsumexp(a, axis=1, keepdims=True), _u((-3.0, 3.0))),
    _row("logsumexp-large", lambda a: fsp.logsumexp(a, axis=0),
         lambda a: sc.logsumexp(a, axis=0), _u((700.0, 760.0))),
    _row("logsumexp-very-negative", lambda a: fsp.logsumexp(a, axis=-1),
         lambda a: sc.logsumexp(a, axis=-1), _u((-760.0, -700.0))),
    _row("logsumexp-b", lambda a, b: fsp.logsumexp(a, b=b), lambda a, b: sc.logsumexp(a, b=b),
         _u((-3.0, 3.0), (0.2, 2.0))),
    _row("logsumexp-b-axis0", lambda a, b: fsp.logsumexp(a, axis=0, b=b),
         lambda a, b: sc.logsumexp(a, axis=0, b=b), _u((-3.0, 3.0), (0.2, 2.0))),
    _row("logsumexp-b-return_sign",
         lambda a, b: fsp.logsumexp(a, axis=1, b=b, return_sign=True),
         lambda a, b: sc.logsumexp(a, axis=1, b=b, return_sign=True), _lse_signed_args),
    _row("logsumexp-return_sign", lambda a: fsp.logsumexp(a, axis=0, return_sign=True),
         lambda a: sc.logsumexp(a, axis=0, return_sign=True), _u((-3.0, 3.0))),
    # --- softmax / log_softmax
    _row("softmax", lambda x: fsp.softmax(x), sc.softmax, _u((-3.0, 3.0))),
    _row("softmax-axis1", lambda x: fsp.softmax(x, axis=1), lambda x: sc.softmax(x, axis=1),
         _u((-3.0, 3.0))),
    _row("softmax-large", lambda x: fsp.softmax(x, axis=0), lambda x: sc.softmax(x, axis=0),
         _u((700.0, 705.0))),
    _row("log_softmax", lambda x: fsp.log_softmax(x), sc.log_softmax, _u((-3.0, 3.0))),
    _row("log_softmax-axis1", lambda x: fsp.log_softmax(x, axis=1),
         lambda x: sc.log_softmax(x, axis=1), _u((-3.0, 3.0))),
    _row("log_softmax-large", lambda x: fsp.log_softmax(x, axis=-1),
         lambda x: sc.log_softmax(x, axis=-1), _u((-760.0, -700.0))),
    # --- gamma family: near 0, large, negative non-integers
    _row("gammaln-near-0", lambda x: fsp.gammaln(x), sc.gammaln, _u((1e-3, 1e-2))),
    _row("gammaln-large", lambda x: fsp.gammaln(x), sc.gammaln, _u((1e2, 1e5), log=True)),
    _row("gamma-negative", lambda x: fsp.gamma(x), sc.gamma, _u((-2.8, -2.2))),
    _row("loggamma-large", lambda x: fsp.loggamma(x), sc.loggamma, _u((50.0, 1e4), log=True)),
    _row("digamma-near-0", lambda x: fsp.digamma(x), sc.digamma, _u((2e-3, 1e-2))),
    _row("rgamma-negative", lambda x: fsp.rgamma(x), sc.rgamma, _u((-3.8, -3.2))),
    _row("beta-large", lambda a, b: fsp.beta(a, b), sc.beta, _u((20.0, 60.0), (20.0, 60.0))),
    _row("betaln-large", lambda a, b: fsp.betaln(a, b), sc.betaln,
         _u((1e2, 1e4), (1e2, 1e4), log=True)),
    # --- incomplete gamma / beta at their edges (shape parameters perturbed: first order)
    _row("gammainc-small-x", lambda a, x: fsp.gammainc(a, x), sc.gammainc,
         _u((0.5, 3.0), (1e-3, 1e-2)), order=1),
    _row("gammaincc-large-a", lambda a, x: fsp.gammaincc(a, x), sc.gammaincc,
         _u((40.0, 80.0), (40.0, 80.0)), order=1),
    _row("gammaincinv-edges", lambda a, y: fsp.gammaincinv(a, y), sc.gammaincinv,
         _u((0.8, 4.0), (2e-3, 2e-2), log=True), order=1, rtol=1e-10),
    _row("gammainccinv-edges", lambda a, y: fsp.gammainccinv(a, y), sc.gammainccinv,
         _u((0.8, 4.0), (2e-3, 2e-2), log=True), order=1, rtol=1e-10),
    _row("betainc-edges", lambda a, b, x: fsp.betainc(a, b, x), sc.betainc,
         _u((0.8, 3.0), (0.8, 3.0), (1e-4, 1e-2), log=True), order=1),
    _row("betaincc-edges", lambda a, b, x: fsp.betaincc(a, b, x), sc.betaincc,
         _u((0.8, 3.0), (0.8, 3.0), (0.98, 0.999)), order=1),
    _row("betaincinv-edges", lambda a, b, y: fsp.betaincinv(a, b, y), sc.betaincinv,
         _u((1.0, 3.0), (1.0, 3.0), (2e-3, 2e-2), log=True), order=1, rtol=1e-10),
    _row("betainccinv-edges", lambda a, b, y: fsp.betainccinv(a, b, y), sc.betainccinv,
         _u((1.0, 3.0), (1.0, 3.0), (2e-3, 2e-2), log=True), order=1, rtol=1e-10),
    # --- second order in the argument alone (shape parameters held fixed)
    _row("betaincc-x", lambda x: fsp.betaincc(1.7, 2.3, x),
         lambda x: sc.betaincc(1.7, 2.3, x), _u((0.02, 0.98))),
    _row("betaincinv-y", lambda y: fsp.betaincinv(2.2, 0.9, y),
         lambda y: sc.betaincinv(2.2, 0.9, y), _u((0.02, 0.98))),
    _row("gammainccinv-y", lambda y: fsp.gammainccinv(1.6, y),
         lambda y: sc.gammainccinv(1.6, y), _u((0.02, 0.98))),
    # --- error functions and the normal distribution in the tails
    _row("erfcx-large", lambda x: fsp.erfcx(x), sc.erfcx, _u((5.0, 1e3), log=True)),
    _row("erfc-tail", lambda x: fsp.erfc(x), sc.erfc, _u((3.0, 8.0))),
    _row("erfinv-edges", lambda x: fsp.erfinv(x), sc.erfinv, _u((0.99, 0.99999))),
    _row("log_ndtr-tail", lambda x: fsp.log_ndtr(x), sc.log_ndtr, _u((-35.0, -5.0))),
    _row("ndtri-edges", lambda p: fsp.ndtri(p), sc.ndtri, _u((2e-3, 2e-2), log=True)),
    _row("ndtri_exp-tail", lambda y: fsp.ndtri_exp(y), sc.ndtri_exp, _u((-40.0, -2.0))),
    _row("dawsn-large", lambda x: fsp.dawsn(x), sc.dawsn, _u((5.0, 50.0))),
    # --- logistic functions at large arguments and near the edges
    _row("expit-large", lambda x: fsp.expit(x), sc.expit, _u((-40.0, -20.0))),
    _row("logit-edges", lambda p: fsp.logit(p), sc.logit, _u((2e-3, 2e-2), log=True)),
    _row("log_expit-large", lambda x: fsp.log_expit(x), sc.log_expit, _u((-60.0, 60.0))),
    # --- x log y family near 0
    _row("xlogy-x-near-0", lambda x, y: fsp.xlogy(x, y), sc.xlogy, _u((1e-3, 1e-2), (0.1, 5.0))),
    _row("xlog1py-near-minus-1", lambda x, y: fsp.xlog1py(x, y), sc.xlog1py,
         _u((0.5, 2.0), (-0.999, -0.99))),
    _row("entr-near-0", lambda x: fsp.entr(x), sc.entr, _u((1e-3, 1e-2))),
    _row("rel_entr-near-0", lambda x, y: fsp.rel_entr(x, y), sc.rel_entr,
         _u((1e-3, 1e-2), (1e-3, 1e-2))),
    _row("kl_div-near-0", lambda x, y: fsp.kl_div(x, y), sc.kl_div,
         _u((1e-3, 1e-2), (1e-3, 1e-2))),
    _row("huber-both-sides", lambda d, r: fsp.huber(d, r), sc.huber, _u((0.5, 1.0), (1.3, 3.0))),
    _row("pseudo_huber-small-delta", lambda d, r: fsp.pseudo_huber(d, r), sc.pseudo_huber,
         _u((1e-2, 5e-2), (-2.0, 2.0))),
    # --- Bessel functions: near 0 and large arguments (orders held fixed)
    _row("i0e-large", lambda x: fsp.i0e(x), sc.i0e, _u((50.0, 700.0))),
    _row("i1e-large", lambda x: fsp.i1e(x), sc.i1e, _u((50.0, 700.0))),
    _row("i0-near-0", lambda x: fsp.i0(x), sc.i0, _u((-1e-2, 1e-2))),
    _row("i1-near-0", lambda x: fsp.i1(x), sc.i1, _u((-1e-2, 1e-2))),
    _row("k0e-large", lambda x: fsp.k0e(x), sc.k0e, _u((50.0, 700.0))),
    _row("k1e-large", lambda x: fsp.k1e(x), sc.k1e, _u((50.0, 700.0))),
    _row("k0-near-0", lambda x: fsp.k0(x), sc.k0, _u((1e-3, 1e-2))),
    _row("k1-near-0", lambda x: fsp.k1(x), sc.k1, _u((1e-2, 5e-2))),
    _row("j0-large", lambda x: fsp.j0(x), sc.j0, _u((100.0, 200.0))),
    _row("j1-large", lambda x: fsp.j1(x), sc.j1, _u((100.0, 200.0))),
    _row("y0-near-0", lambda x: fsp.y0(x), sc.y0, _u((1e-3, 1e-2))),
    _row("y1-large", lambda x: fsp.y1(x), sc.y1, _u((100.0, 200.0))),
    _row("iv-integer-order", lambda x: fsp.iv(2.0, x), lambda x: sc.iv(2.0, x),
         _u((1e-2, 5.0))),
    _row("ive-large", lambda x: fsp.ive(0.5, x), lambda x: sc.ive(0.5, x), _u((50.0, 500.0))),
    _row("kv-near-0", lambda x: fsp.kv(0.3, x), lambda x: sc.kv(0.3, x), _u((1e-2, 5e-2))),
    _row("kve-large", lambda x: fsp.kve(2.5, x), lambda x: sc.kve(2.5, x), _u((50.0, 500.0))),
    _row("jv-large", lambda x: fsp.jv(0.7, x), lambda x: sc.jv(0.7, x), _u((50.0, 100.0))),
    _row("yv-near-0", lambda x: fsp.yv(1.3, x), lambda x: sc.yv(1.3, x), _u((0.05, 0.2))),
    # --- zeta (Hurwitz, q perturbed), exponential integrals, Lambert W
    _row("zeta-q-large", lambda q: fsp.zeta(3.5, q), lambda q: sc.zeta(3.5, q),
         _u((20.0, 200.0))),
    _row("zeta-q-near-0", lambda q: fsp.zeta(2.0, q), lambda q: sc.zeta(2.0, q),
         _u((1e-2, 5e-2))),
    _row("expi-near-0", lambda x: fsp.expi(x), sc.expi, _u((1e-3, 1e-2))),
    _row("expi-large", lambda x: fsp.expi(x), sc.expi, _u((50.0, 600.0))),
    _row("exp1-near-0", lambda x: fsp.exp1(x), sc.exp1, _u((1e-3, 1e-2))),
    _row("exp1-large", lambda x: fsp.exp1(x), sc.exp1, _u((50.0, 600.0))),
    _row("expn-large", lambda x: fsp.expn(3, x), lambda x: sc.expn(3, x), _u((50.0, 600.0))),
    _row("lambertw-near-branch", lambda z: fsp.lambertw(z), sc.lambertw,
         _u((-0.3675, -0.35))),
    _row("lambertw-large", lambda z: fsp.lambertw(z), sc.lambertw,
         _u((1e2, 1e8), log=True)),
    # --- Owen's T, Box-Cox, combinatorics, Spence, sici, fresnel, wofz, hypergeometric
    _row("owens_t-large-a", lambda h, a: fsp.owens_t(h, a), sc.owens_t,
         _u((0.2, 1.5), (5.0, 50.0))),
    _row("boxcox-near-0-x", lambda x, lm: fsp.boxcox(x, lm), sc.boxcox,
         _u((1e-3, 1e-2), (-0.8, 0.8))),
    _row("boxcox1p-near-minus-1", lambda x, lm: fsp.boxcox1p(x, lm), sc.boxcox1p,
         _u((-0.99, -0.9), (-0.8, 0.8))),
    _row("inv_boxcox-large-lambda", lambda y, lm: fsp.inv_boxcox(y, lm), sc.inv_boxcox,
         _u((0.5, 3.0), (1.5, 3.0))),
    _row("factorial-large", lambda n: fsp.factorial(n), sc.factorial, _u((20.0, 150.0))),
    _row("comb-large", lambda n, k: fsp.comb(n, k), sc.comb, _u((40.0, 80.0), (5.0, 20.0))),
    _row("poch-negative-z", lambda z, m: fsp.poch(z, m), sc.poch,
         _u((-2.8, -2.2), (0.2, 1.5))),
    _row("spence-near-0", lambda z: fsp.spence(z), sc.spence, _u((1e-3, 1e-2))),
    _row("spence-large", lambda z: fsp.spence(z), sc.spence, _u((50.0, 1e3))),
    _row("sici-large", lambda x: fsp.sici(x), sc.sici, _u((50.0, 200.0))),
    _row("sici-near-0", lambda x: fsp.sici(x), sc.sici, _u((1e-3, 1e-2))),
    _row("fresnel-large", lambda z: fsp.fresnel(z), sc.fresnel, _u((5.0, 20.0))),
    _row("wofz-large", lambda z: fsp.wofz(z), sc.wofz, _complex((5.0, 30.0), (0.5, 5.0))),
    _row("hyp1f1-large-x", lambda x: fsp.hyp1f1(0.7, 1.9, x),
         lambda x: sc.hyp1f1(0.7, 1.9, x), _u((10.0, 30.0)), rtol=1e-10),
    _row("hyp2f1-near-1", lambda z: fsp.hyp2f1(0.6, 1.3, 2.1, z),
         lambda z: sc.hyp2f1(0.6, 1.3, 2.1, z), _u((0.9, 0.99)), rtol=1e-10),
    # parameter derivatives at awkward points: a negative (a polynomial at integers), large
    # |x| (Kummer's transformation for x < 0), z near 1 and far below -1 (Pfaff)
    _row("hyp1f1-params-negative-a", lambda a, x: fsp.hyp1f1(a, 1.7, x),
         lambda a, x: sc.hyp1f1(a, 1.7, x), _u((-3.5, -0.5), (-4.0, 4.0)), rtol=1e-10),
    _row("hyp1f1-params-large-x", lambda a, b, x: fsp.hyp1f1(a, b, x), sc.hyp1f1,
         _u((0.5, 2.0), (1.0, 3.0), (-40.0, -10.0)), rtol=1e-10),
    _row("hyp2f1-params-near-1", lambda a, b, c, z: fsp.hyp2f1(a, b, c, z), sc.hyp2f1,
         _u((0.3, 1.0), (0.5, 1.5), (2.6, 3.5), (0.85, 0.92)), rtol=1e-10),
    _row("hyp2f1-params-negative-z", lambda a, b, c, z: fsp.hyp2f1(a, b, c, z), sc.hyp2f1,
         _u((0.3, 1.5), (0.5, 1.5), (1.0, 3.0), (-6.0, -1.5)), rtol=1e-10),
    # zeta in the exponent near the pole and large, and the Riemann function left of 0
    _row("zeta-x-near-1", lambda x, q: fsp.zeta(x, q), sc.zeta, _u((1.02, 1.1), (0.5, 2.0))),
    _row("zeta-x-large", lambda x, q: fsp.zeta(x, q), sc.zeta, _u((20.0, 60.0), (0.8, 2.0))),
    _row("zeta-riemann-x-far-negative", lambda x: fsp.zeta(x), sc.zeta, _u((-30.0, -10.0))),
]
