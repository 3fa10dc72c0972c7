"""Optimize optimization itself: hypergradients of a learning-rate schedule.

The autograd seed's "optimize optimization itself", on a small linear regression: train the
weights with 100 steps of SGD whose learning rate at step ``t`` is ``lrs[t]`` (a vector of 100
per-step rates, fed to ``fluxion.optim.sgd`` as a schedule), and differentiate the loss on a
held-out validation set with respect to all 100 rates at once, through the whole training run
(inner gradients included). The hypergradient is checked against central finite differences
along random directions, computed with a Python loop and with ``fluxion.lax.scan``, and then used
for a few steps of gradient descent on the schedule itself.

Run ``python examples/hypergradient.py``; it finishes in a few seconds.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import fluxion
import fluxion.numpy as fnp
from fluxion import optim


def make_data(n_train: int = 40, n_val: int = 40, dim: int = 5, seed: int = 0) -> dict:
    """A noisy linear regression problem split into training and validation sets.

    Returns
    -------
    dict
        ``X_train`` (n_train, dim), ``y_train`` (n_train,), ``X_val`` (n_val, dim),
        ``y_val`` (n_val,), ``w_true`` (dim,).
    """
    rng = np.random.default_rng(seed)
    w_true = rng.normal(size=dim)
    X = rng.normal(size=(n_train + n_val, dim)) * np.linspace(0.3, 1.5, dim)
    y = X @ w_true + 0.3 * rng.normal(size=n_train + n_val)
    return {
        "X_train": X[:n_train],
        "y_train": y[:n_train],
        "X_val": X[n_train:],
        "y_val": y[n_train:],
        "w_true": w_true,
    }


def mse(w: Any, X: Any, y: Any) -> Any:
    """Mean squared error of the linear model ``X @ w``, shape ``()``."""
    return fnp.mean((X @ w - y) ** 2)


def train(lrs: Any, data: dict, use_scan: bool = False) -> Any:
    """Run ``len(lrs)`` steps of SGD from ``w = 0`` with learning rate ``lrs[t]`` at step ``t``.

    Parameters
    ----------
    lrs : Array, shape ``(steps,)``
        The learning-rate schedule, one rate per step.
    data : dict
        From :func:`make_data`.
    use_scan : bool, optional
        Loop with ``fluxion.lax.scan`` instead of a Python ``for`` loop.

    Returns
    -------
    Array, shape ``(dim,)``
        The trained weights.
    """
    X, y = data["X_train"], data["y_train"]
    opt = optim.sgd(lambda count: lrs[count])  # the schedule: count -> lrs[count]
    w = fnp.zeros(X.shape[1])
    state = opt.init(w)
    train_grad = fluxion.grad(mse)

    def step(carry: tuple, _: Any) -> tuple:
        w, state = carry
        updates, state = opt.update(train_grad(w, X, y), state, w)
        return (optim.apply_updates(w, updates), state), None

    steps = fnp.shape(lrs)[0]
    if use_scan:
        (w, state), _ = fluxion.lax.scan(step, (w, state), length=steps)
    else:
        for _ in range(steps):
            (w, state), _ = step((w, state), None)
    return w


def validation_loss(lrs: Any, data: dict, use_scan: bool = False) -> Any:
    """The validation MSE after training with the schedule ``lrs``, shape ``()``."""
    w = train(lrs, data, use_scan)
    return mse(w, data["X_val"], data["y_val"])


def hypergradient(lrs: Any, data: dict, use_scan: bool = False) -> tuple[Any, Any]:
    """The validation loss and its gradient with respect to the schedule, shape ``(steps,)``."""
    return fluxion.value_and_grad(validation_loss)(lrs, data, use_scan)


def finite_difference_check(
    lrs: Any, grad: Any, data: dict, n_directions: int = 3, eps: float = 1e-6, seed: int = 1
) -> list[tuple[float, float]]:
    """Directional derivatives ``<grad, v>`` and central differences along random unit ``v``.

    Returns
    -------
    list of (float, float)
        ``(autodiff, finite difference)`` for each direction.
    """
    rng = np.random.default_rng(seed)
    lrs = np.asarray(lrs, dtype=float)
    pairs = []
    for _ in range(n_directions):
        v = rng.normal(size=lrs.shape)
        v /= np.linalg.norm(v)
        plus = float(validation_loss(lrs + eps * v, data))
        minus = float(validation_loss(lrs - eps * v, data))
        pairs.append((float(np.dot(grad, v)), (plus - minus) / (2 * eps)))
    return pairs


def main(
    steps: int = 100, n_train: int = 40, n_val: int = 40, dim: int = 5, meta_steps: int = 10
) -> dict:
    """Compute, check and use the hypergradient; print a short report.

    Returns
    -------
    dict
        ``grad`` (steps,), ``grad_scan`` (steps,), ``fd_pairs`` (list of (ad, fd)),
        ``max_rel_error``, ``val_losses`` (validation loss per meta step, ``meta_steps + 1``).
    """
    data = make_data(n_train, n_val, dim)
    lrs = np.full(steps, 0.02)

    t0 = time.perf_counter()
    loss, grad = hypergradient(lrs, data)
    t_loop = time.perf_counter() - t0
    t0 = time.perf_counter()
    loss_scan, grad_scan = hypergradient(lrs, data, use_scan=True)
    t_scan = time.perf_counter() - t0

    pairs = finite_difference_check(lrs, grad, data)
    scale = max(abs(fd) for _, fd in pairs)
    max_rel = max(abs(ad - fd) for ad, fd in pairs) / scale

    print(f"validation loss after {steps} SGD steps at lr = {lrs[0]}: {float(loss):.6f}")
    print(
        f"hypergradient d(val loss)/d(lrs): shape {np.shape(grad)}, norm "
        f"{np.linalg.norm(grad):.6e} (python loop {t_loop:.2f} s, scan {t_scan:.2f} s)"
    )
    print(f"  loop vs scan max difference {np.max(np.abs(grad - grad_scan)):.2e}")
    print("finite-difference check along random unit directions (central, eps = 1e-6):")
    for ad, fd in pairs:
        print(f"  autodiff {ad: .10e}   finite difference {fd: .10e}")
    print(f"  max relative error {max_rel:.2e}")

    # Optimize the schedule itself: gradient descent on the 100 learning rates (kept >= 0).
    val_losses = [float(loss)]
    meta = optim.adam(2e-3)
    meta_state = meta.init(lrs)
    for _ in range(meta_steps):
        _, g = hypergradient(lrs, data, use_scan=True)
        updates, meta_state = meta.update(g, meta_state, lrs)
        lrs = np.maximum(optim.apply_updates(lrs, updates), 0.0)
        val_losses.append(float(validation_loss(lrs, data)))
    if meta_steps:
        print(
            f"{meta_steps} steps of Adam on the schedule: validation loss "
            f"{val_losses[0]:.6f} -> {val_losses[-1]:.6f}"
        )
    return {
        "grad": np.asarray(grad),
        "grad_scan": np.asarray(grad_scan),
        "fd_pairs": pairs,
        "max_rel_error": max_rel,
        "val_losses": val_losses,
    }


if __name__ == "__main__":
    main()
