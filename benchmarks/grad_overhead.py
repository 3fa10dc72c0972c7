"""Gradient-overhead benchmark: fluxion against its peers on the line-fit log-probability.

The model is the one of the line-fit worksheet (seed 002): data drawn with
``np.random.seed(123)``, ``x = np.sort(np.random.uniform(-1, 1, N))`` and
``y = -0.4*x + 0.03 + 0.1*np.random.randn(N)``, parameters ``theta = (m, b, log_s)``
and the log-probability ::

    s = exp(log_s)
    log_prob(theta) = -0.5*sum(((y - m*x - b)/s)**2 + log(2*pi*s**2)) - 1.5*log(1 + m**2)

For each framework and each size ``N`` the script times one value-and-gradient call
at ``theta = (-0.4, 0.03, log(0.1))``:

* ``numpy (hand)`` -- hand-written NumPy value and analytic gradient, the floor;
* ``fluxion`` -- ``fluxion.value_and_grad`` over ``fluxion.numpy``;
* ``autograd`` -- ``autograd.value_and_grad`` over ``autograd.numpy``;
* ``jax eager`` -- ``jax.value_and_grad`` without ``jit`` (float64);
* ``jax jit`` -- ``jax.jit(jax.value_and_grad(...))`` in steady state;
* ``torch eager`` -- float64 leaf tensor, forward and ``backward()``.

Every callable takes a NumPy float64 ``theta`` and returns the value and gradient in
its framework's own types (JAX results are waited for with ``block_until_ready``).
Before any timing, every framework's value and gradient must agree with the floor to
1e-10 relative (infinity norm); otherwise the script exits with an error.

A second table gives the overhead of one untraced elementwise call, ``exp`` on a
50-element float64 array, over plain ``np.exp``, in added nanoseconds per call.

A framework whose package is missing is skipped with a printed note; fluxion is also
skipped when it has no ``value_and_grad``.

Usage
-----
::

    python benchmarks/grad_overhead.py                  # full run, all sizes
    python benchmarks/grad_overhead.py --quick          # smoke test, a few seconds
    python benchmarks/grad_overhead.py --sizes 50 1000 --repeats 9 --json out.json

Notes
-----
Timing follows ``timeit``: garbage collection is off while timing, the loop length is
chosen so that one repeat takes about 0.2 s (at least one call), and the reported figure
is the median over repeats of the per-call time. "spread" is (max - min) / median over
the repeats.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np

os.environ.setdefault("JAX_PLATFORMS", "cpu")

DEFAULT_SIZES = (50, 1_000, 100_000, 1_000_000)
THETA0 = np.array([-0.4, 0.03, np.log(0.1)])
RTOL = 1e-10
FLOOR = "numpy (hand)"
AUTOGRAD = "autograd"
PACKAGES = ("fluxion", "numpy", "scipy", "autograd", "jax", "jaxlib", "torch", "numba")

ValueAndGrad = Callable[[np.ndarray], Any]


# --------------------------------------------------------------------------- model


def make_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw the worksheet's data set with ``n`` points (``n = 50`` is the seed's draw).

    ``RandomState(123)`` yields the same stream as the worksheet's ``np.random.seed(123)``
    without touching NumPy's global state.
    """
    rng = np.random.RandomState(123)
    x = np.sort(rng.uniform(-1, 1, n))
    y = -0.4 * x + 0.03 + 0.1 * rng.randn(n)
    return x, y


def make_log_prob(xnp: Any, x: Any, y: Any) -> Callable[[Any], Any]:
    """Return the log-probability written against the NumPy-like namespace ``xnp``."""

    def log_prob(theta):
        m, b, log_s = theta[0], theta[1], theta[2]
        s = xnp.exp(log_s)
        log_like = -0.5 * xnp.sum(((y - m * x - b) / s) ** 2 + xnp.log(2 * np.pi * s**2))
        return log_like - 1.5 * xnp.log(1 + m**2)

    return log_prob


def make_floor(x: np.ndarray, y: np.ndarray) -> ValueAndGrad:
    """Hand-written NumPy value and analytic gradient: the floor every framework is held to."""
    n = x.size

    def value_and_grad(theta):
        m, b, log_s = theta
        inv_s2 = np.exp(-2.0 * log_s)
        r = y - m * x - b
        sum_r2 = r @ r
        value = -0.5 * (sum_r2 * inv_s2 + n * np.log(2 * np.pi) + 2 * n * log_s)
        value -= 1.5 * np.log1p(m * m)
        grad = np.array(
            [
                (r @ x) * inv_s2 - 3.0 * m / (1.0 + m * m),
                r.sum() * inv_s2,
                sum_r2 * inv_s2 - n,
            ]
        )
        return value, grad

    return value_and_grad


# ---------------------------------------------------------------------- frameworks
# Each ``setup_*`` returns a factory ``(x, y) -> value_and_grad(theta)``, or raises
# (ImportError, usually) when its framework cannot be used here.


def setup_fluxion() -> Callable[[np.ndarray, np.ndarray], ValueAndGrad]:
    import fluxion
    import fluxion.numpy as fnp

    if not hasattr(fluxion, "value_and_grad"):
        raise ImportError("fluxion has no value_and_grad yet")

    def factory(x, y):
        return fluxion.value_and_grad(make_log_prob(fnp, x, y))

    return factory


def setup_autograd() -> Callable[[np.ndarray, np.ndarray], ValueAndGrad]:
    import autograd
    import autograd.numpy as anp

    def factory(x, y):
        return autograd.value_and_grad(make_log_prob(anp, x, y))

    return factory


def _jax_modules():
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    return jax, jnp


def setup_jax_eager() -> Callable[[np.ndarray, np.ndarray], ValueAndGrad]:
    jax, jnp = _jax_modules()

    def factory(x, y):
        vg = jax.value_and_grad(make_log_prob(jnp, jnp.asarray(x), jnp.asarray(y)))
        return lambda theta: jax.block_until_ready(vg(theta))

    return factory


def setup_jax_jit() -> Callable[[np.ndarray, np.ndarray], ValueAndGrad]:
    jax, jnp = _jax_modules()

    def factory(x, y):
        vg = jax.jit(jax.value_and_grad(make_log_prob(jnp, jnp.asarray(x), jnp.asarray(y))))
        return lambda theta: jax.block_until_ready(vg(theta))

    return factory


def setup_torch() -> Callable[[np.ndarray, np.ndarray], ValueAndGrad]:
    import torch

    def factory(x, y):
        log_prob = make_log_prob(torch, torch.from_numpy(x), torch.from_numpy(y))

        def value_and_grad(theta):
            t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
            value = log_prob(t)
            value.backward()
            return value, t.grad

        return value_and_grad

    return factory


FRAMEWORKS = {
    FLOOR: lambda: make_floor,
    "fluxion": setup_fluxion,
    AUTOGRAD: setup_autograd,
    "jax eager": setup_jax_eager,
    "jax jit": setup_jax_jit,
    "torch eager": setup_torch,
}


def load_frameworks() -> dict[str, Callable[[np.ndarray, np.ndarray], ValueAndGrad]]:
    """Set up every framework that can be used here; print a note for each skipped one."""
    loaded = {}
    for name, setup in FRAMEWORKS.items():
        try:
            loaded[name] = setup()
        except Exception as exc:  # noqa: BLE001 -- missing, or a fluxion still being written
            print(f"note: skipping {name!r}: {type(exc).__name__}: {exc}")
    return loaded


# -------------------------------------------------------------------------- timing


def _as_numpy(value: Any, grad: Any) -> tuple[float, np.ndarray]:
    """Convert a framework's (value, gradient) pair to (float, float64 array)."""
    if hasattr(grad, "detach"):  # torch
        value, grad = value.detach(), grad.detach()
    return float(value), np.asarray(grad, dtype=np.float64)


def check_agreement(name: str, n: int, got: Any, want: tuple[float, np.ndarray]) -> None:
    """Exit with an error unless ``got`` matches the floor ``want`` to ``RTOL``.

    The value is compared relatively; the gradient by ``max|g - g_ref| / max|g_ref|``.
    """
    value, grad = _as_numpy(*got)
    ref_value, ref_grad = want
    value_err = abs(value - ref_value) / max(abs(ref_value), np.finfo(float).tiny)
    grad_err = np.max(np.abs(grad - ref_grad)) / max(np.max(np.abs(ref_grad)), 1e-300)
    if grad.shape != ref_grad.shape or not (value_err <= RTOL and grad_err <= RTOL):
        sys.exit(
            f"error: {name} disagrees with the NumPy floor at N={n}: "
            f"value {value!r} vs {ref_value!r} (rel {value_err:.2e}), "
            f"grad {grad!r} vs {ref_grad!r} (rel {grad_err:.2e})"
        )


def time_per_call(fn: Callable[[], Any], repeats: int, target_s: float) -> list[float]:
    """Seconds per call of ``fn`` for each repeat; one repeat lasts about ``target_s``."""
    timer = timeit.Timer(fn)
    number = 1
    while True:  # as timeit's autorange, with a chosen target
        for factor in (1, 2, 5):
            if timer.timeit(number * factor) >= target_s:
                number *= factor
                break
        else:
            number *= 10
            continue
        break
    return [t / number for t in timer.repeat(repeat=repeats, number=number)]


def build_and_check(frameworks: dict, sizes: list[int]) -> list[tuple[str, int, ValueAndGrad]]:
    """Build every (framework, N) callable and check it against the floor, before any timing."""
    cases = []
    for n in sizes:
        x, y = make_data(n)
        want = _as_numpy(*make_floor(x, y)(THETA0.copy()))
        for name, factory in frameworks.items():
            value_and_grad = factory(x, y)
            check_agreement(name, n, value_and_grad(THETA0.copy()), want)
            cases.append((name, n, value_and_grad))
    return cases


def run_grad_benchmark(cases: list, repeats: int, target_s: float) -> list[dict]:
    """Time every checked (framework, N) case; return one record per case."""
    records = []
    for name, n, value_and_grad in cases:
        call = functools.partial(value_and_grad, THETA0.copy())
        times = time_per_call(call, repeats, target_s)
        median = statistics.median(times)
        records.append(
            {
                "framework": name,
                "N": n,
                "median_us": median * 1e6,
                "spread": (max(times) - min(times)) / median,
                "times_us": [t * 1e6 for t in times],
            }
        )
        print(f"  timed {name:<13} N={n:<8} {median * 1e6:12.1f} us/call", flush=True)
    return records


def run_elementwise_benchmark(repeats: int, number: int) -> list[dict]:
    """Time ``exp`` on a 50-element float64 array, untraced, against ``np.exp``."""
    candidates = {"numpy": np}
    try:
        import autograd.numpy as anp

        candidates["autograd.numpy"] = anp
    except ImportError as exc:
        print(f"note: skipping autograd.numpy.exp: {exc}")
    try:
        import fluxion.numpy as fnp

        fnp.exp  # noqa: B018 -- a fluxion still being written may lack it
        candidates["fluxion.numpy"] = fnp
    except Exception as exc:  # noqa: BLE001 -- not installed, or still being written
        print(f"note: skipping fluxion.numpy.exp: {type(exc).__name__}: {exc}")

    a = np.random.default_rng(0).uniform(-1, 1, 50)
    medians = {}
    for name, mod in candidates.items():
        result = np.asarray(mod.exp(a))
        if not np.allclose(result, np.exp(a), rtol=RTOL, atol=0):
            sys.exit(f"error: {name}.exp disagrees with np.exp")
        timer = timeit.Timer("exp(a)", globals={"exp": mod.exp, "a": a})
        timer.timeit(number // 10)  # warm-up
        times = [t / number for t in timer.repeat(repeat=repeats, number=number)]
        medians[name] = statistics.median(times)
    return [
        {
            "call": f"{name}.exp",
            "median_ns": med * 1e9,
            "added_ns": (med - medians["numpy"]) * 1e9,
        }
        for name, med in medians.items()
    ]


# ------------------------------------------------------------------------- reports


def machine_info() -> dict:
    """CPU model, core counts, Python and package versions."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
            if pkg == "fluxion":  # importable without being installed (PYTHONPATH=src)
                try:
                    import fluxion

                    versions[pkg] = f"{getattr(fluxion, '__version__', '?')} (not installed)"
                except Exception as exc:  # noqa: BLE001 -- a fluxion still being written
                    versions[pkg] = f"not importable ({type(exc).__name__})"
    info = {
        "cpu": cpu,
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    try:
        import torch

        info["torch_num_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    return info


def _ratio(num: float, den: float | None) -> str:
    return "n/a" if den is None else f"{num / den:.2f}"


def grad_table(records: list[dict]) -> str:
    """Markdown table of the value-and-gradient timings with ratios to floor and autograd."""
    by_key = {(r["framework"], r["N"]): r["median_us"] for r in records}
    lines = [
        "| N | framework | median µs/call | spread | × numpy floor | × autograd |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in records:
        floor = by_key.get((FLOOR, r["N"]))
        ag = by_key.get((AUTOGRAD, r["N"]))
        lines.append(
            f"| {r['N']:,} | {r['framework']} | {r['median_us']:,.1f} | {r['spread']:.0%} "
            f"| {_ratio(r['median_us'], floor)} | {_ratio(r['median_us'], ag)} |"
        )
    return "\n".join(lines)


def elementwise_table(records: list[dict]) -> str:
    """Markdown table of the untraced ``exp`` call overhead."""
    lines = [
        "| call (50 float64) | median ns/call | added ns vs np.exp |",
        "|---|---:|---:|",
    ]
    for r in records:
        lines.append(f"| `{r['call']}` | {r['median_ns']:,.0f} | {r['added_ns']:+,.0f} |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=lambda s: int(float(s)),
        default=list(DEFAULT_SIZES),
        help="data sizes N (default: %(default)s); '1e6' is accepted",
    )
    parser.add_argument("--repeats", type=int, help="repeats per measurement (default 7, quick 3)")
    parser.add_argument("--quick", action="store_true", help="short loops: a smoke test")
    parser.add_argument("--json", metavar="PATH", help="also write all results as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    target_s = 0.005 if args.quick else 0.2
    ew_number = 2_000 if args.quick else 200_000

    info = machine_info()
    print(f"# grad_overhead ({'quick' if args.quick else 'full'} run)\n")
    print(f"CPU: {info['cpu']}; nproc {info['nproc']}; Python {info['python']}")
    print("Versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    if "torch_num_threads" in info:
        print(f"torch threads: {info['torch_num_threads']}")
    print()

    frameworks = load_frameworks()
    cases = build_and_check(frameworks, args.sizes)
    print(f"all frameworks agree with the NumPy floor to {RTOL:g} relative")
    print(f"\nvalue_and_grad of the line-fit log_prob (repeats={repeats}, ~{target_s} s each):")
    grad_records = run_grad_benchmark(cases, repeats, target_s)

    gc.collect()
    ew_records = run_elementwise_benchmark(repeats, ew_number)

    print("## value_and_grad, median µs per call\n")
    print(grad_table(grad_records))
    print(f"\n## untraced elementwise call overhead ({ew_number:,} calls per repeat)\n")
    print(elementwise_table(ew_records))

    if args.json:
        payload = {
            "machine": info,
            "settings": {
                "sizes": args.sizes,
                "repeats": repeats,
                "target_s": target_s,
                "elementwise_number": ew_number,
                "quick": args.quick,
                "theta": THETA0.tolist(),
            },
            "value_and_grad": grad_records,
            "elementwise": ew_records,
        }
        with open(args.json, "w") as f:
            json.dump(payload, f, indent=2)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
