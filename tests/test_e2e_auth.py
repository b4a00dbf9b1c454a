"""Authentication without a database, in a real proxy: a missing or unknown key is a 401, not a 500 or 400."""

from __future__ import annotations

import httpx
import litellm
import pytest
from litellm.proxy._types import ProxyErrorTypes, ProxyException

from tests.support.processes import Proxy
from vibe_router.plugin import unauthenticated

CHAT = {"model": "auto-chat", "messages": [{"role": "user", "content": "hi"}]}
ROUTES = [("GET", "/v1/models"), ("GET", "/health"), ("POST", "/v1/chat/completions"), ("POST", "/v1/messages")]


def call(proxy: Proxy, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    body = {**CHAT, "max_tokens": 16} if method == "POST" else None
    return httpx.request(method, f"{proxy.url}{path}", json=body, headers=headers, timeout=60, trust_env=False)


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer sk-not-the-master-key"},
    {"Authorization": "sk-no-bearer-prefix"},
    {"x-api-key": "sk-not-the-master-key"},  # how Anthropic clients send a key
], ids=["no-key", "bad-key", "no-bearer", "bad-x-api-key"])
def test_a_missing_or_bad_key_gets_401(proxy: Proxy, method: str, path: str, headers: dict[str, str]) -> None:
    response = call(proxy, method, path, headers)
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["message"].startswith("Authentication Error: ")
    assert error["type"] == "auth_error"
    assert "sk-not-the-master-key" not in response.text


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_the_master_key_gets_200(proxy: Proxy, method: str, path: str) -> None:
    response = call(proxy, method, path, {"Authorization": f"Bearer {proxy.key}"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("exception", [
    Exception("Authentication Error, Invalid proxy server token passed."),
    litellm.Timeout("no answer", model="m", llm_provider="openai"),
    ProxyException(message="over budget", type=ProxyErrorTypes.budget_exceeded, param=None, code=429),
])
def test_other_failures_are_left_to_litellm(exception: Exception) -> None:
    assert unauthenticated(exception) is None
