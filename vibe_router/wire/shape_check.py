"""Shapes a wire format forbids, found at once and named by field: what the formats share.

LiteLLM answers such bodies with a 500 after seconds of retries; for virtual models the
router can say what is wrong straight away. Only clear violations are reported: content
that is neither text nor a list of parts, parts that are not objects or have no known type.
Unknown top-level fields and unknown Responses item types pass (clients add them often).
"""

from __future__ import annotations

from typing import Any

KIND_NAMES = {bool: "boolean", int: "number", float: "number", list: "list", dict: "object", str: "string"}


def messages_error(body: dict[str, Any], part_types: frozenset[str], start: int = 0) -> str | None:
    """The first forbidden shape in `messages` (from index `start`), as `messages...: problem`."""
    messages = body.get("messages")
    if messages is None:
        return "messages: required"
    if not isinstance(messages, list):
        return f"messages: must be a list of messages, got {kind(messages)}"
    for index in range(start, len(messages)):
        error = message_error(messages[index], part_types)
        if error:
            return f"messages[{index}]{error}"
    return None


def message_error(message: Any, part_types: frozenset[str]) -> str | None:
    """The problem of one message, as a field path relative to the message ("" = itself)."""
    if not isinstance(message, dict):
        return f": must be an object, got {kind(message)}"
    content = message.get("content")
    if content is None or isinstance(content, str):
        return None
    if not isinstance(content, list):
        return f".content: must be a string or a list of content parts, got {kind(content)}"
    for index, part in enumerate(content):
        part_type = part.get("type") if isinstance(part, dict) else None
        if not isinstance(part_type, str) or part_type not in part_types:
            return f".content[{index}]{_part_error(part)}"
    return None


def _part_error(part: Any) -> str:
    if not isinstance(part, dict):
        return f": must be a content part object, got {kind(part)}"
    part_type = part.get("type")
    if not isinstance(part_type, str):
        return f".type: required, got {kind(part_type)}"
    return f".type: unknown content part type {part_type[:40]!r}"


def kind(value: Any) -> str:
    return "null" if value is None else KIND_NAMES.get(type(value), type(value).__name__)
