"""Side requests an agent client makes beside the user's turns (session titles, topic checks, ...),
recognised by their structure rather than their wording.

Claude Code rewrites the prompts of these requests from release to release, so wording alone
breaks again; their shape changes far less. Each signal below is one structural mark. A request
is a side request when at least `min_signals` of them are present: one mark alone is something a
genuine turn can have too (Codex's `--output-schema` turn asks for JSON with its tools listed).

- `no-tools`: the request lists no tools, in a session of an agent client (Claude Code, Codex)
  whose turns always list them. A chat client never sends tools, so for it this never counts.
- `output-schema`: the body asks for JSON output (a schema or JSON mode) instead of prose.
- `marker:<tag>`: the user's text is the client's own wrapper, e.g. Claude Code's
  `<session>...</session>` around the conversation it wants named.
"""

from __future__ import annotations

from dataclasses import dataclass

from vibe_router.request import TurnView

DEFAULT_MARKERS = ("session",)
DEFAULT_MIN_SIGNALS = 2
MARKER_HEAD_CHARS = 64  # a marker opens the user's text: only its head is looked at


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
        marker = self._marker(turn.text)
        if marker:
            found.append(f"marker:{marker}")
        return found

    def matches(self, turn: TurnView, agent: bool) -> str | None:
        """`side-request: a+b` naming the signals present, when there are enough of them."""
        found = self.signals(turn, agent)
        return "side-request: " + "+".join(found) if len(found) >= self.min_signals else None

    def _marker(self, text: str) -> str | None:
        head = text[:MARKER_HEAD_CHARS].lstrip()
        if not head.startswith("<"):
            return None
        for tag in self.markers:
            if (head.startswith(f"<{tag}>") or head.startswith(f"<{tag} ")) and f"</{tag}>" in text:
                return tag
        return None
