"""Implementation of ``fluxion.optim`` (gradient transformations, the SciPy bridge, Laplace)."""
