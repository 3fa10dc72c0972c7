"""The Distribution base: shapes, pytree behaviour, seeds, validation, the KL registry, and
Normal (the model family) through the shared harness."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from distributions_harness import (
    check_against_scipy,
    check_kl_monte_carlo,
    check_log_prob_grads,
    check_reparam_gradient,
    check_sampling,
)

import fluxion
import fluxion.distributions as fd
import fluxion.random as fr


def test_normal_matches_scipy_with_broadcast_batch():
    loc = np.array([[-1.0], [0.5]])  # (2, 1)
    scale = np.array([0.3, 1.0, 4.0])  # (3,)
    d = fd.Normal(loc, scale)
    assert d.batch_shape == (2, 3) and d.event_shape == ()
    x = np.linspace(-5, 5, 7).reshape(7, 1, 1)
    check_against_scipy(d, st.norm(loc, scale), x)


def test_normal_sampling_moments_and_dkw():
    check_sampling(fd.Normal([0.0, 3.0], [1.0, 0.1]))


def test_normal_gradients_and_reparameterization():
    check_log_prob_grads(lambda m, s: fd.Normal(m, s), (0.3, 1.7), np.array([-1.0, 0.2, 2.0]))
    # d/d(m, s) E[X^2] = (2 m, 2 s)
    check_reparam_gradient(
        lambda t: fd.Normal(t[0], t[1]), [0.5, 1.5], lambda x: x**2, [1.0, 3.0]
    )


def test_normal_kl_matches_monte_carlo():
    check_kl_monte_carlo(fd.Normal([0.0, 1.0], 1.5), fd.Normal(0.5, [1.0, 2.0]))


def test_distributions_are_pytrees_under_jit_vmap_grad():
    d = fd.Normal(np.zeros(3), np.ones(3))
    leaves, tree = fluxion.tree.flatten(d)
    assert len(leaves) == 2
    back = fluxion.tree.unflatten(tree, leaves)
    assert isinstance(back, fd.Normal) and back.batch_shape == (3,)
    out = fluxion.vmap(lambda dd: dd.log_prob(1.0))(d)
    np.testing.assert_allclose(out, st.norm.logpdf(1.0))
    g = fluxion.grad(lambda dd: dd.log_prob(1.0).sum())(d)
    assert isinstance(g, fd.Normal)
    np.testing.assert_allclose(g.loc, 1.0)
    np.testing.assert_allclose(g.scale, 0.0)
    f = fluxion.jit(lambda dd, x: dd.log_prob(x))
    np.testing.assert_allclose(f(d, 0.5), st.norm.logpdf(0.5))


def test_seeds_int_generator_key_and_traced_key():
    d = fd.Normal(0.0, 1.0)
    np.testing.assert_array_equal(d.sample(4, seed=3), d.sample(4, seed=3))
    np.testing.assert_array_equal(d.sample(4, seed=3), d.sample(4, seed=fr.key(3)))
    g = np.random.default_rng(0)
    a, b = d.sample(4, seed=g), d.sample(4, seed=g)
    assert not np.array_equal(a, b)  # a Generator advances
    keys = fr.split(fr.key(0), 5)
    xs = fluxion.vmap(lambda k: d.sample((), seed=k))(keys)
    assert xs.shape == (5,) and len(set(np.asarray(xs).tolist())) == 5
    with pytest.raises(TypeError, match="Normal.sample: expected seed"):
        d.sample(2, seed="abc")
    with pytest.raises(ValueError, match="sample_shape"):
        d.sample(-1)


def test_validation_errors_name_family_and_value():
    with pytest.raises(ValueError, match=r"Normal: expected scale > 0, got -1.0"):
        fd.Normal(0.0, -1.0, validate_args=True)
    with pytest.raises(ValueError, match="do not broadcast"):
        fd.Normal(np.zeros(2), np.ones(3))
    with pytest.raises(ValueError, match="Normal.log_prob: expected a value whose shape"):
        fd.Normal(0.0, np.ones(3)).log_prob(np.zeros(2))
    with pytest.raises(ValueError, match="Normal.quantile: expected probabilities"):
        fd.Normal(validate_args=True).quantile(1.5)
    # without validate_args: what SciPy gives
    assert np.isnan(fd.Normal(0.0, -1.0).log_prob(0.0))
    with pytest.raises(AttributeError, match="did you mean 'scale'"):
        _ = fd.Normal().scal


def test_kl_registry_missing_pair_says_how_to_estimate():
    class Other(fd.Distribution):
        pass

    with pytest.raises(NotImplementedError, match="Monte Carlo"):
        fd.kl_divergence(fd.Normal(), Other({}))


def test_copy_and_default_bijector():
    d = fd.Normal(1.0, 2.0)
    assert float(d.copy(scale=3.0).scale) == 3.0
    assert type(d.default_bijector).__name__ == "Identity"
    assert d.has_rsample
    with pytest.raises(AttributeError, match="immutable"):
        d.loc = 3.0
