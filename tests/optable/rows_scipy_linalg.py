"""Op-table rows for ``fluxion.scipy.linalg`` (issue 14), against ``scipy.linalg``.

Inputs are well conditioned: general matrices are ``2 I`` plus a small random part (so LU's
pivot order, the principal logarithm and square root are stable under the finite-difference
step), SPD/HPD matrices are ``A A^H / n + I``. Functions of eigenvectors and singular vectors
are checked through quantities invariant to their signs/phases. Complex rows pass complex
arrays directly (the op table perturbs them as maps of R^2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg as sl

import fluxion
import fluxion.numpy as fnp
import fluxion.scipy.linalg as fsl
from fluxion._src.prims import linalg as la
from fluxion._src.prims import linalg_scipy as ls
from optable import OpCase

ROWS: list[OpCase] = []
C128 = np.complex128

Maker = Callable[[np.random.Generator], Any]


def row(name: str, fn: Callable, ref: Callable | None, make: Callable, prims: tuple = (),
        **kw: Any) -> None:
    ROWS.append(OpCase(name=f"sl-{name}", fn=fn, ref=ref, make_args=make, prims=tuple(prims),
                       **kw))


def args(*makers: Maker) -> Callable[[np.random.Generator], tuple]:
    return lambda rng: tuple(m(rng) for m in makers)


def normal(shape: tuple, cplx: bool = False) -> Maker:
    def make(rng: np.random.Generator) -> np.ndarray:
        x = rng.standard_normal(shape)
        if cplx:
            x = x + 1j * rng.standard_normal(shape)
        return x

    return make


def well(shape: tuple, cplx: bool = False, scale: float = 1.0) -> Maker:
    """Square matrices near ``2 I`` (times ``scale``)."""

    def make(rng: np.random.Generator) -> np.ndarray:
        n = shape[-1]
        return scale * (normal(shape, cplx)(rng) / (2 * np.sqrt(n)) + 2 * np.eye(n))

    return make


def spd(shape: tuple, cplx: bool = False) -> Maker:
    def make(rng: np.random.Generator) -> np.ndarray:
        n = shape[-1]
        a = normal(shape, cplx)(rng)
        return a @ np.conj(np.swapaxes(a, -1, -2)) / n + np.eye(n)

    return make


def pivoting(shape: tuple, cplx: bool = False) -> Maker:
    """Matrices whose LU needs row swaps, with pivots well separated (a permuted ``well``)."""

    def make(rng: np.random.Generator) -> np.ndarray:
        a = well(shape, cplx)(rng)
        perm = rng.permutation(shape[-2])
        while np.all(perm == np.arange(shape[-2])):
            perm = rng.permutation(shape[-2])
        return a[..., perm, :]

    return make


def tall(shape: tuple, cplx: bool = False) -> Maker:
    """Full-rank rectangular matrices with distinct singular values."""

    def make(rng: np.random.Generator) -> np.ndarray:
        a = normal(shape, cplx)(rng)
        m, n = shape[-2:]
        k = min(m, n)
        a[..., :k, :k] += 3 * np.diag(np.arange(1, k + 1))
        return a

    return make


LS = (ls.lu_p,)


def values_only(fn: Callable) -> Callable:
    """``fn`` with its input behind ``stop_gradient``: for functions with no derivative rule
    (they raise ``NotImplementedError``, tested in tests/test_scipy_linalg.py), so that the
    shape-rule column, which also runs a jvp, checks the primitive's shapes; the rows set
    ``modes=()`` (no derivative columns)."""
    return lambda *xs: fn(*(fluxion.stop_gradient(x) for x in xs))
SOLVE = (la.solve_p,)

# --- solve, inv, det -----------------------------------------------------------------------------

row("solve-(3,3)-(3,2)", lambda a, b: fsl.solve(a, b), sl.solve,
    args(well((3, 3)), normal((3, 2))), SOLVE)
row("solve-vector", lambda a, b: fsl.solve(a, b), sl.solve, args(well((3, 3)), normal((3,))),
    SOLVE)
row("solve-batched", lambda a, b: fsl.solve(a, b), sl.solve,
    args(well((2, 3, 3)), normal((2, 3, 2))), SOLVE)
for kw in [dict(assume_a="sym"), dict(assume_a="sym", lower=True), dict(assume_a="pos"),
           dict(assume_a="pos", lower=True), dict(transposed=True)]:
    tag = "-".join(f"{v}" if k == "assume_a" else k for k, v in kw.items())
    # a general matrix: only one triangle is read, as in SciPy (its values do not depend on the
    # other one); 'pos' gets an SPD matrix so LAPACK's Cholesky succeeds
    mk = spd((3, 3)) if kw.get("assume_a") == "pos" else well((3, 3))
    row(f"solve-{tag}", lambda a, b, kw=kw: fsl.solve(a, b, **kw),
        lambda a, b, kw=kw: sl.solve(a, b, **kw), args(mk, normal((3, 2))), SOLVE)
row("solve-complex", lambda a, b: fsl.solve(a, b), sl.solve,
    args(well((3, 3), True), normal((3, 2), True)), SOLVE, rtol=1e-9, atol=1e-10)
row("solve-her-complex", lambda a, b: fsl.solve(a, b, assume_a="her"),
    lambda a, b: sl.solve(a, b, assume_a="her"), args(spd((3, 3), True), normal((3,), True)),
    SOLVE, rtol=1e-9, atol=1e-10)
row("solve-pos-lower-complex", lambda a, b: fsl.solve(a, b, assume_a="pos", lower=True),
    lambda a, b: sl.solve(a, b, assume_a="pos", lower=True),
    args(spd((3, 3), True), normal((3, 2), True)), SOLVE, rtol=1e-9, atol=1e-10)
row("inv", lambda a: fsl.inv(a), sl.inv, args(well((3, 3))), (la.inv_p,))
row("inv-batched-complex", lambda a: fsl.inv(a), sl.inv, args(well((2, 3, 3), True)),
    (la.inv_p,))
row("det", lambda a: fsl.det(a), sl.det, args(well((3, 3))), (la.det_p,))
row("det-complex", lambda a: fsl.det(a), sl.det, args(well((3, 3), True)), (la.det_p,))

# --- LU ------------------------------------------------------------------------------------------

row("lu", lambda a: fsl.lu(a), sl.lu, args(pivoting((4, 4))), LS)
row("lu-permute_l", lambda a: fsl.lu(a, permute_l=True), lambda a: sl.lu(a, permute_l=True),
    args(pivoting((3, 3))), LS)
row("lu-p_indices", lambda a: fsl.lu(a, p_indices=True), lambda a: sl.lu(a, p_indices=True),
    args(pivoting((3, 3))), LS)
row("lu-batched", lambda a: fsl.lu(a), sl.lu, args(pivoting((2, 3, 3))), LS)
row("lu-complex", lambda a: fsl.lu(a), sl.lu, args(pivoting((3, 3), True)), LS,
    rtol=1e-9, atol=1e-10)
row("lu-wide", lambda a: fsl.lu(a), sl.lu, args(normal((3, 5))), LS)
row("lu-tall", lambda a: fsl.lu(a), sl.lu, args(normal((5, 3))), LS)
row("lu_factor-tall-complex", lambda a: fsl.lu_factor(a), sl.lu_factor,
    args(normal((4, 2), True)), LS, rtol=1e-9, atol=1e-10)
row("lu_factor", lambda a: fsl.lu_factor(a), sl.lu_factor, args(pivoting((4, 4))), LS)
row("lu_factor-complex", lambda a: fsl.lu_factor(a), sl.lu_factor,
    args(pivoting((3, 3), True)), LS, rtol=1e-9, atol=1e-10)
for trans in (0, 1, 2):
    row(f"lu_solve-trans{trans}",
        lambda a, b, t=trans: fsl.lu_solve(fsl.lu_factor(a), b, trans=t),
        lambda a, b, t=trans: sl.lu_solve(sl.lu_factor(a), b, trans=t),
        args(pivoting((3, 3) if trans == 0 else (2, 2)), normal((3 if trans == 0 else 2, 2))),
        LS + (ls.pivots_to_permutation_p, la.triangular_solve_p))
    row(f"lu_solve-trans{trans}-complex",
        lambda a, b, t=trans: fsl.lu_solve(fsl.lu_factor(a), b, trans=t),
        lambda a, b, t=trans: sl.lu_solve(sl.lu_factor(a), b, trans=t),
        args(pivoting((2, 2), True), normal((2,), True)),
        LS + (ls.pivots_to_permutation_p,), rtol=1e-9, atol=1e-10)
row("lu_solve-factor-given", lambda lu_, b: fsl.lu_solve((lu_, np.array([2, 2, 2], np.int32)), b),
    lambda lu_, b: sl.lu_solve((lu_, np.array([2, 2, 2], np.int32)), b),
    args(well((3, 3)), normal((3,))), (ls.pivots_to_permutation_p,))

# --- QR, SVD, eigh, Schur, polar -----------------------------------------------------------------

row("qr-full-square", lambda a: fsl.qr(a), sl.qr, args(normal((3, 3))), (la.qr_p,))
row("qr-economic", lambda a: fsl.qr(a, mode="economic"), lambda a: sl.qr(a, mode="economic"),
    args(normal((4, 3))), (la.qr_p,))
row("qr-r", lambda a: fsl.qr(a, mode="r"), lambda a: sl.qr(a, mode="r"), args(normal((4, 3))),
    (la.qr_p,))
row("qr-economic-complex", lambda a: fsl.qr(a, mode="economic"),
    lambda a: sl.qr(a, mode="economic"), args(normal((4, 3), True)), (la.qr_p,),
    rtol=1e-9, atol=1e-10)


def _svd_inv(lib: Any, svd: Callable) -> Callable:
    def fn(a: Any) -> tuple:
        u, s, vh = svd(a, full_matrices=False)
        return s, (u * lib.exp(s)[..., None, :]) @ vh

    return fn


row("svd", _svd_inv(fnp, fsl.svd), _svd_inv(np, sl.svd), args(tall((4, 3))), (la.svd_p,),
    atol=1e-8)
row("svd-complex", _svd_inv(fnp, fsl.svd), _svd_inv(np, sl.svd), args(tall((3, 4), True)),
    (la.svd_p,), atol=1e-8)
row("svd-values", lambda a: fsl.svd(a, compute_uv=False), lambda a: sl.svd(a, compute_uv=False),
    args(tall((4, 3))), (la.svd_p,))


def _eigh_inv(lib: Any, eigh: Callable, **kw: Any) -> Callable:
    def fn(*xs: Any) -> tuple:
        w, v = eigh(*xs, **kw)
        return w, (v * lib.conj(v)).real, (v * lib.exp(w)[..., None, :]) @ lib.conj(
            lib.swapaxes(v, -1, -2))

    return fn


row("eigh", _eigh_inv(fnp, fsl.eigh), _eigh_inv(np, sl.eigh), args(spd((3, 3))), (la.eigh_p,),
    atol=1e-8)
row("eigh-upper-complex", _eigh_inv(fnp, fsl.eigh, lower=False),
    _eigh_inv(np, sl.eigh, lower=False), args(spd((3, 3), True)), (la.eigh_p,), atol=1e-8)
row("eigh-generalized", lambda a, b: fsl.eigh(a, b, eigvals_only=True),
    lambda a, b: sl.eigh(a, b, eigvals_only=True), args(spd((3, 3)), spd((3, 3))),
    (la.eigh_p, la.cholesky_p))
row("eigh-generalized-vectors",
    lambda a, b: fnp.abs(fsl.eigh(a, b)[1]), lambda a, b: np.abs(sl.eigh(a, b)[1]),
    args(spd((2, 2)), spd((2, 2))), (la.eigh_p,), atol=1e-8)
row("eigh-subset_by_index", lambda a: fsl.eigh(a, subset_by_index=[1, 2])[0],
    lambda a: sl.eigh(a, subset_by_index=[1, 2])[0], args(spd((4, 4))), (la.eigh_p,))
row("eigvalsh", lambda a: fsl.eigvalsh(a), sl.eigvalsh, args(spd((3, 3))), (la.eigh_p,))
row("eigvalsh-complex", lambda a: fsl.eigvalsh(a), sl.eigvalsh, args(spd((3, 3), True)),
    (la.eigh_p,))
_SCHUR = dict(modes=())  # values only: fsl.schur's derivative raises NotImplementedError
row("schur-real", values_only(lambda a: fsl.schur(a)), sl.schur, args(normal((4, 4))),
    (ls.schur_p,), **_SCHUR)
row("schur-complex", values_only(lambda a: fsl.schur(a, output="complex")),
    lambda a: sl.schur(a, output="complex"), args(normal((3, 3))), (ls.schur_p,), **_SCHUR)
row("schur-complex-input", values_only(lambda a: fsl.schur(a)), sl.schur,
    args(normal((3, 3), True)), (ls.schur_p,), **_SCHUR)
row("polar-right", lambda a: fsl.polar(a), sl.polar, args(tall((4, 3))), (la.svd_p,))
row("polar-left", lambda a: fsl.polar(a, side="left"), lambda a: sl.polar(a, side="left"),
    args(tall((3, 4))), (la.svd_p,))
row("polar-complex", lambda a: fsl.polar(a), sl.polar, args(tall((3, 3), True)), (la.svd_p,),
    rtol=1e-9, atol=1e-10)

# --- matrix functions ----------------------------------------------------------------------------

row("expm", lambda a: fsl.expm(a), sl.expm, args(normal((3, 3))), (ls.expm_p,))
row("expm-batched", lambda a: fsl.expm(a), sl.expm, args(normal((2, 3, 3))), (ls.expm_p,))
row("expm-complex", lambda a: fsl.expm(a), sl.expm, args(normal((3, 3), True)), (ls.expm_p,),
    rtol=1e-9, atol=1e-10)
row("expm_frechet", lambda a, e: fsl.expm_frechet(a, e), sl.expm_frechet,
    args(normal((3, 3)), normal((3, 3))), (ls.expm_p,))
row("expm_frechet-no-expm", lambda a, e: fsl.expm_frechet(a, e, compute_expm=False),
    lambda a, e: sl.expm_frechet(a, e, compute_expm=False),
    args(normal((3, 3)), normal((3, 3))), (ls.expm_p,))
row("expm_frechet-complex", lambda a, e: fsl.expm_frechet(a, e), sl.expm_frechet,
    args(normal((3, 3), True), normal((3, 3), True)), (ls.expm_p,), rtol=1e-9, atol=1e-10)
# SciPy's logm costs ~20 ms a call and second order calls it on 4n x 4n matrices many times:
# the complex row stops at first order (the real row checks the same rule to second order);
# batching shares expm's rules (expm-batched)
row("logm", lambda a: fsl.logm(a), sl.logm, args(well((3, 3))), (ls.logm_p,))
row("logm-complex", lambda a: fsl.logm(a), sl.logm, args(well((3, 3), True)), (ls.logm_p,),
    rtol=1e-9, atol=1e-10, order=1)
row("sqrtm", lambda a: fsl.sqrtm(a), sl.sqrtm, args(well((3, 3))),
    (ls.sqrtm_p, ls.sylvester_p))
row("sqrtm-batched", lambda a: fsl.sqrtm(a), sl.sqrtm, args(well((2, 3, 3))), (ls.sqrtm_p,))
row("sqrtm-complex", lambda a: fsl.sqrtm(a), sl.sqrtm, args(well((3, 3), True)),
    (ls.sqrtm_p, ls.sylvester_p), rtol=1e-9, atol=1e-10)

# --- matrix equations ----------------------------------------------------------------------------

row("solve_sylvester", lambda a, b, q: fsl.solve_sylvester(a, b, q), sl.solve_sylvester,
    args(well((3, 3)), well((2, 2)), normal((3, 2))), (ls.sylvester_p,))
row("solve_sylvester-batched", lambda a, b, q: fsl.solve_sylvester(a, b, q), sl.solve_sylvester,
    args(well((2, 3, 3)), well((2, 2, 2)), normal((2, 3, 2))), (ls.sylvester_p,))
row("solve_sylvester-complex", lambda a, b, q: fsl.solve_sylvester(a, b, q), sl.solve_sylvester,
    args(well((3, 3), True), well((2, 2), True), normal((3, 2), True)), (ls.sylvester_p,),
    rtol=1e-9, atol=1e-10)
row("solve_continuous_lyapunov", lambda a, q: fsl.solve_continuous_lyapunov(a, q),
    sl.solve_continuous_lyapunov, args(well((3, 3)), normal((3, 3))), (ls.sylvester_p,))
row("solve_continuous_lyapunov-complex", lambda a, q: fsl.solve_continuous_lyapunov(a, q),
    sl.solve_continuous_lyapunov, args(well((3, 3), True), normal((3, 3), True)),
    (ls.sylvester_p,), rtol=1e-9, atol=1e-10)
row("solve_discrete_lyapunov", lambda a, q: fsl.solve_discrete_lyapunov(a, q),
    sl.solve_discrete_lyapunov, args(well((3, 3), scale=0.3), normal((3, 3))), SOLVE)
row("solve_discrete_lyapunov-complex", lambda a, q: fsl.solve_discrete_lyapunov(a, q),
    sl.solve_discrete_lyapunov, args(well((3, 3), True, 0.3), normal((3, 3), True)), SOLVE,
    rtol=1e-9, atol=1e-10)


def _banded(rng: np.random.Generator) -> np.ndarray:
    ab = rng.standard_normal((4, 5)) * 0.3
    ab[2] += 3.0  # (l, u) = (1, 2): row u = 2 holds the diagonal
    return ab


row("solve_banded", lambda ab, b: fsl.solve_banded((1, 2), ab, b),
    lambda ab, b: sl.solve_banded((1, 2), ab, b), args(_banded, normal((5, 2))), SOLVE)
row("solve_banded-vector", lambda ab, b: fsl.solve_banded((1, 2), ab, b),
    lambda ab, b: sl.solve_banded((1, 2), ab, b), args(_banded, normal((5,))), SOLVE)

# --- pinv, lstsq ---------------------------------------------------------------------------------

row("pinv", lambda a: fsl.pinv(a), sl.pinv, args(tall((4, 3))), (la.svd_p,))
row("pinv-complex", lambda a: fsl.pinv(a), sl.pinv, args(tall((3, 4), True)), (la.svd_p,),
    rtol=1e-9, atol=1e-10)
row("pinv-atol", lambda a: fsl.pinv(a, atol=1e-3), lambda a: sl.pinv(a, atol=1e-3),
    args(tall((4, 3))), (la.svd_p,))
row("lstsq", lambda a, b: fsl.lstsq(a, b)[:2], lambda a, b: sl.lstsq(a, b)[:2],
    args(tall((5, 3)), normal((5,))))
row("lstsq-matrix", lambda a, b: fsl.lstsq(a, b)[:2], lambda a, b: sl.lstsq(a, b)[:2],
    args(tall((5, 3)), normal((5, 2))))
row("lstsq-rank-s", lambda a, b: fsl.lstsq(a, b)[3], lambda a, b: sl.lstsq(a, b)[3],
    args(tall((5, 3)), normal((5,))), (la.svd_p,))

# --- special matrices ----------------------------------------------------------------------------

row("toeplitz", lambda c, r: fsl.toeplitz(c, r), sl.toeplitz, args(normal((3,)), normal((4,))))
row("toeplitz-symmetric", lambda c: fsl.toeplitz(c), sl.toeplitz, args(normal((4,))))
row("toeplitz-complex", lambda c: fsl.toeplitz(c), sl.toeplitz, args(normal((3,), True)))
row("toeplitz-batched", lambda c, r: fsl.toeplitz(c, r), sl.toeplitz,
    args(normal((2, 3)), normal((2, 4))))
row("hankel", lambda c, r: fsl.hankel(c, r), sl.hankel, args(normal((3,)), normal((4,))))
row("hankel-c-only", lambda c: fsl.hankel(c), sl.hankel, args(normal((4,))))
row("hankel-complex", lambda c, r: fsl.hankel(c, r), sl.hankel,
    args(normal((3,), True), normal((2,), True)))
row("circulant", lambda c: fsl.circulant(c), sl.circulant, args(normal((4,))))
row("circulant-complex", lambda c: fsl.circulant(c), sl.circulant, args(normal((3,), True)))
row("block_diag", lambda a, b, c: fsl.block_diag(a, b, c), sl.block_diag,
    args(normal((2, 2)), normal((3,)), normal((2, 1))))
row("block_diag-complex", lambda a, b: fsl.block_diag(a, b), sl.block_diag,
    args(normal((2, 2), True), normal((1, 3))))

# --- trigonometric/hyperbolic matrix functions, eig, norm, more special matrices -----------------

_TRIG = [
    ("cosm", lambda a: fsl.cosm(a), sl.cosm),
    ("sinm", lambda a: fsl.sinm(a), sl.sinm),
    ("tanm", lambda a: fsl.tanm(a), sl.tanm),
    ("coshm", lambda a: fsl.coshm(a), sl.coshm),
    ("sinhm", lambda a: fsl.sinhm(a), sl.sinhm),
    ("tanhm", lambda a: fsl.tanhm(a), sl.tanhm),
]
for _name, _fn, _ref in _TRIG:
    row(_name, _fn, _ref, args(normal((3, 3))), (ls.expm_p,), atol=1e-9)
    row(f"{_name}-complex", _fn, _ref, args(normal((2, 2), True)), (ls.expm_p,), rtol=1e-9,
        atol=1e-10)


def _eig_inv(lib: Any, eig: Callable) -> Callable:
    # eigenvalues and the phase-invariant v diag(w) v^-1 (= a) and |v|^2
    def fn(a: Any) -> tuple:
        w, v = eig(a)
        return w, (v * lib.conj(v)).real

    return fn


row("eig", _eig_inv(fnp, fsl.eig), _eig_inv(np, sl.eig), args(normal((3, 3))), (la.eig_p,),
    atol=1e-8)
row("eig-complex", _eig_inv(fnp, fsl.eig), _eig_inv(np, sl.eig), args(normal((3, 3), True)),
    (la.eig_p,), atol=1e-8)
row("eigvals", lambda a: fsl.eigvals(a), sl.eigvals, args(normal((3, 3))), (la.eig_p,))
def _power_sums(lib: Any, eigvals: Callable) -> Callable:
    # the power sums of the eigenvalues determine them as a set (LAPACK's ggev orders them
    # differently from the geev of b^-1 a)
    def fn(a: Any, b: Any) -> Any:
        w = eigvals(a, b)
        return lib.stack([lib.sum(w**k) for k in (1, 2, 3)])

    return fn


row("eigvals-generalized", _power_sums(fnp, fsl.eigvals), _power_sums(np, sl.eigvals),
    args(normal((3, 3)), well((3, 3))), (la.eig_p,))
row("eig-right-false", lambda a: fsl.eig(a, right=False), lambda a: sl.eig(a, right=False),
    args(normal((3, 3))), (la.eig_p,))
for _ord in (None, "fro", "nuc", 2, 1):
    row(f"norm-matrix-{_ord}", lambda a, o=_ord: fsl.norm(a, o), lambda a, o=_ord: sl.norm(a, o),
        args(tall((3, 3))))
row("norm-vector-complex", lambda a: fsl.norm(a), sl.norm, args(normal((4,), True)))
row("khatri_rao", lambda a, b: fsl.khatri_rao(a, b), sl.khatri_rao,
    args(normal((2, 3)), normal((4, 3))))
def _poly(shape: tuple) -> Maker:
    """Polynomial coefficients with the leading one away from zero."""

    def make(rng: np.random.Generator) -> np.ndarray:
        a = rng.standard_normal(shape)
        a[..., 0] = 1.5 + rng.uniform(0.0, 1.0, shape[:-1])
        return a

    return make


row("companion", lambda a: fsl.companion(a), sl.companion, args(_poly((4,))))
row("companion-batched", lambda a: fsl.companion(a), sl.companion, args(_poly((2, 3))))


def _hbanded(lower: bool, cplx: bool = False) -> Maker:
    def make(rng: np.random.Generator) -> np.ndarray:
        ab = normal((3, 5), cplx)(rng) * 0.3
        d = 0 if lower else 2
        ab[d] = ab[d].real + 3.0  # the diagonal (real: a Hermitian matrix's is)
        return ab

    return make


row("solveh_banded", lambda ab, b: fsl.solveh_banded(ab, b), sl.solveh_banded,
    args(_hbanded(False), normal((5, 2))), SOLVE)
row("solveh_banded-lower", lambda ab, b: fsl.solveh_banded(ab, b, lower=True),
    lambda ab, b: sl.solveh_banded(ab, b, lower=True), args(_hbanded(True), normal((5,))), SOLVE)
row("solveh_banded-complex", lambda ab, b: fsl.solveh_banded(ab, b), sl.solveh_banded,
    args(_hbanded(False, True), normal((5,), True)), SOLVE, rtol=1e-9, atol=1e-10)
