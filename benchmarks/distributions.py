"""Distributions benchmark: log_prob and gradient, fluxion vs NumPyro, TFP-on-NumPy and SciPy.

Rows (every one computes the same float64 numbers; each is checked against SciPy first):

* ``normal 1e6``: ``sum(Normal(loc, scale).log_prob(x))`` for ``x`` of 10^6 values, scalar
  ``loc``/``scale``; value and gradient in ``(loc, scale)``.
* ``gamma 1e6``: the same for ``Gamma(concentration, rate)``.
* ``hierarchical``: a non-centred hierarchical normal model (``J = 200`` groups, 50 observations
  each, 10,000 in all): ``mu ~ Normal(0, 5)``, ``tau ~ HalfNormal(5)``, ``z_j ~ Normal(0, 1)``,
  ``y_ij ~ Normal(mu + tau z_j, sigma)``; the log density and its gradient in
  ``(mu, log tau, z)`` (202 parameters).

Columns: fluxion eager (``fluxion.value_and_grad``), fluxion jit tier 0
(``fluxion.jit(fluxion.value_and_grad(f), tier=0)``: the NumPy source a jitted function runs
for its first calls), fluxion jit steady state (``tier=1``: the numba kernel a hot function is
promoted to; the compile is not timed), NumPyro
(``jax.jit(jax.value_and_grad(f))`` on device arrays, ``block_until_ready``, float64 enabled),
TFP on NumPy (``tensorflow_probability.substrates.numpy``: value only, that substrate has no
gradients) and SciPy (value only). Times are medians of ``--repeats`` loops of about
``--target`` seconds, after warm-up calls that compile. Missing peers are skipped with a note.

Usage::

    python benchmarks/distributions.py               # the table (peers from the bench venv)
    python benchmarks/distributions.py --quick       # a smoke test
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from _timing import median_per_call

N_VALUES = 1_000_000
N_GROUPS, N_PER_GROUP = 200, 50


def _data() -> dict:
    rng = np.random.default_rng(7)
    z = rng.standard_normal(N_GROUPS)
    group = np.repeat(np.arange(N_GROUPS), N_PER_GROUP)
    y = 1.0 + 2.0 * z[group] + rng.standard_normal(group.size) * 0.7
    return {
        "x_normal": rng.standard_normal(N_VALUES) * 2.0 + 0.5,
        "x_gamma": rng.gamma(2.5, 1.0 / 1.7, N_VALUES),
        "normal_theta": np.array([0.4, 1.9]),
        "gamma_theta": np.array([2.4, 1.6]),
        "group": group,
        "y": y,
        "sigma": 0.7,
        "hier_theta": np.concatenate([[0.9, np.log(1.8)], z * 0.9]),
    }


# --------------------------------------------------------------------------------------------
# The three problems, written once per library
# --------------------------------------------------------------------------------------------


def fluxion_problems(d: dict) -> dict:
    import fluxion.distributions as fd
    import fluxion.numpy as fnp

    x_n, x_g, group, y, sigma = d["x_normal"], d["x_gamma"], d["group"], d["y"], d["sigma"]

    def normal(t):
        return fnp.sum(fd.Normal(t[0], t[1]).log_prob(x_n))

    def gamma(t):
        return fnp.sum(fd.Gamma(t[0], t[1]).log_prob(x_g))

    def hier(t):
        mu, tau, z = t[0], fnp.exp(t[1]), t[2:]
        return (
            fd.Normal(0.0, 5.0).log_prob(mu)
            + fd.HalfNormal(5.0).log_prob(tau) + t[1]
            + fnp.sum(fd.Normal(0.0, 1.0).log_prob(z))
            + fnp.sum(fd.Normal(mu + tau * z[group], sigma).log_prob(y))
        )

    return {"normal 1e6": normal, "gamma 1e6": gamma, "hierarchical": hier}


def numpyro_problems(d: dict) -> dict | None:
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        import numpyro.distributions as nd
    except ImportError:
        return None
    x_n, x_g = jnp.asarray(d["x_normal"]), jnp.asarray(d["x_gamma"])
    group, y, sigma = jnp.asarray(d["group"]), jnp.asarray(d["y"]), d["sigma"]

    def normal(t):
        return jnp.sum(nd.Normal(t[0], t[1]).log_prob(x_n))

    def gamma(t):
        return jnp.sum(nd.Gamma(t[0], t[1]).log_prob(x_g))

    def hier(t):
        mu, tau, z = t[0], jnp.exp(t[1]), t[2:]
        return (
            nd.Normal(0.0, 5.0).log_prob(mu)
            + nd.HalfNormal(5.0).log_prob(tau) + t[1]
            + jnp.sum(nd.Normal(0.0, 1.0).log_prob(z))
            + jnp.sum(nd.Normal(mu + tau * z[group], sigma).log_prob(y))
        )

    return {"normal 1e6": normal, "gamma 1e6": gamma, "hierarchical": hier}


def tfp_problems(d: dict) -> dict | None:
    try:
        from tensorflow_probability.substrates import numpy as tfp
    except ImportError:
        return None
    tfd = tfp.distributions
    x_n, x_g, group, y, sigma = d["x_normal"], d["x_gamma"], d["group"], d["y"], d["sigma"]

    def normal(t):
        return np.sum(tfd.Normal(t[0], t[1]).log_prob(x_n))

    def gamma(t):
        return np.sum(tfd.Gamma(t[0], t[1]).log_prob(x_g))

    def hier(t):
        mu, tau, z = t[0], np.exp(t[1]), t[2:]
        return (
            tfd.Normal(0.0, 5.0).log_prob(mu)
            + tfd.HalfNormal(5.0).log_prob(tau) + t[1]
            + np.sum(tfd.Normal(0.0, 1.0).log_prob(z))
            + np.sum(tfd.Normal(mu + tau * z[group], sigma).log_prob(y))
        )

    return {"normal 1e6": normal, "gamma 1e6": gamma, "hierarchical": hier}


def scipy_problems(d: dict) -> dict:
    import scipy.stats as st

    x_n, x_g, group, y, sigma = d["x_normal"], d["x_gamma"], d["group"], d["y"], d["sigma"]

    def hier(t):
        mu, tau, z = t[0], np.exp(t[1]), t[2:]
        return (
            st.norm.logpdf(mu, 0, 5) + st.halfnorm.logpdf(tau, scale=5) + t[1]
            + np.sum(st.norm.logpdf(z)) + np.sum(st.norm.logpdf(y, mu + tau * z[group], sigma))
        )

    return {
        "normal 1e6": lambda t: np.sum(st.norm.logpdf(x_n, t[0], t[1])),
        "gamma 1e6": lambda t: np.sum(st.gamma.logpdf(x_g, t[0], scale=1 / t[1])),
        "hierarchical": hier,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--target", type=float, default=0.3)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.repeats, args.target = 3, 0.05

    d = _data()
    thetas = {"normal 1e6": d["normal_theta"], "gamma 1e6": d["gamma_theta"],
              "hierarchical": d["hier_theta"]}
    flx, npy, tfpp = fluxion_problems(d), numpyro_problems(d), tfp_problems(d)
    sp = scipy_problems(d)
    versions = [f"python {sys.version.split()[0]}", f"numpy {np.__version__}"]
    if npy is not None:
        import jax
        import numpyro

        versions += [f"jax {jax.__version__}", f"numpyro {numpyro.__version__}"]
    if tfpp is not None:
        import tensorflow_probability as tfp_mod

        versions.append(f"tfp {tfp_mod.__version__} (numpy substrate)")
    print("versions:", ", ".join(versions))
    print(f"{'problem':<14}{'fx eager':>12}{'fx jit t0':>12}{'fx jit t1':>12}{'numpyro jit':>13}"
          f"{'tfp-np (v)':>12}"
          f"{'scipy (v)':>12}   ratio jit/numpyro")
    for name, theta in thetas.items():
        row = _row(name, theta, flx, npy, tfpp, sp, args)

        def ms(key: str, row: dict = row) -> str:
            return f"{row[key] * 1e3:10.3f}ms" if key in row else f"{'-':>12}"

        ratio = f"{row['fx jit'] / row['numpyro']:.2f}" if "numpyro" in row else "-"
        print(f"{name:<14}{ms('fx eager')}{ms('fx jit t0')}{ms('fx jit')} {ms('numpyro')}"
              f"{ms('tfp')}"
              f"{ms('scipy')}   {ratio}")


def _row(name: str, theta: np.ndarray, flx: dict, npy: dict | None, tfpp: dict | None,
         sp: dict, args: argparse.Namespace) -> dict:
    """One problem's timings (seconds per call), after checking every value against SciPy."""
    import fluxion

    ref = float(sp[name](theta))
    vg = fluxion.value_and_grad(flx[name])
    jvg = fluxion.jit(fluxion.value_and_grad(flx[name]), tier=1)
    jvg0 = fluxion.jit(fluxion.value_and_grad(flx[name]), tier=0)
    v, g = vg(theta)
    vj, gj = jvg(theta)
    assert jvg.tier == 1, jvg.tier_info()
    assert abs(float(v) - ref) <= 1e-9 * abs(ref), (name, float(v), ref)
    assert abs(float(vj) - ref) <= 1e-9 * abs(ref), (name, float(vj), ref)
    np.testing.assert_allclose(np.asarray(gj), np.asarray(g), rtol=1e-9)
    row = {"fx eager": median_per_call(lambda: vg(theta), args.repeats, args.target),
           "fx jit t0": median_per_call(lambda: jvg0(theta), args.repeats, args.target),
           "fx jit": median_per_call(lambda: jvg(theta), args.repeats, args.target)}
    if npy is not None:
        import jax

        jf = jax.jit(jax.value_and_grad(npy[name]))
        tj = jax.device_put(theta)
        vn, gn = jf(tj)
        assert abs(float(vn) - ref) <= 1e-9 * abs(ref), (name, float(vn), ref)
        np.testing.assert_allclose(np.asarray(gn), np.asarray(g), rtol=1e-8)
        row["numpyro"] = median_per_call(
            lambda: jax.block_until_ready(jf(tj)), args.repeats, args.target
        )
    if tfpp is not None:
        vt = float(tfpp[name](theta))
        assert abs(vt - ref) <= 1e-9 * abs(ref), (name, vt, ref)
        row["tfp"] = median_per_call(lambda: tfpp[name](theta), args.repeats, args.target)
    row["scipy"] = median_per_call(lambda: sp[name](theta), args.repeats, args.target)
    return row

if __name__ == "__main__":
    main()
