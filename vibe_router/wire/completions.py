"""OpenAI legacy completions: `/v1/completions`, a bare `prompt`."""

from __future__ import annotations

from typing import Any

from vibe_router.wire.base import OpenAIAnthropic, WalkInput, as_list, new_walk_input
from vibe_router.wire.shape_check import kind
from vibe_router.wire.tags import strip_field


class LegacyCompletions(OpenAIAnthropic):
    endpoint = "completions"
    path = "/v1/completions"
    call_types = ("atext_completion", "text_completion")
    metadata_field = "metadata"
    turn_fields = frozenset({"prompt"})
    error_param_in_provider_fields = False
    replay_fields = ("prompt", "max_tokens")

    def recognises(self, body: dict[str, Any]) -> bool:
        return "prompt" in body and "messages" not in body

    def history(self, body: dict[str, Any]) -> list[Any] | None:
        return None  # a prompt is no conversation

    def walk_input(self, body: dict[str, Any]) -> WalkInput:
        """The newest prompt as the one user message (a list of strings is a batch: the last one)."""
        prompt = body.get("prompt")
        brackets = any(isinstance(item, str) and "[[" in item for item in as_list(prompt))
        return new_walk_input([{"role": "user", "content": _last_prompt(prompt)}], double_brackets=brackets)

    def shape_error(self, body: dict[str, Any], start: int = 0) -> str | None:
        return _prompt_error(body["prompt"]) if "prompt" in body else "prompt: required"

    def strip_tags(self, body: dict[str, Any]) -> bool:
        return strip_field(body, "prompt", strings_only=True)

    def answer_text(self, payload: dict[str, Any]) -> str:
        return str((payload.get("choices") or [{}])[0].get("text") or "")


def _last_prompt(prompt: Any) -> Any:
    if isinstance(prompt, list) and prompt and all(isinstance(item, str) for item in prompt):
        return prompt[-1]
    return prompt if isinstance(prompt, str) else ""


def _prompt_error(prompt: Any) -> str | None:
    if isinstance(prompt, str):
        return None
    if not isinstance(prompt, list):  # null too: LiteLLM fails it with a 500 ("Unmapped prompt format")
        return f"prompt: must be a string, a list of strings, or token ids, got {kind(prompt)}"
    if all(isinstance(item, str) for item in prompt):
        return None
    if all(_is_int(item) for item in prompt):
        return None  # token ids
    if all(isinstance(item, list) and all(_is_int(token) for token in item) for item in prompt):
        return None  # batches of token ids
    return "prompt: must be a string, a list of strings, or token ids"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


FORMAT = LegacyCompletions()
