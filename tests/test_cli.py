"""The command line: the main job (fluxion demo) and fluxion sample MODEL.py."""

import subprocess
import sys

import numpy as np
import pytest

from fluxion.cli import main

MODEL = """
import numpy as np
import fluxion.numpy as fnp

rng = np.random.default_rng(0)
data = rng.normal(2.0, 0.5, size=100)
init = {"mu": 0.0, "sigma": 1.0}
constraints = {"mu": None, "sigma": "positive"}


def log_prob(p):
    return fnp.sum(-0.5 * ((data - p["mu"]) / p["sigma"]) ** 2 - fnp.log(p["sigma"]))
"""


def test_demo_end_to_end_quick(tmp_path, capsys):
    assert main(["demo", "--quick", "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "m = -0.4451492, b = 0.04069" in out and "log-likelihood 39.8254388" in out
    # NUTS's table has R-hat; the ensemble's has tau and its ESS instead (correlated walkers)
    assert "ms per effective sample" in out and out.count("r_hat") == 1 and " tau " in out
    pytest.importorskip("corner")
    assert (tmp_path / "corner.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sample_command_writes_its_outputs(tmp_path, capsys):
    model = tmp_path / "model.py"
    model.write_text(MODEL)
    out = tmp_path / "out"
    code = main(
        [
            "sample",
            str(model),
            "--chains",
            "2",
            "--draws",
            "200",
            "--warmup",
            "200",
            "--seed",
            "1",
            "--quiet",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert (out / "summary.csv").exists()
    assert (out / "draws.nc").exists() or (out / "draws.npz").exists()
    text = (out / "summary.csv").read_text()
    assert "mu" in text and "sigma" in text and "r_hat" in text
    mean_mu = float(text.splitlines()[1].split(",")[1])
    assert abs(mean_mu - 2.0) < 0.2


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("x = 1\n", [], "must define log_prob and init"),
        ("def log_prob(p:\n", [], "syntax error at line 1"),
        ("raise RuntimeError('boom')\n", [], "RuntimeError: boom"),
        (
            MODEL.replace('"positive"', '"postive"'),
            ["--draws", "10", "--warmup", "10"],
            "unknown constraint 'postive'",
        ),
    ],
)
def test_sample_command_bad_model_files(tmp_path, capsys, content, args, message):
    model = tmp_path / "m.py"
    model.write_text(content)
    assert main(["sample", str(model), "--quiet", "--out", str(tmp_path / "o"), *args]) == 2
    assert message in capsys.readouterr().err


def test_sample_command_bad_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["sample", "m.py", "--chains", "0"])
    assert info.value.code == 2
    assert "--chains: expected a positive integer" in capsys.readouterr().err
    assert main(["sample", str(tmp_path / "missing.py")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_console_entry_point_runs():
    res = subprocess.run(
        [sys.executable, "-m", "fluxion", "demo", "--no-sampling"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "38.043974115093675" in res.stdout
    _ = np


def test_precompile_compiles_the_nuts_core(capsys, compiled_nuts_cache):
    import os

    import fluxion

    pytest.importorskip("numba")
    old = fluxion.config.cache_dir
    fluxion.config.update("cache_dir", compiled_nuts_cache)
    try:
        assert main(["precompile"]) == 0
    finally:
        fluxion.config.update("cache_dir", old)
    assert "NUTS core and tape machine compiled" in capsys.readouterr().out
    folder = os.path.join(compiled_nuts_cache, "numba")
    assert any(f.endswith(".compiled") for f in os.listdir(folder))
    assert any(f.startswith("fx_tapevm_") for f in os.listdir(folder))
