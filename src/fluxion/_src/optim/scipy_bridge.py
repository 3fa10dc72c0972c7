"""``scipy.optimize`` on pytree parameters with exact derivatives from fluxion.

:func:`minimize`, :func:`least_squares` and :func:`root` ravel the parameter pytree ``x0`` into
one float64 vector (:func:`fluxion.tree.ravel_pytree`), hand SciPy a wrapper of the user's
function on that vector together with its exact gradient / Jacobian / Hessian-vector product
(traced and compiled once with :func:`fluxion.jit` unless ``jit=False``), and map the results
back into the pytree's structure.

Every evaluation is checked for NaN and inf: a non-finite objective, gradient, residual or
Jacobian is never reported as a success (see ``NONFINITE_STATUS``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..api import hessian as _hessian
from ..api import hvp as _hvp
from ..api import jacfwd as _jacfwd
from ..api import jacrev as _jacrev
from ..api import value_and_grad as _value_and_grad
from ..core import aval_of
from ..infer.model import UnconstrainedModel, is_constraint_spec, model_spec
from ..jit import jit as _jit
from ..numpy import core as fnp
from ..tree_util import ravel_pytree, tree_flatten, tree_map, tree_structure, tree_unflatten

__all__ = ["NONFINITE_STATUS", "least_squares", "minimize", "root"]

#: ``status`` of a result whose run met a NaN or inf (SciPy's own codes are small integers).
NONFINITE_STATUS = -100

MINIMIZE_METHODS = (
    "nelder-mead",
    "powell",
    "cg",
    "bfgs",
    "newton-cg",
    "l-bfgs-b",
    "tnc",
    "cobyla",
    "cobyqa",
    "slsqp",
    "trust-constr",
    "dogleg",
    "trust-ncg",
    "trust-exact",
    "trust-krylov",
)
# Methods that never look at a gradient: they get the value alone (SciPy warns about jac).
_GRADIENT_FREE = frozenset({"nelder-mead", "powell", "cobyla", "cobyqa"})
# Methods that take Hessian-vector products (``hessp``) ...
_HESSP_METHODS = frozenset({"newton-cg", "trust-ncg", "trust-krylov", "trust-constr"})
# ... and those that take a dense Hessian (the last two require one).
_HESS_METHODS = frozenset({"newton-cg", "trust-ncg", "trust-krylov", "trust-constr", "dogleg"})
_HESS_REQUIRED = frozenset({"dogleg", "trust-exact"})
_BOUNDS_METHODS = frozenset(
    {"nelder-mead", "powell", "l-bfgs-b", "tnc", "slsqp", "trust-constr", "cobyla", "cobyqa"}
)
_CONSTRAINT_METHODS = frozenset({"cobyla", "cobyqa", "slsqp", "trust-constr"})

LEAST_SQUARES_METHODS = ("trf", "dogbox", "lm")
ROOT_METHODS = (
    "hybr",
    "lm",
    "broyden1",
    "broyden2",
    "anderson",
    "linearmixing",
    "diagbroyden",
    "excitingmixing",
    "krylov",
    "df-sane",
)
_ROOT_JAC_METHODS = frozenset({"hybr", "lm"})


# --------------------------------------------------------------------------------------------
# The flat problem: x0 raveled, args split into traced arrays and constants
# --------------------------------------------------------------------------------------------


def _is_traced_arg(x: Any) -> bool:
    """Array leaves of ``args`` are passed to the jitted function; everything else is a constant."""
    if isinstance(x, np.ndarray | np.generic):
        return x.dtype.kind in "biufc"
    dtype = getattr(x, "dtype", None)
    return getattr(x, "shape", None) is not None and dtype is not None and dtype.kind in "biufc"


def _float_leaf(name: str, x: Any) -> Any:
    if type(x) is float:
        return x
    if type(x) is int or type(x) is bool:
        return float(x)
    try:
        dtype = aval_of(x).dtype
    except TypeError:
        raise TypeError(
            f"{name}: expected x0 to be a pytree of float arrays, got a leaf of type "
            f"{type(x).__name__}"
        ) from None
    if dtype.kind not in "iubfc":
        raise TypeError(
            f"{name}: expected x0 to be a pytree of float arrays, got a leaf of dtype {dtype} "
            f"({type(x).__name__} {x!r:.40})"
        )
    if dtype.kind in "iub":
        return np.asarray(x, dtype=np.float64)  # integer starting points are converted
    if dtype.kind == "c":
        raise TypeError(
            f"{name}: expected real parameters, got a complex leaf {aval_of(x)} in x0; "
            "split it into real and imaginary parts"
        )
    return x


class _FlatProblem:
    """``fun(tree, *args)`` seen as ``fun_flat(vector, *traced_args)``."""

    def __init__(self, name: str, fun: Any, x0: Any, args: Any) -> None:
        if not callable(fun):
            raise TypeError(f"{name}: expected a callable fun, got {type(fun).__name__}")
        if not isinstance(args, tuple):
            args = (args,)  # SciPy's convention for a single extra argument
        x0 = tree_map(lambda leaf: _float_leaf(name, leaf), x0)
        flat, unravel = ravel_pytree(x0)
        self.name = name
        self.fun = fun
        self.jit_tier: int | None = None
        self.x0 = np.array(flat, dtype=np.float64)
        self.n = self.x0.size
        if self.n == 0:
            raise ValueError(
                f"{name}: x0 has no entries (got {type(x0).__name__} with {self.n} numbers); "
                "pass the starting point of the parameters, e.g. x0=np.zeros(3)"
            )
        self.unravel = unravel
        self.treedef = tree_structure(x0)
        leaves, self.args_tree = tree_flatten(args)
        self.arg_leaves = leaves
        self.traced_positions = [i for i, leaf in enumerate(leaves) if _is_traced_arg(leaf)]
        self.traced_args = tuple(leaves[i] for i in self.traced_positions)

    def rebuild_args(self, traced: tuple) -> tuple:
        leaves = list(self.arg_leaves)
        for i, value in zip(self.traced_positions, traced):
            leaves[i] = value
        return tree_unflatten(self.args_tree, leaves)

    def call(self, flat: Any, *traced: Any) -> Any:
        return self.fun(self.unravel(flat), *self.rebuild_args(traced))

    def tree(self, flat: np.ndarray) -> Any:
        return self.unravel(np.asarray(flat, dtype=np.float64))

    def compiled(self, f: Callable, jit: bool) -> Callable:
        """``f(flat, *traced_args, ...)`` bound to this problem's arrays, jitted if asked."""
        g = _jit(f, tier=self.jit_tier) if jit else f
        traced = self.traced_args

        def bound(x: np.ndarray, *rest: Any) -> Any:
            return g(np.asarray(x, dtype=np.float64), *traced, *rest)

        return bound

    def describe_x(self, flat: np.ndarray) -> str:
        with np.printoptions(threshold=12, edgeitems=3, precision=6):
            tree = self.tree(flat)
            if self.treedef == _LEAF_DEF:
                return repr(np.asarray(tree))
            return repr(tree)


_LEAF_DEF = tree_structure(0.0)

# Overflow and invalid-value warnings from inside evaluations are not printed: every evaluation
# is checked, and the result names the first non-finite one.
_quiet = np.errstate(over="ignore", invalid="ignore", divide="ignore")


class _NonFiniteAbort(Exception):
    """Raised inside an evaluation to stop SciPy after a run of non-finite values."""


#: Consecutive non-finite evaluations after which a run is stopped (a line search that
#: backtracks out of a bad region needs a few; SciPy itself may otherwise spin to its limit).
MAX_CONSECUTIVE_NONFINITE = 20


class _Tracker:
    """Counts evaluations, remembers the first non-finite one and the best finite one."""

    def __init__(self, problem: _FlatProblem) -> None:
        self.problem = problem
        self.count = 0
        self.first_bad: tuple[int, str, str, np.ndarray] | None = None  # (k, what, kind, x)
        self.consecutive_bad = 0
        self.best: tuple[float, np.ndarray, Any] | None = None  # (value, x, gradient)

    def check(self, x: np.ndarray, value: Any, what: str) -> bool:
        """Check evaluation ``count`` of ``what`` (already incremented); True if finite."""
        arr = np.asarray(value)
        if arr.dtype == object or np.all(np.isfinite(arr)):
            return True
        if self.first_bad is None:
            kind = "nan" if np.any(np.isnan(arr)) else "inf"
            self.first_bad = (self.count, what, kind, np.array(x, dtype=np.float64))
        return False

    def evaluated(self, x: np.ndarray, finite: bool, value: float, grad: Any = None) -> None:
        """Book-keeping after one objective evaluation; may stop the run."""
        if finite:
            self.consecutive_bad = 0
            if self.best is None or value < self.best[0]:
                self.best = (value, np.array(x, dtype=np.float64), grad)
            return
        self.consecutive_bad += 1
        if self.count == 1 or self.consecutive_bad >= MAX_CONSECUTIVE_NONFINITE:
            raise _NonFiniteAbort

    def message(self, hint: str) -> str:
        k, what, kind, x = self.first_bad
        return (
            f"{self.problem.name}: the {what} returned {kind} at evaluation {k} "
            f"(x = {self.problem.describe_x(x)}); {hint}"
        )

    def aborted_result(self, x0: np.ndarray) -> Any:
        """The result of a run stopped by ``_NonFiniteAbort``: the best finite point seen."""
        import scipy.optimize as so

        if self.best is not None:
            value, x, grad = self.best
        else:
            value, x, grad = np.nan, np.array(x0, dtype=np.float64), None
        stopped = (
            "the starting point is not finite"
            if self.count == 1
            else f"{MAX_CONSECUTIVE_NONFINITE} consecutive non-finite evaluations"
        )
        res = so.OptimizeResult(
            x=x,
            fun=value,
            nfev=self.count,
            njev=self.count if grad is not None else 0,
            nit=0,
            success=False,
            status=NONFINITE_STATUS,
            message=f"stopped: {stopped}",
        )
        if grad is not None:
            res["jac"] = grad
        return res


def _mark_nonfinite(res: Any, tracker: _Tracker, hint: str) -> None:
    if tracker.first_bad is None:
        return
    res["scipy_success"] = bool(res.get("success", False))  # False for a stopped run
    res["scipy_status"] = res.get("status")
    res["scipy_message"] = res.get("message")
    res["success"] = False
    res["status"] = NONFINITE_STATUS
    res["message"] = tracker.message(hint)


# --------------------------------------------------------------------------------------------
# Bounds as pytrees
# --------------------------------------------------------------------------------------------


def _is_pair(b: Any) -> bool:
    return isinstance(b, tuple | list) and len(b) == 2


def _is_scalar_bound(v: Any) -> bool:
    return v is None or (np.ndim(v) == 0 and not isinstance(v, tuple | list))


def _leaf_bounds(name: str, spec: Any, shape: tuple, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Low and high arrays of ``shape`` for one leaf of x0 (None / ±inf: unbounded)."""
    size = int(np.prod(shape, dtype=np.int64))
    if spec is None:
        return np.full(size, -np.inf), np.full(size, np.inf)
    if _is_pair(spec):
        low, high = spec
    else:
        arr = np.asarray(spec, dtype=np.float64)
        if arr.shape != tuple(shape) + (2,):
            raise ValueError(
                f"{name}: expected the bounds of {where} to be None, a (low, high) pair or an "
                f"array of shape {tuple(shape) + (2,)}, got {type(spec).__name__} of shape "
                f"{arr.shape}"
            )
        low, high = arr[..., 0], arr[..., 1]

    def side(v: Any, fill: float) -> np.ndarray:
        if v is None:
            return np.full(size, fill)
        a = np.asarray(v, dtype=np.float64)
        if a.dtype == object:
            a = np.where(np.equal(v, None), fill, v).astype(np.float64)
        try:
            return np.broadcast_to(np.where(np.isnan(a), fill, a), shape).reshape(size)
        except ValueError:
            raise ValueError(
                f"{name}: the bounds of {where} have shape {a.shape}, which does not "
                f"broadcast to the parameter's shape {tuple(shape)}"
            ) from None

    lo, hi = side(low, -np.inf), side(high, np.inf)
    if np.any(lo > hi):
        raise ValueError(f"{name}: the bounds of {where} have low > high")
    return lo, hi


def _flat_bounds(name: str, bounds: Any, problem: _FlatProblem) -> tuple | None:
    """Bounds in any accepted form -> (low, high) float vectors of length n, or None."""
    import scipy.optimize as so

    n = problem.n
    if bounds is None:
        return None
    if isinstance(bounds, so.Bounds):
        lo = np.broadcast_to(np.asarray(bounds.lb, dtype=np.float64), (n,))
        hi = np.broadcast_to(np.asarray(bounds.ub, dtype=np.float64), (n,))
        return lo.copy(), hi.copy()
    leaves, treedef = tree_flatten(problem.tree(problem.x0))
    single_leaf = treedef == _LEAF_DEF
    # SciPy's flat form: a sequence of n (low, high) pairs of scalars.
    scipy_form = (
        isinstance(bounds, list | tuple)
        and len(bounds) == n
        and all(_is_pair(b) and _is_scalar_bound(b[0]) and _is_scalar_bound(b[1]) for b in bounds)
    )
    if scipy_form and (single_leaf or _structure_differs(treedef, bounds)):
        pairs = [(-np.inf if lo is None else lo, np.inf if hi is None else hi) for lo, hi in bounds]
        arr = np.array(pairs, dtype=np.float64).reshape(n, 2)
        bad = np.flatnonzero(arr[:, 0] > arr[:, 1])
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"{name}: bounds[{i}] = {tuple(bounds[i])!r} has low > high; give (low, high)"
            )
        return arr[:, 0].copy(), arr[:, 1].copy()
    if single_leaf:
        per_leaf = [bounds]
    else:
        try:
            per_leaf = treedef.flatten_up_to(bounds)
        except ValueError:
            raise ValueError(
                f"{name}: bounds must be a pytree with the structure of x0 whose leaves are None "
                f"or (low, high) pairs, or SciPy's sequence of {n} (low, high) pairs or a "
                f"scipy.optimize.Bounds; x0 is {treedef!r}, got bounds "
                f"{tree_structure(bounds)!r}"
            ) from None
    paths = _leaf_names(problem)
    lows, highs = [], []
    for spec, leaf, where in zip(per_leaf, leaves, paths):
        lo, hi = _leaf_bounds(name, spec, np.shape(leaf), where)
        lows.append(lo)
        highs.append(hi)
    if not lows:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(lows), np.concatenate(highs)


def _structure_differs(treedef: Any, bounds: Any) -> bool:
    try:
        treedef.flatten_up_to(bounds)
    except ValueError:
        return True
    return False


def _leaf_names(problem: _FlatProblem) -> list[str]:
    n = problem.treedef.num_leaves
    if n == 1:
        return ["x0"]
    return [f"leaf {i} of x0" for i in range(n)]


def _clip_x0(x0: np.ndarray, flat_bounds: tuple | None) -> np.ndarray:
    return x0 if flat_bounds is None else np.clip(x0, flat_bounds[0], flat_bounds[1])


# --------------------------------------------------------------------------------------------
# minimize
# --------------------------------------------------------------------------------------------


def _resolve_method(method: Any, bounds: Any, constraints: Any) -> Any:
    if callable(method):
        return method
    if method is None:  # SciPy's own default choice
        if constraints:
            return "slsqp"
        return "l-bfgs-b" if bounds is not None else "bfgs"
    if not isinstance(method, str) or method.lower() not in MINIMIZE_METHODS:
        raise ValueError(
            f"minimize: unknown method {method!r}; expected one of SciPy's "
            f"{', '.join(MINIMIZE_METHODS)} (case-insensitive), or a callable"
        )
    return method.lower()


def _takes_intermediate_result(callback: Callable) -> bool:
    """Whether ``callback`` uses SciPy's new style ``callback(intermediate_result=...)``
    (the parameter name is how SciPy itself tells the two apart)."""
    import inspect

    try:
        params = list(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        params = []
    return params == ["intermediate_result"]


def _wrap_callback(callback: Callable | None, problem: _FlatProblem) -> Callable | None:
    if callback is None:
        return None
    if _takes_intermediate_result(callback):

        def new_style(intermediate_result: Any) -> Any:
            import scipy.optimize as so

            r = so.OptimizeResult(intermediate_result)
            r["x_flat"] = np.array(r["x"])
            r["x"] = problem.tree(r["x"])
            return callback(intermediate_result=r)

        return new_style

    def old_style(xk: np.ndarray, *rest: Any) -> Any:
        return callback(problem.tree(xk), *rest)

    return old_style


def _wrap_constraints(constraints: Any, problem: _FlatProblem, jit: bool, method: Any) -> Any:
    """Constraint functions take the parameter pytree; their derivatives come from fluxion.

    For ``trust-constr`` every nonlinear constraint becomes a ``NonlinearConstraint`` with the
    exact Jacobian and the exact Hessian of ``v . c(x)``; the other methods get dicts with the
    exact Jacobian (COBYLA/COBYQA: values only).
    """
    import scipy.optimize as so

    if constraints is None:
        return ()
    single = isinstance(constraints, dict | so.NonlinearConstraint | so.LinearConstraint)
    items = [constraints] if single else list(constraints)
    out = []
    for i, c in enumerate(items):
        if isinstance(c, so.LinearConstraint):
            out.append(c)  # acts on the flat vector
            continue
        if isinstance(c, so.NonlinearConstraint):
            fun, cargs, lb, ub = c.fun, (), c.lb, c.ub
            user_jac = c.jac if callable(c.jac) else None
            user_hess = c.hess if callable(c.hess) else None
            keep_feasible = c.keep_feasible
            kind = None
        elif isinstance(c, dict):
            if "fun" not in c or "type" not in c:
                raise ValueError(
                    f"minimize: constraint {i} must have 'type' and 'fun' keys, got {sorted(c)}"
                )
            kind = c["type"]
            if kind not in ("eq", "ineq"):
                raise ValueError(
                    f"minimize: constraint {i} has type {kind!r}; expected 'eq' or 'ineq'"
                )
            fun = c["fun"]
            cargs = c.get("args", ())
            cargs = cargs if isinstance(cargs, tuple) else (cargs,)
            lb, ub = 0.0, (0.0 if kind == "eq" else np.inf)
            user_jac = c.get("jac")
            user_hess = None
            keep_feasible = False
        else:
            raise TypeError(
                f"minimize: expected constraints as dicts, NonlinearConstraint or "
                f"LinearConstraint, got {type(c).__name__} (constraint {i})"
            )
        value, jac, hess = _constraint_functions(fun, cargs, problem, jit)
        if user_jac is not None:

            def jac(x: np.ndarray, j: Callable = user_jac, a: tuple = cargs) -> np.ndarray:
                return np.asarray(j(problem.tree(x), *a), dtype=np.float64)

        if method == "trust-constr" or kind is None:
            out.append(
                so.NonlinearConstraint(
                    value,
                    lb,
                    ub,
                    jac=jac,
                    hess=user_hess if user_hess is not None else hess,
                    keep_feasible=keep_feasible,
                )
            )
        else:
            new = {"type": kind, "fun": value}
            if method not in ("cobyla", "cobyqa"):
                new["jac"] = jac
            out.append(new)
    return out


def _constraint_functions(fun: Callable, cargs: tuple, problem: _FlatProblem, jit: bool) -> tuple:
    def flat_fun(flat: Any, *traced: Any) -> Any:
        out = fun(problem.unravel(flat), *cargs)
        return ravel_pytree(out)[0]

    def weighted(flat: Any, *traced_and_v: Any) -> Any:
        *traced, v = traced_and_v
        return fnp.sum(v * flat_fun(flat, *traced))  # v . c(x)

    value = problem.compiled(flat_fun, jit)
    jac = problem.compiled(_jacfwd(flat_fun), jit)
    hess = problem.compiled(_hessian(weighted), jit)

    @_quiet
    def value_np(x: np.ndarray) -> np.ndarray:
        return np.array(value(x), dtype=np.float64)

    @_quiet
    def jac_np(x: np.ndarray) -> np.ndarray:
        return np.array(jac(x), dtype=np.float64).reshape(-1, problem.n)

    @_quiet
    def hess_np(x: np.ndarray, v: np.ndarray) -> np.ndarray:
        h = hess(x, np.asarray(v, dtype=np.float64))
        return np.array(h, dtype=np.float64).reshape(problem.n, problem.n)

    return value_np, jac_np, hess_np


def _is_scipy_constraint(c: Any) -> bool:
    import scipy.optimize as so

    if isinstance(c, so.NonlinearConstraint | so.LinearConstraint):
        return True
    return isinstance(c, dict) and callable(c.get("fun"))


def _model_objective(spec: Any, x0: Any, constraints: Any) -> tuple[Callable, dict, dict]:
    """A model's negative log density, start values and constraints (the user's ``x0`` and
    ``constraints`` override them by name)."""
    from ..infer.model import resolve_model

    log_prob, start, specs, _ = resolve_model(
        "minimize", _SpecModel(spec), x0, None if constraints == () else constraints
    )

    def neg_log_prob(params: Any) -> Any:
        return -log_prob(params)

    return neg_log_prob, start, specs


class _SpecModel:
    """A spec already in hand, seen as a model again (``resolve_model`` takes models)."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec

    def __fluxion_model__(self) -> Any:
        return self.spec


def _names_parameters(constraints: Any) -> bool:
    """Whether ``constraints`` constrains parameters by name (fluxion's form, shared with
    ``sample`` and ``laplace``: ``{"sigma": "positive"}``) rather than listing SciPy's
    constraint functions (dicts with a callable ``"fun"``, ``NonlinearConstraint``,
    ``LinearConstraint``)."""
    if constraints is None or _is_scipy_constraint(constraints):
        return False
    if is_constraint_spec(constraints) or isinstance(constraints, dict):
        return True
    if isinstance(constraints, list | tuple):
        scipy_items = [_is_scipy_constraint(c) for c in constraints]
        if all(scipy_items):  # the empty sequence too: no constraints
            return False
        if any(scipy_items):
            raise ValueError(
                "minimize: constraints mixes SciPy constraints (dicts with 'type' and 'fun', "
                "NonlinearConstraint, LinearConstraint) with constraints on parameters; pass one "
                "kind (constraints on parameters: a dict such as {'sigma': 'positive'})"
            )
    return True


def _constrained_callback(callback: Callable | None, model: UnconstrainedModel) -> Any:
    """The user's callback, called with constrained parameters (the run sees ``u``)."""
    if callback is None:
        return None
    if _takes_intermediate_result(callback):

        def new_style(intermediate_result: Any) -> Any:
            r = intermediate_result
            r["x_unconstrained"] = np.array(r["x_flat"])
            r["x"] = model.constrain_tree(r["x_unconstrained"])
            r["x_flat"] = _flat_constrained(model, r["x_unconstrained"])
            return callback(intermediate_result=r)

        return new_style

    def old_style(uk: np.ndarray, *rest: Any) -> Any:
        return callback(model.constrain_tree(np.asarray(uk, dtype=np.float64)), *rest)

    return old_style


def _flat_constrained(model: UnconstrainedModel, u: np.ndarray) -> np.ndarray:
    return np.concatenate([np.reshape(x, -1) for x in model.constrain(u)])


def _minimize_unconstrained(
    fun: Callable,
    x0: Any,
    args: tuple,
    constraints: Any,
    bounds: Any,
    callback: Callable | None,
    **kwargs: Any,
) -> Any:
    """``minimize`` with constraints on parameters: the optimizer runs on ``fun(forward(u))``
    in the unconstrained space (``infer.UnconstrainedModel``, the model ``sample`` and
    ``laplace`` use); the results come back constrained. No Jacobian term is added, so the
    optimum is the constrained problem's own (a MAP stays a MAP)."""
    if bounds is not None:
        raise ValueError(
            "minimize: bounds cannot be combined with constraints on parameters (the optimizer "
            "works in the unconstrained space); write the bounds as constraints, e.g. "
            "{'x': ('interval', low, high)} or {'x': ('greater_than', low)}"
        )
    x0 = tree_map(lambda leaf: _float_leaf("minimize", leaf), x0)
    model = UnconstrainedModel(None, x0, constraints, jit=False, who="minimize")
    res = minimize(
        model.transform(fun),
        model.u0,
        args,
        callback=_constrained_callback(callback, model),
        **kwargs,
    )
    u = np.array(res["x_flat"], dtype=np.float64)
    res["x_unconstrained"] = u
    res["x"] = model.constrain_tree(u)
    res["x_flat"] = _flat_constrained(model, u)
    if "jac_flat" in res:  # the gradient the optimizer saw is in u
        res["jac_unconstrained"] = res.pop("jac_flat")
        res.pop("jac", None)
    return res


def minimize(
    fun: Callable,
    x0: Any = None,
    args: tuple = (),
    *,
    method: str | Callable | None = None,
    bounds: Any = None,
    constraints: Any = (),
    tol: float | None = None,
    options: dict | None = None,
    callback: Callable | None = None,
    jit: bool = True,
    jit_tier: int | None = 0,
    hess: bool | None = None,
    has_aux: bool = False,
) -> Any:
    """Minimize a scalar function of a parameter pytree with ``scipy.optimize.minimize``.

    SciPy gets the exact gradient (one ``value_and_grad`` evaluation per point: value and
    gradient of the same ``x`` are computed together), Hessian-vector products for the methods
    that use them, and the dense Hessian where one is required or asked for; all compiled with
    :func:`fluxion.jit` by default.

    Parameters
    ----------
    fun : callable or model
        ``fun(x, *args) -> scalar`` written with ``fluxion.numpy``; ``x`` has the structure of
        ``x0``. With ``has_aux=True`` it returns ``(scalar, aux)``. Or a model
        (``__fluxion_model__``, e.g. a conditioned joint distribution): then its negative log
        density is minimized over its free variables (the MAP), from the model's start values
        (``x0``, a dict by name, overrides some) under its constraints (each variable's
        ``default_bijector``; ``constraints``, a dict by name, overrides some).
    x0 : pytree
        Starting point: an array, or a dict / tuple / dataclass ... of arrays and scalars.
        Integer leaves are converted to float64 (an integer start is almost always a typo for a
        float one; the optimizer works on floats).
    args : tuple, optional
        Extra arguments of ``fun`` (not differentiated). Array leaves are passed to the
        compiled function as arguments, other objects are constants of the run.
    method : str or callable, optional
        One of SciPy's methods (``MINIMIZE_METHODS``, case-insensitive). Default: SciPy's choice,
        BFGS, or L-BFGS-B with bounds, or SLSQP with constraints.
        ``newton-cg``, ``trust-ncg``, ``trust-krylov`` and ``trust-constr`` get ``hessp``
        (Hessian-vector products, about two gradients each); ``dogleg`` and ``trust-exact`` get
        the dense Hessian. Nelder-Mead, Powell, COBYLA and COBYQA get the value alone.
    bounds : pytree, sequence or scipy.optimize.Bounds, optional
        Either a pytree with the structure of ``x0`` whose leaves are ``None`` (unbounded),
        ``(low, high)`` pairs (each a scalar, ``None``, ``±inf`` or an array broadcasting to the
        leaf's shape) or arrays of shape ``leaf.shape + (2,)``; or SciPy's flat forms (a
        sequence of ``n`` pairs for the raveled vector, or ``Bounds``). For an array ``x0``, a
        list of ``n`` scalar pairs is read as SciPy's form. ``x0`` is clipped into the bounds.
    constraints : optional
        Either constraints on parameters, as in :func:`fluxion.mcmc.sample` and
        :func:`laplace`: a dict naming the constrained parameters (``{"sigma": "positive",
        "w": "simplex"}``; nested or dotted names for nested ``x0``), a pytree shaped like
        ``x0`` (None = unconstrained) or one spec for every leaf (see
        ``fluxion.bijectors.for_constraint``). The optimizer then works on ``fun(forward(u))``
        in the unconstrained space (``fluxion.infer.UnconstrainedModel``; no Jacobian term, so
        the optimum is ``fun``'s own) and the result comes back constrained: ``x`` and
        ``x_flat`` in the constrained space, ``x_unconstrained`` and ``jac_unconstrained`` in
        ``u`` (``jac`` is absent; ``hess_inv`` is in ``u``). Not combined with ``bounds``.
        Or SciPy's: a dict with ``"type"`` and a callable ``"fun"``, a ``NonlinearConstraint``,
        a ``LinearConstraint`` or a sequence of them; constraint functions take the parameter
        pytree and their Jacobians are computed by fluxion unless given. ``LinearConstraint``
        acts on the raveled vector.
    tol : float, optional
    options : dict, optional
        Passed to SciPy.
    callback : callable, optional
        ``callback(x)`` with ``x`` a pytree, or ``callback(intermediate_result=...)`` (SciPy's
        new style; ``intermediate_result.x`` is a pytree).
    jit : bool, optional
        Compile the value-and-gradient (and Hessian) functions with :func:`fluxion.jit`
        (default True). Each call of ``minimize`` traces them once.
    jit_tier : {None, 0, 1}, optional
        ``tier`` of :func:`fluxion.jit`: 0 (default) keeps the generated NumPy code, ready in
        milliseconds — an optimization makes tens to hundreds of calls, too few to pay for a
        numba compile, and each call of the bridge makes new functions; None follows
        ``fluxion.config`` (numba promotion in a background thread once hot, worth it for long
        runs on large data); 1 compiles with numba first.
    hess : bool, optional
        None (default): Hessian-vector products for the methods listed above, dense Hessians
        where SciPy requires them. True: the dense Hessian (``fluxion.hessian``) for every method
        that accepts one. False: no second derivatives.
    has_aux : bool, optional
        ``fun`` returns ``(value, aux)``; the result's ``aux`` holds ``aux`` at the solution.

    Returns
    -------
    scipy.optimize.OptimizeResult
        SciPy's result with ``x`` as a pytree of the structure of ``x0``, ``x_flat`` (shape
        ``(n,)``), ``fun`` (float), ``jac`` (the gradient as a pytree, when the method computed
        one) and ``jac_flat``, ``nfev``, ``njev``, ``nit``, ``success``, ``status``, ``message``;
        ``aux`` with ``has_aux``. For ``trust-constr`` SciPy's constraint Jacobians move to
        ``constr_jac``. If any evaluation of the objective, gradient or Hessian was NaN or inf,
        ``success`` is False, ``status`` is ``NONFINITE_STATUS`` (-100), ``message`` names the
        first such evaluation and SciPy's own verdict is kept in ``scipy_success``,
        ``scipy_status`` and ``scipy_message``.

    Raises
    ------
    TypeError
        If ``fun`` does not return a real scalar, or ``x0`` has complex or non-numeric leaves.
    ValueError
        For an unknown method, bounds that do not match ``x0``, or ``hess=True`` with a method
        that takes no Hessian.

    See Also
    --------
    least_squares, root, fluxion.optim.laplace

    Notes
    -----
    The optimization runs in float64 on the raveled vector. A run that meets a non-finite value
    is marked failed even when SciPy recovered from it: the model was evaluated outside its
    domain, which bounds or a reparameterization (e.g. ``log s`` for ``s > 0``) should prevent.

    Examples
    --------
    >>> import fluxion.numpy as fnp
    >>> from fluxion.optim import minimize
    >>> def f(p):
    ...     return (p["a"] - 1.0) ** 2 + fnp.sum((p["b"] + 2.0) ** 2)
    >>> res = minimize(f, {"a": 0.0, "b": fnp.zeros(2)}, method="L-BFGS-B")
    >>> bool(res.success), round(float(res.x["a"]), 6), res.x["b"].round(6).tolist()
    (True, 1.0, [-2.0, -2.0])
    """
    import scipy.optimize as so

    spec = model_spec(fun)
    if spec is not None:
        fun, x0, constraints = _model_objective(spec, x0, constraints)
    elif x0 is None:
        raise TypeError(
            "minimize: expected x0, the starting point (e.g. x0={'a': 0.0}); a conditioned "
            "joint distribution (model.condition(y=data)) brings its own"
        )
    if hess not in (None, True, False):
        raise TypeError(f"minimize: expected hess to be None, True or False, got {hess!r}")
    if _names_parameters(constraints):
        return _minimize_unconstrained(
            fun,
            x0,
            args,
            constraints,
            bounds,
            callback,
            method=method,
            tol=tol,
            options=options,
            jit=jit,
            jit_tier=jit_tier,
            hess=hess,
            has_aux=has_aux,
        )
    problem = _FlatProblem("minimize", fun, x0, args)
    problem.jit_tier = _check_tier("minimize", jit_tier)
    meth = _resolve_method(method, bounds, constraints)
    name = meth if isinstance(meth, str) else None
    if hess is True and name is not None and name not in _HESS_METHODS | _HESS_REQUIRED:
        raise ValueError(
            f"minimize: hess=True, but method {method!r} takes no Hessian; use one of "
            f"{', '.join(sorted(_HESS_METHODS | _HESS_REQUIRED))}"
        )
    if hess is False and name in _HESS_REQUIRED:
        raise ValueError(f"minimize: method {method!r} requires a Hessian; do not pass hess=False")
    flat_bounds = _flat_bounds("minimize", bounds, problem)
    if flat_bounds is not None and name is not None and name not in _BOUNDS_METHODS:
        raise ValueError(
            f"minimize: method {method!r} does not support bounds; use one of "
            f"{', '.join(sorted(_BOUNDS_METHODS))}"
        )

    tracker = _Tracker(problem)
    last: dict[str, Any] = {}

    def scalar_fun(flat: Any, *traced: Any) -> Any:
        out = problem.call(flat, *traced)
        value = out[0] if has_aux else out
        if value is None or isinstance(value, str | bytes):
            raise TypeError(
                "minimize: fun must return a scalar, got "
                + ("None; did it forget a `return`?" if value is None else type(value).__name__)
            )
        if isinstance(value, list | tuple | dict) or np.shape(value) != ():
            got = type(value).__name__ if isinstance(value, list | tuple | dict) else None
            got = got or str(aval_of(value))
            raise TypeError(
                f"minimize: fun must return a scalar, got {got}; for residual vectors use "
                "fluxion.optim.least_squares"
            )
        return out

    def record_aux(x: np.ndarray, aux: Any) -> None:
        last["x"] = np.array(x)
        last["aux"] = aux

    if name in _GRADIENT_FREE:
        value_fun = problem.compiled(scalar_fun, jit)

        @_quiet
        def objective(x: np.ndarray) -> float:
            out = value_fun(x)
            if has_aux:
                out, aux = out
                record_aux(x, aux)
            value = float(np.asarray(out))
            tracker.count += 1
            finite = tracker.check(x, value, "objective")
            tracker.evaluated(x, finite, value)
            return value

        jac_arg: Any = None
    else:
        vg = problem.compiled(_value_and_grad(scalar_fun, has_aux=has_aux), jit)

        @_quiet
        def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
            out, g = vg(x)
            if has_aux:
                out, aux = out
                record_aux(x, aux)
            value = float(np.asarray(out))
            grad = np.array(g, dtype=np.float64)  # a copy: SciPy keeps it
            tracker.count += 1
            finite = tracker.check(x, value, "objective") and tracker.check(x, grad, "gradient")
            tracker.evaluated(x, finite, value, grad)
            return value, grad

        jac_arg = True

    def value_only(flat: Any, *traced: Any) -> Any:
        out = scalar_fun(flat, *traced)
        return out[0] if has_aux else out

    extra: dict[str, Any] = {}
    use_dense = name in _HESS_REQUIRED or (hess is True)
    if name is not None and hess is not False:
        if use_dense and name in _HESS_METHODS | _HESS_REQUIRED:
            dense = problem.compiled(_hessian(value_only), jit)

            @_quiet
            def hess_fn(x: np.ndarray, *_: Any) -> np.ndarray:
                h = np.array(dense(x), dtype=np.float64).reshape(problem.n, problem.n)
                tracker.check(x, h, "Hessian")
                return h

            extra["hess"] = hess_fn
        elif name in _HESSP_METHODS:
            hvp_c = problem.compiled(_hvp(value_only), jit)

            @_quiet
            def hessp_fn(x: np.ndarray, p: np.ndarray, *_: Any) -> np.ndarray:
                hp = np.array(hvp_c(x, np.asarray(p, dtype=np.float64)), dtype=np.float64)
                tracker.check(x, hp, "Hessian-vector product")
                return hp

            extra["hessp"] = hessp_fn

    scipy_bounds = None
    x_start = problem.x0
    if flat_bounds is not None:
        scipy_bounds = so.Bounds(flat_bounds[0], flat_bounds[1])
        x_start = _clip_x0(problem.x0, flat_bounds)
    scipy_constraints = _wrap_constraints(constraints, problem, jit, name)
    if scipy_constraints and name is not None and name not in _CONSTRAINT_METHODS:
        raise ValueError(
            f"minimize: method {method!r} does not support constraints; use one of "
            f"{', '.join(sorted(_CONSTRAINT_METHODS))}"
        )

    try:
        res = so.minimize(
            objective,
            x_start,
            method=meth,
            jac=jac_arg,
            bounds=scipy_bounds,
            constraints=scipy_constraints if scipy_constraints else (),
            tol=tol,
            options=options,
            callback=_wrap_callback(callback, problem),
            **extra,
        )
    except _NonFiniteAbort:
        res = tracker.aborted_result(x_start)
    x_flat = np.array(res.x, dtype=np.float64).reshape(problem.n)
    res["x_flat"] = x_flat
    res["x"] = problem.tree(x_flat)
    res["fun"] = float(np.asarray(res.fun))
    grad = res.get("grad") if name == "trust-constr" else res.get("jac")
    if name == "trust-constr" and "jac" in res:
        res["constr_jac"] = res["jac"]
    if grad is not None and np.size(grad) == problem.n:
        res["jac_flat"] = np.array(grad, dtype=np.float64).reshape(problem.n)
        res["jac"] = problem.tree(res["jac_flat"])
    elif "jac" in res and name == "trust-constr":
        del res["jac"]
    for key in ("nfev", "njev", "nit"):
        res.setdefault(key, 0)
    if has_aux:
        if "x" in last and np.array_equal(last["x"], x_flat):
            res["aux"] = last["aux"]
        else:
            res["aux"] = problem.call(x_flat, *problem.traced_args)[1]
    _mark_nonfinite(res, tracker, "check the model's domain or add bounds")
    return res


# --------------------------------------------------------------------------------------------
# least_squares and root
# --------------------------------------------------------------------------------------------


def _check_tier(name: str, tier: Any) -> int | None:
    if tier not in (None, 0, 1) or isinstance(tier, bool):
        raise ValueError(f"{name}: expected jit_tier None, 0 or 1, got {tier!r}")
    return tier


def _vector_problem(
    name: str, fun: Callable, x0: Any, args: Any, jit: bool, jit_tier: int | None
) -> tuple:
    """The flat residual function, its Jacobian (forward or reverse by shape), and m."""
    problem = _FlatProblem(name, fun, x0, args)
    problem.jit_tier = _check_tier(name, jit_tier)

    def vector_fun(flat: Any, *traced: Any) -> Any:
        out = problem.call(flat, *traced)
        return ravel_pytree(out)[0]

    value = problem.compiled(vector_fun, jit)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        first = np.array(value(problem.x0), dtype=np.float64)
    m = first.size
    # Forward mode costs n JVPs, reverse mode m VJPs: take the cheaper.
    jac_transform = _jacfwd if problem.n <= m else _jacrev
    jac = problem.compiled(jac_transform(vector_fun), jit)
    return problem, value, jac, first, m


def _aborted_vector_result(tracker: _Tracker, x0: np.ndarray) -> Any:
    res = tracker.aborted_result(x0)
    residual = res.pop("jac", None)  # the tracker keeps the residual vector in the slot
    res["cost"] = res["fun"]
    res["fun"] = residual
    res["njev"] = 0
    return res


def least_squares(
    fun: Callable,
    x0: Any,
    args: tuple = (),
    *,
    bounds: Any = None,
    method: str = "trf",
    jit: bool = True,
    jit_tier: int | None = 0,
    **kwargs: Any,
) -> Any:
    """Nonlinear least squares with ``scipy.optimize.least_squares`` and the exact Jacobian.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> residuals``: ``x`` has the structure of ``x0``; the residuals may be
        any pytree of arrays (they are raveled to a vector of length ``m``).
    x0 : pytree
        Starting point (integer leaves are converted to float64).
    args : tuple, optional
        Extra arguments of ``fun``.
    bounds : pytree, sequence or scipy.optimize.Bounds, optional
        As in :func:`minimize`; SciPy's ``(lb, ub)`` pair of arrays / scalars is also accepted
        for an array ``x0`` when it is not a list of ``n`` pairs.
    method : {"trf", "dogbox", "lm"}, optional
    jit : bool, optional
        Compile the residual and Jacobian functions (default True).
    jit_tier : {None, 0, 1}, optional
        ``tier`` of :func:`fluxion.jit`: 0 (default) keeps the generated NumPy code, ready in
        milliseconds — an optimization makes tens to hundreds of calls, too few to pay for a
        numba compile, and each call of the bridge makes new functions; None follows
        ``fluxion.config`` (numba promotion in a background thread once hot, worth it for long
        runs on large data); 1 compiles with numba first.
    **kwargs
        Passed to SciPy (``ftol``, ``xtol``, ``gtol``, ``x_scale``, ``loss``, ``f_scale``,
        ``max_nfev``, ``tr_solver``, ``tr_options``, ``verbose``). ``jac`` is fluxion's.

    Returns
    -------
    scipy.optimize.OptimizeResult
        SciPy's result with ``x`` a pytree, ``x_flat`` shape ``(n,)``, ``fun`` the residuals
        shape ``(m,)``, ``jac`` shape ``(m, n)``, ``cost``, ``nfev``, ``njev``, ``status``,
        ``success``. Non-finite residuals or Jacobians give ``success=False`` and
        ``status=NONFINITE_STATUS``.

    Notes
    -----
    The Jacobian is ``fluxion.jacfwd`` when ``n <= m`` (n forward passes), else ``jacrev``.
    The residuals are evaluated once at ``x0`` before SciPy starts, to learn ``m``; SciPy's
    first call reuses that evaluation.

    Examples
    --------
    >>> import numpy as np
    >>> from fluxion.optim import least_squares
    >>> t = np.linspace(0, 1, 5)
    >>> res = least_squares(lambda p: p["a"] * t + p["c"] - (2 * t + 1), {"a": 0.0, "c": 0.0})
    >>> round(float(res.x["a"]), 6), round(float(res.x["c"]), 6)
    (2.0, 1.0)
    """
    import scipy.optimize as so

    if method not in LEAST_SQUARES_METHODS:
        raise ValueError(
            f"least_squares: unknown method {method!r}; expected one of SciPy's "
            f"{', '.join(LEAST_SQUARES_METHODS)}"
        )
    if "jac" in kwargs:
        raise TypeError("least_squares: jac is computed by fluxion; do not pass it")
    problem, value, jac, first, m = _vector_problem("least_squares", fun, x0, args, jit, jit_tier)
    tracker = _Tracker(problem)
    pending = [(problem.x0.copy(), first)]  # SciPy's first call is at x0 (unless clipped)

    @_quiet
    def residuals(x: np.ndarray) -> np.ndarray:
        if pending and np.array_equal(x, pending[0][0]):
            r = pending.pop()[1]
        else:
            pending.clear()
            r = np.array(value(x), dtype=np.float64)
        tracker.count += 1
        finite = tracker.check(x, r, "residual function")
        tracker.evaluated(x, finite, 0.5 * float(r @ r) if finite else np.nan, r)
        return r

    @_quiet
    def jacobian(x: np.ndarray) -> np.ndarray:
        j = np.array(jac(x), dtype=np.float64).reshape(m, problem.n)
        tracker.check(x, j, "Jacobian")
        return j

    scipy_bounds: Any = (-np.inf, np.inf)
    x_start = problem.x0
    if bounds is not None:
        if _is_pair(bounds) and problem.treedef == _LEAF_DEF:  # SciPy's (lb, ub)
            lo = np.broadcast_to(np.asarray(bounds[0], dtype=np.float64), (problem.n,))
            hi = np.broadcast_to(np.asarray(bounds[1], dtype=np.float64), (problem.n,))
            flat_bounds: tuple | None = (lo.copy(), hi.copy())
        else:
            flat_bounds = _flat_bounds("least_squares", bounds, problem)
        scipy_bounds = (flat_bounds[0], flat_bounds[1])
        x_start = _clip_x0(problem.x0, flat_bounds)
    if m == 0:
        raise ValueError("least_squares: fun returned no residuals")
    if np.any(~np.isfinite(first)):
        tracker.count += 1
        tracker.check(problem.x0, first, "residual function")
        raise ValueError(tracker.message("fix the starting point or the model"))
    try:
        res = so.least_squares(
            residuals, x_start, jac=jacobian, bounds=scipy_bounds, method=method, **kwargs
        )
    except _NonFiniteAbort:
        res = _aborted_vector_result(tracker, x_start)
    res["x_flat"] = np.array(res.x, dtype=np.float64)
    res["x"] = problem.tree(res["x_flat"])
    _mark_nonfinite(res, tracker, "check the model's domain or add bounds")
    return res


def root(
    fun: Callable,
    x0: Any,
    args: tuple = (),
    *,
    method: str = "hybr",
    jit: bool = True,
    jit_tier: int | None = 0,
    tol: float | None = None,
    callback: Callable | None = None,
    options: dict | None = None,
) -> Any:
    """Solve ``fun(x) = 0`` with ``scipy.optimize.root`` and the exact Jacobian.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> pytree``: as many elements out as ``x`` has in.
    x0 : pytree
        Starting point (integer leaves are converted to float64).
    args : tuple, optional
    method : str, optional
        One of SciPy's ``ROOT_METHODS``; ``hybr`` and ``lm`` use the exact Jacobian
        (``jacfwd``), the quasi-Newton methods only values.
    jit : bool, optional
        Compile the function and its Jacobian (default True).
    jit_tier : {None, 0, 1}, optional
        ``tier`` of :func:`fluxion.jit`: 0 (default) keeps the generated NumPy code, ready in
        milliseconds — an optimization makes tens to hundreds of calls, too few to pay for a
        numba compile, and each call of the bridge makes new functions; None follows
        ``fluxion.config`` (numba promotion in a background thread once hot, worth it for long
        runs on large data); 1 compiles with numba first.
    tol, callback, options
        As in SciPy (``callback(x, f)`` receives the flat vectors).

    Returns
    -------
    scipy.optimize.OptimizeResult
        SciPy's result with ``x`` a pytree, ``x_flat`` shape ``(n,)``, ``fun`` shape ``(n,)``.
        Non-finite evaluations give ``success=False`` and ``status=NONFINITE_STATUS``.

    Examples
    --------
    >>> import fluxion.numpy as fnp
    >>> from fluxion.optim import root
    >>> res = root(lambda v: fnp.stack([v[0] ** 2 - 2.0, v[1] - v[0]]), fnp.array([1.0, 0.0]))
    >>> res.x.round(6).tolist()
    [1.414214, 1.414214]
    """
    import scipy.optimize as so

    if method not in ROOT_METHODS:
        raise ValueError(
            f"root: unknown method {method!r}; expected one of SciPy's {', '.join(ROOT_METHODS)}"
        )
    problem, value, jac, first, m = _vector_problem("root", fun, x0, args, jit, jit_tier)
    if m != problem.n:
        raise ValueError(
            f"root: fun must return as many values as x0 has elements, got {m} values for "
            f"{problem.n} unknowns; use least_squares for over- or under-determined systems"
        )
    tracker = _Tracker(problem)

    @_quiet
    def values(x: np.ndarray) -> np.ndarray:
        r = np.array(value(x), dtype=np.float64).reshape(m)
        tracker.count += 1
        finite = tracker.check(x, r, "function")
        tracker.evaluated(x, finite, 0.5 * float(r @ r) if finite else np.nan, r)
        return r

    @_quiet
    def jacobian(x: np.ndarray) -> np.ndarray:
        j = np.array(jac(x), dtype=np.float64).reshape(m, problem.n)
        tracker.check(x, j, "Jacobian")
        return j

    try:
        res = so.root(
            values,
            problem.x0,
            method=method,
            jac=jacobian if method in _ROOT_JAC_METHODS else None,
            tol=tol,
            callback=callback,
            options=options,
        )
    except _NonFiniteAbort:
        res = _aborted_vector_result(tracker, problem.x0)
    res["x_flat"] = np.array(res.x, dtype=np.float64).reshape(problem.n)
    res["x"] = problem.tree(res["x_flat"])
    _mark_nonfinite(res, tracker, "check the model's domain or start elsewhere")
    return res
