"""The unconstrained model: a pytree of constrained parameters <-> one flat unconstrained vector.

One object serves every caller that works in an unconstrained space: ``mcmc.sample`` (the
potential ``log_prob(forward(u)) + log|det J_forward(u)|`` and its compiled value-and-gradient),
``optim.laplace`` (the same potential, the Gaussian and its draws) and
``optim.minimize(constraints=...)`` (the objective composed with ``forward``, no Jacobian).

Constraints are matched to parameters BY NAME. A parameter's name is its key path in ``init``:
dict keys and field names joined with ``.``, sequence positions in ``[]`` (``"sigma"``,
``"layer.w"``, ``"x[1]"``; a single array is ``"x"``). ``constraints`` may be

- a dict naming only the constrained parameters (the rest stay unconstrained), flat
  (``{"sigma": "positive", "layer.w": "simplex"}``) or nested like ``init``
  (``{"layer": {"w": "simplex"}}``); a name that is a prefix (``"layer"``) constrains every
  parameter below it, and the most specific name wins;
- a full pytree shaped like ``init`` whose leaves are specs or ``None`` (unconstrained);
- one spec for every parameter.

A spec is anything :func:`fluxion.bijectors.for_constraint` takes: ``"positive"``,
``("interval", low, high)``, ``"simplex"``, ..., or a ``Bijector`` object. An unknown name is an
error listing the parameters and the closest match; a constraint that does not fit its
parameter's shape, and a start value outside its constraint, are errors naming both.

Layering: this module imports only ``bijectors``, ``api``/``batching``/``jit``, ``numpy`` and
``tree_util``. ``optim`` (``minimize``, ``laplace``) imports it, so ``infer`` sits BELOW
``optim`` in the layer contract, with ``bijectors`` below it (``bijectors`` imports nothing of
``optim``): ``... mcmc > optim > infer > bijectors > test_util ...``. Inference code that drives
the optimizers (variational inference) therefore belongs above ``optim`` (``vi/``), not here.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

import numpy as np

from ..api import value_and_grad as _value_and_grad
from ..batching import vmap as _vmap
from ..bijectors import Bijector, Identity, for_constraint
from ..core import quote_with_closest
from ..jit import jit as _jit
from ..numpy import core as fnp
from ..tree_util import ravel_pytree, tree_flatten, tree_unflatten

__all__ = ["UnconstrainedModel", "is_constraint_spec", "leaf_names"]

# tree_util.field(static=True) marks a dataclass field with this metadata key (not a leaf)
_STATIC_FIELD = "fluxion_static"


# --------------------------------------------------------------------------------------------
# Names: the key path of every leaf, in flatten order
# --------------------------------------------------------------------------------------------


def _labeled_children(x: Any, is_leaf: Callable[[Any], bool] | None) -> list | None:
    """The immediate children of the pytree node ``x`` in flatten order, as
    ``(label, is_position, child)``; None when ``x`` is a leaf.

    The children come from flattening ``x`` one level deep, so their order is exactly
    ``tree_flatten``'s (dicts by sorted key, registered classes by their own flatten)."""
    if is_leaf is not None and is_leaf(x):
        return None
    children, node = tree_flatten(x, is_leaf=lambda child: child is not x)
    if node.is_leaf():
        return None
    labels: list[str] | None = None
    if isinstance(x, Mapping):
        aux = tuple.__getitem__(node, 1)  # dict kinds keep their keys, in order, as aux data
        keys = aux[1] if isinstance(x, collections.defaultdict) else aux
        labels = [str(k) for k in keys]
    elif isinstance(x, tuple) and hasattr(x, "_fields"):
        labels = list(x._fields)
    elif dataclasses.is_dataclass(x) and not isinstance(x, type):
        fields = dataclasses.fields(x)
        labels = [f.name for f in fields if not f.metadata.get(_STATIC_FIELD, False)]
    if labels is None or len(labels) != len(children):
        return [(str(i), True, c) for i, c in enumerate(children)]
    return [(label, False, c) for label, c in zip(labels, children)]


def _walk(x: Any, prefix: str, out: list, is_leaf: Callable[[Any], bool] | None) -> None:
    kids = _labeled_children(x, is_leaf)
    if kids is None:
        out.append((prefix, x))
        return
    for label, is_position, child in kids:
        if is_position:
            name = f"{prefix or 'x'}[{label}]"
        else:
            name = f"{prefix}.{label}" if prefix else label
        _walk(child, name, out, is_leaf)


def leaf_names(tree: Any) -> list[str]:
    """Readable names of the leaves of ``tree``, in ``tree_flatten`` order.

    Dict keys and field names are joined with ``.``, sequence positions written ``[i]`` (a
    top-level sequence is ``x[i]``); a tree that is a single leaf is ``"x"``.

    Examples
    --------
    >>> leaf_names({"mu": 0.0, "layer": {"w": [1.0, 2.0]}})
    ['layer.w[0]', 'layer.w[1]', 'mu']
    """
    out: list = []
    _walk(tree, "", out, None)
    return [name or "x" for name, _ in out]


# --------------------------------------------------------------------------------------------
# Constraints: specs matched to leaves by name
# --------------------------------------------------------------------------------------------


def is_constraint_spec(s: Any) -> bool:
    """Whether ``s`` is a constraint for one parameter: a name, ``(name, *params)`` or a
    Bijector (not a pytree of them).

    ``("interval", 0, 1)`` is one spec; ``["positive"]``, ``(None, "positive")`` or
    ``("positive", "positive")`` are pytrees of specs (a tuple spec has parameters, and a
    parameter of a constraint is never None, a string or a dict)."""
    if isinstance(s, str | Bijector):
        return True
    if isinstance(s, tuple | list) and len(s) >= 2 and isinstance(s[0], str):
        return not any(p is None or isinstance(p, str | Mapping) for p in s[1:])
    return False


def _is_terminal(s: Any) -> bool:
    return s is None or is_constraint_spec(s)


def _covers(entry: str, name: str) -> bool:
    """Whether the constraint entry ``entry`` names the leaf ``name`` or a subtree holding it."""
    return (
        entry == "" or name == entry or name.startswith(entry + ".") or name.startswith(entry + "[")
    )


def _parents(name: str) -> list[str]:
    """``"a.b[0]"`` -> ``["a", "a.b"]``: the subtrees a constraint may name."""
    out = []
    for i, ch in enumerate(name):
        if ch in ".[" and i:
            out.append(name[:i])
    return out


def _unknown_names_error(who: str, unknown: list[str], names: list[str]) -> ValueError:
    shown = ", ".join(repr(n) for n in names[:20]) + (", ..." if len(names) > 20 else "")
    example = f"{{{names[0]!r}: 'positive'}}"
    if all(u.startswith("x[") for u in unknown) and not names[0].startswith("x["):
        # a list of specs for named parameters: matching it by position is what went wrong before
        return ValueError(
            f"{who}: constraints is a sequence, but the parameters have names ({shown}); give "
            f"a dict naming the constrained parameters, e.g. {example}"
        )
    candidates = sorted(set(names).union(*(_parents(n) for n in names)))
    which = "is not a parameter" if len(unknown) == 1 else "are not parameters"
    return ValueError(
        f"{who}: constraints name {quote_with_closest(unknown, candidates)}, which {which}; "
        f"the parameters are {shown}"
    )


def _match_constraints(who: str, constraints: Any, names: list[str]) -> list:
    """One spec (or None) per leaf, matched by name; the most specific entry wins."""
    if constraints is None:
        return [None] * len(names)
    entries: list = []
    _walk(constraints, "", entries, _is_terminal)
    chosen: list[tuple[int, Any] | None] = [None] * len(names)
    index = {name: i for i, name in enumerate(names)}
    unknown = []
    for entry, spec in entries:
        # a leaf's own name is the common case (a pytree of specs): no scan over the names
        hits = (
            [index[entry]]
            if entry in index
            else [i for i, name in enumerate(names) if _covers(entry, name)]
        )
        if not hits:
            unknown.append(entry)
            continue
        for i in hits:
            previous = chosen[i]
            if previous is not None and previous[0] == len(entry):
                raise ValueError(
                    f"{who}: the constraint of {names[i]!r} is given twice (as a nested dict "
                    "and as a dotted name); give it once"
                )
            if previous is None or len(entry) > previous[0]:
                chosen[i] = (len(entry), spec)
    if unknown:
        raise _unknown_names_error(who, unknown, names)
    return [c[1] if c is not None else None for c in chosen]


def _describe_spec(spec: Any) -> str:
    if isinstance(spec, list):
        spec = tuple(spec)
    return repr(spec)


def _show(x: np.ndarray) -> str:
    if x.ndim == 0:
        return repr(float(x))
    with np.printoptions(threshold=8, edgeitems=2, precision=6):
        return np.array2string(x, separator=", ")


def _init_leaf(who: str, name: str, x: Any) -> np.ndarray:
    """One start value as a float64 array: numbers only, finite (checked once, at build)."""
    if isinstance(x, str | bytes):
        raise TypeError(
            f"{who}: expected a number or an array of numbers as the start value of {name!r}, "
            f"got {type(x).__name__} {x!r}; e.g. init={{{name!r}: 0.0}}"
        )
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{who}: expected a number or an array of numbers as the start value of {name!r}, "
            f"got {type(x).__name__} ({err})"
        ) from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{who}: the start value of {name!r} is not finite: got {_show(arr)}; start from "
            "finite values"
        )
    return arr


def _check_log_prob_value(who: str, value: Any) -> None:
    """``log_prob``'s output must be a real scalar (checked while tracing: no per-call cost
    once compiled)."""
    if value is None or isinstance(value, str | bytes | list | tuple | dict):
        hint = "; did log_prob forget a `return`?" if value is None else ""
        raise TypeError(
            f"{who}: log_prob must return a scalar log density, got "
            f"{'None' if value is None else type(value).__name__}{hint}"
        )
    shape = fnp.shape(value)
    if shape != ():
        raise TypeError(
            f"{who}: log_prob must return a scalar log density, got an array of shape {shape}; "
            "add up the terms (e.g. fnp.sum(...))"
        )


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


class UnconstrainedModel:
    """A pytree of constrained parameters seen as one flat unconstrained vector ``u``.

    Parameters
    ----------
    log_prob : callable or None
        ``log_prob(params, *args) -> scalar``; ``params`` has the structure of ``init``. None
        for a pure reparameterization (``minimize``): then only the maps are available.
    init : pytree of arrays
        Start values in the constrained space; they fix the structure, the shapes and the
        names of the parameters.
    constraints : dict, pytree or spec, optional
        By name (see the module docstring): a dict naming only the constrained parameters,
        a pytree shaped like ``init`` (None = unconstrained), or one spec for every leaf.
    jit : bool, optional
        Compile :attr:`logp_and_grad` (tier 1), :attr:`logp` and :attr:`batch_logp`
        (default True).
    who : str, optional
        The function named in error messages (``"sample"``, ``"laplace"``, ``"minimize"``).

    Attributes
    ----------
    names : list of str
        The parameters' names (key paths), in flatten order; ``constrained_draws`` keys.
    shapes, u_shapes : list of tuple
        Each leaf's shape in the constrained and in the unconstrained space (they differ for
        ``"simplex"`` and ``"corr_cholesky"``).
    specs : list
        The constraint given for each leaf (None: unconstrained).
    bijectors : list of Bijector or None
        ``forward`` maps a leaf's unconstrained value into its constraint (None: identity).
    u0 : ndarray, shape ``(dim,)``
        ``init`` in the unconstrained space.
    dim : int
        The length of ``u``.
    tree : TreeDef
        The structure of ``init``.

    Raises
    ------
    ValueError
        A constraint naming no parameter (the message lists the parameters and the closest
        match), a constraint that does not fit its parameter's shape, a start value outside
        its constraint, a start value that is not finite, or an empty ``init``.
    TypeError
        A start value that is not a number or an array of numbers, or (when evaluated) a
        ``log_prob`` that returns None or a non-scalar.

    Examples
    --------
    >>> import numpy as np
    >>> m = UnconstrainedModel(None, {"mu": 0.0, "sigma": 2.0}, {"sigma": "positive"})
    >>> m.names, m.u0.round(6).tolist()
    (['mu', 'sigma'], [0.0, 0.693147])
    >>> {k: float(v) for k, v in m.forward(np.array([1.0, 0.0])).items()}
    {'mu': 1.0, 'sigma': 1.0}
    >>> UnconstrainedModel(None, {"mu": 0.0, "sigma": 2.0}, {"sgima": "positive"})
    Traceback (most recent call last):
    ...
    ValueError: UnconstrainedModel: constraints name 'sgima' (did you mean 'sigma'?), which is \
not a parameter; the parameters are 'mu', 'sigma'
    """

    def __init__(
        self,
        log_prob: Callable | None,
        init: Any,
        constraints: Any = None,
        jit: bool = True,
        *,
        who: str = "UnconstrainedModel",
    ) -> None:
        if log_prob is not None and not callable(log_prob):
            raise TypeError(f"{who}: expected a callable log density, got {type(log_prob)}")
        leaves, self.tree = tree_flatten(init)
        if not leaves:
            raise ValueError(
                f"{who}: the model has no free parameters (init is empty); pass initial values "
                "for the parameters, e.g. init={'mu': 0.0}"
            )
        self.who = who
        self.names = leaf_names(init)
        if len(self.names) != len(leaves):  # a node type the walk cannot see into
            self.names = [f"leaf {i}" for i in range(len(leaves))]
        x_leaves = [_init_leaf(who, name, x) for name, x in zip(self.names, leaves)]
        self.shapes = [x.shape for x in x_leaves]
        self.specs = _match_constraints(who, constraints, self.names)
        self.bijectors = [
            self._bijector(name, spec, x) for name, spec, x in zip(self.names, self.specs, x_leaves)
        ]
        u_leaves = [
            self._unconstrain_start(name, spec, b, x)
            for name, spec, b, x in zip(self.names, self.specs, self.bijectors, x_leaves)
        ]
        self.u_shapes = [u.shape for u in u_leaves]
        self._u_sizes = [int(np.prod(s, dtype=np.int64)) for s in self.u_shapes]
        u0, self._unravel_u = ravel_pytree(u_leaves)
        self.u0 = np.asarray(u0, dtype=np.float64)
        self.dim = self.u0.size
        self.log_prob = log_prob
        self.jit = bool(jit)

    # --- construction checks ------------------------------------------------------------------

    def _bijector(self, name: str, spec: Any, x: np.ndarray) -> Bijector | None:
        if spec is None:
            return None
        try:
            b = for_constraint(spec)
        except (ValueError, TypeError) as err:
            raise type(err)(f"{self.who}: the constraint of {name!r}: {err}") from None
        if isinstance(b, Identity):
            return None  # "real": nothing to map, nothing to add
        need = b.inverse_min_event_ndims
        if x.ndim < need:
            raise ValueError(
                f"{self.who}: constraint {_describe_spec(spec)} needs a parameter with at least "
                f"{need} dimension(s), but {name!r} has shape {x.shape}"
            )
        try:
            b.inverse_event_shape(x.shape)
        except ValueError as err:
            raise ValueError(
                f"{self.who}: constraint {_describe_spec(spec)} does not fit {name!r} of shape "
                f"{x.shape}: {err}"
            ) from None
        return b

    def _unconstrain_start(
        self, name: str, spec: Any, b: Bijector | None, x: np.ndarray
    ) -> np.ndarray:
        """``inverse(x)``, checked: finite, and mapped back onto ``x`` by ``forward`` (a point
        outside the set maps to NaN/inf, or, for a simplex or correlation factor, elsewhere)."""
        if b is None:
            return x
        try:
            with np.errstate(all="ignore"):
                u = np.asarray(b.inverse(x), dtype=np.float64)
                back = np.asarray(b.forward(u), dtype=np.float64)
        except (ValueError, FloatingPointError, ArithmeticError):
            u = back = np.full(x.shape, np.nan)
        if back.shape != x.shape:
            raise ValueError(
                f"{self.who}: constraint {_describe_spec(spec)} does not fit {name!r} of shape "
                f"{x.shape} (it maps onto shape {back.shape})"
            )
        if not (np.all(np.isfinite(u)) and np.allclose(back, x, rtol=1e-6, atol=1e-9)):
            raise ValueError(
                f"{self.who}: the start value of {name!r} is outside its constraint "
                f"{_describe_spec(spec)}: got {_show(x)}; start from a value inside it"
            )
        return u

    # --- the maps (traceable: written with fluxion.numpy) --------------------------------------

    def _forward_leaves(self, u: Any, with_log_det: bool) -> tuple[list, Any]:
        u_leaves = self._unravel_u(u)
        xs, total = [], 0.0
        for b, ul in zip(self.bijectors, u_leaves):
            if b is None:
                xs.append(ul)
                continue
            xs.append(b.forward(ul))
            if with_log_det:
                total = total + fnp.sum(b.forward_log_det_jacobian(ul, event_ndims=fnp.ndim(ul)))
        return xs, total

    def forward(self, u: Any) -> Any:
        """The constrained parameters (structure of ``init``) for ``u``, shape ``(dim,)``.

        Traceable: differentiable and jit-able in ``u``."""
        xs, _ = self._forward_leaves(u, False)
        return tree_unflatten(self.tree, xs)

    def forward_log_det(self, u: Any) -> tuple[Any, Any]:
        """``(forward(u), log|det J_forward(u)|)``; traceable."""
        xs, log_det = self._forward_leaves(u, True)
        return tree_unflatten(self.tree, xs), log_det

    def forward_flat(self, u: Any) -> Any:
        """The constrained leaves raveled into one vector (for Jacobians of the map)."""
        xs, _ = self._forward_leaves(u, False)
        return fnp.concatenate([fnp.reshape(x, (-1,)) for x in xs])

    def transform(self, fun: Callable) -> Callable:
        """``fun_u(u, *args) = fun(forward(u), *args)``: ``fun`` seen in the unconstrained
        space (no Jacobian term: the optimum of ``fun_u`` maps onto the optimum of ``fun``)."""

        def fun_u(u: Any, *args: Any) -> Any:
            return fun(self.forward(u), *args)

        return fun_u

    def potential(self, u: Any, *args: Any) -> Any:
        """``log_prob(forward(u), *args) + log|det J_forward(u)|``: the density of ``u``."""
        if self.log_prob is None:
            raise TypeError(f"{self.who}: this model has no log density (log_prob is None)")
        params, log_det = self.forward_log_det(u)
        value = self.log_prob(params, *args)
        _check_log_prob_value(self.who, value)
        return value + log_det

    def unravel(self, u: Any) -> Any:
        """``u`` split into leaves of the unconstrained shapes, structure of ``init`` (no map)."""
        return tree_unflatten(self.tree, self._unravel_u(u))

    # --- compiled potential (what the samplers call) ------------------------------------------

    def _potential_of_u(self) -> Callable:
        def potential(u: Any) -> Any:  # one argument: the graph the samplers compile
            return self.potential(u)

        return potential

    @cached_property
    def logp_and_grad(self) -> Callable:
        """``u -> (potential, gradient)``; jitted at tier 1 (numba) when ``jit`` (it falls back
        to tier 0 by itself, saying why in ``tier_info()``): it runs thousands of times."""
        vg = _value_and_grad(self._potential_of_u())
        return _jit(vg, tier=1) if self.jit else vg

    @cached_property
    def logp(self) -> Callable:
        """``u -> potential`` alone (for kernels that need no gradient, e.g. slice sampling)."""
        f = self._potential_of_u()
        return _jit(f) if self.jit else f

    @cached_property
    def batch_logp(self) -> Callable:
        """``u`` of shape ``(n, dim)`` -> the ``n`` potentials (the ensemble sampler).

        Tier 0 and never promoted, as :attr:`batch_logp_and_grad`: the same seed gives the
        same draws whenever a background compile would have finished."""
        f = _vmap(self._potential_of_u())
        return _jit(f, tier=0) if self.jit else f

    @cached_property
    def batch_logp_and_grad(self) -> Callable:
        """``u`` of shape ``(n, dim)`` -> ``(potentials (n,), gradients (n, dim))`` in one call
        (the many-chain samplers advance all chains with one call per leapfrog step).

        Jitted at tier 0 and never promoted: a promotion to tier 1 lands mid-run, when a
        background compile finishes, and the kernel's sums may round differently, so the same
        seed would not give the same draws (measured: 1e-14 differences in MEADS draws). The
        call is vectorized over the chains, which NumPy does well already."""
        f = _vmap(_value_and_grad(self._potential_of_u()))
        return _jit(f, tier=0) if self.jit else f

    # --- vectorized maps on NumPy arrays (draws) ------------------------------------------------

    def constrain_batch(self, u: np.ndarray) -> list[np.ndarray]:
        """Unconstrained vectors, shape ``batch + (dim,)`` -> the constrained leaves, each
        ``batch + shape``.

        Vectorized over the batch: each leaf's columns are reshaped to ``(n, *u_shape)`` and
        pushed through its bijector at once (bijectors take leading batch dimensions)."""
        u = np.asarray(u, dtype=np.float64)
        batch = u.shape[:-1]
        n = int(np.prod(batch, dtype=np.int64))
        flat = u.reshape(n, self.dim)
        out, offset = [], 0
        for b, u_shape, shape, size in zip(
            self.bijectors, self.u_shapes, self.shapes, self._u_sizes
        ):
            piece = flat[:, offset : offset + size].reshape((n, *u_shape))
            offset += size
            x = piece if b is None else np.asarray(b.forward(piece), dtype=np.float64)
            out.append(np.asarray(x, dtype=np.float64).reshape(batch + shape))
        return out

    def constrained_draws(self, draws: np.ndarray) -> dict[str, np.ndarray]:
        """Unconstrained draws ``(chain, draw, dim)`` -> name -> ``(chain, draw, *shape)``."""
        return dict(zip(self.names, self.constrain_batch(draws)))

    def constrain(self, u: np.ndarray) -> list[np.ndarray]:
        """The constrained leaves (NumPy) for one flat unconstrained vector."""
        return self.constrain_batch(np.asarray(u, dtype=np.float64).reshape(self.dim))

    def constrain_tree(self, u: np.ndarray) -> Any:
        """The constrained parameters (structure of ``init``, NumPy leaves) for ``u``, shape
        ``batch + (dim,)``; each leaf ``batch + shape``."""
        return tree_unflatten(self.tree, self.constrain_batch(u))

    def unconstrain_batch(self, params: Any) -> tuple[np.ndarray, np.ndarray]:
        """Constrained parameters (structure of ``init``, leaves ``batch + shape``) ->
        ``(u, log_det)``: ``u`` of shape ``batch + (dim,)`` and ``log|det J_forward(u)|`` of
        shape ``batch``."""
        leaves = self.tree.flatten_up_to(params)
        us, log_det, batch = [], np.zeros(()), ()
        for name, b, shape, u_shape, leaf in zip(
            self.names, self.bijectors, self.shapes, self.u_shapes, leaves
        ):
            leaf = np.asarray(leaf, dtype=np.float64)
            nb = leaf.ndim - len(shape)
            if nb < 0 or leaf.shape[nb:] != tuple(shape):
                raise ValueError(
                    f"{self.who}: expected {name!r} of shape batch + {tuple(shape)}, got "
                    f"{leaf.shape}"
                )
            batch = leaf.shape[:nb]
            if b is None:
                u = leaf
            else:
                u = np.asarray(b.inverse(leaf), dtype=np.float64)
                ldj = b.forward_log_det_jacobian(u, event_ndims=len(u_shape))
                log_det = log_det + np.asarray(ldj, dtype=np.float64)
            us.append(u.reshape(batch + (-1,)))
        u = np.concatenate(us, axis=-1) if us else np.zeros(batch + (0,))
        return u, np.broadcast_to(log_det, u.shape[:-1])

    def __repr__(self) -> str:
        constrained = {
            n: _describe_spec(s) for n, s, b in zip(self.names, self.specs, self.bijectors) if b
        }
        return (
            f"UnconstrainedModel({len(self.names)} parameters, dim={self.dim}, "
            f"constrained={constrained})"
        )


# --------------------------------------------------------------------------------------------
# Models that describe themselves: the ``__fluxion_model__`` protocol
# --------------------------------------------------------------------------------------------


def model_spec(obj: Any) -> Any:
    """``obj.__fluxion_model__()`` (a ``distributions.ModelSpec``: ``log_prob``, ``init``,
    ``constraints``, ``observed``, ``log_likelihood``) for an object that describes itself as a
    model, such as a conditioned joint distribution; None for anything else (a callable)."""
    method = getattr(type(obj), "__fluxion_model__", None)
    return None if method is None else method(obj)


def resolve_model(
    who: str, log_prob: Any, init: Any, constraints: Any
) -> tuple[Callable, Any, Any, Any]:
    """``(log_prob, init, constraints, spec)`` for a driver's first arguments.

    A model object (``__fluxion_model__``) gives its log density, its start values and its
    bijectors by name; ``init`` and ``constraints`` given by the user override them by name (an
    unknown name is an error naming the closest free variable). A plain callable needs
    ``init``; ``spec`` is then None.
    """
    spec = model_spec(log_prob)
    if spec is None:
        if init is None:
            raise TypeError(
                f"{who}: expected init, the start values of the parameters (e.g. "
                "init={'mu': 0.0}), with a log density callable; a conditioned joint "
                "distribution (model.condition(y=data)) brings its own"
            )
        return log_prob, init, constraints, None
    names = list(spec.init)
    start = dict(spec.init)
    if init is not None:
        if not isinstance(init, Mapping):
            raise TypeError(
                f"{who}: expected init as a dict by free variable name ({', '.join(names)}), "
                f"got {type(init).__name__}"
            )
        unknown = [k for k in init if k not in start]
        if unknown:
            raise _unknown_init_error(who, unknown, names)
        start.update(init)
    specs: dict[str, Any] = dict(spec.constraints)
    if constraints is not None:
        if not isinstance(constraints, Mapping):
            raise TypeError(
                f"{who}: expected constraints as a dict by free variable name, got "
                f"{type(constraints).__name__}"
            )
        specs.update(constraints)  # unknown names: UnconstrainedModel's error
        for name, c in constraints.items():
            if name in start and (init is None or name not in init) and c is not None:
                start[name] = _start_inside(who, name, c, start[name])
    return spec.log_prob, start, specs, spec


def _start_inside(who: str, name: str, spec: Any, x: Any) -> np.ndarray:
    """A start value inside a constraint the user put in place of the model's own: the
    constraint's bijector's image of zeros (the model's start may lie outside it)."""
    try:
        b = for_constraint(spec)
        shape = tuple(b.inverse_event_shape(np.shape(x)))
        return np.asarray(b.forward(np.zeros(shape)), dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{who}: the constraint of {name!r}: {err}") from None


def _unknown_init_error(who: str, unknown: list[str], names: list[str]) -> ValueError:
    return ValueError(
        f"{who}: init names {quote_with_closest(unknown, names)}, not a free variable of the "
        f"model; the free variables are {', '.join(map(repr, names))}"
    )


def pointwise_log_likelihood(spec: Any, draws: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each observed variable's pointwise log-likelihood at every draw.

    Parameters
    ----------
    spec : ModelSpec
    draws : dict
        Free variable name -> draws of shape ``(chain, draw, *shape)``.

    Returns
    -------
    dict
        Observed name -> array of shape ``(chain, draw, *batch)`` (the variable's batch shape;
        its event dimensions summed), as ``arviz``'s ``log_likelihood`` group wants.
    """
    names = list(spec.init)
    first = np.asarray(draws[names[0]])
    lead = first.shape[:2]
    n = int(np.prod(lead, dtype=np.int64))
    flat = {
        k: np.asarray(draws[k], dtype=np.float64).reshape((n,) + np.shape(draws[k])[2:])
        for k in names
    }
    try:
        out = _jit(_vmap(spec.log_likelihood))(flat)
    except (TypeError, ValueError, NotImplementedError):
        # a density vmap cannot batch (Python control flow on a batched value raises
        # ConcretizationError, a TypeError; a primitive without a batching rule,
        # NotImplementedError): one draw at a time, where a real error in the density surfaces
        rows = [spec.log_likelihood({k: v[i] for k, v in flat.items()}) for i in range(n)]
        out = {k: np.stack([np.asarray(r[k]) for r in rows]) for k in rows[0]}
    return {
        k: np.asarray(v, dtype=np.float64).reshape(lead + np.shape(v)[1:]) for k, v in out.items()
    }
