"""In a real proxy, the next request of a conversation walks only its new messages, on every
wire format (LiteLLM leaves the remembered messages as they were), and routes as a full walk would."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import anthropic
import openai
import pytest

from tests.support.processes import Proxy

WALKED = re.compile(r"ROUTING DECISION .* decision_ms=\S+ walked=(\d+)/(\d+)")
COMPLEX = "Implement a distributed consensus algorithm"


def walked(proxy: Proxy, send: Callable[[], Any]) -> tuple[int, int]:
    """(messages walked, messages in the body) of the one decision `send` caused."""
    since = proxy.log_mark()
    send()
    found = WALKED.findall(proxy.log_when(lambda text: WALKED.search(text, since) is not None)[since:])
    assert len(found) == 1, found
    return int(found[0][0]), int(found[0][1])


def test_chat_completions(proxy: Proxy) -> None:
    client = openai.OpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.key, max_retries=0)
    history: list[dict[str, Any]] = [{"role": "user", "content": f"hello, conversation {uuid.uuid4()}"}]

    def send(messages: list[dict[str, Any]]) -> Callable[[], Any]:
        return lambda: client.chat.completions.create(model="auto-chat", messages=messages)

    assert walked(proxy, send(history)) == (1, 1)
    history += [{"role": "assistant", "content": "hi"}, {"role": "user", "content": COMPLEX}]
    assert walked(proxy, send(history)) == (2, 3)
    history += [{"role": "assistant", "content": "ok"}, {"role": "user", "content": "hi"}]
    raw = client.chat.completions.with_raw_response.create(model="auto-chat", messages=history)
    assert raw.headers["x-vibe-router-tier"] == "standard"  # the session holds: escalated by the resumed turn


def test_anthropic_messages(proxy: Proxy) -> None:
    client = anthropic.Anthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0)
    history: list[dict[str, Any]] = [
        {"role": "user", "content": [{"type": "text", "text": f"hello, conversation {uuid.uuid4()}"}]},
    ]

    def send(messages: list[dict[str, Any]]) -> Callable[[], Any]:
        return lambda: client.messages.create(model="auto-claude", max_tokens=64, system="be brief", messages=messages)

    assert walked(proxy, send(history)) == (1, 1)
    history += [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "read", "input": {"path": "a"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "file a"}]},
    ]
    assert walked(proxy, send(history)) == (2, 3)


@pytest.mark.parametrize("stream", [False, True])
def test_responses(proxy: Proxy, stream: bool) -> None:
    client = openai.OpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.key, max_retries=0)
    history: list[dict[str, Any]] = [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": f"hello {uuid.uuid4()}"}]},
    ]

    def send(items: list[dict[str, Any]]) -> Callable[[], Any]:
        def call() -> None:
            response = client.responses.create(model="auto-codex", input=items, stream=stream)
            if stream:
                for _ in response:
                    pass
        return call

    assert walked(proxy, send(history)) == (1, 1)
    history += [
        {"type": "function_call", "name": "shell", "call_id": "c1", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "done"},
    ]
    assert walked(proxy, send(history)) == (2, 3)
