"""``fluxion.parallel``: work spread over an executor's workers.

``ShardedSum(fn, shard_rows(arrays, n), client)``: a log-likelihood that is a sum over rows of
data, its shards kept on a ``dask.distributed`` cluster's workers (or run on a
``concurrent.futures`` executor), value and gradient computed per shard and added up; use it
with ``optim.minimize(..., jit=False)``. Chains run on executors through
``fluxion.mcmc.sample(..., executor=...)``.
"""

from fluxion._src.parallel.sharded import ShardedSum as ShardedSum
from fluxion._src.parallel.sharded import shard_rows as shard_rows

__all__ = ["ShardedSum", "shard_rows"]
