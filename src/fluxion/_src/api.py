"""User-facing transforms: grad, value_and_grad, jvp, vjp, linearize, jacfwd, jacrev, jacobian,
hessian, hvp, elementwise_grad, stop_gradient (custom_jvp, custom_vjp and checkpoint, which are
written with these, live in custom.py).

Signatures follow JAX where JAX has the function; autograd's conventions keep working
(non-differentiated arguments may be any Python object, a tuple of argnums gives a tuple of
gradients, float32 inputs give float32 gradients).
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .ad import JVPTrace, JVPTracer, VJPTrace, VJPTracer, backward_pass
from .backend import (
    as_array,
    device_put_leaf,
    is_device_array,
    namespace_of,
    on_device_of,
)
from .backend import device_of as _device_of_leaves
from .core import Tracer, Zero, aval_of, new_trace
from .numpy import core as fnp
from .prims._helpers import shape_of
from .prims.elementwise import stop_gradient_p
from .tree_util import tree_flatten, tree_map, tree_structure, tree_unflatten


def _size(x: Any) -> int:
    return int(np.prod(shape_of(x), dtype=np.int64))


__all__ = [
    "grad",
    "value_and_grad",
    "jvp",
    "vjp",
    "linearize",
    "jacfwd",
    "jacrev",
    "jacobian",
    "hessian",
    "hvp",
    "elementwise_grad",
    "stop_gradient",
    "device_put",
    "device_of",
]


# --------------------------------------------------------------------------------------------
# Argument checking
# --------------------------------------------------------------------------------------------


def _check_kwargs(name: str, unknown: dict, known: Sequence[str]) -> None:
    if unknown:
        bad = sorted(unknown)[0]
        hint = difflib.get_close_matches(bad, known, n=1)
        fix = f"; did you mean '{hint[0]}'?" if hint else ""
        raise TypeError(
            f"{name}: unexpected keyword argument '{bad}'; expected one of {', '.join(known)}{fix}"
        )


def _check_callable(name: str, fun: Any) -> None:
    if not callable(fun):
        raise TypeError(
            f"{name}: expected a callable as the first argument, got {type(fun).__name__}"
        )


def _check_argnums(name: str, argnums: Any) -> None:
    """Type check of ``argnums`` when the transform is built: an int or a sequence of ints."""
    if type(argnums) is int:
        return
    ok = isinstance(argnums, int | np.integer) and not isinstance(argnums, bool)
    if not ok and isinstance(argnums, tuple | list):
        ok = all(isinstance(a, int | np.integer) and not isinstance(a, bool) for a in argnums)
    if not ok:
        raise TypeError(
            f"{name}: expected argnums to be an int or a tuple of ints, got "
            f"{type(argnums).__name__} {argnums!r}; e.g. argnums=0 or argnums=(0, 1)"
        )


def _normalize_argnums(name: str, argnums: Any, nargs: int) -> tuple[int, ...]:
    if type(argnums) is int and 0 <= argnums < nargs:
        return (argnums,)
    _check_argnums(name, argnums)
    nums = (argnums,) if isinstance(argnums, int | np.integer) else tuple(argnums)
    for a in nums:
        if not -nargs <= a < nargs:
            raise ValueError(
                f"{name}: argnums {argnums!r} is out of range for a call with {nargs} "
                "positional arguments"
            )
    out = tuple(int(a) % nargs for a in nums)
    if len(set(out)) != len(out):
        raise ValueError(
            f"{name}: argnums {argnums!r} names the same argument twice; give each argument once"
        )
    return out


def _to_diff_leaf(name: str, x: Any, where: str, allow_int: bool) -> Any:
    """Check (and convert) one leaf we differentiate with respect to."""
    if type(x) is np.ndarray and x.dtype.kind in "fc":
        return x
    if isinstance(x, Tracer):
        if x.dtype.kind not in "fc":
            raise TypeError(f"{name}: expected a float input {where}, got a traced {x.aval}")
        return x
    if type(x) is float:
        return np.float64(x)
    arr = x if isinstance(x, np.ndarray | np.generic) else as_array(x)
    kind = arr.dtype.kind
    if kind in "fc":
        return arr
    if kind in "iub":
        if allow_int:
            return arr.astype(np.float64)
        raise TypeError(
            f"{name}: expected a float or complex input to differentiate {where}, got "
            f"{aval_of(arr)}; pass floats (e.g. x.astype(float) or 1.0 instead of 1), or "
            "use allow_int=True"
        )
    raise TypeError(
        f"{name}: expected an array of numbers to differentiate {where}, got {type(x).__name__}"
    )


def _diff_leaves(name: str, args: tuple, argnums: tuple[int, ...], allow_int: bool) -> Any:
    flat = []
    trees = []
    for i in argnums:
        x = args[i]
        if type(x) is np.ndarray and x.dtype.kind in "fc":  # one array: no tree to walk
            flat.append([x])
            trees.append(_LEAF_TREE)
            continue
        leaves, tree = tree_flatten(x)
        flat.append([_to_diff_leaf(name, x, f"(argument {i})", allow_int) for x in leaves])
        trees.append(tree)
    return flat, trees


_LEAF_TREE = tree_structure(0.0)


def _zeros_like_leaf(x: Any) -> Any:
    # on x's device (a tracer's: the device of the value it carries)
    return namespace_of(x).zeros(shape_of(x), dtype=getattr(x, "dtype", np.float64))


# --------------------------------------------------------------------------------------------
# Reverse mode
# --------------------------------------------------------------------------------------------


def _vjp_core(
    name: str,
    fun: Callable,
    args: tuple,
    kwargs: dict,
    argnums: tuple,
    has_aux: bool,
    allow_int: bool,
) -> Any:
    """Run ``fun`` under a fresh VJPTrace; return (out, aux, pullback-ingredients)."""
    flat, trees = _diff_leaves(name, args, argnums, allow_int)
    with new_trace(VJPTrace, name) as trace:
        inputs = [[trace.new_input(x) for x in leaves] for leaves in flat]
        call_args = list(args)
        for i, tree, tracers in zip(argnums, trees, inputs):
            call_args[i] = tree_unflatten(tree, tracers)
        # the input nodes, kept apart: `x[0] = v` inside fun rebinds the tracer x to a new node
        input_nodes = [[t.node for t in tracers] for tracers in inputs]
        result = fun(*call_args, **kwargs)
    if has_aux:
        if not (isinstance(result, tuple | list) and len(result) == 2):
            raise TypeError(
                f"{name}: with has_aux=True, f must return a pair (output, aux), got "
                f"{type(result).__name__}"
            )
        result, aux = result
        aux = tree_map(_strip_tracer(trace), aux)
    else:
        aux = None
    return result, aux, trace, input_nodes, trees, flat


def _strip_tracer(trace: VJPTrace) -> Callable:
    def strip(x: Any) -> Any:
        while isinstance(x, VJPTracer) and x._trace is trace:
            x = x.primal
        return x

    return strip


def _pullback(
    trace: VJPTrace, out_flat: list, cts_flat: list, input_nodes: list, flat: list
) -> list:
    seeds: dict = {}
    for out, ct in zip(out_flat, cts_flat):
        if type(out) is VJPTracer and out._trace is trace and out.node is not None:
            prev = seeds.get(out.node)
            seeds[out.node] = ct if prev is None else prev + ct
    remaining = backward_pass(trace.tape, seeds) if seeds else {}
    # an input the output does not depend on gets zeros of its own shape and dtype
    return [
        [
            _zeros_like_leaf(x) if (g := remaining.get(node)) is None else g
            for node, x in zip(nodes, leaves)
        ]
        for nodes, leaves in zip(input_nodes, flat)
    ]


def value_and_grad(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    *,
    allow_int: bool = False,
    **unknown: Any,
) -> Callable:
    """Create a function that returns ``fun``'s value and its gradient.

    Parameters
    ----------
    fun : callable
        ``fun(*args, **kwargs)`` returning a scalar (shape ``()``), or ``(scalar, aux)`` with
        ``has_aux=True``. Arguments not in ``argnums`` may be any Python objects.
    argnums : int or sequence of int, optional
        Which positional arguments to differentiate with respect to (pytrees of float arrays).
    has_aux : bool, optional
        ``fun`` returns ``(value, aux)``; aux is returned untraced.
    allow_int : bool, optional
        Differentiate integer inputs as if they were float64 (default: an error).

    Returns
    -------
    callable
        ``(*args, **kwargs) -> (value, grad)`` (or ``((value, aux), grad)``), where ``grad``
        has the structure, shapes and dtypes of ``args[argnums]`` (a tuple of such if
        ``argnums`` is a tuple).

    Raises
    ------
    TypeError
        If ``fun`` does not return a real scalar, or an input to differentiate is not a float.

    Examples
    --------
    >>> import fluxion, fluxion.numpy as fnp
    >>> fluxion.value_and_grad(lambda x: fnp.sum(x ** 2))(fnp.array([1.0, 2.0]))
    (np.float64(5.0), array([2., 4.]))
    """
    _check_kwargs("value_and_grad", unknown, ("argnums", "has_aux", "allow_int"))
    _check_callable("value_and_grad", fun)
    return _make_value_and_grad("value_and_grad", fun, argnums, has_aux, allow_int)


def _make_value_and_grad(
    name: str, fun: Callable, argnums: Any, has_aux: bool, allow_int: bool
) -> Callable:
    _check_argnums(name, argnums)
    single = isinstance(argnums, int | np.integer)

    @functools.wraps(fun)
    def value_and_grad_fun(*args: Any, **kwargs: Any) -> Any:
        nums = _normalize_argnums(name, argnums, len(args))
        out, aux, trace, inputs, trees, flat = _vjp_core(
            name, fun, args, kwargs, nums, has_aux, allow_int
        )
        if out is None or isinstance(out, str | bytes):
            raise TypeError(
                f"{name}: f must return a scalar, got "
                + ("None; did it forget a `return`?" if out is None else type(out).__name__)
            )
        # a size-1 output (shape (1,), (1, 1), ...) counts as a scalar, as in autograd
        size_one = (
            not isinstance(out, list | tuple | dict)
            and shape_of(out) != ()
            and (int(np.prod(shape_of(out))) == 1)
        )
        if isinstance(out, list | tuple | dict) or (shape_of(out) != () and not size_one):
            raise TypeError(
                f"{name}: f must return a scalar, got {_describe_output(out)}; use jacrev, "
                "jacobian or vjp for non-scalar outputs"
            )
        if np.dtype(getattr(out, "dtype", np.float64)).kind in "iub" or isinstance(out, bool):
            raise TypeError(
                f"{name}: f must return a float, got {aval_of(out)}: an integer or boolean "
                "output has no derivative; return a float (e.g. x.astype(float)) or use "
                "fluxion.stop_gradient for a deliberate constant"
            )
        if np.dtype(getattr(out, "dtype", np.float64)).kind == "c":
            raise TypeError(
                f"{name}: f must return a real scalar, got {aval_of(out)}; take the real part "
                "or use vjp for holomorphic functions"
            )
        ct = out.dtype.type(1) if hasattr(out, "dtype") else 1.0
        if size_one or is_device_array(out):
            # a device output gets a device seed: the cotangents then stay on its device
            ct = namespace_of(out).ones(shape_of(out), dtype=np.asarray(ct).dtype)
        grads = _pullback(trace, [out], [ct], inputs, flat)
        trees_out = [tree_unflatten(tree, g) for tree, g in zip(trees, grads)]
        value = _strip_tracer(trace)(out)
        if size_one:
            value = np.reshape(value, ())
        g = trees_out[0] if single else tuple(trees_out)
        return ((value, aux), g) if has_aux else (value, g)

    return value_and_grad_fun


def _describe_output(out: Any) -> str:
    if isinstance(out, list | tuple | dict):
        return f"a {type(out).__name__}"
    return str(aval_of(out))


def grad(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    *,
    allow_int: bool = False,
    **unknown: Any,
) -> Callable:
    """Create a function that evaluates the gradient of a scalar function ``fun``.

    Parameters
    ----------
    fun : callable
        ``fun(*args, **kwargs)`` returning a real float scalar (shape ``()``, or any shape
        of size 1 such as ``(1,)`` or ``(1, 1)``, as in autograd); plain NumPy code, Python
        control flow, closures and recursion all work.
    argnums : int or sequence of int, optional
        Positional arguments to differentiate with respect to; each may be a pytree (tuples,
        lists, dicts, dataclasses) of float arrays.
    has_aux : bool, optional
        ``fun`` returns ``(value, aux)``; the gradient function returns ``(grad, aux)``.
    allow_int : bool, optional
        Differentiate integer inputs as if they were float64.

    Returns
    -------
    callable
        ``(*args, **kwargs) -> grad`` with the structure, shapes and dtypes of
        ``args[argnums]`` (a tuple of them when ``argnums`` is a tuple).

    Raises
    ------
    TypeError
        ``f`` returns a non-scalar (use :func:`jacrev`), a complex, integer or boolean
        value, or an input is an integer array.

    See Also
    --------
    value_and_grad, jacrev, hessian, vjp

    Notes
    -----
    Complex inputs follow JAX's convention: for a real-valued ``f`` of ``z = x + iy``,
    ``grad(f)(z) = df/dx - i df/dy``, the conjugate of the steepest-ascent direction (so a
    gradient-descent step on complex parameters is ``z - lr * conj(grad(f)(z))``). For example
    ``grad(abs)(3+4j) == 0.6-0.8j``, as ``jax.grad`` gives. Reverse mode transposes the JVP
    without conjugating cotangents: the VJP of a holomorphic ``g`` with cotangent ``c`` is
    ``c * g'(z)``.

    Examples
    --------
    >>> import fluxion, fluxion.numpy as fnp
    >>> fluxion.grad(lambda x: fnp.sin(x) * x)(1.0)  # cos(1) + sin(1)
    np.float64(1.3817732906760363)
    """
    _check_kwargs("grad", unknown, ("argnums", "has_aux", "allow_int"))
    _check_callable("grad", fun)
    vg = _make_value_and_grad("grad", fun, argnums, has_aux, allow_int)

    @functools.wraps(fun)
    def grad_fun(*args: Any, **kwargs: Any) -> Any:
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return grad_fun


def vjp(fun: Callable, *primals: Any, has_aux: bool = False, **unknown: Any) -> Any:
    """Evaluate ``fun(*primals)`` and return it with its vector-Jacobian product function.

    Parameters
    ----------
    fun : callable
        Takes pytrees of float arrays, returns a pytree of arrays.
    *primals
        The point of linearization.
    has_aux : bool, optional
        ``fun`` returns ``(out, aux)``.

    Returns
    -------
    out : pytree
        ``fun(*primals)``.
    vjp_fun : callable
        ``vjp_fun(cotangent) -> tuple`` of cotangents, one per primal, shaped like the primals;
        ``cotangent`` has the structure and shapes of ``out``. It may be called many times (the
        forward pass is not repeated).
    aux : optional
        With ``has_aux``.
    """
    _check_kwargs("vjp", unknown, ("has_aux",))
    _check_callable("vjp", fun)
    nums = tuple(range(len(primals)))
    out, aux, trace, inputs, trees, flat = _vjp_core("vjp", fun, primals, {}, nums, has_aux, False)
    out_flat, out_tree = tree_flatten(out)
    strip = _strip_tracer(trace)
    out_value = tree_unflatten(out_tree, [strip(o) for o in out_flat])

    def vjp_fun(cotangent: Any) -> tuple:
        cts_flat, ct_tree = tree_flatten(cotangent)
        if ct_tree != out_tree:
            raise ValueError(
                f"vjp_fun: expected a cotangent with the structure of the output {out_tree}, "
                f"got {ct_tree}"
            )
        for o, c in zip(out_flat, cts_flat):
            if shape_of(c) != shape_of(o):
                raise ValueError(
                    f"vjp_fun: expected a cotangent of shape {shape_of(o)}, got shape {shape_of(c)}"
                )
        grads = _pullback(trace, out_flat, cts_flat, inputs, flat)
        return tuple(tree_unflatten(tree, g) for tree, g in zip(trees, grads))

    return (out_value, vjp_fun, aux) if has_aux else (out_value, vjp_fun)


def elementwise_grad(fun: Callable, argnums: int = 0) -> Callable:
    """Gradient of ``sum(fun(x))``: the derivative of an elementwise function, elementwise.

    Parameters
    ----------
    fun : callable
        Returns an array (typically the same shape as the input).
    argnums : int, optional
        Which positional argument to differentiate.

    Returns
    -------
    callable
        ``(*args) -> array`` shaped like ``args[argnums]`` (autograd's ``elementwise_grad``).
    """
    _check_callable("elementwise_grad", fun)
    _check_argnums("elementwise_grad", argnums)

    @functools.wraps(fun)
    def egrad(*args: Any, **kwargs: Any) -> Any:
        nums = _normalize_argnums("elementwise_grad", argnums, len(args))
        out, _, trace, inputs, trees, flat = _vjp_core(
            "elementwise_grad", fun, args, kwargs, nums, False, False
        )
        out_flat, _ = tree_flatten(out)
        cts = [
            namespace_of(o).ones(shape_of(o), dtype=getattr(o, "dtype", np.float64))
            for o in out_flat
        ]
        grads = _pullback(trace, out_flat, cts, inputs, flat)
        return tree_unflatten(trees[0], grads[0])

    return egrad


# --------------------------------------------------------------------------------------------
# Forward mode
# --------------------------------------------------------------------------------------------


def jvp(fun: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False) -> Any:
    """Evaluate ``fun`` and its Jacobian-vector product at ``primals`` along ``tangents``.

    Parameters
    ----------
    fun : callable
        Takes pytrees of float arrays, returns a pytree of arrays.
    primals : tuple or list
        The positional arguments.
    tangents : tuple or list
        Same structure, shapes and dtypes as ``primals``.
    has_aux : bool, optional
        ``fun`` returns ``(out, aux)``.

    Returns
    -------
    (out, out_tangent) or (out, out_tangent, aux)
        ``out_tangent`` has the structure and shapes of ``out``.
    """
    _check_callable("jvp", fun)
    if not isinstance(primals, tuple | list) or not isinstance(tangents, tuple | list):
        raise TypeError(
            "jvp: expected primals and tangents as tuples or lists of arguments, got "
            f"{type(primals).__name__} and {type(tangents).__name__}; e.g. jvp(f, (x,), (v,))"
        )
    p_flat, p_tree = tree_flatten(tuple(primals))
    t_flat, t_tree = tree_flatten(tuple(tangents))
    if p_tree != t_tree:
        raise ValueError(
            f"jvp: primals and tangents must have the same structure, got {p_tree} and {t_tree}"
        )
    p_flat = [_to_diff_leaf("jvp", p, "(primal)", False) for p in p_flat]
    for p, t in zip(p_flat, t_flat):
        if shape_of(t) != shape_of(p):
            raise ValueError(
                f"jvp: expected a tangent of shape {shape_of(p)} for primal {aval_of(p)}, got "
                f"shape {shape_of(t)}"
            )
    with new_trace(JVPTrace, "jvp") as trace:
        tracers = [trace.new_input(p, t) for p, t in zip(p_flat, t_flat)]
        result = fun(*tree_unflatten(p_tree, tracers))
    aux = None
    if has_aux:
        result, aux = result
    out_flat, out_tree = tree_flatten(result)
    outs, out_ts = [], []
    for o in out_flat:
        if type(o) is JVPTracer and o._trace is trace:
            outs.append(o.primal)
            t = o.tangent
            out_ts.append(t.instantiate() if type(t) is Zero else t)
        else:
            outs.append(o)
            out_ts.append(_zeros_like_leaf(o))
    res = (tree_unflatten(out_tree, outs), tree_unflatten(out_tree, out_ts))
    return res + (aux,) if has_aux else res


def linearize(fun: Callable, *primals: Any) -> tuple[Any, Callable]:
    """Return ``fun(*primals)`` and a function computing its JVP at ``primals``.

    Parameters
    ----------
    fun : callable
    *primals
        The point of linearization.

    Returns
    -------
    out : pytree
    f_jvp : callable
        ``f_jvp(*tangents) -> out_tangent``.

    Notes
    -----
    Eager fluxion does not partially evaluate: each ``f_jvp`` call re-runs the forward pass
    with tangents (the result is exact; only the cost differs from JAX).
    """
    _check_callable("linearize", fun)
    out = fun(*primals)

    def f_jvp(*tangents: Any) -> Any:
        return jvp(fun, primals, tangents)[1]

    return out, f_jvp


# --------------------------------------------------------------------------------------------
# Jacobians and Hessians
# --------------------------------------------------------------------------------------------


def _std_basis(leaves: list) -> Any:
    """Yield (leaf index, flat position, one-hot pytree leaves) for every input element."""
    for i, x in enumerate(leaves):
        n = _size(x)
        for k in range(n):
            basis = [_zeros_like_leaf(y) for y in leaves]
            e = np.zeros(n, dtype=basis[i].dtype)
            e[k] = 1
            # the one-hot vector on the device of its leaf (an explicit host -> device copy)
            basis[i] = on_device_of(x, e.reshape(shape_of(x)))
            yield basis


def jacfwd(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """Jacobian of ``fun`` by forward mode (one JVP per input element).

    Parameters
    ----------
    fun : callable
    argnums : int or sequence of int, optional
    has_aux : bool, optional

    Returns
    -------
    callable
        ``(*args) -> jac`` where, for an output leaf of shape ``out`` and an input leaf of shape
        ``inp``, the Jacobian block has shape ``out + inp`` (nested as output tree of input
        trees, like JAX).
    """
    _check_callable("jacfwd", fun)
    return _jacobian("jacfwd", fun, argnums, has_aux, forward=True)


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """Jacobian of ``fun`` by reverse mode (one forward pass, one VJP per output element).

    Parameters
    ----------
    fun : callable
    argnums : int or sequence of int, optional
    has_aux : bool, optional

    Returns
    -------
    callable
        ``(*args) -> jac``, blocks of shape ``out + inp`` as for :func:`jacfwd`.
    """
    _check_callable("jacrev", fun)
    return _jacobian("jacrev", fun, argnums, has_aux, forward=False)


jacobian = jacrev


def _jacobian(name: str, fun: Callable, argnums: Any, has_aux: bool, forward: bool) -> Callable:
    _check_argnums(name, argnums)
    single = isinstance(argnums, int | np.integer)

    @functools.wraps(fun)
    def jac_fun(*args: Any, **kwargs: Any) -> Any:
        nums = _normalize_argnums(name, argnums, len(args))
        diff = tuple(args[i] for i in nums)

        def f_diff(*d: Any) -> Any:
            call = list(args)
            for i, v in zip(nums, d):
                call[i] = v
            return fun(*call, **kwargs)

        in_flat, in_tree = tree_flatten(diff)
        in_flat = [_to_diff_leaf(name, x, "", False) for x in in_flat]
        diff = tree_unflatten(in_tree, in_flat)
        aux = None
        if forward:
            columns = []
            out = None
            for basis in _std_basis(in_flat):
                res = jvp(f_diff, diff, tree_unflatten(in_tree, basis), has_aux=has_aux)
                out, t = res[0], res[1]
                if has_aux:
                    aux = res[2]
                columns.append(tree_flatten(t)[0])
            if out is None:
                out = f_diff(*diff)
                if has_aux:
                    out, aux = out
            out_flat, out_tree = tree_flatten(out)
            # block[o][i] has shape out_o + in_i
            blocks = _assemble(out_flat, in_flat, lambda o, k: columns[k][o], by_input=True)
        else:
            res = vjp(f_diff, *diff, has_aux=has_aux)
            out, pullback = res[0], res[1]
            if has_aux:
                aux = res[2]
            out_flat, out_tree = tree_flatten(out)
            rows = []
            for basis in _std_basis(out_flat):
                cts = pullback(tree_unflatten(out_tree, basis))
                rows.append(tree_flatten(cts)[0])
            blocks = _assemble(out_flat, in_flat, lambda i, k: rows[k][i], by_input=False)
        jac = _nest(blocks, out_tree, in_tree, single)
        return (jac, aux) if has_aux else jac

    return jac_fun


def _assemble(out_flat: list, in_flat: list, get: Callable, by_input: bool) -> list:
    """Build the Jacobian blocks [o][i] (shape out_o + in_i) from columns or rows."""
    blocks = [[None] * len(in_flat) for _ in out_flat]
    if by_input:
        k = 0
        for i, x in enumerate(in_flat):
            n = _size(x)
            for o, y in enumerate(out_flat):
                cols = [fnp.reshape(get(o, k + j), (-1,)) for j in range(n)]
                mat = fnp.stack(cols, axis=-1) if cols else np.zeros((_size(y), 0))
                blocks[o][i] = fnp.reshape(mat, shape_of(y) + shape_of(x))
            k += n
    else:
        k = 0
        for o, y in enumerate(out_flat):
            m = _size(y)
            for i, x in enumerate(in_flat):
                rows = [fnp.reshape(get(i, k + j), (-1,)) for j in range(m)]
                mat = fnp.stack(rows, axis=0) if rows else np.zeros((0, _size(x)))
                blocks[o][i] = fnp.reshape(mat, shape_of(y) + shape_of(x))
            k += m
    return blocks


def _nest(blocks: list, out_tree: Any, in_tree: Any, single: bool) -> Any:
    per_out = []
    for row in blocks:
        inner = tree_unflatten(in_tree, row)  # a tuple over argnums
        per_out.append(inner[0] if single else inner)
    return tree_unflatten(out_tree, per_out)


def hessian(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """Hessian of a scalar function, as ``jacfwd(jacrev(fun))``.

    Parameters
    ----------
    fun : callable
        Returns a scalar.
    argnums : int or sequence of int, optional
    has_aux : bool, optional

    Returns
    -------
    callable
        ``(*args) -> H``; for an input of shape ``s`` the Hessian has shape ``s + s``.
    """
    _check_callable("hessian", fun)
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux), argnums, has_aux=has_aux)


def hvp(fun: Callable, argnums: int = 0) -> Callable:
    """Hessian-vector product without forming the Hessian (forward-over-reverse).

    Parameters
    ----------
    fun : callable
        Scalar-valued.
    argnums : int, optional
        The argument the Hessian is taken with respect to.

    Returns
    -------
    callable
        ``hvp_fun(*args, v)``: the last positional argument ``v`` has the structure of
        ``args[argnums]``; returns ``H @ v`` with that structure. Costs about two gradient
        evaluations.
    """
    _check_callable("hvp", fun)
    g = grad(fun, argnums)

    def hvp_fun(*args_and_v: Any) -> Any:
        *args, v = args_and_v
        nums = _normalize_argnums("hvp", argnums, len(args))[0]

        def g_of(x: Any) -> Any:
            call = list(args)
            call[nums] = x
            return g(*call)

        return jvp(g_of, (args[nums],), (v,))[1]

    return hvp_fun


# --------------------------------------------------------------------------------------------
# stop_gradient
# --------------------------------------------------------------------------------------------


def stop_gradient(x: Any) -> Any:
    """The identity on a pytree, with zero derivative under every transform.

    Parameters
    ----------
    x : pytree of arrays

    Returns
    -------
    pytree of arrays
        The same values, treated as constants.
    """
    return tree_map(
        lambda leaf: stop_gradient_p.bind(leaf) if isinstance(leaf, Tracer) else leaf, x
    )


# --------------------------------------------------------------------------------------------
# Devices
# --------------------------------------------------------------------------------------------


def device_put(x: Any, device: str) -> Any:
    """Move arrays to a device: every array leaf of the pytree ``x``.

    Parameters
    ----------
    x : pytree of array_like
        Arrays (NumPy, CuPy or a registered device type), scalars, or nested tuples, lists,
        dicts and registered pytrees of them.
    device : {"cpu", "gpu"} or str
        ``"cpu"``: NumPy on the host. ``"gpu"``: CuPy (imported on first use). Another name:
        a device registered with ``register_array_namespace``.

    Returns
    -------
    pytree
        The same structure; each leaf an array on ``device`` with its shape and dtype (leaves
        already there are returned as they are, not copied). Python scalars become 0-d arrays
        on a device and stay scalars on ``"cpu"``.

    Raises
    ------
    RuntimeError
        For ``"gpu"`` when CuPy is not installed (``pip install fluxion[gpu]``).
    ValueError
        For an unknown device name.
    DeviceError
        For a traced value (inside ``grad``, ``vmap``, ``jit``): move the arguments before the
        transform instead.

    Notes
    -----
    Functions run where their inputs live and their results stay there; fluxion never moves a
    device array to the host on its own. A function that only runs on the host (SciPy
    routines, ``jit``) raises a ``DeviceError`` that names it; move the inputs with
    ``device_put(x, "cpu")``.

    Examples
    --------
    >>> import numpy as np
    >>> import fluxion
    >>> fluxion.device_put({"w": np.ones(2), "b": 0.5}, "cpu")["w"]
    array([1., 1.])
    """

    def put(leaf: Any) -> Any:
        if device == "cpu" and type(leaf) in (float, int, bool, complex):
            return leaf
        return device_put_leaf(leaf, device)

    if not isinstance(device, str):
        raise TypeError(
            "device_put: expected a device name ('cpu', 'gpu' or a registered device), got "
            f"{type(device).__name__}"
        )
    return tree_map(put, x)


def device_of(x: Any) -> str:
    """The device the arrays of ``x`` live on.

    Parameters
    ----------
    x : pytree of array_like
        Arrays, tracers (their values' device), scalars, or pytrees of them.

    Returns
    -------
    str
        ``"cpu"`` for NumPy arrays and scalars (and a tree of only those), ``"gpu"`` for CuPy,
        or a registered device's name.

    Raises
    ------
    DeviceError
        If the leaves live on different devices.
    """
    leaves, _ = tree_flatten(x)
    return _device_of_leaves(*leaves)
