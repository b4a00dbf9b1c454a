"""Request kinds that decide the tier on their own (claude-code-router's scenarios).

Each is optional per virtual model, one module each, listed in `SCENARIOS`. The config's
order is the order they are asked in: the first that takes a request decides (a tier of the
ladder or a pool outside it: a long-context or vision pool). A scenario that `sets_floor`
(`thinking`) only sets a minimum for the scored tier. A new scenario is a module implementing
`base.Scenario`, its `settings` a `base.ScenarioSettings` (its config section), and one line in
`SCENARIOS`: the config reads its key from there (`config_scenarios`), the router and capture
read its `sets_floor` and `human_turn`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vibe_router.request import TurnView
from vibe_router.scenarios.base import CHARS_PER_TOKEN, Scenario, Target
from vibe_router.scenarios.housekeeping import (
    DEFAULT_HOUSEKEEPING_PATTERNS,
    MEMO_SIZE,
    SYSTEM_CHARS,
    TEXT_CHARS,
    Housekeeping,
)
from vibe_router.scenarios.images import Images
from vibe_router.scenarios.long_context import LongContext
from vibe_router.scenarios.thinking import Thinking

SCENARIOS: dict[str, type[Scenario]] = {kind.name: kind for kind in (Housekeeping, LongContext, Images, Thinking)}

__all__ = ["CHARS_PER_TOKEN", "DEFAULT_HOUSEKEEPING_PATTERNS", "MEMO_SIZE", "SCENARIOS", "SYSTEM_CHARS", "TEXT_CHARS",
           "Housekeeping", "Images", "LongContext", "Scenario", "Scenarios", "Target", "Thinking"]


@dataclass(frozen=True)
class Scenarios:
    """A virtual model's scenarios, in the config's order; each one by its name too (`scenarios.images`)."""

    items: tuple[Scenario, ...] = ()
    _takers: tuple[Scenario, ...] = field(init=False, compare=False, repr=False)
    _floors: tuple[Scenario, ...] = field(init=False, compare=False, repr=False)
    has_floor: bool = field(init=False, compare=False, repr=False)  # some scenario sets a minimum tier

    def __post_init__(self) -> None:
        object.__setattr__(self, "_takers", tuple(item for item in self.items if not item.sets_floor))
        object.__setattr__(self, "_floors", tuple(item for item in self.items if item.sets_floor))
        object.__setattr__(self, "has_floor", bool(self._floors))

    def __getattr__(self, name: str) -> Any:
        """A registered scenario by its name: this model's, or None when it has none."""
        if name not in SCENARIOS:
            raise AttributeError(name)
        return next((item for item in self.items if item.name == name), None)

    @property
    def pools(self) -> tuple[str, ...]:
        """The pools outside the ladder that these scenarios may send a request to."""
        return tuple(pool for item in self.items for pool in item.pools)

    def route(
        self, turn: TurnView, requested_model: str, agent: bool = False
    ) -> tuple[str, str, Target | None] | None:
        """(scenario name, detail, target) for the first scenario that takes the request.

        A target of None means the cheapest tier. `agent`: the session is an agent client's
        (Claude Code, Codex), whose turns always list tools.
        """
        for item in self._takers:
            detail = item.take(turn, requested_model, agent)
            if detail:
                return item.name, detail, item.target
        return None

    def floor(self, turn: TurnView, requested_model: str, agent: bool = False) -> tuple[str, str, Target] | None:
        """(scenario name, detail, target) of the first scenario that sets a minimum tier for the request."""
        for item in self._floors:
            detail = item.take(turn, requested_model, agent)
            if detail and item.target is not None:
                return item.name, detail, item.target
        return None
