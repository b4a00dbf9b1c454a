"""Virtual model -> score -> tier -> pool, as a `Decision` that explains itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vibe_router.config import RouterConfig
from vibe_router.request import TurnView, build_view
from vibe_router.scoring import Reason

CALL_TYPE_ENDPOINTS = {
    "acompletion": "chat",
    "completion": "chat",
    "atext_completion": "completions",
    "text_completion": "completions",
    "anthropic_messages": "messages",
    "aresponses": "responses",
    "responses": "responses",
}
HEADER_PREFIX = "x-vibe-router-"
MAX_HEADER_REASONS = 4


@dataclass(frozen=True)
class Decision:
    virtual_model: str
    pool: str
    tier: str
    tier_index: int
    score: float
    reasons: tuple[Reason, ...]
    scorer: str
    endpoint: str
    decided_by: str = "score"

    @property
    def label(self) -> str:
        """The seed's SIMPLE / COMPLEX wording: the cheapest tier is SIMPLE."""
        return "SIMPLE" if self.tier_index == 0 else "COMPLEX"

    def reason_summary(self, limit: int = MAX_HEADER_REASONS) -> str:
        strongest = sorted(self.reasons, key=lambda reason: abs(reason.weight), reverse=True)[:limit]
        return f"{self.decided_by}: " + (" ".join(str(reason) for reason in strongest) or "no features")

    def to_metadata(self) -> dict[str, Any]:
        return {
            "virtual_model": self.virtual_model,
            "pool": self.pool,
            "tier": self.tier,
            "tier_index": self.tier_index,
            "score": self.score,
            "reasons": [{"feature": r.feature, "weight": r.weight} for r in self.reasons],
            "classifier": self.scorer,
            "decided_by": self.decided_by,
            "endpoint": self.endpoint,
        }

    @classmethod
    def from_metadata(cls, record: dict[str, Any]) -> Decision:
        return cls(
            virtual_model=record["virtual_model"],
            pool=record["pool"],
            tier=record["tier"],
            tier_index=record.get("tier_index", 0),
            score=record["score"],
            reasons=tuple(Reason(r["feature"], r["weight"]) for r in record.get("reasons", ())),
            scorer=record.get("classifier", ""),
            endpoint=record.get("endpoint", ""),
            decided_by=record.get("decided_by", "score"),
        )

    def headers(self) -> dict[str, str]:
        values = {
            "virtual-model": self.virtual_model,
            "pool": self.pool,
            "tier": self.tier,
            "score": f"{self.score:g}",
            "reason": self.reason_summary(),
        }
        return {HEADER_PREFIX + name: _header_safe(value) for name, value in values.items()}


class Policy:
    """Decides which pool serves a request for a virtual model."""

    def __init__(self, config: RouterConfig) -> None:
        self.config = config

    def is_virtual(self, model: Any) -> bool:
        return isinstance(model, str) and model in self.config.virtual_models

    def view(self, endpoint: str, body: dict[str, Any]) -> TurnView:
        return build_view(endpoint, body, self.config.stripper, self.config.max_scored_chars)

    def decide(self, endpoint: str, body: dict[str, Any]) -> Decision | None:
        """The decision for a request body, or None when its model is not virtual."""
        model = body.get("model")
        if not self.is_virtual(model):
            return None
        return self.decide_view(model, self.view(endpoint, body))

    def decide_view(self, model: str, turn: TurnView) -> Decision:
        virtual = self.config.virtual_models[model]
        score = virtual.scorer.score(turn)
        tier = virtual.tier_for(score.value)
        return Decision(
            virtual_model=model,
            pool=tier.pool,
            tier=tier.name,
            tier_index=virtual.tiers.index(tier),
            score=round(score.value, 4),
            reasons=score.reasons,
            scorer=virtual.scorer_name,
            endpoint=turn.endpoint,
        )


def _header_safe(value: str) -> str:
    return value.encode("ascii", "backslashreplace").decode("ascii").replace("\r", " ").replace("\n", " ")
