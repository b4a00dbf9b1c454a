"""Shapes a wire format forbids, found at once and named by field.

LiteLLM answers such bodies with a 500 after seconds of retries; for virtual models the
router can say what is wrong straight away. Only clear violations are reported: content
that is neither text nor a list of parts, parts that are not objects or have no known type.
Unknown top-level fields and unknown Responses item types pass (clients add them often).
"""

from __future__ import annotations

from typing import Any

CHAT_PART_TYPES = frozenset({
    "text", "image_url", "input_audio", "file", "refusal", "audio_url", "video_url", "document",
    "thinking", "redacted_thinking", "image", "input_text", "input_image", "input_file",
})
ANTHROPIC_BLOCK_TYPES = frozenset({
    "text", "image", "document", "search_result", "tool_use", "tool_result", "thinking", "redacted_thinking",
    "server_tool_use", "web_search_tool_result", "web_fetch_tool_result", "code_execution_tool_result",
    "bash_code_execution_tool_result", "text_editor_code_execution_tool_result", "tool_search_tool_result",
    "mcp_tool_use", "mcp_tool_result", "container_upload", "tool_reference",
})
RESPONSES_PART_TYPES = frozenset({
    "input_text", "input_image", "input_file", "input_audio", "output_text", "refusal", "summary_text",
    "reasoning_text", "text",
})
PART_TYPES = {"chat": CHAT_PART_TYPES, "messages": ANTHROPIC_BLOCK_TYPES, "responses": RESPONSES_PART_TYPES}
KIND_NAMES = {bool: "boolean", int: "number", float: "number", list: "list", dict: "object", str: "string"}


def shape_error(endpoint: str, body: dict[str, Any], start: int = 0) -> str | None:
    """`field: problem` for the first forbidden shape in a request body, else None.

    Messages (Responses: input items) before `start` are known to be valid and not looked at.
    """
    if endpoint == "completions":
        return _prompt_error(body["prompt"]) if "prompt" in body else "prompt: required"
    if endpoint == "responses":
        return _responses_error(body.get("input"), start)
    messages = body.get("messages")
    if messages is None:
        return "messages: required"
    if not isinstance(messages, list):
        return f"messages: must be a list of messages, got {_kind(messages)}"
    part_types = PART_TYPES[endpoint]
    for index in range(start, len(messages)):
        error = _message_error(messages[index], part_types)
        if error:
            return f"messages[{index}]{error}"
    return None


def _message_error(message: Any, part_types: frozenset[str]) -> str | None:
    """The problem of one message, as a field path relative to the message ("" = itself)."""
    if not isinstance(message, dict):
        return f": must be an object, got {_kind(message)}"
    content = message.get("content")
    if content is None or isinstance(content, str):
        return None
    if not isinstance(content, list):
        return f".content: must be a string or a list of content parts, got {_kind(content)}"
    for index, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if not isinstance(kind, str) or kind not in part_types:
            return f".content[{index}]{_part_error(part, part_types)}"
    return None


def _part_error(part: Any, part_types: frozenset[str]) -> str:
    if not isinstance(part, dict):
        return f": must be a content part object, got {_kind(part)}"
    kind = part.get("type")
    if not isinstance(kind, str):
        return f".type: required, got {_kind(kind)}"
    return f".type: unknown content part type {kind[:40]!r}"


def _responses_error(value: Any, start: int) -> str | None:
    if value is None or isinstance(value, str):
        return None
    if not isinstance(value, list):
        return f"input: must be a string or a list of items, got {_kind(value)}"
    for index in range(start, len(value)):
        item = value[index]
        if not isinstance(item, dict):
            return f"input[{index}]: must be an object, got {_kind(item)}"
        if "role" in item:
            error = _message_error(item, RESPONSES_PART_TYPES)
            if error:
                return f"input[{index}]{error}"
    return None


def _prompt_error(prompt: Any) -> str | None:
    if isinstance(prompt, str):
        return None
    if not isinstance(prompt, list):  # null too: LiteLLM fails it with a 500 ("Unmapped prompt format")
        return f"prompt: must be a string, a list of strings, or token ids, got {_kind(prompt)}"
    if all(isinstance(item, str) for item in prompt):
        return None
    if all(_is_int(item) for item in prompt):
        return None  # token ids
    if all(isinstance(item, list) and all(_is_int(token) for token in item) for item in prompt):
        return None  # batches of token ids
    return "prompt: must be a string, a list of strings, or token ids"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    return "null" if value is None else KIND_NAMES.get(type(value), type(value).__name__)
