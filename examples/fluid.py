"""Optimize a fluid's initial velocity so that smoke reaches a target pattern (the autograd seed).

The simulation is the autograd talk's plain-NumPy fluid solver (shared/seeds/001): semi-Lagrangian
advection with fancy indexing and ``np.roll``, and a Gauss-Seidel pressure projection. fluxion
differentiates it unchanged, ``fluxion.jit`` compiles the value and gradient once, and
``fluxion.optim.minimize`` (L-BFGS-B through SciPy, exact gradient) fits the initial velocity
field. The result is saved as a PNG (initial smoke | final smoke | target), written without any
plotting dependency.

Run ``python examples/fluid.py`` (about half a minute); ``main(n=..., steps=..., iters=...)``
takes smaller sizes for a quick check.
"""

from __future__ import annotations

import argparse
import struct
import time
import zlib

import numpy as np


def project(vx, vy):
    p = np.zeros(vx.shape)
    h = 1.0 / vx.shape[0]
    div = (
        -0.5
        * h
        * (
            np.roll(vx, -1, axis=0)
            - np.roll(vx, 1, axis=0)
            + np.roll(vy, -1, axis=1)
            - np.roll(vy, 1, axis=1)
        )
    )
    for _ in range(10):
        p = (
            div
            + np.roll(p, 1, axis=0)
            + np.roll(p, -1, axis=0)
            + np.roll(p, 1, axis=1)
            + np.roll(p, -1, axis=1)
        ) / 4.0
    vx = vx - 0.5 * (np.roll(p, -1, axis=0) - np.roll(p, 1, axis=0)) / h
    vy = vy - 0.5 * (np.roll(p, -1, axis=1) - np.roll(p, 1, axis=1)) / h
    return vx, vy


def advect(f, vx, vy):
    rows, cols = f.shape
    cell_ys, cell_xs = np.meshgrid(np.arange(rows), np.arange(cols))
    center_xs = (cell_xs - vx).ravel()
    center_ys = (cell_ys - vy).ravel()
    left_ix = np.floor(center_xs).astype(int)
    top_ix = np.floor(center_ys).astype(int)
    rw = center_xs - left_ix
    bw = center_ys - top_ix
    left_ix = np.mod(left_ix, rows)
    right_ix = np.mod(left_ix + 1, rows)
    top_ix = np.mod(top_ix, cols)
    bot_ix = np.mod(top_ix + 1, cols)
    flat_f = (1 - rw) * ((1 - bw) * f[left_ix, top_ix] + bw * f[left_ix, bot_ix]) + rw * (
        (1 - bw) * f[right_ix, top_ix] + bw * f[right_ix, bot_ix]
    )
    return np.reshape(flat_f, (rows, cols))


def simulate(vx, vy, smoke, num_time_steps):
    for _ in range(num_time_steps):
        vx_updated = advect(vx, vx, vy)
        vy_updated = advect(vy, vx, vy)
        vx, vy = project(vx_updated, vy_updated)
        smoke = advect(smoke, vx, vy)
    return smoke


def fluid_loss(init_vel, smoke, target, steps=4):
    n = smoke.shape[0]
    vx = np.reshape(init_vel[: n * n], (n, n))
    vy = np.reshape(init_vel[n * n :], (n, n))
    final = simulate(vx, vy, smoke, steps)
    return np.mean((final - target) ** 2)


def initial_smoke(n: int) -> np.ndarray:
    """A Gaussian puff in the lower middle of an n x n grid."""
    yy, xx = np.mgrid[0:n, 0:n] / n
    return np.exp(-((xx - 0.5) ** 2 + (yy - 0.3) ** 2) * 60)


def target_pattern(n: int) -> np.ndarray:
    """A ring in the upper half of the grid: where the smoke should end up."""
    yy, xx = np.mgrid[0:n, 0:n] / n
    r = np.sqrt((xx - 0.5) ** 2 + (yy - 0.65) ** 2)
    return np.exp(-(((r - 0.15) / 0.05) ** 2))


def write_png(path: str, image: np.ndarray, scale: int = 4) -> None:
    """Write a grayscale image with values in [0, 1] as an 8-bit PNG (upscaled by ``scale``)."""
    data = (np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)
    data = np.repeat(np.repeat(data, scale, axis=0), scale, axis=1)
    height, width = data.shape
    raw = b"".join(b"\x00" + row.tobytes() for row in data)

    def chunk(tag: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(tag + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.write(
            chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
        )


def main(
    n: int = 32, steps: int = 8, iters: int = 30, out: str = "fluid.png", verbose: bool = True
) -> dict:
    """Fit the initial velocity field; return the loss history and the path of the PNG."""
    import fluxion
    import fluxion.numpy as fnp
    from fluxion.optim import minimize

    smoke = initial_smoke(n)
    target = target_pattern(n)

    def loss(init_vel: np.ndarray) -> float:
        # under jit the simulation indexes the smoke field with traced integer arrays, which a
        # plain NumPy array cannot take: fnp.asarray makes it a (constant) fluxion value
        return fluid_loss(init_vel, fnp.asarray(smoke), target, steps)

    history = []
    x0 = np.zeros(2 * n * n)
    start = time.perf_counter()
    result = minimize(
        loss,
        x0,
        method="L-BFGS-B",
        options={"maxiter": iters},
        callback=lambda xk: history.append(float(loss(xk))),
    )
    elapsed = time.perf_counter() - start
    initial_loss = float(loss(x0))
    final_loss = float(result.fun)
    vx = np.reshape(result.x[: n * n], (n, n))
    vy = np.reshape(result.x[n * n :], (n, n))
    final = simulate(vx, vy, smoke, steps)
    peak = max(smoke.max(), final.max(), target.max())
    write_png(out, np.concatenate([smoke, final, target], axis=1) / peak)
    if verbose:
        print(
            f"fluid: {n}x{n} grid, {steps} steps, {result.nit} L-BFGS iterations "
            f"({result.nfev} value+gradient evaluations) in {elapsed:.1f} s"
        )
        print(f"loss {initial_loss:.6f} -> {final_loss:.6f}; image written to {out}")
    _ = fluxion  # the gradient comes from fluxion through minimize
    return {
        "initial_loss": initial_loss,
        "final_loss": final_loss,
        "history": history,
        "png": out,
        "result": result,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=32, help="grid size")
    parser.add_argument("--steps", type=int, default=8, help="simulation steps")
    parser.add_argument("--iters", type=int, default=30, help="L-BFGS iterations")
    parser.add_argument("--out", default="fluid.png", help="output PNG")
    args = parser.parse_args()
    main(args.n, args.steps, args.iters, args.out)
