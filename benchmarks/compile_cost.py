"""What a cold tier-1 compile costs for a long straight-line kernel, and whether it pays.

The kernel: one Adam step of a two-layer masked autoregressive flow (MADE 16-16, tanh) on 500
two-moons points -- the value and gradient of the mean log-density, about 380 equations.
Each measurement runs in a fresh process with an empty cache directory (numba compiles cold):

* ``tier=1`` at numba's default LLVM -O3 (``LOW_OPT_LINES`` raised past the kernel) and at
  the -O1 that long kernels now get: the first call (the compile) and the per-call time after;
* tier 0 (generated NumPy) per call;
* 300 steps with plain ``fluxion.jit`` (automatic promotion: a costly compile waits until tier
  0 has cost as much) against ``tier=1`` (compile first), wall time including the compile.

    python benchmarks/compile_cost.py          # about 3 minutes on 2 cores
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def two_moons(n: int, rng: np.random.Generator) -> np.ndarray:
    t = rng.uniform(0.0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    return np.stack([x, y], axis=1) + 0.1 * rng.standard_normal((n, 2))


def make_step(tier: int | None):
    import fluxion
    import fluxion.bijectors as fb
    import fluxion.nn as fnn
    import fluxion.numpy as fnp
    from fluxion import optim

    train = two_moons(500, np.random.default_rng(0))
    train = (train - train.mean(0)) / train.std(0)
    made = fnn.AutoregressiveNetwork(params=2, event_shape=2, hidden_units=(16, 16),
                                     activation="tanh")
    keys = fluxion.random.split(fluxion.random.key(0), 2)
    params = [made.init(k) for k in keys]

    def log_density(ps, y):
        b = fb.Chain([fb.MaskedAutoregressiveFlow(made.bind(ps[1])), fb.Permute([1, 0]),
                      fb.MaskedAutoregressiveFlow(made.bind(ps[0]))])
        x = b.inverse(y)
        return fnp.sum(-0.5 * x * x - 0.5 * np.log(2 * np.pi), axis=-1) + \
            b.inverse_log_det_jacobian(y, 1)

    opt = optim.adam(1e-2)

    def step(ps, st, y):
        loss, g = fluxion.value_and_grad(lambda q: -fnp.mean(log_density(q, y)))(ps)
        updates, st = opt.update(g, st, ps)
        return optim.apply_updates(ps, updates), st, loss

    jitted = fluxion.jit(step) if tier is None else fluxion.jit(step, tier=tier)
    return jitted, params, opt.init(params), train


def measure(mode: str) -> dict:
    """One measurement in this (fresh) process; ``mode``: o3, o1, tier0, auto300, tier1_300."""
    import fluxion
    from fluxion._src.codegen import tier1

    fluxion.config.update("cache_dir", tempfile.mkdtemp(prefix="fluxion_cold_"))
    if mode == "o3":
        tier1.LOW_OPT_LINES = 10**9
    tier = {"o3": 1, "o1": 1, "tier0": 0, "auto300": None, "tier1_300": 1}[mode]
    step, ps, st, y = make_step(tier)
    if mode in ("auto300", "tier1_300"):
        start = time.perf_counter()
        for _ in range(300):
            ps, st, loss = step(ps, st, y)
        return {"wall_s": time.perf_counter() - start, "tier": step.tier, "loss": float(loss)}
    start = time.perf_counter()
    ps, st, _ = step(ps, st, y)
    first = time.perf_counter() - start
    times = []
    for _ in range(200):
        t0 = time.perf_counter()
        ps, st, _ = step(ps, st, y)
        times.append(time.perf_counter() - t0)
    return {"first_call_s": first, "per_call_ms": 1e3 * statistics.median(times),
            "tier": step.tier}


def main() -> None:
    import numba

    import fluxion

    rows = {}
    for mode in ("tier0", "o1", "o3", "auto300", "tier1_300"):
        out = subprocess.run([sys.executable, __file__, mode], capture_output=True, text=True,
                             check=True)
        rows[mode] = json.loads(out.stdout.strip().splitlines()[-1])
        print(mode, rows[mode], flush=True)
    print(f"\nfluxion {fluxion.__version__}, numba {numba.__version__}, numpy {np.__version__}")
    print("| measurement | value |\n|---|---|")
    print(f"| tier 0, per step | {rows['tier0']['per_call_ms']:.2f} ms |")
    for mode, label in (("o3", "tier 1 at -O3"), ("o1", "tier 1 at -O1")):
        print(f"| {label}: cold compile (first call) | {rows[mode]['first_call_s']:.1f} s |")
        print(f"| {label}: per step | {rows[mode]['per_call_ms']:.2f} ms |")
    print(f"| 300 steps, plain jit (ends on tier {rows['auto300']['tier']}) | "
          f"{rows['auto300']['wall_s']:.1f} s |")
    print(f"| 300 steps, tier=1 (compile first) | {rows['tier1_300']['wall_s']:.1f} s |")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(measure(sys.argv[1])))
    else:
        main()
