"""Capture in a real proxy: new human turns with their outcome, to files and a Redis stream; a dead
Redis and a full disk lose records, counted, and never a request."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.support.configs import config_variant
from tests.support.processes import REPO_ROOT, EchoUpstream, Proxy
from tests.support.redis_server import RedisServer
from tests.support.stack import start_routed_proxy

STREAM = "vibe-router:capture"
RAW_SESSION = "raw-session-id-0123456789"


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A 256 KiB tmpfs for the capture directory, so the test can fill it (needs root, as CI has)."""
    mount = tmp_path_factory.mktemp("capture-disk")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {made.stderr.strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


@pytest.fixture(scope="module")
def capturing(echo: EchoUpstream, redis_server: RedisServer, disk: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    def change(document: dict[str, Any]) -> None:
        document["litellm_settings"]["callbacks"].append("prometheus")
        document["vibe_router"]["capture"] = {"enabled": True, "sample": 1.0, "directory": str(disk),
                                              "redis_stream": STREAM}

    config = config_variant(tmp_path_factory.mktemp("capture"), change)
    running = start_routed_proxy(echo, config, **redis_server.env())
    yield running
    running.stop()


def records(disk: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for path in sorted(disk.glob("capture-*.jsonl")) for line in path.read_text().splitlines()]


def wait_for(count: int, disk: Path) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15
    while len(found := records(disk)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def capture_metrics(proxy: Proxy) -> dict[str, float]:
    text = httpx.get(f"{proxy.url}/metrics/", headers={"Authorization": f"Bearer {proxy.key}"}, timeout=30).text
    return {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
            if line.startswith("vibe_router_capture")}


def test_new_human_turns_are_captured_with_their_outcome(capturing: Proxy, disk: Path,
                                                         redis_server: RedisServer) -> None:
    chat = openai.OpenAI(base_url=f"{capturing.url}/v1", api_key=capturing.key, max_retries=0)
    chat.chat.completions.create(model="auto-chat", messages=[{"role": "user", "content": "hi"}],
                                 extra_headers={"x-session-id": RAW_SESSION})
    chat.chat.completions.create(model="auto-chat",
                                 messages=[{"role": "user", "content": "Implement a distributed consensus algorithm"}])
    continuation = json.loads((REPO_ROOT / "tests/fixtures/chat_tool_continuation.json").read_text())
    chat.chat.completions.create(**continuation)  # a tool loop: not a new human turn
    claude = anthropic.Anthropic(base_url=capturing.url, api_key=capturing.key, max_retries=0)
    claude.messages.create(model="auto-claude", max_tokens=10,  # housekeeping: not captured
                           messages=[{"role": "user", "content": "Write a 5-10 word title"}])
    found = wait_for(2, disk)
    time.sleep(1)  # a third record, had one been made, would be there by now
    found = records(disk)
    assert [record["text"] for record in found] == ["hi", "Implement a distributed consensus algorithm"]
    first = found[0]
    assert first["decision"]["pool"] == "pool-chat-mini" and first["decision"]["decided_by"] == "score"
    assert first["request"] == {"model": "auto-chat", "messages": [{"role": "user", "content": "hi"}]}
    assert first["outcome"]["status"] == "success" and first["outcome"]["served_by"] == "pool-chat-mini"
    assert first["outcome"]["prompt_tokens"] > 0 and first["outcome"]["error"] is None
    text = "".join(path.read_text() for path in disk.glob("capture-*.jsonl"))
    assert capturing.key not in text and RAW_SESSION not in text, "no key and no raw session id"
    stream = redis_server.client().xrange(STREAM)
    assert [json.loads(fields[b"record"])["id"] for _, fields in stream] == [record["id"] for record in found]


def test_a_dead_redis_and_a_full_disk_lose_records_counted_and_no_request(capturing: Proxy, disk: Path,
                                                                         redis_server: RedisServer) -> None:
    before = capture_metrics(capturing)
    filler = disk / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=4k", "count=1000"], capture_output=True)
    redis_server.kill()
    try:
        chat = openai.OpenAI(base_url=f"{capturing.url}/v1", api_key=capturing.key, max_retries=0)
        for number in range(5):
            answer = chat.chat.completions.with_raw_response.create(
                model="auto-chat", messages=[{"role": "user", "content": f"Explain topic {number} " + "x" * 400}])
            assert answer.http_response.status_code == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            after = capture_metrics(capturing)
            if after.get('vibe_router_capture_dropped_total{reason="redis"}', 0) >= \
                    before.get('vibe_router_capture_dropped_total{reason="redis"}', 0) + 5:
                break
            time.sleep(0.2)
    finally:
        filler.unlink(missing_ok=True)
        redis_server.start()
    def gained(name: str) -> float:
        return after.get(name, 0) - before.get(name, 0)

    assert gained('vibe_router_capture_dropped_total{reason="redis"}') == 5, (before, after)
    # The full disk may still take a record or two in its last page; every record is accounted for.
    on_disk, lost_on_disk = gained("vibe_router_capture_records_total"), gained(
        'vibe_router_capture_dropped_total{reason="disk"}')
    assert lost_on_disk >= 3 and on_disk + lost_on_disk == 5, (before, after)
