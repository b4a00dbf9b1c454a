"""Fit the gain scorer's model: the expected quality gain (strong - weak) from a turn's structure.

The strong tier helps most on medium problems (on the hardest both tiers fail, on the easiest
both pass), so the target is the gain itself, not difficulty: 2 * `Example.target` - 1, i.e.
the mean gain over a benchmark's weak/strong pairs, or a label's 0/1 mapped to -1..1.

What carries over to prompts of an unseen kind is how the gain varies *within* a benchmark,
not how benchmarks differ from each other (which benchmark a prompt is from is what a model
learns first, and it says nothing about chat). So the fit has fixed effects per source: the
target and the structure features ("#len", "#caps", ...) are centred within each source
(`Example.source`) before a ridge regression, and the per-source means are dropped. Word
features are left out: on `vibe-router eval`'s leave-one-benchmark-out runs, the words of
four benchmarks told nothing about the fifth (see docs/learned-scorer.md).

The model is a `LinearModel` like the learned scorer's: logit = `scale` * predicted gain, so
the score sigmoid(logit) is about (1 + gain) / 2 near 0.5 (0.5: no gain expected).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from vibe_router.scoring.features import FEATURES_VERSION
from vibe_router.scoring.learned import LinearModel
from vibe_router_tools.training.routellm import Example
from vibe_router_tools.training.train import FeatureSet, _libraries, featurize


@dataclass(frozen=True)
class GainOptions:
    """alpha: ridge penalty per 1,000 training examples. scale: logit per unit of predicted gain.
    min_weight: weights smaller than this (in logit units) are dropped."""

    alpha: float = 1.0
    scale: float = 2.0
    min_weight: float = 1e-4


def gain_targets(examples: Sequence[Example]) -> list[float]:
    """Quality gain of the strong tier per example, in -1..1."""
    return [2.0 * example.target - 1.0 for example in examples]


def fit_gain(
    examples: Sequence[Example],
    options: GainOptions | None = None,
    features: Sequence[FeatureSet] | None = None,
) -> LinearModel:
    """Ridge regression of the gain on structure features, with a fixed effect per source."""
    options = options or GainOptions()
    if not examples:
        raise ValueError("no training examples")
    np, _, _ = _libraries()
    rows = list(features) if features is not None else featurize(examples)
    names = sorted({name for row in rows for name in row.dense})
    matrix = np.array([[row.dense.get(name, 0.0) for name in names] for row in rows])
    target = np.array(gain_targets(examples))
    sources = np.array([example.source or "?" for example in examples])
    centred, centred_target = matrix.copy(), target.copy()
    for source in set(sources):
        members = sources == source
        centred[members] -= matrix[members].mean(axis=0)
        centred_target[members] -= target[members].mean()
    if not np.any(centred_target):
        raise ValueError("the gain does not vary within any source: nothing to learn")
    penalty = options.alpha * len(examples) / 1000 * np.eye(len(names))
    coefficients = np.linalg.solve(centred.T @ centred + penalty, centred.T @ centred_target)
    # The level: the mean gain over sources (each source counts once), at the mean features.
    source_means = [(target[sources == s].mean(), matrix[sources == s].mean(axis=0)) for s in sorted(set(sources))]
    level = float(np.mean([gain - mean_features @ coefficients for gain, mean_features in source_means]))
    weights = {
        name: round(float(options.scale * value), 5)
        for name, value in zip(names, coefficients, strict=True)
        if abs(options.scale * value) >= options.min_weight
    }
    meta: dict[str, Any] = {
        "recipe": "gain",
        "examples": len(examples),
        "options": asdict(options),
        "sources": dict(sorted(Counter(example.source or "?" for example in examples).items())),
        "features_version": FEATURES_VERSION,
    }
    return LinearModel.from_names(round(options.scale * level, 5), weights, meta)
