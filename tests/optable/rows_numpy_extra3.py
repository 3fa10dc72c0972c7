"""Op-table rows for fluxion.numpy's third batch of NumPy functions (issue 13): bitwise and
integer ufuncs, bit packing, shape/conversion utilities, roots, apply_over_axes and the
in-place mutators (copyto, put, putmask, place, fill_diagonal) on arrays created inside the
function."""

from __future__ import annotations

import numpy as np

import fluxion.numpy as fnp
from fluxion._src.prims import elementwise as ew
from optable import OpCase
from optable.rows_core import args, distinct, uniform

ROWS: list[OpCase] = []
C128 = np.complex128


def row(name, fn, ref, make, **kw):  # noqa: ANN001, ANN201, ANN003
    ROWS.append(OpCase(name=name, fn=fn, ref=ref, make_args=make, **kw))


def _ints(shape, lo=-20, hi=20, dtype=np.int64):  # noqa: ANN001, ANN202
    return lambda rng: rng.integers(lo, hi, shape).astype(dtype)


def _bools(shape):  # noqa: ANN001, ANN202
    return lambda rng: rng.integers(0, 2, shape).astype(bool)


# (1) bitwise and integer ufuncs: elementwise primitives with no derivative
row("x3-bitwise_and-int", fnp.bitwise_and, np.bitwise_and, args(_ints((2, 3)), _ints((3,))),
    prims=(ew.bitwise_and_p,), nondiff=True)
row("x3-bitwise_or-bool", fnp.bitwise_or, np.bitwise_or, args(_bools((4,)), _bools((4,))),
    prims=(ew.bitwise_or_p,), nondiff=True)
row("x3-bitwise_xor-uint8", fnp.bitwise_xor, np.bitwise_xor,
    args(_ints((4,), 0, 255, np.uint8), _ints((4,), 0, 255, np.uint8)),
    prims=(ew.bitwise_xor_p,), nondiff=True)
row("x3-left_shift", fnp.left_shift, np.left_shift, args(_ints((2, 3)), _ints((3,), 0, 6)),
    prims=(ew.left_shift_p,), nondiff=True)
row("x3-right_shift", fnp.right_shift, np.right_shift, args(_ints((4,)), _ints((4,), 0, 4)),
    prims=(ew.right_shift_p,), nondiff=True)
row("x3-bitwise_left_shift-int32", fnp.bitwise_left_shift, np.bitwise_left_shift,
    args(_ints((4,), dtype=np.int32), _ints((4,), 0, 5, np.int32)),
    prims=(ew.left_shift_p,), nondiff=True)
row("x3-bitwise_right_shift-uint16", fnp.bitwise_right_shift, np.bitwise_right_shift,
    args(_ints((4,), 0, 1000, np.uint16), _ints((4,), 0, 5, np.uint16)),
    prims=(ew.right_shift_p,), nondiff=True)
row("x3-bitwise_not-int", fnp.bitwise_not, np.bitwise_not, args(_ints((2, 2))),
    prims=(ew.invert_p,), nondiff=True)
row("x3-bitwise_invert-bool", fnp.bitwise_invert, np.bitwise_invert, args(_bools((4,))),
    prims=(ew.invert_p,), nondiff=True)
row("x3-bitwise_count", fnp.bitwise_count, np.bitwise_count, args(_ints((5,), -300, 300)),
    prims=(ew.bitwise_count_p,), nondiff=True)
row("x3-gcd", fnp.gcd, np.gcd, args(_ints((2, 3)), _ints((3,), 1, 30)),
    prims=(ew.gcd_p,), nondiff=True)
row("x3-lcm", fnp.lcm, np.lcm, args(_ints((4,), -12, 12), _ints((4,), 1, 12)),
    prims=(ew.lcm_p,), nondiff=True)
# a float input through integer bit operations: the derivative is exactly zero
row("x3-bitwise-of-float",
    lambda x: fnp.bitwise_xor(fnp.astype(fnp.floor(x * 8.0), np.int64), 5),
    lambda x: np.bitwise_xor(np.floor(x * 8.0).astype(np.int64), 5),
    args(uniform((4,), 0.01, 0.99)), prims=(ew.bitwise_xor_p,), nondiff=True)
row("x3-packbits-axis1-little", lambda a: fnp.packbits(a, axis=1, bitorder="little"),
    lambda a: np.packbits(a, axis=1, bitorder="little"), args(_ints((2, 11), 0, 2)),
    nondiff=True)
row("x3-packbits-flat-bool", fnp.packbits, np.packbits, args(_bools((2, 5))), nondiff=True)
row("x3-unpackbits-axis0-count", lambda a: fnp.unpackbits(a, axis=0, count=-3),
    lambda a: np.unpackbits(a, axis=0, count=-3), args(_ints((2, 3), 0, 256, np.uint8)),
    nondiff=True)
row("x3-unpackbits-flat-count", lambda a: fnp.unpackbits(a, count=20, bitorder="little"),
    lambda a: np.unpackbits(a, count=20, bitorder="little"),
    args(_ints((2,), 0, 256, np.uint8)), nondiff=True)

# (2) shape and conversion utilities
row("x3-broadcast_shapes", lambda x: fnp.broadcast_to(x, fnp.broadcast_shapes(x.shape, (2, 1, 1))),
    lambda x: np.broadcast_to(x, np.broadcast_shapes(x.shape, (2, 1, 1))),
    args(uniform((3, 1))))
row("x3-asanyarray", lambda x: fnp.asanyarray(x) * 2.0, lambda x: np.asanyarray(x) * 2.0,
    args(uniform((3,))))
row("x3-asanyarray-complex", lambda x: fnp.asanyarray(x) * x,
    lambda x: np.asanyarray(x) * x, args(uniform((3,), dtype=C128)))
row("x3-asarray_chkfinite", lambda x: fnp.asarray_chkfinite(x) ** 2,
    lambda x: np.asarray_chkfinite(x) ** 2, args(uniform((2, 3))))
row("x3-asarray_chkfinite-complex", lambda x: fnp.asarray_chkfinite(x) * x,
    lambda x: np.asarray_chkfinite(x) * x, args(uniform((3,), dtype=C128)))
row("x3-einsum_path",
    lambda a, b, c: fnp.einsum("ij,jk,kl->il", a, b, c,
                               optimize=fnp.einsum_path("ij,jk,kl->il", a, b, c)[0]),
    lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c,
                              optimize=np.einsum_path("ij,jk,kl->il", a, b, c)[0]),
    args(uniform((2, 3)), uniform((3, 4)), uniform((4, 2))))
row("x3-mask_indices", lambda x: x[fnp.mask_indices(3, fnp.triu, 1)],
    lambda x: x[np.mask_indices(3, np.triu, 1)], args(uniform((3, 3))))
row("x3-apply_over_axes-sum", lambda x: fnp.apply_over_axes(fnp.sum, x, [0, 2]),
    lambda x: np.apply_over_axes(np.sum, x, [0, 2]), args(uniform((2, 3, 2))))
row("x3-apply_over_axes-cumprod-complex",
    lambda x: fnp.apply_over_axes(lambda a, k: fnp.cumprod(a, axis=k), x, -1),
    lambda x: np.apply_over_axes(lambda a, k: np.cumprod(a, axis=k), x, -1),
    args(uniform((2, 3), 0.5, 1.0, dtype=C128)))

# (3) roots: eigenvalues of the companion matrix (distinct roots: the derivative exists)
_DATA_SHAPE = {c: "roots trims zeros and picks a real or complex result by the concrete "
               "coefficients (NumPy's rule), so it reads values that jit and vmap do not have"
               for c in ("vmap_axis0", "vmap_axis1", "vmap_none", "jit", "tier1", "tape", "cupy")}


def _poly_of(roots_maker, scale=1.0):  # noqa: ANN001, ANN202
    return lambda rng: np.poly(roots_maker(rng)) * scale


row("x3-roots-real", fnp.roots, np.roots, args(_poly_of(distinct((3,)), 1.7)), rtol=1e-9,
    inapplicable=_DATA_SHAPE)
row("x3-roots-conjugate-pairs", fnp.roots, np.roots,
    args(lambda rng: np.array([1.0, 0.4, 1.3, 0.2, 0.9]) + rng.uniform(0, 0.05, 5)),
    rtol=1e-9, inapplicable=_DATA_SHAPE)
row("x3-roots-complex", fnp.roots, np.roots,
    args(_poly_of(lambda rng: np.array([1.0, -1.0 + 0.5j, 0.3 - 1.2j])
                  + rng.uniform(0, 0.1, 3))),
    rtol=1e-9, inapplicable=_DATA_SHAPE)
row("x3-roots-zeros-trimmed",
    lambda q: fnp.roots(fnp.concatenate([np.zeros(1), q, np.zeros(2)])),
    lambda q: np.roots(np.concatenate([np.zeros(1), q, np.zeros(2)])),
    args(_poly_of(distinct((2,)), -0.8)), rtol=1e-9, inapplicable=_DATA_SHAPE)


# (4) in-place mutators on an array created inside the function (fnp.array copies its
# argument): derivatives flow to the written values and to the untouched entries
def _mutated(mutate):  # noqa: ANN001, ANN202
    def fn(a, *rest):  # noqa: ANN001, ANN002, ANN202
        y = fnp.array(a)
        mutate(fnp, y, *rest)
        return y

    def ref(a, *rest):  # noqa: ANN001, ANN002, ANN202
        y = np.array(a)
        mutate(np, y, *rest)
        return y

    return fn, ref


_put = _mutated(lambda m, y, v: m.put(y, [0, 4, -1, 4], v))
row("x3-put", *_put, args(uniform((2, 3)), uniform((3,))))
_put_c = _mutated(lambda m, y, v: m.put(y, [5, 1], v, mode="wrap"))
row("x3-put-wrap-complex", *_put_c, args(uniform((4,), dtype=C128), uniform((2,), dtype=C128)))
_putmask = _mutated(lambda m, y, v: m.putmask(y, np.array([[1, 0, 1], [0, 1, 1]], bool), v))
row("x3-putmask", *_putmask, args(uniform((2, 3)), uniform((4,))))
_place = _mutated(lambda m, y, v: m.place(y, np.array([[1, 0, 1], [0, 1, 1]], bool), v))
row("x3-place", *_place, args(uniform((2, 3)), uniform((3,))))
_place_c = _mutated(lambda m, y, v: m.place(y, np.array([0, 1, 1, 0, 1], bool), v))
row("x3-place-complex-cyclic", *_place_c,
    args(uniform((5,), dtype=C128), uniform((2,), dtype=C128)))
_fill = _mutated(lambda m, y, v: m.fill_diagonal(y, v))
row("x3-fill_diagonal", *_fill, args(uniform((3, 3)), uniform((3,))))
_fill_wrap = _mutated(lambda m, y, v: m.fill_diagonal(y, v, wrap=True))
row("x3-fill_diagonal-tall-wrap", *_fill_wrap, args(uniform((5, 2)), uniform(())))
_fill_3d = _mutated(lambda m, y, v: m.fill_diagonal(y, v))
row("x3-fill_diagonal-3d-complex", *_fill_3d,
    args(uniform((2, 2, 2), dtype=C128), uniform((2,), dtype=C128)))
_copyto = _mutated(lambda m, y, v: m.copyto(y, v, where=np.array([True, False, True])))
row("x3-copyto-where", *_copyto, args(uniform((2, 3)), uniform((2, 1))))
_copyto_c = _mutated(lambda m, y, v: m.copyto(y, v))
row("x3-copyto-complex", *_copyto_c, args(uniform((2, 3), dtype=C128), uniform((3,), dtype=C128)))
