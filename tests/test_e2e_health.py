"""A hung or closed cheap pool in a real proxy: after its first failures its requests go straight up.

The cheap pools point at upstreams that fail: one that accepts connections and never answers
(auto-chat's and auto-claude's), and a closed port (auto-codex's). The standard pools are the
echo upstream. LiteLLM's fallbacks serve the first failures late; vibe-router's pool health
must then send the cheap requests to the standard pool at once (`decided_by=health`), without
another connection to the hung upstream.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, NamedTuple

import httpx
import pytest

from tests.support.configs import config_variant
from tests.support.hung_upstream import HungUpstream
from tests.support.processes import EchoUpstream, Proxy, free_port
from tests.support.stack import start_routed_proxy

FAILURES = 2  # vibe_router.health.failures in this test's config
TIMEOUT, STREAM_TIMEOUT = 3, 2  # the cheap pools' litellm_params here
FAST = 1.0  # seconds: a request that skips the hung pool takes a few milliseconds


class Served(NamedTuple):
    status: int
    pool: str | None
    decided_by: str | None
    seconds: float


@pytest.fixture(scope="module")
def hung_chat() -> Iterator[HungUpstream]:
    with HungUpstream() as hung:
        yield hung


@pytest.fixture(scope="module")
def hung_claude() -> Iterator[HungUpstream]:
    with HungUpstream() as hung:
        yield hung


@pytest.fixture(scope="module")
def health_proxy(echo: EchoUpstream, hung_chat: HungUpstream, hung_claude: HungUpstream,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    bases = {"pool-chat-mini": f"{hung_chat.url}/v1", "pool-claude-haiku": hung_claude.url,
             "pool-codex-mini": f"http://127.0.0.1:{free_port()}/v1"}  # nothing listens there

    def failing_cheap_pools(document: dict[str, Any]) -> None:
        for entry in document["model_list"]:
            if entry["model_name"] in bases:
                entry["litellm_params"].update(api_base=bases[entry["model_name"]], timeout=TIMEOUT,
                                               stream_timeout=STREAM_TIMEOUT)
        document["vibe_router"]["health"] = {"failures": FAILURES, "cooldown_seconds": 600}

    running = start_routed_proxy(echo, config_variant(tmp_path_factory.mktemp("health"), failing_cheap_pools))
    yield running
    running.stop()


def send(proxy: Proxy, path: str, body: dict[str, Any]) -> Served:
    """One request, its body read to the end (a stream too), and how long it took."""
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {proxy.key}"}
    with httpx.stream("POST", f"{proxy.url}{path}", json=body, headers=headers, timeout=60, trust_env=False) as reply:
        reply.read()
    return Served(reply.status_code, reply.headers.get("x-litellm-model-group"),
                  reply.headers.get("x-vibe-router-decided-by"), time.monotonic() - started)


def posts(hung: HungUpstream) -> int:
    """Requests sent to the hung upstream (LiteLLM also asks it for /v1/models at start-up)."""
    return sum(line.startswith("POST ") for line in hung.request_lines())


def skips(log: str, virtual_model: str) -> list[str]:
    """The decision lines of requests that skipped a pool."""
    return [line for line in log.splitlines()
            if f"ROUTING DECISION virtual_model={virtual_model} " in line and "decided_by=health" in line]


def assert_skipped_after_first_failures(results: list[Served], standard: str, slowest_failure: float) -> None:
    first, rest = results[:FAILURES], results[FAILURES:]
    assert [(r.status, r.pool, r.decided_by) for r in first] == [(200, standard, "score")] * FAILURES, results
    assert all(r.seconds < slowest_failure + 5 for r in first), results  # LiteLLM's fallback after the failure
    assert [(r.status, r.pool, r.decided_by) for r in rest] == [(200, standard, "health")] * len(rest), results
    assert max(r.seconds for r in rest) < FAST, results


def test_a_hung_cheap_pool_is_skipped_after_its_first_failures(health_proxy: Proxy, hung_chat: HungUpstream) -> None:
    results = [send(health_proxy, "/v1/chat/completions", {
        "model": "auto-chat", "stream": index % 2 == 1, "messages": [{"role": "user", "content": f"hi {index}"}],
    }) for index in range(8)]
    assert_skipped_after_first_failures(results, "pool-chat-standard", TIMEOUT)
    assert min(r.seconds for r in results[:FAILURES]) >= STREAM_TIMEOUT - 0.1  # they did wait for the hung pool
    assert posts(hung_chat) == FAILURES, hung_chat.request_lines()  # nothing more reached it once it was noticed
    log = health_proxy.log_when(lambda text: len(skips(text, "auto-chat")) >= 6)
    assert f"POOL COOLDOWN pool=pool-chat-mini failures={FAILURES} error=Timeout cooldown_s=600" in log
    skipped = skips(log, "auto-chat")
    assert len(skipped) == 6
    assert all("pool=pool-chat-standard" in line and
               f'reasons="health: pool-chat-mini cooling down after {FAILURES} failures (Timeout)' in line
               for line in skipped)


def test_streams_from_a_hung_pool_are_noticed_too(health_proxy: Proxy, hung_claude: HungUpstream) -> None:
    results = [send(health_proxy, "/v1/messages", {
        "model": "auto-claude", "max_tokens": 100, "stream": True,
        "messages": [{"role": "user", "content": f"hi {index}"}],
    }) for index in range(5)]
    assert_skipped_after_first_failures(results, "pool-claude-sonnet", STREAM_TIMEOUT)
    assert posts(hung_claude) == FAILURES, hung_claude.request_lines()


def test_a_closed_port_is_skipped_after_its_first_failures(health_proxy: Proxy) -> None:
    results = [send(health_proxy, "/v1/responses", {"model": "auto-codex", "input": f"hi {index}"})
               for index in range(5)]
    assert_skipped_after_first_failures(results, "pool-codex-standard", 0)
    log = health_proxy.log_when(lambda text: "POOL COOLDOWN pool=pool-codex-mini" in text)
    # LiteLLM reports the refused connection as an InternalServerError, with httpx's ConnectError behind it.
    assert f"POOL COOLDOWN pool=pool-codex-mini failures={FAILURES} error=ConnectError" in log


def test_other_pools_are_not_skipped(health_proxy: Proxy) -> None:
    served = send(health_proxy, "/v1/chat/completions", {
        "model": "auto-chat", "messages": [{"role": "user", "content": "Implement a distributed lock service"}]})
    assert (served.status, served.pool, served.decided_by) == (200, "pool-chat-standard", "score")


COOLDOWN = 2.0  # seconds, in the recovery test's config


@pytest.fixture(scope="module")
def recovering_proxy(echo: EchoUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """config_final.yaml on the echo upstream, with a short cooldown."""
    def short_cooldown(document: dict[str, Any]) -> None:
        document["vibe_router"]["health"] = {"failures": FAILURES, "cooldown_seconds": COOLDOWN,
                                             "max_cooldown_seconds": 2 * COOLDOWN}

    running = start_routed_proxy(echo, config_variant(tmp_path_factory.mktemp("recovering"), short_cooldown))
    yield running
    running.stop()
    echo.clear_faults()


def chat_pool(proxy: Proxy, index: int) -> tuple[str | None, str | None]:
    """(the pool that served, decided_by) of a cheap auto-chat request."""
    served = send(proxy, "/v1/chat/completions", {
        "model": "auto-chat", "messages": [{"role": "user", "content": f"hi {index}"}]})
    assert served.status == 200, served
    return served.pool, served.decided_by


def test_requests_litellm_itself_cannot_send_do_not_count_against_a_pool(recovering_proxy: Proxy) -> None:
    for _ in range(FAILURES + 1):  # straight to the pool, past the plugin's 400: LiteLLM fails it with a 500
        served = send(recovering_proxy, "/v1/completions", {"model": "pool-chat-mini", "prompt": None})
        assert served.status == 500, served
    assert chat_pool(recovering_proxy, 0) == ("pool-chat-mini", "score")
    assert "POOL COOLDOWN" not in recovering_proxy.log_text()


def test_a_pool_is_probed_after_its_cooldown_and_used_again_once_it_answers(
        recovering_proxy: Proxy, echo: EchoUpstream) -> None:
    def chat(index: int) -> tuple[str | None, str | None]:
        return chat_pool(recovering_proxy, index)

    echo.set_faults({"gpt-5-mini": {"status": 503}})  # pool-chat-mini's upstream model
    assert [chat(1), chat(2)] == [("pool-chat-standard", "score")] * FAILURES  # LiteLLM's fallback
    assert chat(3) == ("pool-chat-standard", "health")
    time.sleep(COOLDOWN + 0.2)
    assert chat(4) == ("pool-chat-standard", "score")  # the probe: still failing, so the fallback served it
    assert chat(5) == ("pool-chat-standard", "health")  # a new, longer cooldown
    log = recovering_proxy.log_when(lambda text: f"cooldown_s={2 * COOLDOWN:g}" in text)
    assert f"POOL COOLDOWN pool=pool-chat-mini failures={FAILURES + 1} error=HTTP_503" in log
    assert f"cooldown_s={2 * COOLDOWN:g}" in log
    echo.clear_faults()
    time.sleep(2 * COOLDOWN + 0.2)
    assert chat(6) == ("pool-chat-mini", "score")  # the probe answers
    assert chat(7) == ("pool-chat-mini", "score")
    assert "POOL RECOVERED pool=pool-chat-mini" in recovering_proxy.log_when(lambda text: "POOL RECOVERED" in text)
