"""`thinking`: a request that asks for much reasoning is served at least at `min_tier`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

from vibe_router.config_values import Names
from vibe_router.request import TurnView
from vibe_router.scenarios.base import ScenarioSettings, Target, unknown_tier

DEFAULT_EFFORTS = frozenset({"high", "xhigh", "max"})


class ThinkingSettings(ScenarioSettings):
    min_tier: str | None = None
    efforts: Names | None = None
    thinking_types: bool = True

    def build(self, at: str, tiers: list[str], pools: set[str]) -> Thinking:
        if error := unknown_tier(self.min_tier, tiers, f"{at}.min_tier"):
            raise error
        efforts = DEFAULT_EFFORTS if self.efforts is None else frozenset(e.lower() for e in self.efforts)
        return Thinking(self.min_tier, efforts, self.thinking_types)


@dataclass(frozen=True)
class Thinking:
    name: ClassVar[str] = "thinking"
    sets_floor: ClassVar[bool] = True
    human_turn: ClassVar[bool] = True
    settings: ClassVar[type[ScenarioSettings]] = ThinkingSettings
    pools: ClassVar[tuple[str, ...]] = ()  # only ever the ladder's tiers
    min_tier: str
    efforts: frozenset[str] = DEFAULT_EFFORTS
    thinking_types: bool = True

    def take(self, turn: TurnView, requested_model: str, agent: bool) -> str | None:
        return f"{turn.reasoning_effort or 'thinking'} sets the minimum tier" if self.matches(turn) else None

    def matches(self, turn: TurnView) -> bool:
        if turn.reasoning_effort is not None:
            return turn.reasoning_effort in self.efforts
        return self.thinking_types and turn.thinking

    @cached_property
    def target(self) -> Target:
        return Target(tier=self.min_tier)
