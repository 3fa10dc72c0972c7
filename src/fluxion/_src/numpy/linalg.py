"""Differentiable ``numpy.linalg`` functions (filled in with the linalg primitives)."""

__all__: list[str] = []
