"""Argument makers and row helpers shared by the special-function row modules
(``rows_special_incomplete.py``, ``rows_special_more.py``)."""

from __future__ import annotations

import numpy as np

from optable import OpCase

SHAPE = (3, 4)


def uniform(lo: float, hi: float, shape: tuple = SHAPE):
    """``make_args`` for one argument uniform in ``[lo, hi)``."""

    def make_args(rng: np.random.Generator) -> tuple:
        return (rng.uniform(lo, hi, shape),)

    return make_args


def uniforms(*ranges: tuple[float, float]):
    """``make_args`` for broadcasting arguments uniform in ``ranges``: shapes (3, 4), (4,),
    (3, 4), ..."""

    def make_args(rng: np.random.Generator) -> tuple:
        shapes = [SHAPE, SHAPE[-1:]]
        return tuple(rng.uniform(lo, hi, shapes[i % 2]) for i, (lo, hi) in enumerate(ranges))

    return make_args


def complex_uniform(re: tuple, im: tuple):
    """``make_args`` for one complex argument with uniform real and imaginary parts."""

    def make_args(rng: np.random.Generator) -> tuple:
        return (rng.uniform(*re, SHAPE) + 1j * rng.uniform(*im, SHAPE),)

    return make_args


def fixed(fn, *first):
    """``fn`` with its leading parameters fixed (held constant, not differentiated)."""

    def call(*xs):
        return fn(*first, *xs)

    return call


def row_maker(prefix: str = ""):
    """``row(name, fn, ref, make_args, prims, **kw)`` building an ``OpCase`` named
    ``prefix + name``."""

    def row(name, fn, ref, make_args, prims, **kw):
        return OpCase(name=prefix + name, fn=fn, ref=ref, make_args=make_args, prims=prims, **kw)

    return row
