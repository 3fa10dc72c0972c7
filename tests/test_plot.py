"""fluxion.plot: corner and trace plots that take emcee's arrays and stay small for big models."""

import os
import resource
import struct
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("corner")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import fluxion  # noqa: E402
from fluxion.mcmc import SampleResult  # noqa: E402
from fluxion.plot import corner, trace  # noqa: E402

RNG = np.random.default_rng(0)
FLAT = RNG.normal(size=(2000, 3)) * [0.02, 0.05, 0.1] + [-0.4, 0.03, -2.3]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def _truth_lines(ax):
    """x positions of the vertical lines (truths) of a diagonal panel."""
    return [line.get_xdata()[0] for line in ax.get_lines()
            if len(set(np.atleast_1d(line.get_xdata()))) == 1]


def test_fluxion_plot_is_lazy_and_imports_no_matplotlib():
    code = (
        "import sys, fluxion\n"
        "assert 'matplotlib' not in sys.modules\n"
        "assert callable(fluxion.plot.corner) and callable(fluxion.plot.trace)\n"
        "assert 'matplotlib' not in sys.modules\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)


def test_corner_takes_a_flat_array_with_labels_and_truths():
    truth = [-0.4, 0.03, np.log(0.1)]
    fig = corner(FLAT, labels=["m", "b", "log(s)"], truths=truth, quantiles=[0.16, 0.5, 0.84],
                 show_titles=True)
    axes = np.array(fig.axes).reshape(3, 3)
    assert [ax.get_xlabel() for ax in axes[-1]] == ["m", "b", "log(s)"]
    assert axes[0, 0].get_title().startswith("m = ")
    for k in range(3):
        assert any(np.isclose(x, truth[k]) for x in _truth_lines(axes[k, k]))


def test_corner_range_passthrough_and_3d_arrays():
    rng = [(-0.5, -0.3), (-0.1, 0.2), (-2.7, -1.9)]
    fig = corner(FLAT, range=rng)
    axes = np.array(fig.axes).reshape(3, 3)
    for k in range(3):
        np.testing.assert_allclose(axes[-1, k].get_xlim(), rng[k])
    chain = FLAT.reshape(500, 4, 3)  # (draw, chain, dim) as get_chain()
    fig = corner(chain)
    assert [ax.get_xlabel() for ax in np.array(fig.axes).reshape(3, 3)[-1]] == [
        "x[0]", "x[1]", "x[2]"]


def test_corner_of_a_result_by_element_names_and_truth_dict():
    draws = {"m": RNG.normal(size=(2, 300)), "w": RNG.normal(size=(2, 300, 4)) + np.arange(4)}
    res = SampleResult(draws, {}, {}, [], 0.0, "nuts")
    fig = corner(res, var_names=["w[3]", "m", "w[1]"], truths={"w": np.arange(4.0), "m": 0.5})
    axes = np.array(fig.axes).reshape(3, 3)
    assert [ax.get_xlabel() for ax in axes[-1]] == ["w[3]", "m", "w[1]"]
    assert any(np.isclose(x, 3.0) for x in _truth_lines(axes[0, 0]))
    assert any(np.isclose(x, 0.5) for x in _truth_lines(axes[1, 1]))
    fig = corner(res, var_names=["w"], labels=["a", "b", "c", "d"], truths={"c": 2.0})
    axes = np.array(fig.axes).reshape(4, 4)
    assert axes[-1, 2].get_xlabel() == "c"
    assert any(np.isclose(x, 2.0) for x in _truth_lines(axes[2, 2]))


def test_corner_caps_the_number_of_scalars_and_says_so():
    draws = {"a": RNG.normal(size=(2, 200)), "w": RNG.normal(size=(2, 200, 4))}
    with pytest.warns(UserWarning, match=r"showing 3 of 5 scalars \(2 left out\).*var_names"):
        fig = corner(draws, max_scalars=3)
    assert len(fig.axes) == 9
    assert any("showing 3 of 5" in t.get_text() for t in fig.texts)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(corner(draws, max_scalars=None).axes) == 25
        assert len(corner(draws).axes) == 25  # 5 <= 12: nothing left out, no note


def test_corner_saved_without_pyplot(tmp_path):
    before = plt.get_fignums()
    path = tmp_path / "c.png"
    fig = corner(FLAT, path=str(path))
    assert plt.get_fignums() == before  # a bare Figure: nothing kept in pyplot's list
    width, height = _png_size(path)
    assert width == height and width <= 2400
    assert fig.get_axes()


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda: corner("draws.npz"), TypeError, "corner: expected draws as a SampleResult"),
        (lambda: corner({}), ValueError, "corner: the draws dict is empty"),
        (lambda: corner(np.zeros((2, 3, 4, 5))), ValueError, "corner: expected an array of shape"),
        (lambda: corner({"a": np.array(["x", "y"])}), TypeError, "expected real numbers"),
        (lambda: corner(FLAT, labels=["m"]), ValueError, "corner: expected 3 labels"),
        (lambda: corner(FLAT, truths=[1, 2]), ValueError, "corner: expected 3 truths"),
        (lambda: corner(FLAT, truths={"q": 1}), KeyError, "truths names \\['q'\\]"),
        (lambda: corner(FLAT, var_names=["m"]), KeyError, "no parameter or element named 'm'"),
        (lambda: corner(FLAT, max_scalars=0), ValueError, "max_scalars >= 1 or None"),
        (lambda: corner(FLAT, layout="walkers"), ValueError, "unknown layout 'walkers'"),
        (lambda: corner({"a": np.zeros((2, 5)), "b": np.zeros((3, 5))}), ValueError,
         "same \\(chain, draw\\) shape"),
        (lambda: corner(np.c_[FLAT[:, :2], np.ones(2000)], labels=["m", "b", "s"]), ValueError,
         "corner: s never change"),
        (lambda: corner(FLAT.T), ValueError, "3 samples of 2000 columns|at least as many"),
        (lambda: trace(FLAT, max_lines=0), ValueError, "trace: expected max_lines >= 1"),
        (lambda: trace({"w": np.zeros((2, 5))}, var_names=["v"]), KeyError,
         "trace: no parameter or element named 'v'"),
    ],
)
def test_bad_input_errors(call, err, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(err, match=match):
            call()


def test_trace_is_one_row_per_variable():
    draws = {
        "m": RNG.normal(size=(4, 500)),
        "w": RNG.normal(size=(4, 500, 3)),
        "z": RNG.normal(size=(4, 500, 200)),
    }
    fig = trace(draws)
    assert len(fig.axes) == 6  # 3 variables x (trace, histogram)
    rows = np.array(fig.axes).reshape(3, 2)
    assert rows[0, 0].get_ylabel() == "m" and rows[1, 0].get_ylabel() == "w"
    lines = [len(ax.collections[0].get_segments()) for ax in rows[:, 0]]
    assert lines[:2] == [4, 12]  # chains x elements, overlaid in one row
    assert lines[2] <= 64 and "of 200 shown" in rows[2, 0].get_ylabel()
    fig = trace(draws, var_names=["w[2]", "m"])
    assert [ax.get_ylabel() for ax in fig.axes[::2]] == ["w[2]", "m"]


def test_trace_thins_long_chains_and_reads_get_chain_arrays():
    chain = RNG.normal(size=(5000, 3, 2))  # (draw, chain, dim)
    fig = trace(chain, max_points=1000)
    rows = np.array(fig.axes).reshape(2, 2)
    segs = rows[0, 0].collections[0].get_segments()
    assert len(segs) == 3 and len(segs[0]) == 1000
    np.testing.assert_array_equal(segs[1][:, 1], chain[::5, 1, 0])
    assert "every 5 draws" in rows[-1, 0].get_xlabel()
    fig = trace(np.swapaxes(chain, 0, 1), layout="chain_draw", max_points=10_000)
    np.testing.assert_array_equal(fig.axes[0].collections[0].get_segments()[2][:, 1],
                                  chain[:, 2, 0])


def test_trace_caps_the_number_of_rows():
    draws = {f"p{k}": RNG.normal(size=(2, 50)) for k in range(25)}
    with pytest.warns(UserWarning, match="showing 20 of 25 variables"):
        fig = trace(draws)
    assert len(fig.axes) == 40
    assert len(trace(draws, max_vars=None).axes) == 50


def test_a_thousand_parameters_plot_in_bounded_size(tmp_path):
    """The user study's case: 1,000 parameters. Time and memory are printed, not asserted."""
    draws = {"w": RNG.normal(size=(4, 1000, 1000))}
    res = SampleResult(draws, {}, {}, [], 0.0, "nuts")
    report = []
    for func, name in ((corner, "corner.png"), (trace, "trace.png")):
        path = tmp_path / name
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig = func(res, path=str(path))
        seconds = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        width, height = _png_size(path)
        report.append(f"{name}: {seconds:.1f} s, peak RSS so far {rss:.0f} MB, "
                      f"{width}x{height} px, {path.stat().st_size / 1e6:.2f} MB")
        if func is corner:
            assert len(fig.axes) == 144  # 12 x 12
            assert any("showing 12 of 1000 scalars" in str(w.message) for w in caught)
        else:
            assert len(fig.axes) == 2  # one variable: one row
            assert len(fig.axes[0].collections[0].get_segments()) <= 64
        assert max(width, height) <= 2400
    print("\n" + "\n".join(report))


def test_lazy_attribute_is_the_module():
    import fluxion.plot as plot_module

    assert fluxion.plot is plot_module
