"""`housekeeping`: titles, summaries, probes and an agent's side requests go to the cheapest tier."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from pydantic import field_validator

from vibe_router.config_values import Names, NameSet, Whole
from vibe_router.request import TurnView
from vibe_router.scenarios.base import ScenarioSettings
from vibe_router.side_requests import SideRequests, SideRequestsSettings

SYSTEM_CHARS = 4000  # housekeeping patterns are looked for in the head of the system text
TEXT_CHARS = 2000  # and of the user's text
MEMO_SIZE = 256
DEFAULT_HOUSEKEEPING_PATTERNS = (
    "write a 5-10 word title",
    "generate a concise title",
    "title for this conversation",
    "summarize this coding conversation",
    "summarize the conversation so far",
    "analyze if this message indicates a new conversation topic",
    "you are naming a coding session",  # Claude Code 2.1.3xx's session title
)


class HousekeepingSettings(ScenarioSettings):
    max_tokens: Whole | None = None
    patterns: Names | None = None
    client_models: NameSet = frozenset()
    side_requests: SideRequestsSettings | None = SideRequestsSettings()

    @field_validator("side_requests", mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        """`true` (the default signals), `false` (off), or a mapping of the signals to look for."""
        return ({} if value else None) if isinstance(value, bool) else value

    def build(self, at: str, tiers: list[str], pools: set[str]) -> Housekeeping:
        patterns = self.patterns
        return Housekeeping(
            max_tokens=self.max_tokens,
            patterns=DEFAULT_HOUSEKEEPING_PATTERNS if patterns is None else tuple(p.lower() for p in patterns),
            client_models=self.client_models,
            side_requests=self.side_requests.build() if self.side_requests else None,
        )


@dataclass(frozen=True)
class Housekeeping:
    name: ClassVar[str] = "housekeeping"
    sets_floor: ClassVar[bool] = False
    human_turn: ClassVar[bool] = False  # the client's own errand, not the user's
    settings: ClassVar[type[ScenarioSettings]] = HousekeepingSettings
    pools: ClassVar[tuple[str, ...]] = ()  # only ever the ladder's tiers
    target: ClassVar[None] = None  # the cheapest tier
    max_tokens: int | None = None
    patterns: tuple[str, ...] = DEFAULT_HOUSEKEEPING_PATTERNS
    client_models: frozenset[str] = frozenset()
    side_requests: SideRequests | None = SideRequests()
    # System text (its head) -> whether a pattern is in it: a conversation sends the same one every time.
    _in_system: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)
    _last_system: list[str | bool] = field(default_factory=list, compare=False, repr=False)  # [text, found]

    def matches(self, turn: TurnView, requested_model: str, agent: bool = False) -> str | None:
        """Which rule makes the request housekeeping, or None. `agent`: the session is an agent client's."""
        if requested_model in self.client_models:
            return "small-fast-model"
        if self.max_tokens is not None and turn.max_tokens is not None and turn.max_tokens <= self.max_tokens:
            return f"max_tokens<={self.max_tokens}"
        side = self.side_requests.matches(turn, agent) if self.side_requests is not None else None
        if side:
            return side
        if self._found(turn.system_text[:SYSTEM_CHARS], turn.text[:TEXT_CHARS]):
            return "title-or-summary"
        return None

    take = matches  # the scenario protocol's name for it

    def _found(self, system: str, text: str) -> bool:
        """A pattern in `(system + "\n" + text).lower()`, with the system part looked at once per system text."""
        last = self._last_system
        if last and last[0] == system:  # the usual case, compared without hashing 4 KB of new text
            in_system = last[1]
        else:
            in_system = self._in_system.get(system)
            if in_system is None:
                in_system = _holds_pattern(system, self.patterns)
                if len(self._in_system) >= MEMO_SIZE:
                    self._in_system.clear()
                self._in_system[system] = in_system
            last[:] = (system, in_system)
        if in_system or _holds_pattern(text, self.patterns):
            return True
        spanning = self._spanning
        return bool(spanning) and any(pattern in (system + "\n" + text).lower() for pattern in spanning)

    @cached_property
    def _spanning(self) -> tuple[str, ...]:
        """The patterns that can span the system and the user's text: those holding a newline."""
        return tuple(pattern for pattern in self.patterns if "\n" in pattern)


def _holds_pattern(text: str, patterns: tuple[str, ...]) -> bool:
    lowered = text.lower()
    for pattern in patterns:  # noqa: SIM110  (any() over a generator costs a function call more)
        if pattern in lowered:
            return True
    return False
