"""``fluxion.optim``: optimizers (optax-style gradient transformations), learning-rate schedules,
``fit``, the ``scipy.optimize`` bridge (``minimize``, ``least_squares``, ``root``) and the
Laplace approximation."""

# Each implementation module appends its public names here (one import block per module).
__all__: list[str] = []
