"""Chains on a dask cluster against chains in local threads: the seed line fit and eight schools.

For each model, ``fluxion.mcmc.sample`` with 4 chains x (1000 warm-up + 1000 draws), NUTS,
seed 1: ``chain_method="threads"`` (the default for compiled chains) against
``executor=Client(LocalCluster(n_workers=2, processes=True, threads_per_worker=1))``. The draws
are checked identical first; times are medians of ``--repeats`` runs (the cluster's start-up is
timed separately, once; the workers compile or load each model once per run).

Usage::

    python benchmarks/cluster_chains.py --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np

# the seed worksheet's data and posterior (fluxion demo): a line fit with a Gaussian likelihood
_rng = np.random.default_rng(123)
X = np.sort(10 * _rng.uniform(size=50))
Y = -0.9594 * X + 4.294 + 0.534 * _rng.standard_normal(50)
SCHOOLS_Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SCHOOLS_S = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])


def line(p):
    import fluxion.numpy as fnp

    s = fnp.exp(p["log_s"])
    r = (Y - p["m"] * X - p["b"]) / s
    return -0.5 * fnp.sum(r * r) - X.size * p["log_s"] - 1.5 * fnp.log(1.0 + p["m"] ** 2)


def eight_schools(p):
    import fluxion.numpy as fnp

    theta = p["mu"] + p["tau"] * p["z"]
    return (-0.5 * fnp.sum(((SCHOOLS_Y - theta) / SCHOOLS_S) ** 2) - 0.5 * fnp.sum(p["z"] ** 2)
            - 0.5 * (p["mu"] / 5.0) ** 2 - fnp.log1p((p["tau"] / 5.0) ** 2))


MODELS = {
    "seed line fit": (line, {"m": -1.0, "b": 4.0, "log_s": -0.5}, None),
    "eight schools (non-centred)": (
        eight_schools, {"mu": 0.0, "tau": 1.0, "z": np.zeros(8)}, {"tau": "positive"}
    ),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import distributed

    import fluxion
    from fluxion.mcmc import sample

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, distributed "
          f"{distributed.__version__}, fluxion {fluxion.__version__}, nproc {os.cpu_count()}")
    t0 = time.perf_counter()
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    startup = time.perf_counter() - t0
    rows = []
    try:
        for name, (log_prob, init, constraints) in MODELS.items():
            times: dict[str, list[float]] = {"threads": [], "cluster": []}
            for _ in range(args.repeats):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0 = time.perf_counter()
                    local = sample(log_prob, init, constraints=constraints, seed=1,
                                   progress=False, chain_method="threads")
                    times["threads"].append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    remote = sample(log_prob, init, constraints=constraints, seed=1,
                                    progress=False, executor=client)
                    times["cluster"].append(time.perf_counter() - t0)
                for k in local.draws:
                    np.testing.assert_array_equal(local.draws[k], remote.draws[k])
            rows.append((name, local.compiled, statistics.median(times["threads"]),
                         statistics.median(times["cluster"])))
    finally:
        client.close()
        cluster.close()
    print(f"cluster start-up (2 worker processes): {startup:.1f} s\n")
    print("| model | chains ran | local threads (s) | dask cluster, 2 workers (s) | ratio |")
    print("|---|---|---:|---:|---:|")
    for name, compiled, t_local, t_cluster in rows:
        print(f"| {name} | {compiled} | {t_local:.2f} | {t_cluster:.2f} | "
              f"{t_cluster / t_local:.1f} |")


if __name__ == "__main__":
    main()
