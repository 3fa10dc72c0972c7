"""A 100-parameter model through ``fluxion sample`` end to end: the command's total wall time
against its sampling time, its peak memory, and what it writes (issue 12: the CLI used to draw
a corner plot of every scalar, 3 min 47 s and 7.8 GB for 100 parameters).

Also the plots alone for 1,000 parameters (``fluxion.plot.corner``/``trace`` on draws of shape
(4, 1000, 1000)).

Run: ``python benchmarks/cli_scaling.py`` (a few tens of seconds; no peers: only fluxion has
this command). Each row is the median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

MODEL = """
import numpy as np
import fluxion.numpy as fnp

rng = np.random.default_rng(0)
scale = np.exp(rng.normal(size={d}))

def log_prob(p):
    return -0.5 * fnp.sum((p["w"] / scale) ** 2)

init = {{"w": np.zeros({d})}}
"""

PLOTS = """
import resource, time, warnings
import numpy as np
import fluxion.plot as fp
draws = {"w": np.random.default_rng(0).normal(size=(4, 1000, 1000))}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for name, plot in (("corner", fp.corner), ("trace", fp.trace)):
        t = time.perf_counter()
        plot(draws, path="{out}/" + name + ".png")
        print(name, time.perf_counter() - t)
print("rss", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def cli_run(d: int, out: str) -> dict:
    """One ``fluxion sample`` run in a fresh process: wall time, sampling time, peak RSS."""
    model = os.path.join(out, "model.py")
    with open(model, "w") as fh:
        fh.write(MODEL.format(d=d))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "fluxion", "sample", model, "--out", os.path.join(out, "o"),
         "--seed", "1", "--quiet"],
        capture_output=True, text=True, check=True,
    )
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sampling = float(re.search(r"sampling ([\d.]+) s", proc.stdout).group(1))
    sizes = {f: os.path.getsize(os.path.join(out, "o", f)) for f in os.listdir(
        os.path.join(out, "o")) if f.endswith((".png", ".nc"))}
    # ru_maxrss of children is the largest child so far: valid as this run's peak when it grew
    return {"wall": wall, "sampling": sampling, "rss_mb": max(peak, before) / 1024,
            "sizes": sizes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import fluxion

    print(f"fluxion {fluxion.__version__}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores")
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as out:
            runs.append(cli_run(args.params, out))
    wall = statistics.median(r["wall"] for r in runs)
    sampling = statistics.median(r["sampling"] for r in runs)
    print(f"fluxion sample, {args.params} parameters, 4 chains x (1000 + 1000): total "
          f"{wall:.2f} s, sampling {sampling:.2f} s, bound 2 x sampling + 5 s = "
          f"{2 * sampling + 5:.2f} s -> {'within' if wall <= 2 * sampling + 5 else 'OVER'}; "
          f"peak RSS {max(r['rss_mb'] for r in runs):.0f} MB; files "
          + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sorted(runs[-1]["sizes"].items())))
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run([sys.executable, "-c", PLOTS.replace("{out}", out)],
                              capture_output=True, text=True, check=True)
        print("plots of 1,000 parameters (4 x 1000 draws): " + proc.stdout.replace("\n", "; "))


if __name__ == "__main__":
    main()
