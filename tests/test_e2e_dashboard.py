"""The Grafana dashboard in docs/grafana/ asks for what a real proxy's /metrics holds.

A real Prometheus scrapes a real proxy (plugin, Redis, capture to a folder and to a Redis
stream) while it routes traffic and Redis is killed and started again. Every query of every
panel must then be one Prometheus accepts and answers with data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.support.configs import config_variant
from tests.support.processes import EchoUpstream, Proxy
from tests.support.prometheus import Prometheus, dashboard, panel_queries, prometheus_binary, with_prometheus
from tests.support.redis_server import RedisServer
from tests.support.stack import start_routed_proxy

HARD = "Implement a distributed consensus algorithm with leader election and log compaction"


def observed(capture: Path) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        with_prometheus(document)
        document["vibe_router"]["capture"] = {"enabled": True, "directory": str(capture),
                                              "redis_stream": "vibe-router:capture"}
        document["vibe_router"]["scorers"]["exploding"] = {"kind": "tests.support.faulty_scorer:ExplodingScorer"}
        document["vibe_router"]["virtual_models"]["auto-codex"]["scorer"] = "exploding"  # fails open
    return change


@pytest.fixture(scope="module")
def scraped(echo: EchoUpstream, redis_server: RedisServer,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proxy, Prometheus]]:
    if prometheus_binary() is None:
        pytest.fail("Debian's prometheus is missing: ./test.sh installs it (apt-get install prometheus)")
    folder = tmp_path_factory.mktemp("dashboard")
    proxy = start_routed_proxy(echo, config_variant(folder, observed(folder / "capture")), **redis_server.env())
    prometheus = Prometheus(proxy)
    yield proxy, prometheus
    prometheus.stop()
    proxy.stop()


def traffic(proxy: Proxy, echo: EchoUpstream, redis_server: RedisServer) -> None:
    """A conversation with cheap and standard turns, a 400, a fail-open (auto-codex's scorer raises),
    a cheap pool failing once (LiteLLM's fallback serves it), and a Redis outage."""
    client = openai.OpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.key, max_retries=0)
    client.chat.completions.create(model="auto-codex", messages=[{"role": "user", "content": "hi"}])
    echo.set_faults({"gpt-5-mini": {"status": 503}})  # pool-chat-mini's upstream model
    try:
        client.chat.completions.create(model="auto-chat", messages=[{"role": "user", "content": "hi there"}])
    finally:
        echo.clear_faults()
    history: list[dict[str, str]] = []
    for text in ("hi", HARD, "thanks", "what is 2+2?"):
        history.append({"role": "user", "content": text})
        reply = client.chat.completions.create(model="auto-chat", messages=list(history))
        history.append({"role": "assistant", "content": reply.choices[0].message.content or ""})
    bad = httpx.post(f"{proxy.url}/v1/chat/completions", headers={"Authorization": f"Bearer {proxy.key}"},
                     json={"model": "auto-chat", "messages": [{"role": "user", "content": 5}]}, timeout=30)
    assert bad.status_code == 400
    redis_server.kill()
    try:
        for text in ("hello again", HARD):
            client.chat.completions.create(model="auto-chat", messages=[{"role": "user", "content": text}])
        time.sleep(2.5)  # two scrapes see Redis down
    finally:
        redis_server.start()


def test_every_dashboard_query_is_answered_with_data_from_a_real_proxy(
    scraped: tuple[Proxy, Prometheus], echo: EchoUpstream, redis_server: RedisServer,
) -> None:
    proxy, prometheus = scraped
    assert prometheus.wait_for('up{job="litellm"} == 1'), "Prometheus never scraped the proxy:\n" + \
        prometheus.log_tail(20)
    deadline = time.monotonic() + 60
    empty: list[tuple[str, str, str]] = []
    while time.monotonic() < deadline:
        traffic(proxy, echo, redis_server)
        time.sleep(3)  # the router flushes its counters every half second; Prometheus scrapes every second
        empty = [query for query in panel_queries(dashboard()) if not prometheus.query(query[2])]
        if not empty:
            break
    assert empty == [], "dashboard queries with no data: " + "; ".join(f"{t} / {legend}: {e}" for t, legend, e in empty)
    assert prometheus.query("min_over_time(vibe_router_redis_up[5m]) == 0"), "the outage never showed in Prometheus"


def test_the_dashboard_is_grafana_json_bound_to_one_prometheus_input() -> None:
    document = dashboard()
    assert [item["name"] for item in document["__inputs"]] == ["DS_PROMETHEUS"]
    ids = [panel["id"] for panel in document["panels"]]
    assert len(ids) == len(set(ids))
    for panel in document["panels"]:
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        assert panel["targets"] and {"x", "y", "w", "h"} <= set(panel["gridPos"]), panel["title"]
        assert all("vibe_router_" in target["expr"] for target in panel["targets"]), panel["title"]


def test_the_screenshot_draws_queries_the_dashboard_has() -> None:
    from bench.dashboard_screenshot import SHOWN

    assert {(title, legend) for title, legend, _ in panel_queries(dashboard())} >= SHOWN
