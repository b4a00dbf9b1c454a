"""The protocol every scenario implements, where a scenario sends a request, and how its settings read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from pydantic_core import PydanticCustomError

from vibe_router.config_values import Section, fail
from vibe_router.request import TurnView

CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Target:
    """Where a scenario sends a request: a tier of the ladder, or a pool outside it."""

    tier: str | None = None
    pool: str | None = None


def target_pools(target: Target) -> tuple[str, ...]:
    return (target.pool,) if target.pool else ()


class Scenario(Protocol):
    """A kind of request that decides its tier on its own, under `virtual_models.NAME.scenarios.<name>`.

    A scenario either takes the request (the first one that does, in the config's order, decides)
    or, with `sets_floor`, only raises the scored tier to its target's tier (`thinking`). A floor
    judges the turn as the score does, so a session keeps the tier it reached (it is sticky).
    """

    name: ClassVar[str]
    sets_floor: ClassVar[bool]
    human_turn: ClassVar[bool]  # a request it takes is a person's turn (capture samples those)
    settings: ClassVar[type[ScenarioSettings]]  # its config section

    @property
    def target(self) -> Target | None:
        """Where it sends a request it takes (None: the cheapest tier)."""
        ...

    def take(self, turn: TurnView, requested_model: str, agent: bool) -> str | None:
        """Why the request is of this kind (the decision's note), else None. `agent`: an agent client's session."""
        ...

    @property
    def pools(self) -> tuple[str, ...]:
        """The pools outside the ladder it may send a request to."""
        ...


class ScenarioSettings(Section):
    """A scenario's config section; `build` checks it against the model's tiers and the pools."""

    def build(self, at: str, tiers: list[str], pools: set[str]) -> Scenario:
        raise NotImplementedError


class TargetSettings(ScenarioSettings):
    """A tier of this model, or a pool outside its ladder."""

    tier: str | None = None
    pool: str | None = None

    def target(self, at: str, tiers: list[str], pools: set[str]) -> Target:
        if (self.tier is None) == (self.pool is None):
            raise fail("give exactly one of `tier` (a tier of this model) or `pool` (a model_list entry)", at)
        if self.tier is not None and (error := unknown_tier(self.tier, tiers, f"{at}.tier")):
            raise error
        if self.pool is not None and self.pool not in pools:
            raise fail(f"unknown pool {self.pool!r}: not a physical pool in model_list", f"{at}.pool")
        return Target(tier=self.tier, pool=self.pool)


def unknown_tier(tier: str | None, tiers: list[str], at: str) -> PydanticCustomError | None:
    """The error for a tier this model does not have, else None."""
    return None if tier in tiers else fail(f"unknown tier {tier!r} (tiers: {', '.join(tiers)})", at)
