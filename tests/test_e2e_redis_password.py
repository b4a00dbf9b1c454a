"""A real proxy on a real redis-server whose password holds `/`, `#`, `@` and `:`.

The password reaches Redis as it is (REDIS_HOST / REDIS_PORT / REDIS_PASSWORD, no URL made
by hand): requests route normally and a conversation stays escalated through shared state.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.support.processes import EchoUpstream, Proxy
from tests.support.redis_server import RedisServer
from tests.support.stack import start_routed_proxy
from vibe_router.session_id import find_session_id

PASSWORD = "s3cr/et#with@odd:chars"
COMPLEX = "Implement a distributed consensus algorithm"


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(password=PASSWORD).start()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def proxy(echo: EchoUpstream, redis_server: RedisServer) -> Iterator[Proxy]:
    running = start_routed_proxy(echo, **redis_server.env())
    yield running
    running.stop()


def test_a_password_with_url_characters_routes_and_sticks(proxy: Proxy, redis_server: RedisServer) -> None:
    session = f"pw-{uuid.uuid4()}"
    messages: list[dict[str, str]] = []
    seen = []
    for text in ("hi", COMPLEX, "thanks"):
        messages.append({"role": "user", "content": text})
        response = httpx.post(
            f"{proxy.url}/v1/chat/completions", json={"model": "auto-chat", "messages": messages}, timeout=30,
            trust_env=False, headers={"Authorization": f"Bearer {proxy.key}", "x-session-id": session},
        )
        assert response.status_code == 200, response.text
        assert "x-vibe-router-fail-open" not in response.headers
        seen.append((response.headers["x-vibe-router-pool"], response.headers["x-vibe-router-decided-by"]))
        messages.append({"role": "assistant", "content": "done"})
    assert seen == [("pool-chat-mini", "score"), ("pool-chat-standard", "score"),
                    ("pool-chat-standard", "sticky:escalate_only")]
    digest = find_session_id({}, {"x-session-id": session}).digest[:32]
    assert redis_server.client().get(f"vibe-router:session:auto-chat:{digest}") == b"1"
    log = proxy.log_text()
    assert "REDIS UNAVAILABLE" not in log and "ROUTING FAILURE" not in log
    assert PASSWORD not in log
