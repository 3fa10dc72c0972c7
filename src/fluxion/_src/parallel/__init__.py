"""Implementation of ``fluxion.parallel``: sums over data shards computed on an executor's
workers (``sharded.py``)."""
