"""The runnable examples in examples/, on small sizes."""

import fluid


def test_fluid_optimization_lowers_the_loss_and_writes_a_png(tmp_path):
    out = tmp_path / "fluid.png"
    res = fluid.main(n=16, steps=4, iters=8, out=str(out), verbose=False)
    assert res["final_loss"] < 0.8 * res["initial_loss"]
    assert res["history"] == sorted(res["history"], reverse=True) or res["history"][-1] < (
        res["history"][0]
    )
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and b"IHDR" in data and b"IEND" in data
