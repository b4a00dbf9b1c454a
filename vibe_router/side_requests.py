"""Side requests an agent client makes beside the user's turns (session titles, topic checks, ...),
recognised by their structure rather than their wording.

Claude Code rewrites the prompts of these requests from release to release, so wording alone
breaks again; their shape changes far less. Each signal below is one structural mark. A request
is a side request when at least `min_signals` of them are present: one mark alone is something a
genuine turn can have too (Codex's `--output-schema` turn asks for JSON with its tools listed).

- `no-tools`: the request lists no tools, in a session of an agent client (Claude Code, Codex)
  whose turns always list them. A chat client never sends tools, so for it this never counts.
- `output-schema`: the body asks for JSON output (a schema or JSON mode) instead of prose.
- `marker:<name>`: the client marks the request as its own: the user's text is its wrapper
  (Claude Code's `<session>...</session>` around the conversation it wants named), or Codex
  names the request's source in its client metadata (`thread_source: thread_title`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import field_validator, model_validator

from vibe_router.config_values import Names, Section, Whole, fail
from vibe_router.request import TurnView

DEFAULT_MARKERS = ("session", "thread_title")
DEFAULT_MIN_SIGNALS = 2
MARKER_NAME = re.compile(r"[A-Za-z][\w.:-]*")


@dataclass(frozen=True)
class SideRequests:
    min_signals: int = DEFAULT_MIN_SIGNALS
    no_tools: bool = True
    output_schema: bool = True
    markers: tuple[str, ...] = DEFAULT_MARKERS

    @property
    def kinds(self) -> int:
        """How many signals can be present at most."""
        return int(self.no_tools) + int(self.output_schema) + (1 if self.markers else 0)

    def signals(self, turn: TurnView, agent: bool) -> list[str]:
        """The structural marks of a side request that `turn` carries."""
        found = []
        if self.no_tools and agent and turn.tools == 0:
            found.append("no-tools")
        if self.output_schema and turn.structured_output:
            found.append("output-schema")
        marker = self._marker(turn)
        if marker:
            found.append(f"marker:{marker}")
        return found

    def matches(self, turn: TurnView, agent: bool) -> str | None:
        """`side-request: a+b` naming the signals present, when there are enough of them."""
        # Counted first, named only on a match: this runs on every request, and almost all are turns.
        present = ((self.no_tools and agent and turn.tools == 0) + (self.output_schema and turn.structured_output)
                   + ((turn.text[:1] == "<" or turn.client_source != "") and self._marker(turn) is not None))
        if present < self.min_signals:
            return None
        return "side-request: " + "+".join(self.signals(turn, agent))

    def _marker(self, turn: TurnView) -> str | None:
        """The marker the client set: its source name, or a wrapper tag that opens the text and closes
        later in it (the text comes stripped of blanks)."""
        if turn.client_source and turn.client_source in self.markers:
            return turn.client_source
        text = turn.text
        if not text.startswith("<"):
            return None
        for tag in self.markers:
            if (text.startswith(f"<{tag}>") or text.startswith(f"<{tag} ")) and f"</{tag}>" in text:
                return tag
        return None


class SideRequestsSettings(Section):
    """`scenarios.housekeeping.side_requests`: which signals are looked for, and how many make one."""

    min_signals: Whole = DEFAULT_MIN_SIGNALS
    no_tools: bool = True
    output_schema: bool = True
    markers: Names | None = None

    @field_validator("markers")
    @classmethod
    def _tag_names(cls, markers: tuple[str, ...] | None) -> tuple[str, ...] | None:
        bad = next((tag for tag in markers or () if not MARKER_NAME.fullmatch(tag)), None)
        if bad is not None:
            raise fail(f"{bad!r} is not a tag name (give `session` for <session>...</session>)")
        return markers

    @model_validator(mode="after")
    def _reachable(self) -> SideRequestsSettings:
        side = self.build()
        if side.min_signals > side.kinds:
            raise fail(f"{side.min_signals} signals can never be present: only {side.kinds} are looked for "
                       "(no_tools, output_schema, markers)", at="min_signals")
        return self

    def build(self) -> SideRequests:
        return SideRequests(self.min_signals, self.no_tools, self.output_schema,
                            DEFAULT_MARKERS if self.markers is None else self.markers)
