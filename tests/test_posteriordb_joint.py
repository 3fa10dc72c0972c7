"""The posteriordb reference posteriors written as joint distributions (``posteriors_joint.py``)
against the same reference checks as the hand-written log densities (``test_posteriordb.py``:
``check_posterior``, the same slow marks), on the Python NUTS and on the compiled NUTS (the tape
machine); and the size of the model code: the joint versions take at most half the lines of the
hand-written ones.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import numpy as np
import pytest
from posteriors import stan_elements
from posteriors_joint import POSTERIORS
from test_posteriordb import SEED, SLOW, check_posterior, needs_posteriordb

from fluxion.mcmc import sample

HERE = Path(__file__).resolve().parent


def run_joint(name: str, seed: int = SEED, **options):
    """Sample one posterior's joint model; returns (result, Stan-named draws)."""
    post = POSTERIORS[name]()
    kwargs = {"chains": 4, "draws": 1000, "warmup": 1000, "seed": seed, "progress": False}
    kwargs.update(options)
    kwargs.update(post.sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # divergences are asserted on, not hidden
        res = sample(post.model, **kwargs)
    return res, stan_elements(post.derived(res.draws))


@needs_posteriordb
@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in POSTERIORS],
)
def test_joint_posterior_matches_reference(name):
    res = check_posterior(name, SEED + 10, run=run_joint)
    observed = list(POSTERIORS[name]().model.observed)
    assert list(res.log_likelihood) == observed
    assert res.log_likelihood[observed[0]].shape[:2] == (4, res.draws[
        next(iter(res.draws))].shape[1])


@needs_posteriordb
@pytest.mark.parametrize("name", list(POSTERIORS))
def test_joint_posterior_on_the_compiled_nuts(name, compiled_nuts):
    pytest.importorskip("numba")
    res = check_posterior(name, SEED + 13, run=run_joint)
    assert res.compiled == "chain"
    assert res.potential == "tape"


def _code_lines(path: Path, start: str, end: str) -> int:
    """Lines of code between two markers: blank lines, comments and docstrings not counted."""
    text = path.read_text()
    a, b = text.index(start), text.index(end)
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and ast.get_docstring(node):
            docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
    first = text[:a].count("\n") + 1
    count = 0
    for i, line in enumerate(text[a:b].splitlines()):
        s = line.strip()
        if s and not s.startswith("#") and first + i not in docstrings:
            count += 1
    return count


def test_joint_models_take_at_most_half_the_lines():
    # the ten models and their helpers, in both files (the POSTERIORS tables excluded)
    hand = _code_lines(HERE / "posteriors.py", "# Log densities of the Stan", "POSTERIORS: dict")
    joint = _code_lines(HERE / "posteriors_joint.py", "def _flat", "POSTERIORS: dict")
    print(f"model code: hand-written {hand} lines, joint distributions {joint} lines")
    assert joint <= hand / 2, (hand, joint)


@needs_posteriordb
def test_joint_and_hand_written_densities_agree():
    # up to a constant: the difference is the same at two points of every posterior
    import posteriors

    rng = np.random.default_rng(0)
    for name, make in POSTERIORS.items():
        hand = posteriors.POSTERIORS[name]()
        spec = make().model.__fluxion_model__()
        diffs = []
        for jitter in (0.0, 0.05):
            x = {k: np.asarray(v, dtype=float) + jitter * rng.uniform(size=np.shape(v))
                 for k, v in hand.init.items()}
            diffs.append(float(hand.log_prob(x)) - float(spec.log_prob(x)))
        assert abs(diffs[0] - diffs[1]) < 1e-8 * max(1.0, abs(diffs[0])), (name, diffs)
