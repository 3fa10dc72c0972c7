"""Every fluxion.numpy function with an ``axis`` argument, given an out-of-range axis on a traced
value, raises an error that names the function the user called (not a reduction inside it)."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import fluxion
import fluxion.numpy as fnp


def _functions_with_axis() -> list[str]:
    names = []
    for name in fnp.__all__:
        fn = getattr(fnp, name)
        if not callable(fn) or inspect.isclass(fn) or inspect.ismodule(fn):
            continue
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            continue
        if "axis" in params:
            names.append(name)
    return names


NAMES = _functions_with_axis()


def test_the_sweep_is_wide() -> None:
    assert len(NAMES) > 60 and {"mean", "nanmean", "average", "sort", "cumsum"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_out_of_range_axis_names_the_function(name: str) -> None:
    fn = getattr(fnp, name)

    def loss(x):
        return fnp.sum(fnp.asarray(fn(x, axis=7), dtype=float))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as info:
            fluxion.grad(loss)(np.ones((2, 3)))
    assert not isinstance(info.value, RecursionError | AttributeError | KeyError), info.value
    assert name in str(info.value), f"{name}: error does not name it: {info.value}"
