"""Issue 17's GPU checks and benchmarks, as one prepared script for a short GPU session.

Device time is scarce (about 15 minutes per session): this script does everything in one call
and prints a markdown report to paste into ``benchmarks/RESULTS.md``. On a machine with CuPy and
an NVIDIA GPU:

    pip install -e ".[test,gpu]" && python benchmarks/gpu.py            # ~5 min on an H100

It runs, in this order (each part guarded: a failure is printed and the next part runs):

1. the CuPy columns of the op table: ``pytest -k cupy tests/test_backend_seam.py
   tests/test_device_jit.py`` (values equal to NumPy to 1e-12, gradients, under eager and jit);
2. the seed line fit's value and gradient at N = 10^6, 10^7, 10^8: fluxion ``jit`` on
   ``cupy.ndarray`` inputs (the device form of tier 0), JAX ``jit`` on device arrays with
   ``block_until_ready``, a hand-fused CuPy ``RawKernel`` (one pass, three sums), and the memory
   bandwidth floor (x, y and 1/sigma^2 read once at the device's peak bandwidth); issue goal at
   10^8: at most 0.8 ms on an H100-class GPU;
3. a Gaussian-process log marginal likelihood and its gradient (squared-exponential kernel,
   three log-hyperparameters) at N = 4096 and 16384: fluxion ``jit`` against JAX (goal: no
   slower than JAX).

All timings are medians of ``--repeats`` timed calls after two warm-up calls, the GPU
synchronised after each call. Without CuPy the script says so and stops, unless ``--fake`` is
given: then parts 2 and 3 run at small sizes on the CPU's CuPy-like fake device
(``tests/_fakedevice.py``) and host JAX, to check the script itself (no timing meaning).

Not covered yet (needs a batched potential on the device): ChEES-HMC with 4,096 chains on the
GPU against NumPyro/BlackJAX.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import traceback
from functools import partial

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

LINE_FIT_KERNEL = r"""
extern "C" __global__ void line_fit(const double* x, const double* y, const double* ivar,
                                    const double m, const double b, const long long n,
                                    double* out) {
    // out[0] += sum r^2 ivar, out[1] += sum r ivar x, out[2] += sum r ivar, r = y - m x - b
    double s0 = 0.0, s1 = 0.0, s2 = 0.0;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        const double xi = x[i];
        const double r = y[i] - m * xi - b;
        const double w = r * ivar[i];
        s0 += r * w;
        s1 += w * xi;
        s2 += w;
    }
    for (int offset = 16; offset > 0; offset >>= 1) {
        s0 += __shfl_down_sync(0xffffffff, s0, offset);
        s1 += __shfl_down_sync(0xffffffff, s1, offset);
        s2 += __shfl_down_sync(0xffffffff, s2, offset);
    }
    __shared__ double partial[3][32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) { partial[0][warp] = s0; partial[1][warp] = s1; partial[2][warp] = s2; }
    __syncthreads();
    if (warp == 0) {
        const int warps = blockDim.x >> 5;
        s0 = lane < warps ? partial[0][lane] : 0.0;
        s1 = lane < warps ? partial[1][lane] : 0.0;
        s2 = lane < warps ? partial[2][lane] : 0.0;
        for (int offset = 16; offset > 0; offset >>= 1) {
            s0 += __shfl_down_sync(0xffffffff, s0, offset);
            s1 += __shfl_down_sync(0xffffffff, s1, offset);
            s2 += __shfl_down_sync(0xffffffff, s2, offset);
        }
        if (lane == 0) { atomicAdd(out, s0); atomicAdd(out + 1, s1); atomicAdd(out + 2, s2); }
    }
}
"""


def median_time(fn, sync, repeats: int) -> float:
    """Median seconds per call of ``fn`` (synchronised) after two warm-up calls."""
    fn()
    fn()
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def section(title: str) -> None:
    print(f"\n## {title}\n", flush=True)


# ------------------------------------------------------------------------------------------
# the models, written once in NumPy style (fluxion.numpy or jax.numpy as ``xp``)
# ------------------------------------------------------------------------------------------


def line_fit_loglik(xp):
    def loglik(theta, x, y, ivar):
        r = y - theta[0] * x - theta[1]
        return -0.5 * xp.sum(r * r * ivar)

    return loglik


def gp_nll(xp, solve_triangular, cholesky):
    def nll(log_params, x, y):
        amp, scale, noise = xp.exp(log_params[0]), xp.exp(log_params[1]), xp.exp(log_params[2])
        d = x[:, None] - x[None, :]
        k = amp**2 * xp.exp(-0.5 * d * d / scale**2) + (noise**2 + 1e-6) * xp.eye(x.shape[0])
        chol = cholesky(k)
        alpha = solve_triangular(chol, y, lower=True)
        return 0.5 * xp.sum(alpha * alpha) + xp.sum(xp.log(xp.diagonal(chol)))

    return nll


# ------------------------------------------------------------------------------------------


def op_table_columns() -> None:
    section("1. CuPy columns of the op table (pytest -k cupy)")
    cmd = [sys.executable, "-m", "pytest", "-q", "-rs", "-k", "cupy", "-p", "no:cacheprovider",
           os.path.join(ROOT, "tests", "test_backend_seam.py"),
           os.path.join(ROOT, "tests", "test_device_jit.py")]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=240)
    print("```\n" + "\n".join((out.stdout + out.stderr).splitlines()[-25:]) + "\n```")


def line_fit(dev, sizes, repeats: int, peak_gbs: float | None) -> None:
    import fluxion
    import fluxion.numpy as fnp

    section("2. Seed line fit, value and gradient (median ms per call)")
    print("| N | fluxion jit | JAX jit | hand-fused CuPy | bandwidth floor | max rel. diff |")
    print("|---:|---:|---:|---:|---:|---:|")
    f = fluxion.jit(fluxion.value_and_grad(line_fit_loglik(fnp)))
    jax_f = _jax(lambda jnp, jax: jax.jit(jax.value_and_grad(line_fit_loglik(jnp))))
    kernel = dev.raw_kernel(LINE_FIT_KERNEL, "line_fit") if dev.cupy else None
    for n in sizes:
        rng = np.random.default_rng(0)
        x = rng.uniform(0, 10, n)
        sigma = rng.uniform(0.5, 1.5, n)
        y = 2.0 * x + 1.0 + rng.normal(0, 1, n) * sigma
        ivar = 1.0 / sigma**2
        theta = np.array([1.9, 1.1])
        dx, dy, divar, dtheta = (dev.put(a) for a in (x, y, ivar, theta))
        ref_v, ref_g = _line_fit_reference(theta, x, y, ivar)
        v, g = f(dtheta, dx, dy, divar)
        diffs = [_rel(dev.get(v), ref_v), _rel(dev.get(g), ref_g)]
        t_flux = median_time(partial(f, dtheta, dx, dy, divar), dev.sync, repeats)
        t_jax = float("nan")
        if jax_f is not None:
            import jax

            jx, jy, jivar, jtheta = (jax.device_put(a) for a in (x, y, ivar, theta))
            jv, jg = jax_f(jtheta, jx, jy, jivar)
            diffs += [_rel(float(jv), ref_v), _rel(np.asarray(jg), ref_g)]
            t_jax = median_time(partial(_jax_call, jax_f, jtheta, jx, jy, jivar),
                                lambda: None, repeats)
        t_raw = float("nan")
        if kernel is not None:
            import cupy

            out = cupy.zeros(3)

            kernel_args = (dx, dy, divar, np.float64(theta[0]), np.float64(theta[1]),
                           np.int64(n), out)
            fused = partial(_run_fused, kernel, kernel_args, out)

            s = cupy.asnumpy(fused())
            diffs += [_rel(-0.5 * s[0], ref_v), _rel(np.array([s[1], s[2]]), ref_g)]
            t_raw = median_time(fused, dev.sync, repeats)
        floor = 3 * 8 * n / (peak_gbs * 1e9) if peak_gbs else float("nan")
        print(f"| {n:.0e} | {1e3 * t_flux:.3f} | {1e3 * t_jax:.3f} | {1e3 * t_raw:.3f} | "
              f"{1e3 * floor:.3f} | {max(diffs):.1e} |", flush=True)


def _line_fit_reference(theta, x, y, ivar):
    r = y - theta[0] * x - theta[1]
    w = r * ivar
    return -0.5 * float(np.sum(r * w)), np.array([np.sum(w * x), np.sum(w)])


def gp(dev, sizes, repeats: int) -> None:
    import fluxion
    import fluxion.numpy as fnp
    import fluxion.scipy.linalg as fsl

    section("3. GP log marginal likelihood and gradient (median ms per call)")
    print("| N | fluxion jit | JAX jit | ratio | max rel. diff |")
    print("|---:|---:|---:|---:|---:|")
    f = fluxion.jit(fluxion.value_and_grad(gp_nll(fnp, fsl.solve_triangular, fnp.linalg.cholesky)))

    def make_jax(jnp, jax):
        import jax.scipy.linalg as jsl

        return jax.jit(jax.value_and_grad(gp_nll(jnp, jsl.solve_triangular, jnp.linalg.cholesky)))

    jax_f = _jax(make_jax)
    for n in sizes:
        rng = np.random.default_rng(1)
        x = np.sort(rng.uniform(0, 100, n))
        y = np.sin(x / 7.0) + 0.1 * rng.normal(size=n)
        p = np.log(np.array([1.0, 5.0, 0.1]))
        dx, dy, dp = dev.put(x), dev.put(y), dev.put(p)
        v, g = f(dp, dx, dy)
        t_flux = median_time(partial(f, dp, dx, dy), dev.sync, repeats)
        t_jax, diff = float("nan"), float("nan")
        if jax_f is not None:
            import jax

            jx, jy, jp = (jax.device_put(a) for a in (x, y, p))
            jv, jg = jax_f(jp, jx, jy)
            diff = max(_rel(dev.get(v), float(jv)), _rel(dev.get(g), np.asarray(jg)))
            t_jax = median_time(partial(_jax_call, jax_f, jp, jx, jy), lambda: None, repeats)
        print(f"| {n} | {1e3 * t_flux:.2f} | {1e3 * t_jax:.2f} | {t_flux / t_jax:.2f} | "
              f"{diff:.1e} |", flush=True)


def _run_fused(kernel, kernel_args, out):
    """The hand-fused kernel: 1024 blocks of 256 threads, the three sums into ``out``."""
    out.fill(0.0)
    kernel((1024,), (256,), kernel_args)
    return out


def _jax_call(fn, *args):
    """One JAX call, waited for (JAX dispatches asynchronously)."""
    return fn(*args)[1].block_until_ready()


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def _jax(make):
    try:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)  # float64, as fluxion
        return make(jnp, jax)
    except Exception as err:  # noqa: BLE001 - a missing peer is a blank column, not a failure
        print(f"(JAX not available: {type(err).__name__}: {err})")
        return None


class _Device:
    """Where the arrays live: CuPy on the GPU, or the CPU's fake device with --fake."""

    def __init__(self, fake: bool) -> None:
        self.cupy = not fake
        if fake:
            sys.path.insert(0, os.path.join(ROOT, "tests"))
            import _fakedevice

            _fakedevice.install()
            self.put, self.get, self.sync = _fakedevice.put, _fakedevice.get, lambda: None
            self.name = "CPU fake device (tests/_fakedevice.py): no timing meaning"
        else:
            import cupy

            self.put, self.get = cupy.asarray, cupy.asnumpy
            self.sync = cupy.cuda.Device().synchronize
            props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
            name = props["name"]
            self.name = name.decode() if isinstance(name, bytes) else name
            # peak bandwidth: 2 x memory clock (kHz) x bus width (bits) / 8
            self.peak_gbs = 2.0 * props["memoryClockRate"] * 1e3 * props["memoryBusWidth"] / 8 / 1e9

    def raw_kernel(self, source: str, name: str):
        import cupy

        return cupy.RawKernel(source, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fake", action="store_true", help="check the script on the CPU")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--skip-op-table", action="store_true")
    args = parser.parse_args()
    try:
        import cupy  # noqa: F401

        have_cupy = True
    except ImportError:
        have_cupy = False
    if not have_cupy and not args.fake:
        print("benchmarks/gpu.py: CuPy is not installed (pip install -e '.[gpu]' on a machine "
              "with an NVIDIA GPU); --fake checks the script on the CPU")
        return
    dev = _Device(args.fake)
    import fluxion

    print(f"# Issue 17 GPU checks ({time.strftime('%Y-%m-%d')})\n\nDevice: {dev.name}; "
          f"fluxion {fluxion.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}")
    parts = []
    if not args.skip_op_table and not args.fake:
        parts.append(op_table_columns)
    line_sizes = (1000, 10_000) if args.fake else (10**6, 10**7, 10**8)
    gp_sizes = (64, 128) if args.fake else (4096, 16384)
    parts.append(lambda: line_fit(dev, line_sizes, args.repeats, getattr(dev, "peak_gbs", None)))
    parts.append(lambda: gp(dev, gp_sizes, max(3, args.repeats // 4)))
    for part in parts:
        try:
            part()
        except Exception:  # noqa: BLE001 - report and go on: device time is too short to rerun
            print("```\n" + traceback.format_exc()[-3000:] + "```", flush=True)


if __name__ == "__main__":
    main()
