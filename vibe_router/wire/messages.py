"""Anthropic messages: `/v1/messages`, a list of `messages` of content blocks, `system` apart."""

from __future__ import annotations

from typing import Any

from vibe_router.wire import chat
from vibe_router.wire.base import MessageList, message_list

BLOCK_TYPES = frozenset({
    "text", "image", "document", "search_result", "tool_use", "tool_result", "thinking", "redacted_thinking",
    "server_tool_use", "web_search_tool_result", "web_fetch_tool_result", "code_execution_tool_result",
    "bash_code_execution_tool_result", "text_editor_code_execution_tool_result", "tool_search_tool_result",
    "mcp_tool_use", "mcp_tool_result", "container_upload", "tool_reference",
})
# What tells a bare body from a chat completions one.
ONLY_BLOCK_TYPES = frozenset({"tool_use", "tool_result", "thinking", "redacted_thinking"})
ONLY_FIELDS = frozenset({"system", "anthropic_version", "stop_sequences", "thinking", "top_k"})


class AnthropicMessages(MessageList):
    endpoint = "messages"
    path = "/v1/messages"
    call_types = ("anthropic_messages",)
    metadata_field = "litellm_metadata"
    turn_fields = frozenset({"messages"})
    part_types = BLOCK_TYPES
    error_param_in_provider_fields = True  # LiteLLM's /v1/messages passes only `provider_specific_fields` on
    replay_fields = ("system", "messages", "tools", "max_tokens", "thinking", "output_config", "output_format")

    def recognises(self, body: dict[str, Any]) -> bool:
        """Anthropic's own fields or blocks; or `max_tokens` (which Anthropic requires) and nothing
        only chat completions has."""
        if ONLY_FIELDS.intersection(body):
            return True
        messages = [message for message in message_list(body, "messages") or () if isinstance(message, dict)]
        if any(_has_own_block(message.get("content")) for message in messages):
            return True
        return (
            "max_tokens" in body
            and not chat.ONLY_FIELDS.intersection(body)
            and not any(message.get("role") in chat.ONLY_ROLES for message in messages)
        )

    def answer_text(self, payload: dict[str, Any]) -> str:
        return "".join(part.get("text", "") for part in payload.get("content") or [] if part.get("type") == "text")


def _has_own_block(content: Any) -> bool:
    return isinstance(content, list) and any(
        isinstance(part, dict) and part.get("type") in ONLY_BLOCK_TYPES for part in content
    )


FORMAT = AnthropicMessages()
