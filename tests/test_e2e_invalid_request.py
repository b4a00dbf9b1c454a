"""The plugin's 400s through a real proxy, read by the real SDKs: the field is where they look for it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anthropic
import openai
import pytest

from tests.support.processes import Proxy


def openai_client(proxy: Proxy) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.key, max_retries=0)


def rejected(call: Callable[[], Any]) -> tuple[openai.BadRequestError, float]:
    started = time.monotonic()
    with pytest.raises(openai.BadRequestError) as raised:
        call()
    return raised.value, time.monotonic() - started


def message(error: openai.BadRequestError) -> str:
    """The error object's own message (the SDK's `message` adds "Error code: 400 - ")."""
    assert isinstance(error.body, dict)
    return str(error.body["message"])


def test_a_null_prompt_gets_a_400_naming_the_prompt(proxy: Proxy) -> None:
    error, seconds = rejected(lambda: openai_client(proxy).completions.create(model="auto-chat", prompt=None))
    assert error.status_code == 400
    assert (error.param, error.type) == ("prompt", "invalid_request_error")
    assert message(error) == ("vibe-router: invalid request: prompt: must be a string, a list of strings, "
                              "or token ids, got null")
    assert seconds < 5  # answered by the hook, not after LiteLLM's retries
    assert "REJECTED virtual_model=auto-chat endpoint=completions: prompt: " in proxy.log_text()


@pytest.mark.parametrize(("call", "field"), [
    (lambda client: client.chat.completions.create(
        model="auto-chat", messages=[{"role": "user", "content": 12345}]), "messages[0].content"),
    (lambda client: client.chat.completions.create(
        model="auto-chat", messages=[{"role": "user", "content": [{"type": "mystery"}]}]),
     "messages[0].content[0].type"),
    (lambda client: client.responses.create(model="auto-codex", input=12345), "input"),
    (lambda client: client.completions.create(model="auto-chat", prompt=[1, "mixed"]), "prompt"),
], ids=["chat-content", "chat-part-type", "responses-input", "completions-prompt"])
def test_openai_sdk_reads_the_field_from_param(proxy: Proxy, call: Callable[[openai.OpenAI], Any], field: str) -> None:
    error, _ = rejected(lambda: call(openai_client(proxy)))
    assert (error.status_code, error.param, error.type) == (400, field, "invalid_request_error")
    assert message(error).startswith(f"vibe-router: invalid request: {field}: ")
    assert isinstance(error.body, dict) and "provider_specific_fields" not in error.body


def test_anthropic_sdk_gets_the_field_in_the_message_and_provider_specific_fields(proxy: Proxy) -> None:
    client = anthropic.Anthropic(base_url=proxy.url, auth_token=proxy.key, api_key=None, max_retries=0)
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.messages.create(model="auto-claude", max_tokens=16, messages=[{"role": "user", "content": 12345}])
    error = raised.value
    assert error.status_code == 400
    body = error.body["error"] if isinstance(error.body, dict) else {}
    assert body["type"] == "invalid_request_error"
    assert body["message"].startswith("vibe-router: invalid request: messages[0].content: ")
    assert body["provider_specific_fields"] == {"param": "messages[0].content"}
