"""NUTS with no Python per leapfrog step: the transition compiled by numba around the model's
tier-1 kernel.

When the potential's value-and-gradient compiles to tier 1 (one numba kernel), this module
generates a small numba module that imports that kernel and defines the whole NUTS transition
(the same algorithm as :func:`fluxion._src.mcmc.hmc.nuts_step`: multinomial sampling, the
generalized no-U-turn criterion with Stan's merged-subtree checks, divergences) with a diagonal
metric. The driver still runs the warm-up adaptation in Python — once per transition, not per
leapfrog step. The generated file is cached on disk next to the kernel, so a later process loads
it instead of compiling.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from typing import Any

__all__ = ["compiled_nuts"]

_TEMPLATE = """
import numpy as np
import numba
from {module} import {kernel} as _kernel


@numba.njit(cache={cache}, nogil=True)
def seed(s):
    np.random.seed(s)


@numba.njit(cache={cache}, nogil=True)
def _lp(q, consts):
    v, g = _kernel(q, *consts)
    return np.float64(v), g


@numba.njit(cache={cache}, nogil=True)
def _leapfrog(q, p, g, eps, inv_mass, consts):
    p = p + 0.5 * eps * g
    q = q + eps * inv_mass * p
    lp, g = _lp(q, consts)
    p = p + 0.5 * eps * g
    return q, p, lp, g


@numba.njit(cache={cache}, nogil=True)
def _logaddexp(a, b):
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    m = max(a, b)
    return m + np.log(np.exp(a - m) + np.exp(b - m))


@numba.njit(cache={cache}, nogil=True)
def _crit(v_minus, v_plus, rho):
    return np.dot(v_plus, rho) > 0.0 and np.dot(v_minus, rho) > 0.0


@numba.njit(cache={cache}, nogil=True)
def _build(q, p, g, lp, depth, eps, h0, inv_mass, consts, max_de):
    # (valid, divergent, q, p, g, lp, v_beg, v_end, p_beg, p_end, rho, log_w,
    #  sample_q, sample_lp, sample_g, n_leapfrog, sum_metro)
    if depth == 0:
        q1, p1, lp1, g1 = _leapfrog(q, p, g, eps, inv_mass, consts)
        h = -lp1 + 0.5 * np.sum(inv_mass * p1 * p1)
        if np.isnan(h):
            h = np.inf
        div = (h - h0) > max_de
        metro = 1.0 if h0 - h > 0.0 else np.exp(h0 - h)
        v = inv_mass * p1
        return (not div, div, q1, p1, g1, lp1, v, v, p1, p1, p1.copy(), h0 - h,
                q1, lp1, g1, 1, metro)
    left = _build(q, p, g, lp, depth - 1, eps, h0, inv_mass, consts, max_de)
    if not left[0]:
        return left
    right = _build(left[2], left[3], left[4], left[5], depth - 1, eps, h0, inv_mass, consts,
                   max_de)
    n = left[15] + right[15]
    metro = left[16] + right[16]
    if not right[0]:
        return (False, right[1], right[2], right[3], right[4], right[5], right[6], right[7],
                right[8], right[9], right[10], right[11], right[12], right[13], right[14], n,
                metro)
    log_w = _logaddexp(left[11], right[11])
    sq, slp, sg = left[12], left[13], left[14]
    if right[11] > log_w or np.random.random() < np.exp(right[11] - log_w):
        sq, slp, sg = right[12], right[13], right[14]
    rho = left[10] + right[10]
    ok = _crit(left[6], right[7], rho)
    ok = ok and _crit(left[6], right[6], left[10] + right[8])
    ok = ok and _crit(left[7], right[7], right[10] + left[9])
    return (ok, False, right[2], right[3], right[4], right[5], left[6], right[7], left[8],
            right[9], rho, log_w, sq, slp, sg, n, metro)


@numba.njit(cache={cache}, nogil=True)
def transition(q, lp, g, eps, inv_mass, max_depth, consts, max_de):
    d = q.size
    p0 = np.random.standard_normal(d) / np.sqrt(inv_mass)
    h0 = -lp + 0.5 * np.sum(inv_mass * p0 * p0)
    v0 = inv_mass * p0
    qm, pm, gm, lpm = q, p0, g, lp
    qp, pp, gp, lpp = q, p0, g, lp
    vm, vp, pm_end, pp_end = v0, v0, p0, p0
    rho = p0.copy()
    log_sum_w = 0.0
    sq, slp, sg = q, lp, g
    n = 0
    metro = 0.0
    depth = 0
    divergent = False
    while depth < max_depth:
        forward = np.random.random() > 0.5
        if forward:
            sub = _build(qp, pp, gp, lpp, depth, eps, h0, inv_mass, consts, max_de)
        else:
            sub = _build(qm, pm, gm, lpm, depth, -eps, h0, inv_mass, consts, max_de)
        n += sub[15]
        metro += sub[16]
        if sub[1]:
            divergent = True
        if not sub[0]:
            break
        depth += 1
        if sub[11] > log_sum_w or np.random.random() < np.exp(sub[11] - log_sum_w):
            sq, slp, sg = sub[12], sub[13], sub[14]
        log_sum_w = _logaddexp(log_sum_w, sub[11])
        if forward:
            qp, pp, gp, lpp = sub[2], sub[3], sub[4], sub[5]
            rho_b, rho_f = rho, sub[10]
            v_bb, v_bf, p_bf = vm, vp, pp_end
            v_fb, v_ff, p_fb = sub[6], sub[7], sub[8]
            vp, pp_end = sub[7], sub[9]
        else:
            qm, pm, gm, lpm = sub[2], sub[3], sub[4], sub[5]
            rho_b, rho_f = sub[10], rho
            v_bb, v_bf, p_bf = sub[7], sub[6], sub[8]
            v_fb, v_ff, p_fb = vm, vp, pm_end
            vm, pm_end = sub[7], sub[9]
        rho = rho_b + rho_f
        if not (_crit(v_bb, v_ff, rho) and _crit(v_bb, v_fb, rho_b + p_fb)
                and _crit(v_bf, v_ff, rho_f + p_bf)):
            break
    return sq, slp, sg, metro / max(n, 1), n, depth, divergent, h0
"""


def compiled_nuts(jitted: Any, example: tuple, mode: Any = "auto") -> tuple | None:
    """(transition, seed, consts) for a tier-1 jitted value-and-gradient, or None.

    None when the function did not reach tier 1 (numba missing, not lowerable), or, in "auto"
    mode, when the compiled transition is not on disk yet: numba needs ~15 s to compile the
    recursive tree building, so "auto" compiles it in a separate process (no GIL contention with
    this run, which uses the Python NUTS) and later runs load it in well under a second.
    ``mode=True`` compiles here and now; False never uses it. ``example`` is
    ``(q, logp, grad, inv_mass)`` with the run's types.
    """
    if mode is False:
        return None
    try:
        entry = next(iter(jitted._cache.values()))
        spec = entry.specs[-1]
    except (AttributeError, StopIteration, IndexError):
        return None
    code = getattr(spec, "numba_code", None)
    if code is None or not code.module_name:
        return None
    from ..codegen.numba_tier import _cache_dir

    source = _TEMPLATE.format(
        module=code.module_name, kernel=code.name, cache="True" if code.cacheable else "False"
    )
    digest = hashlib.sha1(source.encode()).hexdigest()[:20]
    name = f"fluxion_nuts_{digest}"
    path = os.path.join(_cache_dir(), f"fx_nuts_{digest}.py")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as fh:
            fh.write(source)
        os.replace(tmp, path)
    if name not in sys.modules and mode == "auto" and not _cached(path):
        _compile_in_background(code, path, name, example)
        return None
    if name in sys.modules:
        module = sys.modules[name]
    else:
        spec_ = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec_)
        sys.modules[name] = module
        spec_.loader.exec_module(module)
    if mode is True and not _cached(path):  # compile here and now, then mark it
        q, lp, g, inv_mass = example
        module.seed(0)
        module.transition(q, float(lp), g, 0.1, inv_mass, 10, code.consts, 1000.0)
        open(path + ".compiled", "w").close()
    return module.transition, module.seed, code.consts


def _cached(path: str) -> bool:
    """Whether the transition compiled from ``path`` is in numba's disk cache: a marker file
    written after a successful compile (numba's own cache may live elsewhere, under
    NUMBA_CACHE_DIR)."""
    return os.path.exists(path + ".compiled")


_STARTED: set = set()

_CHILD = """
import importlib.util, sys, numpy as np
def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod
load({kernel_module!r}, {kernel_path!r})
nuts = load({name!r}, {path!r})
data = np.load({npz!r})
consts = tuple(data["c%d" % i][()] if data["s%d" % i] else data["c%d" % i]
               for i in range(int(data["n"])))
nuts.seed(0)
nuts.transition(data["q"], float(data["lp"]), data["g"], 0.1, data["m"], 10, consts, 1000.0)
open({path!r} + ".compiled", "w").close()
"""


def _compile_in_background(code: Any, path: str, name: str, example: tuple) -> None:
    """Start a detached process that compiles (and so caches) the transition for these types."""
    import subprocess
    import tempfile

    import numpy as np

    if path in _STARTED:
        return
    _STARTED.add(path)
    q, lp, g, inv_mass = example
    fd, npz = tempfile.mkstemp(suffix=".npz", prefix="fluxion_nuts_")
    os.close(fd)
    arrays = {f"c{i}": np.asarray(c) for i, c in enumerate(code.consts)}
    # NumPy scalars must come back as scalars (numba types them apart from 0-d arrays)
    arrays.update({f"s{i}": isinstance(c, np.generic) for i, c in enumerate(code.consts)})
    np.savez(
        npz,
        q=np.asarray(q, dtype=np.float64),
        lp=np.float64(lp),
        g=np.asarray(g, dtype=np.float64),
        m=np.asarray(inv_mass, dtype=np.float64),
        n=len(code.consts),
        **arrays,
    )
    script = _CHILD.format(
        kernel_module=code.module_name, kernel_path=code.path, name=name, path=path, npz=npz
    )
    subprocess.Popen(  # noqa: S603 (our own interpreter and generated script)
        [sys.executable, "-c", script + f"\nimport os; os.remove({npz!r})\n"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
