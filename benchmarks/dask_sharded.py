"""Data-sharded logistic regression on a dask LocalCluster: L-BFGS fit time and the model of
how it scales (per-iteration compute against the round trip to the workers).

The negative log-likelihood of a logistic regression, ``sum_i softplus(x_i b) - y_i x_i b``, on
``--rows`` x ``--cols`` float64 data (10^7 x 50 is 4 GB), is minimised by
``fluxion.optim.minimize(..., method="L-BFGS-B", jit=False)``:

* ``local``: one process, ``minimize(nll, args=(x, y))`` (jitted value and gradient) over the
  whole data (the floor on one core);
* ``dask w``: ``fluxion.parallel.ShardedSum`` over a ``LocalCluster(n_workers=w, processes=True,
  threads_per_worker=1)``, one shard per worker, the data scattered once.

Per configuration: the fit's wall time, iterations and evaluations, the median time of one
value-and-gradient evaluation, and (for the cluster) the time one worker spends on its shard,
measured locally on a shard of the same size: the difference is the round trip (scheduling,
pickling the parameters and the gradients, the reduction). Every fit's coefficients are checked
against the local fit's.

Usage::

    python benchmarks/dask_sharded.py --rows 10000000 --cols 50 --workers 1,2,4
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core per worker, as the cluster's workers get

import numpy as np  # noqa: E402


def nll(b, x, y):
    import fluxion.numpy as fnp

    eta = x @ b
    return fnp.sum(fnp.logaddexp(0.0, eta) - y * eta)


def data(rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, cols))
    beta = rng.normal(0.0, 0.3, cols)
    y = (rng.uniform(size=rows) < 1.0 / (1.0 + np.exp(-(x @ beta)))).astype(np.float64)
    return x, y


def median_time(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fit(fun, cols: int, args: tuple = (), jit: bool = False) -> tuple[float, object]:
    import fluxion.optim as fo

    t0 = time.perf_counter()
    res = fo.minimize(fun, np.zeros(cols), args=args, method="L-BFGS-B", jit=jit)
    return time.perf_counter() - t0, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--cols", type=int, default=50)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import distributed

    import fluxion
    from fluxion.parallel import ShardedSum, shard_rows

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, dask "
          f"{distributed.__version__}, fluxion {fluxion.__version__}, nproc {os.cpu_count()}; "
          f"{args.rows} x {args.cols} rows, {args.rows * args.cols * 8 / 1e9:.1f} GB of X")
    t0 = time.perf_counter()
    x, y = data(args.rows, args.cols)
    print(f"data generated in {time.perf_counter() - t0:.1f} s")

    vg = fluxion.jit(fluxion.value_and_grad(nll))
    b0 = np.full(args.cols, 0.01)
    rows = [("local", median_time(lambda: vg(b0, x, y), args.repeats), None, None)]
    # the data as arguments of the jitted value and gradient (not captured constants)
    t_fit, ref = fit(nll, args.cols, args=(x, y), jit=True)
    rows[0] = rows[0] + (t_fit, ref)
    print(f"local: fit {t_fit:.1f} s, {ref.nit} iterations", flush=True)

    for w in [int(s) for s in args.workers.split(",") if s]:
        cluster = distributed.LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
        try:
            shards = shard_rows((x, y), w)
            t0 = time.perf_counter()
            total = ShardedSum(nll, shards, client)
            setup = time.perf_counter() - t0
            per_eval = median_time(lambda t=total: t.value_and_grad(b0), args.repeats)
            xs, ys = shards[0]
            shard_compute = median_time(lambda xs=xs, ys=ys: vg(b0, xs, ys), args.repeats)
            t_fit, res = fit(total, args.cols)
            err = float(np.max(np.abs(np.asarray(res.x) - np.asarray(ref.x))))
            rows.append((f"dask {w}", per_eval, shard_compute, setup, t_fit, res, err))
            print(f"dask {w}: fit {t_fit:.1f} s, {res.nit} iterations, scatter {setup:.1f} s, "
                  f"max |b - b_local| {err:.1e}", flush=True)
        finally:
            client.close()
            cluster.close()

    print()
    print("| configuration | fit (s) | iterations | evaluations | one evaluation (s) | "
          "one shard's compute (s) | round trip (s) | scatter (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        name, per_eval, shard, setup, t_fit, res = r[:6]
        trip = "" if shard is None else f"{per_eval - shard:.3f}"
        print(f"| {name} | {t_fit:.1f} | {res.nit} | {res.nfev} | {per_eval:.3f} | "
              f"{'' if shard is None else f'{shard:.3f}'} | {trip} | "
              f"{'' if setup is None else f'{setup:.1f}'} |")


if __name__ == "__main__":
    main()
