"""vibe-router's metrics on LiteLLM's own /metrics, in a real proxy, moving with traffic and with Redis."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.configs import config_variant
from tests.support.processes import EchoUpstream, Proxy
from tests.support.prometheus import with_prometheus
from tests.support.redis_server import RedisServer
from tests.support.stack import start_routed_proxy

HARD = "Implement a distributed consensus algorithm"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(scope="module")
def metered(echo: EchoUpstream, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    config = config_variant(tmp_path_factory.mktemp("metrics"), with_prometheus)
    running = start_routed_proxy(echo, config, **redis_server.env())
    yield running
    running.stop()


def scrape(proxy: Proxy) -> Samples:
    answer = httpx.get(f"{proxy.url}/metrics/", headers={"Authorization": f"Bearer {proxy.key}"}, timeout=30)
    assert answer.status_code == 200, answer.text[:300]
    text = answer.text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape_until(proxy: Proxy, ready: Callable[[Samples], bool], timeout: float = 10.0) -> Samples:
    """Counters reach the metrics when the router flushes them (every half second)."""
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(proxy)
        if ready(samples) or time.monotonic() > deadline:
            return samples
        time.sleep(0.2)


def chat(proxy: Proxy, text: str) -> None:
    client = openai.OpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.key, max_retries=0)
    client.chat.completions.create(model="auto-chat", messages=[{"role": "user", "content": text}])


def test_vibe_router_metrics_sit_next_to_litellms_and_move_with_traffic(metered: Proxy) -> None:
    before = scrape(metered)
    chat(metered, "hi")
    chat(metered, HARD)
    malformed = httpx.post(f"{metered.url}/v1/chat/completions", headers={"Authorization": f"Bearer {metered.key}"},
                           json={"model": "auto-chat", "messages": [{"role": "user", "content": 5}]}, timeout=30)
    assert malformed.status_code == 400

    def moved(samples: Samples) -> bool:
        return value(samples, "vibe_router_pool_tokens_total", virtual_model="auto-chat", pool="pool-chat-standard",
                     direction="in") > value(before, "vibe_router_pool_tokens_total", virtual_model="auto-chat",
                                             pool="pool-chat-standard", direction="in")

    after = scrape_until(metered, moved)
    for tier in ("cheap", "standard"):
        name, labels = "vibe_router_decisions_total", {"virtual_model": "auto-chat", "tier": tier}
        assert value(after, name, **labels) == value(before, name, **labels) + 1, tier
    assert value(after, "vibe_router_decided_by_total", virtual_model="auto-chat", decided_by="score") >= 2
    assert value(after, "vibe_router_rejected_total", endpoint="chat") == \
        value(before, "vibe_router_rejected_total", endpoint="chat") + 1
    assert value(after, "vibe_router_decision_seconds_count") == value(before, "vibe_router_decision_seconds_count") + 2
    assert value(after, "vibe_router_decision_seconds_bucket", le="+Inf") == \
        value(after, "vibe_router_decision_seconds_count")
    assert moved(after)
    assert any(name.startswith("litellm_") for name, _ in after), "LiteLLM's own metrics are on the same page"
    assert value(after, "vibe_router_pool_cost_usd_total", virtual_model="auto-chat", pool="pool-chat-mini") > 0
    assert value(after, "vibe_router_view_cache_total", result="miss") >= 2
    assert value(after, "vibe_router_score_memo_total", result="miss") >= 2
    assert value(after, "vibe_router_redis_up") == 1
    labels = {dict(key)["virtual_model"] for name, key in after if name.startswith("vibe_router_decisions")}
    assert labels <= {"auto-chat", "auto-codex", "auto-claude"}, "no label comes from a request"


def test_redis_going_down_and_coming_back_shows_in_the_metrics(metered: Proxy, redis_server: RedisServer) -> None:
    before = scrape(metered)
    redis_server.kill()
    try:
        chat(metered, HARD)  # a refused connection counts as down at once; the request is still served
        down = scrape(metered)
        assert value(down, "vibe_router_redis_up") == 0
        assert value(down, "vibe_router_redis_transitions_total", to="down") == \
            value(before, "vibe_router_redis_transitions_total", to="down") + 1
    finally:
        redis_server.start()
    deadline = time.monotonic() + 15
    while value(scrape(metered), "vibe_router_redis_up") != 1 and time.monotonic() < deadline:
        chat(metered, "hi")  # Redis is tried again after retry_seconds (1 s here)
        time.sleep(0.3)
    back = scrape(metered)
    assert value(back, "vibe_router_redis_up") == 1
    assert value(back, "vibe_router_redis_transitions_total", to="up") == \
        value(before, "vibe_router_redis_transitions_total", to="up") + 1
