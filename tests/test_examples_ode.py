"""The predator-prey example (examples/predator_prey.py): a Lotka-Volterra ODE model fitted with
NUTS through ``fluxion.scipy.integrate.odeint``.

The fast tests check the model (simulation, the log density's gradient against central
differences, the posterior mode near the planted values) and a tiny NUTS run (it runs, warns once
that the chains run in Python because of the ``ode`` primitive, gives finite draws). The slow test
is the full run and its convergence criterion (R-hat < 1.01, planted values recovered).
"""

from __future__ import annotations

import numpy as np
import pytest
from predator_prey import NAMES, PLANTED, fit, main, make_log_prob, simulate

import fluxion
import fluxion.numpy as fnp


def _unconstrained(times, y_obs):
    """The log density as a function of the log parameters (what the sampler differentiates)."""
    log_prob = make_log_prob(times, y_obs)

    def f(x):
        p = {name: fnp.exp(x[i]) for i, name in enumerate(NAMES)}
        return log_prob(p) + fnp.sum(x)

    return f


def test_simulated_data_and_log_density_gradient():
    times, y_obs = simulate(6)
    assert times.shape == (7,) and y_obs.shape == (7, 2) and np.all(y_obs > 0)
    f = _unconstrained(times, y_obs)
    x = np.log([PLANTED[n] for n in NAMES]) + 0.05
    g = np.asarray(fluxion.grad(f)(x))
    eps = 1e-5
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        fd = (float(f(x + e)) - float(f(x - e))) / (2 * eps)
        assert g[i] == pytest.approx(fd, rel=1e-4, abs=1e-4), NAMES[i]


def test_posterior_mode_near_the_planted_values():
    times, y_obs = simulate(8)
    f = _unconstrained(times, y_obs)
    x0 = np.log([1.0, 0.05, 1.0, 0.05, y_obs[0, 0], y_obs[0, 1], 0.3])
    res = fluxion.optim.minimize(lambda x: -f(x), x0, method="L-BFGS-B")
    est = dict(zip(NAMES, np.exp(res.x)))
    for name in ("alpha", "beta", "gamma", "delta", "u0", "v0"):
        assert est[name] == pytest.approx(PLANTED[name], rel=0.3), name


def test_short_nuts_run_warns_once_naming_the_ode_primitive():
    times, y_obs = simulate(5)
    old = fluxion.config.mcmc_compiled_nuts  # the test suite's default is the Python NUTS
    fluxion.config.update("mcmc_compiled_nuts", "auto")  # fails at the potential: no compile
    try:
        out = fit(times, y_obs, chains=2, draws=5, warmup=5, seed=0, init_method="optimize",
                  chain_method="sequential", max_depth=3)
    finally:
        fluxion.config.update("mcmc_compiled_nuts", old)
    # the compiled NUTS calls the model back in Python (no native form of the ODE solve): one
    # warning naming the primitive and why
    python_grad = [m for m in out["performance_warnings"] if "gradient runs in Python" in m]
    assert len(python_grad) == 1, out["performance_warnings"]
    assert "ode" in python_grad[0] and "adaptive SciPy solver" in python_grad[0]
    assert not [m for m in out["performance_warnings"] if "NUTS runs in Python" in m]
    for name in NAMES:
        draws = out["draws"][name]
        assert draws.shape == (2, 5) and np.all(np.isfinite(draws)) and np.all(draws > 0)


@pytest.mark.slow  # about 27 CPU minutes (measured 2026-12-06: max R-hat 1.006, min ESS 452)
def test_full_run_converges_and_recovers_the_planted_values():
    out = main([])
    assert max(out["rhat"].values()) < 1.01
    assert min(out["ess"].values()) > 200
    assert max(out["z_scores"].values()) < 3.5
