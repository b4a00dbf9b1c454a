"""OpenAI chat completions: `/v1/chat/completions`, a list of `messages`."""

from __future__ import annotations

from typing import Any

from vibe_router.wire.base import MessageList

PART_TYPES = frozenset({
    "text", "image_url", "input_audio", "file", "refusal", "audio_url", "video_url", "document",
    "thinking", "redacted_thinking", "image", "input_text", "input_image", "input_file",
})
# What only this format has: a body with any of them is not an Anthropic one (`messages.recognises`).
ONLY_FIELDS = frozenset({
    "max_completion_tokens", "n", "response_format", "logprobs", "top_logprobs", "frequency_penalty",
    "presence_penalty", "seed", "functions", "function_call", "modalities", "audio", "reasoning_effort",
})
ONLY_ROLES = frozenset({"system", "developer", "tool", "function"})


class ChatCompletions(MessageList):
    endpoint = "chat"
    path = "/v1/chat/completions"
    call_types = ("acompletion", "completion")
    metadata_field = "metadata"
    turn_fields = frozenset({"messages"})
    part_types = PART_TYPES
    error_param_in_provider_fields = False
    replay_fields = ("messages", "tools", "max_tokens", "max_completion_tokens", "reasoning_effort", "response_format")

    def recognises(self, body: dict[str, Any]) -> bool:
        return True  # the registry's last format: what no other format claims reads as chat

    def answer_text(self, payload: dict[str, Any]) -> str:
        return str(((payload.get("choices") or [{}])[0].get("message") or {}).get("content") or "")


FORMAT = ChatCompletions()
