"""Layers as pure functions of parameter pytrees: ``Dense``, ``MLP`` and
``AutoregressiveNetwork`` (MADE, Germain et al. 2015, as TFP's ``tfb.AutoregressiveNetwork``).

A layer object holds only its configuration (it is hashable and static under ``jit``); its
parameters are a pytree of arrays that ``layer.init(key, ...)`` creates and
``layer.apply(params, x)`` consumes. ``layer.bind(params)`` gives a callable pytree
(:class:`Bound`) whose leaves are the parameters, which is how a network is handed to a
bijector (``MaskedAutoregressiveFlow(made.bind(params))``) while gradients still reach the
parameters.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import random as frandom
from .. import tree_util
from ..numpy import core as fnp
from .activations import get_activation
from .initializers import glorot_uniform, zeros

__all__ = ["AutoregressiveNetwork", "Bound", "Dense", "MLP", "made_masks"]

Array = Any
Params = Any

_GLOROT_UNIFORM = glorot_uniform()


@tree_util.dataclass
class Bound:
    """A layer with its parameters: ``Bound(params, layer)(x) == layer.apply(params, x)``.

    A pytree whose leaves are ``params`` (the layer is static), so a bound network passed
    into a bijector, ``jit`` or ``grad`` carries its parameters as traced leaves.

    Parameters
    ----------
    params : pytree of arrays
    layer : Dense, MLP or AutoregressiveNetwork (anything with ``apply(params, *args)``)
    """

    params: Any
    layer: Any = tree_util.field(static=True)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.layer.apply(self.params, *args, **kwargs)


class _Layer:
    def bind(self, params: Params) -> Bound:
        """The layer with ``params`` as a callable pytree (see :class:`Bound`)."""
        return Bound(params, self)


def _in_features(who: str, x: Array, n: int) -> None:
    shape = fnp.shape(x)
    if len(shape) < 1 or shape[-1] != n:
        raise ValueError(
            f"{who}: expected inputs with {n} features in the last axis, got shape {shape}"
        )


def _positive_int(who: str, arg: str, v: Any) -> int:
    if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 1:
        raise ValueError(f"{who}: expected {arg} to be a positive int, got {v!r}")
    return int(v)


@dataclasses.dataclass(frozen=True)
class Dense(_Layer):
    """``y = activation(x @ kernel + bias)``.

    Parameters
    ----------
    features : int
        Output width.
    use_bias : bool, default True
    activation : str or callable, optional
        None (default) for a linear layer.
    kernel_init, bias_init : callable
        ``init(key, shape, dtype)``; defaults Glorot-uniform and zeros.

    Notes
    -----
    ``init(key, in_features)`` returns ``{"kernel": (in_features, features), "bias":
    (features,)}``; ``apply(params, x)`` maps ``batch + (in_features,)`` to
    ``batch + (features,)``.
    """

    features: int
    use_bias: bool = True
    activation: Any = None
    kernel_init: Callable[..., Any] = _GLOROT_UNIFORM
    bias_init: Callable[..., Any] = zeros

    def __post_init__(self) -> None:
        _positive_int("Dense", "features", self.features)
        get_activation(self.activation)

    def init(self, key: Any, in_features: int) -> dict[str, Array]:
        """Parameters for inputs of width ``in_features``."""
        in_features = _positive_int("Dense.init", "in_features", in_features)
        k1, k2 = frandom.split(key)
        params = {"kernel": self.kernel_init(k1, (in_features, self.features))}
        if self.use_bias:
            params["bias"] = self.bias_init(k2, (self.features,))
        return params

    def apply(self, params: dict[str, Array], x: Array) -> Array:
        """``activation(x @ kernel + bias)``."""
        x = fnp.asarray(x)
        _in_features("Dense.apply", x, fnp.shape(params["kernel"])[0])
        y = fnp.matmul(x, params["kernel"])
        if self.use_bias:
            y = y + params["bias"]
        return get_activation(self.activation)(y)


@dataclasses.dataclass(frozen=True)
class MLP(_Layer):
    """A multilayer perceptron: dense layers with an activation between them.

    Parameters
    ----------
    features : sequence of int
        The width of each layer, the last one the output width.
    activation : str or callable, default "relu"
    activate_final : bool, default False
        Apply the activation after the last layer too.
    kernel_init, bias_init : callable

    Notes
    -----
    ``init(key, in_features)`` returns a list of :class:`Dense` parameter dicts;
    ``apply(params, x)`` maps ``batch + (in_features,)`` to ``batch + (features[-1],)``.
    """

    features: tuple = ()
    activation: Any = "relu"
    activate_final: bool = False
    kernel_init: Callable[..., Any] = _GLOROT_UNIFORM
    bias_init: Callable[..., Any] = zeros

    def __post_init__(self) -> None:
        feats = tuple(self.features)
        if not feats:
            raise ValueError("MLP: expected at least one layer width in features")
        for f in feats:
            _positive_int("MLP", "every width in features", f)
        object.__setattr__(self, "features", feats)
        get_activation(self.activation)

    def _layers(self) -> list[Dense]:
        return [Dense(f, True, None, self.kernel_init, self.bias_init) for f in self.features]

    def init(self, key: Any, in_features: int) -> list[dict[str, Array]]:
        """Parameters for inputs of width ``in_features``."""
        keys = frandom.split(key, len(self.features))
        params, width = [], in_features
        for i, layer in enumerate(self._layers()):
            params.append(layer.init(keys[i], width))
            width = layer.features
        return params

    def apply(self, params: list[dict[str, Array]], x: Array) -> Array:
        """The network's output."""
        act = get_activation(self.activation)
        layers = self._layers()
        if len(params) != len(layers):
            raise ValueError(
                f"MLP.apply: expected {len(layers)} layer parameters, got {len(params)}"
            )
        for i, (layer, p) in enumerate(zip(layers, params, strict=True)):
            x = layer.apply(p, x)
            if i < len(layers) - 1 or self.activate_final:
                x = act(x)
        return x


@functools.lru_cache(maxsize=256)
def _made_masks_cached(
    event_size: int,
    hidden_units: tuple[int, ...],
    params: int,
    input_order: Any,
    hidden_degrees: str,
    seed: int,
) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    rng = np.random.default_rng(seed)
    d = event_size
    if isinstance(input_order, str):
        if input_order == "left-to-right":
            deg_in = np.arange(1, d + 1)
        elif input_order == "right-to-left":
            deg_in = np.arange(d, 0, -1)
        elif input_order == "random":
            deg_in = rng.permutation(d) + 1
        else:
            raise ValueError(
                "AutoregressiveNetwork: expected input_order 'left-to-right', 'right-to-left', "
                f"'random' or a permutation of 1..{d}, got {input_order!r}"
            )
    else:
        deg_in = np.asarray(input_order, dtype=np.int64)
        if deg_in.shape != (d,) or not np.array_equal(np.sort(deg_in), np.arange(1, d + 1)):
            raise ValueError(
                f"AutoregressiveNetwork: expected input_order to be a permutation of 1..{d}, got "
                f"{input_order!r}"
            )
    degrees = [deg_in]
    for units in hidden_units:
        if hidden_degrees == "equal":
            # spread evenly over 1..d-1 (TFP's rule); a unit of degree k sees inputs 1..k
            deg = np.ceil(np.arange(1, units + 1) * (d - 1) / float(units + 1)).astype(np.int64)
        elif hidden_degrees == "random":
            low = min(int(np.min(degrees[-1])), d - 1)
            deg = rng.integers(low, d, size=units) if d > 1 else np.zeros(units, np.int64)
        else:
            raise ValueError(
                "AutoregressiveNetwork: expected hidden_degrees 'equal' or 'random', got "
                f"{hidden_degrees!r}"
            )
        degrees.append(deg)
    masks = []
    for prev, nxt in zip(degrees[:-1], degrees[1:], strict=True):
        masks.append((prev[:, None] <= nxt[None, :]).astype(np.float64))
    # an output of degree k may only see units of degree < k (strict: the autoregressive property)
    deg_out = np.repeat(deg_in, params)
    masks.append((degrees[-1][:, None] < deg_out[None, :]).astype(np.float64))
    for m in masks:
        m.setflags(write=False)
    return deg_in, tuple(masks)


def made_masks(
    event_size: int,
    hidden_units: Sequence[int],
    params: int = 1,
    input_order: Any = "left-to-right",
    hidden_degrees: str = "equal",
    seed: int = 0,
) -> tuple[np.ndarray, ...]:
    """The connectivity masks of a MADE (Germain et al. 2015).

    Each input ``i`` gets a degree ``d_i`` (its position in ``input_order``), each hidden unit
    a degree in ``1..D-1``; a weight from a unit of degree ``a`` into a hidden unit of degree
    ``b`` is kept when ``a <= b``, into an output of degree ``k`` when ``a < k``. Output
    ``(i, p)`` (``params`` outputs per input) then depends only on inputs of smaller degree.

    Parameters
    ----------
    event_size : int
        ``D``, the number of inputs.
    hidden_units : sequence of int
    params : int, default 1
        Outputs per input.
    input_order : "left-to-right", "right-to-left", "random" or a permutation of 1..D
    hidden_degrees : "equal" or "random"
    seed : int
        For the random choices.

    Returns
    -------
    tuple of numpy.ndarray
        One 0/1 mask per layer, shapes ``(D, h_1), (h_1, h_2), ..., (h_L, D * params)``; output
        columns are ordered ``(i, p)`` with ``p`` fastest.
    """
    return _made_masks_cached(
        _positive_int("made_masks", "event_size", event_size),
        tuple(_positive_int("made_masks", "hidden units", h) for h in hidden_units),
        _positive_int("made_masks", "params", params),
        input_order if isinstance(input_order, str) else tuple(int(v) for v in input_order),
        hidden_degrees,
        int(seed),
    )[1]


@dataclasses.dataclass(frozen=True)
class AutoregressiveNetwork(_Layer):
    """A masked autoregressive dense network (MADE), TFP's ``tfb.AutoregressiveNetwork``.

    ``apply(params, x)[..., i, :]`` depends only on the inputs before ``i`` in ``input_order``
    (Germain et al. 2015), which is what :class:`fluxion.bijectors.MaskedAutoregressiveFlow`
    needs from its ``shift_and_log_scale_fn``.

    Parameters
    ----------
    params : int
        Outputs per input (2 for a shift and a log-scale).
    event_shape : int or (int,)
        ``D``, the input size.
    hidden_units : sequence of int
        Widths of the hidden layers.
    activation : str or callable, default "relu"
    input_order : "left-to-right" (default), "right-to-left", "random" or a permutation of 1..D
    hidden_degrees : "equal" (default) or "random"
    use_bias : bool, default True
    kernel_initializer, bias_initializer : callable
        Glorot-uniform and zeros by default (TFP's).
    seed : int, default 0
        For ``"random"`` orders and degrees (the masks are fixed by the configuration).

    Notes
    -----
    ``init(key)`` returns a list of ``{"kernel", "bias"}`` dicts (kernels unmasked; the mask
    multiplies them in ``apply``, so masked entries get zero gradient). ``apply(params, x)``
    maps ``batch + (D,)`` to ``batch + (D, params)``.

    Examples
    --------
    >>> made = AutoregressiveNetwork(params=2, event_shape=3, hidden_units=(8,))
    >>> p = made.init(frandom.key(0))
    >>> made.apply(p, np.zeros(3)).shape
    (3, 2)
    """

    params: int
    event_shape: Any
    hidden_units: tuple = ()
    activation: Any = "relu"
    input_order: Any = "left-to-right"
    hidden_degrees: str = "equal"
    use_bias: bool = True
    kernel_initializer: Callable[..., Any] = _GLOROT_UNIFORM
    bias_initializer: Callable[..., Any] = zeros
    seed: int = 0

    def __post_init__(self) -> None:
        who = "AutoregressiveNetwork"
        _positive_int(who, "params", self.params)
        es = self.event_shape
        if isinstance(es, int | np.integer) and not isinstance(es, bool):
            es = (int(es),)
        try:
            es = tuple(int(s) for s in es)
        except TypeError:
            raise ValueError(f"{who}: expected event_shape an int or (int,), got {es!r}") from None
        if len(es) != 1 or es[0] < 1:
            raise ValueError(f"{who}: expected event_shape a positive int or (D,), got {es!r}")
        object.__setattr__(self, "event_shape", es)
        object.__setattr__(
            self,
            "hidden_units",
            tuple(_positive_int(who, "hidden units", h) for h in self.hidden_units),
        )
        if not isinstance(self.input_order, str):
            object.__setattr__(self, "input_order", tuple(int(v) for v in self.input_order))
        get_activation(self.activation)
        self.masks()  # validates the orders

    @property
    def event_size(self) -> int:
        """int : ``D``."""
        return self.event_shape[0]

    def masks(self) -> tuple[np.ndarray, ...]:
        """The layer masks (see :func:`made_masks`)."""
        return made_masks(
            self.event_size,
            self.hidden_units,
            self.params,
            self.input_order,
            self.hidden_degrees,
            self.seed,
        )

    def init(self, key: Any) -> list[dict[str, Array]]:
        """Parameters: one ``{"kernel", "bias"}`` dict per layer."""
        widths = (self.event_size,) + self.hidden_units + (self.event_size * self.params,)
        keys = frandom.split(key, 2 * (len(widths) - 1))
        out = []
        for i in range(len(widths) - 1):
            p = {"kernel": self.kernel_initializer(keys[2 * i], (widths[i], widths[i + 1]))}
            if self.use_bias:
                p["bias"] = self.bias_initializer(keys[2 * i + 1], (widths[i + 1],))
            out.append(p)
        return out

    def apply(self, params: list[dict[str, Array]], x: Array) -> Array:
        """Outputs of shape ``batch + (D, params)``."""
        x = fnp.asarray(x)
        shape = fnp.shape(x)
        if len(shape) < 1 or shape[-1] != self.event_size:
            raise ValueError(
                f"AutoregressiveNetwork.apply: the network was built for events of size "
                f"{self.event_size}, got inputs of shape {shape}"
            )
        masks = self.masks()
        if len(params) != len(masks):
            raise ValueError(
                f"AutoregressiveNetwork.apply: expected {len(masks)} layer parameters, got "
                f"{len(params)}"
            )
        act = get_activation(self.activation)
        h = x
        for i, (p, m) in enumerate(zip(params, masks, strict=True)):
            if fnp.shape(p["kernel"]) != m.shape:
                raise ValueError(
                    f"AutoregressiveNetwork.apply: layer {i} kernel has shape "
                    f"{fnp.shape(p['kernel'])}, expected {m.shape}"
                )
            h = fnp.matmul(h, p["kernel"] * m)
            if self.use_bias:
                h = h + p["bias"]
            if i < len(masks) - 1:
                h = act(h)
        return fnp.reshape(h, fnp.shape(h)[:-1] + (self.event_size, self.params))
