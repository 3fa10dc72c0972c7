"""Sampling benchmark: time per effective sample on the seed worksheet's posterior.

The posterior is the line fit of the worksheet (seed 002) in ``theta = (m, b, log_s)``: the
worksheet's N = 50 points (``np.random.seed(123)``, ``x = sort(uniform(-1, 1, 50))``,
``y = -0.4*x + 0.03 + 0.1*randn(50)``) and ::

    s = exp(log_s)
    log_prob(theta) = -0.5*sum(((y - m*x - b)/s)**2 + log(2*pi*s**2)) - 1.5*log(1 + m**2)

(flat prior on ``b`` and ``log_s``). Every sampler starts at the worksheet's
``(-0.4, 0.03, log 0.1)`` (each jitters it in its own way) and runs the same settings:

* ``fluxion-nuts`` -- ``fluxion.mcmc.sample(log_prob, theta0)``: NUTS, 4 chains x (1000
  warm-up + 1000 draws), Stan's windowed adaptation (the defaults);
* ``fluxion-nuts-nutpie`` -- the same with ``adaptation="nutpie"`` (an extra row);
* ``fluxion-ensemble`` -- ``kernel="ensemble"`` with the worksheet's emcee settings (an extra
  row: 32 walkers, 200 burn-in + 2000 steps, start jittered by 1e-5);
* ``emcee`` -- the worksheet's cell: ``emcee.EnsembleSampler(32, 3, log_prob)`` on a NumPy
  ``log_prob``, ``run_mcmc(pos, 200)``, ``reset()``, ``run_mcmc(pos, 2000)``;
* ``numpyro-vectorized`` / ``numpyro-sequential`` -- NumPyro NUTS (float64: ``jax_enable_x64``),
  4 chains x (1000 + 1000), ``chain_method="vectorized"`` / ``"sequential"``; the model has
  ``ImproperUniform`` sites and a ``numpyro.factor`` with the same ``log_prob``;
* ``pymc-nutpie`` -- a PyMC model (``Flat`` m, b, log_s; ``Potential`` prior; ``Normal``
  likelihood) compiled by ``nutpie.compile_pymc_model`` (numba backend) and sampled by
  ``nutpie.sample``, 4 chains x (1000 + 1000). It runs under ``--pymc-python`` (PyMC pins an
  older numba, so it may live in its own environment).

Two regimes, each sampler in its own FRESH subprocess (``--repeats`` of them, medians):

1. cold: the sampler's imports (timed separately), then model setup + compile + warm-up +
   sampling, to the draws in NumPy arrays ("run s"). fluxion runs once with an empty
   ``fluxion.config.cache_dir`` (a new temporary directory, also ``NUMBA_CACHE_DIR``) and once
   more in a new process on the directory the first one filled ("warm cache"), then once
   more after deleting from it everything but the model-independent compiled NUTS core and
   tape machine ("core": a new model on a machine where fluxion has sampled before; the model
   runs on the tape, nothing is compiled for it); PyMC+nutpie
   likewise with an empty and a filled PyTensor ``base_compiledir``. NumPyro runs with JAX's
   defaults ("off": no persistent compilation cache) and, vectorized, also with JAX's
   persistent compilation cache empty and filled (every executable kept); emcee compiles
   nothing.
2. warm: the same run a second time in the same process, with what the library keeps between
   calls: fluxion calls ``sample`` again with the same ``log_prob``; NumPyro calls ``run`` again
   on the same ``MCMC`` object (which still re-traces and recompiles its sampling loop unless
   the persistent cache serves it); nutpie samples the same compiled model again; emcee builds
   a new sampler. Warm-up is included; the seed is the cold run's plus one.

Each process's line shows the CPU time of each run next to its wall time (for the
single-threaded samplers, CPU well below wall means the process waited: for a core held by
another process, a CPU quota, or I/O) and the 1-minute load average at its end. Columns:
"import s" is the sampler's imports (NumPy is already loaded); "run s" the cold (or warm) run;
"process s" the wall time from spawning the interpreter to the cold run's draws.
For every run: min over (m, b, log_s) of the bulk ESS (``fluxion.diagnostics.ess``, equal to
ArviZ's; draws of shape (chain, draw); emcee's walkers count as chains, as in ArviZ's
``from_emcee``), ms per effective sample (run time / min ESS) and gradient evaluations per kept
draw where the sampler reports them (leapfrog steps). Before anything is reported, every run's
posterior means must agree pairwise within 5 combined MCSE (and sds within 15 %); otherwise the
script exits with an error.

Usage
-----
::

    python benchmarks/sampling.py                       # full run, a few minutes
    python benchmarks/sampling.py --quick               # smoke test: shorter chains, 1 repeat
    python benchmarks/sampling.py --pymc-python /path/to/venv/bin/python --json out.json
    python benchmarks/sampling.py --skip pymc-nutpie --skip numpyro-sequential

A sampler whose package is missing is skipped with a printed note.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

PARAMS = ("m", "b", "log_s")
THETA0 = np.array([-0.4, 0.03, np.log(0.1)])
SAMPLERS = (
    "fluxion-nuts",
    "fluxion-nuts-nutpie",
    "fluxion-ensemble",
    "emcee",
    "numpyro-vectorized",
    "numpyro-sequential",
    "pymc-nutpie",
)
# the compile-cache variants of each sampler's fresh processes, run in this order on one
# directory per repeat: "empty" fills it, "warm" reuses it; "off" is JAX's default (no
# persistent cache); "none": nothing to cache
CACHES = {
    # fluxion's "core": the cache kept only the model-independent compiled NUTS (compiled once
    # per machine), not this model's kernels: the first run of a new model
    "fluxion-nuts": ("empty", "warm", "core"),
    "fluxion-nuts-nutpie": ("empty", "warm", "core"),
    "fluxion-ensemble": ("empty", "warm"),
    "emcee": ("none",),
    "numpyro-vectorized": ("off", "empty", "warm"),
    "numpyro-sequential": ("off",),
    "pymc-nutpie": ("empty", "warm"),
}
FULL = {"chains": 4, "warmup": 1000, "draws": 1000, "walkers": 32, "burn": 200, "steps": 2000}
QUICK = {"chains": 4, "warmup": 300, "draws": 300, "walkers": 32, "burn": 100, "steps": 500}
MEAN_Z = 5.0  # posterior means must agree within this many combined MCSE
SD_RTOL = 0.15  # and posterior sds within this relative difference
PACKAGES = {
    "fluxion": ("fluxion", "numpy", "scipy", "numba"),
    "emcee": ("emcee", "numpy"),
    "numpyro": ("numpyro", "jax", "jaxlib", "numpy"),
    "pymc": ("pymc", "pytensor", "nutpie", "numba", "numpy"),
}


# --------------------------------------------------------------------------- model


# the worksheet's data and log-posterior: the same code as the other benchmarks
from grad_overhead import make_data, make_log_prob  # noqa: E402

# ------------------------------------------------------------------------ children
# Each ``setup_*`` does its sampler's imports (the child times them) and returns
# ``run(seed) -> (draws (chain, draw, 3), grads per kept draw or None, divergences or None,
# extra timings)``. ``run`` covers model setup, compile, warm-up and sampling; a second call
# is the warm regime and reuses whatever the first one built.


def setup_fluxion(name: str, cfg: dict, cache_dir: str, cache: str) -> Callable:
    import fluxion

    fluxion.config.update("cache_dir", cache_dir)
    built: dict = {}

    def run(seed: int):
        import fluxion.numpy as fnp

        if "log_prob" not in built:
            built["log_prob"] = make_log_prob(fnp, *make_data(50))
        if name == "fluxion-ensemble":
            kwargs = dict(
                kernel="ensemble",
                walkers=cfg["walkers"],
                warmup=cfg["burn"],
                draws=cfg["steps"],
                init_jitter=1e-5,
            )
        else:
            kwargs = dict(chains=cfg["chains"], warmup=cfg["warmup"], draws=cfg["draws"])
            if name == "fluxion-nuts-nutpie":
                kwargs["adaptation"] = "nutpie"
        result = fluxion.mcmc.sample(
            built["log_prob"], THETA0.copy(), seed=seed, progress=False, **kwargs
        )
        draws = np.asarray(result.draws[next(iter(result.draws))])
        if name == "fluxion-ensemble":
            return draws, None, None, {}
        grads = float(np.mean(result.stats["n_leapfrog"]))
        return draws, grads, int(np.sum(result.stats["divergent"])), {}

    return run


def setup_emcee(name: str, cfg: dict, cache_dir: str, cache: str) -> Callable:
    import emcee

    def run(seed: int):
        log_prob = make_log_prob(np, *make_data(50))
        rng = np.random.RandomState(seed)
        pos = THETA0 + 1e-5 * rng.randn(cfg["walkers"], THETA0.size)
        nwalkers, ndim = pos.shape
        sampler = emcee.EnsembleSampler(nwalkers, ndim, log_prob)
        sampler.random_state = rng.get_state()
        pos, _, _ = sampler.run_mcmc(pos, cfg["burn"])
        sampler.reset()
        sampler.run_mcmc(pos, cfg["steps"])
        draws = np.swapaxes(sampler.get_chain(), 0, 1)  # (walker, step, dim)
        return draws, None, None, {}

    return run


def setup_numpyro(name: str, cfg: dict, cache_dir: str, cache: str) -> Callable:
    import jax

    jax.config.update("jax_enable_x64", True)
    if cache != "off":  # JAX's persistent compilation cache, every executable kept
        jax.config.update("jax_compilation_cache_dir", os.path.join(cache_dir, "jax"))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS, init_to_value

    method = name.split("-", 1)[1]
    built: dict = {}

    def run(seed: int):
        if "mcmc" not in built:
            x, y = make_data(50)
            log_prob = make_log_prob(jnp, jnp.asarray(x), jnp.asarray(y))

            def model():
                flat = dist.ImproperUniform(dist.constraints.real, (), ())
                theta = [numpyro.sample(p, flat) for p in PARAMS]
                numpyro.factor("log_prob", log_prob(theta))

            init = init_to_value(values=dict(zip(PARAMS, THETA0.tolist())))
            built["mcmc"] = MCMC(
                NUTS(model, init_strategy=init),
                num_warmup=cfg["warmup"],
                num_samples=cfg["draws"],
                num_chains=cfg["chains"],
                chain_method=method,
                progress_bar=False,
            )
        mcmc = built["mcmc"]
        mcmc.run(jax.random.PRNGKey(seed), extra_fields=("num_steps", "diverging"))
        samples = mcmc.get_samples(group_by_chain=True)
        draws = np.stack([np.asarray(samples[p]) for p in PARAMS], axis=-1)
        extra = mcmc.get_extra_fields(group_by_chain=True)
        grads = float(np.mean(np.asarray(extra["num_steps"])))
        return draws, grads, int(np.sum(np.asarray(extra["diverging"]))), {}

    return run


def setup_pymc(name: str, cfg: dict, cache_dir: str, cache: str) -> Callable:
    import nutpie
    import pymc as pm
    import pytensor.tensor as pt

    built: dict = {}

    def run(seed: int):
        extra = {}
        if "compiled" not in built:
            t0 = time.perf_counter()
            x, y = make_data(50)
            with pm.Model() as model:
                m = pm.Flat("m", initval=THETA0[0])
                b = pm.Flat("b", initval=THETA0[1])
                log_s = pm.Flat("log_s", initval=THETA0[2])
                pm.Potential("prior", -1.5 * pt.log(1 + m**2))
                pm.Normal("y", mu=m * x + b, sigma=pt.exp(log_s), observed=y)
            built["compiled"] = nutpie.compile_pymc_model(model)
            extra["compile_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        trace = nutpie.sample(
            built["compiled"],
            chains=cfg["chains"],
            tune=cfg["warmup"],
            draws=cfg["draws"],
            seed=seed,
            progress_bar=False,
        )
        draws = np.stack([trace.posterior[p].values for p in PARAMS], axis=-1)
        extra["sample_s"] = time.perf_counter() - t0
        stats = trace.sample_stats
        grads = float(stats["n_steps"].values.mean())
        return draws, grads, int(stats["diverging"].values.sum()), extra

    return run


SETUPS = {
    "fluxion-nuts": ("fluxion", setup_fluxion),
    "fluxion-nuts-nutpie": ("fluxion", setup_fluxion),
    "fluxion-ensemble": ("fluxion", setup_fluxion),
    "emcee": ("emcee", setup_emcee),
    "numpyro-vectorized": ("numpyro", setup_numpyro),
    "numpyro-sequential": ("numpyro", setup_numpyro),
    "pymc-nutpie": ("pymc", setup_pymc),
}


def child_main(args: argparse.Namespace) -> int:
    """Run one sampler cold then warm in this (fresh) process; save draws, print a RESULT."""
    import importlib.metadata

    cfg = json.loads(args.settings)
    family, setup = SETUPS[args.child]
    t0 = time.perf_counter()
    try:
        run = setup(args.child, cfg, args.cache_dir, args.cache)
    except ImportError as exc:
        print("RESULT " + json.dumps({"missing": f"{type(exc).__name__}: {exc}"}))
        return 0
    import_s = time.perf_counter() - t0
    out: dict[str, Any] = {"import_s": import_s, "versions": {}}
    arrays = {}
    for regime, seed in (("cold", args.seed), ("warm", args.seed + 1)):
        t0, c0 = time.perf_counter(), time.process_time()
        draws, grads, divergences, extra = run(seed)
        out[regime] = {
            "run_s": time.perf_counter() - t0,
            "cpu_s": time.process_time() - c0,  # below run_s: this process waited for a core
            "loadavg": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
            "grads_per_draw": grads,
            "divergences": divergences,
            **extra,
        }
        arrays[regime] = np.asarray(draws, dtype=np.float64)
        if regime == "cold":
            out["cold_end_epoch"] = time.time()
    for pkg in PACKAGES[family]:
        try:
            out["versions"][pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out["versions"][pkg] = "not installed"
    out["versions"]["python"] = platform.python_version()
    np.savez(args.npz, **arrays)
    print("RESULT " + json.dumps(out))
    return 0


# -------------------------------------------------------------------------- parent


# the model-independent compiled files: the NUTS core and the tape machine
MODEL_INDEPENDENT = ("fx_nutscore_", "fx_tapevm_")


def keep_only_nuts_core(cache_dir: str) -> None:
    """Delete every compiled file but the model-independent ones (``MODEL_INDEPENDENT``: their
    sources, marker and numba cache entries), so the next run meets the model anew."""
    for root, _, files in os.walk(cache_dir):
        for f in files:
            if not f.startswith(MODEL_INDEPENDENT):
                os.remove(os.path.join(root, f))


def run_child(
    name: str, python: str, cfg: dict, seed: int, cache_dir: str, cache: str, npz: str
) -> dict[str, Any]:
    """Run ``name`` in a fresh process; return its RESULT with the draws loaded."""
    if cache == "core":
        keep_only_nuts_core(cache_dir)
    env = dict(os.environ, JAX_PLATFORMS="cpu", NUMBA_CACHE_DIR=os.path.join(cache_dir, "nb"))
    env["PYTENSOR_FLAGS"] = f"base_compiledir={os.path.join(cache_dir, 'pytensor')}"
    cmd = [python, os.path.abspath(__file__), "--child", name, "--seed", str(seed)]
    cmd += ["--settings", json.dumps(cfg), "--cache-dir", cache_dir, "--cache", cache]
    cmd += ["--npz", npz]
    spawned = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200)
    # (fluxion compiles what a run needs before it samples, nothing in the background: the
    # next row finds the cache filled)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
            break
    else:
        lines = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()
        return {"error": f"exit {proc.returncode}: {lines[-1]}"}
    if "missing" in result:
        return result
    # interpreter start, imports and the cold run, up to its draws in NumPy arrays
    result["process_s"] = result.pop("cold_end_epoch") - spawned
    with np.load(npz) as f:
        result["draws"] = {k: f[k] for k in f.files}
    os.remove(npz)
    return result


def posterior_stats(draws: np.ndarray) -> dict[str, Any]:
    """Bulk ESS, mean, MCSE of the mean and sd of each parameter; draws (chain, draw, 3)."""
    import fluxion.diagnostics as fd

    cols = [draws[..., i] for i in range(draws.shape[-1])]
    ess = [float(fd.ess(c, method="bulk")) for c in cols]
    return {
        "ess_bulk": ess,
        "min_ess": min(ess),
        "mean": [float(c.mean()) for c in cols],
        "mcse": [float(fd.mcse(c, method="mean")) for c in cols],
        "sd": [float(c.std(ddof=1)) for c in cols],
    }


def check_agreement(runs: dict[str, dict]) -> float:
    """Exit unless every pair of runs agrees on means (MCSE) and sds; return the worst z."""
    worst = 0.0
    for (na, a), (nb, b) in itertools.combinations(runs.items(), 2):
        for i, p in enumerate(PARAMS):
            se = np.hypot(a["mcse"][i], b["mcse"][i])
            z = abs(a["mean"][i] - b["mean"][i]) / se
            rel = abs(a["sd"][i] - b["sd"][i]) / min(a["sd"][i], b["sd"][i])
            worst = max(worst, z)
            if z > MEAN_Z or rel > SD_RTOL:
                sys.exit(
                    f"error: {na} and {nb} disagree on {p}: means {a['mean'][i]:.5f} vs "
                    f"{b['mean'][i]:.5f} ({z:.1f} MCSE), sds {a['sd'][i]:.5f} vs "
                    f"{b['sd'][i]:.5f} ({rel:.1%})"
                )
    return worst


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _med(values: list[float | None]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def summarize(children: list[dict], regime: str) -> dict[str, Any]:
    """Medians over fresh processes of one (sampler, cache) row in one regime."""
    rows = [c[regime] for c in children]
    ms_per_ess = [r["run_s"] * 1e3 / r["stats"]["min_ess"] for r in rows]
    record = {
        "run_s": _med([r["run_s"] for r in rows]),
        "min_ess": _med([r["stats"]["min_ess"] for r in rows]),
        "ms_per_ess": _med(ms_per_ess),
        "grads_per_draw": _med([r["grads_per_draw"] for r in rows]),
        "divergences": _med([r["divergences"] for r in rows]),
        "runs_s": [r["run_s"] for r in rows],
        "cpu_s": [r["cpu_s"] for r in rows],
        "loadavg": [r["loadavg"] for r in rows],
    }
    for key in ("compile_s", "sample_s"):
        if key in rows[0]:
            record[key] = _med([r[key] for r in rows])
    if regime == "cold":
        record["import_s"] = _med([c["import_s"] for c in children])
        record["process_s"] = _med([c["process_s"] for c in children])
    return record


def cold_table(records: list[dict]) -> str:
    lines = [
        "| sampler | compile cache | import s | run s | process s | min bulk ESS | ms/ESS "
        "| grads/draw | divergences |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in records:
        c = r["cold"]
        lines.append(
            f"| {r['sampler']} | {r['cache']} | {_fmt(c['import_s'])} | {_fmt(c['run_s'])} | "
            f"{_fmt(c['process_s'])} | {c['min_ess']:,.0f} | {_fmt(c['ms_per_ess'], 3)} | "
            f"{_fmt(c['grads_per_draw'])} | {_fmt(c['divergences'], 0)} |"
        )
    return "\n".join(lines)


def warm_table(records: list[dict]) -> str:
    lines = [
        "| sampler | compile cache | run s | min bulk ESS | ms/ESS | grads/draw |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in records:
        w = r["warm"]
        lines.append(
            f"| {r['sampler']} | {r['cache']} | {_fmt(w['run_s'], 3)} | {w['min_ess']:,.0f} | "
            f"{_fmt(w['ms_per_ess'], 4)} | {_fmt(w['grads_per_draw'])} |"
        )
    return "\n".join(lines)


def goals(records: list[dict]) -> list[str]:
    """The issue's goals, from this run: fluxion NUTS against the best peer."""
    ours = [r for r in records if r["sampler"] == "fluxion-nuts"]
    peers = [r for r in records if not r["sampler"].startswith("fluxion")]
    lines = []
    if not ours or not peers:
        return lines
    for regime in ("cold", "warm"):
        best = min(peers, key=lambda r: r[regime]["ms_per_ess"])
        for r in ours:
            ratio = r[regime]["ms_per_ess"] / best[regime]["ms_per_ess"]
            lines.append(
                f"{regime}: fluxion-nuts ({r['cache']} cache) {r[regime]['ms_per_ess']:.3f} ms/ESS "
                f"= {ratio:.2f}x the best peer, {best['sampler']} ({best['cache']} cache) "
                f"{best[regime]['ms_per_ess']:.3f} ms/ESS"
                + (" (goal: at most 0.25x)" if regime == "cold" else "")
            )
    nutpie = [r for r in records if r["sampler"] == "pymc-nutpie"]
    if nutpie:
        sample_s = min(r["warm"]["run_s"] for r in nutpie)
        run_s = min(r["warm"]["run_s"] for r in ours)
        lines.append(
            f"sampling alone (warm run): fluxion-nuts {run_s:.3f} s vs nutpie {sample_s:.3f} s "
            f"= {run_s / sample_s:.2f}x (goal: at most 1x)"
        )
    return lines


def posterior_table(stats: dict[str, dict]) -> str:
    head = " | ".join(f"{p} mean ± MCSE" for p in PARAMS)
    lines = [f"| run | {head} |", "|---|" + "---:|" * len(PARAMS)]
    for name, s in stats.items():
        cells = " | ".join(f"{m:.4f} ± {e:.4f}" for m, e in zip(s["mean"], s["mcse"]))
        lines.append(f"| {name} | {cells} |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short chains, 1 repeat: a smoke test")
    parser.add_argument("--json", metavar="PATH", help="also write all results as JSON")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=SAMPLERS,
        metavar="NAME",
        help=f"leave a sampler out (repeatable): one of {', '.join(SAMPLERS)}",
    )
    parser.add_argument("--repeats", type=int, help="fresh processes per row (default 3, quick 1)")
    parser.add_argument("--seed", type=int, default=20261125, help="seed of the cold run")
    parser.add_argument(
        "--pymc-python",
        default=sys.executable,
        metavar="PYTHON",
        help="interpreter with pymc and nutpie (default: this one)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--npz", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args)
    import fluxion._src.demo as demo

    x, y = make_data(50)
    if not all(np.array_equal(a, b) for a, b in zip((x, y), demo.simulate_line_data())):
        sys.exit("error: the benchmark's data differ from fluxion's demo data")
    cfg = QUICK if args.quick else FULL
    repeats = args.repeats or (1 if args.quick else 3)
    info = machine_info()
    print(f"# sampling ({'quick' if args.quick else 'full'} run)\n")
    print(f"CPU: {info['cpu']}; nproc {info['nproc']}; Python {info['python']}")
    print(f"load average at start: {info['loadavg']}")
    print(f"settings: {cfg}; {repeats} fresh process(es) per row\n")

    names = [n for n in SAMPLERS if n not in args.skip]
    children: dict[tuple[str, str], list[dict]] = {}
    versions: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    workdir = tempfile.mkdtemp(prefix="fluxion-bench-sampling-")
    try:
        for rep in range(repeats):
            for name in names:
                if name in skipped:
                    continue
                python = args.pymc_python if name == "pymc-nutpie" else sys.executable
                cache_dir = os.path.join(workdir, f"{name}-{rep}")
                os.makedirs(cache_dir)
                for cache in CACHES[name]:
                    npz = os.path.join(workdir, f"{name}-{rep}-{cache}.npz")
                    result = run_child(name, python, cfg, args.seed, cache_dir, cache, npz)
                    if "missing" in result or "error" in result:
                        skipped[name] = result.get("missing") or result["error"]
                        print(f"note: skipping {name!r}: {skipped[name]}")
                        break
                    for regime in ("cold", "warm"):
                        result[regime]["stats"] = posterior_stats(result["draws"][regime])
                    del result["draws"]
                    versions[name] = result["versions"]
                    children.setdefault((name, cache), []).append(result)
                    c, w = result["cold"], result["warm"]
                    print(
                        f"  {name:<19} cache {cache:<5} import {result['import_s']:5.2f} s  "
                        f"cold {c['run_s']:6.3f} s (cpu {c['cpu_s']:6.3f}, ESS "
                        f"{c['stats']['min_ess']:5.0f})  warm {w['run_s']:6.3f} s (cpu "
                        f"{w['cpu_s']:6.3f}, ESS {w['stats']['min_ess']:5.0f})  "
                        f"load {w['loadavg']:.2f}",
                        flush=True,
                    )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if not children:
        sys.exit("error: no sampler ran")

    # correctness before any report: the first process of each row, cold and warm runs
    post: dict[str, dict] = {}
    for (name, cache), results in children.items():
        for regime in ("cold", "warm"):
            post[f"{name} ({cache} cache, {regime})"] = results[0][regime]["stats"]
    worst = check_agreement(post)
    print(
        f"\nall {len(post)} runs agree: posterior means within {MEAN_Z:g} combined MCSE "
        f"(worst {worst:.2f}), sds within {SD_RTOL:.0%}"
    )

    records = []
    for (name, cache), results in children.items():
        records.append(
            {
                "sampler": name,
                "cache": cache,
                "cold": summarize(results, "cold"),
                "warm": summarize(results, "warm"),
                "processes": len(results),
            }
        )
    info["loadavg_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None

    print("\n## cold: fresh process, setup + compile + warm-up + sampling (medians)\n")
    print(cold_table(records))
    print("\n## warm: the same run again in the same process (medians)\n")
    print(warm_table(records))
    for r in records:
        if "compile_s" in r["cold"]:
            print(
                f"\n{r['sampler']} ({r['cache']} cache): compile {r['cold']['compile_s']:.2f} s, "
                f"sample {r['cold']['sample_s']:.3f} s of the cold run"
            )
    print("\n## goals\n")
    for line in goals(records):
        print(line)
    print("\n## posterior (first process of each row)\n")
    print(posterior_table(post))
    print("\nversions:")
    for name, v in versions.items():
        print(f"  {name}: " + ", ".join(f"{k} {val}" for k, val in v.items()))
    for name, why in skipped.items():
        print(f"  {name}: skipped ({why})")
    print(f"\nload average at end: {info['loadavg_end']}")

    if args.json:
        payload = {
            "machine": info,
            "settings": {**cfg, "repeats": repeats, "seed": args.seed, "quick": args.quick},
            "records": records,
            "posterior": post,
            "versions": versions,
            "skipped": skipped,
        }
        with open(args.json, "w") as f:
            json.dump(payload, f, indent=2)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
