"""Request kinds that decide the tier on their own (claude-code-router's scenarios).

Each is optional per virtual model. A scenario names a tier of the ladder or a pool outside
it (a long-context or vision pool); `thinking` only sets a minimum tier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from vibe_router.request import TurnView
from vibe_router.side_requests import SideRequests

CHARS_PER_TOKEN = 4
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


@dataclass(frozen=True)
class Target:
    """Where a scenario sends a request: a tier of the ladder, or a pool outside it."""

    tier: str | None = None
    pool: str | None = None


@dataclass(frozen=True)
class Housekeeping:
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


@dataclass(frozen=True)
class LongContext:
    min_tokens: int
    target: Target

    def matches(self, turn: TurnView) -> bool:
        return turn.total_chars // CHARS_PER_TOKEN >= self.min_tokens


@dataclass(frozen=True)
class Thinking:
    min_tier: str
    efforts: frozenset[str] = frozenset({"high", "xhigh", "max"})
    thinking_types: bool = True

    def matches(self, turn: TurnView) -> bool:
        if turn.reasoning_effort is not None:
            return turn.reasoning_effort in self.efforts
        return self.thinking_types and turn.thinking


@dataclass(frozen=True)
class Scenarios:
    housekeeping: Housekeeping | None = None
    long_context: LongContext | None = None
    images: Target | None = None
    thinking: Thinking | None = None

    @property
    def pools(self) -> tuple[str, ...]:
        """The pools outside the ladder that these scenarios may send a request to."""
        targets = (self.long_context.target if self.long_context else None, self.images)
        return tuple(target.pool for target in targets if target is not None and target.pool)

    def route(
        self, turn: TurnView, requested_model: str, agent: bool = False
    ) -> tuple[str, str, Target | None] | None:
        """(scenario name, detail, target) for the first scenario that takes the request.

        Housekeeping's target is None: it means the cheapest tier. `agent`: the session is an
        agent client's (Claude Code, Codex), whose turns always list tools.
        """
        if self.housekeeping is not None:
            detail = self.housekeeping.matches(turn, requested_model, agent)
            if detail:
                return "housekeeping", detail, None
        if self.long_context is not None and self.long_context.matches(turn):
            return "long_context", f"~{turn.total_chars // CHARS_PER_TOKEN} tokens", self.long_context.target
        if self.images is not None and turn.images:
            return "images", f"{turn.images} image(s)", self.images
        return None
