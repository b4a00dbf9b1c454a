"""Scorers: text and structure of a turn -> a score with reasons."""

from vibe_router.scoring import gain as _gain  # noqa: F401  (registers "gain")
from vibe_router.scoring import heuristic as _heuristic  # noqa: F401  (registers "heuristic")
from vibe_router.scoring import learned as _learned  # noqa: F401  (registers "learned")
from vibe_router.scoring.base import (
    SCORER_KINDS,
    Reason,
    Score,
    Scorer,
    ScorerSettingsError,
    ScorerUnavailable,
    UnavailableScorer,
    build_scorer,
)

__all__ = [
    "SCORER_KINDS", "Reason", "Score", "Scorer", "ScorerSettingsError", "ScorerUnavailable", "UnavailableScorer",
    "build_scorer",
]
