"""Chains on executors (``sample(..., executor=...)``): thread and process pools and a real
``dask.distributed.LocalCluster`` with worker processes give the draws of local chains with the
same seed (the oracle: ``sample`` without an executor), bit for bit; a worker process killed
while it runs a chunk loses no draw and the run completes with the uninterrupted draws."""

from __future__ import annotations

import os
import threading
import time
import warnings
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import fluxion.numpy as fnp
from fluxion._src.mcmc import store as store_module
from fluxion.mcmc import sample


def log_prob(p):
    return -0.5 * fnp.sum(p["x"] ** 2) - 0.5 * (p["y"] / 2.0) ** 2


def _in_dask_worker() -> bool:
    try:
        from distributed import get_worker

        get_worker()
        return True
    except (ImportError, ValueError):
        return False


def slow_on_workers(p):
    """``log_prob`` (Python, jit=False), 1 ms slower per evaluation on a dask worker: a chunk
    then runs long enough to be killed while it runs. The values are those of ``log_prob``."""
    if _in_dask_worker():
        time.sleep(0.001)
    return log_prob(p)


INIT = {"x": np.zeros(3), "y": 1.0}
KW = {"chains": 2, "draws": 120, "warmup": 80, "seed": 7, "progress": False}


def _same(a, b) -> None:
    for k in a.draws:
        np.testing.assert_array_equal(a.draws[k], b.draws[k], err_msg=k)
    for k in a.stats:
        np.testing.assert_array_equal(a.stats[k], b.stats[k], err_msg=k)


def _run(executor=None, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence checks of these short runs
        fn = kw.pop("fn", log_prob)
        init = INIT if callable(fn) and not hasattr(fn, "__fluxion_model__") else None
        return sample(fn, init, executor=executor, **{**KW, **kw})


# ---- concurrent.futures executors -------------------------------------------------------------


@pytest.mark.parametrize("kernel", ["nuts", "hmc"])  # compiled chains; Python chains
def test_thread_and_process_pools_give_the_local_draws(kernel, compiled_nuts):
    local = _run(kernel=kernel)
    assert local.compiled == ("chain" if kernel == "nuts" else "python")
    with ThreadPoolExecutor(2) as threads:
        _same(local, _run(threads, kernel=kernel))
    with ProcessPoolExecutor(2) as processes:
        on_pool = _run(processes, kernel=kernel)
    _same(local, on_pool)
    assert on_pool.events == [] and local.events == []


def test_an_interrupted_executor_run_resumes_to_the_uninterrupted_draws(tmp_path, monkeypatch):
    whole = _run(kernel="hmc")
    original = store_module.RunStore.maybe_save

    done = {}

    def maybe_save(self, runner):  # Ctrl-C once both chains have run 120 of 200 iterations
        original(self, runner)
        done[runner.chain] = runner.done
        if len(done) == 2 and min(done.values()) >= 120:
            raise KeyboardInterrupt

    d = tmp_path / "run"
    with ThreadPoolExecutor(2) as pool:
        with monkeypatch.context() as m:
            m.setattr(store_module.RunStore, "maybe_save", maybe_save)
            part = _run(pool, kernel="hmc", save_dir=d, checkpoint_every=0.0)
        assert part.interrupted and 0 < part.draws["y"].shape[1] < KW["draws"]
        resumed = _run(pool, kernel="hmc", save_dir=d, resume=True)
    _same(whole, resumed)


def test_bad_executor_arguments_are_clear_errors():
    with pytest.raises(TypeError, match="sample: expected executor to be a concurrent.futures"):
        _run(executor=object())
    with pytest.raises(TypeError, match="got int"):
        _run(executor=4)
    with ThreadPoolExecutor(1) as pool, pytest.raises(ValueError, match="not both"):
        _run(pool, chain_method="threads")
    closure = lambda p: log_prob(p)  # noqa: E731 - a process pool cannot pickle it
    with ProcessPoolExecutor(1) as pool, pytest.raises(
        TypeError, match="cannot be sent to the executor's workers.*module level"
    ):
        _run(pool, fn=closure)


# ---- dask.distributed ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


# the compiled core with the tape; with jit=False, with the model called back in Python
@pytest.mark.parametrize("extra", [{}, {"jit": False}])
def test_chains_on_a_dask_cluster_give_the_local_draws(client, extra, compiled_nuts):
    local = _run(**extra)
    on_cluster = _run(client, **extra)
    assert on_cluster.compiled == local.compiled == "chain"
    assert on_cluster.potential == local.potential == ("python" if extra else "tape")
    _same(local, on_cluster)
    assert on_cluster.events == []


def test_a_conditioned_model_on_the_cluster_gives_the_local_draws(client):
    """A model that describes itself travels by cloudpickle (its log density is a closure);
    a process pool cannot pickle it and says so."""
    import fluxion.distributions as fd

    y = np.random.default_rng(0).normal(1.0, 2.0, size=40)
    model = fd.JointDistributionNamed({
        "mu": fd.Normal(0.0, 5.0), "sigma": fd.HalfNormal(3.0),
        "y": lambda mu, sigma: fd.Normal(mu, sigma),
    }).condition(y=y)
    kw = {"fn": model, "kernel": "hmc"}
    local, on_cluster = _run(**kw), _run(client, **kw)
    _same(local, on_cluster)
    np.testing.assert_array_equal(local.log_likelihood["y"], on_cluster.log_likelihood["y"])
    with ProcessPoolExecutor(1) as pool, pytest.raises(TypeError, match="model's log density"):
        _run(pool, **kw)


class _KillWhileRunning:
    """A dask client whose ``at``-th task submission kills the worker process that runs the
    task, once the scheduler reports it running there (the nanny starts a new worker)."""

    def __init__(self, client, at: int) -> None:
        self.client, self.at, self.submitted, self.killed = client, at, 0, None

    def submit(self, *args, **kwargs):
        future = self.client.submit(*args, **kwargs)
        self.submitted += 1
        if self.submitted == self.at:
            key = future.key
            where = lambda dask_scheduler, key: getattr(  # noqa: E731 - sent by value
                getattr(dask_scheduler.tasks.get(key), "processing_on", None), "address", None
            )
            for _ in range(2000):
                address = self.client.run_on_scheduler(where, key=key)
                if address is not None:
                    break
                time.sleep(0.002)
            assert address is not None, "the task never started"
            self.killed = address
            threading.Thread(target=self._kill, args=(address,), daemon=True).start()
        return future

    def _kill(self, address) -> None:
        try:  # the worker dies before it answers
            self.client.run(os._exit, 1, workers=[address])
        except Exception:  # noqa: S110
            pass

    def __getattr__(self, name):
        return getattr(self.client, name)


def test_a_worker_killed_mid_run_loses_no_draws(client):
    kw = {"fn": slow_on_workers, "jit": False, "kernel": "hmc", "num_steps": 4}
    local = _run(**kw)
    killer = _KillWhileRunning(client, at=5)  # chain 0 or 1 in its third chunk, from a snapshot
    survived = _run(killer, **kw)
    assert killer.killed is not None
    _same(local, survived)  # every draw, the re-run chunk's too
    assert survived.events, "the lost worker is not recorded"
    assert "worker lost" in survived.events[0] and "re-run from the chain's snapshot" in (
        survived.events[0]
    )
    # the cluster is whole again for whatever runs next
    client.wait_for_workers(2, timeout=60)


_DRIVER = os.getpid()  # a forked pool worker inherits this value and sees another pid


def dies_in_a_pool_worker(p):
    if os.getpid() != _DRIVER:
        os._exit(1)
    return log_prob(p)


def test_a_process_pool_whose_worker_dies_fails_clearly():
    with ProcessPoolExecutor(1) as pool, pytest.raises(
        RuntimeError, match="a worker process of the executor died while chain"
    ):
        _run(pool, fn=dies_in_a_pool_worker, kernel="hmc")


def test_chains_finished_before_a_failure_are_kept():
    """Chain 1's last chunk raises once chain 0's last chunk has finished; chain 0's draws
    ride on the error and equal those of the local run."""
    local = _run(kernel="hmc")
    with ThreadPoolExecutor(2) as pool:
        flaky = _FailOnChain(pool, chain=1, stop=KW["warmup"] + KW["draws"])
        with pytest.raises(ValueError, match="chain 1 failed") as info:
            _run(flaky, kernel="hmc")
    kept = info.value.partial_result
    assert kept.draws["y"].shape == (1, KW["draws"])
    np.testing.assert_array_equal(kept.draws["x"][0], local.draws["x"][0])
    assert any("chains 0 had finished" in n for n in info.value.__notes__)


class _FailOnChain(Executor):
    """Submits to ``pool``; chain ``chain``'s task that runs up to ``stop`` raises, after
    chain 0's task up to ``stop`` has finished (the order the test needs, whatever order the
    driver submits the chunks in: chain 0 may still be running its earlier chunks)."""

    def __init__(self, pool, chain: int, stop: int) -> None:
        self.pool, self.chain, self.stop = pool, chain, stop
        self.chain0_done = threading.Event()

    def submit(self, fn, *args, **kwargs):
        if args[1] == self.chain and args[3] == self.stop:
            def fail(*a, **k):
                self.chain0_done.wait(120)
                raise ValueError(f"chain {self.chain} failed")

            return self.pool.submit(fail)
        future = self.pool.submit(fn, *args, **kwargs)
        if args[1] == 0 and args[3] == self.stop:
            future.add_done_callback(lambda f: self.chain0_done.set())
        return future


# ---- a data-sharded log-likelihood ----------------------------------------------------------


def logistic_loglik(p, X, y):
    eta = X @ p["w"] + p["b"]
    return fnp.sum(y * eta - fnp.logaddexp(0.0, eta))


def _logistic_data(n=6000, k=5):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, k))
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(X @ np.linspace(-1, 1, k) + 0.3)))) * 1.0
    return X, y


def _numpy_logistic(p, X, y):
    """The oracle: the log-likelihood and its gradient X^T (y - sigmoid(eta)) in NumPy."""
    eta = X @ p["w"] + p["b"]
    r = y - 1 / (1 + np.exp(-eta))
    return np.sum(y * eta - np.logaddexp(0.0, eta)), {"w": X.T @ r, "b": r.sum()}


def _check_sharded(executor):
    from fluxion.optim import minimize
    from fluxion.parallel import ShardedSum, shard_rows

    X, y = _logistic_data()
    total = ShardedSum(logistic_loglik, shard_rows((X, y), 4), executor)
    p = {"w": np.linspace(0.2, -0.3, X.shape[1]), "b": np.array(0.1)}
    value, grad = total.value_and_grad(p)
    want, want_grad = _numpy_logistic(p, X, y)
    assert abs(value - want) <= 1e-12 * abs(want)
    for k in grad:
        np.testing.assert_allclose(grad[k], want_grad[k], rtol=1e-12, atol=0)
    x0 = {"w": np.zeros(X.shape[1]), "b": np.array(0.0)}
    fit = minimize(lambda q: -total(q), x0, method="L-BFGS-B", jit=False)
    import scipy.optimize

    def neg(v):
        f, g = _numpy_logistic({"w": v[:-1], "b": v[-1]}, X, y)
        return -f, -np.append(g["w"], g["b"])

    oracle = scipy.optimize.minimize(neg, np.zeros(X.shape[1] + 1), jac=True, method="L-BFGS-B")
    assert fit.success
    np.testing.assert_allclose(np.append(fit.x["w"], fit.x["b"]), oracle.x, atol=1e-5)
    assert total.calls >= fit.nfev


def test_a_sharded_log_likelihood_on_threads_equals_the_unsharded_one():
    with ThreadPoolExecutor(2) as pool:
        _check_sharded(pool)


def test_a_sharded_log_likelihood_on_the_cluster_equals_the_unsharded_one(client):
    _check_sharded(client)


def test_sharded_sum_bad_input():
    from fluxion.parallel import ShardedSum, shard_rows

    with pytest.raises(TypeError, match="ShardedSum: expected executor"):
        ShardedSum(logistic_loglik, shard_rows(np.zeros((4, 2)), 2), object())
    with pytest.raises(ValueError, match="same number of rows"):
        shard_rows((np.zeros((4, 2)), np.zeros(3)), 2)
    with pytest.raises(ValueError, match="1 <= n_shards <= 4"):
        shard_rows(np.zeros((4, 2)), 5)


def test_a_sharded_log_likelihood_in_vi_and_nuts_equals_the_unsharded_one():
    """VI (jit=False: one call per particle) and the Python NUTS (jit=False) on a ShardedSum
    follow the unsharded fits: the same seed, sums equal to rounding."""
    import fluxion.vi as vi
    from fluxion.parallel import ShardedSum, shard_rows

    X, y = _logistic_data(n=2000, k=2)
    init = {"w": np.zeros(2), "b": np.array(0.0)}

    def prior(p):
        return -0.5 * fnp.sum(p["w"] ** 2) - 0.5 * p["b"] ** 2

    with ThreadPoolExecutor(2) as pool:
        total = ShardedSum(logistic_loglik, shard_rows((X, y), 2), pool)
        sharded = lambda p: prior(p) + total(p)  # noqa: E731
        plain = lambda p: prior(p) + logistic_loglik(p, X, y)  # noqa: E731
        fits = [vi.fit(f, init, jit=False, steps=150, tol=None, progress=False, seed=4)
                for f in (sharded, plain)]
        for k in ("w", "b"):
            a, b = (f.sample_posterior(50, seed=1)[k] for f in fits)
            np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
        assert np.isfinite(fits[0].khat)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            runs = [sample(f, init, jit=False, chains=1, warmup=30, draws=30, seed=2,
                           progress=False) for f in (sharded, plain)]
        np.testing.assert_allclose(runs[0].draws["w"], runs[1].draws["w"], rtol=1e-8, atol=1e-10)


def test_laplace_on_a_sharded_log_likelihood_differences_the_exact_gradient():
    from fluxion.optim import laplace
    from fluxion.parallel import ShardedSum, shard_rows

    X, y = _logistic_data(n=2000, k=2)
    init = {"w": np.zeros(2), "b": np.array(0.0)}
    with ThreadPoolExecutor(2) as pool:
        total = ShardedSum(logistic_loglik, shard_rows((X, y), 2), pool)
        with pytest.warns(RuntimeWarning, match="central differences of its exact gradient"):
            sharded = laplace(lambda p: total(p) - 0.5 * fnp.sum(p["w"] ** 2), init, jit=False)
    plain = laplace(lambda p: logistic_loglik(p, X, y) - 0.5 * fnp.sum(p["w"] ** 2), init)
    np.testing.assert_allclose(sharded.mean, plain.mean, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(sharded.covariance, plain.covariance, rtol=1e-6, atol=1e-12)
