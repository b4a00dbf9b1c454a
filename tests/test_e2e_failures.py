"""The router never fails a request, and a bad config stops the proxy with one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.support.configs import config_variant
from tests.support.processes import EchoUpstream, Proxy
from tests.support.stack import EXIT_CONFIG_ERROR, run_proxy_expecting_exit, start_routed_proxy


def exploding_chat_scorer(document: dict[str, Any]) -> None:
    section = document["vibe_router"]
    section["scorers"]["exploding"] = {"kind": "tests.support.faulty_scorer:ExplodingScorer"}
    section["virtual_models"]["auto-chat"]["scorer"] = "exploding"


@pytest.fixture(scope="module")
def failing_proxy(echo: EchoUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    config = config_variant(tmp_path_factory.mktemp("fail-open"), exploding_chat_scorer)
    running = start_routed_proxy(echo, config)
    yield running
    running.stop()


def assert_chat_fails_open(proxy: Proxy) -> openai.OpenAI:
    """A request for auto-chat is served, by auto-chat's own deployment, marked fail-open."""
    client = openai.OpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="auto-chat", messages=[{"role": "user", "content": "hi"}]
    )
    assert raw.http_response.status_code == 200
    assert raw.headers["x-litellm-model-group"] == "auto-chat"
    assert raw.headers["x-vibe-router-fail-open"] == "true"
    return client


def test_router_failure_fails_open_to_the_virtual_deployment(failing_proxy: Proxy, echo: EchoUpstream) -> None:
    echo.clear()
    assert_chat_fails_open(failing_proxy)
    assert [record["model"] for record in echo.requests()] == ["gpt-5"]
    assert "ROUTING FAILURE virtual_model=auto-chat endpoint=chat error=RuntimeError" in failing_proxy.log_text()


def test_other_virtual_models_still_route(failing_proxy: Proxy) -> None:
    client = openai.OpenAI(base_url=f"{failing_proxy.url}/v1", api_key=failing_proxy.key, max_retries=0)
    raw = client.responses.with_raw_response.create(model="auto-codex", input="hi")
    assert raw.headers["x-litellm-model-group"] == "pool-codex-mini"


def unknown_pool(document: dict[str, Any]) -> None:
    document["vibe_router"]["virtual_models"]["auto-codex"]["tiers"][1]["pool"] = "pool-codex-maxi"


def test_bad_config_stops_the_proxy_with_one_line(echo: EchoUpstream, tmp_path: Path) -> None:
    config = config_variant(tmp_path, unknown_pool)
    result = run_proxy_expecting_exit(config, echo)
    assert result.returncode == EXIT_CONFIG_ERROR
    output = result.stdout + result.stderr
    errors = [line for line in output.splitlines() if "[VIBE-ROUTER]" in line]
    assert errors == [
        f"[VIBE-ROUTER] config error in {config} at vibe_router.virtual_models.auto-codex.tiers[1].pool: "
        "unknown pool 'pool-codex-maxi': not a model_name in model_list"
    ]
    assert "Traceback" not in output


@pytest.mark.parametrize(("content", "field"), [
    (12345, "messages[0].content"),
    ([{"type": "mystery"}], "messages[0].content[0].type"),
    ([[["nested"]]], "messages[0].content[0]"),
])
def test_forbidden_shapes_get_a_clear_400_from_the_proxy(proxy: Proxy, content: Any, field: str) -> None:
    response = httpx.post(
        f"{proxy.url}/v1/chat/completions", timeout=30, trust_env=False,
        headers={"Authorization": f"Bearer {proxy.key}"},
        json={"model": "auto-chat", "messages": [{"role": "user", "content": content}]},
    )
    assert response.status_code == 400, response.text
    assert f"vibe-router: invalid request: {field}: " in response.text
    assert f"REJECTED virtual_model=auto-chat endpoint=chat: {field}: " in proxy.log_text()


def test_a_corrupt_learned_model_file_fails_open_at_load(echo: EchoUpstream, tmp_path: Path) -> None:
    corrupt = tmp_path / "learned-corrupt.json.gz"
    corrupt.write_bytes(b"\x1f\x8b not really gzip")

    def use_corrupt_model(document: dict[str, Any]) -> None:
        section = document["vibe_router"]
        section["scorers"]["learned-broken"] = {"kind": "learned", "model": str(corrupt)}
        section["virtual_models"]["auto-chat"]["scorer"] = "learned-broken"
        section["virtual_models"]["auto-chat"].pop("scorer_settings", None)

    running = start_routed_proxy(echo, config_variant(tmp_path, use_corrupt_model))
    try:
        log = running.log_text()
        assert "SCORER UNAVAILABLE virtual_model=auto-chat" in log and str(corrupt) in log
        client = assert_chat_fails_open(running)
        routed = client.responses.with_raw_response.create(model="auto-codex", input="hi")
        assert routed.headers["x-litellm-model-group"] == "pool-codex-mini"
    finally:
        running.stop()
