"""check_grads is public: it must pass correct rules and catch wrong ones."""

import re
from pathlib import Path

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
from fluxion.extend import defjvp, defvjp, primitive
from fluxion.test_util import check_grads


def test_passes_correct_functions_to_second_order():
    check_grads(lambda x, y: fnp.sin(x) * fnp.exp(y), (0.3, np.array([0.1, -0.2])), order=2)
    check_grads(lambda p: {"a": fnp.tanh(p["w"]) @ p["v"]}, ({"w": np.eye(2), "v": np.ones(2)},))


def _square_with(vjp_factor, jvp_factor):
    @primitive
    def square(x):
        return x**2

    defvjp(square, lambda ans, x: lambda g: vjp_factor * g * x)
    if jvp_factor is not None:
        defjvp(square, lambda t, ans, x: jvp_factor * t * x)
    return square


def test_catches_a_wrong_reverse_rule():
    with pytest.raises(AssertionError, match="check_grads"):
        check_grads(_square_with(3.0, None), (np.array([0.5, 1.5]),), order=1, modes=("rev",))


def test_catches_a_wrong_forward_rule():
    with pytest.raises(AssertionError, match="check_grads"):
        check_grads(_square_with(2.0, 2.5), (np.array([0.5, 1.5]),), order=1, modes=("fwd",))


def test_catches_forward_and_reverse_rules_that_disagree():
    with pytest.raises(AssertionError, match="check_grads"):
        check_grads(_square_with(2.0, 3.0), (np.array([0.5, 1.5]),), order=1)


def test_catches_a_wrong_second_derivative_only():
    @primitive
    def cube(x):
        return x**3

    # right first derivative at every point, written so that its own derivative is wrong
    defvjp(cube, lambda ans, x: lambda g: g * 3.0 * fluxion.stop_gradient(x) ** 2)
    check_grads(cube, (np.array([0.7]),), order=1, modes=("rev",))
    with pytest.raises(AssertionError, match="check_grads"):
        check_grads(cube, (np.array([0.7]),), order=2, modes=("rev",))


def test_readme_example_runs():
    readme = Path(__file__).resolve().parents[1] / "README.md"
    code = re.findall(r"```python\n(.*?)```", readme.read_text(), re.S)[0]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    np.testing.assert_allclose(namespace["grad"][:2], 0.0, atol=1e-10)
    assert namespace["H"].shape == (3, 3)
