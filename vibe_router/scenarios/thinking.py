"""`thinking`: a request that asks for much reasoning is served at least at `min_tier`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

from vibe_router.request import TurnView
from vibe_router.scenarios.base import Target


@dataclass(frozen=True)
class Thinking:
    name: ClassVar[str] = "thinking"
    sets_floor: ClassVar[bool] = True
    pools: ClassVar[tuple[str, ...]] = ()  # only ever the ladder's tiers
    min_tier: str
    efforts: frozenset[str] = frozenset({"high", "xhigh", "max"})
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
