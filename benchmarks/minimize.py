"""minimize benchmark: fluxion.optim.minimize against SciPy with hand-written and JAX gradients.

Two problems, both with L-BFGS-B, float64 throughout:

* ``seed`` -- the worksheet's line fit (shared/seeds/002): the negative log-likelihood in
  ``theta = (m, b, log s)`` on the worksheet's 50 points, from ``(0.5, -0.2, log 0.1)``
  (SciPy's default tolerances).
* ``logistic`` -- a 100-parameter logistic regression: 2,000 rows x 100 standard-normal
  features (``numpy.random.default_rng(20261125)``), labels drawn from the model with weights
  ``N(0, 1) / sqrt(100)``; objective ``sum(log(1 + exp(z)) - y z) + 0.5 ||w||^2`` with
  ``z = X w``, from ``w = 0``; ``ftol=1e-15, gtol=1e-10`` so that every row reaches the same
  optimum to 1e-6 despite different rounding.

Rows (each repeat builds NEW function objects, so tracing and compiling are inside the timing):

* ``fluxion jit`` -- ``fluxion.optim.minimize(f, x0, method="L-BFGS-B")`` (``jit=True``, the
  default: traced once per call, tier 0 at once, tier 1 (numba) promoted in the background
  after ``fluxion.config.jit_hot_calls`` calls);
* ``fluxion jit t0`` -- the same with ``jit_tier=0`` (tier 0 only: no numba promotion);
* ``fluxion eager`` -- ``minimize(..., jit=False)``: ``value_and_grad`` traced at every point;
* ``scipy+numpy`` -- ``scipy.optimize.minimize(f, x0, jac=True)`` with a hand-written NumPy
  value and analytic gradient (the floor);
* ``scipy+jax`` -- ``scipy.optimize.minimize`` on ``jax.jit(jax.value_and_grad(f))`` (x64),
  converting the outputs to NumPy; JAX's trace and XLA compile are inside the wall time.

Wall time: ``time.perf_counter`` around the whole call, GC on, median of ``--repeats`` (5);
the rows are interleaved within each repeat, so that load from other processes hits them alike.
Before timing, all rows must reach the same optimum: ``max |x - x_ref| < 1e-6`` against
``scipy+numpy`` (the script stops otherwise). nfev / njev / nit come from the result.

Usage::

    python benchmarks/minimize.py            # full run (about a minute)
    python benchmarks/minimize.py --quick    # 2 repeats
    python benchmarks/minimize.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import scipy
import scipy.optimize as so

import fluxion
import fluxion.numpy as fnp
from fluxion._src.demo import simulate_line_data
from fluxion.optim import minimize

try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError:  # pragma: no cover - optional peer
    jax = None

TOL = 1e-6

# --------------------------------------------------------------------------------------------
# Problems: each gives factories, so every repeat gets fresh function objects
# --------------------------------------------------------------------------------------------


def seed_problem() -> dict:
    x, y = simulate_line_data()
    x0 = np.array([0.5, -0.2, np.log(0.1)])

    def make_fluxion():
        def neg_log_like(theta, x, y):
            m, b, s = theta[0], theta[1], fnp.exp(theta[2])
            return 0.5 * fnp.sum(((y - m * x - b) / s) ** 2 + fnp.log(2 * np.pi * s**2))

        return neg_log_like

    def make_numpy():
        def value_and_grad(theta, x, y):
            m, b, log_s = theta
            s2 = np.exp(2 * log_s)
            r = y - m * x - b
            value = 0.5 * np.sum(r**2 / s2 + np.log(2 * np.pi * s2))
            grad = np.array([-np.sum(r * x) / s2, -np.sum(r) / s2, len(x) - np.sum(r**2) / s2])
            return value, grad

        return value_and_grad

    def make_jax():
        def neg_log_like(theta, x, y):
            m, b, s = theta[0], theta[1], jnp.exp(theta[2])
            return 0.5 * jnp.sum(((y - m * x - b) / s) ** 2 + jnp.log(2 * np.pi * s**2))

        return neg_log_like

    return {
        "name": "seed line fit (n = 3, 50 points)",
        "x0": x0,
        "args": (x, y),
        "options": None,
        "fluxion": make_fluxion,
        "numpy": make_numpy,
        "jax": make_jax,
    }


def logistic_problem(rows: int = 2000, features: int = 100) -> dict:
    rng = np.random.default_rng(20261125)
    a = rng.standard_normal((rows, features))
    w_true = rng.standard_normal(features) / np.sqrt(features)
    labels = (rng.uniform(size=rows) < 1 / (1 + np.exp(-a @ w_true))).astype(np.float64)
    x0 = np.zeros(features)

    def make_fluxion():
        def loss(w, a, labels):
            z = a @ w
            return fnp.sum(fnp.logaddexp(0.0, z) - labels * z) + 0.5 * fnp.sum(w**2)

        return loss

    def make_numpy():
        def value_and_grad(w, a, labels):
            z = a @ w
            value = np.sum(np.logaddexp(0.0, z) - labels * z) + 0.5 * (w @ w)
            p = 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid(z), overflow-free
            return value, a.T @ (p - labels) + w

        return value_and_grad

    def make_jax():
        def loss(w, a, labels):
            z = a @ w
            return jnp.sum(jnp.logaddexp(0.0, z) - labels * z) + 0.5 * jnp.sum(w**2)

        return loss

    return {
        "name": f"logistic regression (n = {features}, {rows} rows)",
        "x0": x0,
        "args": (a, labels),
        "options": {"ftol": 1e-15, "gtol": 1e-10, "maxiter": 10_000},
        "fluxion": make_fluxion,
        "numpy": make_numpy,
        "jax": make_jax,
    }


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


def run_fluxion(problem: dict, jit: bool, tier0: bool = False):
    f = problem["fluxion"]()
    res = minimize(
        f,
        problem["x0"],
        problem["args"],
        method="L-BFGS-B",
        jit=jit,
        jit_tier=0 if tier0 else None,
        options=problem["options"],
    )
    return res.x_flat, res


def run_scipy_numpy(problem: dict):
    f = problem["numpy"]()
    res = so.minimize(
        f,
        problem["x0"],
        problem["args"],
        method="L-BFGS-B",
        jac=True,
        options=problem["options"],
    )
    return res.x, res


def run_scipy_jax(problem: dict):
    vg = jax.jit(jax.value_and_grad(problem["jax"]()))
    args = tuple(jnp.asarray(a) for a in problem["args"])

    def fun(x):
        value, grad = vg(x, *args)
        return float(value), np.array(grad, dtype=np.float64)

    res = so.minimize(fun, problem["x0"], method="L-BFGS-B", jac=True, options=problem["options"])
    return res.x, res


ROWS = {
    "fluxion jit": lambda p: run_fluxion(p, jit=True),
    "fluxion jit t0": lambda p: run_fluxion(p, jit=True, tier0=True),
    "fluxion eager": lambda p: run_fluxion(p, jit=False),
    "scipy+numpy": run_scipy_numpy,
    "scipy+jax": run_scipy_jax,
}


def bench(problem: dict, repeats: int) -> list[dict]:
    rows = [r for r in ROWS if jax is not None or r != "scipy+jax"]
    if jax is None:
        print("note: jax is not installed; the scipy+jax row is skipped")
    x_ref, _ = run_scipy_numpy(problem)
    times: dict[str, list[float]] = {name: [] for name in rows}
    last: dict[str, tuple] = {}
    for _ in range(repeats):  # rows interleaved, so that machine noise hits them alike
        for name in rows:
            t0 = time.perf_counter()
            x, res = ROWS[name](problem)
            times[name].append(time.perf_counter() - t0)
            err = float(np.max(np.abs(np.asarray(x) - x_ref)))
            if not err < TOL:
                sys.exit(f"{name} on {problem['name']}: optimum differs by {err:.3g} > {TOL}")
            last[name] = (res, err)
    out = []
    for name in rows:
        res, err = last[name]
        out.append(
            {
                "row": name,
                "median_ms": 1e3 * statistics.median(times[name]),
                "min_ms": 1e3 * min(times[name]),
                "max_ms": 1e3 * max(times[name]),
                "nfev": int(res.nfev),
                "njev": int(res.njev),
                "nit": int(res.nit),
                "fun": float(res.fun),
                "max_dx": err,
            }
        )
    return out


def machine() -> dict:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "fluxion": fluxion.__version__,
    }
    if jax is not None:
        info["jax"] = jax.__version__
    try:
        import numba

        info["numba"] = numba.__version__
    except ImportError:
        pass
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    ns = parser.parse_args()
    repeats = 2 if ns.quick else ns.repeats
    info = machine()
    print(" ".join(f"{k}={v}" for k, v in info.items()))
    results = {"machine": info, "problems": []}
    for problem in (seed_problem(), logistic_problem()):
        rows = bench(problem, repeats)
        results["problems"].append({"problem": problem["name"], "rows": rows})
        print(f"\n{problem['name']}: L-BFGS-B, wall ms (median of {repeats}, min-max)")
        print(f"{'row':<16}{'median':>10}{'min':>10}{'max':>10}{'nfev':>7}{'njev':>7}{'nit':>6}")
        for r in rows:
            print(
                f"{r['row']:<16}{r['median_ms']:>10.2f}{r['min_ms']:>10.2f}{r['max_ms']:>10.2f}"
                f"{r['nfev']:>7}{r['njev']:>7}{r['nit']:>6}"
            )
        print(f"all rows reach the scipy+numpy optimum to {max(r['max_dx'] for r in rows):.1e}")
    if ns.json:
        with open(ns.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
