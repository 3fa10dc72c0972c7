"""GP linear algebra in the compiled backends (issues 11 item 7, 15 item 5).

The negative log marginal likelihood of a Gaussian process (exponentiated-quadratic kernel,
Gaussian noise; Rasmussen & Williams, Algorithm 2.1) and its gradient in the three
log-hyperparameters, one value-and-gradient call as the compiled NUTS makes it::

    K = a^2 exp(-|x_i - x_j|^2 / (2 l^2)) + (s + 1e-6) I,   L = chol(K),   z = L^-1 y
    nll(log a, log l, log s) = |z|^2 / 2 + sum log diag L + n/2 log 2 pi

Rows, at n = 30 and n = 200 points:

* plain NumPy/SciPy: value and analytic gradient (``dK/dtheta``, ``alpha = K^-1 y``,
  ``grad = -1/2 tr((alpha alpha^T - K^-1) dK)``) with ``scipy.linalg.cho_factor``/``cho_solve``;
* fluxion ``jit(value_and_grad)`` on tier 0 (NumPy/SciPy calls) and tier 1 (one numba kernel,
  the Cholesky and triangular solves from ``codegen/linalg_kernels.py``);
* the tape machine through the C entry point the compiled NUTS calls
  (``potential(q, grad, context)`` via ctypes, ~1 us of ctypes included).

Every variant's value and gradient must agree with the NumPy row to 1e-8 relative first.

Usage
-----
::

    python benchmarks/gp_linalg.py            # n = 30 and 200
    python benchmarks/gp_linalg.py --quick    # shorter timing loops

Timing: garbage collection off, loops of about ``--target`` seconds, the median over
``--repeats`` repeats of the per-call time. BLAS runs on one thread (``OPENBLAS_NUM_THREADS``
and friends default to 1 here, before NumPy loads): on a small shared machine threaded BLAS
oversubscribed the cores and made SciPy's n = 200 row 60x slower, noise rather than a result.
"""

from __future__ import annotations

import argparse
import ctypes
import os
from collections.abc import Callable

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402
from _timing import median_per_call  # noqa: E402

RTOL = 1e-8
JITTER = 1e-6


def data(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs x (n, 1), targets y (n,), hyperparameters theta = (log a, log l, log s)."""
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0.0, 10.0, n))[:, None]
    y = np.sin(x[:, 0]) + 0.1 * rng.standard_normal(n)
    return x, y, np.array([0.1, 0.3, -2.0])


def numpy_value_and_grad(x: np.ndarray, y: np.ndarray) -> Callable:
    """Hand-written value and analytic gradient (R&W eq. 5.9), SciPy's Cholesky."""
    r2 = (x - x.T) ** 2
    n = y.size

    def f(theta: np.ndarray) -> tuple[float, np.ndarray]:
        amp2, ls2, noise = np.exp(2 * theta[0]), np.exp(2 * theta[1]), np.exp(theta[2])
        kk = amp2 * np.exp(-0.5 * r2 / ls2)
        c = kk + (noise + JITTER) * np.eye(n)
        factor = scipy.linalg.cho_factor(c, lower=True)
        alpha = scipy.linalg.cho_solve(factor, y)
        value = 0.5 * y @ alpha + np.log(np.diag(factor[0])).sum() + 0.5 * n * np.log(2 * np.pi)
        w = np.outer(alpha, alpha) - scipy.linalg.cho_solve(factor, np.eye(n))
        grads = (2 * kk, kk * r2 / ls2, noise * np.eye(n))  # dC / d theta_k
        return value, np.array([-0.5 * np.sum(w * d) for d in grads])

    return f


def fluxion_nll(x: np.ndarray, y: np.ndarray) -> Callable:
    import fluxion.distributions as fd
    import fluxion.numpy as fnp

    def nll(theta):
        amp, ls, noise = fnp.exp(theta[0]), fnp.exp(theta[1]), fnp.exp(theta[2])
        gp = fd.GaussianProcess(fd.ExponentiatedQuadratic(amp, ls), x,
                                observation_noise_variance=noise, jitter=JITTER)
        return -gp.log_prob(y)

    return nll


def check(what: str, got: tuple, want: tuple) -> None:
    for g, w in zip(got, want):
        g, w = np.asarray(g, dtype=float), np.asarray(w, dtype=float)
        err = np.max(np.abs(g - w) / np.maximum(np.abs(w), 1.0))
        if not err <= RTOL:
            raise AssertionError(f"{what}: differs from NumPy by {err:.2e} (relative)")


def run(n: int, repeats: int, target: float) -> dict[str, float | str]:
    import fluxion
    from fluxion._src.codegen import tape as tape_mod
    from fluxion._src.codegen.tier1 import lowerable

    x, y, theta = data(n)
    floor = numpy_value_and_grad(x, y)
    want = floor(theta)
    rows: dict[str, float | str] = {"numpy": median_per_call(lambda: floor(theta), repeats, target)}

    nll = fluxion_nll(x, y)
    f0 = fluxion.jit(fluxion.value_and_grad(nll), tier=0)
    check("tier 0", f0(theta), want)
    rows["tier0"] = median_per_call(lambda: f0(theta), repeats, target)

    graph = f0.lower(theta).graph
    missing = lowerable(graph)
    if missing:
        rows["tier1"] = "not lowered: " + "; ".join(missing)
    else:
        f1 = fluxion.jit(fluxion.value_and_grad(nll), tier=1)
        check("tier 1", f1(theta), want)
        rows["tier1"] = median_per_call(lambda: f1(theta), repeats, target)

    encoded, why = tape_mod.encode(graph)
    if encoded is None:
        rows["tape"] = f"not encoded: {why}"
        return rows
    machine = tape_mod.load_machine()
    ctx = tape_mod.TapeContext(encoded, theta.size)
    proto = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.POINTER(ctypes.c_double),
                             ctypes.POINTER(ctypes.c_double), ctypes.c_void_p)
    potential = proto(int(machine.potential.address))
    q = np.ascontiguousarray(theta)
    g = np.zeros(theta.size)
    q_ptr = q.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
    g_ptr = g.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
    value = potential(q_ptr, g_ptr, ctx.address)
    check("tape", (value, g.copy()), want)
    address = ctx.address
    rows["tape"] = median_per_call(lambda: potential(q_ptr, g_ptr, address), repeats, target)
    return rows


def _fmt(v: float | str) -> str:
    if isinstance(v, str):
        return v
    return f"{v * 1e6:.0f} us" if v < 1e-3 else f"{v * 1e3:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[30, 200])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--target", type=float, default=0.2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.target = 3, 0.05
    import numba

    import fluxion

    print(f"numpy {np.__version__}, scipy {scipy.__version__}, numba {numba.__version__}, "
          f"fluxion {getattr(fluxion, '__version__', '?')}")
    print("| n | tape machine | tier 1 | tier 0 | NumPy/SciPy (analytic gradient) |")
    print("|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        r = run(n, args.repeats, args.target)
        print(f"| {n} | {_fmt(r['tape'])} | {_fmt(r['tier1'])} | {_fmt(r['tier0'])} | "
              f"{_fmt(r['numpy'])} |", flush=True)


if __name__ == "__main__":
    main()
