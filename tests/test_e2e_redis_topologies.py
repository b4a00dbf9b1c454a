"""Real LiteLLM proxies on a real Redis Cluster and a real Sentinel setup, configured by LiteLLM's variables.

Cluster: requests route, a session's escalation lands under its hash-tagged key and holds,
`vibe-router stats` reads the counters from the cluster. Sentinel: the master is killed
(SIGKILL) mid-traffic; no request fails or comes down a tier, and after the failover the
sessions are in the new master. A malformed REDIS_CLUSTER_NODES stops the proxy with one line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.configs import config_variant
from tests.support.processes import REPO_ROOT, EchoUpstream, Proxy
from tests.support.redis_topologies import DATA_PASSWORD, SENTINEL_PASSWORD, RedisClusterSetup, SentinelSetup, wait_for
from tests.support.stack import CONFIG, EXIT_CONFIG_ERROR, run_proxy_expecting_exit, start_routed_proxy
from vibe_router.session_id import find_session_id
from vibe_router.session_keys import session_key

COMPLEX = "Implement a distributed consensus algorithm"


def quick_retries(document: dict[str, Any]) -> None:
    document["vibe_router"]["redis"]["retry_seconds"] = 0.5  # probe a failed-over Redis often


def chat(proxy: Proxy, session: str, messages: list[dict[str, str]]) -> httpx.Response:
    return httpx.post(f"{proxy.url}/v1/chat/completions", json={"model": "auto-chat", "messages": messages},
                      timeout=30, trust_env=False,
                      headers={"Authorization": f"Bearer {proxy.key}", "x-session-id": session})


def escalate(proxy: Proxy, session: str) -> list[dict[str, str]]:
    """hi (cheap), then a hard turn (standard): the conversation so far."""
    messages: list[dict[str, str]] = []
    for text, pool in (("hi", "pool-chat-mini"), (COMPLEX, "pool-chat-standard")):
        messages.append({"role": "user", "content": text})
        response = chat(proxy, session, messages)
        assert response.status_code == 200, response.text
        assert response.headers["x-vibe-router-pool"] == pool
        messages.append({"role": "assistant", "content": "done"})
    return messages


def stored_key(session: str, cluster: bool) -> str:
    digest = find_session_id({}, {"x-session-id": session}).digest[:32]
    return session_key("vibe-router:", "auto-chat", digest, cluster)


def test_a_proxy_on_a_cluster_routes_shares_and_counts(echo: EchoUpstream, cluster: RedisClusterSetup) -> None:
    proxy = start_routed_proxy(echo, **cluster.env())
    try:
        sessions = [f"cluster-{uuid.uuid4()}" for _ in range(6)]
        for session in sessions:
            messages = escalate(proxy, session)
            messages.append({"role": "user", "content": "thanks"})
            response = chat(proxy, session, messages)
            assert (response.headers["x-vibe-router-pool"], response.headers["x-vibe-router-decided-by"]) == (
                "pool-chat-standard", "sticky:escalate_only")
            assert "x-vibe-router-fail-open" not in response.headers
        client = cluster.client()
        assert [client.get(stored_key(session, cluster=True)) for session in sessions] == [b"1"] * len(sessions)
        log = proxy.log_text()
        assert "sessions=redis cluster 127.0.0.1:" in log
        assert "REDIS UNAVAILABLE" not in log and "ROUTING FAILURE" not in log and DATA_PASSWORD not in log
        env = {**os.environ, **cluster.env(), "PYTHONPATH": str(REPO_ROOT)}
        command = [sys.executable, "-m", "vibe_router_tools.cli", "stats", "--config", str(CONFIG), "--json"]
        seen: list[Any] = []

        def counted() -> bool:  # the proxy writes its counters every half second
            result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, env=env)
            assert result.returncode == 0, result.stderr
            seen[:] = [entry for entry in json.loads(result.stdout) if entry["virtual_model"] == "auto-chat"]
            return seen[0]["decisions"] >= 3 * len(sessions) and seen[0]["tiers"].get("cheap", 0) >= len(sessions)

        try:
            wait_for(counted, 20, "vibe-router stats did not read the counters from the cluster")
        except TimeoutError:
            pytest.fail(f"vibe-router stats did not read the counters from the cluster: {seen}")
    finally:
        proxy.stop()


def test_a_sentinel_failover_mid_traffic_loses_no_request(echo: EchoUpstream, sentinel: SentinelSetup,
                                                         tmp_path: Path) -> None:
    proxy = start_routed_proxy(echo, config_variant(tmp_path, quick_retries), **sentinel.env())
    try:
        sessions = {f"sentinel-{uuid.uuid4()}": [] for _ in range(4)}
        for session in sessions:
            sessions[session] = escalate(proxy, session)
        old_master = sentinel.master_port_now()
        routed: list[tuple[int, str, str]] = []
        stop = threading.Event()

        def traffic() -> None:
            while not stop.is_set():
                for session, messages in sessions.items():
                    try:
                        response = chat(proxy, session, [*messages, {"role": "user", "content": "thanks"}])
                    except httpx.HTTPError as exc:
                        routed.append((0, type(exc).__name__, ""))
                        continue
                    routed.append((response.status_code, response.headers.get("x-vibe-router-pool", ""),
                                   response.headers.get("x-vibe-router-fail-open", "")))

        worker = threading.Thread(target=traffic)
        worker.start()
        try:
            time.sleep(0.5)
            sentinel.kill(old_master)
            new_master = sentinel.wait_for_new_master(old_master)
            after = f"sentinel-after-{uuid.uuid4()}"
            escalate(proxy, after)
            client = sentinel.data_client(new_master)
            keys = [stored_key(session, cluster=False) for session in [*sessions, after]]
            wait_for(lambda: [client.get(key) for key in keys] == [b"1"] * len(keys), 15,
                     "the sessions did not reach the new master")
            time.sleep(0.5)
        finally:
            stop.set()
            worker.join(timeout=60)
        assert len(routed) > 20
        assert {(status, pool, fail_open) for status, pool, fail_open in routed} == {(200, "pool-chat-standard", "")}
        log = proxy.log_text()
        assert "sessions=redis sentinel master" in log
        assert DATA_PASSWORD not in log and SENTINEL_PASSWORD not in log and "ROUTING FAILURE" not in log
    finally:
        proxy.stop()


def test_a_malformed_cluster_variable_stops_the_proxy_with_one_line(echo: EchoUpstream) -> None:
    result = run_proxy_expecting_exit(CONFIG, echo, REDIS_CLUSTER_NODES="[{host: 10.0.0.1}]")
    output = result.stdout + result.stderr
    assert result.returncode == EXIT_CONFIG_ERROR, output[-2000:]
    errors = [line for line in output.splitlines() if "[VIBE-ROUTER]" in line]
    assert errors == [f"[VIBE-ROUTER] config error in {CONFIG} at vibe_router.redis: environment: "
                      'REDIS_CLUSTER_NODES is not valid JSON (expected e.g. [{"host": "10.0.0.1", "port": 7000}])']
    assert "Traceback" not in output
