"""A Bayesian neural network for 1-D heteroscedastic regression: mean-field VI with Flipout.

Toy data (fixed seed): ``y = sin(x) + 0.3 x + noise`` with a noise standard deviation that grows
with ``|x|``, ``x`` uniform on ``[-4, 4]``. The network is a ``fluxion.nn.Sequential`` of
``DenseFlipout`` layers (Wen et al. 2018) with a mean-field Gaussian posterior on every kernel and
an ``N(0, 1)`` prior; its two outputs are the mean and (through a softplus) the standard
deviation of a Normal likelihood. Training minimises the negative ELBO per data point,

    -ELBO / N = -(1/N) sum_n E_q[log N(y_n | m(x_n, W), s(x_n, W))] + KL(q || p) / N,

with one Flipout draw per step, Adam from ``fluxion.optim`` and the step compiled by
``fluxion.jit`` (inside ``fluxion.optim.fit``).

The posterior predictive on held-out data mixes ``S`` weight draws with the observation noise:
its CDF at a held-out ``y`` is ``F(y) = (1/S) sum_s Phi((y - m_s) / s_s)`` (the noise
integrated exactly), and ``y`` lies in the central ``a`` predictive interval when
``|F(y) - 1/2| <= a/2``. Calibrated intervals cover about ``a`` of the held-out points; the
script prints the empirical coverage of the 50% and 90% intervals, and the held-out RMSE of the
predictive mean next to a point-estimate MLP of the same shape trained on the mean squared error.

Run ``python examples/bnn_regression.py`` (about 10 s).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from scipy import special as ss

import fluxion
import fluxion.distributions as fd
from fluxion import nn, optim


def make_data(n_train: int = 500, n_test: int = 1000, seed: int = 0) -> dict:
    """Heteroscedastic 1-D regression data, training and held-out sets from the same law.

    Returns
    -------
    dict
        ``x_train`` (n_train, 1), ``y_train`` (n_train,), ``x_test`` (n_test, 1),
        ``y_test`` (n_test,), ``noise_test`` (n_test,) the true noise standard deviations.
    """
    rng = np.random.default_rng(seed)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = rng.uniform(-4.0, 4.0, size=n)
        noise = 0.1 + 0.1 * np.abs(x)
        y = np.sin(x) + 0.3 * x + noise * rng.normal(size=n)
        return x[:, None], y, noise

    x_tr, y_tr, _ = draw(n_train)
    x_te, y_te, noise_te = draw(n_test)
    return {
        "x_train": x_tr,
        "y_train": y_tr,
        "x_test": x_te,
        "y_test": y_te,
        "noise_test": noise_te,
    }


def make_network(hidden: int = 16, prior_scale: float = 1.0) -> nn.Sequential:
    """Two hidden Flipout layers (tanh) and a Flipout output layer of width 2 (mean, raw scale)."""
    return nn.Sequential(
        (
            nn.DenseFlipout(hidden, activation="tanh", prior_scale=prior_scale),
            nn.DenseFlipout(hidden, activation="tanh", prior_scale=prior_scale),
            nn.DenseFlipout(2, prior_scale=prior_scale),
        )
    )


def _likelihood(out: Any) -> fd.Normal:
    """The Normal likelihood from the network's outputs, ``out`` of shape ``(n, 2)``."""
    return fd.Normal(out[:, 0], 1e-3 + nn.softplus(out[:, 1]))


def train_bnn(data: dict, steps: int = 3000, hidden: int = 16, lr: float = 1e-2, seed: int = 0):
    """Mean-field VI: minimise the negative ELBO per data point with Adam.

    Returns
    -------
    net : nn.Sequential
    params : list of dict
        The variational parameters.
    result : fluxion.optim.FitResult
    """
    net = make_network(hidden)
    key = fluxion.random.key(seed)
    k_init, k_train = fluxion.random.split(key)
    params = net.init(k_init, 1)
    x, y = data["x_train"], data["y_train"]
    n = y.shape[0]

    def neg_elbo(params: Any, key: Any) -> Any:
        out = net.apply(params, x, key)
        # -E_q[log lik] (one Flipout draw, averaged over the data) + KL / N
        return nn.nll(_likelihood(out), y) + net.kl(params) / n

    keys = (fluxion.random.fold_in(k_train, i) for i in range(steps))
    result = optim.fit(neg_elbo, params, optim.adam(lr), steps, data=keys, progress=False)
    return net, result.params, result


def train_point_mlp(
    data: dict, steps: int = 3000, hidden: int = 16, lr: float = 1e-2, seed: int = 0
):
    """A point-estimate MLP of the same shape trained on the mean squared error."""
    mlp = nn.MLP((hidden, hidden, 1), activation="tanh")
    params = mlp.init(fluxion.random.key(seed + 1), 1)
    x, y = data["x_train"], data["y_train"]

    def loss(params: Any) -> Any:
        return nn.mse(mlp.apply(params, x)[:, 0], y)

    result = optim.fit(loss, params, optim.adam(lr), steps, progress=False)
    return mlp, result.params


def predictive(net: nn.Sequential, params: Any, x: Any, samples: int = 200, seed: int = 1):
    """Posterior predictive draws of the likelihood parameters at ``x``.

    Returns
    -------
    loc, scale : numpy.ndarray, shape ``(samples, len(x))``
        The Normal likelihood's mean and standard deviation under each weight draw.
    """
    apply = fluxion.jit(net.apply)
    keys = fluxion.random.split(fluxion.random.key(seed), samples)
    locs, scales = [], []
    for s in range(samples):
        out = np.asarray(apply(params, x, keys[s]))
        locs.append(out[:, 0])
        scales.append(1e-3 + np.logaddexp(0.0, out[:, 1]))
    return np.stack(locs), np.stack(scales)


def coverage(loc: np.ndarray, scale: np.ndarray, y: np.ndarray, levels=(0.5, 0.9)) -> dict:
    """Empirical coverage of the central predictive intervals of the Normal mixture.

    ``F(y) = mean_s Phi((y - loc_s) / scale_s)``; ``y`` is inside the central ``a`` interval
    when ``(1 - a)/2 <= F(y) <= (1 + a)/2``.
    """
    pit = ss.ndtr((y[None, :] - loc) / scale).mean(axis=0)
    return {a: float(np.mean(np.abs(pit - 0.5) <= a / 2)) for a in levels}


def main(
    steps: int = 3000,
    hidden: int = 16,
    n_train: int = 500,
    n_test: int = 1000,
    samples: int = 200,
    seed: int = 0,
    verbose: bool = True,
) -> dict:
    """Train the BNN and the point MLP, then evaluate on held-out data.

    Returns
    -------
    dict
        ``coverage`` {0.5: float, 0.9: float}, the same for ``|x| < 2`` (``coverage_inner``,
        small noise) and ``|x| >= 2`` (``coverage_outer``, large noise), ``rmse_bnn``,
        ``rmse_mlp``, ``rmse_oracle`` (the true function's RMSE, the noise floor),
        ``final_loss``, ``initial_loss``,
        ``train_seconds``, ``mean_predictive_sd`` and ``mean_true_sd``.
    """
    data = make_data(n_train, n_test, seed)
    t0 = time.perf_counter()
    net, params, res = train_bnn(data, steps, hidden, seed=seed)
    t_bnn = time.perf_counter() - t0
    mlp, mlp_params = train_point_mlp(data, steps, hidden, seed=seed)
    loc, scale = predictive(net, params, data["x_test"], samples, seed + 1)
    y = data["y_test"]
    cov = coverage(loc, scale, y)
    x = data["x_test"][:, 0]
    # heteroscedastic noise: calibration should hold where the noise is small and where it is large
    inner = np.abs(x) < 2.0
    cov_inner = coverage(loc[:, inner], scale[:, inner], y[inner])
    cov_outer = coverage(loc[:, ~inner], scale[:, ~inner], y[~inner])
    pred_mean = loc.mean(axis=0)
    # the predictive variance: E[s^2] + Var[m] (the law of total variance over weight draws)
    pred_sd = np.sqrt((scale**2).mean(axis=0) + loc.var(axis=0))
    mlp_pred = np.asarray(mlp.apply(mlp_params, data["x_test"]))[:, 0]
    truth = np.sin(x) + 0.3 * x
    out = {
        "coverage": cov,
        "coverage_inner": cov_inner,
        "coverage_outer": cov_outer,
        "rmse_bnn": float(np.sqrt(np.mean((pred_mean - y) ** 2))),
        "rmse_mlp": float(np.sqrt(np.mean((mlp_pred - y) ** 2))),
        "rmse_oracle": float(np.sqrt(np.mean((truth - y) ** 2))),
        "initial_loss": float(res.history.loss[0]),
        "final_loss": float(np.mean(res.history.loss[-50:])),
        "train_seconds": t_bnn,
        "mean_predictive_sd": float(pred_sd.mean()),
        "mean_true_sd": float(data["noise_test"].mean()),
    }
    if verbose:
        print(f"BNN (Flipout, mean-field VI): {steps} Adam steps in {t_bnn:.1f} s")
        print(f"  negative ELBO / N: {out['initial_loss']:.3f} -> {out['final_loss']:.3f}")
        print(f"held-out coverage of the 50% predictive interval: {cov[0.5]:.3f}")
        print(f"held-out coverage of the 90% predictive interval: {cov[0.9]:.3f}")
        print(
            f"  |x| < 2 (noise sd 0.1-0.3): {cov_inner[0.5]:.3f} / {cov_inner[0.9]:.3f}; "
            f"|x| >= 2 (noise sd 0.3-0.5): {cov_outer[0.5]:.3f} / {cov_outer[0.9]:.3f}"
        )
        print(
            f"mean predictive sd {out['mean_predictive_sd']:.3f} "
            f"(true noise sd {out['mean_true_sd']:.3f} on average)"
        )
        print(
            f"held-out RMSE: BNN mean {out['rmse_bnn']:.3f}, point MLP {out['rmse_mlp']:.3f}, "
            f"true function {out['rmse_oracle']:.3f}"
        )
    return out


if __name__ == "__main__":
    main()
