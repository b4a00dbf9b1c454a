"""`long_context`: a request of at least `min_tokens` (estimated) goes to its target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from vibe_router.config_values import Whole, required
from vibe_router.request import TurnView
from vibe_router.scenarios.base import CHARS_PER_TOKEN, ScenarioSettings, Target, TargetSettings, target_pools


class LongContextSettings(TargetSettings):
    min_tokens: Whole = required()

    def build(self, at: str, tiers: list[str], pools: set[str]) -> LongContext:
        return LongContext(self.min_tokens, self.target(at, tiers, pools))


@dataclass(frozen=True)
class LongContext:
    name: ClassVar[str] = "long_context"
    sets_floor: ClassVar[bool] = False
    human_turn: ClassVar[bool] = True
    settings: ClassVar[type[ScenarioSettings]] = LongContextSettings
    min_tokens: int
    target: Target

    def take(self, turn: TurnView, requested_model: str, agent: bool) -> str | None:
        tokens = turn.total_chars // CHARS_PER_TOKEN
        return f"~{tokens} tokens" if tokens >= self.min_tokens else None

    @property
    def pools(self) -> tuple[str, ...]:
        return target_pools(self.target)
