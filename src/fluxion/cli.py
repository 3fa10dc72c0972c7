"""The fluxion command line.

``fluxion demo`` runs the seed worksheet end to end (the main job): the line fit's value,
gradient and Hessian; a maximum-likelihood fit by L-BFGS-B; the posterior sampled with the
ensemble sampler (32 walkers, as in the worksheet) and with NUTS (4 chains); a diagnostics table,
the time per effective sample of each sampler, and a corner plot.

``fluxion sample MODEL.py --out DIR`` samples a model file that defines ``log_prob(params)``
and ``init`` (and optionally ``constraints``) and writes summary.csv, the draws (draws.nc,
rewritten while the chains run, so that Ctrl-C or a killed process loses no finished draw),
corner.png and trace.png; ``fluxion sample --resume DIR`` continues an interrupted run to the
draws an uninterrupted one would have given. ``--workers N`` runs the chains on a local dask
cluster of N processes and ``--scheduler ADDRESS`` on an existing one: the same draws.

``fluxion precompile`` compiles the model-independent NUTS core and tape machine into the cache
directory now (about 13 s), so that the first ``sample`` on this machine runs compiled chains too.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

# Each command imports what it uses inside its function (fluxion itself, SciPy through optim and
# diagnostics, numba through mcmc, matplotlib through plot): `fluxion --help` and a mistyped
# command answer at once instead of after seconds of imports.


def _demo(args: argparse.Namespace) -> int:
    # print options scoped to the demo: tests call the CLI in-process, and a global change
    # leaked into every later repr (the coverage doc's messages came out with 10 digits)
    with np.printoptions(precision=10, suppress=False, linewidth=100):
        return _demo_printed(args)


def _demo_printed(args: argparse.Namespace) -> int:
    import fluxion
    import fluxion.numpy as fnp
    from fluxion._src.demo import (
        TRUE_PARAMS,
        line_log_likelihood,
        line_log_prob,
        simulate_line_data,
    )

    x, y = simulate_line_data(args.n, args.seed)
    p = np.array(TRUE_PARAMS)

    def loglike(p: np.ndarray) -> object:
        return line_log_likelihood(p[0], p[1], p[2], x, y)

    print(f"fluxion {fluxion.__version__}: the seed line fit (N={args.n}, seed={args.seed})")
    print(f"at (m, b, s) = {TRUE_PARAMS}")
    t0 = time.perf_counter()
    value, grad = fluxion.value_and_grad(loglike)(p)
    hess = fluxion.hessian(loglike)(p)
    elapsed = time.perf_counter() - t0
    print(f"log-likelihood   {float(value)!r}")
    print(f"gradient         {grad}")
    print("Hessian          " + np.array2string(hess, prefix=" " * 17))
    theta = np.array([TRUE_PARAMS[0], TRUE_PARAMS[1], np.log(TRUE_PARAMS[2])])
    g_log_s = fluxion.grad(lambda t: line_log_likelihood(t[0], t[1], fnp.exp(t[2]), x, y))(theta)
    print(f"d/d(log s)       {float(g_log_s[2])!r}")
    lp, glp = fluxion.value_and_grad(line_log_prob)(theta, x, y)
    print(f"log-posterior in (m, b, log s): {float(lp)!r}, gradient {glp}")
    print(f"(value, gradient and Hessian in {elapsed * 1e3:.1f} ms)")
    if args.no_sampling:
        return 0
    return _demo_fit_and_sample(args, x, y)


def _min_ess(res: object) -> float:
    """NUTS: the smallest bulk ESS; the ensemble (correlated walkers): the worksheet's
    steps x walkers / tau with emcee's autocorrelation time, the smallest over parameters."""
    if res.kernel == "ensemble":
        import warnings

        with warnings.catch_warnings():  # "shorter than 50 tau" is the run's own warning
            warnings.simplefilter("ignore", RuntimeWarning)
            tau = res.get_autocorr_time(quiet=True)
        return float(res.flatchain.shape[0] / np.max(tau))
    from fluxion.diagnostics import ess

    return float(min(np.min(ess(v, method="bulk")) for v in res.draws.values()))


def _demo_fit_and_sample(args: argparse.Namespace, x: np.ndarray, y: np.ndarray) -> int:
    import os
    import warnings

    import fluxion.numpy as fnp
    from fluxion._src.demo import TRUE_PARAMS, line_log_likelihood
    from fluxion.mcmc import sample
    from fluxion.optim import minimize

    def log_prob(p: dict) -> object:
        # the worksheet's posterior: Gaussian likelihood in (m, b, log s), prior -1.5 log(1+m^2)
        s = fnp.exp(p["log_s"])
        return line_log_likelihood(p["m"], p["b"], s, x, y) - 1.5 * fnp.log(1.0 + p["m"] ** 2)

    print("\n== maximum likelihood (L-BFGS-B, exact gradient) ==")
    start = {"m": 0.5, "b": -0.2, "log_s": float(np.log(0.1))}
    t0 = time.perf_counter()
    fit = minimize(lambda p: -line_log_likelihood(p["m"], p["b"], fnp.exp(p["log_s"]), x, y),
                   start, method="L-BFGS-B")
    t_fit = time.perf_counter() - t0
    m, b, s = float(fit.x["m"]), float(fit.x["b"]), float(np.exp(fit.x["log_s"]))
    print(f"m = {m:.7f}, b = {b:.7f}, s = {s:.7f}; log-likelihood {-float(fit.fun):.7f} "
          f"({fit.nfev} evaluations, {t_fit * 1e3:.1f} ms)")

    walkers, burn, steps = (32, 200, 2000) if not args.quick else (32, 50, 300)
    chains, warmup, draws = (4, 1000, 1000) if not args.quick else (2, 200, 200)
    init = {"m": m, "b": b, "log_s": float(np.log(s))}
    rows = []
    print(f"\n== ensemble sampler: {walkers} walkers, {burn} burn-in + {steps} steps ==")
    ens = sample(log_prob, init, kernel="ensemble", walkers=walkers, warmup=burn, draws=steps,
                 seed=args.seed, progress=not args.quiet, init_jitter=1e-4)
    rows.append(("ensemble", ens))
    print(f"== NUTS: {chains} chains, {warmup} warm-up + {draws} draws ==")
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        nuts = sample(log_prob, init, kernel="nuts", chains=chains, warmup=warmup, draws=draws,
                      seed=args.seed, progress=not args.quiet)
    rows.append(("NUTS", nuts))
    for name, res in rows:
        print(f"\n{name}: {res.elapsed:.2f} s (compile, warm-up and sampling included)")
        table = res.summary(round_to=4)  # the ensemble's has tau and ESS, not a walker R-hat
        print(table.to_string() if hasattr(table, "to_string") else table)
    print("\n== time per effective sample (min ESS over m, b, log s: NUTS bulk ESS; ensemble "
          "steps x walkers / tau) ==")
    for name, res in rows:
        n_eff = _min_ess(res)
        print(f"{name:>9}: {res.elapsed:6.2f} s, ESS {n_eff:7.0f}, "
              f"{1e3 * res.elapsed / n_eff:.3f} ms per effective sample")
    if nuts.num_divergences:
        print(f"NUTS reported {nuts.num_divergences} divergent transitions")
    if not args.no_plot:
        path = os.path.join(args.out, "corner.png")
        try:
            from fluxion.plot import corner

            truths = {"m": TRUE_PARAMS[0], "b": TRUE_PARAMS[1], "log_s": np.log(TRUE_PARAMS[2])}
            os.makedirs(args.out, exist_ok=True)
            corner(nuts.draws, var_names=["m", "b", "log_s"], truths=truths, path=path)
            print(f"\ncorner plot of the NUTS draws written to {path}")
        except ImportError as err:
            print(f"\nno corner plot: {err}")
    return 0


class CommandError(Exception):
    """A user error the command line reports in one line, with exit status 2."""


def _load_model(path: str) -> dict:
    import os
    import runpy

    if not os.path.isfile(path):
        raise CommandError(f"fluxion sample: model file {path!r} does not exist")
    try:
        namespace = runpy.run_path(path, run_name="__fluxion_model__")
    except SyntaxError as err:
        raise CommandError(
            f"fluxion sample: {path} has a syntax error at line {err.lineno}: {err.msg}"
        ) from None
    except Exception as err:
        raise CommandError(
            f"fluxion sample: running {path} failed: {type(err).__name__}: {err}"
        ) from None
    missing = [name for name in ("log_prob", "init") if name not in namespace]
    if missing:
        raise CommandError(
            f"fluxion sample: {path} must define {' and '.join(missing)}: a function "
            "log_prob(params) -> scalar and initial values init (a dict of arrays or numbers); "
            "optionally constraints"
        )
    if not callable(namespace["log_prob"]):
        raise CommandError(f"fluxion sample: log_prob in {path} is not callable")
    return namespace


def _write_summary_csv(table: object, path: str) -> None:
    table.to_csv(path)  # a pandas DataFrame or fluxion's pandas-free SummaryTable


#: The command's own settings, kept next to the run (``--resume DIR`` reads them back).
_COMMAND_FILE = "command.json"
_SAMPLING_OPTIONS = ("chains", "draws", "warmup", "seed", "kernel", "jit", "checkpoint_every")


def _sample_settings(args: argparse.Namespace) -> dict:
    """The model path and sampler options of this run, or of the run ``--resume`` names."""
    import json
    import os

    if args.resume is None:
        if args.model is None:
            raise CommandError("fluxion sample: expected a model file (or --resume DIR)")
        settings = {name: getattr(args, name) for name in _SAMPLING_OPTIONS}
        return {"model": os.path.abspath(args.model), "out": args.out, **settings}
    path = os.path.join(args.resume, _COMMAND_FILE)
    try:
        with open(path) as fh:
            saved = json.load(fh)
    except (OSError, ValueError):
        raise CommandError(
            f"fluxion sample: --resume {args.resume}: no run to resume there (no readable "
            f"{_COMMAND_FILE}); give the --out directory of an interrupted run"
        ) from None
    if args.model is not None and os.path.abspath(args.model) != saved["model"]:
        raise CommandError(
            f"fluxion sample: --resume {args.resume} is a run of {saved['model']}, not "
            f"{args.model}; drop the model argument to resume it"
        )
    return {**saved, "out": args.resume}


def _refuse_unfinished_run(out: str) -> None:
    """Before command.json is overwritten: the sampler would refuse the directory anyway."""
    from fluxion._src.mcmc.store import read_run

    run = read_run(out)
    status = None if run is None else run.get("status")
    if run is not None and status != "complete":
        raise CommandError(
            f"fluxion sample: {out} holds an unfinished run (status {status!r}); continue it "
            f"with `fluxion sample --resume {out}`, or choose another --out"
        )


def _sample_command(args: argparse.Namespace) -> int:
    import json
    import os
    import warnings

    from fluxion import SamplingWarning
    from fluxion._src.mcmc.store import check_output_dir
    from fluxion.mcmc import sample

    settings = _sample_settings(args)
    out = settings["out"]
    try:  # output-directory problems now, not after the run
        check_output_dir(out, "fluxion sample: --out")
    except ValueError as err:
        raise CommandError(str(err)) from None
    model = _load_model(settings["model"])
    resume = args.resume is not None
    if not resume:
        _refuse_unfinished_run(out)
        with open(os.path.join(out, _COMMAND_FILE), "w") as fh:
            json.dump({k: v for k, v in settings.items() if k != "out"}, fh, indent=1)
    start = time.perf_counter()
    cluster = _cluster(args)  # where the chains run does not change the draws: not saved
    try:
        with warnings.catch_warnings():
            # the convergence warnings are printed with the summary below
            warnings.simplefilter("ignore", SamplingWarning)
            result = sample(
                model["log_prob"], model["init"], constraints=model.get("constraints"),
                kernel=settings["kernel"], chains=settings["chains"], draws=settings["draws"],
                warmup=settings["warmup"], seed=settings["seed"], jit=settings["jit"],
                progress=not args.quiet, save_dir=out, resume=resume,
                checkpoint_every=settings["checkpoint_every"],
                executor=None if cluster is None else cluster[0],
            )
    except (ValueError, TypeError) as err:
        raise CommandError(f"fluxion sample: {err}") from None
    except KeyboardInterrupt:
        print(f"fluxion sample: interrupted during warm-up, no draws finished yet; "
              f"`fluxion sample --resume {out}` continues the run", file=sys.stderr)
        return 130
    except Exception as err:
        print(f"fluxion sample: sampling failed: {type(err).__name__}: {err}\n"
              f"the draws finished before the error are in {out} (draws.nc)", file=sys.stderr)
        return 1
    finally:
        if cluster is not None:
            for part in cluster:
                part.close()
    sampled = time.perf_counter() - start
    for event in getattr(result, "events", []):
        print(f"fluxion sample: {event}", file=sys.stderr)
    try:
        return _report(args, result, out, sampled)
    except KeyboardInterrupt:
        print(f"fluxion sample: interrupted while writing the summary or plots; the draws are "
              f"in {out} (draws.nc)", file=sys.stderr)
        return 130


def _cluster(args: argparse.Namespace) -> tuple | None:
    """``(client, cluster...)`` for ``--scheduler``/``--workers`` (closed in that order after
    the run), or None to run the chains here."""
    if args.scheduler is None and args.workers is None:
        return None
    try:
        import distributed
    except ImportError:
        flag = "--scheduler" if args.scheduler is not None else "--workers"
        raise CommandError(
            f"fluxion sample: {flag} needs dask.distributed; pip install fluxion[dask]"
        ) from None
    if args.scheduler is not None:
        try:
            return (distributed.Client(args.scheduler, timeout=30),)
        except OSError as err:
            raise CommandError(
                f"fluxion sample: --scheduler {args.scheduler}: cannot connect ({err})"
            ) from None
    local = distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                     processes=True, dashboard_address=None)
    return distributed.Client(local), local


def _report(args: argparse.Namespace, result: object, out: str, sampled: float) -> int:
    """The summary table, the warnings, the plots and the exit status of a finished run."""
    import os

    table = result.summary(round_to=6)
    print(table.to_string() if hasattr(table, "to_string") else table)
    written = [os.path.join(out, "summary.csv")]
    _write_summary_csv(table, written[0])
    written.append(os.path.join(out, "draws.nc" if os.path.exists(os.path.join(out, "draws.nc"))
                                else "draws.npz"))
    if result.warnings:
        print(f"\n{len(result.warnings)} warning(s):", file=sys.stderr)
        for w in result.warnings:
            print(f"  - {w.message}", file=sys.stderr)
    if not args.no_plots:
        written += _plots(result, out, args.plot_vars)
    print(f"{result!r}\nsampling {sampled:.2f} s; wrote " + ", ".join(written))
    if result.interrupted:
        print(f"fluxion sample: interrupted; kept the draws every chain finished. "
              f"`fluxion sample --resume {out}` completes the run", file=sys.stderr)
        return 130
    if args.strict and result.warnings:
        print("fluxion sample: --strict: the run has warnings (exit status 3)", file=sys.stderr)
        return 3
    return 0


def _plots(result: object, out: str, plot_vars: str | None) -> list[str]:
    """corner.png (at most 12 scalars unless --plot-vars names them) and trace.png (compact:
    one row per variable)."""
    import os
    import warnings

    var_names = [v.strip() for v in plot_vars.split(",") if v.strip()] if plot_vars else None
    try:
        from fluxion.plot import corner, trace
    except ImportError as err:
        print(f"no plots: {err}", file=sys.stderr)
        return []
    written = []
    for name, plot in (("corner.png", corner), ("trace.png", trace)):
        path = os.path.join(out, name)
        with warnings.catch_warnings(record=True) as notes:
            warnings.simplefilter("always", UserWarning)
            try:
                plot(result, var_names=var_names, path=path)
            except ImportError as err:
                print(f"no plots: {err}", file=sys.stderr)
                return written
            except (KeyError, ValueError) as err:
                raise CommandError(f"fluxion sample: --plot-vars: {err}") from None
        for note in notes:  # "plotted 12 of 100 scalars ...": say it once, plainly
            print(f"{name}: {note.message}", file=sys.stderr)
        written.append(path)
    return written


def _precompile(args: argparse.Namespace) -> int:
    from fluxion._src.codegen.numba_tier import numba_available

    if not numba_available():
        raise CommandError("fluxion precompile: numba is not installed; nothing to compile")
    from fluxion import config
    from fluxion._src.codegen.tape import machine_job
    from fluxion._src.mcmc.numba_nuts import load_core

    start = time.perf_counter()
    load_core(None, (machine_job(),))  # every entry point and the machine, side by side

    print(
        f"NUTS core and tape machine compiled in {time.perf_counter() - start:.1f} s "
        f"({config.cache_dir})"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fluxion`` console script and ``python -m fluxion``."""
    parser = argparse.ArgumentParser(prog="fluxion", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the seed worksheet's line fit")
    demo.add_argument("--n", type=int, default=50, help="number of data points (default 50)")
    demo.add_argument("--seed", type=int, default=123, help="data seed (default 123)")
    demo.add_argument("--out", default="fluxion-out",
                      help="where to write corner.png (default fluxion-out)")
    demo.add_argument("--quick", action="store_true", help="small sampler runs (for tests)")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.add_argument("--no-plot", action="store_true", help="skip the corner plot")
    demo.add_argument("--no-sampling", action="store_true", help="stop after the derivatives")
    demo.set_defaults(run=_demo)
    smp = sub.add_parser("sample", help="sample a model file's posterior")
    smp.add_argument("model", nargs="?",
                     help="a Python file defining log_prob(params), init, constraints")
    smp.add_argument("--chains", type=int, default=4)
    smp.add_argument("--draws", type=int, default=1000)
    smp.add_argument("--warmup", type=int, default=1000)
    smp.add_argument("--seed", type=int, default=None)
    smp.add_argument("--kernel", default="nuts",
                     help="nuts (default), hmc, mala, rwm, slice, ensemble, or chees or meads "
                     "(many chains in lockstep: use --chains 256 or more)")
    smp.add_argument("--out", default="fluxion-out",
                     help="output directory: draws.nc (written while sampling), summary.csv, "
                     "plots, checkpoints (default fluxion-out)")
    smp.add_argument("--resume", metavar="DIR", default=None,
                     help="continue the interrupted run in DIR (same settings and seed)")
    smp.add_argument("--checkpoint-every", type=float, default=10.0, metavar="SECONDS",
                     help="seconds between checkpoints and rewrites of draws.nc (default 10)")
    smp.add_argument("--no-plots", action="store_true", help="write no plots")
    smp.add_argument("--plot-vars", default=None, metavar="A,B,W[3]",
                     help="the variables to plot (default: the first 12 scalars in corner.png)")
    smp.add_argument("--strict", action="store_true",
                     help="exit with status 3 when the run has convergence warnings")
    smp.add_argument("--no-jit", dest="jit", action="store_false",
                     help="run log_prob eagerly (for models with Python side effects)")
    smp.add_argument("--quiet", action="store_true", help="no progress output")
    where = smp.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="run the chains on this dask.distributed scheduler "
                       "(e.g. tcp://host:8786; needs fluxion[dask])")
    where.add_argument("--workers", type=int, default=None, metavar="N",
                       help="run the chains on a local dask cluster of N worker processes")
    smp.set_defaults(run=_sample_command)
    pre = sub.add_parser(
        "precompile", help="compile the NUTS core and tape machine now (once per machine)"
    )
    pre.set_defaults(run=_precompile)
    args = parser.parse_args(argv)
    if getattr(args, "n", 2) < 2:
        parser.error("--n: expected at least 2 data points")
    for name in ("chains", "draws"):
        if getattr(args, name, 1) < 1:
            parser.error(f"--{name}: expected a positive integer, got {getattr(args, name)}")
    if getattr(args, "warmup", 0) < 0:
        parser.error(f"--warmup: expected a non-negative integer, got {args.warmup}")
    if getattr(args, "workers", None) is not None and args.workers < 1:
        parser.error(f"--workers: expected a positive integer, got {args.workers}")
    if getattr(args, "checkpoint_every", 0) < 0:
        parser.error(f"--checkpoint-every: expected seconds >= 0, got {args.checkpoint_every}")
    try:
        return args.run(args)
    except CommandError as err:
        print(err, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
