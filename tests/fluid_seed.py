"""The autograd seed's fluid simulation for the tests; the code lives in examples/fluid.py."""

from fluid import advect, fluid_loss, project, simulate  # noqa: F401  (re-exported for tests)
