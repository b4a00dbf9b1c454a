"""`images`: a request that carries an image goes to its target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from vibe_router.request import TurnView
from vibe_router.scenarios.base import ScenarioSettings, Target, TargetSettings, target_pools


class ImagesSettings(TargetSettings):
    def build(self, at: str, tiers: list[str], pools: set[str]) -> Images:
        return Images(self.target(at, tiers, pools))


@dataclass(frozen=True)
class Images:
    name: ClassVar[str] = "images"
    sets_floor: ClassVar[bool] = False
    human_turn: ClassVar[bool] = True
    settings: ClassVar[type[ScenarioSettings]] = ImagesSettings
    target: Target

    def take(self, turn: TurnView, requested_model: str, agent: bool) -> str | None:
        return f"{turn.images} image(s)" if turn.images else None

    @property
    def pools(self) -> tuple[str, ...]:
        return target_pools(self.target)
