"""A scorer that always raises: loaded by tests through `kind: tests.support.faulty_scorer:ExplodingScorer`."""

from __future__ import annotations

from vibe_router.request import TurnView
from vibe_router.scoring.base import Score, Scorer


class ExplodingScorer(Scorer):
    kind = "exploding"

    def score(self, turn: TurnView) -> Score:
        raise RuntimeError("scorer exploded on purpose")
