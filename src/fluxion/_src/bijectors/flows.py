"""Normalizing-flow bijectors: masked autoregressive flows, RealNVP couplings, rational-quadratic
splines.

- :class:`MaskedAutoregressiveFlow` (Papamakarios et al. 2017; TFP's semantics): the inverse is
  one pass of the network, the forward map is sequential in the event dimensions.
- :class:`InverseAutoregressiveFlow` (Kingma et al. 2016): the masked autoregressive flow
  inverted (one-pass forward, sequential inverse).
- :class:`RealNVP` (Dinh et al. 2017): an affine coupling layer.
- :class:`RationalQuadraticSpline` (Durkan et al. 2019): a monotone elementwise spline with
  identity tails.

The networks are any callables; a :class:`fluxion.nn.Bound` network (``made.bind(params)``) is a
pytree, and so is the flow that holds it, so ``fluxion.grad`` of a log-density with respect to
the parameters reaches through the flow. A plain Python function is kept as static data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import tree_util
from ..numpy import core as fnp
from .core import Array, Bijector, Invert, _Composite, _cumsum_last

__all__ = [
    "InverseAutoregressiveFlow",
    "MaskedAutoregressiveFlow",
    "RationalQuadraticSpline",
    "RealNVP",
]


def _is_static_fn(fn: Any) -> bool:
    """A function that is a leaf of no pytree (a plain callable) is static data of the flow."""
    leaves = tree_util.tree_leaves(fn)
    return len(leaves) == 1 and leaves[0] is fn


_FNS = ("shift_and_log_scale_fn", "bijector_fn")


def _register_fn_holder(cls: type, statics: tuple[str, ...]) -> type:
    """Register ``cls`` (holding ``shift_and_log_scale_fn`` or ``bijector_fn``) as a pytree node.

    A network is a child when it is a pytree (its parameters become leaves), static otherwise
    (a plain function, or None); the names in ``statics`` are always static. Rebuilding skips
    ``__init__`` (no validation of traced values).
    """

    def flatten(obj: Any) -> tuple[list[Any], tuple]:
        children, static = [], []
        for name in _FNS:
            fn = getattr(obj, name)
            if fn is None or _is_static_fn(fn):
                static.append((True, fn))
            else:
                static.append((False, None))
                children.append(fn)
        extra = tuple(getattr(obj, n) for n in statics)
        return children, (tuple(static), extra)

    def unflatten(aux: tuple, children: list[Any]) -> Any:
        static, extra = aux
        obj = object.__new__(cls)
        it = iter(children)
        for name, (is_static, fn) in zip(_FNS, static, strict=True):
            object.__setattr__(obj, name, fn if is_static else next(it))
        for n, v in zip(statics, extra, strict=True):
            object.__setattr__(obj, n, v)
        return obj

    return tree_util.register_pytree_node(cls, flatten, unflatten)


def _shift_log_scale(who: str, out: Any, expect: tuple[int, ...]) -> tuple[Array, Array | None]:
    """Unpack a network's output: ``(shift, log_scale)`` (``log_scale`` may be None for a
    volume-preserving flow) or one array whose last axis holds the two (TFP's convention)."""
    if isinstance(out, tuple | list):
        if len(out) != 2:
            raise ValueError(
                f"{who}: expected the network to return (shift, log_scale), got {len(out)} values"
            )
        shift, log_scale = out
    else:
        shape = fnp.shape(out)
        if len(shape) < 1 or shape[-1] != 2:
            raise ValueError(
                f"{who}: expected the network to return (shift, log_scale) or an array whose "
                f"last axis has size 2, got shape {shape}"
            )
        shift, log_scale = out[..., 0], out[..., 1]
    for name, v in (("shift", shift), ("log_scale", log_scale)):
        if v is None:
            continue
        got = fnp.shape(v)[-len(expect) :] if expect else ()
        if tuple(got) != expect:
            raise ValueError(
                f"{who}: the network's {name} has shape {fnp.shape(v)}, expected events of shape "
                f"{expect}"
            )
    return shift, log_scale


def _check_fns(who: str, shift_and_log_scale_fn: Any, bijector_fn: Any) -> None:
    if (shift_and_log_scale_fn is None) == (bijector_fn is None):
        raise ValueError(f"{who}: expected exactly one of shift_and_log_scale_fn and bijector_fn")
    for name, fn in (
        ("shift_and_log_scale_fn", shift_and_log_scale_fn),
        ("bijector_fn", bijector_fn),
    ):
        if fn is not None and not callable(fn):
            raise TypeError(f"{who}: expected {name} to be callable, got {type(fn).__name__}")


def _check_inner(who: str, b: Any) -> Bijector:
    if not isinstance(b, Bijector):
        raise TypeError(f"{who}: expected bijector_fn to return a Bijector, got {type(b).__name__}")
    if b.forward_min_event_ndims > 1 or b.inverse_min_event_ndims > 1:
        raise ValueError(
            f"{who}: bijector_fn returned {b.name}, which acts on events of rank > 1; expected an "
            "elementwise or vector bijector"
        )
    return b


@tree_util.dataclass
class _Affine(Bijector):
    """``y = x * exp(log_scale) + shift`` (``log_scale`` None: a shift), the flows' inner map."""

    shift: Any
    log_scale: Any = None

    def _forward(self, x: Array) -> Array:
        if self.log_scale is None:
            return x + self.shift
        return x * fnp.exp(self.log_scale) + self.shift

    def _inverse(self, y: Array) -> Array:
        if self.log_scale is None:
            return y - self.shift
        return (y - self.shift) * fnp.exp(-self.log_scale)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        if self.log_scale is None:
            return fnp.zeros((), dtype=x.dtype)
        return self.log_scale

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        if self.log_scale is None:
            return fnp.zeros((), dtype=y.dtype)
        return -self.log_scale


class _FnHolder(Bijector):
    """Immutable holder of the flows' networks, with a readable repr."""

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __repr__(self) -> str:
        fields = [f"num_masked={self.num_masked}"] if hasattr(self, "num_masked") else []
        fields += [f"{n}={getattr(self, n)!r}" for n in _FNS if getattr(self, n) is not None]
        return f"{type(self).__name__}({', '.join(fields)})"


class MaskedAutoregressiveFlow(_FnHolder):
    """A masked autoregressive flow (Papamakarios et al. 2017), TFP's semantics.

    With ``(shift, log_scale) = shift_and_log_scale_fn(y)`` autoregressive (entry ``i`` depends
    only on ``y_<i`` in some order, e.g. a :class:`fluxion.nn.AutoregressiveNetwork`):

    - ``forward``: ``y = x * exp(log_scale(y)) + shift(y)``, solved one dimension at a time
      (``D`` network passes for events of size ``D``);
    - ``inverse``: ``x = (y - shift(y)) * exp(-log_scale(y))`` in one pass, which makes the
      density ``base.log_prob(inverse(y)) + inverse_log_det_jacobian(y)`` cheap to fit;
    - ``log|det J_forward(x)| = sum(log_scale(forward(x)))`` (the Jacobian is triangular in the
      network's order).

    With ``bijector_fn`` instead, ``bijector_fn(y)`` returns the elementwise bijector applied to
    ``x`` (e.g. a :class:`RationalQuadraticSpline` whose parameters a MADE computes from ``y``:
    an autoregressive neural spline flow, Durkan et al. 2019); the same sequential/one-pass
    structure holds.

    Parameters
    ----------
    shift_and_log_scale_fn : callable, optional
        ``batch + (D,)`` to ``(shift, log_scale)``, each ``batch + (D,)`` (``log_scale`` may be
        None: a shift-only, volume-preserving flow), or to one array ``batch + (D, 2)`` (what
        ``AutoregressiveNetwork(params=2, ...)`` returns). A pytree network (``made.bind(p)``)
        makes its parameters leaves of the flow.
    bijector_fn : callable, optional
        ``batch + (D,)`` to an elementwise :class:`Bijector` (parameters of shape
        ``batch + (D, ...)``), autoregressive in its input. Exactly one of the two is given.

    Notes
    -----
    ``forward_min_event_ndims == inverse_min_event_ndims == 1``; shapes ``batch + (D,)`` both
    ways. The network must be autoregressive, which is not checked (a non-autoregressive network
    makes ``forward`` not invert ``inverse``).

    Examples
    --------
    >>> import fluxion.nn
    >>> made = fluxion.nn.AutoregressiveNetwork(params=2, event_shape=2, hidden_units=(8,))
    >>> maf = MaskedAutoregressiveFlow(made.bind(made.init(fluxion.random.key(0))))
    >>> x = np.array([0.3, -1.2])
    >>> bool(np.allclose(maf.inverse(maf.forward(x)), x))
    True
    """

    forward_min_event_ndims = 1
    inverse_min_event_ndims = 1

    def __init__(
        self,
        shift_and_log_scale_fn: Callable[..., Any] | None = None,
        bijector_fn: Callable[..., Any] | None = None,
    ) -> None:
        _check_fns(type(self).__name__, shift_and_log_scale_fn, bijector_fn)
        object.__setattr__(self, "shift_and_log_scale_fn", shift_and_log_scale_fn)
        object.__setattr__(self, "bijector_fn", bijector_fn)

    def _inner(self, y: Array) -> Bijector:
        who = "MaskedAutoregressiveFlow"
        if self.bijector_fn is not None:
            return _check_inner(who, self.bijector_fn(y))
        out = self.shift_and_log_scale_fn(y)
        return _Affine(*_shift_log_scale(who, out, fnp.shape(y)[-1:]))

    def _forward(self, x: Array) -> Array:
        # after pass k the first k dimensions (in the network's order) are exact, so D passes
        # solve the triangular system; starting from zeros is TFP's choice
        y = fnp.zeros_like(x)
        for _ in range(fnp.shape(x)[-1]):
            y = self._inner(y).forward(x)
        return y

    def _inverse(self, y: Array) -> Array:
        return self._inner(y).inverse(y)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        return self._inner(y).inverse_log_det_jacobian(y, 1)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        return -self._inverse_log_det_jacobian(self._forward(x))


_register_fn_holder(MaskedAutoregressiveFlow, ())


class InverseAutoregressiveFlow(_FnHolder, _Composite):
    """An inverse autoregressive flow (Kingma et al. 2016): ``Invert(MaskedAutoregressiveFlow)``.

    ``forward`` is one network pass, ``x -> (x - shift(x)) * exp(-log_scale(x))`` (fast
    sampling from a flow-transformed base), ``inverse`` is sequential; the log-det-Jacobian of
    ``forward`` at ``x`` is ``-sum(log_scale(x))``.

    Parameters
    ----------
    shift_and_log_scale_fn, bijector_fn : callable, optional
        As for :class:`MaskedAutoregressiveFlow` (exactly one).

    Notes
    -----
    Shapes ``batch + (D,)`` both ways.
    """

    def __init__(
        self,
        shift_and_log_scale_fn: Callable[..., Any] | None = None,
        bijector_fn: Callable[..., Any] | None = None,
    ) -> None:
        _check_fns(type(self).__name__, shift_and_log_scale_fn, bijector_fn)
        object.__setattr__(self, "shift_and_log_scale_fn", shift_and_log_scale_fn)
        object.__setattr__(self, "bijector_fn", bijector_fn)

    def _bijector(self) -> Bijector:
        return Invert(MaskedAutoregressiveFlow(self.shift_and_log_scale_fn, self.bijector_fn))


_register_fn_holder(InverseAutoregressiveFlow, ())


class RealNVP(_FnHolder):
    """A coupling layer (Dinh et al. 2017), TFP's ``RealNVP``.

    The first ``num_masked`` entries pass through and condition an affine map of the rest:
    ``y[:d] = x[:d]``, ``y[d:] = x[d:] * exp(log_scale) + shift`` with
    ``(shift, log_scale) = shift_and_log_scale_fn(x[:d], D - d)``. Both directions are one
    pass; ``log|det J| = sum(log_scale)``. A negative ``num_masked`` keeps the last
    ``-num_masked`` entries and transforms the first ones (TFP's convention). With
    ``bijector_fn(x[:d], D - d)`` returning an elementwise bijector instead (e.g. a
    :class:`RationalQuadraticSpline`: a neural spline coupling), that bijector maps ``x[d:]``.

    Parameters
    ----------
    num_masked : int
        How many leading entries (or, negative, trailing entries) condition the others.
    shift_and_log_scale_fn : callable, optional
        ``(x0, output_units) -> (shift, log_scale)`` with ``x0`` of shape ``batch + (|d|,)`` and
        each output ``batch + (output_units,)`` (``log_scale`` may be None), or one array
        ``batch + (output_units, 2)``.
    bijector_fn : callable, optional
        ``(x0, output_units) -> Bijector``. Exactly one of the two is given.

    Notes
    -----
    ``forward_min_event_ndims == 1``; shapes ``batch + (D,)`` both ways, ``0 < |d| < D``.

    Examples
    --------
    >>> def fn(x0, units):
    ...     return fnp.zeros(x0.shape[:-1] + (units,)), fnp.ones(x0.shape[:-1] + (units,))
    >>> RealNVP(1, fn).forward([1.0, 1.0])
    array([1.        , 2.71828183])
    """

    forward_min_event_ndims = 1
    inverse_min_event_ndims = 1

    def __init__(
        self,
        num_masked: int,
        shift_and_log_scale_fn: Callable[..., Any] | None = None,
        bijector_fn: Callable[..., Any] | None = None,
    ) -> None:
        if not isinstance(num_masked, int | np.integer) or isinstance(num_masked, bool):
            raise TypeError(f"RealNVP: expected num_masked to be an int, got {num_masked!r}")
        if num_masked == 0:
            raise ValueError("RealNVP: expected num_masked != 0 (nothing would condition)")
        _check_fns("RealNVP", shift_and_log_scale_fn, bijector_fn)
        object.__setattr__(self, "num_masked", int(num_masked))
        object.__setattr__(self, "shift_and_log_scale_fn", shift_and_log_scale_fn)
        object.__setattr__(self, "bijector_fn", bijector_fn)

    def _split(self, who: str, x: Array) -> tuple[Array, Array, bool]:
        n = fnp.shape(x)[-1]
        d = self.num_masked
        if abs(d) >= n:
            raise ValueError(
                f"{who}: num_masked={d} leaves nothing to transform in events of size {n}; "
                f"expected 0 < |num_masked| < {n}"
            )
        if d > 0:
            return x[..., :d], x[..., d:], False
        return x[..., n + d :], x[..., : n + d], True

    def _join(self, cond: Array, moved: Array, last: bool) -> Array:
        batch = np.broadcast_shapes(fnp.shape(cond)[:-1], fnp.shape(moved)[:-1])
        cond = fnp.broadcast_to(cond, batch + fnp.shape(cond)[-1:])
        moved = fnp.broadcast_to(moved, batch + fnp.shape(moved)[-1:])
        parts = [moved, cond] if last else [cond, moved]
        return fnp.concatenate(parts, axis=-1)

    def _inner(self, cond: Array, units: int) -> Bijector:
        if self.bijector_fn is not None:
            return _check_inner("RealNVP", self.bijector_fn(cond, units))
        out = self.shift_and_log_scale_fn(cond, units)
        return _Affine(*_shift_log_scale("RealNVP", out, (units,)))

    def _forward(self, x: Array) -> Array:
        cond, moved, last = self._split("RealNVP.forward", x)
        y1 = self._inner(cond, fnp.shape(moved)[-1]).forward(moved)
        return self._join(cond, y1, last)

    def _inverse(self, y: Array) -> Array:
        cond, moved, last = self._split("RealNVP.inverse", y)
        x1 = self._inner(cond, fnp.shape(moved)[-1]).inverse(moved)
        return self._join(cond, x1, last)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        cond, moved, _ = self._split("RealNVP.forward_log_det_jacobian", x)
        return self._inner(cond, fnp.shape(moved)[-1]).forward_log_det_jacobian(moved, 1)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        # the conditioning half is the same on both sides
        cond, moved, _ = self._split("RealNVP.inverse_log_det_jacobian", y)
        return self._inner(cond, fnp.shape(moved)[-1]).inverse_log_det_jacobian(moved, 1)


_register_fn_holder(RealNVP, ("num_masked",))


# ---------------------------------------------------------------------------------------------
# Rational-quadratic splines


def _select(onehot: Array, a: Array) -> Array:
    """``a[..., k]`` for the one-hot ``k`` (a masked sum: differentiable, no gathers)."""
    return fnp.sum(fnp.where(onehot, a, 0.0), axis=-1)


@tree_util.dataclass
class RationalQuadraticSpline(Bijector):
    """A monotone rational-quadratic spline (Durkan et al. 2019), TFP's parameterization.

    ``K`` bins with widths ``w_k`` and heights ``h_k`` put knots at
    ``x_k = range_min + sum_{j<k} w_j`` and ``y_k = range_min + sum_{j<k} h_j``; the derivative
    at the interior knots is ``knot_slopes`` and 1 at both ends. Inside bin ``k``, with
    ``xi = (x - x_k) / w_k``, ``s_k = h_k / w_k`` and knot derivatives ``d_k, d_{k+1}``:

    ``y = y_k + h_k (s_k xi^2 + d_k xi (1 - xi)) / (s_k + (d_{k+1} + d_k - 2 s_k) xi (1 - xi))``,

    ``dy/dx = s_k^2 (d_{k+1} xi^2 + 2 s_k xi (1 - xi) + d_k (1 - xi)^2) / (denominator)^2``
    (Durkan et al., eqs. 4 and 5). The inverse solves the quadratic in ``xi`` in the stable form
    ``xi = 2c / (-b - sqrt(b^2 - 4ac))`` (eqs. 6 to 8). Outside ``[range_min, range_min +
    sum(w)]`` the map is the identity (shifted by ``sum(h) - sum(w)`` on the right), with unit
    slope, matching the end-knot derivatives.

    Parameters
    ----------
    bin_widths, bin_heights : array_like
        Positive, shape ``params_batch + (K,)``; TFP asks for equal sums (then the spline maps
        ``[range_min, range_min + sum]`` onto itself).
    knot_slopes : array_like
        Positive, shape ``params_batch + (K - 1,)``.
    range_min : float, default -1.0
        The left end of the spline's interval (both in x and y).

    Notes
    -----
    Elementwise (``forward_min_event_ndims == 0``): ``x`` of shape ``batch`` broadcasts with
    ``params_batch``. Networks usually produce the parameters as
    ``widths = 2 B softmax(a)``, ``slopes = softplus(c)`` (plus a small floor).

    Examples
    --------
    >>> s = RationalQuadraticSpline([1.0, 1.0], [0.5, 1.5], [0.7])
    >>> round(float(s.inverse(s.forward(0.3))), 12)
    0.3
    """

    bin_widths: Any
    bin_heights: Any
    knot_slopes: Any
    range_min: Any = -1.0

    def __post_init__(self) -> None:
        ws = [self.bin_widths, self.bin_heights, self.knot_slopes]
        if not all(isinstance(v, int | float | list | tuple | np.ndarray | np.generic) for v in ws):
            return  # traced (e.g. from a network): shapes are checked when used
        w, h, s = (np.asarray(v, dtype=np.float64) for v in ws)
        if w.ndim < 1 or h.ndim < 1 or s.ndim < 1:
            raise ValueError(
                "RationalQuadraticSpline: expected bin_widths, bin_heights (..., K) and "
                f"knot_slopes (..., K-1), got shapes {w.shape}, {h.shape}, {s.shape}"
            )
        k = w.shape[-1]
        if h.shape[-1] != k or s.shape[-1] != k - 1:
            raise ValueError(
                "RationalQuadraticSpline: expected bin_widths, bin_heights (..., K) and "
                f"knot_slopes (..., K-1), got shapes {w.shape}, {h.shape}, {s.shape}"
            )
        for name, v in (("bin_widths", w), ("bin_heights", h), ("knot_slopes", s)):
            if not np.all(np.isfinite(v) & (v > 0)):
                raise ValueError(
                    f"RationalQuadraticSpline: expected positive, finite {name} (the spline "
                    f"must be increasing), got {v!r}"
                )

    def _knots(self) -> tuple[Array, Array, Array, Array, Array]:
        w = fnp.asarray(self.bin_widths)
        h = fnp.asarray(self.bin_heights)
        s = fnp.asarray(self.knot_slopes)
        lo = fnp.asarray(self.range_min)
        zero = fnp.zeros(fnp.shape(w)[:-1] + (1,), dtype=w.dtype)
        xs = fnp.expand_dims(lo, -1) + fnp.concatenate([zero, _cumsum_last(w)], axis=-1)
        zero_h = fnp.zeros(fnp.shape(h)[:-1] + (1,), dtype=h.dtype)
        ys = fnp.expand_dims(lo, -1) + fnp.concatenate([zero_h, _cumsum_last(h)], axis=-1)
        one = fnp.ones(fnp.shape(s)[:-1] + (1,), dtype=s.dtype)
        d = fnp.concatenate([one, s, one], axis=-1)
        return w, h, xs, ys, d

    def _bin(self, v: Array, knots: Array) -> tuple[Array, Array, Array]:
        """The clipped value, whether it is inside, and the one-hot bin (over ``K``)."""
        lo, hi = knots[..., 0], knots[..., -1]
        inside = (v >= lo) & (v <= hi)
        vc = fnp.clip(v, lo, hi)
        k = fnp.sum(fnp.expand_dims(vc, -1) >= knots[..., 1:-1], axis=-1)
        n_bins = fnp.shape(knots)[-1] - 1
        onehot = fnp.expand_dims(k, -1) == np.arange(n_bins)
        return vc, inside, onehot

    def _bin_params(self, onehot: Array) -> tuple[Array, ...]:
        w, h, xs, ys, d = self._knots()
        wk, hk = _select(onehot, w), _select(onehot, h)
        xk, yk = _select(onehot, xs[..., :-1]), _select(onehot, ys[..., :-1])
        dk, dk1 = _select(onehot, d[..., :-1]), _select(onehot, d[..., 1:])
        return wk, hk, xk, yk, dk, dk1

    @staticmethod
    def _log_slope(xi: Array, sk: Array, dk: Array, dk1: Array) -> Array:
        t = xi * (1.0 - xi)
        denom = sk + (dk1 + dk - 2.0 * sk) * t
        num = dk1 * xi * xi + 2.0 * sk * t + dk * (1.0 - xi) ** 2
        return 2.0 * fnp.log(sk) + fnp.log(num) - 2.0 * fnp.log(denom)

    def _forward(self, x: Array) -> Array:
        _, _, xs, ys, _ = self._knots()
        xc, inside, onehot = self._bin(x, xs)
        wk, hk, xk, yk, dk, dk1 = self._bin_params(onehot)
        sk = hk / wk
        xi = (xc - xk) / wk
        t = xi * (1.0 - xi)
        y = yk + hk * (sk * xi * xi + dk * t) / (sk + (dk1 + dk - 2.0 * sk) * t)
        # tails: identity on the left, shifted identity on the right (unit slope both sides)
        tail = x + fnp.where(x > xs[..., -1], ys[..., -1] - xs[..., -1], 0.0)
        return fnp.where(inside, y, tail)

    def _inverse(self, y: Array) -> Array:
        _, _, xs, ys, _ = self._knots()
        yc, inside, onehot = self._bin(y, ys)
        wk, hk, xk, yk, dk, dk1 = self._bin_params(onehot)
        sk = hk / wk
        dy = yc - yk
        e = dk1 + dk - 2.0 * sk
        a = hk * (sk - dk) + dy * e
        b = hk * dk - dy * e
        c = -sk * dy
        disc = fnp.maximum(b * b - 4.0 * a * c, 0.0)
        # the root in [0, 1], written without cancellation (b > 0 and c <= 0 here)
        xi = (2.0 * c) / (-b - fnp.sqrt(disc))
        x = xk + xi * wk
        tail = y - fnp.where(y > ys[..., -1], ys[..., -1] - xs[..., -1], 0.0)
        return fnp.where(inside, x, tail)

    def _forward_log_det_jacobian(self, x: Array) -> Array:
        _, _, xs, _, _ = self._knots()
        xc, inside, onehot = self._bin(x, xs)
        wk, hk, xk, _, dk, dk1 = self._bin_params(onehot)
        xi = (xc - xk) / wk
        return fnp.where(inside, self._log_slope(xi, hk / wk, dk, dk1), 0.0)

    def _inverse_log_det_jacobian(self, y: Array) -> Array:
        x = self._inverse(y)
        return -self._forward_log_det_jacobian(x)
