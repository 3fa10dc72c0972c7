"""Multivariate families of ``fluxion.scipy.stats``, with ``scipy.stats``' multivariate API.

``multivariate_normal``, ``multivariate_t``, ``multinomial``, ``wishart``, ``invwishart`` and
``dirichlet``: each is one object whose methods take the point first and the parameters after
(positional or by keyword, as SciPy), and which, called with the parameters, gives a frozen
distribution. Points carry the event on the LAST axis (``(..., d) -> (...)``) except where SciPy
says otherwise (``dirichlet``: first axis; ``wishart``/``invwishart``: matrices stacked on the
last axis, ``(p, p, N)``). Results are squeezed as SciPy squeezes them.

Log-densities are written with fluxion operations, so they differentiate in the values and the
parameters (any order), batch and stage like any other fluxion code, and lower into the compiled
NUTS. Linear algebra, by case:

- a CONCRETE covariance (a NumPy array: the usual case of a fixed covariance) is factored once in
  NumPy exactly as SciPy does (symmetric eigendecomposition, SciPy's cutoff for negligible
  eigenvalues, pseudo-inverse and pseudo-determinant for ``allow_singular``); the density then
  only needs a matrix product with a constant factor, which lowers everywhere;
- a TRACED covariance/scale (a parameter being differentiated or sampled) uses ``slogdet`` and
  ``solve``/``inv``: exact derivative rules (``d log|S| = tr(S^-1 dS)``, ``d S^-1 = -S^-1 dS
  S^-1``) and primitives the tape machine and numba tier encode. A Cholesky form would be the
  natural choice, but ``cholesky`` and ``triangular_solve`` have no tape instruction yet
  (``codegen/lowering.py``), so a model using it would fall back to Python sampling;
- a traced scalar or 1-D (diagonal) covariance is handled elementwise.

Random variates are drawn by ``scipy.stats`` from concrete parameters (draws are data).
CDFs of the multivariate normal and t (SciPy: Genz's randomized quasi-Monte Carlo) are not
provided: they are neither deterministic nor differentiable in that form.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...backend import as_array
from ...core import Tracer
from ...numpy import core as fnp
from ...numpy import linalg as fla
from . import _special as fsp

__all__ = ["dirichlet", "invwishart", "multinomial", "multivariate_normal", "multivariate_t",
           "wishart"]

_LOG_2PI = float(np.log(2.0 * np.pi))
_LOG_2 = float(np.log(2.0))
_LOG_PI = float(np.log(np.pi))
_INF = float("inf")
_NAN = float("nan")


def _concrete(x: Any) -> bool:
    return not isinstance(x, Tracer)


def _squeeze(out: Any) -> Any:
    """SciPy's ``_squeeze_output``: drop every length-1 axis; a NumPy scalar for 0-d."""
    out = fnp.squeeze(out)
    if isinstance(out, np.ndarray) and out.ndim == 0:
        return out[()]
    return out


def _float(where: str, what: str, value: Any) -> Any:
    """``value`` as a float array (traced values pass through)."""
    if not _concrete(value):
        return value
    try:
        arr = as_array(value)  # a device array stays on its device
    except Exception as exc:
        raise TypeError(f"{where}: expected {what} as a number or an array of numbers, got "
                        f"{type(value).__name__}") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{where}: expected {what} as real numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _matmul(a: Any, b: Any) -> Any:
    return fla.matmul(a, b)


def _mT(a: Any) -> Any:  # noqa: N802
    return fnp.swapaxes(a, -1, -2)


# ---- the covariance of the normal and t families ----------------------------------------------


class _Cov:
    """What the densities need of a covariance (``d x d``, given as scalar, diagonal or matrix).

    ``rank``, ``log_pdet`` (log pseudo-determinant) and ``maha(dev)`` (the Mahalanobis form
    ``dev^T cov^+ dev`` over the last axis), plus ``outside(dev)``: points off the support of a
    singular covariance.
    """

    def __init__(self, cov: Any, dim: int, allow_singular: bool, where: str) -> None:
        self.dim = dim
        self.where = where
        nd = fnp.ndim(cov)
        if nd > 2:
            raise ValueError(f"{where}: expected cov as a scalar, a vector of length {dim} or a "
                             f"({dim}, {dim}) matrix, got shape {fnp.shape(cov)}")
        if nd == 2 and fnp.shape(cov) != (dim, dim):
            raise ValueError(f"{where}: expected cov of shape ({dim}, {dim}) (square, matching "
                             f"the mean), got shape {fnp.shape(cov)}")
        if nd == 1 and fnp.shape(cov) != (dim,):
            raise ValueError(f"{where}: expected a diagonal cov of length {dim}, got shape "
                             f"{fnp.shape(cov)}")
        self.kind = "concrete" if _concrete(cov) else ("diag" if nd < 2 else "matrix")
        self.U = self.V = None
        if self.kind == "concrete":
            c = np.asarray(cov, dtype=np.float64)
            c = c * np.eye(dim) if c.ndim == 0 else (np.diag(c) if c.ndim == 1 else c)
            if not np.all(np.isfinite(c)):
                raise ValueError(f"{where}: cov must be finite, got {c!r}")
            self.matrix = c
            s, u = np.linalg.eigh(c)  # the lower triangle, as SciPy's _PSD
            eps = 1e6 * np.finfo(np.float64).eps * np.max(np.abs(s))
            if np.min(s) < -eps:
                raise ValueError(f"{where}: the covariance matrix must be symmetric positive "
                                 f"semidefinite; its smallest eigenvalue is {np.min(s):.3g}")
            keep = s > eps
            if not np.all(keep) and not allow_singular:
                raise np.linalg.LinAlgError(
                    f"{where}: the covariance matrix is singular (numerical rank "
                    f"{int(keep.sum())} < {dim}); pass allow_singular=True for the degenerate "
                    "density on its support")
            s_pinv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
            self.U = u * np.sqrt(s_pinv)
            self.V = u[:, ~keep]
            self.eps = 1e3 * eps
            self.rank = int(keep.sum())
            self.log_pdet = float(np.sum(np.log(s[keep])))
        else:
            self.matrix = cov
            self.rank = dim
            if self.kind == "diag":
                self.diag = cov if nd == 1 else cov * np.ones(dim)
                pos = self.diag > 0  # a non-positive variance: NaN, without a log warning
                self.log_pdet = fnp.sum(fnp.where(pos, fnp.log(fnp.where(pos, self.diag, 1.0)),
                                                  _NAN))
            else:
                # a traced matrix cannot raise: a negative determinant (not positive definite)
                # gives NaN instead (an indefinite matrix with det > 0 is not detected)
                sign, logdet = fla.slogdet(cov)
                self.log_pdet = fnp.where(sign > 0, logdet, _NAN)

    def maha(self, dev: Any) -> Any:
        if self.kind == "concrete":
            return fnp.sum(fnp.square(_matmul(dev, self.U)), axis=-1)
        if self.kind == "diag":
            return fnp.sum(dev * dev / self.diag, axis=-1)
        lead = fnp.shape(dev)[:-1]
        flat = fnp.reshape(dev, (-1, self.dim))
        sol = fla.solve(self.matrix, _mT(flat))  # (d, n)
        return fnp.reshape(fnp.sum(_mT(flat) * sol, axis=0), lead)

    def outside(self, dev: Any) -> Any:
        """Boolean mask of points off the support (only for a singular concrete covariance)."""
        if self.V is None or self.V.shape[1] == 0:
            return None
        resid = fnp.sqrt(fnp.sum(fnp.square(_matmul(dev, self.V)), axis=-1))
        return resid >= self.eps


def _location(where: str, mean: Any, cov: Any, what: str = "mean") -> tuple[Any, int]:
    """The mean as a (d,) array and the dimension d, inferred as SciPy does."""
    if mean is None:
        if cov is None or fnp.ndim(cov) == 0:
            dim = 1
        else:
            dim = fnp.shape(cov)[0]
        return np.zeros(dim), dim
    mean = _float(where, what, mean)
    if fnp.ndim(mean) == 0:
        mean = fnp.reshape(mean, (1,))
    if fnp.ndim(mean) != 1:
        raise ValueError(f"{where}: expected {what} as a vector of shape (d,), got shape "
                         f"{fnp.shape(mean)}")
    return mean, fnp.shape(mean)[0]


def _points(where: str, x: Any, dim: int) -> Any:
    """Points with the components on the last axis (SciPy's ``_process_quantiles``)."""
    x = _float(where, "x", x)
    if fnp.ndim(x) == 0:
        x = fnp.reshape(x, (1,))
    if fnp.ndim(x) == 1:
        x = fnp.reshape(x, (-1, 1) if dim == 1 else (1, -1))
    if fnp.shape(x)[-1] != dim:
        raise ValueError(f"{where}: expected x with {dim} components on its last axis (shape "
                         f"(..., {dim})), got shape {fnp.shape(x)}")
    return x


# ---- multivariate normal ----------------------------------------------------------------------


class multivariate_normal_gen:
    """The multivariate normal distribution with ``scipy.stats.multivariate_normal``'s API.

    ``mean``: shape (d,) (default zeros); ``cov``: a scalar (``cov * I``), a vector (the
    diagonal) or a (d, d) symmetric positive (semi)definite matrix (default 1). Points ``x`` have
    shape (..., d); results have shape (...), squeezed as SciPy. A singular ``cov`` raises
    ``numpy.linalg.LinAlgError`` unless ``allow_singular=True`` (then the density is taken on the
    support, with the pseudo-determinant, and is ``-inf`` off it). Call with the parameters for a
    frozen distribution.

    These checks need a concrete ``cov``: a traced one (a parameter under ``grad``/``jit``/
    sampling) is taken as positive definite (``solve``/``slogdet``); a negative determinant gives
    NaN, and ``allow_singular`` has no effect on it. ``cdf``/``logcdf`` are not provided (SciPy
    integrates with Genz's randomized quasi-Monte Carlo: neither exact nor differentiable).
    """

    name = "multivariate_normal"

    def __call__(self, mean: Any = None, cov: Any = 1, allow_singular: bool = False,
                 seed: Any = None) -> multivariate_normal_frozen:
        return multivariate_normal_frozen(mean, cov, allow_singular, seed)

    def _params(self, method: str, mean: Any, cov: Any, allow_singular: bool):
        where = f"{self.name}.{method}"
        cov = _float(where, "cov", 1.0 if cov is None else cov)
        if mean is None and fnp.ndim(cov) >= 1:
            mean = np.zeros(fnp.shape(cov)[0])
        mean, dim = _location(where, mean, cov)
        return mean, _Cov(cov, dim, allow_singular, where)

    @staticmethod
    def _logpdf(x: Any, mean: Any, info: _Cov) -> Any:
        dev = x - mean
        out = -0.5 * (info.rank * _LOG_2PI + info.log_pdet + info.maha(dev))
        mask = info.outside(dev)
        if mask is not None:
            out = fnp.where(mask, -_INF, out)
        return out

    def logpdf(self, x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> Any:
        """Log of the density, ``-(rank log 2pi + log|cov| + dev^T cov^-1 dev) / 2``.

        Parameters
        ----------
        x : array_like, shape (..., d)
            Points, components on the last axis (for d = 1 a vector holds N points).
        mean : array_like, shape (d,), optional
            Default zeros.
        cov : array_like, shape (), (d,) or (d, d), optional
            Covariance (scalar times identity, diagonal, or matrix); default 1.
        allow_singular : bool, optional
            Accept a singular ``cov`` (pseudo-inverse and pseudo-determinant, as SciPy).

        Returns
        -------
        float or Array, shape (...), squeezed

        Raises
        ------
        ValueError
            Shapes that do not match, a cov that is not square or not positive semidefinite.
        numpy.linalg.LinAlgError
            A singular ``cov`` without ``allow_singular``.
        """
        mean, info = self._params("logpdf", mean, cov, allow_singular)
        x = _points(f"{self.name}.logpdf", x, info.dim)
        return _squeeze(self._logpdf(x, mean, info))

    def pdf(self, x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> Any:
        """Density, ``exp(logpdf)``; arguments and shapes as :meth:`logpdf`."""
        return _squeeze(fnp.exp(self.logpdf(x, mean, cov, allow_singular)))

    def entropy(self, mean: Any = None, cov: Any = 1) -> Any:
        """Differential entropy ``(rank (1 + log 2pi) + log|cov|) / 2`` (pseudo-determinant)."""
        _, info = self._params("entropy", mean, cov, True)
        return _squeeze(0.5 * (info.rank * (_LOG_2PI + 1.0) + info.log_pdet))

    def rvs(self, mean: Any = None, cov: Any = 1, size: Any = 1, random_state: Any = None) -> Any:
        """Random draws by ``scipy.stats.multivariate_normal`` (concrete parameters only)."""
        _no_traced(f"{self.name}.rvs", mean, cov)
        import scipy.stats
        return scipy.stats.multivariate_normal.rvs(mean, cov, size=size,
                                                   random_state=random_state)


class multivariate_normal_frozen:
    """A multivariate normal with fixed ``mean`` and ``cov`` (attributes ``mean``, ``cov``,
    ``dim``, ``allow_singular``); the covariance is factored once."""

    def __init__(self, mean: Any = None, cov: Any = 1, allow_singular: bool = False,
                 seed: Any = None) -> None:
        self._mean, self._info = multivariate_normal._params("__call__", mean, cov,
                                                             allow_singular)
        self.allow_singular = allow_singular
        self.random_state = seed
        self.dim = self._info.dim

    @property
    def mean(self) -> Any:
        return self._mean

    @property
    def cov(self) -> Any:
        info = self._info
        if info.kind == "diag":
            return fnp.diag(info.diag)
        return info.matrix

    def logpdf(self, x: Any) -> Any:
        x = _points("multivariate_normal.logpdf", x, self.dim)
        return _squeeze(multivariate_normal._logpdf(x, self._mean, self._info))

    def pdf(self, x: Any) -> Any:
        return _squeeze(fnp.exp(self.logpdf(x)))

    def entropy(self) -> Any:
        info = self._info
        return _squeeze(0.5 * (info.rank * (_LOG_2PI + 1.0) + info.log_pdet))

    def rvs(self, size: Any = 1, random_state: Any = None) -> Any:
        return multivariate_normal.rvs(self._mean, self.cov, size=size,
                                       random_state=self.random_state if random_state is None
                                       else random_state)


def _no_traced(where: str, *values: Any) -> None:
    for v in values:
        if not _concrete(v):
            raise TypeError(f"{where}: parameters must be concrete numbers to draw random "
                            "variates (draws are data, not differentiable); got a traced value")


multivariate_normal = multivariate_normal_gen()


# ---- multivariate t ---------------------------------------------------------------------------


class multivariate_t_gen:
    """The multivariate t distribution with ``scipy.stats.multivariate_t``'s API.

    ``loc``: shape (d,) (default zeros); ``shape``: the shape matrix, given as for
    ``multivariate_normal``'s ``cov``; ``df`` > 0 (default 1; ``inf`` gives the normal). Points
    have shape (..., d); results shape (...), squeezed. Call with the parameters for a frozen
    distribution.
    """

    name = "multivariate_t"

    def __call__(self, loc: Any = None, shape: Any = 1, df: Any = 1, allow_singular: bool = False,
                 seed: Any = None) -> multivariate_t_frozen:
        return multivariate_t_frozen(loc, shape, df, allow_singular, seed)

    def _params(self, method: str, loc: Any, shape: Any, df: Any, allow_singular: bool):
        where = f"{self.name}.{method}"
        shape = _float(where, "shape", 1.0 if shape is None else shape)
        if loc is None and fnp.ndim(shape) >= 1:
            loc = np.zeros(fnp.shape(shape)[0])
        loc, dim = _location(where, loc, shape, "loc")
        df = _float(where, "df", 1.0 if df is None else df)
        if fnp.ndim(df) != 0:
            raise ValueError(f"{where}: expected df as a scalar, got shape {fnp.shape(df)}")
        if _concrete(df) and not float(df) > 0:
            raise ValueError(f"{where}: df must be > 0, got {float(df)!r}")
        return loc, _Cov(shape, dim, allow_singular, where), df

    @staticmethod
    def _logpdf(x: Any, loc: Any, info: _Cov, df: Any) -> Any:
        if _concrete(df) and np.isinf(df):
            return multivariate_normal._logpdf(x, loc, info)
        dev = x - loc
        dim = info.rank
        t = 0.5 * (df + dim)
        out = (fsp.gammaln(t) - fsp.gammaln(0.5 * df) - 0.5 * dim * fnp.log(df * np.pi)
               - 0.5 * info.log_pdet - t * fnp.log1p(info.maha(dev) / df))
        mask = info.outside(dev)
        if mask is not None:
            out = fnp.where(mask, -_INF, out)
        return out

    def logpdf(self, x: Any, loc: Any = None, shape: Any = 1, df: Any = 1,
               allow_singular: bool = False) -> Any:
        """Log of the density.

        ``log G((df+d)/2) - log G(df/2) - d/2 log(df pi) - log|shape|/2
        - (df+d)/2 log1p(dev^T shape^-1 dev / df)``.

        Parameters
        ----------
        x : array_like, shape (..., d)
        loc : array_like, shape (d,), optional
        shape : array_like, shape (), (d,) or (d, d), optional
        df : float, optional
            Degrees of freedom, > 0; ``inf`` for the normal.
        allow_singular : bool, optional

        Returns
        -------
        float or Array, shape (...), squeezed
        """
        loc, info, df = self._params("logpdf", loc, shape, df, allow_singular)
        x = _points(f"{self.name}.logpdf", x, info.dim)
        return _squeeze(self._logpdf(x, loc, info, df))

    def pdf(self, x: Any, loc: Any = None, shape: Any = 1, df: Any = 1,
            allow_singular: bool = False) -> Any:
        """Density, ``exp(logpdf)``; arguments as :meth:`logpdf`."""
        return _squeeze(fnp.exp(self.logpdf(x, loc, shape, df, allow_singular)))

    @staticmethod
    def _entropy(info: _Cov, df: Any) -> Any:
        dim = info.dim
        shape_term = 0.5 * info.log_pdet
        if _concrete(df) and np.isinf(df):
            return 0.5 * (dim * (_LOG_2PI + 1.0) + info.log_pdet)
        half_sum = 0.5 * (dim + df)
        half_df = 0.5 * df
        regular = (-fsp.gammaln(half_sum) + fsp.gammaln(half_df)
                   + 0.5 * dim * fnp.log(df * np.pi)
                   + half_sum * (fsp.digamma(half_sum) - fsp.digamma(half_df)) + shape_term)
        # SciPy's asymptotic series for large df (its threshold; ~12 digits, gh-18465)
        threshold = dim * 100 * 4 / (np.log(dim) + 1)
        big = df >= threshold
        dfs = fnp.where(big, df, threshold)
        asym = (dim * 0.5 * (_LOG_2PI + 1.0) + dim / dfs
                - dim * (dim - 2) * dfs ** -2.0 / 4
                + dim ** 2 * (dim - 2) * dfs ** -3.0 / 6
                + dim * (-3 * dim ** 3 + 8 * dim ** 2 - 8) * dfs ** -4.0 / 24
                + dim ** 2 * (3 * dim ** 3 - 10 * dim ** 2 + 16) * dfs ** -5.0 / 30
                + shape_term)
        return fnp.where(big, asym, regular)

    def entropy(self, loc: Any = None, shape: Any = 1, df: Any = 1) -> Any:
        """Differential entropy (SciPy's formula, with its asymptotic series for large df)."""
        _, info, df = self._params("entropy", loc, shape, df, False)
        return _squeeze(self._entropy(info, df))

    def rvs(self, loc: Any = None, shape: Any = 1, df: Any = 1, size: Any = 1,
            random_state: Any = None) -> Any:
        """Random draws by ``scipy.stats.multivariate_t`` (concrete parameters only)."""
        _no_traced(f"{self.name}.rvs", loc, shape, df)
        import scipy.stats
        return scipy.stats.multivariate_t.rvs(loc, shape, df, size=size,
                                              random_state=random_state)


class multivariate_t_frozen:
    """A multivariate t with fixed ``loc``, ``shape``, ``df`` (attributes of those names)."""

    def __init__(self, loc: Any = None, shape: Any = 1, df: Any = 1, allow_singular: bool = False,
                 seed: Any = None) -> None:
        self.loc, self._info, self.df = multivariate_t._params("__call__", loc, shape, df,
                                                               allow_singular)
        self.dim = self._info.dim
        self.random_state = seed

    @property
    def shape(self) -> Any:
        info = self._info
        return fnp.diag(info.diag) if info.kind == "diag" else info.matrix

    def logpdf(self, x: Any) -> Any:
        x = _points("multivariate_t.logpdf", x, self.dim)
        return _squeeze(multivariate_t._logpdf(x, self.loc, self._info, self.df))

    def pdf(self, x: Any) -> Any:
        return _squeeze(fnp.exp(self.logpdf(x)))

    def entropy(self) -> Any:
        return _squeeze(multivariate_t._entropy(self._info, self.df))

    def rvs(self, size: Any = 1, random_state: Any = None) -> Any:
        return multivariate_t.rvs(self.loc, self.shape, self.df, size=size,
                                  random_state=self.random_state if random_state is None
                                  else random_state)


multivariate_t = multivariate_t_gen()


# ---- multinomial ------------------------------------------------------------------------------


class multinomial_gen:
    """The multinomial distribution with ``scipy.stats.multinomial``'s API.

    ``n``: number of trials (integer, broadcasting, shape (...)); ``p``: probabilities, shape
    (..., k), last axis summing to 1. Counts ``x`` have shape (..., k). Invalid ``n`` (< 0) or
    ``p`` (outside [0, 1]) give NaN; counts that are not non-negative integers summing to ``n``
    give ``-inf`` (``pmf`` 0), as SciPy. Differentiable in ``p``.
    """

    name = "multinomial"

    def __call__(self, n: Any, p: Any, seed: Any = None) -> multinomial_frozen:
        return multinomial_frozen(n, p, seed)

    def _params(self, method: str, n: Any, p: Any):
        where = f"{self.name}.{method}"
        if _concrete(n):
            n = np.asarray(n)
            if n.dtype.kind not in "biuf":
                raise TypeError(f"{where}: expected n as integers, got dtype {n.dtype}")
            n = n.astype(np.int64)
        p = _float(where, "p", p)
        if fnp.ndim(p) == 0:
            raise ValueError(f"{where}: expected p of shape (..., k) (probabilities on the last "
                             "axis), got a scalar")
        if _concrete(p):
            eps = np.finfo(np.float64).eps * 10
            s = np.sum(p, axis=-1)
            if np.any(np.abs(1.0 - s) > eps):  # SciPy completes the last component
                p = np.array(p, dtype=np.float64, copy=True)
                fix = np.abs(1.0 - s) > eps
                p[fix, -1] = (1.0 - p[..., :-1].sum(axis=-1))[fix]
        # min/max rather than any(): comparisons reduced by any() have no tape instruction
        bad_p = fnp.logical_or(fnp.min(p, axis=-1) < 0, fnp.max(p, axis=-1) > 1)
        bad = fnp.logical_or(bad_p, n < 0)
        return n, p, bad

    def logpmf(self, x: Any, n: Any, p: Any) -> Any:
        """Log of the probability mass, ``log n! + sum_i (x_i log p_i - log x_i!)``.

        Parameters
        ----------
        x : array_like, shape (..., k)
            Counts, components on the last axis.
        n : int or array_like of ints, shape (...)
        p : array_like, shape (..., k)

        Returns
        -------
        float or Array, the broadcast shape of ``x[..., 0]``, ``n`` and ``p[..., 0]``
        """
        where = f"{self.name}.logpmf"
        n, p, bad = self._params("logpmf", n, p)
        x = _float(where, "x", x)
        if fnp.ndim(x) == 0:
            raise ValueError(f"{where}: expected x as an array of counts (..., k), got a scalar")
        k = fnp.shape(p)[-1]
        if fnp.shape(x)[-1] != k:
            raise ValueError(f"{where}: expected x with {k} components on its last axis (as p), "
                             f"got shape {fnp.shape(x)}")
        xi = fnp.round(x)
        off = fnp.logical_or(fnp.max(fnp.abs(xi - x), axis=-1) > 0, fnp.min(x, axis=-1) < 0)
        off = fnp.logical_or(off, fnp.sum(x, axis=-1) != n)
        xs = fnp.where(x < 0, 0.0, x)  # keep gammaln finite off the support
        value = fsp.gammaln(n + 1.0) + fnp.sum(fsp.xlogy(xs, p) - fsp.gammaln(xs + 1.0), axis=-1)
        value = fnp.where(off, -_INF, value)
        return _finish(fnp.where(bad, _NAN, value))

    def pmf(self, x: Any, n: Any, p: Any) -> Any:
        """Probability mass, ``exp(logpmf)``; arguments as :meth:`logpmf`."""
        return _finish(fnp.exp(self.logpmf(x, n, p)))

    def mean(self, n: Any, p: Any) -> Any:
        """``n p``, shape (..., k)."""
        n, p, bad = self._params("mean", n, p)
        value = fnp.expand_dims(n, -1) * p
        return _finish(fnp.where(fnp.expand_dims(bad, -1), _NAN, value))

    def cov(self, n: Any, p: Any) -> Any:
        """``n (diag(p) - p p^T)``, shape (..., k, k)."""
        n, p, bad = self._params("cov", n, p)
        k = fnp.shape(p)[-1]
        pc = fnp.expand_dims(p, -1)
        value = fnp.expand_dims(fnp.expand_dims(n, -1), -1) * (pc * np.eye(k) - pc * _mT(pc))
        return _finish(fnp.where(fnp.expand_dims(fnp.expand_dims(bad, -1), -1), _NAN, value))

    def entropy(self, n: Any, p: Any) -> Any:
        """Shannon entropy (nats), SciPy's exact sum over the binomial marginals:
        ``-log n! - n sum p_i log p_i + sum_i sum_x Binom(x; n, p_i) log x!``."""
        if not _concrete(n):
            raise TypeError("multinomial.entropy: n (the number of trials) must be concrete "
                            "integers (the sum runs to max(n)), got a traced value")
        n, p, bad = self._params("entropy", n, p)
        top = int(np.max(n)) if n.size else 0
        xs = np.arange(1, max(top, 1) + 1, dtype=np.float64)  # (X,)
        nn = n[..., None, None].astype(np.float64)
        pp = fnp.expand_dims(p, -1)  # (..., k, 1)
        inside = xs <= nn
        xsafe = np.where(inside, xs, 0.0)
        pinner = fnp.where(fnp.logical_and(pp > 0, pp < 1), pp, 0.5)
        logb = (fsp.gammaln(nn + 1.0) - fsp.gammaln(xsafe + 1.0) - fsp.gammaln(nn - xsafe + 1.0)
                + fsp.xlogy(xsafe, pinner) + fsp.xlog1py(nn - xsafe, -pinner))
        b = fnp.where(inside, fnp.exp(logb), 0.0)
        # p_i in {0, 1}: the binomial is a point mass at 0 or n
        b = fnp.where(pp <= 0, 0.0, fnp.where(pp >= 1, (xs == nn) * 1.0, b))
        term2 = fnp.sum(b * fsp.gammaln(xs + 1.0), axis=(-2, -1))
        term1 = n * fnp.sum(fsp.entr(p), axis=-1) - fsp.gammaln(n + 1.0)
        return _finish(fnp.where(bad, _NAN, term1 + term2))

    def rvs(self, n: Any, p: Any, size: Any = None, random_state: Any = None) -> Any:
        """Random draws by ``scipy.stats.multinomial`` (concrete parameters only)."""
        _no_traced(f"{self.name}.rvs", n, p)
        import scipy.stats
        return scipy.stats.multinomial.rvs(n, p, size=size, random_state=random_state)


def _finish(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value[()]
    return value


class multinomial_frozen:
    """A multinomial with fixed ``n`` and ``p`` (attributes of those names)."""

    def __init__(self, n: Any, p: Any, seed: Any = None) -> None:
        multinomial._params("__call__", n, p)
        self.n, self.p = n, p
        self.random_state = seed

    def logpmf(self, x: Any) -> Any:
        return multinomial.logpmf(x, self.n, self.p)

    def pmf(self, x: Any) -> Any:
        return multinomial.pmf(x, self.n, self.p)

    def mean(self) -> Any:
        return multinomial.mean(self.n, self.p)

    def cov(self) -> Any:
        return multinomial.cov(self.n, self.p)

    def entropy(self) -> Any:
        return multinomial.entropy(self.n, self.p)

    def rvs(self, size: Any = 1, random_state: Any = None) -> Any:
        return multinomial.rvs(self.n, self.p, size=size,
                               random_state=self.random_state if random_state is None
                               else random_state)


multinomial = multinomial_gen()


# ---- Wishart and inverse Wishart --------------------------------------------------------------


def _pd_check(where: str, what: str, m: Any) -> None:
    """A concrete matrix (or stack, on the first axis) must be symmetric positive definite."""
    if not _concrete(m):
        return
    a = np.asarray(m)
    try:
        np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise ValueError(f"{where}: {what} must be symmetric positive definite") from None


class _WishartBase:
    name = ""

    def _params(self, method: str, df: Any, scale: Any):
        where = f"{self.name}.{method}"
        scale = _float(where, "scale", 1.0 if scale is None else scale)
        nd = fnp.ndim(scale)
        if nd == 0:
            scale = fnp.reshape(scale, (1, 1))
        elif nd == 1:
            scale = fnp.diag(scale)
        elif nd > 2 or fnp.shape(scale)[0] != fnp.shape(scale)[1]:
            raise ValueError(f"{where}: expected scale as a scalar, a diagonal vector or a square "
                             f"(p, p) matrix, got shape {fnp.shape(scale)}")
        dim = fnp.shape(scale)[0]
        df = _float(where, "df", dim if df is None else df)
        if fnp.ndim(df) != 0:
            raise ValueError(f"{where}: expected df as a scalar, got shape {fnp.shape(df)}")
        if _concrete(df) and not float(df) > dim - 1:
            raise ValueError(f"{where}: df must be greater than p - 1 = {dim - 1} (the dimension "
                             f"of scale minus 1), got {float(df)!r}")
        _pd_check(where, "scale", scale)
        return dim, df, scale

    def _quantiles(self, where: str, x: Any, dim: int) -> Any:
        """SciPy's layout (p, p), (p, p, N) (and scalars/vectors) -> a stack (N, p, p)."""
        x = _float(where, "x", x)
        nd = fnp.ndim(x)
        if nd == 0:
            x = fnp.reshape(x, (1, 1, 1)) * np.eye(dim)[None]
        elif nd == 1:
            x = (fnp.reshape(x, (-1, 1, 1)) if dim == 1 else fnp.expand_dims(fnp.diag(x), 0))
        elif nd == 2:
            if fnp.shape(x)[0] != fnp.shape(x)[1]:
                raise ValueError(f"{where}: expected x square (p, p) or stacked (p, p, N), got "
                                 f"shape {fnp.shape(x)}")
            x = fnp.expand_dims(x, 0)
        elif nd == 3:
            if fnp.shape(x)[0] != fnp.shape(x)[1]:
                raise ValueError(f"{where}: expected x square in its first two axes (p, p, N), "
                                 f"got shape {fnp.shape(x)}")
            x = fnp.moveaxis(x, -1, 0)
        else:
            raise ValueError(f"{where}: expected x of shape (p, p) or (p, p, N), got shape "
                             f"{fnp.shape(x)}")
        if fnp.shape(x)[1:] != (dim, dim):
            raise ValueError(f"{where}: expected matrices of shape ({dim}, {dim}) as scale, got "
                             f"shape {fnp.shape(x)[1:]}")
        _pd_check(where, "every x", x)
        return x

    def pdf(self, x: Any, df: Any, scale: Any) -> Any:
        """Density, ``exp(logpdf)``; arguments as :meth:`logpdf`."""
        return _squeeze(fnp.exp(self.logpdf(x, df, scale)))

    def rvs(self, df: Any, scale: Any, size: Any = 1, random_state: Any = None) -> Any:
        """Random draws by ``scipy.stats`` (concrete parameters only)."""
        _no_traced(f"{self.name}.rvs", df, scale)
        import scipy.stats
        return getattr(scipy.stats, self.name).rvs(float(df), scale, size=size,
                                                   random_state=random_state)

    def __call__(self, df: Any = None, scale: Any = None, seed: Any = None) -> _WishartFrozen:
        return _WishartFrozen(self, df, scale, seed)


def _logdet(m: Any) -> Any:
    """log|m| of a matrix or a stack (N, p, p); NumPy for concrete input. A traced stack is
    taken one matrix at a time (the tape machine encodes 2-D ``slogdet`` only)."""
    if _concrete(m):
        return np.linalg.slogdet(np.asarray(m))[1]
    if fnp.ndim(m) == 2:
        sign, logdet = fla.slogdet(m)
        return fnp.where(sign > 0, logdet, _NAN)  # not positive definite: NaN (see _Cov)
    return fnp.stack([_logdet(m[i]) for i in range(fnp.shape(m)[0])])


def _inv(m: Any) -> Any:
    """Inverse of a matrix or a stack (N, p, p), as :func:`_logdet`."""
    if _concrete(m):
        return np.linalg.inv(np.asarray(m))
    if fnp.ndim(m) == 2:
        return fla.inv(m)
    return fnp.stack([fla.inv(m[i]) for i in range(fnp.shape(m)[0])])


class wishart_gen(_WishartBase):
    """The Wishart distribution with ``scipy.stats.wishart``'s API.

    ``df`` > p - 1 (scalar), ``scale``: (p, p) symmetric positive definite (a scalar or a vector
    is taken as a diagonal, as SciPy). Points ``x``: one (p, p) matrix or SciPy's stack
    (p, p, N); results shape (N,) squeezed. Differentiable in ``x``, ``df`` and ``scale``.
    """

    name = "wishart"

    def logpdf(self, x: Any, df: Any, scale: Any) -> Any:
        """Log-density.

        ``(df-p-1)/2 log|x| - tr(scale^-1 x)/2 - df p/2 log 2 - df/2 log|scale|
        - log Gamma_p(df/2)``.

        Parameters
        ----------
        x : array_like, shape (p, p) or (p, p, N)
            Symmetric positive definite matrices (SciPy's layout).
        df : float
            Degrees of freedom, > p - 1.
        scale : array_like, shape (p, p)

        Returns
        -------
        float or Array, shape (N,), squeezed
        """
        where = f"{self.name}.logpdf"
        dim, df, scale = self._params("logpdf", df, scale)
        x = self._quantiles(where, x, dim)
        inv_scale = _inv(scale)
        tr = fnp.sum(fnp.sum(inv_scale * _mT(x), axis=-1), axis=-1)
        out = (0.5 * (df - dim - 1) * _logdet(x) - 0.5 * tr
               - 0.5 * df * dim * _LOG_2 - 0.5 * df * _logdet(scale)
               - fsp.multigammaln(0.5 * df, dim))
        return _squeeze(out)

    def mean(self, df: Any, scale: Any) -> Any:
        """``df * scale``, shape (p, p)."""
        _, df, scale = self._params("mean", df, scale)
        return _squeeze(df * scale)

    def mode(self, df: Any, scale: Any) -> Any:
        """``(df - p - 1) * scale`` where ``df >= p + 1``, else None (NaN when df is traced)."""
        dim, df, scale = self._params("mode", df, scale)
        if _concrete(df) and df < dim + 1:
            return None
        out = (df - dim - 1) * scale
        return _squeeze(out if _concrete(df) else fnp.where(df >= dim + 1, out, _NAN))

    def var(self, df: Any, scale: Any) -> Any:
        """Element variances ``df (scale_ij^2 + scale_ii scale_jj)``, shape (p, p)."""
        _, df, scale = self._params("var", df, scale)
        d = fnp.diagonal(scale)
        return _squeeze(df * (scale * scale + fnp.expand_dims(d, 1) * fnp.expand_dims(d, 0)))

    def entropy(self, df: Any, scale: Any) -> Any:
        """Differential entropy (SciPy's closed form)."""
        dim, df, scale = self._params("entropy", df, scale)
        psis = sum(fsp.digamma(0.5 * (df + 1 - (i + 1))) for i in range(dim))
        return _squeeze(0.5 * (dim + 1) * _logdet(scale) + 0.5 * dim * (dim + 1) * _LOG_2
                        + fsp.multigammaln(0.5 * df, dim) - 0.5 * (df - dim - 1) * psis
                        + 0.5 * df * dim)


class invwishart_gen(_WishartBase):
    """The inverse Wishart distribution with ``scipy.stats.invwishart``'s API.

    Parameters and layout as :class:`wishart_gen`. Differentiable in ``x``, ``df`` and
    ``scale``.
    """

    name = "invwishart"

    def logpdf(self, x: Any, df: Any, scale: Any) -> Any:
        """Log-density.

        ``df/2 log|scale| - df p/2 log 2 - log Gamma_p(df/2) - (df+p+1)/2 log|x|
        - tr(scale x^-1)/2``; arguments and shapes as :meth:`wishart_gen.logpdf`.
        """
        where = f"{self.name}.logpdf"
        dim, df, scale = self._params("logpdf", df, scale)
        x = self._quantiles(where, x, dim)
        inv_x = _inv(x)
        tr = fnp.sum(fnp.sum(scale * _mT(inv_x), axis=-1), axis=-1)
        out = (0.5 * df * _logdet(scale) - 0.5 * df * dim * _LOG_2
               - fsp.multigammaln(0.5 * df, dim) - 0.5 * (df + dim + 1) * _logdet(x) - 0.5 * tr)
        return _squeeze(out)

    def mean(self, df: Any, scale: Any) -> Any:
        """``scale / (df - p - 1)`` where ``df > p + 1``, else None (NaN when df is traced)."""
        dim, df, scale = self._params("mean", df, scale)
        if _concrete(df) and df <= dim + 1:
            return None
        out = scale / (df - dim - 1)
        return _squeeze(out if _concrete(df) else fnp.where(df > dim + 1, out, _NAN))

    def mode(self, df: Any, scale: Any) -> Any:
        """``scale / (df + p + 1)``."""
        dim, df, scale = self._params("mode", df, scale)
        return _squeeze(scale / (df + dim + 1))

    def var(self, df: Any, scale: Any) -> Any:
        """Element variances where ``df > p + 3`` (else None; NaN when df is traced)::

            ((df-p+1) scale_ij^2 + (df-p-1) scale_ii scale_jj) / ((df-p) (df-p-1)^2 (df-p-3))
        """
        dim, df, scale = self._params("var", df, scale)
        if _concrete(df) and df <= dim + 3:
            return None
        d = fnp.diagonal(scale)
        out = ((df - dim + 1) * scale * scale
               + (df - dim - 1) * fnp.expand_dims(d, 1) * fnp.expand_dims(d, 0))
        out = out / ((df - dim) * (df - dim - 1) ** 2 * (df - dim - 3))
        return _squeeze(out if _concrete(df) else fnp.where(df > dim + 3, out, _NAN))

    def entropy(self, df: Any, scale: Any) -> Any:
        """Differential entropy (SciPy's closed form)."""
        dim, df, scale = self._params("entropy", df, scale)
        psis = sum(fsp.digamma(0.5 * (df - dim + i)) for i in range(1, dim + 1))
        return _squeeze(fsp.multigammaln(0.5 * df, dim) + 0.5 * dim * df
                        + 0.5 * (dim + 1) * (_logdet(scale) - _LOG_2)
                        - 0.5 * (df + dim + 1) * psis)


class _WishartFrozen:
    """A (inverse) Wishart with fixed ``df`` and ``scale`` (attributes ``df``, ``scale``,
    ``dim``)."""

    def __init__(self, family: _WishartBase, df: Any, scale: Any, seed: Any) -> None:
        self._family = family
        self.dim, self.df, self.scale = family._params("__call__", df, scale)
        self.random_state = seed

    def logpdf(self, x: Any) -> Any:
        return self._family.logpdf(x, self.df, self.scale)

    def pdf(self, x: Any) -> Any:
        return self._family.pdf(x, self.df, self.scale)

    def mean(self) -> Any:
        return self._family.mean(self.df, self.scale)

    def mode(self) -> Any:
        return self._family.mode(self.df, self.scale)

    def var(self) -> Any:
        return self._family.var(self.df, self.scale)

    def entropy(self) -> Any:
        return self._family.entropy(self.df, self.scale)

    def rvs(self, size: Any = 1, random_state: Any = None) -> Any:
        return self._family.rvs(self.df, self.scale, size=size,
                                random_state=self.random_state if random_state is None
                                else random_state)


wishart = wishart_gen()
invwishart = invwishart_gen()


# ---- Dirichlet --------------------------------------------------------------------------------


class dirichlet_gen:
    """The Dirichlet distribution with ``scipy.stats.dirichlet``'s conventions.

    ``x`` holds the K components along its FIRST axis (SciPy's layout): shape (K,) for one point
    or (K, N) for N points; K - 1 components are completed with ``1 - sum``. ``alpha``: shape
    (K,), positive. Call it with ``alpha`` for a frozen distribution.
    """

    name = "dirichlet"

    def __call__(self, alpha: Any, seed: Any = None) -> dirichlet_frozen:
        return dirichlet_frozen(self._alpha(alpha, "__call__"), seed)

    @staticmethod
    def _alpha(alpha: Any, name: str) -> Any:
        alpha = _float(f"dirichlet.{name}", "alpha", alpha)
        if fnp.ndim(alpha) != 1:
            raise ValueError(f"dirichlet.{name}: expected alpha of shape (K,), got shape "
                             f"{fnp.shape(alpha)}")
        if _concrete(alpha) and not np.all(np.asarray(alpha) > 0):
            raise ValueError(f"dirichlet.{name}: every alpha must be > 0, got {alpha!r}")
        return alpha

    def _x(self, x: Any, alpha: Any, name: str) -> Any:
        x = _float(f"dirichlet.{name}", "x", x)
        k = fnp.shape(alpha)[0]
        if fnp.ndim(x) not in (1, 2) or fnp.shape(x)[0] not in (k, k - 1):
            raise ValueError(f"dirichlet.{name}: expected x of shape ({k},) or ({k}, N) (the "
                             f"components along the first axis), got shape {fnp.shape(x)}")
        if fnp.shape(x)[0] == k - 1:  # SciPy completes the last component
            x = fnp.concatenate([x, fnp.expand_dims(1.0 - fnp.sum(x, axis=0), 0)], axis=0)
        if _concrete(x):
            xa = np.asarray(x)
            if np.any(xa < 0) or np.any(xa > 1) or not np.allclose(xa.sum(axis=0), 1.0):
                raise ValueError(f"dirichlet.{name}: x must lie on the simplex (entries in "
                                 "[0, 1] summing to 1 along the first axis)")
        return x

    def logpdf(self, x: Any, alpha: Any) -> Any:
        """Log-density: ``sum_k (alpha_k - 1) log x_k - log B(alpha)``.

        Parameters
        ----------
        x : array_like, shape (K,) or (K, N)
            Points on the simplex, components along the first axis.
        alpha : array_like, shape (K,)
            Concentrations, positive.

        Returns
        -------
        float or Array, shape () or (N,)
        """
        alpha = self._alpha(alpha, "logpdf")
        x = self._x(x, alpha, "logpdf")
        a = alpha if fnp.ndim(x) == 1 else fnp.expand_dims(alpha, 1)
        log_beta = fnp.sum(fsp.gammaln(alpha)) - fsp.gammaln(fnp.sum(alpha))
        return _finish(fnp.sum(fsp.xlogy(a - 1.0, x), axis=0) - log_beta)

    def pdf(self, x: Any, alpha: Any) -> Any:
        """Density, ``exp(logpdf(x, alpha))``; shapes as :meth:`logpdf`."""
        return _finish(fnp.exp(self.logpdf(x, alpha)))

    def mean(self, alpha: Any) -> Any:
        """``alpha / sum(alpha)``, shape (K,)."""
        alpha = self._alpha(alpha, "mean")
        return alpha / fnp.sum(alpha)

    def var(self, alpha: Any) -> Any:
        """Marginal variances ``a_k (a0 - a_k) / (a0^2 (a0 + 1))``, shape (K,)."""
        alpha = self._alpha(alpha, "var")
        a0 = fnp.sum(alpha)
        return alpha * (a0 - alpha) / (a0 * a0 * (a0 + 1.0))

    def cov(self, alpha: Any) -> Any:
        """Covariance ``(diag(m) - m m^T) / (a0 + 1)`` with ``m = alpha / a0``, shape (K, K)."""
        alpha = self._alpha(alpha, "cov")
        a0 = fnp.sum(alpha)
        m = alpha / a0
        k = fnp.shape(alpha)[0]
        mc = fnp.expand_dims(m, 1)
        return (mc * np.eye(k) - mc * fnp.expand_dims(m, 0)) / (a0 + 1.0)

    def entropy(self, alpha: Any) -> Any:
        """Differential entropy ``log B(a) + (a0 - K) psi(a0) - sum (a_k - 1) psi(a_k)``."""
        alpha = self._alpha(alpha, "entropy")
        a0 = fnp.sum(alpha)
        k = fnp.shape(alpha)[0]
        log_beta = fnp.sum(fsp.gammaln(alpha)) - fsp.gammaln(a0)
        return _finish(log_beta + (a0 - k) * fsp.digamma(a0)
                       - fnp.sum((alpha - 1.0) * fsp.digamma(alpha)))

    def rvs(self, alpha: Any, size: Any = 1, random_state: Any = None) -> Any:
        """Random draws by ``scipy.stats.dirichlet`` (concrete ``alpha`` only), shape
        ``size + (K,)``."""
        _no_traced("dirichlet.rvs", alpha)
        import scipy.stats
        return scipy.stats.dirichlet.rvs(alpha, size=size, random_state=random_state)


class dirichlet_frozen:
    """A Dirichlet with fixed ``alpha`` (attribute ``alpha``)."""

    def __init__(self, alpha: Any, seed: Any = None) -> None:
        self.alpha = alpha
        self.random_state = seed

    def logpdf(self, x: Any) -> Any:
        return dirichlet.logpdf(x, self.alpha)

    def pdf(self, x: Any) -> Any:
        return dirichlet.pdf(x, self.alpha)

    def mean(self) -> Any:
        return dirichlet.mean(self.alpha)

    def var(self) -> Any:
        return dirichlet.var(self.alpha)

    def cov(self) -> Any:
        return dirichlet.cov(self.alpha)

    def entropy(self) -> Any:
        return dirichlet.entropy(self.alpha)

    def rvs(self, size: Any = 1, random_state: Any = None) -> Any:
        return dirichlet.rvs(self.alpha, size=size,
                             random_state=self.random_state if random_state is None
                             else random_state)


dirichlet = dirichlet_gen()
