"""What a request asks of the model, read by field name from a body of the OpenAI and Anthropic formats.

Those formats share these names (or use names no other format has), so one reading (`read`) serves
all four: reasoning effort, thinking, the output token limit, JSON output, and who started the
request. A format that names them otherwise gives its own `asked` (`base.WireFormat`).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

MAX_TOKENS_FIELDS = ("max_tokens", "max_completion_tokens", "max_output_tokens")
# Where each wire format asks for JSON output: Anthropic `output_config.format` (and the older
# `output_format`), chat `response_format`, Responses `text.format`.
STRUCTURED_OUTPUT_FIELDS = (("output_config", "format"), ("output_format", None), ("response_format", None),
                            ("text", "format"))
STRUCTURED_OUTPUT_TYPES = ("json_schema", "json_object", "json")
# Codex names what started each request in client_metadata: "user" for a turn, "thread_title" for
# the title of a new thread, ...
CODEX_TURN_METADATA = "x-codex-turn-metadata"
THREAD_SOURCE = re.compile(r'"thread_source"\s*:\s*"([^"]{1,64})"')


def reasoning_effort(body: dict[str, Any]) -> str | None:
    effort = body.get("reasoning_effort")
    if isinstance(effort, str) and effort:
        return effort.lower()
    for key in ("reasoning", "output_config"):
        section = body.get(key)
        effort = section.get("effort") if isinstance(section, dict) else None
        if isinstance(effort, str) and effort:
            return effort.lower()
    return None


def thinking_requested(body: dict[str, Any], effort: str | None) -> bool:
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive"):
        return True
    return effort in ("medium", "high", "xhigh", "max")


def structured_output(body: dict[str, Any]) -> bool:
    for key, inner in STRUCTURED_OUTPUT_FIELDS:
        section = body.get(key)
        if inner is not None and isinstance(section, dict):
            section = section.get(inner)
        if isinstance(section, dict) and section.get("type") in STRUCTURED_OUTPUT_TYPES:
            return True
    return False


def client_source(body: dict[str, Any]) -> str:
    metadata = body.get("client_metadata")
    turn = metadata.get(CODEX_TURN_METADATA) if isinstance(metadata, dict) else None
    found = THREAD_SOURCE.search(turn) if isinstance(turn, str) else None
    return found.group(1) if found and found.group(1) != "user" else ""


def max_tokens(body: dict[str, Any]) -> int | None:
    for key in MAX_TOKENS_FIELDS:
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


class Asked(NamedTuple):
    reasoning_effort: str | None
    thinking: bool
    max_tokens: int | None
    structured_output: bool
    client_source: str


_new_tuple = tuple.__new__


def read(body: dict[str, Any]) -> Asked:
    """What the body asks of the model."""
    effort = reasoning_effort(body)
    return _new_tuple(Asked, (effort, thinking_requested(body, effort), max_tokens(body), structured_output(body),
                              client_source(body)))
