"""The decision reaches what LiteLLM's spend logs keep: spend_logs_metadata and the request tags.

LiteLLM makes a spend-log row from the standard logging payload; without a database (none runs
here) a test callback in the same real proxy writes that payload's fields to a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from tests.support.configs import config_variant
from tests.support.processes import EchoUpstream, Proxy, text_when
from tests.support.stack import expected_score, start_routed_proxy

HARD = "Implement a distributed consensus algorithm"


def with_spy(document: dict[str, Any]) -> None:
    document["litellm_settings"]["callbacks"].append("tests.support.spend_spy.spy")


@pytest.fixture(scope="module")
def spied(echo: EchoUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proxy, Path]]:
    directory = tmp_path_factory.mktemp("spend")
    rows = directory / "rows.jsonl"
    running = start_routed_proxy(echo, config_variant(directory, with_spy), SPEND_SPY_FILE=str(rows))
    yield running, rows
    running.stop()


def rows_when(path: Path, count: int) -> list[dict[str, Any]]:
    def read() -> str:
        return path.read_text() if path.exists() else ""

    text = text_when(read, lambda text: text.count("\n") >= count, timeout=15)
    return [json.loads(line) for line in text.splitlines()]


def own_tags(row: dict[str, Any]) -> list[str]:
    """The request's tags without the User-Agent ones LiteLLM adds."""
    return [tag for tag in row["request_tags"] if not tag.startswith("User-Agent")]


def test_the_decision_is_merged_into_spend_logs_metadata_and_tags(spied: tuple[Proxy, Path]) -> None:
    proxy, rows = spied
    client = openai.OpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.key, max_retries=0)
    client.chat.completions.create(model="auto-chat", messages=[{"role": "user", "content": "hi"}],
                                   extra_body={"metadata": {"tags": ["team-a"], "spend_logs_metadata": {"job": "7"}}})
    claude = anthropic.Anthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0)
    claude.messages.create(model="auto-claude", max_tokens=512, messages=[{"role": "user", "content": HARD}])
    chat, messages = rows_when(rows, 2)[-2:]
    assert chat["model_group"] == "pool-chat-mini"
    assert own_tags(chat) == ["team-a", "vibe-router:auto-chat:cheap"]
    assert chat["spend_logs_metadata"]["job"] == "7", "what the client sent is kept"
    assert chat["spend_logs_metadata"]["vibe_router"] == {
        "virtual_model": "auto-chat", "tier": "cheap", "pool": "pool-chat-mini", "score": expected_score("hi"),
        "decided_by": "score", "session": chat["spend_logs_metadata"]["vibe_router"]["session"]}
    assert messages["model_group"] == "pool-claude-sonnet"
    assert own_tags(messages) == ["vibe-router:auto-claude:standard"]
    assert messages["spend_logs_metadata"]["vibe_router"]["decided_by"] == "score"
