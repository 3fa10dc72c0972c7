"""First run on a fresh machine vs a later run: ``fluxion.mcmc.sample`` on an empty compile cache.

Two posteriors, each in fresh subprocesses (``config.cache_dir`` and ``NUMBA_CACHE_DIR`` in a new
temporary directory):

* ``worksheet``: the seed worksheet's line fit (3 parameters, 50 points; ``_src/demo.py``);
* ``regression26``: a linear regression with 25 coefficients and log sigma on 500 x 25 data.

For each: ``cold`` = a process on the empty cache (the NUTS core's entry points and the potential
compile first), ``warm`` = a second process on the cache the first one filled; each times the
``sample`` call only (imports apart). ``core`` = in a third process on another empty cache, the
compile of the model-independent pieces alone (the core's two entry points for Stan's warm-up and
the tape machine, side by side as ``sample`` does). Checks: the cold and warm draws are identical
(same seed; also for a new model on a cache where only the core is compiled: ``new_model``),
and the issue's goals: worksheet cold <= 2 x warm + core; regression26 cold <= 2 x
warm.

Usage::

    python benchmarks/first_run.py [--repeat N] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

_RUN = r"""
import json, sys, time
import numpy as np
t_import = time.perf_counter()
import fluxion
import fluxion.numpy as fnp
fluxion.config.update("cache_dir", {cache!r})
t_import = time.perf_counter() - t_import
model = {model!r}
if model == "worksheet":
    from fluxion._src.demo import line_log_prob, simulate_line_data
    x, y = simulate_line_data()
    def log_prob(theta):
        return line_log_prob(theta, x, y)
    init = np.array([-0.3, 0.0, np.log(0.2)])
else:
    rng = np.random.default_rng(26)
    n, k = 500, 25
    x = rng.normal(size=(n, k))
    y = x @ rng.normal(size=k) + 0.7 * rng.normal(size=n)
    def log_prob(p):
        r = y - x @ p["beta"]
        return (-n * p["log_sigma"] - 0.5 * fnp.sum(r * r) * fnp.exp(-2.0 * p["log_sigma"])
                - 0.5 * fnp.sum(p["beta"] ** 2) / 25.0)
    init = {{"beta": np.zeros(k), "log_sigma": 0.0}}
start = time.perf_counter()
res = fluxion.mcmc.sample(log_prob, init, chains=4, draws=1000, warmup=1000, seed=2026,
                          progress=False)
elapsed = time.perf_counter() - start
flat = np.concatenate([np.asarray(v).reshape(4, 1000, -1) for v in res.draws.values()], axis=-1)
np.save({out!r}, flat)
print(json.dumps({{"seconds": elapsed, "import": t_import, "compiled": res.compiled,
                  "potential": res.potential, "reason": res.compiled_reason}}))
"""

_CORE = r"""
import json, time
import fluxion
fluxion.config.update("cache_dir", {cache!r})
from fluxion._src.codegen.tape import machine_job
from fluxion._src.mcmc.numba_nuts import load_core
start = time.perf_counter()
load_core("stan", (machine_job(),))
print(json.dumps({{"seconds": time.perf_counter() - start}}))
"""


def _fresh(script: str, numba_cache: str) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": numba_cache}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(model: str) -> dict:
    """Cold, warm and core-compile seconds of one model (fresh processes, fresh caches)."""
    with tempfile.TemporaryDirectory() as tmp:
        cache, numba_cache = os.path.join(tmp, "cache"), os.path.join(tmp, "numba")
        runs = {}
        for which in ("cold", "warm"):
            out = os.path.join(tmp, f"{which}.npy")
            runs[which] = _fresh(_RUN.format(cache=cache, model=model, out=out), numba_cache)
            runs[which]["draws"] = np.load(out)
    with tempfile.TemporaryDirectory() as tmp:
        cache, numba_cache = os.path.join(tmp, "cache"), os.path.join(tmp, "n")
        core = _fresh(_CORE.format(cache=cache), numba_cache)
        # a new model on a machine whose model-independent pieces are compiled: what every
        # model after the machine's first pays (its own kernel's compile, if it gets one)
        out = os.path.join(tmp, "new.npy")
        new = _fresh(_RUN.format(cache=cache, model=model, out=out), numba_cache)
        same_new = bool(np.array_equal(np.load(out), runs["warm"]["draws"]))
    same = bool(np.array_equal(runs["cold"]["draws"], runs["warm"]["draws"])) and same_new
    return {
        "model": model,
        "cold": runs["cold"]["seconds"],
        "warm": runs["warm"]["seconds"],
        "core": core["seconds"],
        "new_model": new["seconds"],
        "compiled": runs["cold"]["compiled"],
        "potential": runs["cold"]["potential"],
        "reason": runs["cold"]["reason"],
        "same_draws": same,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="measurements per model")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    results = []
    print(f"load average at start: {os.getloadavg()[0]:.2f}, nproc {os.cpu_count()}")
    for model in ("worksheet", "regression26"):
        rows = [measure(model) for _ in range(args.repeat)]
        row = dict(rows[0])
        for key in ("cold", "warm", "core", "new_model"):
            row[key] = float(np.median([r[key] for r in rows]))
        row["same_draws"] = all(r["same_draws"] for r in rows)
        results.append(row)
        print(
            f"{model}: cold {row['cold']:.2f} s, warm {row['warm']:.2f} s, core compile "
            f"{row['core']:.2f} s, new model on a compiled core {row['new_model']:.2f} s; "
            f"cold/warm {row['cold'] / row['warm']:.2f}; chains "
            f"{row['compiled']}/{row['potential']} ({row['reason']}); same draws cold and warm: "
            f"{row['same_draws']}"
        )
    ws, reg = results
    goal_ws = 2 * ws["warm"] + ws["core"]
    print(
        f"goal worksheet: cold {ws['cold']:.2f} s <= 2 x warm + core = {goal_ws:.2f} s: "
        f"{'met' if ws['cold'] <= goal_ws else 'NOT met'}"
    )
    print(
        f"goal regression26: cold {reg['cold']:.2f} s <= 2 x warm = {2 * reg['warm']:.2f} s: "
        f"{'met' if reg['cold'] <= 2 * reg['warm'] else 'NOT met'}"
    )
    print(
        f"regression26, a new model on a compiled core: {reg['new_model']:.2f} s <= 2 x warm = "
        f"{2 * reg['warm']:.2f} s: {'met' if reg['new_model'] <= 2 * reg['warm'] else 'NOT met'}"
    )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"time": time.time(), "results": results}, fh, indent=1)


if __name__ == "__main__":
    main()
