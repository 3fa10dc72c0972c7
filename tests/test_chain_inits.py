"""sample(chain_inits=...): one start per chain (e.g. Pathfinder's draws), checked."""

import warnings

import numpy as np
import pytest

import fluxion.distributions as fd
from fluxion.mcmc import sample

Y = np.array([1.2, 0.4, 2.2, 1.7, 0.9, 1.5])


def _model():
    return fd.JointDistributionNamed({
        "mu": fd.Normal(0.0, 5.0),
        "sigma": fd.HalfNormal(2.0),
        "y": lambda mu, sigma: fd.Normal(mu * np.ones(Y.size), sigma),
    }).condition(y=Y)


STARTS = [{"mu": -3.0, "sigma": 0.5}, {"mu": 4.0, "sigma": 3.0}]


@pytest.mark.parametrize("kernel", ["rwm", "slice"])
def test_each_chain_starts_where_it_is_told(kernel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kw = {"step_size": 1e-9} if kernel == "rwm" else {}
        r = sample(_model(), chains=2, warmup=1, draws=1, chain_inits=STARTS, init_jitter=0.0,
                   kernel=kernel, progress=False, seed=0, save_warmup=True, **kw)
    # one tiny step from each start (slice sampling moves, but stays on the start's side)
    first = r.warmup_draws
    if kernel == "rwm":
        np.testing.assert_allclose(first["mu"][:, 0], [-3.0, 4.0], atol=1e-6)
        np.testing.assert_allclose(first["sigma"][:, 0], [0.5, 3.0], rtol=1e-6)
    else:
        assert first["mu"][0, 0] != first["mu"][1, 0]


def test_chain_inits_on_the_compiled_chain_and_with_nuts(compiled_nuts):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = sample(_model(), chains=2, warmup=200, draws=200, chain_inits=STARTS,
                   progress=False, seed=1)
    assert r.compiled == "chain"
    np.testing.assert_allclose(r.draws["mu"].mean(), Y.mean(), atol=0.5)


def test_chain_inits_errors():
    with pytest.raises(ValueError, match=r"expected 2 chain_inits \(one per chain\), got 1"):
        sample(_model(), chains=2, chain_inits=STARTS[:1], progress=False)
    with pytest.raises(ValueError, match=r"sample: chain_inits\[1\]"):
        sample(_model(), chains=2, chain_inits=[STARTS[0], {"mu": 0.0, "sigma": -1.0}],
               progress=False)
    with pytest.raises(TypeError, match="sample: expected chain_inits as a list"):
        sample(_model(), chains=2, chain_inits=STARTS[0], progress=False)
    with pytest.raises(ValueError, match="not available with kernel='ensemble'"):
        sample(_model(), kernel="ensemble", chain_inits=STARTS, progress=False)
