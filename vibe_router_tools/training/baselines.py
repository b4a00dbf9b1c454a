"""The routers `vibe-router eval` compares: fixed rules, the learned scorer and the oracle.

A router is fitted on training examples and returns a score per test example; higher
scores go to the strong tier first. Baselines that need nothing to learn ignore training.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from vibe_router.request import prompt_view
from vibe_router.scoring.base import Scorer, build_scorer
from vibe_router.scoring.heuristic import HeuristicScorer
from vibe_router_tools.training.gain import GainOptions, fit_gain
from vibe_router_tools.training.routellm import Example
from vibe_router_tools.training.train import FeatureSet, TrainOptions, fit

CONFIG = Path(__file__).resolve().parents[2] / "config_final.yaml"
Scores = list[float]
Predict = Callable[[Sequence[Example], Sequence[FeatureSet]], Scores]


@dataclass(frozen=True)
class CandidateRouter:
    name: str
    fit: Callable[[Sequence[Example], Sequence[FeatureSet]], Predict]


def _fixed(score: Callable[[Example], float]) -> Callable[[Sequence[Example], Sequence[FeatureSet]], Predict]:
    def fitter(train: Sequence[Example], train_features: Sequence[FeatureSet]) -> Predict:
        return lambda test, test_features: [score(example) for example in test]

    return fitter


def random_router() -> CandidateRouter:
    """Every prompt ties: the curve is the expectation of routing a random share."""
    return CandidateRouter("random", _fixed(lambda example: 0.0))


def length_router() -> CandidateRouter:
    return CandidateRouter("prompt length", _fixed(lambda example: float(len(example.prompt))))


def _scorer_router(name: str, scorer: Scorer) -> CandidateRouter:
    def score(example: Example) -> float:
        view = prompt_view(example.prompt)
        return scorer.score(view).value

    return CandidateRouter(name, _fixed(score))


def heuristic_router() -> CandidateRouter:
    return _scorer_router("seed heuristic", HeuristicScorer())


def config_heuristic_router(path: Path = CONFIG) -> CandidateRouter | None:
    """The heuristic with the keywords config_final.yaml gives it (`scorers.heuristic`), if the file is there."""
    try:
        section = yaml.safe_load(path.read_text(encoding="utf-8"))["vibe_router"]["scorers"]["heuristic"]
    except (OSError, KeyError, TypeError):
        return None
    return _scorer_router("heuristic (config_final.yaml)", build_scorer("heuristic", section))


def litellm_classifier() -> Callable[[str], float] | None:
    """LiteLLM's complexity-router heuristic score of a text (no network), or None if absent."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_TELEMETRY_DISABLED", "true")
    try:
        from litellm.router_strategy.complexity_router.complexity_router import ComplexityRouter
    except ImportError:
        return None
    router = ComplexityRouter("vibe-router-eval", None, derive_savings_baseline=False)  # type: ignore[arg-type]
    return lambda text: float(router.classify(text)[1])


def litellm_router() -> CandidateRouter | None:
    classify = litellm_classifier()
    if classify is None:
        return None
    return CandidateRouter("LiteLLM complexity heuristic", _fixed(lambda example: classify(example.prompt)))


def learned_router(options: TrainOptions | None = None) -> CandidateRouter:
    def fitter(train: Sequence[Example], train_features: Sequence[FeatureSet]) -> Predict:
        model = fit(train, options, train_features)
        return lambda test, test_features: [model.logit(features) for features in test_features]

    return CandidateRouter("learned", fitter)


def gain_router(options: GainOptions | None = None) -> CandidateRouter:
    """The gain scorer's recipe: fixed-effects ridge on structure, trained on the training split."""

    def fitter(train: Sequence[Example], train_features: Sequence[FeatureSet]) -> Predict:
        model = fit_gain(train, options, train_features)
        return lambda test, test_features: [model.logit(features) for features in test_features]

    return CandidateRouter("gain", fitter)


def oracle_router() -> CandidateRouter:
    """Knows the answers: the best any router could do on these prompts."""
    return CandidateRouter("oracle", _fixed(lambda example: example.gain))


def default_routers(
    options: TrainOptions | None = None, with_litellm: bool = True, gain: GainOptions | None = None
) -> list[CandidateRouter]:
    routers = [random_router(), length_router(), heuristic_router()]
    configured = config_heuristic_router()
    if configured is not None:
        routers.append(configured)
    litellm = litellm_router() if with_litellm else None
    if litellm is not None:
        routers.append(litellm)
    return routers + [learned_router(options), gain_router(gain), oracle_router()]
