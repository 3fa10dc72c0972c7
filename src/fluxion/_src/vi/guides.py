"""Variational families (guides) on the flat unconstrained vector ``u`` of a model.

Every guide is a density ``q_phi(u)`` on ``R^d`` written as a map of standard normal noise,
``u = T_phi(eps)``, so that draws are reparameterized (Kingma & Welling 2014) and their log
density comes out of the same pass:

- :class:`AutoNormal`: mean-field Gaussian, ``u = loc + scale * eps`` (ADVI's mean-field family,
  Kucukelbir et al. 2017); ``scale = softplus(raw)``.
- :class:`AutoMultivariateNormal`: full-rank Gaussian, ``u = loc + L eps`` with ``L`` lower
  triangular, positive diagonal (softplus), ADVI's full-rank family.
- :class:`AutoLowRankMultivariateNormal`: ``N(loc, W W^T + diag(s^2))``,
  ``u = loc + W eps_1 + s * eps_2``; its log density by the Woodbury identity and the matrix
  determinant lemma (``O(d r^2)``).
- :class:`AutoNormalizingFlow`: a base Gaussian pushed through a stack of inverse
  autoregressive flows (Kingma et al. 2016) or RealNVP couplings (Dinh et al. 2017) from
  :mod:`fluxion.bijectors`, then an elementwise affine map. Both directions that VI needs are
  one network pass per layer: a draw and the log density of that draw.

The parameters are a pytree (dicts of arrays) so that :mod:`fluxion.optim` transforms update
them. ``transform(params, eps)`` and ``log_q(params, u)`` are written with :mod:`fluxion.numpy`:
differentiable in ``params`` and traceable by ``fluxion.jit``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import random as frandom
from ..bijectors import InverseAutoregressiveFlow, RealNVP
from ..nn.activations import softplus
from ..nn.layers import MLP, AutoregressiveNetwork
from ..numpy import core as fnp
from ..numpy import linalg as fla
from ..scipy import linalg as fsl

__all__ = [
    "AutoLowRankMultivariateNormal",
    "AutoMultivariateNormal",
    "AutoNormal",
    "AutoNormalizingFlow",
    "Guide",
    "guide_from_name",
]

_LOG_2PI = math.log(2.0 * math.pi)


def _inverse_softplus(y: float) -> float:
    # softplus(x) = log(1 + e^x)  =>  x = log(e^y - 1)
    return float(np.log(np.expm1(y)))


def rng_from_seed(who: str, seed: Any) -> np.random.Generator:
    """A NumPy generator from an int seed, None, a Generator or a ``fluxion.random`` key."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.ndarray) and seed.shape == (2,) and seed.dtype == np.uint32:
        return frandom._generator(seed)
    if seed is None or (isinstance(seed, int | np.integer) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(
        f"{who}: expected seed to be an int, None, a numpy Generator or a fluxion.random key, "
        f"got {type(seed).__name__}"
    )


def _std_normal_log_prob(eps: Any) -> Any:
    """``sum_j log N(eps_j; 0, 1)`` over the last axis; shape ``batch``."""
    return -0.5 * fnp.sum(eps**2, axis=-1) - 0.5 * fnp.shape(eps)[-1] * _LOG_2PI


class Guide:
    """Base class of the variational families on the unconstrained vector ``u`` of dimension
    ``dim``.

    Subclasses implement :meth:`init`, :meth:`transform` and :meth:`log_q` and set
    ``noise_dim``. A guide built without ``dim`` is completed by :func:`fluxion.vi.fit`, which
    calls :meth:`bind` with the model's dimension and start point.

    Attributes
    ----------
    dim : int or None
        ``d``, the dimension of ``u``.
    init_loc : ndarray, shape ``(d,)``, or None
        Where the guide starts (the model's unconstrained start point by default).
    init_scale : float
        The initial standard deviation of every coordinate.
    reparameterized : bool
        Whether gradients may flow through the draws (True for every guide here); a guide with
        ``reparameterized = False`` is fitted with the score-function estimator.
    """

    reparameterized: bool = True
    noise_dim: int

    def __init__(
        self, dim: int | None = None, *, init_loc: Any = None, init_scale: float = 0.1
    ) -> None:
        name = type(self).__name__
        if dim is not None:
            if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or dim < 1:
                raise ValueError(f"{name}: expected dim a positive integer or None, got {dim!r}")
            dim = int(dim)
        if not (isinstance(init_scale, int | float) and init_scale > 0):
            raise ValueError(f"{name}: expected init_scale a positive number, got {init_scale!r}")
        if init_loc is not None:
            init_loc = np.asarray(init_loc, dtype=np.float64).reshape(-1)
            if dim is None:
                dim = init_loc.size
            if init_loc.size != dim:
                raise ValueError(f"{name}: init_loc has {init_loc.size} entries but dim is {dim}")
        self.dim = dim
        self.init_loc = init_loc
        self.init_scale = float(init_scale)

    # --- completion by fit -----------------------------------------------------------------------

    def bind(self, dim: int, loc: Any) -> Guide:
        """A copy for a model of dimension ``dim`` starting at ``loc`` (where not set).

        Raises
        ------
        ValueError
            If the guide was built for another dimension.
        """
        if self.dim is not None and self.dim != dim:
            raise ValueError(
                f"{type(self).__name__}: the guide was built for dim={self.dim}, but the model "
                f"has {dim} unconstrained dimensions; build it without dim (fit fills it in)"
            )
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.dim = int(dim)
        if new.init_loc is None:
            new.init_loc = np.asarray(loc, dtype=np.float64).reshape(dim).copy()
        new._setup()
        return new

    def _setup(self) -> None:
        """Derived configuration once ``dim`` is known (noise_dim, networks)."""
        self.noise_dim = self.dim

    def _require_dim(self, who: str) -> int:
        if self.dim is None:
            raise ValueError(
                f"{type(self).__name__}.{who}: the guide has no dimension yet; give dim= or let "
                "fluxion.vi.fit bind it to the model"
            )
        if not hasattr(self, "noise_dim"):
            self._setup()
        return self.dim

    def _loc0(self) -> np.ndarray:
        return self.init_loc.copy() if self.init_loc is not None else np.zeros(self.dim)

    # --- the family -------------------------------------------------------------------------------

    def init(self, key: Any = None) -> Any:
        """Initial parameters (a pytree of arrays): ``loc`` at ``init_loc``, scale ``init_scale``.

        Parameters
        ----------
        key : int, fluxion.random key or None
            Seeds random initial values (the flows' networks, the low-rank factor).
        """
        raise NotImplementedError

    def transform(self, params: Any, eps: Any) -> tuple[Any, Any]:
        """Reparameterized draws and their log density.

        Parameters
        ----------
        params : pytree
        eps : array, shape ``(n, noise_dim)``
            Standard normal noise.

        Returns
        -------
        u : array, shape ``(n, dim)``
        log_q : array, shape ``(n,)``
            ``log q_params(u)``.
        """
        raise NotImplementedError

    def log_q(self, params: Any, u: Any) -> Any:
        """``log q_params(u)`` at arbitrary points; ``u`` of shape ``(n, dim)`` -> ``(n,)``."""
        raise NotImplementedError

    def sample(self, params: Any, seed: Any = None, n: int = 1000) -> np.ndarray:
        """``n`` draws of ``u`` as a NumPy array of shape ``(n, dim)``.

        Parameters
        ----------
        params : pytree
        seed : int, numpy Generator or fluxion.random key, optional
        n : int
        """
        u, _ = self.sample_and_log_q(params, seed, n)
        return u

    def sample_and_log_q(self, params: Any, seed: Any = None, n: int = 1000) -> tuple:
        """``n`` draws ``(n, dim)`` and their log densities ``(n,)``, as NumPy arrays."""
        self._require_dim("sample")
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"{type(self).__name__}.sample: expected n >= 1, got {n!r}")
        rng = rng_from_seed(f"{type(self).__name__}.sample", seed)
        eps = rng.standard_normal((int(n), self.noise_dim))
        u, lq = self.transform(params, eps)
        return np.asarray(u, dtype=np.float64), np.asarray(lq, dtype=np.float64)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={self.dim})"


class AutoNormal(Guide):
    """Mean-field Gaussian ``q(u) = prod_j N(u_j; loc_j, scale_j^2)`` (mean-field ADVI).

    Parameters
    ----------
    dim : int, optional
        ``d``; filled in by :func:`fluxion.vi.fit`.
    init_loc : array_like, shape ``(d,)``, optional
        Start of ``loc`` (default: the model's unconstrained start point).
    init_scale : float, default 0.1

    Notes
    -----
    ``params = {"loc": (d,), "scale": (d,)}`` where ``scale`` is the softplus-inverse of the
    standard deviations (any real value is valid). ``u = loc + softplus(scale) * eps``.

    Examples
    --------
    >>> g = AutoNormal(2, init_loc=[1.0, -1.0])
    >>> p = g.init()
    >>> g.sample(p, seed=0, n=3).shape
    (3, 2)
    """

    def init(self, key: Any = None) -> dict:
        d = self._require_dim("init")
        return {"loc": self._loc0(), "scale": np.full(d, _inverse_softplus(self.init_scale))}

    def scale(self, params: Any) -> Any:
        """The standard deviations ``softplus(params["scale"])``, shape ``(d,)``."""
        return softplus(params["scale"])

    def transform(self, params: Any, eps: Any) -> tuple[Any, Any]:
        scale = self.scale(params)
        u = params["loc"] + scale * eps
        return u, _std_normal_log_prob(eps) - fnp.sum(fnp.log(scale))

    def log_q(self, params: Any, u: Any) -> Any:
        scale = self.scale(params)
        return _std_normal_log_prob((u - params["loc"]) / scale) - fnp.sum(fnp.log(scale))

    def mean_cov(self, params: Any) -> tuple[np.ndarray, np.ndarray]:
        """The Gaussian's mean ``(d,)`` and covariance ``(d, d)`` as NumPy arrays."""
        s = np.asarray(self.scale(params), dtype=np.float64)
        return np.asarray(params["loc"], dtype=np.float64), np.diag(s**2)


class AutoMultivariateNormal(Guide):
    """Full-rank Gaussian ``q(u) = N(u; loc, L L^T)`` (full-rank ADVI).

    Parameters
    ----------
    dim, init_loc, init_scale
        As :class:`AutoNormal`.

    Notes
    -----
    ``params = {"loc": (d,), "scale_tril": (d, d)}``: ``L`` is the strictly lower triangle of
    ``scale_tril`` plus ``diag(softplus(diag(scale_tril)))`` (its upper triangle is unused).
    ``u = loc + L eps``; ``log q(u) = log N(L^{-1}(u - loc); 0, I) - sum(log diag L)``.
    """

    def init(self, key: Any = None) -> dict:
        d = self._require_dim("init")
        return {
            "loc": self._loc0(),
            "scale_tril": np.eye(d) * _inverse_softplus(self.init_scale),
        }

    def scale_tril(self, params: Any) -> Any:
        """``L``, shape ``(d, d)``: lower triangular with a positive diagonal."""
        raw = params["scale_tril"]
        return fnp.tril(raw, -1) + fnp.eye(self.dim) * softplus(fnp.diagonal(raw))

    def transform(self, params: Any, eps: Any) -> tuple[Any, Any]:
        L = self.scale_tril(params)
        u = params["loc"] + fnp.matmul(eps, fnp.transpose(L))
        log_det = fnp.sum(fnp.log(fnp.diagonal(L)))
        return u, _std_normal_log_prob(eps) - log_det

    def log_q(self, params: Any, u: Any) -> Any:
        L = self.scale_tril(params)
        z = fsl.solve_triangular(L, fnp.transpose(u - params["loc"]), lower=True)
        log_det = fnp.sum(fnp.log(fnp.diagonal(L)))
        return _std_normal_log_prob(fnp.transpose(z)) - log_det

    def mean_cov(self, params: Any) -> tuple[np.ndarray, np.ndarray]:
        """The Gaussian's mean ``(d,)`` and covariance ``L L^T`` ``(d, d)``."""
        L = np.asarray(self.scale_tril(params), dtype=np.float64)
        return np.asarray(params["loc"], dtype=np.float64), L @ L.T


class AutoLowRankMultivariateNormal(Guide):
    """Low-rank plus diagonal Gaussian ``q(u) = N(u; loc, W W^T + diag(s^2))``.

    Parameters
    ----------
    dim, init_loc, init_scale
        As :class:`AutoNormal`.
    rank : int, optional
        ``r``, the columns of ``W`` (default ``max(1, round(sqrt(d)))``, NumPyro's choice).

    Notes
    -----
    ``params = {"loc": (d,), "cov_factor": (d, r), "scale": (d,)}`` with ``s = softplus(scale)``.
    Draws use ``d + r`` normals: ``u = loc + W eps_1 + s * eps_2``. The log density uses the
    capacitance matrix ``C = I_r + W^T D^{-1} W`` (``D = diag(s^2)``): ``log det Sigma = log det C
    + sum log s^2`` and ``x^T Sigma^{-1} x = x^T D^{-1} x - t^T C^{-1} t`` with ``t = W^T D^{-1}
    x`` (Woodbury). ``W`` starts random and small: at ``W = 0`` its ELBO gradient vanishes.
    """

    def __init__(
        self,
        dim: int | None = None,
        *,
        rank: int | None = None,
        init_loc: Any = None,
        init_scale: float = 0.1,
    ) -> None:
        super().__init__(dim, init_loc=init_loc, init_scale=init_scale)
        if rank is not None and (
            isinstance(rank, bool) or not isinstance(rank, int | np.integer) or rank < 1
        ):
            raise ValueError(
                f"AutoLowRankMultivariateNormal: expected rank a positive integer, got {rank!r}"
            )
        self.rank = rank

    def _setup(self) -> None:
        if self.rank is None:
            self.rank = max(1, int(round(math.sqrt(self.dim))))
        self.noise_dim = self.dim + self.rank

    def init(self, key: Any = None) -> dict:
        d = self._require_dim("init")
        r = self.rank
        rng = rng_from_seed("AutoLowRankMultivariateNormal.init", key)
        # split the initial variance init_scale^2 evenly between the factor and the diagonal
        w = rng.standard_normal((d, r)) * self.init_scale / math.sqrt(2.0 * r)
        return {
            "loc": self._loc0(),
            "cov_factor": w,
            "scale": np.full(d, _inverse_softplus(self.init_scale / math.sqrt(2.0))),
        }

    def transform(self, params: Any, eps: Any) -> tuple[Any, Any]:
        r = self.rank
        s = softplus(params["scale"])
        u = params["loc"] + fnp.matmul(eps[:, :r], fnp.transpose(params["cov_factor"]))
        u = u + s * eps[:, r:]
        return u, self.log_q(params, u)

    def log_q(self, params: Any, u: Any) -> Any:
        W = params["cov_factor"]
        s = softplus(params["scale"])
        x = u - params["loc"]
        w_scaled = W / (s**2)[:, None]  # D^{-1} W
        capacitance = fnp.eye(self.rank) + fnp.matmul(fnp.transpose(W), w_scaled)
        chol = fla.cholesky(capacitance)
        t = fnp.matmul(x, w_scaled)  # (n, r): rows W^T D^{-1} x
        v = fsl.solve_triangular(chol, fnp.transpose(t), lower=True)  # C^{-1/2} t
        quad = fnp.sum((x / s) ** 2, axis=-1) - fnp.sum(v**2, axis=0)
        log_det = 2.0 * fnp.sum(fnp.log(fnp.diagonal(chol))) + 2.0 * fnp.sum(fnp.log(s))
        return -0.5 * quad - 0.5 * log_det - 0.5 * self.dim * _LOG_2PI

    def mean_cov(self, params: Any) -> tuple[np.ndarray, np.ndarray]:
        """The Gaussian's mean ``(d,)`` and covariance ``W W^T + diag(s^2)`` ``(d, d)``."""
        W = np.asarray(params["cov_factor"], dtype=np.float64)
        s = np.asarray(softplus(params["scale"]), dtype=np.float64)
        return np.asarray(params["loc"], dtype=np.float64), W @ W.T + np.diag(s**2)


class AutoNormalizingFlow(Guide):
    """A normalizing-flow guide: ``u = loc + scale * f_K(... f_1(eps))``, ``eps ~ N(0, I)``.

    Parameters
    ----------
    dim, init_loc, init_scale
        As :class:`AutoNormal` (the final elementwise affine map starts as that guide).
    flow : {"iaf", "realnvp"}, default "iaf"
        The layers: :class:`fluxion.bijectors.InverseAutoregressiveFlow` with a MADE network
        (:class:`fluxion.nn.AutoregressiveNetwork`; the input order alternates between layers),
        or :class:`fluxion.bijectors.RealNVP` couplings with an MLP (the conditioning half
        alternates; needs ``d >= 2``).
    num_flows : int, default 2
        ``K``, the number of layers.
    hidden_units : tuple of int, optional
        The networks' hidden widths (default ``(max(2 d, 8),) * 2``).
    activation : str, default "elu"
        Smooth and unbounded on one side: on a banana-shaped target it found the bend from
        every seed tried, where tanh networks sometimes stayed at the Gaussian fit.
    max_log_scale : float, default 3.0
        Each layer's log-scale is ``max_log_scale * tanh(raw / max_log_scale)``: bounded, so one
        bad step cannot blow a draw up to overflow (NumPyro bounds its IAF the same way).

    Notes
    -----
    Both layer kinds are one network pass in the direction VI uses: a draw ``u`` from ``eps``
    and ``log q(u) = log N(eps) - sum_k log|det J_{f_k}| - sum log scale`` in the same pass (an
    IAF's forward map is one pass; a masked autoregressive flow would need ``d`` passes for
    that). :meth:`log_q` at an arbitrary ``u`` inverts the flow, which for IAF layers takes ``d``
    passes per layer. Every network's last layer starts at zero, so the flow starts as the
    identity and the guide as :class:`AutoNormal`.

    References
    ----------
    Kingma, Salimans, Jozefowicz, Chen, Sutskever & Welling (2016), "Improved variational
    inference with inverse autoregressive flow", NeurIPS. Dinh, Sohl-Dickstein & Bengio (2017),
    "Density estimation using Real NVP", ICLR. Rezende & Mohamed (2015), "Variational inference
    with normalizing flows", ICML.
    """

    def __init__(
        self,
        dim: int | None = None,
        *,
        flow: str = "iaf",
        num_flows: int = 2,
        hidden_units: tuple | None = None,
        activation: str = "elu",
        max_log_scale: float = 3.0,
        init_loc: Any = None,
        init_scale: float = 0.1,
    ) -> None:
        super().__init__(dim, init_loc=init_loc, init_scale=init_scale)
        if flow not in ("iaf", "realnvp"):
            raise ValueError(f"AutoNormalizingFlow: expected flow 'iaf' or 'realnvp', got {flow!r}")
        if isinstance(num_flows, bool) or not isinstance(num_flows, int) or num_flows < 1:
            raise ValueError(
                f"AutoNormalizingFlow: expected num_flows a positive integer, got {num_flows!r}"
            )
        if not max_log_scale > 0:
            raise ValueError(
                f"AutoNormalizingFlow: expected max_log_scale > 0, got {max_log_scale!r}"
            )
        self.flow = flow
        self.num_flows = int(num_flows)
        self.hidden_units = None if hidden_units is None else tuple(int(h) for h in hidden_units)
        self.activation = activation
        self.max_log_scale = float(max_log_scale)

    def _setup(self) -> None:
        d = self.dim
        self.noise_dim = d
        hidden = self.hidden_units or (max(2 * d, 8),) * 2
        if self.flow == "realnvp":
            if d < 2:
                raise ValueError(
                    "AutoNormalizingFlow: flow='realnvp' needs at least 2 dimensions (a coupling "
                    f"conditions one part on the other), the model has {d}; use flow='iaf'"
                )
            half = d // 2
            # layer k keeps the first half (k even) or the last half (k odd) and moves the rest
            self._masked = [half if k % 2 == 0 else -half for k in range(self.num_flows)]
            self._networks = [
                MLP(tuple(hidden) + (2 * (d - half),), activation=self.activation)
                for _ in range(self.num_flows)
            ]
        else:
            orders = ("left-to-right", "right-to-left")
            self._networks = [
                AutoregressiveNetwork(
                    params=2,
                    event_shape=d,
                    hidden_units=tuple(hidden),
                    activation=self.activation,
                    input_order=orders[k % 2],
                )
                for k in range(self.num_flows)
            ]

    def init(self, key: Any = None) -> dict:
        d = self._require_dim("init")
        if isinstance(key, np.random.Generator):
            key = int(key.integers(2**31))
        if key is None or isinstance(key, int | np.integer):
            key = frandom.key(0 if key is None else int(key))
        keys = frandom.split(key, self.num_flows)
        layers = []
        for k, net in enumerate(self._networks):
            p = net.init(keys[k]) if self.flow == "iaf" else net.init(keys[k], d // 2)
            last = dict(p[-1])
            last["kernel"] = np.zeros_like(np.asarray(last["kernel"]))  # start at the identity
            layers.append(list(p[:-1]) + [last])
        return {
            "loc": self._loc0(),
            "scale": np.full(d, _inverse_softplus(self.init_scale)),
            "flows": layers,
        }

    def _bound(self, raw_log_scale: Any) -> Any:
        m = self.max_log_scale
        return m * fnp.tanh(raw_log_scale / m)

    def _bijectors(self, params: Any) -> list:
        out = []
        for k, net in enumerate(self._networks):
            p = params["flows"][k]
            if self.flow == "iaf":

                def fn(x: Any, net: Any = net, p: Any = p) -> tuple[Any, Any]:
                    h = net.apply(p, x)  # (..., d, 2)
                    return h[..., 0], self._bound(h[..., 1])

                out.append(InverseAutoregressiveFlow(fn))
            else:

                def fn2(x0: Any, units: int, net: Any = net, p: Any = p) -> tuple[Any, Any]:
                    h = net.apply(p, x0)  # (..., 2 units)
                    return h[..., :units], self._bound(h[..., units:])

                out.append(RealNVP(self._masked[k], fn2))
        return out

    def transform(self, params: Any, eps: Any) -> tuple[Any, Any]:
        z = eps
        log_det = 0.0
        for b in self._bijectors(params):
            log_det = log_det + b.forward_log_det_jacobian(z, 1)
            z = b.forward(z)
        scale = softplus(params["scale"])
        u = params["loc"] + scale * z
        return u, _std_normal_log_prob(eps) - log_det - fnp.sum(fnp.log(scale))

    def log_q(self, params: Any, u: Any) -> Any:
        scale = softplus(params["scale"])
        z = (u - params["loc"]) / scale
        log_det = fnp.sum(fnp.log(scale))
        for b in reversed(self._bijectors(params)):
            x = b.inverse(z)
            log_det = log_det + b.forward_log_det_jacobian(x, 1)
            z = x
        return _std_normal_log_prob(z) - log_det

    def __repr__(self) -> str:
        return (
            f"AutoNormalizingFlow(dim={self.dim}, flow={self.flow!r}, num_flows={self.num_flows})"
        )


_NAMES = {
    "meanfield": AutoNormal,
    "fullrank": AutoMultivariateNormal,
    "lowrank": AutoLowRankMultivariateNormal,
    "flow": AutoNormalizingFlow,
}


def guide_from_name(who: str, guide: Any) -> Guide:
    """A guide object from a name ("meanfield", "fullrank", "lowrank", "flow") or a Guide."""
    if isinstance(guide, Guide):
        return guide
    if isinstance(guide, str) and guide in _NAMES:
        return _NAMES[guide]()
    if isinstance(guide, type) and issubclass(guide, Guide):
        return guide()
    raise ValueError(
        f"{who}: expected guide to be one of {', '.join(map(repr, _NAMES))} or a "
        f"fluxion.vi guide object (e.g. AutoNormal()), got {guide!r}"
    )


class _Standardized(Guide):
    """``inner`` fitted on ``z = (u - center) / scale``: ``u = center + scale * z``.

    The preconditioning of ``fit(init_to="map")``: ``center`` is the mode and ``scale`` the
    Laplace standard deviations, so the optimizer's steps (of about the learning rate in each
    parameter) are in units of the posterior's own scale, whatever its units in ``u``.
    ``log q_u(u) = log q_z(z) - sum(log scale)``.
    """

    def __init__(self, inner: Guide, center: np.ndarray, scale: np.ndarray) -> None:
        self.inner = inner
        self.center = np.asarray(center, dtype=np.float64)
        self.scale_u = np.asarray(scale, dtype=np.float64)
        self.dim = inner.dim
        self.init_loc = self.center
        self.init_scale = inner.init_scale
        self.reparameterized = inner.reparameterized
        self.noise_dim = inner.noise_dim
        self._log_scale = float(np.sum(np.log(self.scale_u)))

    def init(self, key: Any = None) -> Any:
        return self.inner.init(key)

    def transform(self, params: Any, eps: Any) -> tuple[Any, Any]:
        z, log_q = self.inner.transform(params, eps)
        return self.center + self.scale_u * z, log_q - self._log_scale

    def log_q(self, params: Any, u: Any) -> Any:
        return self.inner.log_q(params, (u - self.center) / self.scale_u) - self._log_scale

    def mean_cov(self, params: Any) -> tuple[np.ndarray, np.ndarray]:
        """Mean ``(d,)`` and covariance ``(d, d)`` of ``u`` (Gaussian inner guides only)."""
        m, c = self.inner.mean_cov(params)
        return self.center + self.scale_u * m, c * np.outer(self.scale_u, self.scale_u)

    def __repr__(self) -> str:
        return repr(self.inner)
