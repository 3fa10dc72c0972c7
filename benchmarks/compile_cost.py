"""What a cold tier-1 compile costs for a long straight-line kernel, and whether it pays.

The kernel: one Adam step of a two-layer masked autoregressive flow (MADE 16-16, tanh) on 500
two-moons points -- the value and gradient of the mean log-density, about 380 equations.
Each measurement runs in a fresh process with an empty cache directory (numba compiles cold):

* ``tier=1`` at numba's default LLVM -O3 (``LOW_OPT_LINES`` raised past the kernel) and at
  the -O1 that long kernels now get: the first call (the compile) and the per-call time after;
* tier 0 (generated NumPy) per call;
* 300 steps with plain ``fluxion.jit`` (automatic promotion: a costly compile waits until tier
  0 has cost as much) against ``tier=1`` (compile first), wall time including the compile.

The sampler's kernel potential (a cfunc around the model's tier-1 value-and-gradient kernel)
follows the same rule; ``--potential`` measures it on the annotation example (200 items x 10
annotators, a 354-line kernel): the cold compile of the potential's job at -O3 and -O1, and the
time per call of the cfunc after.

    python benchmarks/compile_cost.py              # about 3 minutes on 2 cores
    python benchmarks/compile_cost.py --potential  # about 2 minutes
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


def measure_potential(level: int) -> dict:
    """The annotation example's kernel potential compiled cold at LLVM -O``level``, and its
    median time per call (a fresh process with an empty cache directory)."""
    import ctypes
    import dataclasses
    from pathlib import Path

    import fluxion
    from fluxion.infer import UnconstrainedModel

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
    import annotation

    fluxion.config.update("cache_dir", tempfile.mkdtemp(prefix="fluxion_cold_"))
    data = annotation.simulate(200, 10, seed=1)
    model = UnconstrainedModel(annotation.make_log_prob(data["x"]),
                               annotation.init_values(200, 10), annotation.CONSTRAINTS)
    value_and_grad = fluxion.jit(fluxion.value_and_grad(model.potential))
    native = value_and_grad.lower(model.u0).native_potential("kernel")
    (job,) = native.jobs
    native.jobs = [dataclasses.replace(job, opt_level=level)]
    start = time.perf_counter()
    native.load()  # runs the job here: the compile
    compile_s = time.perf_counter() - start
    address, _owner = native.context()
    pointer = ctypes.POINTER(ctypes.c_double)
    call = ctypes.CFUNCTYPE(ctypes.c_double, pointer, pointer, ctypes.c_void_p)(native.address)
    q, g = np.asarray(model.u0, dtype=float) + 0.1, np.empty(model.dim)
    qp, gp = q.ctypes.data_as(pointer), g.ctypes.data_as(pointer)
    want = float(value_and_grad(q)[0])
    assert call(qp, gp, address) == want
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(500):
            call(qp, gp, address)
        times.append((time.perf_counter() - t0) / 500)
    return {"compile_s": compile_s, "per_call_us": 1e6 * statistics.median(times),
            "kernel_level": job.opt_level}


def main_potential() -> None:
    rows = {}
    for level in (3, 1, 3, 1, 3, 1):  # interleaved: the machine's load hits both alike
        out = subprocess.run([sys.executable, __file__, f"potential{level}"],
                             capture_output=True, text=True, check=True)
        rows.setdefault(level, []).append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(level, rows[level][-1], flush=True)
    print("| LLVM level | cold compile (median of 3) | per call (median of 3) |\n|---|---|---|")
    for level in (3, 1):
        compile_s = statistics.median(r["compile_s"] for r in rows[level])
        per_call = statistics.median(r["per_call_us"] for r in rows[level])
        print(f"| -O{level} | {compile_s:.1f} s | {per_call:.0f} us |")


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
    if len(sys.argv) > 1 and sys.argv[1] == "--potential":
        main_potential()
    elif len(sys.argv) > 1 and sys.argv[1].startswith("potential"):
        print(json.dumps(measure_potential(int(sys.argv[1].removeprefix("potential")))))
    elif len(sys.argv) > 1:
        print(json.dumps(measure(sys.argv[1])))
    else:
        main()
