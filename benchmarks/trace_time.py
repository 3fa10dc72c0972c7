"""Time to a first result under jit (trace, graph passes, tier-0 source) for graphs of growing size.

Each case runs in a fresh process (``python benchmarks/trace_time.py --case NAME`` prints one
time); the driver runs every case ``--repeats`` times and prints the median. Tier 0 only
(``tier=0``): no numba compile is timed, only what fluxion itself does before the first call
returns. Compare two checkouts with ``PYTHONPATH=<other>/src python benchmarks/trace_time.py``.

Cases:

- ``line``: the seed line fit's ``value_and_grad`` (50 points; a graph of tens of equations);
- ``arma200``: an ARMA(1,1) log-likelihood written as a Python loop over 200 steps,
  ``value_and_grad`` (thousands of equations, re-rolled into a scan by jit);
- ``skewnorm_ppf``: ``scipy.stats.skewnorm.ppf`` (a 16-step root-finding loop traced
  unrolled: about 95,000 equations);
- ``skewnorm_ppf_grad``: its gradient in the shape parameter.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import numpy as np


def _case(name: str) -> float:
    import fluxion
    import fluxion.numpy as fnp

    if name == "line":
        rng = np.random.default_rng(0)
        x = np.linspace(0.0, 10.0, 50)
        y = 2.0 * x + 1.0 + rng.normal(size=50)

        def chi2(theta):
            r = y - (theta[0] * x + theta[1])
            return fnp.sum(r * r)

        f = fluxion.jit(fluxion.value_and_grad(chi2), tier=0)
        args = (np.array([1.0, 0.0]),)
    elif name == "arma200":
        y = np.random.default_rng(1).normal(size=200)

        def arma(p):
            phi, theta, sigma = p[0], p[1], p[2]
            err, total = 0.0, 0.0
            for t in range(1, 200):
                err = y[t] - (phi * y[t - 1] + theta * err)
                total = total + err * err
            return -0.5 * total / sigma**2 - 200 * fnp.log(sigma)

        f = fluxion.jit(fluxion.value_and_grad(arma), tier=0)
        args = (np.array([0.3, 0.2, 1.0]),)
    elif name in ("skewnorm_ppf", "skewnorm_ppf_grad"):
        import fluxion.scipy.stats as st

        q = np.linspace(0.05, 0.95, 5)
        if name == "skewnorm_ppf":
            f = fluxion.jit(lambda a: st.skewnorm.ppf(q, a), tier=0)
        else:
            f = fluxion.jit(fluxion.grad(lambda a: fnp.sum(st.skewnorm.ppf(q, a))), tier=0)
        args = (np.array(1.5),)
    else:
        raise SystemExit(f"trace_time: unknown case {name!r}")
    start = time.perf_counter()
    f(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", help="run one case in this process and print its seconds")
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per case")
    args = parser.parse_args()
    if args.case:
        print(f"{_case(args.case):.4f}")
        return
    print("| case | first call (s), median of", args.repeats, "fresh processes |")
    print("|---|---:|")
    for name in ("line", "arma200", "skewnorm_ppf", "skewnorm_ppf_grad"):
        times = [
            float(subprocess.run([sys.executable, __file__, "--case", name], check=True,
                                 capture_output=True, text=True).stdout.split()[-1])
            for _ in range(args.repeats)
        ]
        print(f"| {name} | {statistics.median(times):.3f} |")


if __name__ == "__main__":
    main()
