"""A scorer that always raises: loaded by tests through `kind: tests.support.faulty_scorer:ExplodingScorer`."""

from __future__ import annotations

from typing import Any

from vibe_router.request import TurnView
from vibe_router.scoring.base import Score, Scorer, ScorerSettingsError


class ExplodingScorer(Scorer):
    kind = "exploding"

    def score(self, turn: TurnView) -> Score:
        raise RuntimeError("scorer exploded on purpose")


class MissingModelScorer(Scorer):
    """Fails at load like a scorer whose model file is missing or corrupt."""

    kind = "missing-model"

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Scorer:
        raise ScorerSettingsError("model", f"cannot read model file {settings.get('model')!r}")

    def score(self, turn: TurnView) -> Score:  # pragma: no cover - never built
        raise AssertionError("unreachable")
