"""The bad-input table: wrong types, shapes, empty inputs, NaN/inf and wrong keywords across
the public API, one row per case.

Each row of ``RAISES`` calls the API with a bad input and expects an exception whose message
names the function, what was expected and what was received (and the fix where one is known).
Each row of ``WARNS`` expects a warning and a ``nan`` result (a diagnostic with too few draws,
as ArviZ does). Each row of ``NUMPY_LIKE`` checks that a NumPy-like function gives NumPy's
(or SciPy's) documented nan/inf answer rather than an error. ``tests/test_errors.py`` holds the
older error tests; the rows here do not repeat them.

Rows marked xfail(strict=True) name the fix the lead makes elsewhere (sample.py, cli.py, jit.py,
batching.py); remove the mark once it is in.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.linalg as fsl
import fluxion.scipy.special as fss
from fluxion import bijectors as bj
from fluxion import diagnostics as dg
from fluxion import infer, mcmc, optim, tree
from fluxion.mcmc import HMCState, Metric, SliceState

RNG = np.random.default_rng(0)
DRAWS = RNG.normal(size=(2, 50))


def _rng() -> np.random.Generator:
    return np.random.default_rng(1)


def _lg(q):
    return -0.5 * float(q @ q), -q


STATE = HMCState(np.zeros(2), 0.0, np.zeros(2))
METRIC = Metric(np.ones(2))


def _sample(log_prob=lambda p: -0.5 * p["x"] ** 2, init=None, **kw):
    kw = {"chains": 1, "draws": 5, "warmup": 5, "progress": False, **kw}
    return mcmc.sample(log_prob, {"x": 0.0} if init is None else init, **kw)


def _nan(value):
    """A row that warns must still give nan (not raise, not a number)."""
    assert np.all(np.isnan(value))
    return value


def row(id, fn, exc, match, xfail=None):
    marks = [pytest.mark.xfail(strict=True, reason=f"lead: {xfail}")] if xfail else []
    return pytest.param(fn, exc, match, id=id, marks=marks)


def _exp_in_grad(x):
    return math.exp(x)


RAISES = [
    # ---- fluxion: transforms --------------------------------------------------------------------
    row("grad-argnums-str", lambda: fluxion.grad(lambda x: x, argnums="0"), TypeError,
        r"grad: expected argnums to be an int or a tuple of ints, got str '0'"),
    row("grad-argnums-float", lambda: fluxion.grad(lambda x: x, argnums=0.5), TypeError,
        r"grad: expected argnums .* got float 0.5"),
    row("value_and_grad-argnums-bool", lambda: fluxion.value_and_grad(lambda x: x, argnums=True),
        TypeError, r"value_and_grad: expected argnums .* got bool True"),
    row("grad-argnums-duplicate",
        lambda: fluxion.grad(lambda x, y: x * y, argnums=(0, 0))(1.0, 2.0),
        ValueError, r"grad: argnums \(0, 0\) names the same argument twice"),
    row("grad-argnums-negative-out-of-range",
        lambda: fluxion.grad(lambda x: x, argnums=-2)(1.0),
        ValueError, r"grad: argnums -2 is out of range for a call with 1 positional"),
    row("grad-no-arguments", lambda: fluxion.grad(lambda x: x)(), ValueError,
        r"grad: argnums 0 is out of range for a call with 0 positional"),
    row("grad-f-returns-None", lambda: fluxion.grad(lambda x: None)(1.0), TypeError,
        r"grad: f must return a scalar, got None; did it forget a `return`"),
    row("grad-f-returns-str", lambda: fluxion.grad(lambda x: "x")(1.0), TypeError,
        r"grad: f must return a scalar, got str"),
    row("grad-input-str", lambda: fluxion.grad(lambda x: x)("a"), TypeError,
        r"grad: expected an array of numbers to differentiate \(argument 0\), got str"),
    row("grad-input-bool", lambda: fluxion.grad(lambda x: x * 1.0)(True), TypeError,
        r"grad: expected a float or complex input .* got bool\[\]; pass floats"),
    row("grad-has_aux-not-a-pair", lambda: fluxion.grad(lambda x: x, has_aux=True)(1.0),
        TypeError, r"grad: with has_aux=True, f must return a pair \(output, aux\)"),
    row("value_and_grad-vector-output",
        lambda: fluxion.value_and_grad(lambda x: x)(np.ones(2)), TypeError,
        r"value_and_grad: f must return a scalar, got f64\[2\]; use jacrev"),
    row("value_and_grad-complex-output",
        lambda: fluxion.value_and_grad(lambda x: x * 1j)(1.0), TypeError,
        r"value_and_grad: f must return a real scalar, got c128\[\]; take the real part"),
    row("elementwise_grad-argnums-str",
        lambda: fluxion.elementwise_grad(fnp.sin, argnums="a"), TypeError,
        r"elementwise_grad: expected argnums to be an int"),
    row("jacobian-input-str", lambda: fluxion.jacobian(lambda x: x)("a"), TypeError,
        r"jacrev: expected an array of numbers to differentiate"),
    row("jacobian-argnums-out-of-range",
        lambda: fluxion.jacobian(lambda x: x, argnums=3)(np.ones(2)), ValueError,
        r"jacrev: argnums 3 is out of range for a call with 1"),
    row("jacfwd-argnums-list-of-str", lambda: fluxion.jacfwd(lambda x: x, argnums=["x"]),
        TypeError, r"jacfwd: expected argnums to be an int or a tuple of ints, got list"),
    row("hessian-not-callable", lambda: fluxion.hessian(3), TypeError,
        r"hessian: expected a callable as the first argument, got int"),
    row("vmap-in_axes-length",
        lambda: fluxion.vmap(lambda x, y: x + y, in_axes=(0, 0, 0))(np.ones(2), np.ones(2)),
        ValueError, r"vmap: in_axes is a tuple of length 3, but .* 2 positional"),
    row("vmap-inconsistent-sizes",
        lambda: fluxion.vmap(lambda x, y: x + y)(np.ones(2), np.ones(3)), ValueError,
        r"vmap: got inconsistent sizes .* size 2 .* size 3"),
    row("vmap-axis-out-of-range", lambda: fluxion.vmap(lambda x: x, in_axes=2)(np.ones(2)),
        ValueError, r"vmap: in_axes 2 is out of range for argument 0 of shape \(2,\)"),
    row("vmap-scalar-argument", lambda: fluxion.vmap(lambda x: x)(1.0), ValueError,
        r"vmap: in_axes 0 is out of range for argument 0 of shape \(\)"),
    row("vmap-not-callable", lambda: fluxion.vmap(3), TypeError,
        r"vmap: expected a callable as the first argument, got int"),
    row("vmap-in_axes-str", lambda: fluxion.vmap(lambda x: x, in_axes="0")(np.ones(2)),
        TypeError, r"vmap: in_axes must be an int, None, or a tuple .* got str '0'"),
    row("jit-not-callable", lambda: fluxion.jit(3), TypeError,
        r"jit: expected a callable, got int"),
    row("jit-static_argnums-out-of-range",
        lambda: fluxion.jit(lambda x: x, static_argnums=3)(1.0), ValueError,
        r"jit: static_argnums 3 is out of range"),
    row("jvp-primals-not-a-tuple", lambda: fluxion.jvp(fnp.sin, np.ones(2), np.ones(2)),
        TypeError, r"jvp: expected primals and tangents as tuples or lists .* got ndarray"),
    row("jvp-structure-mismatch",
        lambda: fluxion.jvp(fnp.sin, (np.ones(2),), (np.ones(2), np.ones(2))), ValueError,
        r"jvp: primals and tangents must have the same structure"),
    row("vjp-cotangent-shape", lambda: fluxion.vjp(fnp.sin, np.ones(2))[1](np.ones(3)),
        ValueError, r"vjp_fun: expected a cotangent of shape \(2,\), got shape \(3,\)"),
    # user study: math.exp(tracer) / float(tracer) must say "use fluxion.numpy"
    row("math.exp-of-a-tracer-in-grad", lambda: fluxion.grad(_exp_in_grad)(1.0),
        fluxion.ConcretizationError,
        r"float\(\) of a traced f64\[\] inside grad .*math\.exp.*fnp\.exp.*inside a "
        r"differentiated function"),
    row("float-of-a-tracer-in-grad", lambda: fluxion.grad(lambda x: float(x))(1.0),
        fluxion.ConcretizationError, r"float\(\) of a traced .*use fluxion\.numpy"),
    row("math.log-of-a-tracer-in-jit", lambda: fluxion.jit(lambda x: math.log(x))(1.0),
        fluxion.ConcretizationError, r"inside jit .*fnp\.exp, fnp\.log"),
    row("math.exp-of-a-tracer-in-vmap",
        lambda: fluxion.vmap(lambda x: math.exp(x))(np.ones(2)), fluxion.ConcretizationError,
        r"math\.exp.*fnp\.exp.*inside vmap"),
    # ---- fluxion.numpy -------------------------------------------------------------------------
    row("matmul-inner-dims", lambda: fnp.matmul(np.ones((2, 3)), np.ones((2, 3))), ValueError,
        r"matmul: expected the last axis of a to match .* got f64\[2,3\], f64\[2,3\]"),
    row("dot-lengths", lambda: fnp.dot(np.ones(3), np.ones(2)), ValueError,
        r"matmul: expected the last axis of a to match the only axis of b"),
    row("maximum-broadcast", lambda: fnp.maximum(np.ones(2), np.ones(3)), ValueError,
        r"maximum: operands could not be broadcast together, got f64\[2\], f64\[3\]"),
    row("concatenate-shapes",
        lambda: fnp.concatenate([np.ones((2, 2)), np.ones((3, 3))]), ValueError,
        r"concatenate: all shapes must match except along axis 0"),
    row("concatenate-axis", lambda: fnp.concatenate([np.ones(2), np.ones(2)], axis=1),
        ValueError, r"concatenate: axis 1 is out of bounds for an array of dimension 1"),
    row("stack-empty", lambda: fnp.stack([]), ValueError,
        r"stack: need at least one array to stack"),
    row("stack-shapes", lambda: fnp.stack([np.ones(2), np.ones(3)]), ValueError,
        r"stack: all input arrays must have the same shape, got \[\(2,\), \(3,\)\]"),
    row("transpose-not-a-permutation", lambda: fnp.transpose(np.ones((2, 3)), (0, 0)),
        ValueError, r"transpose: axes \(0, 0\) are not a permutation of the 2 axes"),
    row("reshape-size-eager", lambda: fnp.reshape(np.ones(6), (4,)), ValueError,
        r"reshape: cannot reshape an array of size 6 \(f64\[6\]\) into shape \(4,\)"),
    row("where-broadcast", lambda: fnp.where(np.ones(2) > 0, np.ones(3), np.ones(4)),
        ValueError, r"where: condition, x and y could not be broadcast together"),
    row("swapaxes-axis", lambda: fnp.swapaxes(np.ones((2, 3)), 0, 5), ValueError,
        r"swapaxes: axis 5 is out of bounds for an array of dimension 2"),
    row("squeeze-axis-not-1", lambda: fnp.squeeze(np.ones((2, 3)), axis=0), ValueError,
        r"squeeze: cannot select an axis to squeeze out which has size not equal to one"),
    row("mean-axis-under-grad",
        lambda: fluxion.grad(lambda x: fnp.sum(fnp.mean(x, axis=2)))(np.ones((2, 3))),
        ValueError, r"mean: axis 2 is out of bounds for an array of dimension 2"),
    # eager calls match NumPy exactly, errors included (numpy.exceptions.AxisError)
    row("mean-axis-eager-numpy-like", lambda: fnp.mean(np.ones(2), axis=3), ValueError,
        r"axis 3 is out of bounds for array of dimension 1"),
    row("mean-wrong-keyword", lambda: fnp.mean(np.ones(3), keepdim=True), TypeError,
        r"mean\(\) got an unexpected keyword argument 'keepdim'"),
    row("max-of-empty-numpy-like", lambda: fnp.max(np.ones(0)), ValueError,
        r"zero-size array to reduction operation maximum"),
    row("index-out-of-bounds-under-grad", lambda: fluxion.grad(lambda x: x[5])(np.ones(3)),
        IndexError, r"index 5 is out of bounds for axis 0 with size 3"),
    row("sin-of-a-string-numpy-like", lambda: fnp.sin("abc"), TypeError,
        r"ufunc 'sin' not supported for the input types"),
    row("linalg.inv-not-square", lambda: fnp.linalg.inv(np.ones((2, 3))), ValueError,
        r"inv: expected a square matrix \(\.\.\., n, n\) for a, got f64\[2,3\]"),
    row("linalg.solve-shape", lambda: fnp.linalg.solve(np.eye(2), np.ones(3)), ValueError,
        r"solve: expected b of shape \(2,\) or \(\.\.\., 2, k\) to match a f64\[2,2\]"),
    row("linalg.det-vector", lambda: fnp.linalg.det(np.ones(3)), ValueError,
        r"det: expected a square matrix .* got f64\[3\]"),
    row("linalg.inv-singular-numpy-like", lambda: fnp.linalg.inv(np.zeros((2, 2))),
        np.linalg.LinAlgError, r"Singular matrix"),
    row("linalg.cholesky-not-pd-numpy-like",
        lambda: fnp.linalg.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]])),
        np.linalg.LinAlgError, r"not positive definite"),
    # ---- fluxion.scipy -------------------------------------------------------------------------
    row("logsumexp-axis", lambda: fss.logsumexp(np.ones(2), axis=3), ValueError,
        r"logsumexp: axis 3 is out of bounds for an array of dimension 1"),
    row("solve_triangular-shape", lambda: fsl.solve_triangular(np.eye(2), np.ones(3)),
        ValueError, r"triangular_solve: expected b of shape \(\.\.\., 2, k\) to match a"),
    row("cho_solve-shape", lambda: fsl.cho_solve((np.eye(2), True), np.ones(3)), ValueError,
        r"triangular_solve: expected b of shape"),
    row("erf-of-a-string-numpy-like", lambda: fss.erf("a"), TypeError,
        r"ufunc 'erf' not supported for the input types"),
    # ---- fluxion.optim -------------------------------------------------------------------------
    row("minimize-method", lambda: optim.minimize(lambda x: fnp.sum(x**2), np.ones(2),
                                                  method="foo"),
        ValueError, r"minimize: unknown method 'foo'; expected one of SciPy's .*bfgs"),
    row("minimize-x0-str", lambda: optim.minimize(lambda x: fnp.sum(x**2), "abc"), TypeError,
        r"minimize: expected x0 to be a pytree of float arrays, got a leaf of dtype <U3"),
    row("minimize-x0-empty", lambda: optim.minimize(lambda x: fnp.sum(x**2), np.ones(0)),
        ValueError, r"minimize: x0 has no entries"),
    row("least_squares-x0-empty", lambda: optim.least_squares(lambda x: x, np.ones(0)),
        ValueError, r"least_squares: x0 has no entries"),
    row("minimize-bounds-length",
        lambda: optim.minimize(lambda x: fnp.sum(x**2), np.ones(2), bounds=[(0, 1)]),
        ValueError, r"minimize: expected the bounds of x0 to be None, a \(low, high\) pair"),
    row("minimize-bounds-reversed-scipy-form",
        lambda: optim.minimize(lambda x: fnp.sum(x**2), np.ones(2), bounds=[(0, 1), (1, 0)]),
        ValueError, r"minimize: bounds\[1\] = \(1, 0\) has low > high"),
    row("minimize-bounds-reversed-pair",
        lambda: optim.minimize(lambda x: x**2, 1.0, bounds=(1.0, 0.0)), ValueError,
        r"minimize: the bounds of x0 have low > high"),
    row("minimize-vector-objective", lambda: optim.minimize(lambda x: x**2, np.ones(2)),
        TypeError, r"minimize: fun must return a scalar, got f64\[2\]; .*least_squares"),
    row("minimize-objective-returns-None", lambda: optim.minimize(lambda x: None, np.ones(2)),
        TypeError, r"minimize: fun must return a scalar, got None; did it forget"),
    row("minimize-not-callable", lambda: optim.minimize(3, np.ones(2)), TypeError,
        r"minimize: expected a callable fun, got int"),
    row("minimize-hess-with-nelder-mead",
        lambda: optim.minimize(lambda x: fnp.sum(x**2), np.ones(2), method="nelder-mead",
                               hess=True),
        ValueError, r"minimize: hess=True, but method 'nelder-mead' takes no Hessian"),
    row("adam-negative-lr", lambda: optim.adam(-0.1), ValueError,
        r"adam: expected learning_rate >= 0, got -0.1; .*negated objective"),
    row("adam-nan-lr", lambda: optim.adam(float("nan")), ValueError,
        r"adam: expected a finite learning_rate, got nan"),
    row("adam-str-lr", lambda: optim.adam("fast"), TypeError,
        r"adam: expected a learning_rate \(a float or a schedule step -> lr\), got str"),
    row("adam-b1", lambda: optim.adam(0.1, b1=1.5), ValueError,
        r"scale_by_adam: expected b1 in \[0.0, 1.0\), got 1.5"),
    row("sgd-negative-lr", lambda: optim.sgd(-1.0), ValueError,
        r"sgd: expected learning_rate >= 0"),
    row("rmsprop-inf-lr", lambda: optim.rmsprop(float("inf")), ValueError,
        r"rmsprop: expected a finite learning_rate, got inf"),
    row("adam-update-structure",
        lambda: optim.adam(0.1).update({"a": np.ones(2)}, optim.adam(0.1).init({"b": np.ones(2)})),
        ValueError, r"scale_by_adam.update: expected updates with the pytree structure"),
    # ---- fluxion.bijectors ---------------------------------------------------------------------
    row("interval-reversed", lambda: bj.for_constraint(("interval", 2.0, 1.0)), ValueError,
        r"for_constraint: expected \('interval', low, high\) with finite low < high, got "
        r"\(2.0, 1.0\)"),
    row("interval-nan", lambda: bj.for_constraint(("interval", np.nan, 1.0)), ValueError,
        r"for_constraint: expected \('interval', low, high\) with finite low < high"),
    row("interval-one-parameter", lambda: bj.for_constraint(("interval", 1.0)), ValueError,
        r"for_constraint: constraint 'interval' takes 2 parameter\(s\), got 1"),
    row("constraint-misspelled", lambda: bj.for_constraint("postive"), ValueError,
        r"for_constraint: unknown constraint 'postive'.*did you mean 'positive'"),
    row("constraint-int", lambda: bj.for_constraint(3), TypeError,
        r"for_constraint: expected a constraint name \(str\), .* got 3 \(int\)"),
    row("greater_than-str", lambda: bj.for_constraint(("greater_than", "a")), TypeError,
        r"for_constraint: parameter 1 of constraint 'greater_than' must be a number .* str"),
    row("less_than-inf", lambda: bj.for_constraint(("less_than", np.inf)), ValueError,
        r"for_constraint: parameter 1 of constraint 'less_than' must be finite, got inf"),
    row("Scale-zero", lambda: bj.Scale(0.0), ValueError,
        r"Scale: expected a finite, nonzero scale .* got 0.0"),
    row("Chain-of-an-int", lambda: bj.Chain([3]), TypeError,
        r"Chain: expected a sequence of Bijector, got int at position 0"),
    row("Invert-an-int", lambda: bj.Invert(3), TypeError, r"Invert: expected a Bijector"),
    row("Sigmoid-low-only", lambda: bj.Sigmoid(low=0.0), ValueError,
        r"Sigmoid: expected both low and high or neither"),
    # ---- fluxion.diagnostics -------------------------------------------------------------------
    row("summary-list-of-arrays", lambda: dg.summary([np.zeros((2, 50)), np.ones((2, 50))]),
        TypeError, r"summary: expected a dict name -> draws .* got a list of 2 arrays; name"),
    row("summary-str", lambda: dg.summary("abc"), TypeError,
        r"summary \(variable 'x'\): expected real numeric draws, got dtype <U3"),
    row("summary-hdi_prob", lambda: dg.summary({"a": DRAWS}, hdi_prob=2), ValueError,
        r"summary: expected hdi_prob in \(0, 1\], got 2"),
    row("summary-var_names", lambda: dg.summary({"a": DRAWS}, var_names=["b"]), ValueError,
        r"summary: var_names \['b'\] not among the draws' variables \['a'\]"),
    row("summary-round_to", lambda: dg.summary({"a": DRAWS}, round_to="x"), ValueError,
        r"summary: expected round_to None, an int or 'auto', got 'x'"),
    row("rhat-str", lambda: dg.rhat("abc"), TypeError,
        r"rhat: expected real numeric draws, got dtype <U3"),
    row("rhat-dict", lambda: dg.rhat({"a": DRAWS}), TypeError,
        r"rhat: expected an array of draws .* got a dict; call rhat on each entry"),
    row("rhat-scalar", lambda: dg.rhat(1.0), ValueError,
        r"rhat: expected draws of shape \(chain, draw, \*param_shape\), got a scalar"),
    row("rhat-ragged", lambda: dg.rhat([[1.0], [1.0, 2.0]]), TypeError,
        r"rhat: expected an array of draws .* got list that NumPy cannot convert"),
    row("rhat-method", lambda: dg.rhat(DRAWS, method="foo"), ValueError,
        r"rhat: expected method in \('rank', .*got 'foo'"),
    row("ess-no-draws", lambda: dg.ess(np.zeros((2, 0))), ValueError,
        r"ess: expected at least one chain and one draw, got shape \(2, 0\)"),
    row("ess-method", lambda: dg.ess(DRAWS, method="foo"), ValueError,
        r"ess: expected method in \('bulk', .*got 'foo'"),
    row("mcse-method", lambda: dg.mcse(DRAWS, method="foo"), ValueError,
        r"mcse: expected method in \('mean', .*got 'foo'"),
    row("hdi-prob", lambda: dg.hdi(DRAWS, hdi_prob=1.5), ValueError,
        r"hdi: expected hdi_prob in \(0, 1\], got 1.5"),
    row("hdi-no-draws", lambda: dg.hdi(np.zeros((2, 0))), ValueError,
        r"hdi: expected at least one chain and one draw"),
    row("bfmi-3d", lambda: dg.bfmi(np.ones((2, 10, 3))), ValueError,
        r"bfmi: expected energy of shape \(chain, draw\), got shape \(2, 10, 3\)"),
    row("bfmi-one-draw", lambda: dg.bfmi(np.ones((2, 1))), ValueError,
        r"bfmi: expected at least 2 draws per chain, got shape \(2, 1\)"),
    # ---- fluxion.mcmc kernels ------------------------------------------------------------------
    row("nuts_step-negative-step", lambda: mcmc.nuts_step(_rng(), STATE, _lg, -0.1, METRIC),
        ValueError, r"nuts_step: expected a finite step_size > 0, got -0.1"),
    row("nuts_step-zero-step", lambda: mcmc.nuts_step(_rng(), STATE, _lg, 0.0, METRIC),
        ValueError, r"nuts_step: expected a finite step_size > 0, got 0.0"),
    row("nuts_step-nan-step", lambda: mcmc.nuts_step(_rng(), STATE, _lg, np.nan, METRIC),
        ValueError, r"nuts_step: expected a finite step_size > 0, got nan"),
    row("nuts_step-inf-step", lambda: mcmc.nuts_step(_rng(), STATE, _lg, np.inf, METRIC),
        ValueError, r"nuts_step: expected a finite step_size > 0, got inf"),
    row("nuts_step-max_depth-0",
        lambda: mcmc.nuts_step(_rng(), STATE, _lg, 0.1, METRIC, max_depth=0), ValueError,
        r"nuts_step: expected max_depth >= 1, got 0"),
    row("nuts_step-max_depth-float",
        lambda: mcmc.nuts_step(_rng(), STATE, _lg, 0.1, METRIC, max_depth=2.5), TypeError,
        r"nuts_step: expected an int max_depth >= 1, got 2.5"),
    row("nuts_step-metric-dimension",
        lambda: mcmc.nuts_step(_rng(), STATE, _lg, 0.1, Metric(np.ones(3))), ValueError,
        r"nuts_step: the metric is for dimension 3 .* position has 2 entries"),
    row("nuts_step-metric-array", lambda: mcmc.nuts_step(_rng(), STATE, _lg, 0.1, np.ones(2)),
        TypeError, r"nuts_step: expected metric as a fluxion.mcmc.Metric, got ndarray; wrap"),
    row("hmc_step-negative-step",
        lambda: mcmc.hmc_step(_rng(), STATE, _lg, -0.1, METRIC, 5), ValueError,
        r"hmc_step: expected a finite step_size > 0, got -0.1"),
    row("hmc_step-num_steps-0", lambda: mcmc.hmc_step(_rng(), STATE, _lg, 0.1, METRIC, 0),
        ValueError, r"hmc_step: expected num_steps >= 1, got 0"),
    row("rwm_step-negative-step", lambda: mcmc.rwm_step(_rng(), STATE, _lg, -0.1, METRIC),
        ValueError, r"rwm_step: expected a finite step_size > 0, got -0.1"),
    row("mala_step-inf-step", lambda: mcmc.mala_step(_rng(), STATE, _lg, np.inf, METRIC),
        ValueError, r"mala_step: expected a finite step_size > 0, got inf"),
    row("mala_step-metric-dimension",
        lambda: mcmc.mala_step(_rng(), STATE, _lg, 0.1, Metric(np.ones(1))), ValueError,
        r"mala_step: the metric is for dimension 1"),
    row("slice_step-negative-width",
        lambda: mcmc.slice_step(_rng(), SliceState(np.zeros(2), 0.0), lambda q: -q @ q,
                                np.array([-1.0, 1.0])),
        ValueError, r"slice_step: expected finite widths > 0, got minimum -1.0"),
    row("slice_step-widths-shape",
        lambda: mcmc.slice_step(_rng(), SliceState(np.zeros(2), 0.0), lambda q: -q @ q,
                                np.ones(1)),
        ValueError, r"slice_step: expected widths of shape \(2,\) .* got shape \(1,\)"),
    row("Metric-negative", lambda: Metric(np.array([1.0, -1.0])), ValueError,
        r"Metric: a diagonal inv_mass must be positive, got minimum -1.0"),
    row("Metric-nan", lambda: Metric(np.array([1.0, np.nan])), ValueError,
        r"Metric: inv_mass has non-finite entries"),
    row("Metric-3d", lambda: Metric(np.ones((2, 2, 2))), ValueError,
        r"Metric: expected inv_mass of shape \(d,\) .* or \(d, d\) .* got shape \(2, 2, 2\)"),
    row("Metric-not-square", lambda: Metric(np.ones((2, 3))), ValueError,
        r"Metric: expected inv_mass of shape .* got shape \(2, 3\)"),
    row("Metric-not-positive-definite", lambda: Metric(np.array([[1.0, 2.0], [2.0, 1.0]])),
        ValueError, r"Metric: a dense inv_mass must be symmetric positive definite"),
    row("Metric-str", lambda: Metric("abc"), TypeError,
        r"Metric: expected inv_mass as a \(d,\) or \(d, d\) array of numbers, got str"),
    row("DualAveraging-negative-step", lambda: mcmc.DualAveraging(-1.0), ValueError,
        r"DualAveraging: expected a finite initial step_size > 0, got -1.0"),
    row("DualAveraging-target", lambda: mcmc.DualAveraging(0.1, target=1.5), ValueError,
        r"DualAveraging: expected 0 < target < 1, got 1.5"),
    # ---- fluxion.infer.UnconstrainedModel ------------------------------------------------------
    row("model-init-str", lambda: infer.UnconstrainedModel(None, {"x": "zero"}), TypeError,
        r"UnconstrainedModel: expected a number or an array of numbers as the start value of "
        r"'x', got str 'zero'"),
    row("model-init-object", lambda: infer.UnconstrainedModel(None, {"x": object()}),
        TypeError, r"UnconstrainedModel: expected a number .* start value of 'x', got object"),
    row("model-init-nan", lambda: infer.UnconstrainedModel(None, {"s": np.nan}), ValueError,
        r"UnconstrainedModel: the start value of 's' is not finite: got nan"),
    row("model-init-empty", lambda: infer.UnconstrainedModel(None, {}), ValueError,
        r"UnconstrainedModel: the model has no free parameters \(init is empty\)"),
    row("model-init-outside-constraint",
        lambda: infer.UnconstrainedModel(None, {"s": -1.0}, {"s": "positive"}), ValueError,
        r"UnconstrainedModel: the start value of 's' is outside its constraint 'positive': "
        r"got -1.0"),
    row("model-constraints-list",
        lambda: infer.UnconstrainedModel(None, {"a": 1.0, "b": 1.0}, ["positive", "positive"]),
        ValueError, r"constraints is a sequence, but the parameters have names"),
    row("model-constraint-unknown-name",
        lambda: infer.UnconstrainedModel(None, {"sigma": 1.0}, {"sgima": "positive"}),
        ValueError, r"constraints name 'sgima' \(did you mean 'sigma'\?\)"),
    row("model-constraint-reversed-interval",
        lambda: infer.UnconstrainedModel(None, {"p": 0.5}, {"p": ("interval", 2.0, 1.0)}),
        ValueError, r"UnconstrainedModel: the constraint of 'p': for_constraint: expected"),
    row("model-simplex-on-a-scalar",
        lambda: infer.UnconstrainedModel(None, {"w": 1.0}, {"w": "simplex"}), ValueError,
        r"constraint 'simplex' needs a parameter with at least 1 dimension\(s\)"),
    row("model-log_prob-not-callable", lambda: infer.UnconstrainedModel(3, {"x": 1.0}),
        TypeError, r"UnconstrainedModel: expected a callable log density"),
    row("model-log_prob-returns-None",
        lambda: infer.UnconstrainedModel(lambda p: None, {"x": 1.0}).logp_and_grad(np.zeros(1)),
        TypeError, r"UnconstrainedModel: log_prob must return a scalar log density, got None; "
        r"did log_prob forget a `return`"),
    row("model-log_prob-returns-a-vector",
        lambda: infer.UnconstrainedModel(lambda p: p["x"], {"x": np.ones(2)}).logp_and_grad(
            np.zeros(2)),
        TypeError, r"log_prob must return a scalar log density, got an array of shape \(2,\); "
        r"add up the terms"),
    row("model-unconstrain_batch-shape",
        lambda: infer.UnconstrainedModel(None, {"x": np.ones(2)}).unconstrain_batch(
            {"x": np.ones(3)}),
        ValueError, r"UnconstrainedModel: expected 'x' of shape batch \+ \(2,\), got \(3,\)"),
    # ---- fluxion.mcmc.sample -------------------------------------------------------------------
    # user study: log_prob returning None gave "unsupported operand type(s) for +"
    row("sample-log_prob-returns-None", lambda: _sample(lambda p: None), TypeError,
        r"sample: .*log_prob must return a scalar log density, got None"),
    # user study: init = {"x": "zero"} gave "could not convert string to float"
    row("sample-init-str", lambda: _sample(init={"x": "zero"}), TypeError,
        r"sample: expected a number or an array of numbers as the start value of 'x', got str"),
    row("sample-init-outside-constraint",
        lambda: _sample(lambda p: -p["s"], init={"s": -1.0}, constraints={"s": "positive"}),
        ValueError, r"sample: the start value of 's' is outside its constraint 'positive'"),
    row("sample-log-density-nan-at-init",
        lambda: _sample(lambda p: fnp.log(p["x"]), init={"x": -1.0}), ValueError,
        r"sample: the log density is nan at the initial values"),
    row("sample-log-density-nan-at-init-suggests-constraints",
        lambda: _sample(lambda p: fnp.log(p["x"]) + p["y"], init={"x": -1.0, "y": 0.0}),
        ValueError, r"sample: the log density is nan at the initial values.*add constraints"),
    row("sample-gradient-nan-at-init-names-the-parameter",
        lambda: _sample(lambda p: fnp.sqrt(p["x"]) + p["y"], init={"x": 0.0, "y": 0.0}),
        ValueError, r"the gradient is not finite for 'x'; start from a point inside"),
    row("sample-kernel", lambda: _sample(kernel="foo"), ValueError,
        r"sample: unknown kernel 'foo'; expected one of 'nuts'"),
    row("sample-chains-0", lambda: _sample(chains=0), ValueError,
        r"sample: expected chains to be an integer >= 1, got 0"),
    row("sample-target_accept", lambda: _sample(target_accept=1.5), ValueError,
        r"sample: expected 0 < target_accept < 1, got 1.5"),
    row("sample-metric", lambda: _sample(metric="full"), ValueError,
        r"sample: unknown metric 'full'; expected 'diag', 'dense' or 'low_rank'"),
    row("sample-adaptation", lambda: _sample(adaptation="x"), ValueError,
        r"sample: unknown adaptation 'x'; expected 'stan' or 'nutpie'"),
    row("sample-hmc-num_steps-0", lambda: _sample(kernel="hmc", num_steps=0), ValueError,
        r"num_steps to be an integer >= 1, got 0"),
    row("sample-log_prob-returns-a-vector",
        lambda: _sample(lambda p: p["x"], init={"x": np.zeros(2)}), TypeError,
        r"sample: .*log_prob must return a scalar log density, got an array of shape \(2,\)"),
    row("sample-max_depth-0", lambda: _sample(max_depth=0), ValueError,
        r"sample: expected max_depth to be an integer >= 1, got 0"),
    row("sample-draws-float", lambda: _sample(draws=10.5), TypeError,
        r"sample: expected draws to be an integer >= 1, got 10.5"),
    row("sample-init_jitter-negative", lambda: _sample(init_jitter=-1.0), ValueError,
        r"sample: expected init_jitter >= 0, got -1.0"),
    row("sample-step_size-negative", lambda: _sample(step_size=-1.0), ValueError,
        r"sample: expected step_size > 0 and finite, got -1.0"),
    row("sample-inverse_metric-shape", lambda: _sample(inverse_metric=np.ones(3)), ValueError,
        r"sample: expected inverse_metric of shape \(d,\) with d=1 \(the flat unconstrained "
        r"parameters\), got shape \(3,\)"),
    row("sample-warmup-0-warns", lambda: _sample(warmup=0, draws=20), UserWarning,
        r"warmup=0"),
    # ---- fluxion.tree --------------------------------------------------------------------------
    row("tree.unflatten-count", lambda: tree.unflatten(tree.structure({"a": 1, "b": 2}), [1]),
        ValueError, r"tree_unflatten: expected 2 leaves for PyTreeDef\(\{'a': \*, 'b': \*\}\), "
        r"got 1"),
    row("tree.map-structures", lambda: tree.map(lambda a, b: a + b, {"a": 1}, {"b": 2}),
        ValueError, r"tree_map: argument 1 of rest has a different tree structure"),
    row("tree.map-not-callable", lambda: tree.map(3, {"a": 1}), TypeError,
        r"tree_map: expected a callable as the first argument, got int; the function comes "
        r"first"),
    row("tree.map-arguments-swapped", lambda: tree.map({"a": 1.0}, lambda x: x), TypeError,
        r"tree_map: expected a callable as the first argument, got dict"),
    row("tree.ravel_pytree-str-leaf", lambda: tree.ravel_pytree({"a": "x"}), TypeError,
        r"ravel_pytree: expected leaves that are numbers or numeric arrays, got a leaf of "
        r"dtype <U1"),
    row("tree.unravel-shape", lambda: tree.ravel_pytree({"a": 1.0})[1](np.ones(3)),
        ValueError, r"unravel: expected a 1-D vector of length 1 .* got shape \(3,\)"),
    row("tree.register-dict", lambda: tree.register(dict, lambda x: ((), None),
                                                    lambda a, c: {}),
        ValueError, r"register: dict is a built-in pytree node"),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("fn, exc, match", RAISES)
def test_bad_input_raises_a_clear_error(fn, exc, match):
    if issubclass(exc, Warning):
        with pytest.warns(exc, match=match):
            fn()
    else:
        with pytest.raises(exc, match=match):
            fn()


WARNS = [
    row("rhat-one-chain", lambda: _nan(dg.rhat(RNG.normal(size=(1, 100)))), RuntimeWarning,
        r"rhat: R-hat needs at least 2 chain\(s\) of 4 draws, got 1 chain\(s\) of 100"),
    row("rhat-1d-is-one-chain", lambda: _nan(dg.rhat(RNG.normal(size=100))), RuntimeWarning,
        r"rhat: R-hat needs at least 2 chain\(s\)"),
    row("ess-three-draws", lambda: _nan(dg.ess(RNG.normal(size=(2, 3)))), RuntimeWarning,
        r"ess: ESS needs at least 1 chain\(s\) of 4 draws, got 2 chain\(s\) of 3 draws"),
    row("mcse-three-draws", lambda: _nan(dg.mcse(RNG.normal(size=(2, 3)))), RuntimeWarning,
        r"mcse: .* needs at least .* of 4 draws"),
    row("fnp.mean-of-empty", lambda: _nan(fnp.mean(np.ones(0))), RuntimeWarning,
        r"Mean of empty slice"),
    row("fnp.log-of-negative", lambda: _nan(fnp.log(-1.0)), RuntimeWarning,
        r"invalid value encountered in log"),
]


@pytest.mark.parametrize("fn, exc, match", WARNS)
def test_bad_input_warns_and_gives_nan(fn, exc, match):
    with pytest.warns(exc, match=match):
        fn()


# NumPy-like functions follow NumPy/SciPy on domain errors: nan or inf, not an exception.
NUMPY_LIKE = [
    pytest.param(fnp.log, np.log, (-1.0,), id="log(-1)=nan"),
    pytest.param(fnp.log, np.log, (0.0,), id="log(0)=-inf"),
    pytest.param(fnp.log1p, np.log1p, (-1.0,), id="log1p(-1)=-inf"),
    pytest.param(fnp.sqrt, np.sqrt, (-1.0,), id="sqrt(-1)=nan"),
    pytest.param(fnp.divide, np.divide, (1.0, 0.0), id="1/0=inf"),
    pytest.param(fnp.divide, np.divide, (0.0, 0.0), id="0/0=nan"),
    pytest.param(fnp.exp, np.exp, (1000.0,), id="exp(1000)=inf"),
    pytest.param(fnp.arccos, np.arccos, (2.0,), id="arccos(2)=nan"),
    pytest.param(fnp.sin, np.sin, (np.inf,), id="sin(inf)=nan"),
    pytest.param(fnp.add, np.add, (np.inf, -np.inf), id="inf-inf=nan"),
    pytest.param(fnp.sum, np.sum, (np.array([1.0, np.nan]),), id="sum-propagates-nan"),
    pytest.param(fnp.max, np.max, (np.array([1.0, np.nan]),), id="max-propagates-nan"),
    pytest.param(fss.gammaln, "gammaln", (-1.0,), id="gammaln(-1)=inf"),
    pytest.param(fss.logsumexp, "logsumexp", (np.ones(0),), id="logsumexp([])=-inf"),
    pytest.param(fss.xlogy, "xlogy", (0.0, 0.0), id="xlogy(0,0)=0"),
    pytest.param(fss.expit, "expit", (np.inf,), id="expit(inf)=1"),
    pytest.param(fss.erfinv, "erfinv", (2.0,), id="erfinv(2)=nan"),
    pytest.param(fluxion.grad(fnp.sqrt), lambda x: 0.5 / np.sqrt(x), (0.0,),
                 id="grad-sqrt(0)=inf"),
]


@pytest.mark.parametrize("fn, reference, args", NUMPY_LIKE)
def test_numpy_like_functions_give_numpys_nan_and_inf(fn, reference, args):
    if isinstance(reference, str):
        import scipy.special

        reference = getattr(scipy.special, reference)
    with np.errstate(all="ignore"):
        expected = reference(*args)
        got = fn(*args)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))


# ---- the command line -----------------------------------------------------------------------


def _model_file(tmp_path, body):
    path = tmp_path / "model.py"
    path.write_text(body)
    return str(path)


GOOD_MODEL = "def log_prob(p):\n    return -0.5 * p['x'] ** 2\ninit = {'x': 0.0}\n"

CLI = [
    pytest.param(
        "def log_prob(p):\n    return -0.5 * p['x'] ** 2\ninit = {'x': 'zero'}\n", [],
        r"fluxion sample: sample: expected a number .* start value of 'x', got str 'zero'",
        id="cli-init-str"),
    pytest.param(
        "def log_prob(p):\n    -0.5 * p['x'] ** 2\ninit = {'x': 0.0}\n", [],
        r"log_prob must return a scalar log density, got None", id="cli-log_prob-no-return"),
    pytest.param(
        GOOD_MODEL + "constraints = {'x': ('interval', 2.0, 1.0)}\n", [],
        r"fluxion sample: .*the constraint of 'x'.*finite low < high",
        id="cli-reversed-interval"),
    pytest.param(GOOD_MODEL, ["--kernel", "foo"], r"fluxion sample: .*unknown kernel 'foo'",
                 id="cli-kernel"),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("body, args, message", CLI)
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, body, args, message):
    from fluxion.cli import main

    model = _model_file(tmp_path, body)
    code = main(["sample", model, "--quiet", "--out", str(tmp_path / "o"), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert __import__("re").search(message, err), err


def test_cli_out_is_a_file(tmp_path, capsys):
    from fluxion.cli import main

    model = _model_file(tmp_path, GOOD_MODEL)
    out = tmp_path / "taken"
    out.write_text("not a directory")
    code = main(["sample", model, "--quiet", "--draws", "5", "--warmup", "5", "--out", str(out)])
    assert code == 2
    assert "--out" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can write into a read-only directory")
def test_cli_out_is_not_writable(tmp_path, capsys):
    from fluxion.cli import main

    model = _model_file(tmp_path, GOOD_MODEL)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code = main(["sample", model, "--quiet", "--draws", "5", "--warmup", "5",
                     "--out", str(locked / "o")])
    finally:
        locked.chmod(0o700)
    assert code == 2
    assert "--out" in capsys.readouterr().err
