"""fluxion.diagnostics: equal to ArviZ (0.x) on the same draws, and emcee's integrated_time."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
from scipy.signal import lfilter

from fluxion import diagnostics as fd

RTOL = 1e-8


# --------------------------------------------------------------------------------------------------
# draws


def _ar1(rng: np.random.Generator, chains: int, draws: int, phi: float) -> np.ndarray:
    """Stationary AR(1) chains x_t = phi x_{t-1} + e_t, e_t ~ N(0, 1); shape (chains, draws)."""
    e = rng.normal(size=(chains, draws))
    e[:, 0] /= np.sqrt(1 - phi**2)  # start in the stationary distribution
    return lfilter([1.0], [1.0, -phi], e, axis=1)


def _draws() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20260601)
    multi = rng.normal(size=(4, 201, 2, 3)) + np.arange(3)
    multi[:, :, 1, 2] = 0.1 * np.cumsum(multi[:, :, 1, 2], axis=1)  # a random walk: bad mixing
    return {
        "iid": rng.normal(size=(4, 1000)),
        "ar1": _ar1(rng, 4, 1000, 0.95),
        "means": rng.normal(size=(4, 500)) + np.arange(4)[:, None],
        "odd": _ar1(rng, 3, 501, 0.7),
        "one_chain": rng.normal(size=(1, 333)),
        "short": rng.normal(size=(4, 5)),
        "discrete": rng.integers(0, 3, size=(4, 300)).astype(float),
        "multi": multi,
    }


DRAWS = _draws()
SCALAR_CASES = [k for k in DRAWS if k != "multi"]


@pytest.fixture(scope="module")
def az():
    """ArviZ 0.x with its NumPy code path (its numba path of mcse(method="sd") fails on NumPy 2)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arviz = pytest.importorskip("arviz")
    if int(arviz.__version__.split(".")[0]) >= 1:
        pytest.skip("these comparisons target ArviZ 0.x (arviz.rhat etc. on ndarrays)")
    flag = arviz.Numba.numba_flag
    arviz.Numba.disable_numba()
    yield arviz
    if flag:
        arviz.Numba.enable_numba()


def _reference(az, func, x: np.ndarray, **kwargs) -> np.ndarray:
    """ArviZ's value on draws of shape (chain, draw, *param_shape), through a Dataset if needed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if x.ndim <= 2:
            return np.asarray(func(x, **kwargs), dtype=float).reshape(())
        return func(az.convert_to_dataset({"v": x}), **kwargs)["v"].values


def _assert_equal(ours, ref, what: str) -> None:
    ours = np.asarray(ours, dtype=float)
    ref = np.asarray(ref, dtype=float)
    assert ours.shape == ref.shape, what
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref), err_msg=what)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=0, err_msg=what)


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return func(*args, **kwargs)


# --------------------------------------------------------------------------------------------------
# equal to ArviZ


@pytest.mark.parametrize("case", list(DRAWS))
@pytest.mark.parametrize("method", ["rank", "split", "folded", "z_scale", "identity"])
def test_rhat_matches_arviz(az, case, method):
    x = DRAWS[case]
    _assert_equal(
        _quiet(fd.rhat, x, method=method),
        _reference(az, az.rhat, x, method=method),
        f"rhat {method} on {case}",
    )


@pytest.mark.parametrize("case", list(DRAWS))
@pytest.mark.parametrize(
    "method", ["bulk", "tail", "mean", "sd", "median", "mad", "z_scale", "folded", "identity"]
)
@pytest.mark.parametrize("relative", [False, True])
def test_ess_matches_arviz(az, case, method, relative):
    x = DRAWS[case]
    _assert_equal(
        _quiet(fd.ess, x, method=method, relative=relative),
        _reference(az, az.ess, x, method=method, relative=relative),
        f"ess {method} relative={relative} on {case}",
    )


@pytest.mark.parametrize("case", list(DRAWS))
@pytest.mark.parametrize(
    ("method", "prob"),
    [("quantile", 0.05), ("quantile", 0.37), ("quantile", 0.9), ("tail", 0.1), ("tail", (0.2, 0.7))]
    + [("local", (0.2, 0.7))],
)
def test_ess_with_prob_matches_arviz(az, case, method, prob):
    x = DRAWS[case]
    _assert_equal(
        _quiet(fd.ess, x, method=method, prob=prob),
        _reference(az, az.ess, x, method=method, prob=prob),
        f"ess {method} prob={prob} on {case}",
    )


@pytest.mark.parametrize("case", list(DRAWS))
@pytest.mark.parametrize(
    ("method", "prob"),
    [("mean", None), ("sd", None), ("median", None), ("quantile", 0.1), ("quantile", 0.75)],
)
def test_mcse_matches_arviz(az, case, method, prob):
    x = DRAWS[case]
    kwargs = {} if prob is None else {"prob": prob}
    _assert_equal(
        _quiet(fd.mcse, x, method=method, **kwargs),
        _reference(az, az.mcse, x, method=method, **kwargs),
        f"mcse {method} prob={prob} on {case}",
    )


@pytest.mark.parametrize("case", ["ar1", "iid"])
@pytest.mark.parametrize("method", ["rank", "bulk", "tail"])
def test_matches_arviz_numba_path(case, method):
    """ArviZ's default (numba) variance path: the same numbers to rounding."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        az = pytest.importorskip("arviz")
    pytest.importorskip("numba")
    if int(az.__version__.split(".")[0]) >= 1:
        pytest.skip("these comparisons target ArviZ 0.x")
    flag = az.Numba.numba_flag
    az.Numba.enable_numba()
    try:
        x = DRAWS[case]
        if method == "rank":
            ours, ref = fd.rhat(x), az.rhat(x)
        else:
            ours, ref = fd.ess(x, method=method), az.ess(x, method=method)
    finally:
        if not flag:
            az.Numba.disable_numba()
    np.testing.assert_allclose(ours, ref, rtol=RTOL)


@pytest.mark.parametrize("case", ["iid", "ar1", "means", "odd"])
def test_bfmi_autocov_autocorr_match_arviz(az, case):
    x = DRAWS[case]
    _assert_equal(fd.bfmi(x), az.bfmi(x), f"bfmi on {case}")
    _assert_equal(fd.autocov(x), az.autocov(x), f"autocov on {case}")
    _assert_equal(fd.autocorr(x[0]), az.autocorr(x[0]), f"autocorr on {case}")
    y = np.moveaxis(DRAWS["multi"], 1, -1)
    _assert_equal(fd.autocov(DRAWS["multi"], axis=1), np.moveaxis(az.autocov(y), -1, 1), "axis=1")


@pytest.mark.parametrize("hdi_prob", [0.94, 0.5, 0.89])
def test_summary_matches_arviz(az, hdi_prob):
    pd = pytest.importorskip("pandas")
    names = ("iid", "ar1", "means", "odd", "multi", "discrete", "one_chain", "short")
    draws = {name: DRAWS[name] for name in names}
    # one ArviZ call per variable: an xarray Dataset would pad unequal draw counts with NaN
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pd.concat(
            [az.summary({k: v}, round_to="none", hdi_prob=hdi_prob) for k, v in draws.items()]
        )
    ours = fd.summary(draws, hdi_prob=hdi_prob)
    assert list(ours.columns) == list(ref.columns)
    assert list(ours.index) == list(ref.index)
    _assert_equal(ours.to_numpy(), ref.to_numpy(), "summary")


def test_summary_rounding_and_edge_cases_match_arviz(az):
    rng = np.random.default_rng(3)
    draws = {
        "ar1": DRAWS["ar1"],
        "const": np.full((4, 100), 2.5),
        "pm1": rng.choice([-1.0, 1.0], size=(4, 100)),  # folded draws are constant
        "one_chain": DRAWS["one_chain"],
        "short": rng.normal(size=(4, 3)),
    }
    pd = pytest.importorskip("pandas")

    def ref(**kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pd.concat([az.summary({k: v}, **kwargs) for k, v in draws.items()])

    ref_full = ref(round_to="none")
    ref_auto = ref()  # ArviZ's default rounding
    ref_2 = ref(round_to=2)
    _assert_equal(fd.summary(draws).to_numpy(), ref_full.to_numpy(), "summary edge cases")
    assert fd.summary(draws, round_to="auto").equals(ref_auto)
    assert fd.summary(draws, round_to=2).equals(ref_2)
    sub = fd.summary(draws, var_names=["pm1", "ar1"])
    assert list(sub.index) == ["pm1", "ar1"]


def test_edge_cases_match_arviz(az):
    rng = np.random.default_rng(4)
    with_nan = rng.normal(size=(4, 100))
    with_nan[2, 17] = np.nan
    cases = {
        "const": np.ones((4, 100)),
        "nan": with_nan,
        "pm1": rng.choice([-1.0, 1.0], size=(4, 100)),
        "three_draws": rng.normal(size=(4, 3)),
        "four_draws": rng.normal(size=(4, 4)),
        "binary": (rng.random(size=(2, 50)) < 0.1).astype(float),
    }
    for name, x in cases.items():
        for method in ("rank", "split", "folded", "identity"):
            _assert_equal(
                _quiet(fd.rhat, x, method), _reference(az, az.rhat, x, method=method), name
            )
        for method in ("bulk", "tail", "mean", "sd", "median", "identity"):
            _assert_equal(_quiet(fd.ess, x, method), _reference(az, az.ess, x, method=method), name)
        for method in ("mean", "sd", "median"):
            _assert_equal(
                _quiet(fd.mcse, x, method), _reference(az, az.mcse, x, method=method), name
            )


# --------------------------------------------------------------------------------------------------
# fluxion on its own


def test_rhat_and_ess_behave():
    assert abs(fd.rhat(DRAWS["iid"]) - 1) < 0.01
    assert fd.rhat(DRAWS["means"]) > 1.5  # chains with different means
    assert fd.rhat(DRAWS["ar1"]) < 1.1
    n = DRAWS["iid"].size
    assert 0.8 * n < fd.ess(DRAWS["iid"]) < 1.2 * n
    # AR(1) with phi = 0.95: tau = (1 + phi) / (1 - phi) = 39
    assert fd.ess(DRAWS["ar1"], method="mean") < n / 15
    # the ESS upper bound S log10(S)
    anti = np.tile([1.0, -1.0], (4, 500))
    anti += 1e-3 * np.random.default_rng(0).normal(size=anti.shape)
    s = anti.size
    assert fd.ess(anti, method="identity") <= s * np.log10(s) * (1 + 1e-12)


def test_vectorized_equals_elementwise():
    x = DRAWS["multi"]
    for func, kwargs in [
        (fd.rhat, {}),
        (fd.rhat, {"method": "folded"}),
        (fd.ess, {}),
        (fd.ess, {"method": "tail"}),
        (fd.mcse, {"method": "sd"}),
        (fd.mcse, {"method": "median"}),
        (fd.integrated_time, {"quiet": True, "layout": "chain_draw"}),
    ]:
        full = _quiet(func, x, **kwargs)
        assert full.shape == (2, 3)
        for idx in np.ndindex(2, 3):
            one = _quiet(func, x[(slice(None), slice(None)) + idx], **kwargs)
            np.testing.assert_allclose(full[idx], one, rtol=1e-12, err_msg=func.__name__)


def test_scalar_results_and_single_chain():
    value = fd.rhat(DRAWS["iid"])
    assert isinstance(value, np.floating) and np.ndim(value) == 0
    one = DRAWS["one_chain"][0]
    np.testing.assert_allclose(fd.ess(one), fd.ess(one[None]))
    with pytest.warns(RuntimeWarning, match="rhat: R-hat needs at least 2 chain"):
        assert np.isnan(fd.rhat(one))
    with pytest.warns(RuntimeWarning, match=r"ess: ESS needs at least 1 chain\(s\) of 4 draws"):
        assert np.isnan(fd.ess(np.zeros((4, 3))))


def test_hdi():
    x = DRAWS["iid"]
    lo, hi = fd.hdi(x, 0.94)
    inside = np.mean((x >= lo) & (x <= hi))
    assert 0.94 <= inside <= 0.95
    assert fd.hdi(DRAWS["multi"]).shape == (2, 3, 2)


def test_bfmi_values():
    rng = np.random.default_rng(5)
    iid = rng.normal(size=(3, 4000))
    np.testing.assert_allclose(fd.bfmi(iid), 2.0, rtol=0.1)  # E|dE|^2 = 2 var for iid energies
    sticky = np.cumsum(rng.normal(size=(2, 4000)), axis=1)
    assert np.all(fd.bfmi(sticky) < 0.3)
    assert fd.bfmi(iid[0]).shape == (1,)


# --------------------------------------------------------------------------------------------------
# integrated autocorrelation time (emcee's estimator)


def test_integrated_time_ar1_analytic():
    rng = np.random.default_rng(6)
    phi = 0.9
    x = _ar1(rng, 16, 20_000, phi)
    tau = fd.integrated_time(x, layout="chain_draw")  # x is (chain, draw)
    # analytic tau = (1 + phi) / (1 - phi) = 19; Sokal's sd is tau sqrt(2 (2M + 1) / N) ~ 4%
    np.testing.assert_allclose(tau, (1 + phi) / (1 - phi), rtol=0.12)
    iid = fd.integrated_time(rng.normal(size=(8, 10_000)), layout="chain_draw")
    np.testing.assert_allclose(iid, 1.0, rtol=0.1)


def test_integrated_time_matches_emcee():
    emcee = pytest.importorskip("emcee")
    rng = np.random.default_rng(7)
    walkers = np.stack([_ar1(rng, 32, 4000, 0.8), _ar1(rng, 32, 4000, 0.3)], axis=-1)
    ours = fd.integrated_time(walkers, layout="chain_draw")
    ref = emcee.autocorr.integrated_time(np.swapaxes(walkers, 0, 1))  # (step, walker, param)
    np.testing.assert_allclose(ours, ref, rtol=1e-10)
    np.testing.assert_allclose(fd.integrated_time(np.swapaxes(walkers, 0, 1)), ref, rtol=1e-10)
    series = walkers[0, :, 0]
    np.testing.assert_allclose(fd.integrated_time(series), emcee.autocorr.integrated_time(series))
    np.testing.assert_allclose(fd.autocorr(series), emcee.autocorr.function_1d(series), atol=1e-12)
    for c in (1, 10):
        np.testing.assert_allclose(
            fd.integrated_time(walkers, c=c, quiet=True, layout="chain_draw"),
            emcee.autocorr.integrated_time(np.swapaxes(walkers, 0, 1), c=c, quiet=True),
            rtol=1e-10,
        )


def test_integrated_time_too_short():
    x = _ar1(np.random.default_rng(8), 4, 300, 0.95)
    with pytest.raises(fd.AutocorrError, match="shorter than 50 times") as info:
        fd.integrated_time(x, layout="chain_draw")
    assert isinstance(info.value, RuntimeError)
    assert np.isfinite(info.value.tau)
    with pytest.warns(RuntimeWarning, match="shorter than 50 times"):
        tau = fd.integrated_time(x, quiet=True, layout="chain_draw")
    assert tau == info.value.tau


# --------------------------------------------------------------------------------------------------
# errors


def test_errors_are_clear():
    x = DRAWS["iid"]
    with pytest.raises(ValueError, match=r"rhat: expected method in .*got 'bulk'"):
        fd.rhat(x, method="bulk")
    with pytest.raises(ValueError, match=r"ess: expected method in"):
        fd.ess(x, method="rank")
    with pytest.raises(ValueError, match=r"ess: method='quantile' needs prob"):
        fd.ess(x, method="quantile")
    with pytest.raises(ValueError, match=r"ess: method='local' expects prob=\(lower, upper\)"):
        fd.ess(x, method="local", prob=0.3)
    with pytest.raises(ValueError, match=r"mcse: method='quantile' needs a float prob"):
        fd.mcse(x, method="quantile")
    with pytest.raises(TypeError, match=r"rhat: expected real numeric draws, got dtype <U1"):
        fd.rhat(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="ess: expected draws of shape .* got a scalar"):
        fd.ess(1.0)
    with pytest.raises(TypeError, match="rhat: .* got a dict"):
        fd.rhat({"a": x})
    with pytest.raises(ValueError, match=r"mcse: expected at least one chain and one draw"):
        fd.mcse(np.zeros((0, 10)))
    with pytest.raises(ValueError, match=r"summary: var_names \['nope'\] not among"):
        fd.summary({"a": x}, var_names=["nope"])
    with pytest.raises(ValueError, match=r"summary: expected hdi_prob in \(0, 1\]"):
        fd.summary({"a": x}, hdi_prob=1.5)
    with pytest.raises(ValueError, match=r"bfmi: expected energy of shape \(chain, draw\)"):
        fd.bfmi(np.zeros((2, 10, 3)))
    with pytest.raises(ValueError, match=r"autocov: expected axis in \[-2, 2\), got axis=2"):
        fd.autocov(x, axis=2)


# --------------------------------------------------------------------------------------------------
# summary without pandas


def test_summary_without_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` raise ImportError
    draws = {"mu": DRAWS["iid"], "theta": DRAWS["multi"][:, :, 0]}
    table = fd.summary(draws)
    assert isinstance(table, fd.SummaryTable)
    assert table.index == ["mu", "theta[0]", "theta[1]", "theta[2]"]
    assert table.columns[:4] == ["mean", "sd", "hdi_3%", "hdi_97%"]
    assert table.values.shape == (4, 9)
    np.testing.assert_allclose(table["r_hat"][0], fd.rhat(DRAWS["iid"]))
    np.testing.assert_allclose(
        table.loc["theta[1]", "ess_bulk"], fd.ess(DRAWS["multi"][:, :, 0, 1])
    )
    text = str(table)
    assert "r_hat" in text.splitlines()[0] and text.splitlines()[2].startswith("theta[0]")
    assert set(table.to_dict()) == set(table.columns)


def test_summary_accepts_array_and_result_objects():
    x = DRAWS["iid"]

    class Result:
        draws = {"mu": x}

    table = fd.summary(Result())
    assert list(table.index) == ["mu"]
    assert list(fd.summary(x).index) == ["x"]
