"""OpenAI Responses: `/v1/responses`, `input` as a string or a list of items, `instructions` apart."""

from __future__ import annotations

from typing import Any

from vibe_router.wire.base import OpenAIAnthropic, WalkInput, as_list, message_list, new_walk_input
from vibe_router.wire.shape_check import kind, message_error
from vibe_router.wire.tags import strip_field

PART_TYPES = frozenset({
    "input_text", "input_image", "input_file", "input_audio", "output_text", "refusal", "summary_text",
    "reasoning_text", "text",
})


class Responses(OpenAIAnthropic):
    endpoint = "responses"
    path = "/v1/responses"
    call_types = ("aresponses", "responses")
    metadata_field = "litellm_metadata"
    turn_fields = frozenset({"input", "instructions"})
    error_param_in_provider_fields = False
    replay_fields = ("instructions", "input", "tools", "max_output_tokens", "reasoning", "text")

    def recognises(self, body: dict[str, Any]) -> bool:
        return "input" in body or "instructions" in body

    def history(self, body: dict[str, Any]) -> list[Any] | None:
        return message_list(body, "input")

    def walk_input(self, body: dict[str, Any]) -> WalkInput:
        value = body.get("input")
        items = [{"role": "user", "content": value}] if isinstance(value, str) else as_list(value)
        return new_walk_input(items, True)

    def shape_error(self, body: dict[str, Any], start: int = 0) -> str | None:
        """Items with a role are messages; other item types pass (clients add new ones often)."""
        value = body.get("input")
        if value is None or isinstance(value, str):
            return None
        if not isinstance(value, list):
            return f"input: must be a string or a list of items, got {kind(value)}"
        for index in range(start, len(value)):
            item = value[index]
            if not isinstance(item, dict):
                return f"input[{index}]: must be an object, got {kind(item)}"
            if "role" in item:
                error = message_error(item, PART_TYPES)
                if error:
                    return f"input[{index}]{error}"
        return None

    def strip_tags(self, body: dict[str, Any]) -> bool:
        return strip_field(body, "input")

    def answer_text(self, payload: dict[str, Any]) -> str:
        return "".join(part.get("text", "") for item in payload.get("output") or [] if item.get("type") == "message"
                       for part in item.get("content") or [] if part.get("type") == "output_text")


FORMAT = Responses()
