"""fluxion.optim.minimize / least_squares / root: the scipy.optimize bridge on pytrees."""

import numpy as np
import pytest
import scipy.optimize as so

import fluxion.numpy as fnp
from fluxion._src.demo import line_log_likelihood, simulate_line_data
from fluxion.optim import NONFINITE_STATUS, least_squares, minimize, root

X, Y = simulate_line_data()
X0 = np.array([0.5, -0.2, np.log(0.1)])
# The worksheet's maximum-likelihood fit (Must show, issue 5).
M_HAT, B_HAT, S_HAT, LOGLIKE_HAT = -0.4451492, 0.0406958, 0.1091047, 39.8254388


def neg_log_like(theta, x, y):
    return -line_log_likelihood(theta[0], theta[1], fnp.exp(theta[2]), x, y)


def neg_log_like_dict(p, x, y):
    return -line_log_likelihood(p["m"], p["b"], fnp.exp(p["log_s"]), x, y)


def neg_log_like_and_grad_by_hand(theta, x, y):
    """Value and analytic gradient of the negative log-likelihood in (m, b, log s)."""
    m, b, log_s = theta
    s2 = np.exp(2 * log_s)
    r = y - m * x - b
    value = 0.5 * np.sum(r**2 / s2 + np.log(2 * np.pi * s2))
    grad = np.array([-np.sum(r * x) / s2, -np.sum(r) / s2, len(x) - np.sum(r**2) / s2])
    return value, grad


def check_worksheet_optimum(m, b, log_s, fun):
    assert abs(m - M_HAT) < 1e-6
    assert abs(b - B_HAT) < 1e-6
    assert abs(np.exp(log_s) - S_HAT) < 1e-6
    assert abs(-fun - LOGLIKE_HAT) < 1e-6
    assert abs(line_log_likelihood(m, b, np.exp(log_s), X, Y) - LOGLIKE_HAT) < 1e-6


# --------------------------------------------------------------------------------------------
# Must show: the worksheet fit
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("jit", [True, False])
def test_worksheet_fit_lbfgsb_no_more_evaluations_than_analytic_scipy(jit):
    reference = so.minimize(
        neg_log_like_and_grad_by_hand, X0, args=(X, Y), jac=True, method="L-BFGS-B"
    )
    assert reference.success
    check_worksheet_optimum(*reference.x, reference.fun)

    res = minimize(neg_log_like, X0, (X, Y), method="L-BFGS-B", jit=jit)
    assert res.success, res.message
    check_worksheet_optimum(*res.x, res.fun)
    assert res.nfev <= reference.nfev
    assert res.njev <= reference.njev
    np.testing.assert_allclose(res.x, reference.x, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(res.x, res.x_flat)
    _, grad = neg_log_like_and_grad_by_hand(res.x, X, Y)
    np.testing.assert_allclose(res.jac, grad, rtol=1e-9, atol=1e-12)


def test_worksheet_fit_with_dict_parameters():
    x0 = {"m": 0.5, "b": -0.2, "log_s": np.log(0.1)}
    res = minimize(neg_log_like_dict, x0, (X, Y), method="L-BFGS-B")
    assert res.success, res.message
    assert set(res.x) == {"m", "b", "log_s"} and set(res.jac) == {"m", "b", "log_s"}
    check_worksheet_optimum(res.x["m"], res.x["b"], res.x["log_s"], res.fun)
    flat = minimize(neg_log_like, X0, (X, Y), method="L-BFGS-B")
    np.testing.assert_allclose(
        [res.x["m"], res.x["b"], res.x["log_s"]], flat.x, rtol=1e-12, atol=1e-14
    )
    assert res.nfev == flat.nfev


def test_jit_tier_zero():
    res = minimize(neg_log_like, X0, (X, Y), method="L-BFGS-B", jit_tier=0)
    assert res.success
    check_worksheet_optimum(*res.x, res.fun)
    with pytest.raises(ValueError, match="jit_tier None, 0 or 1"):
        minimize(neg_log_like, X0, (X, Y), jit_tier=2)


def test_one_evaluation_of_fun_per_point():
    calls = []

    def counted(theta, x, y):
        calls.append(1)
        return neg_log_like(theta, x, y)

    res = minimize(counted, X0, (X, Y), method="L-BFGS-B", jit=False)
    assert res.success
    assert len(calls) == res.nfev == res.njev  # value and gradient from one pass


@pytest.mark.parametrize(
    "method, hess",
    [
        ("Newton-CG", None),
        ("trust-ncg", None),
        ("trust-krylov", None),
        ("trust-constr", None),
        ("trust-exact", None),
        ("Newton-CG", True),
        ("trust-ncg", True),
    ],
)
def test_second_order_methods(method, hess):
    x0 = {"m": 0.5, "b": -0.2, "log_s": np.log(0.1)}
    res = minimize(neg_log_like_dict, x0, (X, Y), method=method, hess=hess)
    assert res.success, res.message
    check_worksheet_optimum(res.x["m"], res.x["b"], res.x["log_s"], res.fun)
    # Newton methods with exact curvature need far fewer evaluations than L-BFGS-B.
    assert res.nfev <= 19


def test_hessp_and_hess_are_exact():
    seen = {}

    def cb(intermediate_result):
        seen.setdefault("x", intermediate_result.x)

    res = minimize(neg_log_like, X0, (X, Y), method="trust-exact", callback=cb)
    assert res.success
    assert seen["x"].shape == (3,)


def test_dogleg_from_a_convex_start():
    res = minimize(neg_log_like, np.array([-0.4, 0.03, np.log(0.1)]), (X, Y), method="dogleg")
    assert res.success, res.message
    check_worksheet_optimum(*res.x, res.fun)


def test_gradient_free_methods_get_values_only():
    res = minimize(neg_log_like, X0, (X, Y), method="Nelder-Mead", options={"xatol": 1e-9})
    assert res.success
    assert res.njev == 0
    np.testing.assert_allclose(res.x[:2], [M_HAT, B_HAT], atol=1e-5)


def test_default_method_and_callback_with_pytree():
    xs = []
    res = minimize(
        neg_log_like_dict, {"m": 0.5, "b": -0.2, "log_s": np.log(0.1)}, (X, Y), callback=xs.append
    )
    assert res.success  # BFGS, SciPy's default
    assert xs and isinstance(xs[0], dict)


def test_array_leaves_and_aux():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(30, 4))
    target = rng.normal(size=30)

    def loss(p, a, target):
        r = a @ p["w"] + p["c"] - target
        return fnp.sum(r**2), {"rms": fnp.sqrt(fnp.mean(r**2))}

    res = minimize(loss, {"w": np.zeros(4), "c": 0.0}, (a, target), has_aux=True, tol=1e-12)
    design = np.column_stack([a, np.ones(30)])
    coef = np.linalg.lstsq(design, target, rcond=None)[0]
    np.testing.assert_allclose(res.x["w"], coef[:4], atol=1e-6)
    np.testing.assert_allclose(res.x["c"], coef[4], atol=1e-6)
    rms = np.sqrt(np.mean((design @ coef - target) ** 2))
    np.testing.assert_allclose(res.aux["rms"], rms, rtol=1e-6)
    assert res.jac["w"].shape == (4,)


def test_integer_start_is_converted_to_float():
    res = minimize(lambda v: fnp.sum((v - 0.5) ** 2), np.array([1, 2]))
    assert res.success
    np.testing.assert_allclose(res.x, [0.5, 0.5], atol=1e-7)
    assert res.x.dtype == np.float64


# --------------------------------------------------------------------------------------------
# Bounds
# --------------------------------------------------------------------------------------------


def test_bounds_as_a_pytree():
    x0 = {"m": 0.5, "b": -0.2, "log_s": np.log(0.1)}
    bounds = {"m": (-0.3, None), "b": None, "log_s": (np.log(0.05), np.log(0.2))}
    res = minimize(neg_log_like_dict, x0, (X, Y), bounds=bounds)
    assert res.success, res.message
    assert res.x["m"] == pytest.approx(-0.3, abs=1e-12)  # the slope is pushed to its bound
    assert res.jac["m"] > 0  # and the gradient points out of the box
    # the same in SciPy's flat form (dict leaves ravel in sorted order: b, log_s, m)
    flat = [(None, None), (np.log(0.05), np.log(0.2)), (-0.3, None)]
    res_flat = minimize(neg_log_like_dict, x0, (X, Y), bounds=flat)
    np.testing.assert_allclose(res_flat.x_flat, res.x_flat, rtol=1e-10)
    res_b = minimize(
        neg_log_like_dict, x0, (X, Y), bounds=so.Bounds([-np.inf, -3, -0.3], [np.inf, -1, 1])
    )
    np.testing.assert_allclose(res_b.x_flat, res.x_flat, rtol=1e-6)


def test_bounds_with_array_leaves_and_clipping():
    def f(p):
        return fnp.sum((p["v"] - np.array([3.0, -3.0, 0.5])) ** 2) + (p["c"] - 2.0) ** 2

    x0 = {"v": np.array([5.0, 0.0, 0.0]), "c": 0.0}
    res = minimize(f, x0, bounds={"v": (np.array([-1.0, -1.0, -1.0]), 1.0), "c": None})
    np.testing.assert_allclose(res.x["v"], [1.0, -1.0, 0.5], atol=1e-8)
    assert res.x["c"] == pytest.approx(2.0, abs=1e-7)
    stacked = np.array([[-1.0, 1.0]] * 3)  # leaf.shape + (2,)
    res2 = minimize(f, x0, bounds={"v": stacked, "c": (None, np.inf)})
    np.testing.assert_allclose(res2.x_flat, res.x_flat, atol=1e-8)


def test_bounds_structure_mismatch_is_a_clear_error():
    x0 = {"m": 0.5, "b": -0.2, "log_s": np.log(0.1)}
    with pytest.raises(ValueError, match="bounds must be a pytree with the structure of x0"):
        minimize(neg_log_like_dict, x0, (X, Y), bounds={"m": (0, 1), "b": None})
    with pytest.raises(ValueError, match="does not support bounds"):
        minimize(neg_log_like, X0, (X, Y), method="BFGS", bounds=[(0, 1)] * 3)
    with pytest.raises(ValueError, match="low > high"):
        minimize(neg_log_like_dict, x0, (X, Y), bounds={"m": (1, 0), "b": None, "log_s": None})


def test_constraints_take_the_pytree():
    def f(p):
        return (p["a"] - 2.0) ** 2 + (p["b"] - 2.0) ** 2

    ineq = {"type": "ineq", "fun": lambda p: 1.0 - p["a"] - p["b"]}  # a + b <= 1
    eq = {"type": "eq", "fun": lambda p: p["a"] + p["b"] - 1.0}
    # trust-constr's interior-point method for inequalities stops about 1e-4 inside.
    for method, con, tol in [
        ("SLSQP", ineq, 1e-6),
        ("trust-constr", eq, 1e-6),
        ("trust-constr", ineq, 1e-3),
        ("COBYLA", ineq, 1e-4),
    ]:
        res = minimize(f, {"a": 0.0, "b": 0.0}, method=method, constraints=[con])
        assert res.success, (method, res.message)
        assert res.x["a"] == pytest.approx(0.5, abs=tol)
        assert res.x["b"] == pytest.approx(0.5, abs=tol)


# --------------------------------------------------------------------------------------------
# Errors and non-finite values
# --------------------------------------------------------------------------------------------


def test_nan_objective_is_never_a_success():
    def f(v):
        return fnp.sum(fnp.log(v) + v**2)  # nan for v < 0

    res = minimize(f, np.array([-1.0, 2.0]), method="L-BFGS-B")
    assert not res.success
    assert res.status == NONFINITE_STATUS
    assert "minimize: the objective returned nan at evaluation 1 (x = array([-1.,  2.]))" in (
        res.message
    )
    assert "check the model's domain or add bounds" in res.message
    assert "scipy_message" in res
    assert res.nfev == 1  # nothing can recover from a non-finite start: stopped at once


def test_a_run_stuck_in_non_finite_values_is_stopped():
    def f(v):
        return fnp.where(v[0] > 1.0, fnp.nan, (v[0] - 3.0) ** 2)  # the minimum lies in the nan

    res = minimize(f, np.array([0.0]), method="L-BFGS-B", jit=False)
    assert not res.success and res.status == NONFINITE_STATUS
    assert res.nfev < 100
    assert np.isfinite(res.fun) and res.x[0] <= 1.0  # the best finite point seen


def test_nan_in_the_middle_of_a_run_is_reported_even_if_scipy_recovers():
    calls = []

    def f(v):
        calls.append(1)
        value = fnp.sum((v - 3.0) ** 2)
        return value * np.nan if len(calls) == 2 else value  # one bad evaluation

    res = minimize(f, np.array([0.0, 1.0]), method="L-BFGS-B", jit=False)
    assert res.scipy_success  # SciPy backtracked and converged ...
    np.testing.assert_allclose(res.x, [3.0, 3.0], atol=1e-6)
    assert not res.success  # ... but the run met a nan: never a silent success
    assert res.status == NONFINITE_STATUS
    assert res.message.startswith("minimize: the objective returned nan at evaluation 2 (x = ")


def test_inf_gradient_is_reported():
    def f(v):
        return fnp.sum(fnp.sqrt(fnp.abs(v)))  # infinite slope at 0

    res = minimize(f, np.array([0.0, 1.0]), method="BFGS")
    assert not res.success
    assert res.status == NONFINITE_STATUS
    assert "the gradient returned" in res.message and "evaluation 1" in res.message


def test_non_scalar_objective_and_unknown_method():
    with pytest.raises(TypeError, match=r"minimize: fun must return a scalar, got f64\[3\]"):
        minimize(lambda v: v**2, np.ones(3))
    with pytest.raises(ValueError, match="unknown method 'newton'.*l-bfgs-b"):
        minimize(lambda v: fnp.sum(v**2), np.ones(3), method="newton")
    with pytest.raises(ValueError, match="takes no Hessian"):
        minimize(lambda v: fnp.sum(v**2), np.ones(3), method="L-BFGS-B", hess=True)
    with pytest.raises(TypeError, match="complex"):
        minimize(lambda v: fnp.sum(fnp.abs(v)), np.ones(2, dtype=complex))


# --------------------------------------------------------------------------------------------
# least_squares and root
# --------------------------------------------------------------------------------------------

SIGMA = 0.05 + 0.1 * np.abs(X)


def weighted_residuals(p, x, y, sigma):
    return (y - p["m"] * x - p["b"]) / sigma


@pytest.mark.parametrize("method", ["trf", "dogbox", "lm"])
def test_least_squares_is_weighted_least_squares(method):
    a = np.vander(X, 2)
    w = 1.0 / SIGMA**2
    closed = np.linalg.solve(a.T @ (w[:, None] * a), a.T @ (w * Y))  # (m, b)
    res = least_squares(
        weighted_residuals, {"m": 0.0, "b": 0.0}, (X, Y, SIGMA), method=method, xtol=1e-14
    )
    assert res.success
    np.testing.assert_allclose([res.x["m"], res.x["b"]], closed, rtol=1e-9)
    # the exact Jacobian: d r / d(b, m) = -(1, x) / sigma
    np.testing.assert_allclose(res.jac, -np.column_stack([1.0 / SIGMA, X / SIGMA]), rtol=1e-12)


def test_least_squares_bounds_and_reverse_jacobian():
    # n = 40 parameters, m = 2 residuals... plus a ridge: jacrev is the cheaper mode.
    def residuals(v):
        return fnp.concatenate([fnp.stack([fnp.sum(v) - 1.0, fnp.sum(v**2) - 0.5]), 0.1 * v])

    res = least_squares(residuals, np.full(40, 0.1), bounds=(0.0, 1.0))
    assert res.success
    assert np.all(res.x >= 0.0) and np.all(res.x <= 1.0)
    res2 = least_squares(residuals, np.full(40, 0.1), bounds=(0.0, 1.0), jit=False)
    np.testing.assert_allclose(res.x, res2.x, rtol=1e-10)


def test_least_squares_non_finite_start():
    with pytest.raises(ValueError, match="residual function returned nan at evaluation 1"):
        least_squares(lambda v: fnp.log(v), np.array([-1.0]))


def test_root_of_a_nonlinear_system():
    def system(p):
        x, y = p["x"], p["y"]
        return {"circle": x**2 + y**2 - 4.0, "curve": fnp.exp(x) + y - 1.0}

    res = root(system, {"x": 1.0, "y": -1.0})
    assert res.success, res.message
    x, y = float(res.x["x"]), float(res.x["y"])
    assert x**2 + y**2 == pytest.approx(4.0, abs=1e-10)
    assert np.exp(x) + y == pytest.approx(1.0, abs=1e-10)
    reference = so.root(
        lambda v: [v[0] ** 2 + v[1] ** 2 - 4.0, np.exp(v[0]) + v[1] - 1.0], [1.0, -1.0]
    )
    np.testing.assert_allclose(res.x_flat, reference.x, atol=1e-9)  # leaves ravel as x, y
    assert res.nfev <= reference.nfev  # the exact Jacobian saves the finite differences
    res_lm = root(system, {"x": 1.0, "y": -1.0}, method="lm")
    np.testing.assert_allclose(res_lm.x_flat, res.x_flat, atol=1e-9)
    res_broyden = root(system, {"x": 1.0, "y": -1.0}, method="broyden1", jit=False)
    np.testing.assert_allclose(res_broyden.x_flat, res.x_flat, atol=1e-5)


def test_root_shape_mismatch():
    with pytest.raises(ValueError, match="root: fun must return as many values"):
        root(lambda v: fnp.sum(v), np.ones(2))
