"""The protocol every wire format module implements, and what they share.

A wire format module (`chat`, `completions`, `messages`, `responses`) owns everything the
router knows about one client API: the LiteLLM call types that carry it, where LiteLLM keeps
its request metadata, how its body reads as a conversation, the shapes it forbids, where an
inline route tag can sit, and how a bare body of it is recognised. The registry
(`vibe_router.wire`) lists the modules; nothing else names a format's fields.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

from vibe_router.wire import options
from vibe_router.wire.options import Asked
from vibe_router.wire.shape_check import messages_error
from vibe_router.wire.tags import strip_field


class WalkInput(NamedTuple):
    """A body as the turn walk reads it: chat-like messages (`{"role", "content"}` dicts).

    Built per request with `tuple.__new__` (`new_walk_input`): the NamedTuple's own constructor costs ~0.3 µs more.
    """

    messages: list[Any]
    items: bool = False  # Responses `input`: an item without a role is a tool's output or the model's own
    double_brackets: bool = False  # "[[" in user text the walk does not read (earlier prompts)


_new_tuple = tuple.__new__


def new_walk_input(messages: list[Any], items: bool = False, double_brackets: bool = False) -> WalkInput:
    return _new_tuple(WalkInput, (messages, items, double_brackets))


class WireFormat(Protocol):
    """One client wire format."""

    endpoint: str  # the name decisions, logs and metrics use: "chat", "messages", ...
    path: str  # its URL path on the proxy (and on OpenAI / Anthropic); `{model}` where the URL holds it
    call_types: tuple[str, ...]  # LiteLLM's call types for it (`async_pre_call_hook`'s `call_type`)
    metadata_field: str  # where LiteLLM keeps the request's metadata in its body
    turn_fields: frozenset[str]  # top-level fields that may hold the turn: a body with none has nothing to route
    context_fields: tuple[str, ...]  # top-level fields of context text (a system prompt), read beside the turn
    error_param_in_provider_fields: bool  # its error object has no `param`: the field goes to provider fields
    replay_fields: tuple[str, ...]  # what sending the request again needs, beside `model` (capture keeps them)

    def recognises(self, body: dict[str, Any]) -> bool:
        """Whether a bare body (no URL) is in this format; asked in registry order, first wins."""
        ...

    def history(self, body: dict[str, Any]) -> list[Any] | None:
        """The body's own list of messages (items), which a conversation cache can key on, or None."""
        ...

    def walk_input(self, body: dict[str, Any]) -> WalkInput:
        """The body as the turn walk reads it."""
        ...

    def shape_error(self, body: dict[str, Any], start: int = 0) -> str | None:
        """`field: problem` for the first shape the format forbids (messages before `start` are known valid)."""
        ...

    def strip_tags(self, body: dict[str, Any]) -> bool:
        """Remove every inline route tag from the user's text, in place; whether any was there."""
        ...

    def answer_text(self, payload: dict[str, Any]) -> str:
        """The text of a (non-streamed) answer in this format."""
        ...

    def asked(self, body: dict[str, Any]) -> Asked:
        """What the request asks of the model: reasoning, the output limit, JSON output, who started it."""
        ...


class OpenAIAnthropic:
    """What the OpenAI and Anthropic formats share: the context fields, and the names of what a request asks."""

    # Each reads both, whatever the body's format (as the walk always did), so a system prompt
    # counts wherever a client put it.
    context_fields = ("system", "instructions")
    asked = staticmethod(options.read)


class MessageList(OpenAIAnthropic):
    """What the formats whose turn is a `messages` list (chat, Anthropic) share; each gives `part_types`."""

    part_types: frozenset[str] = frozenset()

    def history(self, body: dict[str, Any]) -> list[Any] | None:
        return message_list(body, "messages")

    def walk_input(self, body: dict[str, Any]) -> WalkInput:
        messages = body.get("messages")
        return _new_tuple(WalkInput, (messages if isinstance(messages, list) else as_list(messages), False, False))

    def shape_error(self, body: dict[str, Any], start: int = 0) -> str | None:
        return messages_error(body, self.part_types, start)

    def strip_tags(self, body: dict[str, Any]) -> bool:
        return strip_field(body, "messages")


def as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if value is None:
        return []
    return [value]


def message_list(body: dict[str, Any], field: str) -> list[Any] | None:
    value = body.get(field)
    return value if isinstance(value, list) else None


def prompt_body(text: str) -> dict[str, Any]:
    """A chat completions body holding one user message: how the tools pose a bare prompt."""
    return {"messages": [{"role": "user", "content": text}]}
