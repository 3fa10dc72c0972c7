"""More layers as pure functions of parameter pytrees: ``Conv1D``, ``Embedding``, ``LayerNorm``,
``Dropout`` (with explicit keys) and the ``Sequential`` combinator.

The conventions are :mod:`.layers`' (a layer object holds configuration only, ``init(key, ...)``
creates the parameter pytree, ``apply(params, x)`` consumes it) with Flax's input layouts
(channels last). Layers that draw random numbers (:class:`Dropout` and the Bayesian layers of
:mod:`.bayesian`) take ``apply(params, x, key=None, *, deterministic=False)`` and carry the class
attribute ``stochastic = True``, which is how :class:`Sequential` knows to hand them a key.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .. import random as frandom
from ..core import Tracer, aval_of
from ..numpy import core as fnp
from .activations import get_activation
from .initializers import glorot_uniform, variance_scaling, zeros
from .layers import MLP, Dense, _Layer, _positive_int

__all__ = ["Conv1D", "Dropout", "Embedding", "LayerNorm", "Sequential", "dropout"]

Array = Any
Params = Any

_GLOROT_UNIFORM = glorot_uniform()
# Flax's nn.Embed default: normal with variance 1 / features (fan_out of a (num, features) table)
_EMBED_INIT = variance_scaling(1.0, "fan_out", "normal")


def _shape_dtype(x: Any) -> tuple[tuple[int, ...], np.dtype]:
    aval = aval_of(x)
    return tuple(aval.shape), np.dtype(aval.dtype)


# --------------------------------------------------------------------------------------------
# Conv1D
# --------------------------------------------------------------------------------------------


def _conv_padding(who: str, padding: Any, length: int, eff: int, stride: int) -> tuple[int, int]:
    """``(lo, hi)`` zeros to add before/after the length axis."""
    if padding == "VALID":
        return 0, 0
    if padding == "SAME":
        # TensorFlow/Flax rule: out = ceil(L / stride); the odd zero goes after the signal
        out = -(-length // stride)
        total = max((out - 1) * stride + eff - length, 0)
        return total // 2, total - total // 2
    if padding == "CAUSAL":
        # output t sees inputs t - (eff - 1) .. t only (WaveNet-style left padding)
        return eff - 1, 0
    if isinstance(padding, tuple) and len(padding) == 2:
        return int(padding[0]), int(padding[1])
    raise ValueError(  # pragma: no cover - validated in __post_init__
        f"{who}: unknown padding {padding!r}"
    )


def _check_padding(who: str, padding: Any) -> Any:
    if isinstance(padding, str):
        up = padding.upper()
        if up in ("SAME", "VALID", "CAUSAL"):
            return up
        raise ValueError(
            f"{who}: expected padding 'SAME', 'VALID', 'CAUSAL', an int or a pair (lo, hi) of "
            f"non-negative ints, got {padding!r}"
        )
    try:
        pair = (operator.index(padding),) * 2
    except TypeError:
        try:
            pair = tuple(operator.index(p) for p in padding)
        except TypeError:
            pair = ()
    if len(pair) != 2 or min(pair) < 0 or isinstance(padding, bool):
        raise ValueError(
            f"{who}: expected padding 'SAME', 'VALID', 'CAUSAL', an int or a pair (lo, hi) of "
            f"non-negative ints, got {padding!r}"
        )
    return pair


@dataclasses.dataclass(frozen=True)
class Conv1D(_Layer):
    """A 1-D convolution over the length axis of channels-last inputs (Flax's ``nn.Conv``).

    ``y[..., t, f] = activation(sum_{j, c} xpad[..., t * strides + j * kernel_dilation, c]
    * kernel[j, c, f] + bias[f])``: a cross-correlation (no kernel flip), as in every deep
    learning library; ``xpad`` is ``x`` with the zeros ``padding`` asks for.

    Parameters
    ----------
    features : int
        Output channels ``F``.
    kernel_size : int
        ``K``, the taps of the filter.
    strides : int, default 1
    padding : "SAME" (default), "VALID", "CAUSAL", int or (int, int)
        "SAME": ``ceil(L / strides)`` outputs, zeros split evenly (the odd one after, as
        TensorFlow and Flax); "VALID": no padding; "CAUSAL": ``(K - 1) * kernel_dilation`` zeros
        before, so output ``t`` sees inputs up to ``t`` only; an int ``p``: ``p`` zeros each
        side; ``(lo, hi)``: explicit.
    kernel_dilation : int, default 1
        Spacing between taps (an "atrous" filter spans ``(K - 1) * kernel_dilation + 1``).
    use_bias : bool, default True
    activation : str or callable, optional
    kernel_init, bias_init : callable
        Glorot-uniform (fan-in ``K * C``) and zeros by default.

    Notes
    -----
    ``init(key, in_channels)`` returns ``{"kernel": (K, C, F), "bias": (F,)}``;
    ``apply(params, x)`` maps ``batch + (L, C)`` to ``batch + (L_out, F)`` with
    ``L_out = (L + lo + hi - ((K - 1) * kernel_dilation + 1)) // strides + 1``. Implemented as a
    gather of the windows followed by one matrix product, so its derivative (a scatter-add of
    the windows' cotangents) comes from the primitives'.

    Examples
    --------
    >>> conv = Conv1D(features=4, kernel_size=3)
    >>> p = conv.init(frandom.key(0), 2)
    >>> conv.apply(p, np.zeros((5, 10, 2))).shape
    (5, 10, 4)
    """

    features: int
    kernel_size: int
    strides: int = 1
    padding: Any = "SAME"
    kernel_dilation: int = 1
    use_bias: bool = True
    activation: Any = None
    kernel_init: Callable[..., Any] = _GLOROT_UNIFORM
    bias_init: Callable[..., Any] = zeros

    def __post_init__(self) -> None:
        _positive_int("Conv1D", "features", self.features)
        _positive_int("Conv1D", "kernel_size", self.kernel_size)
        _positive_int("Conv1D", "strides", self.strides)
        _positive_int("Conv1D", "kernel_dilation", self.kernel_dilation)
        object.__setattr__(self, "padding", _check_padding("Conv1D", self.padding))
        get_activation(self.activation)

    def out_features(self, in_features: int) -> int:
        """int : ``F``, the width of the output's last axis."""
        return self.features

    def output_length(self, length: int) -> int:
        """``L_out`` for inputs of length ``length`` (raises if the input is too short)."""
        eff = (self.kernel_size - 1) * self.kernel_dilation + 1
        lo, hi = _conv_padding("Conv1D", self.padding, length, eff, self.strides)
        if length + lo + hi < eff:
            raise ValueError(
                f"Conv1D: inputs of length {length} (padded to {length + lo + hi}) are shorter "
                f"than the filter's span {eff} (kernel_size {self.kernel_size}, "
                f"kernel_dilation {self.kernel_dilation}); use padding='SAME' or a smaller "
                "kernel"
            )
        return (length + lo + hi - eff) // self.strides + 1

    def init(self, key: Any, in_channels: int) -> dict[str, Array]:
        """Parameters for inputs with ``in_channels`` channels (the last axis)."""
        in_channels = _positive_int("Conv1D.init", "in_channels", in_channels)
        k1, k2 = frandom.split(key)
        params = {"kernel": self.kernel_init(k1, (self.kernel_size, in_channels, self.features))}
        if self.use_bias:
            params["bias"] = self.bias_init(k2, (self.features,))
        return params

    def apply(self, params: dict[str, Array], x: Array) -> Array:
        """The convolution's output, shape ``batch + (L_out, F)``."""
        x = fnp.asarray(x)
        shape = fnp.shape(x)
        kshape = fnp.shape(params["kernel"])
        if len(kshape) != 3:
            raise ValueError(
                f"Conv1D.apply: expected a kernel of shape (kernel_size, in_channels, features), "
                f"got {kshape}"
            )
        k, c, f = kshape
        if len(shape) < 2 or shape[-1] != c:
            raise ValueError(
                f"Conv1D.apply: expected inputs of shape batch + (length, {c}) (channels last), "
                f"got shape {shape}"
            )
        length = shape[-2]
        eff = (k - 1) * self.kernel_dilation + 1
        lo, hi = _conv_padding("Conv1D.apply", self.padding, length, eff, self.strides)
        n_out = self.output_length(length)
        if lo or hi:
            x = fnp.pad(x, [(0, 0)] * (len(shape) - 2) + [(lo, hi), (0, 0)])
        # windows[..., t, j, :] = xpad[..., t * stride + j * dilation, :]
        idx = (
            np.arange(n_out)[:, None] * self.strides + np.arange(k)[None, :] * self.kernel_dilation
        )
        windows = fnp.take(x, idx, axis=-2)
        windows = fnp.reshape(windows, fnp.shape(windows)[:-2] + (k * c,))
        y = fnp.matmul(windows, fnp.reshape(params["kernel"], (k * c, f)))
        if self.use_bias:
            y = y + params["bias"]
        return get_activation(self.activation)(y)


# --------------------------------------------------------------------------------------------
# Embedding
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Embedding(_Layer):
    """A lookup table from integer ids to vectors (Flax's ``nn.Embed``).

    Parameters
    ----------
    num_embeddings : int
        ``N``, the vocabulary size: valid ids are ``0 .. N - 1``.
    features : int
        ``F``, the width of each vector.
    embedding_init : callable
        Default: normal with variance ``1 / F`` (Flax's).

    Notes
    -----
    ``init(key)`` returns ``{"embedding": (N, F)}``; ``apply(params, ids)`` maps integer ids of
    any shape to ``ids.shape + (F,)``. The derivative with respect to the table scatter-adds:
    an id that occurs ``m`` times receives the sum of its ``m`` cotangents. Ids are checked to
    be integers; their range is checked when they are concrete (under ``jit`` they are traced,
    and an out-of-range id is then the caller's responsibility).

    Examples
    --------
    >>> emb = Embedding(num_embeddings=10, features=3)
    >>> p = emb.init(frandom.key(0))
    >>> emb.apply(p, np.array([[1, 2], [2, 9]])).shape
    (2, 2, 3)
    """

    num_embeddings: int
    features: int
    embedding_init: Callable[..., Any] = _EMBED_INIT

    def __post_init__(self) -> None:
        _positive_int("Embedding", "num_embeddings", self.num_embeddings)
        _positive_int("Embedding", "features", self.features)

    def out_features(self, in_features: Any = None) -> int:
        """int : ``F``."""
        return self.features

    def init(self, key: Any, in_features: Any = None) -> dict[str, Array]:
        """Parameters ``{"embedding": (N, F)}`` (``in_features`` is ignored: ids have none)."""
        return {"embedding": self.embedding_init(key, (self.num_embeddings, self.features))}

    def apply(self, params: dict[str, Array], ids: Array) -> Array:
        """The vectors of ``ids``, shape ``ids.shape + (F,)``."""
        table = params["embedding"]
        tshape = fnp.shape(table)
        if len(tshape) != 2:
            raise ValueError(
                f"Embedding.apply: expected an embedding table of shape (num_embeddings, "
                f"features), got {tshape}"
            )
        if not isinstance(ids, Tracer):
            ids = np.asarray(ids)
        shape, dtype = _shape_dtype(ids)
        if dtype.kind not in "iu":
            hint = ""
            if dtype.kind == "f" and not isinstance(ids, Tracer):
                if np.all(np.isfinite(ids)) and np.all(ids == np.round(ids)):
                    hint = "; convert with ids.astype(int)"
            raise TypeError(
                f"Embedding.apply: expected integer ids, got {dtype.name} array of shape "
                f"{shape}{hint}"
            )
        if not isinstance(ids, Tracer) and ids.size:
            lo, hi = int(ids.min()), int(ids.max())
            if lo < 0 or hi >= tshape[0]:
                raise ValueError(
                    f"Embedding.apply: expected ids in 0..{tshape[0] - 1} (num_embeddings "
                    f"{tshape[0]}), got ids from {lo} to {hi}"
                )
        return fnp.take(table, ids, axis=0)


# --------------------------------------------------------------------------------------------
# LayerNorm
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LayerNorm(_Layer):
    """Layer normalization over the last axis (Ba, Kiros and Hinton 2016).

    ``y = (x - mean) / sqrt(var + epsilon) * scale + bias`` with the mean and the (biased)
    variance taken over the last axis of each example.

    Parameters
    ----------
    epsilon : float, default 1e-6
        Added to the variance (Flax's default; PyTorch uses 1e-5).
    use_scale, use_bias : bool, default True
        Learn a per-feature scale (initialised to 1) and bias (initialised to 0).

    Notes
    -----
    ``init(key, features)`` returns ``{"scale": (features,), "bias": (features,)}`` (fewer keys
    when ``use_scale``/``use_bias`` are off); ``apply(params, x)`` maps
    ``batch + (features,)`` to the same shape.
    """

    epsilon: float = 1e-6
    use_scale: bool = True
    use_bias: bool = True

    def __post_init__(self) -> None:
        eps = self.epsilon
        if not isinstance(eps, int | float) or isinstance(eps, bool) or not eps >= 0:
            raise ValueError(f"LayerNorm: expected epsilon a non-negative float, got {eps!r}")

    def out_features(self, in_features: int) -> int:
        """int : the input width (normalization keeps shapes)."""
        return in_features

    def init(self, key: Any, features: int) -> dict[str, Array]:
        """Parameters for inputs with ``features`` entries in the last axis."""
        features = _positive_int("LayerNorm.init", "features", features)
        params = {}
        if self.use_scale:
            params["scale"] = fnp.ones((features,))
        if self.use_bias:
            params["bias"] = fnp.zeros((features,))
        return params

    def apply(self, params: dict[str, Array], x: Array) -> Array:
        """The normalized inputs, shape ``x.shape``."""
        x = fnp.asarray(x)
        shape = fnp.shape(x)
        for name in ("scale", "bias"):
            if name in params:
                n = fnp.shape(params[name])
                if len(shape) < 1 or (shape[-1],) != n:
                    raise ValueError(
                        f"LayerNorm.apply: expected inputs with {n[0] if n else '?'} features in "
                        f"the last axis (the {name}'s shape {n}), got shape {shape}"
                    )
        if len(shape) < 1:
            raise ValueError("LayerNorm.apply: expected inputs with a feature axis, got a scalar")
        mean = fnp.mean(x, axis=-1, keepdims=True)
        centred = x - mean
        var = fnp.mean(centred * centred, axis=-1, keepdims=True)
        y = centred / fnp.sqrt(var + self.epsilon)
        if self.use_scale:
            y = y * params["scale"]
        if self.use_bias:
            y = y + params["bias"]
        return y


# --------------------------------------------------------------------------------------------
# Dropout
# --------------------------------------------------------------------------------------------


def _check_rate(who: str, rate: Any) -> float:
    ok = isinstance(rate, int | float | np.floating | np.integer) and not isinstance(rate, bool)
    if not ok or not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"{who}: expected rate a float in [0, 1), got {rate!r}")
    return float(rate)


def dropout(key: Any, x: Array, rate: float, deterministic: bool = False) -> Array:
    """Inverted dropout: zero each entry with probability ``rate``, scale the rest by
    ``1 / (1 - rate)`` so that ``E[dropout(x)] = x`` (Srivastava et al. 2014).

    Parameters
    ----------
    key : array, uint32, shape ``(2,)``, or None
        Required unless ``deterministic`` or ``rate == 0``.
    x : array_like, any shape
    rate : float in [0, 1)
    deterministic : bool, default False
        True (evaluation mode) returns ``x`` unchanged.

    Returns
    -------
    Array, shape ``x.shape``
    """
    rate = _check_rate("dropout", rate)
    x = fnp.asarray(x)
    if deterministic or rate == 0.0:
        return x
    if key is None:
        raise ValueError(
            "dropout: expected a PRNG key when training (deterministic=False, rate > 0), got "
            "None; pass key=fluxion.random.key(...) or deterministic=True for evaluation"
        )
    keep = frandom.bernoulli(key, 1.0 - rate, fnp.shape(x))
    return fnp.where(keep, x / (1.0 - rate), fnp.zeros_like(x))


@dataclasses.dataclass(frozen=True)
class Dropout(_Layer):
    """Inverted dropout as a layer (see :func:`dropout`); no parameters.

    Parameters
    ----------
    rate : float in [0, 1)
        The probability of zeroing each entry.

    Notes
    -----
    ``init(key, in_features=None)`` returns ``{}``; ``apply(params, x, key=None, *,
    deterministic=False)`` maps any shape to itself. Training draws a fresh mask from ``key``;
    ``deterministic=True`` (evaluation) and ``rate=0`` are the identity.
    """

    rate: float = 0.5
    stochastic: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", _check_rate("Dropout", self.rate))

    def out_features(self, in_features: Any) -> Any:
        """The input width (dropout keeps shapes)."""
        return in_features

    def init(self, key: Any, in_features: Any = None) -> dict:
        """``{}``: dropout has no parameters."""
        return {}

    def apply(
        self, params: Any, x: Array, key: Any = None, *, deterministic: bool = False
    ) -> Array:
        """``x`` with dropout applied, shape ``x.shape``."""
        if key is None and not deterministic and self.rate > 0.0:
            raise ValueError(
                "Dropout.apply: expected a PRNG key when training (deterministic=False), got "
                "None; pass key=fluxion.random.key(...) or deterministic=True for evaluation"
            )
        return dropout(key, x, self.rate, deterministic)


# --------------------------------------------------------------------------------------------
# Sequential
# --------------------------------------------------------------------------------------------


def _out_width(layer: Any, width: Any) -> Any:
    if hasattr(layer, "out_features"):
        return layer.out_features(width)
    if isinstance(layer, Dense):
        return layer.features
    if isinstance(layer, MLP):
        return layer.features[-1]
    return width  # a parameter-free function keeps the width (an activation)


@dataclasses.dataclass(frozen=True)
class Sequential(_Layer):
    """Layers applied one after the other: ``Sequential((l1, l2, ...))``.

    Parameters
    ----------
    layers : sequence
        Layer objects (anything with ``init``/``apply``: ``Dense``, ``Conv1D``, ``Dropout``, the
        Bayesian layers, another ``Sequential``, ...), activation names (``"relu"``) or
        parameter-free callables ``f(x)``.

    Notes
    -----
    ``init(key, in_features)`` returns a list with one entry per layer (None for a function);
    each layer's input width is the previous layer's output width. ``apply(params, x, key=None,
    *, deterministic=False)`` threads ``x`` through; stochastic layers (``layer.stochastic``:
    :class:`Dropout`, the Bayesian layers) each get their own key split from ``key`` and the
    ``deterministic`` flag. ``kl(params)`` sums the ``kl`` of the layers that have one (the
    Bayesian layers' KL to their priors), the term an ELBO adds.

    Examples
    --------
    >>> net = Sequential((Dense(8), "relu", Dropout(0.1), Dense(1)))
    >>> p = net.init(frandom.key(0), 3)
    >>> net.apply(p, np.ones((4, 3)), frandom.key(1)).shape
    (4, 1)
    """

    layers: tuple = ()

    def __post_init__(self) -> None:
        layers = []
        for i, layer in enumerate(self.layers):
            if isinstance(layer, str):
                layer = get_activation(layer)
            if not (hasattr(layer, "apply") and hasattr(layer, "init")) and not callable(layer):
                raise TypeError(
                    f"Sequential: expected layer {i} to be a layer (with init/apply), an "
                    f"activation name or a callable, got {type(layer).__name__}"
                )
            layers.append(layer)
        if not layers:
            raise ValueError("Sequential: expected at least one layer")
        object.__setattr__(self, "layers", tuple(layers))

    @property
    def stochastic(self) -> bool:
        """bool : whether any layer draws random numbers (then ``apply`` needs a key)."""
        return any(getattr(layer, "stochastic", False) for layer in self.layers)

    def out_features(self, in_features: Any) -> Any:
        """The width of the output's last axis for inputs of width ``in_features``."""
        width = in_features
        for layer in self.layers:
            width = _out_width(layer, width)
        return width

    def init(self, key: Any, in_features: Any = None) -> list[Any]:
        """Parameters: a list with one pytree (None for a function) per layer."""
        keys = frandom.split(key, len(self.layers))
        params: list[Any] = []
        width = in_features
        for i, layer in enumerate(self.layers):
            if hasattr(layer, "init") and hasattr(layer, "apply"):
                if width is None:
                    params.append(layer.init(keys[i]))
                else:
                    params.append(layer.init(keys[i], width))
            else:
                params.append(None)
            width = _out_width(layer, width)
        return params

    def apply(
        self, params: list[Any], x: Array, key: Any = None, *, deterministic: bool = False
    ) -> Array:
        """The output of the last layer."""
        if not isinstance(params, list | tuple) or len(params) != len(self.layers):
            got = len(params) if isinstance(params, list | tuple) else type(params).__name__
            raise ValueError(
                f"Sequential.apply: expected a list of {len(self.layers)} layer parameters "
                f"(from Sequential.init), got {got}"
            )
        n_random = sum(1 for layer in self.layers if getattr(layer, "stochastic", False))
        keys = None
        if n_random and key is not None:
            keys = frandom.split(key, n_random)
        r = 0
        for layer, p in zip(self.layers, params):
            if getattr(layer, "stochastic", False):
                sub = None if keys is None else keys[r]
                r += 1
                x = layer.apply(p, x, sub, deterministic=deterministic)
            elif hasattr(layer, "apply") and hasattr(layer, "init"):
                x = layer.apply(p, x)
            else:
                x = layer(x)
        return x

    def kl(self, params: list[Any]) -> Array:
        """The sum of the layers' ``kl(params)`` (0.0 when no layer has one)."""
        total: Any = 0.0
        for layer, p in zip(self.layers, params):
            if hasattr(layer, "kl"):
                total = total + layer.kl(p)
        return total
