"""A logistic GLM on 10^8 rows that no single worker holds: ``glm.fit_sharded`` on a dask
LocalCluster whose workers make their shards themselves (nothing passes through the driver).

Each of ``--shards`` shards (``--rows / --shards`` rows x ``--cols`` columns, an intercept and
standard normal features, Bernoulli responses from known coefficients) is made on a worker by a
seeded source function; the workers' memory limit (``--memory-limit``) is below the whole
design matrix, so the data exist only spread over the cluster. Reported: the fit's wall time,
iterations, seconds per iteration, the largest coefficient error against the truth divided by
its standard error.

Usage::

    python benchmarks/glm_sharded.py --rows 100000000 --cols 5 --workers 4 --shards 8
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

TRUE_SCALE = 0.5


def true_coefficients(cols: int) -> np.ndarray:
    return np.linspace(-TRUE_SCALE, TRUE_SCALE, cols)


def make_shard(index: int, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """One shard, made where it is used (seeded by its index)."""
    rng = np.random.default_rng(1000 + index)
    x = np.empty((rows, cols))
    x[:, 0] = 1.0
    x[:, 1:] = rng.standard_normal((rows, cols - 1))
    eta = x @ true_coefficients(cols)
    y = (rng.uniform(size=rows) < 1.0 / (1.0 + np.exp(-eta))).astype(np.float64)
    return x, y


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--cols", type=int, default=5)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--memory-limit", default="3GB")
    args = ap.parse_args()
    import distributed

    import fluxion
    from fluxion import glm

    gb = args.rows * (args.cols + 1) * 8 / 1e9
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, distributed "
          f"{distributed.__version__}, fluxion {fluxion.__version__}, nproc {os.cpu_count()}; "
          f"{args.rows} rows x {args.cols} columns ({gb:.1f} GB of X and y) in {args.shards} "
          f"shards on {args.workers} workers of {args.memory_limit} each")
    per = args.rows // args.shards
    sources = [functools.partial(make_shard, i, per, args.cols) for i in range(args.shards)]
    cluster = distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                       processes=True, memory_limit=args.memory_limit,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        t0 = time.perf_counter()
        res = glm.fit_sharded(sources, glm.Bernoulli(), client)
        wall = time.perf_counter() - t0
    finally:
        client.close()
        cluster.close()
    z = np.abs(res.coefficients - true_coefficients(args.cols)) / res.standard_errors
    print(f"fit (shards made on the workers included): {wall:.1f} s, {res.iter} iterations, "
          f"converged {res.is_converged}; {wall / res.iter:.1f} s per iteration; "
          f"max |b - b_true| / se = {z.max():.2f}; se ~ {res.standard_errors.mean():.1e}")


if __name__ == "__main__":
    main()
