"""Implementation of ``fluxion.scipy``: differentiable counterparts of SciPy functions."""
