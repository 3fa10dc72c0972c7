"""ADVI benchmark: mean-field VI on eight schools (non-centred), fluxion vs NumPyro SVI.

The model (Rubin 1981; the data inline)::

    mu ~ Normal(0, 5)      tau ~ HalfCauchy(5)      theta_trans_j ~ Normal(0, 1)
    y_j ~ Normal(mu + tau theta_trans_j, sigma_j)            j = 1..8

Both fit the same guide with the same optimizer, in float64: a mean-field Gaussian on the
unconstrained parameters ``(mu, log tau, theta_trans)`` (fluxion ``vi.fit(guide="meanfield")``,
NumPyro ``AutoNormal``), ``loc`` starting at ``mu = 0, tau = 1, theta_trans = 0``
(NumPyro: ``init_to_value``), scale 0.1, one particle per step, Adam with learning rate 0.01.

Columns:

* ``per step``: median seconds per step of a fixed ``--steps`` run (fluxion: ``vi.fit(...,
  tol=None)``, the jitted step called from Python, compile excluded by a warm-up fit; NumPyro:
  the whole loop as one ``jax.jit(lax.scan(svi.update))`` (what ``svi.run`` runs, compiled
  once), and a Python loop over ``jax.jit(svi.update)`` with ``block_until_ready``; compile
  excluded).
* ``steps to converge``: the step at which fluxion's convergence rule (``vi.fit``'s: windows of
  500 steps, relative change below 1e-3 or within one standard error, twice in a row) fires on
  the ELBO history, applied to both histories alike (median over seeds).
* ``time to converge``: fluxion ``vi.fit(..., tol=1e-3)`` wall time, compile included (it
  stops itself); NumPyro: steps to converge x its per-step time, plus its compile time
  (``svi.init`` and the first call of the jitted scan, less one run's steps).
* ``of which compile``: fluxion: a one-step ``vi.fit`` (tracing, code generation); NumPyro as
  above. ``steps x per step``: the time to converge without compilation.
* ``E[mu], E[tau]``: the fitted guide's means (constrained, 20 000 draws), to show both fits
  agree (posteriordb's reference: 4.39 and 3.60; mean-field underestimates tau's).

Usage::

    /work/benchenv/bin/python benchmarks/vi.py        # with NumPyro (the bench venv)
    python benchmarks/vi.py --quick                   # a smoke test
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
LR = 0.01
WINDOW, TOL, PATIENCE = 500, 1e-3, 2


def converged_at(elbo: np.ndarray) -> int | None:
    """The step at which vi.fit's rule fires on an ELBO history (None: never)."""
    from fluxion._src.vi.svi import _Convergence

    rule = _Convergence(TOL, WINDOW, PATIENCE)
    for n in range(WINDOW, elbo.size + 1, WINDOW):
        if rule.check(elbo, n):
            return n
    return None


# --------------------------------------------------------------------------------------------
# fluxion
# --------------------------------------------------------------------------------------------


def fluxion_runs(steps: int, seeds: list[int]) -> dict:
    import fluxion.numpy as fnp
    from fluxion import optim, vi

    def log_prob(p):
        mu, tau, z = p["mu"], p["tau"], p["theta_trans"]
        theta = mu + tau * z
        return (
            -0.5 * fnp.sum(z**2)
            - 0.5 * fnp.sum(((Y - theta) / SIGMA) ** 2)
            - 0.5 * (mu / 5.0) ** 2
            - fnp.log1p((tau / 5.0) ** 2)  # half-Cauchy(5), constants dropped
        )

    init = {"mu": 0.0, "tau": 1.0, "theta_trans": np.zeros(8)}
    kwargs = {"constraints": {"tau": "positive"}, "guide": "meanfield", "progress": False}
    start = time.perf_counter()
    vi.fit(log_prob, init, steps=1, tol=None, seed=0, optimizer=optim.adam(LR), **kwargs)
    first_call = time.perf_counter() - start  # tracing and code generation of the step
    per_step, conv_steps, conv_time, mus, taus = [], [], [], [], []
    for seed in seeds:
        res = vi.fit(
            log_prob, init, steps=steps, tol=None, seed=seed, optimizer=optim.adam(LR), **kwargs
        )
        per_step.append(res.elapsed / steps)
        conv_steps.append(converged_at(res.elbo))
        draws = res.sample_posterior(20_000, seed=seed)
        mus.append(draws["mu"].mean())
        taus.append(draws["tau"].mean())
        start = time.perf_counter()
        stopped = vi.fit(
            log_prob,
            init,
            steps=steps,
            tol=TOL,
            window=WINDOW,
            patience=PATIENCE,
            seed=seed,
            optimizer=optim.adam(LR),
            **kwargs,
        )
        conv_time.append(time.perf_counter() - start)
        assert stopped.converged == (conv_steps[-1] is not None)
    return {
        "per_step": statistics.median(per_step),
        "steps_to_converge": _median_steps(conv_steps),
        "time_to_converge": statistics.median(conv_time),
        "compile": first_call,
        "mu": float(np.mean(mus)),
        "tau": float(np.mean(taus)),
    }


def _median_steps(values: list) -> float | None:
    got = [v for v in values if v is not None]
    return statistics.median(got) if len(got) == len(values) else None


# --------------------------------------------------------------------------------------------
# NumPyro
# --------------------------------------------------------------------------------------------


def numpyro_runs(steps: int, seeds: list[int]) -> dict | None:
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        import numpyro
        import numpyro.distributions as nd
        from numpyro.infer import SVI, Trace_ELBO
        from numpyro.infer.autoguide import AutoNormal
        from numpyro.infer.initialization import init_to_value
    except ImportError as err:
        print(f"NumPyro not available ({err}); run with /work/benchenv/bin/python", file=sys.stderr)
        return None

    y, sigma = jnp.asarray(Y), jnp.asarray(SIGMA)

    def model():
        mu = numpyro.sample("mu", nd.Normal(0.0, 5.0))
        tau = numpyro.sample("tau", nd.HalfCauchy(5.0))
        with numpyro.plate("J", 8):
            z = numpyro.sample("theta_trans", nd.Normal(0.0, 1.0))
            numpyro.sample("y", nd.Normal(mu + tau * z, sigma), obs=y)

    values = {"mu": 0.0, "tau": 1.0, "theta_trans": jnp.zeros(8)}

    def make():
        guide = AutoNormal(model, init_loc_fn=init_to_value(values=values), init_scale=0.1)
        return guide, SVI(model, guide, numpyro.optim.Adam(LR), Trace_ELBO(num_particles=1))

    # the whole loop as one jitted lax.scan over svi.update (what svi.run does, compiled once
    # here so that the timed runs exclude compilation)
    guide, svi = make()

    @jax.jit
    def run(state):
        def body(st, _):
            st, loss = svi.update(st)
            return st, loss

        return jax.lax.scan(body, state, None, length=steps)

    start = time.perf_counter()
    state0 = svi.init(jax.random.PRNGKey(0))
    run(state0)[1].block_until_ready()
    compile_and_run = time.perf_counter() - start
    run_per_step, loop_per_step, conv_steps, mus, taus = [], [], [], [], []
    for seed in seeds:
        start = time.perf_counter()
        state = svi.init(jax.random.PRNGKey(seed))
        state, losses = run(state)
        losses.block_until_ready()
        run_per_step.append((time.perf_counter() - start) / steps)
        conv_steps.append(converged_at(-np.asarray(losses)))
        params = svi.get_params(state)
        draws = guide.sample_posterior(jax.random.PRNGKey(seed + 1), params, sample_shape=(20_000,))
        mus.append(float(draws["mu"].mean()))
        taus.append(float(draws["tau"].mean()))
    compile_time = max(compile_and_run - statistics.median(run_per_step) * steps, 0.0)
    # a Python loop over the jitted update (as fluxion's loop runs)
    update = jax.jit(svi.update)
    state = svi.init(jax.random.PRNGKey(0))
    state, loss = update(state)
    loss.block_until_ready()
    n_loop = min(steps, 2000)
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n_loop):
            state, loss = update(state)
        loss.block_until_ready()
        loop_per_step.append((time.perf_counter() - start) / n_loop)
    med_steps = _median_steps(conv_steps)
    per_step = statistics.median(run_per_step)
    return {
        "per_step": per_step,
        "loop_per_step": statistics.median(loop_per_step),
        "steps_to_converge": med_steps,
        "time_to_converge": None if med_steps is None else med_steps * per_step + compile_time,
        "compile": compile_time,
        "mu": float(np.mean(mus)),
        "tau": float(np.mean(taus)),
    }


def _fmt(x: float | None, unit: str = "") -> str:
    if x is None:
        return "-"
    if unit == "us":
        return f"{x * 1e6:.1f} µs"
    if unit == "s":
        return f"{x:.3f} s"
    return f"{x:.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.steps, args.seeds = 1500, 1
    seeds = list(range(args.seeds))
    flx = fluxion_runs(args.steps, seeds)
    npy = numpyro_runs(args.steps, seeds)
    import platform

    versions = [f"python {platform.python_version()}", f"numpy {np.__version__}"]
    if npy is not None:
        import jax
        import numpyro

        versions += [f"jax {jax.__version__}", f"numpyro {numpyro.__version__}"]
    print(
        f"ADVI mean-field, eight schools (non-centred), Adam({LR}), 1 particle, "
        f"{args.steps} steps, medians over {args.seeds} seeds; {', '.join(versions)}"
    )
    print()
    print(
        "| | per step | steps to converge | time to converge | of which compile | "
        "steps x per step | E[mu] | E[tau] |"
    )
    print("|---|---|---|---|---|---|---|---|")

    def product(r: dict) -> str:
        n = r["steps_to_converge"]
        return "-" if n is None else _fmt(n * r["per_step"], "s")

    print(
        f"| fluxion vi.fit | {_fmt(flx['per_step'], 'us')} | {_fmt(flx['steps_to_converge'])} | "
        f"{_fmt(flx['time_to_converge'], 's')} | {_fmt(flx['compile'], 's')} | {product(flx)} | "
        f"{flx['mu']:.2f} | {flx['tau']:.2f} |"
    )
    if npy is not None:
        print(
            f"| NumPyro jit(scan(svi.update)) | {_fmt(npy['per_step'], 'us')} | "
            f"{_fmt(npy['steps_to_converge'])} | {_fmt(npy['time_to_converge'], 's')} | "
            f"{_fmt(npy['compile'], 's')} | {product(npy)} | {npy['mu']:.2f} | {npy['tau']:.2f} |"
        )
        print(f"| NumPyro jit(svi.update) loop | {_fmt(npy['loop_per_step'], 'us')} | | | | | | |")


if __name__ == "__main__":
    main()
