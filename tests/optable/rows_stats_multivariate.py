"""Op-table rows for the multivariate families of ``fluxion.scipy.stats`` (prefix ``sm2-``).

Every float argument is perturbed by the derivative columns, so the rows pass parameters that
stay valid under ANY small perturbation: a covariance is built inside ``fn`` as
``L L^T + d I`` from a free matrix ``L`` (a symmetric positive definite matrix for every ``L``),
multinomial probabilities as ``w / sum(w)`` from positive weights, Dirichlet points by their
first K - 1 components (SciPy completes the last). Wishart matrices are passed directly: their
log-density (``slogdet``, ``inv``, traces) is defined for any nearby matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as ss

import fluxion.numpy as fnp
import fluxion.scipy.stats as fst
from optable import OpCase

D = 3


def _spd(L):
    """``L L^T + d I`` with fluxion (traced or not) or NumPy."""
    return fnp.matmul(L, fnp.swapaxes(L, -1, -2)) + D * np.eye(D)


def _spd_np(L):
    return L @ L.T + D * np.eye(D)


def _mvn_args(rng):
    return (rng.normal(size=(4, D)), rng.normal(size=D), rng.normal(size=(D, D)))


def _wishart_x(rng, n=3):
    a = rng.normal(size=(n, D, D))
    return np.moveaxis(a @ np.swapaxes(a, -1, -2) + np.eye(D), 0, -1)  # (D, D, n)


def _scale(rng):
    a = rng.normal(size=(D, D))
    return a @ a.T + D * np.eye(D)


def _weights(rng, shape=(D,)):
    return rng.uniform(0.5, 2.0, shape)


_TOL = dict(rtol=1e-10, atol=1e-12)

ROWS = [
    # ---- multivariate normal
    OpCase("sm2-multivariate_normal-logpdf",
           lambda x, m, L: fst.multivariate_normal.logpdf(x, m, _spd(L)),
           lambda x, m, L: ss.multivariate_normal.logpdf(x, m, _spd_np(L)), _mvn_args, **_TOL),
    OpCase("sm2-multivariate_normal-pdf",
           lambda x, m, L: fst.multivariate_normal.pdf(x, m, _spd(L)),
           lambda x, m, L: ss.multivariate_normal.pdf(x, m, _spd_np(L)), _mvn_args, **_TOL),
    OpCase("sm2-multivariate_normal-logpdf-diag",
           lambda x, m, v: fst.multivariate_normal.logpdf(x, m, v),
           lambda x, m, v: ss.multivariate_normal.logpdf(x, m, v),
           lambda rng: (rng.normal(size=(4, D)), rng.normal(size=D), rng.uniform(0.5, 2, D)),
           **_TOL),
    OpCase("sm2-multivariate_normal-logpdf-scalar-cov",
           lambda x, m, v: fst.multivariate_normal.logpdf(x, m, v),
           lambda x, m, v: ss.multivariate_normal.logpdf(x, m, v),
           lambda rng: (rng.normal(size=(4, D)), rng.normal(size=D), np.float64(1.7)), **_TOL),
    OpCase("sm2-multivariate_normal-entropy",
           lambda m, L: fst.multivariate_normal.entropy(m, _spd(L)),
           lambda m, L: ss.multivariate_normal.entropy(m, _spd_np(L)),
           lambda rng: (rng.normal(size=D), rng.normal(size=(D, D))), **_TOL),
    OpCase("sm2-multivariate_normal-frozen-logpdf",
           lambda x, m, L: fst.multivariate_normal(m, _spd(L)).logpdf(x),
           lambda x, m, L: ss.multivariate_normal(m, _spd_np(L)).logpdf(x), _mvn_args, **_TOL),
    # ---- multivariate t
    OpCase("sm2-multivariate_t-logpdf",
           lambda x, m, L, df: fst.multivariate_t.logpdf(x, m, _spd(L), df),
           lambda x, m, L, df: ss.multivariate_t.logpdf(x, m, _spd_np(L), df),
           lambda rng: _mvn_args(rng) + (np.float64(rng.uniform(1.5, 8.0)),), **_TOL),
    OpCase("sm2-multivariate_t-pdf",
           lambda x, m, L, df: fst.multivariate_t.pdf(x, m, _spd(L), df),
           lambda x, m, L, df: ss.multivariate_t.pdf(x, m, _spd_np(L), df),
           lambda rng: _mvn_args(rng) + (np.float64(rng.uniform(1.5, 8.0)),), **_TOL),
    OpCase("sm2-multivariate_t-entropy",
           lambda m, L, df: fst.multivariate_t.entropy(m, _spd(L), df),
           lambda m, L, df: ss.multivariate_t.entropy(m, _spd_np(L), df),
           lambda rng: (rng.normal(size=D), rng.normal(size=(D, D)),
                        np.float64(rng.uniform(1.5, 8.0))), **_TOL),
    OpCase("sm2-multivariate_t-frozen-logpdf",
           lambda x, m, L, df: fst.multivariate_t(m, _spd(L), df).logpdf(x),
           lambda x, m, L, df: ss.multivariate_t(m, _spd_np(L), df).logpdf(x),
           lambda rng: _mvn_args(rng) + (np.float64(rng.uniform(1.5, 8.0)),), **_TOL),
    # ---- multinomial (counts and n are integers, held fixed; p = w / sum(w))
    OpCase("sm2-multinomial-logpmf",
           lambda x, n, w: fst.multinomial.logpmf(x, n, w / fnp.sum(w, axis=-1, keepdims=True)),
           lambda x, n, w: ss.multinomial.logpmf(x, n, w / w.sum(-1, keepdims=True)),
           lambda rng: (np.array([[1, 2, 4], [0, 7, 0], [3, 3, 1]]), 7, _weights(rng)), **_TOL),
    OpCase("sm2-multinomial-pmf",
           lambda x, n, w: fst.multinomial.pmf(x, n, w / fnp.sum(w, axis=-1, keepdims=True)),
           lambda x, n, w: ss.multinomial.pmf(x, n, w / w.sum(-1, keepdims=True)),
           lambda rng: (np.array([[1, 2, 4], [0, 7, 0], [3, 3, 1]]), 7, _weights(rng)), **_TOL),
    OpCase("sm2-multinomial-mean",
           lambda n, w: fst.multinomial.mean(n, w / fnp.sum(w, axis=-1, keepdims=True)),
           lambda n, w: ss.multinomial.mean(n, w / w.sum(-1, keepdims=True)),
           lambda rng: (np.array([4, 9]), _weights(rng, (2, D))), **_TOL),
    OpCase("sm2-multinomial-cov",
           lambda n, w: fst.multinomial.cov(n, w / fnp.sum(w, axis=-1, keepdims=True)),
           lambda n, w: ss.multinomial.cov(n, w / w.sum(-1, keepdims=True)),
           lambda rng: (np.array([4, 9]), _weights(rng, (2, D))), **_TOL),
    OpCase("sm2-multinomial-entropy",
           # n fixed in the function: the sum runs to max(n), so n must be concrete (not
           # traced by jit); it is an integer, never differentiated anyway
           lambda w: fst.multinomial.entropy(np.array([4, 9]),
                                             w / fnp.sum(w, axis=-1, keepdims=True)),
           lambda w: ss.multinomial.entropy(np.array([4, 9]), w / w.sum(-1, keepdims=True)),
           lambda rng: (_weights(rng, (2, D)),), **_TOL),
    # ---- dirichlet (x: the first K - 1 components, (K - 1, N))
    OpCase("sm2-dirichlet-logpdf",
           lambda x, a: fst.dirichlet.logpdf(x, a), lambda x, a: ss.dirichlet.logpdf(x, a),
           lambda rng: (rng.dirichlet(np.ones(D), size=4).T[:-1], rng.uniform(0.5, 3.0, D)),
           **_TOL),
    OpCase("sm2-dirichlet-pdf",
           lambda x, a: fst.dirichlet.pdf(x, a), lambda x, a: ss.dirichlet.pdf(x, a),
           lambda rng: (rng.dirichlet(np.ones(D), size=4).T[:-1], rng.uniform(0.5, 3.0, D)),
           **_TOL),
    *[OpCase(f"sm2-dirichlet-{meth}", lambda a, meth=meth: getattr(fst.dirichlet, meth)(a),
             lambda a, meth=meth: getattr(ss.dirichlet, meth)(a),
             lambda rng: (rng.uniform(0.5, 3.0, D),), **_TOL)
      for meth in ("mean", "var", "cov", "entropy")],
]

for _fam in ("wishart", "invwishart"):
    ROWS += [
        OpCase(f"sm2-{_fam}-logpdf",
               lambda x, df, s, f=_fam: getattr(fst, f).logpdf(x, df, s),
               lambda x, df, s, f=_fam: getattr(ss, f).logpdf(x, df, s),
               lambda rng: (_wishart_x(rng), np.float64(rng.uniform(7.0, 10.0)), _scale(rng)),
               **_TOL),
        OpCase(f"sm2-{_fam}-logpdf-one",
               lambda x, df, s, f=_fam: getattr(fst, f).logpdf(x, df, s),
               lambda x, df, s, f=_fam: getattr(ss, f).logpdf(x, df, s),
               lambda rng: (_wishart_x(rng, 1)[..., 0], np.float64(rng.uniform(7.0, 10.0)),
                            _scale(rng)), **_TOL),
        OpCase(f"sm2-{_fam}-pdf",
               lambda x, df, s, f=_fam: getattr(fst, f).pdf(x, df, s),
               lambda x, df, s, f=_fam: getattr(ss, f).pdf(x, df, s),
               lambda rng: (_wishart_x(rng, 1)[..., 0], np.float64(rng.uniform(7.0, 10.0)),
                            np.eye(D) + 0.1 * _scale(rng)), rtol=1e-10, atol=1e-300),
        *[OpCase(f"sm2-{_fam}-{meth}",
                 lambda df, s, f=_fam, meth=meth: getattr(getattr(fst, f), meth)(df, s),
                 lambda df, s, f=_fam, meth=meth: getattr(getattr(ss, f), meth)(df, s),
                 lambda rng: (np.float64(rng.uniform(7.0, 10.0)), _scale(rng)), **_TOL)
          for meth in ("mean", "var", "mode", "entropy")],
    ]
