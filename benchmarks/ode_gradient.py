"""ODE-gradient benchmark: the gradient of a Lotka-Volterra fit loss with respect to the rates and
the initial state, fluxion against ``jax.experimental.ode.odeint`` and diffrax.

The problem (the predator-prey example's): ``du/dt = a u - b u v``, ``dv/dt = d u v - c v`` with
``theta = (a, b, c, d) = (0.55, 0.028, 0.84, 0.024)``, ``z0 = (33, 6)``, outputs at
``t = 0, 1, .., T`` (``--horizon``, default 20) and the loss
``L = sum_t sum_k (log z_k(t) - log y_k(t))^2`` against fixed data ``y`` (the solution at
perturbed parameters). Every row computes ``(L, dL/dtheta, dL/dz0)`` at relative and absolute
tolerance ``--tol`` (default 1e-6), in float64:

* ``fluxion odeint (LSODA)``, ``fluxion solve_ivp RK45``, ``fluxion solve_ivp DOP853``:
  ``fluxion.jit(fluxion.value_and_grad(loss))`` in steady state (SciPy's solvers on the compiled
  right-hand side; the adjoint method, a backward solve per output interval);
* ``jax odeint (dopri5)``: ``jax.jit(jax.value_and_grad(loss))`` with
  ``jax.experimental.ode.odeint`` (its own adjoint), ``block_until_ready``;
* ``diffrax Dopri5`` and ``diffrax Tsit5``: ``diffrax.diffeqsolve`` with a ``PIDController``,
  ``SaveAt(ts=...)``, the default ``RecursiveCheckpointAdjoint`` (discretize-then-optimize),
  jitted, ``block_until_ready``.

Before timing, every row's gradient must agree with the LSODA row's to ``100 * tol`` relative
(infinity norm), else the script exits with an error. Times are medians over ``--repeats`` calls
(after warm-up calls that compile). Rows whose package is missing are skipped with a note.

Usage::

    python benchmarks/ode_gradient.py                   # the table
    python benchmarks/ode_gradient.py --profile         # also cProfile fluxion's LSODA gradient
    python benchmarks/ode_gradient.py --repeats 5 --horizon 10
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time

import numpy as np

THETA = np.array([0.55, 0.028, 0.84, 0.024])
Z0 = np.array([33.0, 6.0])


def data(horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """The output times and the fixed data (the solution at perturbed parameters)."""
    import scipy.integrate as si

    ts = np.arange(horizon + 1, dtype=np.float64)
    th = THETA * np.array([1.05, 0.95, 1.03, 0.97])

    def f(z, t):
        return [th[0] * z[0] - th[1] * z[0] * z[1], th[3] * z[0] * z[1] - th[2] * z[1]]

    ys = si.odeint(f, Z0 * np.array([1.1, 0.9]), ts, rtol=1e-10, atol=1e-10)
    return ts, ys


def fluxion_rows(ts: np.ndarray, ys: np.ndarray, tol: float) -> dict:
    import fluxion
    import fluxion.numpy as fnp
    from fluxion.scipy.integrate import odeint, solve_ivp

    log_ys = np.log(ys)

    def lv(z, t, th):
        return fnp.stack([th[0] * z[0] - th[1] * z[0] * z[1], th[3] * z[0] * z[1] - th[2] * z[1]])

    def loss_odeint(th, z0):
        z = odeint(lv, z0, ts, args=(th,), rtol=tol, atol=tol)
        return fnp.sum((fnp.log(z) - log_ys) ** 2)

    def loss_ivp(method):
        def loss(th, z0):
            res = solve_ivp(lambda t, z, th: lv(z, t, th), (ts[0], ts[-1]), z0, method=method,
                            t_eval=ts, args=(th,), rtol=tol, atol=tol)
            return fnp.sum((fnp.log(res.y.T) - log_ys) ** 2)

        return loss

    rows = {}
    for name, loss in (("fluxion odeint (LSODA)", loss_odeint),
                       ("fluxion solve_ivp RK45", loss_ivp("RK45")),
                       ("fluxion solve_ivp DOP853", loss_ivp("DOP853"))):
        g = fluxion.jit(fluxion.value_and_grad(loss, argnums=(0, 1)))

        def call(g=g):
            val, (g_th, g_z0) = g(THETA, Z0)
            return float(val), np.concatenate([np.asarray(g_th), np.asarray(g_z0)])

        rows[name] = call
    return rows


def jax_rows(ts: np.ndarray, ys: np.ndarray, tol: float) -> dict:
    try:
        import jax
    except ImportError:
        print("note: jax is not installed; its rows are skipped")
        return {}
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax.experimental.ode import odeint as jodeint

    ts_j, log_ys = jnp.asarray(ts), jnp.asarray(np.log(ys))

    def lv(z, t, th):
        return jnp.stack([th[0] * z[0] - th[1] * z[0] * z[1], th[3] * z[0] * z[1] - th[2] * z[1]])

    def loss(th, z0):
        z = jodeint(lv, z0, ts_j, th, rtol=tol, atol=tol)
        return jnp.sum((jnp.log(z) - log_ys) ** 2)

    rows = {}
    g = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))
    th_j, z0_j = jnp.asarray(THETA), jnp.asarray(Z0)

    def call_jax():
        val, (g_th, g_z0) = jax.block_until_ready(g(th_j, z0_j))
        return float(val), np.concatenate([np.asarray(g_th), np.asarray(g_z0)])

    rows["jax odeint (dopri5)"] = call_jax
    try:
        import diffrax
    except ImportError:
        print("note: diffrax is not installed; its rows are skipped")
        return rows

    for solver_name in ("Dopri5", "Tsit5"):
        solver = getattr(diffrax, solver_name)()

        def dloss(th, z0, solver=solver):
            term = diffrax.ODETerm(lambda t, z, th: lv(z, t, th))
            sol = diffrax.diffeqsolve(
                term, solver, t0=ts_j[0], t1=ts_j[-1], dt0=None, y0=z0, args=th,
                saveat=diffrax.SaveAt(ts=ts_j),
                stepsize_controller=diffrax.PIDController(rtol=tol, atol=tol),
                max_steps=100_000,
            )
            return jnp.sum((jnp.log(sol.ys) - log_ys) ** 2)

        gd = jax.jit(jax.value_and_grad(dloss, argnums=(0, 1)))

        def call_diffrax(gd=gd):
            val, (g_th, g_z0) = jax.block_until_ready(gd(th_j, z0_j))
            return float(val), np.concatenate([np.asarray(g_th), np.asarray(g_z0)])

        rows[f"diffrax {solver_name}"] = call_diffrax
    return rows


def median_time(call, repeats: int) -> tuple[float, float]:
    """Medians of wall time and of this process's CPU time per call (the CPU time is what to
    compare on a shared machine: other processes do not inflate it)."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=int, default=20)
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)

    ts, ys = data(args.horizon)
    rows = {**fluxion_rows(ts, ys, args.tol), **jax_rows(ts, ys, args.tol)}
    ref_name = "fluxion odeint (LSODA)"
    _, ref = rows[ref_name]()
    results = []
    for name, call in rows.items():
        for _ in range(3):  # compile, promote, warm caches
            val, grad = call()
        err = np.max(np.abs(grad - ref)) / np.max(np.abs(ref))
        if not err <= 100 * args.tol:
            sys.exit(f"{name}: gradient differs from {ref_name} by {err:.2e} (relative)")
        results.append((name, median_time(call, args.repeats), err))

    versions = [f"python {sys.version.split()[0]}", f"numpy {np.__version__}"]
    for mod in ("scipy", "fluxion", "jax", "jaxlib", "diffrax"):
        try:
            versions.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            pass
    print(", ".join(versions))
    print(f"Lotka-Volterra, {len(ts)} output times over [0, {args.horizon}], tol {args.tol:g}; "
          f"value and gradient (theta, z0); median of {args.repeats}")
    base = dict((n, t[1]) for n, t, _ in results)[ref_name]
    print("| row | wall ms per value+gradient | CPU ms | CPU vs fluxion LSODA | gradient rel. "
          "diff |")
    print("|---|---:|---:|---:|---:|")
    for name, (wall, cpu), err in results:
        print(f"| {name} | {1e3 * wall:.2f} | {1e3 * cpu:.2f} | {cpu / base:.3g}x | {err:.1e} |")

    if args.profile:
        call = rows[ref_name]
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.repeats):
            call()
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(20)
        print(out.getvalue())


if __name__ == "__main__":
    main()
