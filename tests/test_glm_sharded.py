"""glm.fit_sharded: Fisher scoring over shards on workers equals glm.fit on the whole data."""

from __future__ import annotations

import functools
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

from fluxion import glm


def _data(n=3000, p=4, family="bernoulli", seed=0):
    rng = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n), rng.standard_normal((n, p - 1))])
    eta = x @ np.linspace(-0.5, 0.5, p)
    if family == "bernoulli":
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    elif family == "poisson":
        y = rng.poisson(np.exp(0.3 * eta)).astype(float)
        x = x * 0.3
    else:  # gamma, log link
        y = rng.gamma(2.0, np.exp(0.3 * eta) / 2.0)
        x = x * 0.3
    return x, y


def _split(x, y, k):
    edges = np.linspace(0, len(y), k + 1).astype(int)
    return [(x[a:b], y[a:b]) for a, b in zip(edges[:-1], edges[1:])]


@pytest.mark.parametrize("family, model", [
    ("bernoulli", glm.Bernoulli()), ("poisson", glm.Poisson()),
    ("gamma", glm.Gamma(link="log")),
])
def test_sharded_fit_equals_the_whole_data_fit(family, model):
    x, y = _data(family=family)
    whole = glm.fit(x, y, model, l2_regularizer=0.5)
    with ThreadPoolExecutor(2) as pool:
        sharded = glm.fit_sharded(_split(x, y, 3), model, pool, l2_regularizer=0.5)
    assert sharded.is_converged and sharded.iter == whole.iter
    np.testing.assert_allclose(sharded.coefficients, whole.coefficients, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sharded.standard_errors, whole.standard_errors, rtol=1e-8)
    np.testing.assert_allclose(sharded.log_likelihood, whole.log_likelihood, rtol=1e-12)
    np.testing.assert_allclose(sharded.dispersion, whole.dispersion, rtol=1e-10)
    assert sharded.linear_response is None


def _make_shard(i: int, n: int) -> tuple:
    x, y = _data(n=3000)
    return _split(x, y, n)[i]


def test_shards_made_on_a_dask_cluster_from_their_sources():
    distributed = pytest.importorskip("distributed")
    x, y = _data()
    whole = glm.fit(x, y, glm.Bernoulli())
    sources = [functools.partial(_make_shard, i, 3) for i in range(3)]
    with distributed.Client(distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)) as client:
        sharded = glm.fit_sharded(sources, glm.Bernoulli(), client)
        arrays = glm.fit_sharded(_split(x, y, 2), glm.Bernoulli(), client)
    for res in (sharded, arrays):
        np.testing.assert_allclose(res.coefficients, whole.coefficients, rtol=1e-10)
        np.testing.assert_allclose(res.standard_errors, whole.standard_errors, rtol=1e-8)


def test_fit_sharded_bad_input():
    x, y = _data(n=100)
    with ThreadPoolExecutor(1) as pool:
        with pytest.raises(TypeError, match="fit_sharded: expected shards as a non-empty list"):
            glm.fit_sharded((x, y), glm.Bernoulli(), pool)
        with pytest.raises(ValueError, match="same number of columns"):
            glm.fit_sharded([(x, y), (x[:, :2], y)], glm.Bernoulli(), pool)
        with pytest.raises(TypeError, match="expected each shard"):
            glm.fit_sharded([x], glm.Bernoulli(), pool)
    with ProcessPoolExecutor(1) as pool, pytest.raises(TypeError, match="process pool"):
        glm.fit_sharded([(x, y)], glm.Bernoulli(), pool)


@pytest.mark.parametrize("family, model, l1, l2", [
    ("bernoulli", glm.Bernoulli(), 80.0, 1.0), ("poisson", glm.Poisson(), 60.0, 0.0),
])
def test_sharded_sparse_fit_equals_fit_sparse(family, model, l1, l2):
    x, y = _data(n=4000, p=8, family=family, seed=2)
    factor = np.ones(8)
    factor[0] = 0.0  # an unpenalised intercept
    whole = glm.fit_sparse(x, y, model, l1, l2_regularizer=l2, penalty_factor=factor,
                           tolerance=1e-12)
    with ThreadPoolExecutor(2) as pool:
        sharded = glm.fit_sparse_sharded(_split(x, y, 3), model, pool, l1, l2_regularizer=l2,
                                         penalty_factor=factor, tolerance=1e-12)
    assert sharded.is_converged
    np.testing.assert_allclose(sharded.coefficients, whole.coefficients, atol=1e-8)
    np.testing.assert_array_equal(sharded.coefficients == 0, whole.coefficients == 0)
    assert np.count_nonzero(whole.coefficients == 0) >= 1  # the penalty selects
    np.testing.assert_allclose(sharded.log_likelihood, whole.log_likelihood, rtol=1e-10)
    with ThreadPoolExecutor(1) as pool, pytest.raises(ValueError, match="l1_regularizer"):
        glm.fit_sparse_sharded(_split(x, y, 2), model, pool, -1.0)


def _exit_now():
    import os

    os._exit(1)


def test_a_shard_lost_with_its_worker_is_made_again_from_its_source():
    distributed = pytest.importorskip("distributed")
    import time

    from fluxion._src.glm.sharded import _log_lik, _Shards

    x, y = _data()
    b = np.linspace(-0.5, 0.5, 4)
    want = sum(float(_log_lik(glm.Bernoulli(), (xs, ys, np.zeros(len(ys)), np.ones(len(ys))), b))
               for xs, ys in _split(x, y, 3))
    sources = [functools.partial(_make_shard, i, 3) for i in range(3)]
    with distributed.Client(distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)) as client:
        data = _Shards("fit_sharded", sources, glm.Bernoulli(), client)
        first = sum(data.map(_log_lik, glm.Bernoulli(), b))
        holder = next(iter(client.who_has(data.items[0])[data.items[0].key]))
        try:
            client.run(_exit_now, workers=[holder])
        except Exception:  # the worker dies before it answers
            pass
        deadline = time.time() + 30
        while holder in client.scheduler_info()["workers"] and time.time() < deadline:
            time.sleep(0.1)
        assert holder not in client.scheduler_info()["workers"]  # the worker is gone
        again = sum(data.map(_log_lik, glm.Bernoulli(), b))
        now = set(client.who_has(data.items[0])[data.items[0].key])
        assert now and holder not in now  # the shard was made again elsewhere
    np.testing.assert_allclose([first, again], [want, want], rtol=1e-12)
