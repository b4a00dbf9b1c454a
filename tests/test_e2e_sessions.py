"""Conversations across two real proxy replicas sharing one real redis-server."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.configs import config_variant
from tests.support.processes import REPO_ROOT, EchoUpstream, Proxy
from tests.support.redis_server import RedisServer
from tests.support.stack import start_routed_proxy

FIXTURES = Path(__file__).parent / "fixtures"
COMPLEX = "Implement a distributed consensus algorithm"


def shared_stack_config(document: dict[str, Any]) -> None:
    section = document["vibe_router"]
    section["redis"]["retry_seconds"] = 1
    section["overrides"]["allow"] = True


@pytest.fixture(scope="module")
def replicas(
    echo: EchoUpstream, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Proxy, Proxy]]:
    config = config_variant(tmp_path_factory.mktemp("replicas"), shared_stack_config)
    first = start_routed_proxy(echo, config, **redis_server.env())
    second = start_routed_proxy(echo, config, **redis_server.env())
    yield first, second
    first.stop()
    second.stop()


def post(proxy: Proxy, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    response = httpx.post(
        f"{proxy.url}{path}", json=body, timeout=30, trust_env=False,
        headers={"Authorization": f"Bearer {proxy.key}", **headers},
    )
    assert response.status_code == 200, response.text
    return response


def routed(response: httpx.Response) -> tuple[str, str]:
    assert response.headers["x-litellm-model-group"] == response.headers["x-vibe-router-pool"]
    return response.headers["x-vibe-router-pool"], response.headers["x-vibe-router-decided-by"]


def test_one_conversation_across_replicas_escalates_once_and_never_comes_down(
    replicas: tuple[Proxy, Proxy],
) -> None:
    session = {"x-session-id": f"conv-{uuid.uuid4()}"}
    messages: list[dict[str, Any]] = []
    seen = []
    for index, text in enumerate(["hi", COMPLEX, "thanks", "ok", "hello"]):
        messages.append({"role": "user", "content": text})
        proxy = replicas[index % 2]
        seen.append(routed(post(proxy, "/v1/chat/completions", {"model": "auto-chat", "messages": messages},
                                **session)))
        messages.append({"role": "assistant", "content": "done"})
    assert seen == [
        ("pool-chat-mini", "score"),
        ("pool-chat-standard", "score"),
        ("pool-chat-standard", "sticky:escalate_only"),
        ("pool-chat-standard", "sticky:escalate_only"),
        ("pool-chat-standard", "sticky:escalate_only"),
    ]


def test_replicas_give_one_session_one_keyed_label(replicas: tuple[Proxy, Proxy]) -> None:
    """x-vibe-router-session is the same on both replicas (keyed by the shared master key) and is
    not the plain sha256 of the id, so a guessed id cannot be checked against it offline."""
    session = f"label-{uuid.uuid4()}"
    body = {"model": "auto-chat", "messages": [{"role": "user", "content": "hi"}]}
    labels = {post(proxy, "/v1/chat/completions", body, **{"x-session-id": session}).headers["x-vibe-router-session"]
              for proxy in replicas}
    assert len(labels) == 1
    assert labels != {hashlib.sha256(session.encode()).hexdigest()[:12]}


def claude_code_body(session: str, text: str) -> dict[str, Any]:
    body = json.loads((FIXTURES / "claude_code_hi.json").read_text())
    body.update(model="auto-claude", stream=False, metadata={"user_id": json.dumps({"session_id": session})})
    first = body["messages"][0]
    first["content"][-1]["text"] = text
    body["messages"] = [first]
    return body


def tool_round(body: dict[str, Any], index: int) -> None:
    """Append one Claude Code tool call and its result (the result mentions complex words)."""
    call_id = f"toolu_{index:04d}"
    body["messages"].append({"role": "assistant", "content": [
        {"type": "thinking", "thinking": "Look at the files.", "signature": f"sig{index}"},
        {"type": "tool_use", "id": call_id, "name": "Bash", "input": {"command": f"ls src/{index}"}},
    ]})
    output = "implement architecture debug analyze refactor\n" * 40
    body["messages"].append({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": call_id, "content": output},
    ]})


@pytest.mark.parametrize(("task", "pool"), [("list the files in src", "pool-claude-haiku"),
                                             (COMPLEX, "pool-claude-sonnet")])
def test_claude_code_tool_loop_keeps_its_pool(replicas: tuple[Proxy, Proxy], task: str, pool: str) -> None:
    body = claude_code_body(str(uuid.uuid4()), task)
    assert routed(post(replicas[0], "/v1/messages?beta=true", body)) == (pool, "score")
    for index in range(1, 7):
        tool_round(body, index)
        assert routed(post(replicas[index % 2], "/v1/messages?beta=true", body)) == (pool, "continuation")


def test_codex_tool_loop_keeps_its_pool(replicas: tuple[Proxy, Proxy]) -> None:
    body = json.loads((FIXTURES / "codex_hi.json").read_text())
    body.update(model="auto-codex", stream=False, prompt_cache_key=str(uuid.uuid4()))
    body["input"].append({"type": "message", "role": "user",
                          "content": [{"type": "input_text", "text": "Refactor the session store and debug it"}]})
    assert routed(post(replicas[1], "/v1/responses", body)) == ("pool-codex-standard", "score")
    for index in range(1, 7):
        body["input"].append({"type": "reasoning", "summary": [], "encrypted_content": f"gAAAA{index}"})
        body["input"].append({"type": "function_call", "call_id": f"call_{index}", "name": "shell",
                              "arguments": json.dumps({"command": ["ls"]})})
        body["input"].append({"type": "function_call_output", "call_id": f"call_{index}", "output": "ok"})
        assert routed(post(replicas[index % 2], "/v1/responses", body)) == ("pool-codex-standard", "continuation")


def test_override_header_and_tag_where_allowed(replicas: tuple[Proxy, Proxy], echo: EchoUpstream) -> None:
    first, _ = replicas
    forced = post(first, "/v1/chat/completions",
                  {"model": "auto-chat", "messages": [{"role": "user", "content": f"hi {uuid.uuid4()}"}]},
                  **{"x-vibe-route": "standard"})
    assert routed(forced) == ("pool-chat-standard", "override:header")
    echo.clear()
    tagged = post(first, "/v1/chat/completions",
                  {"model": "auto-chat", "messages": [{"role": "user", "content": "hi [[route:standard]]"}]})
    assert routed(tagged) == ("pool-chat-standard", "override:tag")
    assert echo.requests()[-1]["body"]["messages"][-1]["content"] == "hi"


def burst(replicas: tuple[Proxy, Proxy], count: int, label: str) -> list[httpx.Response | Exception]:
    def one(index: int) -> httpx.Response | Exception:
        text = COMPLEX if index % 3 == 0 else "hi"
        body = {"model": "auto-chat", "messages": [{"role": "user", "content": text}]}
        try:
            return httpx.post(f"{replicas[index % 2].url}/v1/chat/completions", json=body, timeout=30,
                              trust_env=False, headers={"Authorization": f"Bearer {replicas[0].key}",
                                                        "x-session-id": f"{label}-{index % 7}"})
        except httpx.HTTPError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(one, range(count)))


def test_redis_dies_mid_burst_and_comes_back(replicas: tuple[Proxy, Proxy], redis_server: RedisServer) -> None:
    with ThreadPoolExecutor(max_workers=1) as killer:
        killed = killer.submit(lambda: (time.sleep(0.3), redis_server.kill()))
        results = burst(replicas, 120, "burst")
        killed.result()
    results += burst(replicas, 40, "outage")
    failures = [r for r in results if isinstance(r, Exception) or r.status_code != 200]
    assert failures == []
    assert all("x-vibe-router-pool" in r.headers for r in results)
    logs = replicas[0].log_text() + replicas[1].log_text()
    assert "REDIS UNAVAILABLE" in logs

    redis_server.start()
    time.sleep(1.5)  # past retry_seconds
    session = {"x-session-id": f"after-{uuid.uuid4()}"}
    chat = [{"role": "user", "content": "hi"}]
    post(replicas[0], "/v1/chat/completions", {"model": "auto-chat", "messages": chat}, **session)
    chat += [{"role": "assistant", "content": "hey"}, {"role": "user", "content": COMPLEX}]
    post(replicas[0], "/v1/chat/completions", {"model": "auto-chat", "messages": chat}, **session)
    chat += [{"role": "assistant", "content": "ok"}, {"role": "user", "content": "thanks"}]
    # Only shared state can tell the other replica that this session escalated.
    for _ in range(20):
        response = post(replicas[1], "/v1/chat/completions", {"model": "auto-chat", "messages": chat}, **session)
        if routed(response) == ("pool-chat-standard", "sticky:escalate_only"):
            break
        time.sleep(0.5)
    assert routed(response) == ("pool-chat-standard", "sticky:escalate_only")
    assert "REDIS BACK" in replicas[1].log_text()
    assert list(redis_server.client().scan_iter("vibe-router:session:auto-chat:*"))


def test_stats_reads_the_shared_counters(replicas: tuple[Proxy, Proxy], redis_server: RedisServer) -> None:
    post(replicas[0], "/v1/chat/completions", {"model": "auto-chat", "messages": [{"role": "user", "content": "hi"}]})
    config = REPO_ROOT / "config_final.yaml"
    command = [sys.executable, "-m", "vibe_router_tools.cli", "stats", "--config", str(config),
               "--redis-url", redis_server.url]
    for _ in range(20):  # usage is counted after the response, in LiteLLM's success callback
        result = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
        assert result.returncode == 0, result.stderr
        chat = next(entry for entry in json.loads(result.stdout) if entry["virtual_model"] == "auto-chat")
        if chat["estimated_saving"] is not None and chat["cheap_share"]:
            break
        time.sleep(0.5)
    assert chat["decisions"] >= 1
    assert 0 < chat["cheap_share"] <= 1
    assert chat["tiers"]["cheap"] >= 1
    assert 0 < chat["estimated_saving"] < 1
    text = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT).stdout
    assert "auto-chat:" in text and "routed cheap" in text and "estimated saving" in text
