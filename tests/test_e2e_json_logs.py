"""With LiteLLM's JSON logs on, every vibe-router line in a real proxy's log is one JSON object."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest

from tests.support.processes import EchoUpstream, Proxy
from tests.support.stack import expected_score, start_routed_proxy


@pytest.fixture(scope="module")
def json_proxy(echo: EchoUpstream) -> Iterator[Proxy]:
    running = start_routed_proxy(echo, JSON_LOGS="true")
    yield running
    running.stop()


def test_every_vibe_router_line_parses_as_json(json_proxy: Proxy) -> None:
    client = openai.OpenAI(base_url=f"{json_proxy.url}/v1", api_key=json_proxy.key, max_retries=0)
    client.chat.completions.create(model="auto-chat", messages=[{"role": "user", "content": "hi"}])
    client.chat.completions.create(model="auto-chat", messages=[{"role": "user", "content": "hi"}],
                                   extra_headers={"x-vibe-route": "standard"})  # refused: a warning line
    text = json_proxy.log_when(lambda log: log.count('"message": "SUCCESS"') >= 2)
    assert "[VIBE-ROUTER]" not in text
    ours = [json.loads(line) for line in text.splitlines() if '"component": "vibe_router"' in line]
    messages = [line["message"] for line in ours]
    assert any(message.startswith("plugin loaded") for message in messages)
    assert any(message.startswith("OVERRIDE IGNORED") for message in messages)
    decisions = [line for line in ours if line["message"] == "ROUTING DECISION"]
    assert len(decisions) == 2
    assert decisions[0]["pool"] == "pool-chat-mini" and decisions[0]["decided_by"] == "score"
    assert decisions[0]["score"] == expected_score("hi") and isinstance(decisions[0]["decision_ms"], float)
    assert [line["served_by"] for line in ours if line["message"] == "SUCCESS"] == ["pool-chat-mini"] * 2
