"""End to end: the repo's config in a real LiteLLM proxy, driven by the real SDKs.

The echo upstream records the model each pool was asked for, so every test proves which
pool served the request, beside the headers the client saw.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.support.processes import REPO_ROOT, EchoUpstream, Proxy
from tests.support.stack import UPSTREAM_MODEL

FIXTURES = Path(__file__).parent / "fixtures"
SIMPLE = "hi"
COMPLEX = "Implement a distributed consensus algorithm"


@pytest.fixture
def oai(proxy: Proxy) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.key, max_retries=0)


@pytest.fixture
def claude(proxy: Proxy) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0)


@pytest.fixture(autouse=True)
def fresh_upstream(echo: EchoUpstream) -> None:
    echo.clear()


def assert_served(headers: Any, echo: EchoUpstream, pool: str, virtual: str) -> None:
    assert headers["x-litellm-model-group"] == pool
    assert headers["x-vibe-router-pool"] == pool
    assert headers["x-vibe-router-virtual-model"] == virtual
    assert headers["x-vibe-router-tier"] in ("cheap", "standard")
    float(headers["x-vibe-router-score"])
    assert headers["x-vibe-router-reason"]
    asked = [record["model"] for record in echo.requests()]
    assert asked == [UPSTREAM_MODEL[pool]], asked


CHAT_CASES = [(SIMPLE, "pool-chat-mini"), (COMPLEX, "pool-chat-standard")]


@pytest.mark.parametrize(("text", "pool"), CHAT_CASES)
def test_chat_completions(oai: openai.OpenAI, echo: EchoUpstream, text: str, pool: str) -> None:
    raw = oai.chat.completions.with_raw_response.create(
        model="auto-chat", messages=[{"role": "user", "content": text}]
    )
    completion = raw.parse()
    assert completion.model == "auto-chat"
    assert UPSTREAM_MODEL[pool] in completion.choices[0].message.content
    assert_served(raw.headers, echo, pool, "auto-chat")


@pytest.mark.parametrize(("text", "pool"), CHAT_CASES)
def test_chat_completions_streaming(oai: openai.OpenAI, echo: EchoUpstream, text: str, pool: str) -> None:
    with oai.chat.completions.with_streaming_response.create(
        model="auto-chat", messages=[{"role": "user", "content": text}], stream=True
    ) as response:
        chunks = list(response.parse())
        headers = response.headers
    answer = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert UPSTREAM_MODEL[pool] in answer
    assert_served(headers, echo, pool, "auto-chat")


@pytest.mark.parametrize(("text", "pool"), CHAT_CASES)
def test_text_completions(oai: openai.OpenAI, echo: EchoUpstream, text: str, pool: str) -> None:
    raw = oai.completions.with_raw_response.create(model="auto-chat", prompt=text)
    assert UPSTREAM_MODEL[pool] in raw.parse().choices[0].text
    assert_served(raw.headers, echo, pool, "auto-chat")


CLAUDE_CASES = [(SIMPLE, "pool-claude-haiku"), (COMPLEX, "pool-claude-sonnet")]


@pytest.mark.parametrize(("text", "pool"), CLAUDE_CASES)
def test_anthropic_messages(claude: anthropic.Anthropic, echo: EchoUpstream, text: str, pool: str) -> None:
    raw = claude.messages.with_raw_response.create(
        model="auto-claude", max_tokens=64, messages=[{"role": "user", "content": text}]
    )
    message = raw.parse()
    assert UPSTREAM_MODEL[pool] in message.content[0].text
    assert_served(raw.headers, echo, pool, "auto-claude")
    assert echo.requests()[0]["path"] == "/v1/messages"


@pytest.mark.parametrize(("text", "pool"), CLAUDE_CASES)
def test_anthropic_messages_streaming(
    claude: anthropic.Anthropic, echo: EchoUpstream, text: str, pool: str
) -> None:
    with claude.messages.with_streaming_response.create(
        model="auto-claude", max_tokens=64, stream=True, messages=[{"role": "user", "content": text}]
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = list(response.parse())
        headers = response.headers
    text_out = "".join(e.delta.text for e in events if e.type == "content_block_delta")
    assert UPSTREAM_MODEL[pool] in text_out
    assert_served(headers, echo, pool, "auto-claude")


CODEX_CASES = [(SIMPLE, "pool-codex-mini"), (COMPLEX, "pool-codex-standard")]


@pytest.mark.parametrize(("text", "pool"), CODEX_CASES)
@pytest.mark.parametrize("shape", ["string", "items"])
def test_responses(oai: openai.OpenAI, echo: EchoUpstream, text: str, pool: str, shape: str) -> None:
    given: Any = text if shape == "string" else [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    ]
    raw = oai.responses.with_raw_response.create(model="auto-codex", input=given)
    assert UPSTREAM_MODEL[pool] in raw.parse().output_text
    assert_served(raw.headers, echo, pool, "auto-codex")


@pytest.mark.parametrize(("text", "pool"), CODEX_CASES)
def test_responses_streaming(oai: openai.OpenAI, echo: EchoUpstream, text: str, pool: str) -> None:
    with oai.responses.with_streaming_response.create(model="auto-codex", input=text, stream=True) as response:
        events = list(response.parse())
        headers = response.headers
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert UPSTREAM_MODEL[pool] in deltas
    assert events[-1].type == "response.completed"
    assert_served(headers, echo, pool, "auto-codex")


def post_fixture(proxy: Proxy, path: str, name: str, **changes: Any) -> httpx.Response:
    body = json.loads((FIXTURES / name).read_text())
    body.update(changes)
    return httpx.post(
        f"{proxy.url}{path}", json=body, timeout=30, trust_env=False,
        headers={"Authorization": f"Bearer {proxy.key}"},
    )


@pytest.mark.parametrize(
    ("name", "pool"),
    [
        ("claude_code_hi.json", "pool-claude-haiku"),
        ("claude_code_complex.json", "pool-claude-sonnet"),
        ("claude_code_tool_loop.json", "pool-claude-sonnet"),
    ],
)
def test_claude_code_requests(proxy: Proxy, echo: EchoUpstream, name: str, pool: str) -> None:
    """~50 KB of system prompt and tools, `<system-reminder>` wrappers: only the user's words count."""
    response = post_fixture(proxy, "/v1/messages?beta=true", name, stream=False, model="auto-claude")
    assert response.status_code == 200, response.text
    assert_served(response.headers, echo, pool, "auto-claude")


@pytest.mark.parametrize(
    ("name", "pool"),
    [
        ("codex_hi.json", "pool-codex-mini"),
        ("codex_complex.json", "pool-codex-standard"),
        ("codex_tool_loop.json", "pool-codex-standard"),
    ],
)
def test_codex_requests(proxy: Proxy, echo: EchoUpstream, name: str, pool: str) -> None:
    response = post_fixture(proxy, "/v1/responses", name, stream=False, model="auto-codex")
    assert response.status_code == 200, response.text
    assert_served(response.headers, echo, pool, "auto-codex")


def test_physical_pool_is_not_touched(oai: openai.OpenAI, echo: EchoUpstream) -> None:
    raw = oai.chat.completions.with_raw_response.create(
        model="pool-chat-standard", messages=[{"role": "user", "content": SIMPLE}]
    )
    assert raw.headers["x-litellm-model-group"] == "pool-chat-standard"
    assert "x-vibe-router-pool" not in raw.headers
    assert [r["model"] for r in echo.requests()] == ["gpt-5"]


def test_models_lists_the_virtual_models(oai: openai.OpenAI) -> None:
    names = {model.id for model in oai.models.list()}
    assert {"auto-chat", "auto-codex", "auto-claude", "pool-chat-mini"} <= names


def test_every_pool_of_the_default_config_has_a_price(proxy: Proxy) -> None:
    log = proxy.log_text()
    assert "plugin loaded" in log and "UNPRICED POOL" not in log


def test_log_lines_explain_and_keep_prompts_out(oai: openai.OpenAI, proxy: Proxy) -> None:
    secret = "Implement the zebra-quokka-7731 consensus algorithm"
    oai.chat.completions.create(model="auto-chat", messages=[{"role": "user", "content": secret}])
    log = proxy.log_when(lambda text: "SUCCESS virtual_model=auto-chat pool=pool-chat-standard" in text)
    assert "[VIBE-ROUTER] [INFO] plugin loaded" in log
    decisions = [line for line in log.splitlines() if "ROUTING DECISION" in line]
    assert any("virtual_model=auto-chat pool=pool-chat-standard tier=standard" in line for line in decisions)
    assert any("SUCCESS virtual_model=auto-chat pool=pool-chat-standard" in line for line in log.splitlines())
    assert "zebra-quokka" not in log


def test_test_route_script_passes(proxy: Proxy) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "test_route.py"), "--base-url", proxy.url, "--key", proxy.key],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "27 passed, 0 failed"


def test_the_plugin_joins_litellms_own_callbacks_without_replacing_them(proxy: Proxy) -> None:
    # With `callbacks: vibe_router.router_instance` (a string) LiteLLM 1.108.7 replaced its
    # callback list, and its per-model budget limiter for virtual keys was gone.
    listed = httpx.get(f"{proxy.url}/active/callbacks", headers={"Authorization": f"Bearer {proxy.key}"},
                       timeout=10).json()["litellm.callbacks"]
    assert any(entry.startswith("<vibe_router.plugin.VibeRouter") for entry in listed), listed
    assert any("_PROXY_VirtualKeyModelMaxBudgetLimiter" in entry for entry in listed), listed
