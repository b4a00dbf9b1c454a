"""Which wire format a bare request body is in, for the tools that read bodies without a URL."""

from __future__ import annotations

from typing import Any

ANTHROPIC_PART_TYPES = frozenset({"tool_use", "tool_result", "thinking", "redacted_thinking"})
ANTHROPIC_ONLY_FIELDS = frozenset({"system", "anthropic_version", "stop_sequences", "thinking", "top_k"})
OPENAI_CHAT_ONLY_FIELDS = frozenset({
    "max_completion_tokens", "n", "response_format", "logprobs", "top_logprobs", "frequency_penalty",
    "presence_penalty", "seed", "functions", "function_call", "modalities", "audio", "reasoning_effort",
})
OPENAI_CHAT_ONLY_ROLES = frozenset({"system", "developer", "tool", "function"})


def detect_endpoint(body: dict[str, Any]) -> str:
    """`chat`, `completions`, `messages` or `responses`, from the body's own fields.

    A body that fits both chat completions and Anthropic messages counts as Anthropic when it
    carries `max_tokens` (which Anthropic requires) and nothing only OpenAI's chat format has.
    """
    if "input" in body or "instructions" in body:
        return "responses"
    if "prompt" in body and "messages" not in body:
        return "completions"
    if ANTHROPIC_ONLY_FIELDS.intersection(body):
        return "messages"
    messages = body.get("messages")
    messages = [message for message in messages if isinstance(message, dict)] if isinstance(messages, list) else []
    if any(_has_anthropic_part(message.get("content")) for message in messages):
        return "messages"
    if (
        "max_tokens" in body
        and not OPENAI_CHAT_ONLY_FIELDS.intersection(body)
        and not any(message.get("role") in OPENAI_CHAT_ONLY_ROLES for message in messages)
    ):
        return "messages"
    return "chat"


def _has_anthropic_part(content: Any) -> bool:
    return isinstance(content, list) and any(
        isinstance(part, dict) and part.get("type") in ANTHROPIC_PART_TYPES for part in content
    )
