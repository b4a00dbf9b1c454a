"""The protocol every scenario implements, and where a scenario sends a request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

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
    or, with `sets_floor`, only raises the scored tier to its target's tier (`thinking`).
    """

    name: ClassVar[str]
    sets_floor: ClassVar[bool]

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
