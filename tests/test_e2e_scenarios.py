"""Scenarios and forbidden overrides, through the repo's config in a real proxy."""

from __future__ import annotations

import uuid
from typing import Any

import anthropic
import httpx
import pytest

from tests.support.processes import EchoUpstream, Proxy
from tests.support.stack import UPSTREAM_MODEL

COMPLEX = "Implement a distributed consensus algorithm"
TINY_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def post(proxy: Proxy, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    response = httpx.post(f"{proxy.url}{path}", json=body, timeout=60, trust_env=False,
                          headers={"Authorization": f"Bearer {proxy.key}", **headers})
    assert response.status_code == 200, response.text
    return response


def served(response: httpx.Response, echo: EchoUpstream) -> tuple[str, str]:
    pool = response.headers["x-litellm-model-group"]
    assert response.headers["x-vibe-router-pool"] == pool
    assert echo.requests()[-1]["model"] == UPSTREAM_MODEL[pool]
    return pool, response.headers["x-vibe-router-decided-by"]


def fresh(text: str) -> str:
    """A first message no earlier test used, so each case is its own session."""
    return f"{text} ({uuid.uuid4().hex[:8]})"


def test_housekeeping_by_max_tokens(proxy: Proxy, echo: EchoUpstream) -> None:
    body = {"model": "auto-chat", "max_tokens": 8, "messages": [{"role": "user", "content": fresh(COMPLEX)}]}
    assert served(post(proxy, "/v1/chat/completions", body), echo) == ("pool-chat-mini", "scenario:housekeeping")


def test_housekeeping_for_claude_codes_small_fast_model(proxy: Proxy, echo: EchoUpstream) -> None:
    client = anthropic.Anthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0)
    raw = client.messages.with_raw_response.create(
        model="claude-haiku-4-5-20251001", max_tokens=256,
        messages=[{"role": "user", "content": fresh(COMPLEX)}],
    )
    assert served(raw.http_response, echo) == ("pool-claude-haiku", "scenario:housekeeping")
    assert raw.headers["x-vibe-router-virtual-model"] == "auto-claude"


def test_long_context_goes_to_the_long_context_tier(proxy: Proxy, echo: EchoUpstream) -> None:
    history = "log line with nothing special\n" * 14_000  # ~420k characters, ~105k tokens
    body = {"model": "auto-chat", "messages": [
        {"role": "user", "content": fresh("hi")},
        {"role": "assistant", "content": history},
        {"role": "user", "content": "thanks"},
    ]}
    assert served(post(proxy, "/v1/chat/completions", body), echo) == ("pool-chat-standard", "scenario:long_context")


def test_images_go_to_the_vision_tier(proxy: Proxy, echo: EchoUpstream) -> None:
    content = [{"type": "text", "text": fresh("hi")}, {"type": "image_url", "image_url": {"url": TINY_PNG}}]
    body = {"model": "auto-chat", "messages": [{"role": "user", "content": content}]}
    assert served(post(proxy, "/v1/chat/completions", body), echo) == ("pool-chat-standard", "scenario:images")


@pytest.mark.parametrize(("effort", "expected"), [
    ("high", ("pool-codex-standard", "scenario:thinking")),
    ("medium", ("pool-codex-mini", "score")),
])
def test_reasoning_effort_sets_a_minimum_tier_for_codex(
    proxy: Proxy, echo: EchoUpstream, effort: str, expected: tuple[str, str]
) -> None:
    body = {"model": "auto-codex", "input": fresh("hi"), "reasoning": {"effort": effort}}
    assert served(post(proxy, "/v1/responses", body), echo) == expected


def test_claude_codes_adaptive_thinking_does_not_force_standard(proxy: Proxy, echo: EchoUpstream) -> None:
    body = {"model": "auto-claude", "max_tokens": 32000, "thinking": {"type": "adaptive"},
            "output_config": {"effort": "high"}, "messages": [{"role": "user", "content": fresh("hi")}]}
    assert served(post(proxy, "/v1/messages", body), echo) == ("pool-claude-haiku", "score")


def test_overrides_are_ignored_where_not_allowed_and_the_tag_never_leaves(proxy: Proxy, echo: EchoUpstream) -> None:
    text = fresh("hi")
    body = {"model": "auto-chat", "messages": [{"role": "user", "content": f"{text} [[route:standard]]"}]}
    response = post(proxy, "/v1/chat/completions", body, **{"x-vibe-route": "standard"})
    assert served(response, echo) == ("pool-chat-mini", "score")
    assert echo.requests()[-1]["body"]["messages"][-1]["content"] == text
    assert "OVERRIDE IGNORED virtual_model=auto-chat source=header tier='standard'" in proxy.log_text()
