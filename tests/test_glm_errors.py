"""Bad input to fluxion.glm.fit / fit_sparse / bayesian_model: a clear error naming the function,
what was expected and what was received, never a NumPy traceback or a silent wrong answer."""

from __future__ import annotations

import numpy as np
import pytest

from fluxion import glm

X = np.column_stack([np.ones(10), np.linspace(-1.0, 1.0, 10)])
Y01 = np.array([0.0, 1.0] * 5)
COUNTS = np.array([0.0, 1.0, 3.0, 2.0, 0.0, 5.0, 1.0, 0.0, 2.0, 4.0])
POSITIVE = np.linspace(0.5, 3.0, 10)

CALLERS = {
    "glm.fit": lambda x, y, model, **kw: glm.fit(x, y, model, **kw),
    "glm.fit_sparse": lambda x, y, model, **kw: glm.fit_sparse(x, y, model, 0.5, **kw),
}


def _with(y, i, value):
    y = np.array(y, dtype=float)
    y[i] = value
    return y


# (family, response, what the message says about the value)
OUTSIDE_SUPPORT = [
    (glm.Bernoulli(), _with(Y01, 3, 2.0), r"0 or 1.*got 2\.0 at index 3"),
    (glm.Bernoulli(), _with(Y01, 0, 0.5), r"0 or 1.*got 0\.5 at index 0"),
    (glm.Poisson(), _with(COUNTS, 2, -1.0), r"non-negative integers.*got -1\.0 at index 2"),
    (glm.Poisson(), _with(COUNTS, 4, 1.5), r"non-negative integers.*got 1\.5 at index 4"),
    (glm.NegativeBinomial(2.0), _with(COUNTS, 1, -3.0), r"non-negative integers.*got -3\.0"),
    (glm.Binomial(4.0), _with(COUNTS, 5, 5.0), r"integers 0\.\.total_count.*got 5\.0 at index 5"),
    (glm.Gamma(), _with(POSITIVE, 6, 0.0), r"positive reals.*got 0\.0 at index 6"),
    (glm.Gamma(), _with(POSITIVE, 7, -2.0), r"positive reals.*got -2\.0 at index 7"),
    (glm.InverseGaussian(), _with(POSITIVE, 0, 0.0), r"positive reals.*got 0\.0 at index 0"),
    (glm.Normal(), _with(POSITIVE, 8, np.nan), r"finite reals.*got nan at index 8"),
]


@pytest.mark.parametrize("caller", sorted(CALLERS))
@pytest.mark.parametrize("family,y,detail", OUTSIDE_SUPPORT,
                         ids=[f"{type(f).__name__}-{i}" for i, (f, _, _) in
                              enumerate(OUTSIDE_SUPPORT)])
def test_response_outside_the_support(caller, family, y, detail):
    with pytest.raises(ValueError, match=rf"^{caller}: expected response values in the support "
                                         rf"of {type(family).__name__}\(.*{detail}"):
        CALLERS[caller](X, y, family)


@pytest.mark.parametrize("name,args,kwargs,error,message", [
    ("l1 negative", (-0.5,), {}, ValueError, r"expected l1_regularizer >= 0, got -0\.5"),
    ("l2 negative", (0.5, -1.0), {}, ValueError, r"expected l2_regularizer >= 0, got -1\.0"),
    ("l1 nan", (np.nan,), {}, ValueError, r"expected a finite l1_regularizer >= 0, got nan"),
    ("l2 inf", (0.5, np.inf), {}, ValueError, r"expected a finite l2_regularizer >= 0, got inf"),
    ("l1 array", ([0.5, 1.0],), {}, TypeError,
     r"expected l1_regularizer to be a non-negative float, got an array of shape \(2,\); .*"
     r"penalty_factor"),
    ("l1 text", ("big",), {}, TypeError, r"expected l1_regularizer to be a non-negative float, "
                                         r"got 'big'"),
    ("penalty factor negative", (0.5,), {"penalty_factor": [1.0, -1.0]}, ValueError,
     r"expected non-negative finite penalty_factor of shape \(2,\)"),
    ("penalty factor shape", (0.5,), {"penalty_factor": [1.0]}, ValueError,
     r"expected non-negative finite penalty_factor of shape \(2,\), got \[1\.0\]"),
    ("sweeps", (0.5,), {"max_full_sweeps": 0}, ValueError,
     r"expected max_full_sweeps >= 1 \(an int\), got 0"),
    ("start shape", (0.5,), {"model_coefficients_start": [0.0]}, ValueError,
     r"expected finite model_coefficients_start of shape \(2,\), got shape \(1,\)"),
])
def test_fit_sparse_bad_penalties_and_options(name, args, kwargs, error, message):
    with pytest.raises(error, match=rf"^glm.fit_sparse: {message}"):
        glm.fit_sparse(X, Y01, glm.Bernoulli(), *args, **kwargs)


@pytest.mark.parametrize("caller", sorted(CALLERS))
@pytest.mark.parametrize("name,x,y,kwargs,error,message", [
    ("x 1-d", X[:, 1], Y01, {}, ValueError, r"expected model_matrix of shape \(n, p\), "
                                            r"got shape \(10,\)"),
    ("x 3-d", X[None], Y01, {}, ValueError, r"expected model_matrix of shape \(n, p\)"),
    ("x empty", X[:0], Y01[:0], {}, ValueError,
     r"expected a model_matrix with at least one row and one column, got shape \(0, 2\)"),
    ("x text", [["a", "b"]] * 10, Y01, {}, TypeError, r"expected model_matrix to be an array "
                                                      r"of numbers"),
    ("x nan", np.where(X == 1.0, np.nan, X), Y01, {}, ValueError,
     r"expected a finite model_matrix, got nan or inf"),
    ("y short", X, Y01[:9], {}, ValueError, r"expected response of shape \(10,\) to match "
                                            r"model_matrix \(10, 2\), got shape \(9,\)"),
    ("y column", X, Y01[:, None], {}, ValueError, r"expected response of shape \(10,\).*"
                                                  r"got shape \(10, 1\)"),
    ("y text", X, ["yes"] * 10, {}, TypeError, r"expected response to be an array of numbers"),
    ("weights shape", X, Y01, {"weights": np.ones(3)}, ValueError,
     r"expected non-negative finite weights of shape \(10,\) or a scalar, got shape \(3,\)"),
    ("weights negative", X, Y01, {"weights": -np.ones(10)}, ValueError,
     r"expected non-negative finite weights.*with negative or non-finite values"),
    ("offset shape", X, Y01, {"offset": np.zeros(4)}, ValueError,
     r"expected a finite offset of shape \(10,\) or a scalar, got shape \(4,\)"),
    ("offset nan", X, Y01, {"offset": np.nan}, ValueError, r"expected a finite offset"),
    ("max_iterations", X, Y01, {"max_iterations": 2.5}, ValueError,
     r"expected max_iterations >= 1 \(an int\), got 2\.5"),
    ("max_iterations text", X, Y01, {"max_iterations": "ten"}, ValueError,
     r"expected max_iterations >= 1 \(an int\), got 'ten'"),
    ("tolerance", X, Y01, {"tolerance": 0.0}, ValueError, r"expected tolerance > 0, got 0\.0"),
    ("tolerance text", X, Y01, {"tolerance": "tiny"}, TypeError,
     r"expected tolerance to be a positive float, got 'tiny'"),
])
def test_shapes_and_options(caller, name, x, y, kwargs, error, message):
    with pytest.raises(error, match=rf"^{caller}: {message}"):
        CALLERS[caller](x, y, glm.Bernoulli(), **kwargs)


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_model_must_be_a_family_instance(caller):
    with pytest.raises(TypeError, match=rf"^{caller}: expected model to be a fluxion.glm family "
                                        r"instance, got the class Bernoulli; call it: "
                                        r"glm.Bernoulli\(\)"):
        CALLERS[caller](X, Y01, glm.Bernoulli)
    with pytest.raises(TypeError, match=rf"^{caller}: expected model to be a fluxion.glm family "
                                        r"\(e.g. glm.Bernoulli\(\)\), got str"):
        CALLERS[caller](X, Y01, "bernoulli")


def test_fit_dispersion_argument():
    with pytest.raises(TypeError, match=r"^glm.fit: expected dispersion to be None, 'pearson', "
                                        r"'family' or a positive float, got \[1\.0\]"):
        glm.fit(X, POSITIVE, glm.Gamma(), dispersion=[1.0])
    with pytest.raises(ValueError, match=r"^glm.fit: expected dispersion > 0, got nan"):
        glm.fit(X, POSITIVE, glm.Gamma(), dispersion=np.nan)


def test_families_reject_bad_parameters():
    with pytest.raises(ValueError, match=r"^Binomial: expected total_count > 0 and finite"):
        glm.Binomial(0)
    with pytest.raises(ValueError, match=r"^Normal: expected scale > 0 and finite, got -1\.0"):
        glm.Normal(-1.0)
    with pytest.raises(ValueError, match=r"^NegativeBinomial: expected total_count > 0"):
        glm.NegativeBinomial(np.inf)
    with pytest.raises(ValueError, match=r"^Gamma: expected link to be a Link or one of "
                                         r"\['cloglog', 'identity', 'inverse'"):
        glm.Gamma(link="reciprocal")
    # the reprs in the messages show plain numbers
    assert repr(glm.Gamma(2.0)) == "Gamma(concentration=2.0, link='log')"
    assert repr(glm.Binomial(7)) == "Binomial(total_count=7.0, link='logit')"
