"""Plain SciPy functions written in Python over NumPy, called on traced values (issue 14,
item 6): the error names the SciPy function called and its fluxion counterpart (or says there
is none), in every transform; other NumPy conversions keep their message; SciPy's ufuncs are
still routed to fluxion; and fluxion.scipy.special works under SciPy's array-API mode."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.linalg as sl
import scipy.special as sc
import scipy.stats as st

import fluxion
import fluxion.numpy as fnp


def _has_counterpart(path: str) -> bool:
    module, *attrs = path.split(".")
    obj = importlib.import_module(f"fluxion.scipy.{module}")
    for attr in attrs:
        obj = getattr(obj, attr, None)
    return obj is not None


def _expect(called: str, below: str, shown: str | None = None):
    """The pieces the message must contain for a call of ``called`` (fluxion.scipy.<below>)."""
    if _has_counterpart(below):
        return [called, "cannot run on traced values", f"Use {shown or 'fluxion.scipy.' + below}"]
    return [called, "cannot run on traced values", "no counterpart", "fluxion.numpy"]


CASES = [
    (
        "logsumexp",
        lambda x: sc.logsumexp(x),
        np.array([0.5, 1.5]),
        _expect("scipy.special.logsumexp", "special.logsumexp"),
    ),
    (
        "softmax",
        lambda x: fnp.sum(sc.softmax(x) ** 2),
        np.array([0.5, 1.5]),
        _expect("scipy.special.softmax", "special.softmax"),
    ),
    (
        "norm.logpdf",
        lambda x: st.norm.logpdf(x, 0.0, 2.0),
        0.3,
        _expect("scipy.stats.norm.logpdf", "stats.norm.logpdf"),
    ),
    (
        "frozen norm.logpdf",
        lambda x: st.norm(0.0, 2.0).logpdf(x),
        0.3,
        _expect(
            "scipy.stats.norm(...).logpdf",
            "stats.norm.logpdf",
            "fluxion.scipy.stats.norm(...).logpdf",
        ),
    ),
    (
        "expm",
        lambda x: fnp.sum(sl.expm(x)),
        0.1 * np.eye(2),
        _expect("scipy.linalg.expm", "linalg.expm"),
    ),
    (
        "sqrtm",
        lambda x: fnp.sum(sl.sqrtm(x)),
        np.eye(2),
        _expect("scipy.linalg.sqrtm", "linalg.sqrtm"),
    ),
]


@pytest.mark.parametrize(("label", "fn", "x", "pieces"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("transform", ["grad", "jit", "vmap"])
def test_the_error_names_the_scipy_function(label, fn, x, pieces, transform):
    if transform == "grad":
        call = lambda: fluxion.grad(fn)(x)  # noqa: E731
    elif transform == "jit":
        call = lambda: fluxion.jit(fn)(x)  # noqa: E731
    else:
        call = lambda: fluxion.vmap(fn)(np.stack([x, x]))  # noqa: E731
    with pytest.raises(TypeError) as info:
        call()
    message = str(info.value)
    for piece in pieces:
        assert piece in message, (piece, message)
    assert "numpy.asarray" in message


def test_other_conversions_keep_their_message():
    with pytest.raises(TypeError, match=r"numpy.asarray/numpy.array of a traced f64\[\]"):
        fluxion.grad(lambda x: np.asarray(x) * 2.0)(1.0)


def test_scipy_ufuncs_are_still_routed():
    g = fluxion.grad(lambda x: sc.gammaln(x) + sc.expit(x))(1.5)
    np.testing.assert_allclose(g, sc.digamma(1.5) + sc.expit(1.5) * (1 - sc.expit(1.5)))


def test_array_api_mode():
    # Under SCIPY_ARRAY_API=1 SciPy wraps its ufuncs in Python functions: fluxion.scipy.special
    # still imports and differentiates; a plain SciPy call on a traced value is refused by
    # SciPy's own array-namespace check (a TypeError, not a wrong number).
    code = textwrap.dedent(
        """
        import numpy as np, scipy.special as sc
        import fluxion, fluxion.scipy.special as fs
        g = fluxion.grad(lambda a: fs.gammainc(a, 2.0) + fs.logsumexp(a * np.ones(2)))(1.5)
        print(repr(float(g)))
        try:
            fluxion.grad(lambda x: sc.logsumexp(x))(np.ones(2))
        except TypeError:
            print("refused")
        """
    )
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    value, refused = out.stdout.split()
    h = 1e-6
    fd = (sc.gammainc(1.5 + h, 2.0) - sc.gammainc(1.5 - h, 2.0)) / (2 * h) + 1.0
    np.testing.assert_allclose(float(value), fd, rtol=1e-7)
    assert refused == "refused"


def test_jit_of_the_empty_index():
    # x[()] (which SciPy's array-API code uses) once compiled to the invalid `x[]` in tier 0
    out = fluxion.jit(lambda x: x[()] * 2.0)(np.float64(1.5))
    assert float(out) == 3.0
    np.testing.assert_array_equal(fluxion.jit(lambda x: x[...] * 2.0)(np.array([1.5])), [3.0])
