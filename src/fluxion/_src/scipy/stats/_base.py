"""The machinery every univariate family of ``fluxion.scipy.stats`` shares.

A family is one class that states its maths in STANDARD form (``loc = 0``, ``scale = 1``) on
arguments that are already valid: ``_logpdf(x, *shapes)``, ``_cdf``, ``_ppf``, ... . The base
classes here do what SciPy's ``rv_continuous`` / ``rv_discrete`` do around that: parse the
arguments with SciPy's conventions (shape parameters first, then ``loc`` and ``scale``,
positional or by keyword; frozen or not), standardize ``x = (y - loc) / scale``, broadcast, and
give SciPy's answers outside the domain: NaN for invalid parameters, the limits outside the
support (``logpdf = -inf``, ``cdf`` 0 or 1), NaN for ``ppf`` of a probability outside [0, 1].

Everything is written with ``fluxion.numpy`` operations, so every method differentiates in the
values and in the parameters (any order), batches under ``vmap``, stages under ``jit`` and
lowers into the compiled NUTS. Out-of-domain branches are computed on a SAFE stand-in
(``_safe``: the "double where" trick) so that their derivatives are exactly zero, never NaN.

Adding a family: subclass ``rv_continuous`` (or ``rv_discrete``), set ``name``, ``shapes``,
``_support`` / ``_argcheck`` / ``_safe_shapes`` where they differ from the defaults, and write
the standard-form methods that have closed forms; the defaults derive the rest (``pdf`` from
``logpdf``, ``sf`` from ``cdf``, ``isf`` from ``ppf``, ``std`` from ``var``, ...).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...backend import as_array
from ...core import Tracer
from ...numpy import core as fnp

__all__ = ["rv_continuous", "rv_discrete", "rv_frozen"]

_NAN = float("nan")
_INF = float("inf")


def _is_traced(x: Any) -> bool:
    return isinstance(x, Tracer)


def _finish(value: Any) -> Any:
    """SciPy returns a NumPy scalar, not a 0-d array, for scalar input."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value[()]
    return value


def _safe(ok: Any, value: Any, stand_in: Any) -> Any:
    """``value`` where ``ok``, else ``stand_in``: inputs of a branch that must stay finite."""
    return fnp.where(ok, value, stand_in)


class _Family:
    """What the continuous and discrete bases share: names, argument parsing, domain masks."""

    name: str = ""
    shapes: tuple[str, ...] = ()
    # Standard-form support; methods may override _support() when it depends on the shapes.
    a: float = -_INF
    b: float = _INF
    has_scale = True

    # ---- family hooks (standard form) ---------------------------------------------------------

    def _argcheck(self, *shapes: Any) -> Any:
        """Valid shape parameters (default: every shape parameter > 0)."""
        ok = True
        for s in shapes:
            ok = fnp.logical_and(ok, s > 0)
        return ok

    def _safe_shapes(self) -> tuple[float, ...]:
        """A valid value of each shape parameter, substituted where the given one is invalid."""
        return (1.0,) * len(self.shapes)

    def _support(self, *shapes: Any) -> tuple[Any, Any]:
        return self.a, self.b

    # ---- argument parsing (SciPy's conventions) ------------------------------------------------

    def _param_names(self) -> tuple[str, ...]:
        return self.shapes + (("loc", "scale") if self.has_scale else ("loc",))

    def _parse(self, method: str, args: tuple, kwds: dict) -> tuple[tuple, Any, Any]:
        names = self._param_names()
        where = f"{self.name}.{method}"
        if len(args) > len(names):
            raise TypeError(f"{where}: expected at most {len(names)} parameters "
                            f"({', '.join(names)}), got {len(args)} positional")
        values = dict(zip(names, args))
        for key, value in kwds.items():
            if key not in names:
                raise TypeError(f"{where}: unexpected keyword argument {key!r}; the parameters "
                                f"are {', '.join(names)}")
            if key in values:
                raise TypeError(f"{where}: got multiple values for argument {key!r}")
            values[key] = value
        missing = [s for s in self.shapes if s not in values]
        if missing:
            raise TypeError(f"{where}: missing required shape parameter(s) "
                            f"{', '.join(repr(m) for m in missing)}")
        shapes = tuple(self._array(where, s, values[s]) for s in self.shapes)
        loc = self._array(where, "loc", values.get("loc", 0.0))
        scale = self._array(where, "scale", values.get("scale", 1.0))
        return shapes, loc, scale

    @staticmethod
    def _array(where: str, what: str, value: Any) -> Any:
        if _is_traced(value):
            return value
        try:
            arr = as_array(value)  # a device array stays on its device
        except Exception as exc:  # ragged lists, objects
            raise TypeError(f"{where}: expected {what} as a number or an array of numbers, got "
                            f"{type(value).__name__}") from exc
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{where}: expected {what} as real numbers, got dtype {arr.dtype}")
        return arr.astype(np.float64) if arr.dtype.kind != "f" else arr

    def _valid(self, shapes: tuple, scale: Any) -> tuple[Any, tuple, Any]:
        """(mask of valid parameters, shapes made safe, scale made safe)."""
        ok = fnp.logical_and(self._argcheck(*shapes), scale > 0) if self.has_scale else \
            self._argcheck(*shapes)
        safe_shapes = tuple(_safe(ok, s, d) for s, d in zip(shapes, self._safe_shapes()))
        safe_scale = _safe(ok, scale, 1.0) if self.has_scale else scale
        return ok, safe_shapes, safe_scale

    # ---- moments (shared) -------------------------------------------------------------------

    def _stats(self, *shapes: Any) -> tuple[Any, Any]:
        raise NotImplementedError(f"{self.name}: mean/var are not implemented for this family")

    def _entropy(self, *shapes: Any) -> Any:
        raise NotImplementedError(f"{self.name}: entropy is not implemented for this family")

    def mean(self, *args: Any, **kwds: Any) -> Any:
        """Mean, ``loc + scale * m(shapes)``; NaN for invalid parameters, inf where undefined.

        Parameters
        ----------
        *args, **kwds : array_like
            Shape parameters, then ``loc`` (and ``scale``), broadcasting together.

        Returns
        -------
        float or Array, the broadcast shape of the parameters
        """
        shapes, loc, scale = self._parse("mean", args, kwds)
        ok, s, sc = self._valid(shapes, scale)
        m, _ = self._stats(*s)
        value = loc + sc * m if self.has_scale else loc + m
        return _finish(fnp.where(ok, value, _NAN))

    def var(self, *args: Any, **kwds: Any) -> Any:
        """Variance, ``scale**2 * v(shapes)``; shapes and domain as :meth:`mean`."""
        shapes, loc, scale = self._parse("var", args, kwds)
        ok, s, sc = self._valid(shapes, scale)
        _, v = self._stats(*s)
        value = (sc * sc * v if self.has_scale else v) + fnp.zeros_like(loc)  # SciPy broadcasts loc
        return _finish(fnp.where(ok, value, _NAN))

    def std(self, *args: Any, **kwds: Any) -> Any:
        """Standard deviation, ``sqrt(var)``; shapes and domain as :meth:`mean`."""
        self._parse("std", args, kwds)  # argument errors name std, not var
        return _finish(fnp.sqrt(self.var(*args, **kwds)))

    def entropy(self, *args: Any, **kwds: Any) -> Any:
        """Differential (or Shannon, for discrete families) entropy in nats.

        Continuous: ``h(shapes) + log(scale)``. Shapes and domain as :meth:`mean`.
        """
        shapes, loc, scale = self._parse("entropy", args, kwds)
        ok, s, sc = self._valid(shapes, scale)
        h = self._entropy(*s)
        value = (h + fnp.log(sc) if self.has_scale else h) + fnp.zeros_like(loc)
        return _finish(fnp.where(ok, value, _NAN))

    def median(self, *args: Any, **kwds: Any) -> Any:
        """Median, ``ppf(0.5, ...)``."""
        self._parse("median", args, kwds)
        return self.ppf(0.5, *args, **kwds)

    def support(self, *args: Any, **kwds: Any) -> tuple[Any, Any]:
        """The support ``(a, b)`` scaled and shifted by ``loc`` and ``scale``."""
        shapes, loc, scale = self._parse("support", args, kwds)
        ok, s, sc = self._valid(shapes, scale)
        lo, hi = self._support(*s)
        if self.has_scale:
            lo, hi = loc + sc * lo, loc + sc * hi
        else:
            lo, hi = loc + lo, loc + hi
        return (_finish(fnp.where(ok, lo, _NAN)), _finish(fnp.where(ok, hi, _NAN)))

    def rvs(self, *args: Any, size: Any = None, random_state: Any = None, **kwds: Any) -> Any:
        """Random variates as an ordinary NumPy array, drawn by ``scipy.stats``.

        Parameters
        ----------
        *args, **kwds : array_like
            Parameters as for :meth:`mean`; they must be concrete (not traced): draws are data.
        size : int or tuple of ints, optional
            Output shape (SciPy's ``size``); default: the broadcast shape of the parameters.
        random_state : None, int or numpy.random.Generator, optional
            Seed or generator, passed to SciPy.

        Returns
        -------
        numpy.ndarray or float, shape ``size``
        """
        import scipy.stats

        for v in list(args) + list(kwds.values()):
            if _is_traced(v):
                raise TypeError(f"{self.name}.rvs: parameters must be concrete numbers to draw "
                                "random variates (draws are data, not differentiable); got a "
                                "traced value. For reparameterized draws use a distribution "
                                "from fluxion's distributions or transform standard draws.")
        return getattr(scipy.stats, self.name).rvs(*args, size=size, random_state=random_state,
                                                    **kwds)

    def freeze(self, *args: Any, **kwds: Any) -> rv_frozen:
        """The distribution with its parameters fixed (same as calling the family)."""
        return rv_frozen(self, args, kwds)

    def __call__(self, *args: Any, **kwds: Any) -> rv_frozen:
        self._parse("__call__", args, kwds)  # check the parameters now, as SciPy does
        return rv_frozen(self, args, kwds)

    def __repr__(self) -> str:
        return f"<fluxion.scipy.stats.{self.name}>"


class rv_continuous(_Family):
    """Base of the continuous families: SciPy's ``rv_continuous`` semantics on fluxion arrays.

    Methods take ``x`` (or ``q``) first, then the shape parameters, then ``loc`` and ``scale``
    (positional or by keyword); every argument broadcasts against the others.
    """

    # ---- standard-form hooks; families override what has a closed form ----------------------

    def _logpdf(self, x: Any, *shapes: Any) -> Any:
        raise NotImplementedError

    def _cdf(self, x: Any, *shapes: Any) -> Any:
        raise NotImplementedError(f"{self.name}: cdf is not implemented for this family")

    def _logcdf(self, x: Any, *shapes: Any) -> Any:
        return fnp.log(self._cdf(x, *shapes))

    def _sf(self, x: Any, *shapes: Any) -> Any:
        return 1.0 - self._cdf(x, *shapes)

    def _logsf(self, x: Any, *shapes: Any) -> Any:
        return fnp.log(self._sf(x, *shapes))

    def _ppf(self, q: Any, *shapes: Any) -> Any:
        raise NotImplementedError(f"{self.name}: ppf is not implemented for this family")

    def _isf(self, q: Any, *shapes: Any) -> Any:
        return self._ppf(1.0 - q, *shapes)

    def _interior(self, *shapes: Any) -> Any:
        """A point strictly inside the standard support (the stand-in for outside points).

        The default reads the support; a family whose support moves with a traced shape
        parameter, or has ends of mixed finiteness across a batch, overrides this.
        """
        lo, hi = self._support(*shapes)
        if _is_traced(lo) or _is_traced(hi):
            raise NotImplementedError(f"{self.name}: a support that depends on the shape "
                                      "parameters needs an _interior() override")
        lo_finite, hi_finite = bool(np.all(np.isfinite(lo))), bool(np.all(np.isfinite(hi)))
        if lo_finite and hi_finite:
            return 0.5 * (np.asarray(lo) + np.asarray(hi))
        if lo_finite:
            return np.asarray(lo) + 1.0
        if hi_finite:
            return np.asarray(hi) - 1.0
        return 0.0

    # ---- the public methods ---------------------------------------------------------------------

    def _standardize(self, method: str, x: Any, args: tuple, kwds: dict):
        shapes, loc, scale = self._parse(method, args, kwds)
        x = self._array(f"{self.name}.{method}", "x", x)
        ok, s, sc = self._valid(shapes, scale)
        z = (x - loc) / sc
        lo, hi = self._support(*s)
        return z, s, sc, ok, lo, hi

    def logpdf(self, x: Any, *args: Any, **kwds: Any) -> Any:
        """Log of the probability density at ``x``.

        Parameters
        ----------
        x : array_like
            Points, any shape.
        *args, **kwds : array_like
            The shape parameters (see the family's ``shapes``), then ``loc`` and ``scale``;
            positional or by keyword; everything broadcasts.

        Returns
        -------
        float or Array, the broadcast shape of ``x`` and the parameters
            ``-inf`` outside the support, NaN for invalid parameters (``scale <= 0``, shapes
            outside their domain), as ``scipy.stats``.
        """
        return self._log_density("logpdf", x, args, kwds)

    def _log_density(self, method: str, x: Any, args: tuple, kwds: dict) -> Any:
        z, s, sc, ok, lo, hi = self._standardize(method, x, args, kwds)
        inside = fnp.logical_and(z >= lo, z <= hi)
        zin = _safe(inside, z, self._interior(*s))
        value = fnp.where(inside, self._logpdf(zin, *s) - fnp.log(sc), -_INF)
        return _finish(fnp.where(fnp.logical_and(ok, fnp.logical_not(fnp.isnan(z))), value, _NAN))

    def pdf(self, x: Any, *args: Any, **kwds: Any) -> Any:
        """Probability density, ``exp(logpdf)``; arguments and shapes as :meth:`logpdf`."""
        return _finish(fnp.exp(self._log_density("pdf", x, args, kwds)))

    def _tail(self, method: str, x: Any, args: tuple, kwds: dict, fn: Any, below: float,
              above: float) -> Any:
        z, s, sc, ok, lo, hi = self._standardize(method, x, args, kwds)
        inside = fnp.logical_and(z > lo, z < hi)
        zin = _safe(inside, z, self._interior(*s))
        value = fnp.where(inside, fn(zin, *s), fnp.where(z <= lo, below, above))
        return _finish(fnp.where(fnp.logical_and(ok, fnp.logical_not(fnp.isnan(z))), value, _NAN))

    def cdf(self, x: Any, *args: Any, **kwds: Any) -> Any:
        """Cumulative distribution function ``P(X <= x)``; arguments as :meth:`logpdf`.

        Returns 0 below the support and 1 above it, NaN for invalid parameters.
        """
        return self._tail("cdf", x, args, kwds, self._cdf, 0.0, 1.0)

    def logcdf(self, x: Any, *args: Any, **kwds: Any) -> Any:
        """Log of the cdf, accurate in the lower tail; arguments as :meth:`logpdf`."""
        return self._tail("logcdf", x, args, kwds, self._logcdf, -_INF, 0.0)

    def sf(self, x: Any, *args: Any, **kwds: Any) -> Any:
        """Survival function ``1 - cdf``, accurate in the upper tail; as :meth:`logpdf`."""
        return self._tail("sf", x, args, kwds, self._sf, 1.0, 0.0)

    def logsf(self, x: Any, *args: Any, **kwds: Any) -> Any:
        """Log of the survival function; arguments as :meth:`logpdf`."""
        return self._tail("logsf", x, args, kwds, self._logsf, 0.0, -_INF)

    def _quantile(self, method: str, q: Any, args: tuple, kwds: dict, fn: Any,
                  at_zero_is_lo: bool) -> Any:
        shapes, loc, scale = self._parse(method, args, kwds)
        q = self._array(f"{self.name}.{method}", "q", q)
        ok, s, sc = self._valid(shapes, scale)
        lo, hi = self._support(*s)
        inside = fnp.logical_and(q > 0.0, q < 1.0)
        qin = _safe(inside, q, 0.5)
        z = fnp.where(inside, fn(qin, *s),
                      fnp.where(q == 0.0, lo if at_zero_is_lo else hi,
                                fnp.where(q == 1.0, hi if at_zero_is_lo else lo, _NAN)))
        value = loc + sc * z
        return _finish(fnp.where(ok, value, _NAN))

    def ppf(self, q: Any, *args: Any, **kwds: Any) -> Any:
        """Percent point function (inverse of :meth:`cdf`).

        Parameters
        ----------
        q : array_like
            Probabilities in [0, 1]; NaN outside, the support's ends at 0 and 1.
        *args, **kwds : array_like
            Shape parameters, ``loc``, ``scale`` as in :meth:`logpdf`.

        Returns
        -------
        float or Array, the broadcast shape of ``q`` and the parameters
        """
        return self._quantile("ppf", q, args, kwds, self._ppf, True)

    def isf(self, q: Any, *args: Any, **kwds: Any) -> Any:
        """Inverse survival function (inverse of :meth:`sf`); arguments as :meth:`ppf`."""
        return self._quantile("isf", q, args, kwds, self._isf, False)


class rv_discrete(_Family):
    """Base of the discrete families: SciPy's ``rv_discrete`` semantics on fluxion arrays.

    Support on the integers ``a, a+1, ..., b`` (shifted by ``loc``; there is no ``scale``).
    ``pmf`` is 0 at non-integers; ``cdf(x) = cdf(floor(x))``.
    """

    has_scale = False
    a: float = 0.0

    def _logpmf(self, k: Any, *shapes: Any) -> Any:
        raise NotImplementedError

    def _cdf(self, k: Any, *shapes: Any) -> Any:
        raise NotImplementedError(f"{self.name}: cdf is not implemented for this family")

    def _logcdf(self, k: Any, *shapes: Any) -> Any:
        return fnp.log(self._cdf(k, *shapes))

    def _sf(self, k: Any, *shapes: Any) -> Any:
        return 1.0 - self._cdf(k, *shapes)

    def _logsf(self, k: Any, *shapes: Any) -> Any:
        return fnp.log(self._sf(k, *shapes))

    def _ppf(self, q: Any, *shapes: Any) -> Any:
        raise NotImplementedError(f"{self.name}: ppf is not implemented for this family")

    def _isf(self, q: Any, *shapes: Any) -> Any:
        raise NotImplementedError(f"{self.name}: isf is not implemented for this family")

    def _interior(self, *shapes: Any) -> Any:
        lo, _ = self._support(*shapes)
        return lo

    def _parse(self, method: str, args: tuple, kwds: dict, lead: tuple = ()) -> tuple:
        """As the continuous families, and the arguments (with ``lead``: ``(name, value)`` of
        the point or probability) must broadcast together."""
        shapes, loc, scale = super()._parse(method, args, kwds)
        named = list(lead) + list(zip(self.shapes, shapes)) + [("loc", loc)]
        try:
            np.broadcast_shapes(*[np.shape(v) for _, v in named])
        except ValueError:
            listed = ", ".join(f"{n} {np.shape(v)}" for n, v in named)
            raise ValueError(f"{self.name}.{method}: expected arguments that broadcast "
                             f"together, got shapes {listed}") from None
        return shapes, loc, scale

    def _standardize(self, method: str, k: Any, args: tuple, kwds: dict):
        k = self._array(f"{self.name}.{method}", "k", k)
        shapes, loc, _ = self._parse(method, args, kwds, (("k", k),))
        ok, s, _ = self._valid(shapes, None)
        lo, hi = self._support(*s)
        return k - loc, s, ok, lo, hi

    def _valid(self, shapes: tuple, scale: Any) -> tuple[Any, tuple, Any]:
        ok = self._argcheck(*shapes)
        safe_shapes = tuple(_safe(ok, s, d) for s, d in zip(shapes, self._safe_shapes()))
        return ok, safe_shapes, None

    def logpmf(self, k: Any, *args: Any, **kwds: Any) -> Any:
        """Log of the probability mass at ``k``.

        Parameters
        ----------
        k : array_like
            Points (integers; at non-integers the mass is 0, the log-mass ``-inf``).
        *args, **kwds : array_like
            The shape parameters (see the family's ``shapes``), then ``loc``; everything
            broadcasts. The values are differentiable in the (continuous) shape parameters.

        Returns
        -------
        float or Array, the broadcast shape of ``k`` and the parameters
            ``-inf`` off the support, NaN for invalid parameters, as ``scipy.stats``.
        """
        return self._log_mass("logpmf", k, args, kwds)

    def _log_mass(self, method: str, k: Any, args: tuple, kwds: dict) -> Any:
        k, s, ok, lo, hi = self._standardize(method, k, args, kwds)
        inside = fnp.logical_and(fnp.logical_and(k >= lo, k <= hi), k == fnp.floor(k))
        kin = _safe(inside, k, self._interior(*s))
        value = fnp.where(inside, self._logpmf(kin, *s), -_INF)
        return _finish(fnp.where(fnp.logical_and(ok, fnp.logical_not(fnp.isnan(k))), value, _NAN))

    def pmf(self, k: Any, *args: Any, **kwds: Any) -> Any:
        """Probability mass, ``exp(logpmf)``; arguments and shapes as :meth:`logpmf`."""
        return _finish(fnp.exp(self._log_mass("pmf", k, args, kwds)))

    def _tail(self, method: str, k: Any, args: tuple, kwds: dict, fn: Any, below: float,
              above: float) -> Any:
        k, s, ok, lo, hi = self._standardize(method, k, args, kwds)
        k = fnp.floor(k)
        inside = fnp.logical_and(k >= lo, k < hi)
        kin = _safe(inside, k, self._interior(*s))
        value = fnp.where(inside, fn(kin, *s), fnp.where(k < lo, below, above))
        return _finish(fnp.where(fnp.logical_and(ok, fnp.logical_not(fnp.isnan(k))), value, _NAN))

    def cdf(self, k: Any, *args: Any, **kwds: Any) -> Any:
        """``P(X <= k)``: 0 below the support, 1 at and above its top; as :meth:`logpmf`."""
        return self._tail("cdf", k, args, kwds, self._cdf, 0.0, 1.0)

    def logcdf(self, k: Any, *args: Any, **kwds: Any) -> Any:
        """Log of the cdf; arguments as :meth:`logpmf`."""
        return self._tail("logcdf", k, args, kwds, self._logcdf, -_INF, 0.0)

    def sf(self, k: Any, *args: Any, **kwds: Any) -> Any:
        """``P(X > k)``; arguments as :meth:`logpmf`."""
        return self._tail("sf", k, args, kwds, self._sf, 1.0, 0.0)

    def logsf(self, k: Any, *args: Any, **kwds: Any) -> Any:
        """Log of the survival function; arguments as :meth:`logpmf`."""
        return self._tail("logsf", k, args, kwds, self._logsf, 0.0, -_INF)

    def _quantile(self, method: str, q: Any, args: tuple, kwds: dict, fn: Any,
                  at_zero_is_lo: bool) -> Any:
        q = self._array(f"{self.name}.{method}", "q", q)
        shapes, loc, _ = self._parse(method, args, kwds, (("q", q),))
        ok, s, _ = self._valid(shapes, None)
        lo, hi = self._support(*s)
        inside = fnp.logical_and(q > 0.0, q < 1.0)
        qin = _safe(inside, q, 0.5)
        # SciPy: ppf(0) = a - 1, ppf(1) = b; isf(0) = b, isf(1) = a - 1
        z = fnp.where(inside, fn(qin, *s),
                      fnp.where(q == 0.0, lo - 1.0 if at_zero_is_lo else hi,
                                fnp.where(q == 1.0, hi if at_zero_is_lo else lo - 1.0, _NAN)))
        return _finish(fnp.where(ok, loc + z, _NAN))

    def ppf(self, q: Any, *args: Any, **kwds: Any) -> Any:
        """Smallest integer ``k`` with ``cdf(k) >= q`` (not differentiable: integer-valued).

        Parameters
        ----------
        q : array_like
            Probabilities in [0, 1]; NaN outside; ``a - 1`` at 0 and ``b`` at 1 as SciPy.
        *args, **kwds : array_like
            Shape parameters and ``loc`` as in :meth:`logpmf`.

        Returns
        -------
        float or Array, the broadcast shape of ``q`` and the parameters
        """
        return self._quantile("ppf", q, args, kwds, self._ppf, True)

    def isf(self, q: Any, *args: Any, **kwds: Any) -> Any:
        """Inverse survival function; arguments as :meth:`ppf`."""
        return self._quantile("isf", q, args, kwds, self._isf, False)


class rv_frozen:
    """A family with its parameters fixed: ``norm(loc=1.0, scale=2.0).logpdf(x)``.

    Attributes ``dist``, ``args``, ``kwds`` as SciPy's frozen distributions.
    """

    def __init__(self, dist: _Family, args: tuple, kwds: dict) -> None:
        self.dist, self.args, self.kwds = dist, tuple(args), dict(kwds)

    def _call(self, method: str, *lead: Any) -> Any:
        return getattr(self.dist, method)(*lead, *self.args, **self.kwds)

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_") or method in ("dist", "args", "kwds"):
            raise AttributeError(method)
        if not hasattr(type(self.dist), method) or method in ("freeze",):
            raise AttributeError(f"frozen {self.dist.name} has no method {method!r}")
        if method == "rvs":
            return lambda size=None, random_state=None: self.dist.rvs(
                *self.args, size=size, random_state=random_state, **self.kwds)
        if method in ("mean", "var", "std", "entropy", "median", "support"):
            return lambda: self._call(method)
        return lambda x: self._call(method, x)

    def __repr__(self) -> str:
        return f"<frozen fluxion.scipy.stats.{self.dist.name} args={self.args} kwds={self.kwds}>"
