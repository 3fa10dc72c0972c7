"""The fluxion command line: ``fluxion demo`` runs the seed line fit (the main job)."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def _demo(args: argparse.Namespace) -> int:
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

    np.set_printoptions(precision=10, suppress=False, linewidth=100)
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
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fluxion`` console script and ``python -m fluxion``."""
    parser = argparse.ArgumentParser(prog="fluxion", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the seed worksheet's line fit")
    demo.add_argument("--n", type=int, default=50, help="number of data points (default 50)")
    demo.add_argument("--seed", type=int, default=123, help="data seed (default 123)")
    demo.set_defaults(run=_demo)
    args = parser.parse_args(argv)
    if getattr(args, "n", 1) < 2:
        parser.error("--n: expected at least 2 data points")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
