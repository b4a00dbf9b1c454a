"""Any client wire format -> one view of the turn to route (`TurnView`).

Only the newest human-written text is judged: system prompts, developer messages, tool
definitions and harness wrappers (Claude Code's `<system-reminder>`, Codex's AGENTS.md
and `<environment_context>` blocks) are context, not the user's task.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple, Protocol

from vibe_router.wire import BY_ENDPOINT, ENDPOINTS, WireFormat, wire_format
from vibe_router.wire.base import as_list, prompt_body
from vibe_router.wrappers import DEFAULT_STRIPPER, WrapperStripper

__all__ = ["ENDPOINTS", "TurnView", "WalkState", "bound", "build_view", "conversation_of", "prompt_view"]

# Tuples, not sets: `in` compares with ==, so a field of any JSON type can be tested.
IMAGE_PART_TYPES = ("image", "image_url", "input_image")
TOOL_RESULT_PART_TYPES = ("tool_result", "function_call_output", "custom_tool_call_output")
REASONING_PART_TYPES = ("thinking", "redacted_thinking", "reasoning")
CONTEXT_ROLES = ("system", "developer")
DEFAULT_MAX_TEXT_CHARS = 8000


# TurnView and WalkState are NamedTuples, not frozen dataclasses: both are built for every
# request, and a frozen dataclass's __init__ (one object.__setattr__ per field) costs ~5x more.
class TurnView(NamedTuple):
    """What the router judges about one request."""

    endpoint: str
    text: str
    turns: int = 0
    messages: int = 0
    code_blocks: int = 0
    images: int = 0
    tools: int = 0
    thinking: bool = False
    reasoning_effort: str | None = None
    total_chars: int = 0
    continuation: bool = False
    carries_reasoning: bool = False
    max_tokens: int | None = None
    system_text: str = ""
    first_text: str = ""
    double_brackets: bool = False  # some user text holds "[[" (where an inline route tag could be)
    items: int = 0  # messages (Responses: input items) in the body
    resumed: int = 0  # of those, the leading ones a conversation cache had walked already
    structured_output: bool = False  # the body asks for JSON output (a schema or JSON mode), not prose
    client_source: str = ""  # what the client says started the request, when not the user (Codex's thread_source)


class WalkState(NamedTuple):
    """What the walk knows after the first `length` messages of a conversation: enough to resume it."""

    length: int = 0
    newest: str = ""
    first: str = ""
    turns: int = 0
    conversation: int = 0
    total_chars: int = 0
    images: int = 0
    carries_reasoning: bool = False
    double_brackets: bool = False
    system_parts: tuple[str, ...] = ()


class ConversationStates(Protocol):
    """Where `build_view` finds and leaves walk states (`view_cache.ConversationCache`)."""

    def resume_point(self, endpoint: str, messages: list[Any]) -> WalkState | None: ...

    def store(self, endpoint: str, messages: list[Any], state: WalkState) -> None: ...


def bound(text: str, limit: int) -> str:
    """Keep the head and tail of text longer than `limit` characters."""
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    tail = limit - 1 - head
    return text[:head] + "\n" + (text[-tail:] if tail else "")


def count_code_blocks(text: str) -> int:
    fences = text.count("```")
    return (fences + 1) // 2


def build_view(
    endpoint: str,
    body: dict[str, Any],
    stripper: WrapperStripper = DEFAULT_STRIPPER,
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    states: ConversationStates | None = None,
    fresh: bool = False,
) -> TurnView:
    """Build the turn view of a request body of the given endpoint kind.

    With `states`, the walk resumes after the longest known prefix of the conversation (not
    with `fresh`) and leaves its own state there for the next request.
    """
    wire = BY_ENDPOINT.get(endpoint) or wire_format(endpoint)  # (the look-up alone is faster; this raises)
    conversation = wire.history(body) if states is not None else None
    resume = None if conversation is None or fresh else states.resume_point(endpoint, conversation)
    view, state = _ViewBuilder(stripper, max_text_chars).build(wire, body, resume)
    if conversation is not None:
        states.store(endpoint, conversation, state)
    return view


def prompt_view(text: str) -> TurnView:
    """The turn view of a bare prompt, posed as one chat user message (how the tools score a prompt)."""
    return build_view("chat", prompt_body(text))


def conversation_of(endpoint: str, body: dict[str, Any]) -> list[Any] | None:
    """The body's own list of messages (Responses: input items), or None."""
    return BY_ENDPOINT[endpoint].history(body)


class _ViewBuilder:
    def __init__(self, stripper: WrapperStripper, max_text_chars: int) -> None:
        self.stripper = stripper
        self.limit = max_text_chars
        self.total_chars = 0
        self.images = 0
        self.carries_reasoning = False
        self.double_brackets = False
        self.items = False  # Responses `input`: tool outputs and the model's own items carry no role

    def build(self, wire: WireFormat, body: dict[str, Any], resume: WalkState | None) -> tuple[TurnView, WalkState]:
        messages, self.items, self.double_brackets = wire.walk_input(body)
        state = self._walk(messages, resume or WalkState())
        system_parts = []  # a plain loop: a comprehension or map() costs ~0.4 µs more here
        for field in wire.context_fields:
            system_parts.append(self._plain_text(body.get(field)))
        system_parts += state.system_parts
        system_text = bound(_lines(system_parts), self.limit)
        text = state.newest
        continuation = self._is_continuation(messages)
        effort, thinking, max_tokens, structured_output, client_source = wire.asked(body)
        view = TurnView(
            endpoint=wire.endpoint,
            text=text,
            turns=state.turns,
            messages=state.conversation,
            code_blocks=count_code_blocks(text),
            images=self.images,
            tools=len(as_list(body.get("tools"))) + len(as_list(body.get("functions"))),
            thinking=thinking,
            reasoning_effort=effort,
            total_chars=self.total_chars,
            continuation=continuation,
            carries_reasoning=self.carries_reasoning,
            double_brackets=self.double_brackets,
            max_tokens=max_tokens,
            system_text=system_text,
            first_text=state.first,
            items=state.length,
            resumed=resume.length if resume else 0,
            structured_output=structured_output,
            client_source=client_source,
        )
        return view, state

    def _walk(self, messages: list[Any], resume: WalkState) -> WalkState:
        """Newest and first human text, human turns, conversation messages, after `resume`.

        System and developer text goes to `system_parts`. Reasoning counts only after the
        newest human text: it is what the next call must read.
        """
        newest, first, turns, conversation = resume.newest, resume.first, resume.turns, resume.conversation
        system_parts = list(resume.system_parts)
        self.total_chars += resume.total_chars
        self.images += resume.images
        self.carries_reasoning = self.carries_reasoning or resume.carries_reasoning
        self.double_brackets = self.double_brackets or resume.double_brackets
        for message in messages[resume.length:] if resume.length else messages:
            if not isinstance(message, dict):
                continue
            role = message.get("role")
            if role == "user":
                conversation += 1
                human = self._human_text(message.get("content"))
                if human:
                    turns += 1
                    newest = human
                    first = first or human
                    self.carries_reasoning = False
                continue
            if role in CONTEXT_ROLES:
                system_parts.append(self._plain_text(message.get("content")))
                continue
            conversation += 1
            if role is None:
                role = self._item_role(message)
                if role == "tool":
                    self._size(message.get("output"))
                    continue
            if role == "assistant":
                kept = message.get("reasoning_content") or message.get("thinking_blocks")
                if kept or message.get("type") == "reasoning":
                    self.carries_reasoning = True
                self._size(message.get("content"), reasoning=True)
            else:
                self._size(message.get("content"))
        return WalkState(
            length=len(messages), newest=newest, first=first, turns=turns, conversation=conversation,
            total_chars=self.total_chars, images=self.images, carries_reasoning=self.carries_reasoning,
            double_brackets=self.double_brackets, system_parts=tuple(system_parts),
        )

    def _is_continuation(self, messages: list[Any]) -> bool:
        """The last message hands a tool's result back, with no new human words."""
        for message in reversed(messages):
            if not isinstance(message, dict):
                continue
            role = message.get("role")
            if role in CONTEXT_ROLES:
                continue
            if role is None:
                role = self._item_role(message)
            if role in ("tool", "function"):
                return True
            if role != "user":
                return False
            content = message.get("content")
            if isinstance(content, str):
                return False
            parts = [part for part in as_list(content) if isinstance(part, dict)]
            if not any(part.get("type") in TOOL_RESULT_PART_TYPES for part in parts):
                return False
            words = (part.get("text") for part in parts if isinstance(part.get("text"), str))
            return not any(self.stripper.strip(bound(text, self.limit)) for text in words)
        return False

    def _item_role(self, message: dict[str, Any]) -> str | None:
        """A Responses item without a role is a tool's output ("tool") or the model's own."""
        if not self.items or "role" in message:
            return None
        return "tool" if message.get("type") in TOOL_RESULT_PART_TYPES else "assistant"

    def _human_text(self, content: Any) -> str:
        if isinstance(content, str):
            return bound(self._clean(content), self.limit)
        pieces: list[str] = []
        for part in content if isinstance(content, list) else as_list(content):
            if isinstance(part, dict):
                kind = part.get("type")
                if kind in IMAGE_PART_TYPES:
                    self.images += 1
                elif kind in TOOL_RESULT_PART_TYPES:
                    self._size(part.get("content", part.get("output")))
                else:
                    text = part.get("text")
                    if isinstance(text, str):
                        pieces.append(self._clean(text))
            elif isinstance(part, str):
                pieces.append(self._clean(part))
        if len(pieces) == 1:
            return bound(pieces[0], self.limit)
        return bound(_lines(pieces), self.limit)

    def _clean(self, text: str) -> str:
        self.total_chars += len(text)
        if "[[" in text:
            self.double_brackets = True
        if len(text) > self.limit * 4:
            text = bound(text, self.limit * 4)
        return self.stripper.strip(text)

    def _size(self, content: Any, depth: int = 0, reasoning: bool = False) -> None:
        """Count the characters and images of content that is not the user's, building no text.

        With `reasoning` (the model's own content), a reasoning part marks the turn as carrying it.
        """
        if isinstance(content, str):
            self.total_chars += len(content)
            return
        if depth > 4 or content is None:
            return
        size = 0
        for part in content if isinstance(content, list) else (content,):
            if isinstance(part, dict):
                kind = part.get("type")
                if kind in IMAGE_PART_TYPES:
                    self.images += 1
                elif reasoning and kind in REASONING_PART_TYPES:
                    self.carries_reasoning = True
                inner = part.get("text", part.get("content"))
                if isinstance(inner, str):
                    size += len(inner)
                elif inner is not None:
                    self._size(inner, depth + 1)
            elif isinstance(part, str):
                size += len(part)
        self.total_chars += size

    def _plain_text(self, content: Any, depth: int = 0) -> str:
        """Concatenated text of content that is not the user's (also counts its size)."""
        if content is None:
            return ""
        if isinstance(content, str):
            self.total_chars += len(content)
            return bound(content, self.limit)
        if depth > 4:
            return ""
        pieces = []
        for part in as_list(content):
            if isinstance(part, str):
                pieces.append(self._plain_text(part, depth + 1))
            elif isinstance(part, dict):
                if part.get("type") in IMAGE_PART_TYPES:
                    self.images += 1
                inner = part.get("text", part.get("content"))
                if inner is not None:
                    pieces.append(self._plain_text(inner, depth + 1))
        return bound(_lines(pieces), self.limit)


def _lines(pieces: Iterable[str]) -> str:
    """The non-empty pieces, one per line (filter, not a generator: this runs on every request)."""
    return "\n".join(filter(None, pieces))
