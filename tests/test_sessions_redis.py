"""SessionStore against a real redis-server: shared answers, and what survives an outage."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from tests.support.logs import Captured
from tests.support.redis_server import RedisServer
from tests.support.stack import CONFIG
from vibe_router.config import load_config
from vibe_router.router import Router, RouteRequest
from vibe_router.sessions import RedisSettings, SessionStore


def test_redis_answers_are_remembered_through_an_outage(captured: Captured) -> None:
    server = RedisServer().start()
    try:
        async def scenario() -> list[tuple[int, str]]:
            store = SessionStore(RedisSettings(connection=server.connection(), retry_seconds=60))
            other_replica = SessionStore(RedisSettings(connection=server.connection()))
            seen = [await store.apply_tier("k", "max", 1, 60)]
            seen.append(await other_replica.apply_tier("k", "max", 0, 60))  # shared: the tier holds
            server.kill()
            seen.append(await store.apply_tier("k", "max", 0, 60))  # remembered locally
            seen.append(await store.apply_tier("k", "max", 0, 60))  # still down: no Redis call at all
            return seen

        assert asyncio.run(scenario()) == [(1, "redis"), (1, "redis"), (1, "local"), (1, "local")]
        assert sum("REDIS UNAVAILABLE" in line for line in captured.lines) == 1
    finally:
        server.kill()


def test_redis_is_used_again_after_retry_seconds(captured: Captured) -> None:
    server = RedisServer().start()
    try:
        async def scenario() -> list[str]:
            store = SessionStore(RedisSettings(connection=server.connection(), retry_seconds=0.2))
            sources = [(await store.apply_tier("a", "max", 0, 60))[1]]
            server.kill()
            sources.append((await store.apply_tier("a", "max", 0, 60))[1])
            server.start()
            await asyncio.sleep(0.3)
            sources.append((await store.apply_tier("a", "max", 0, 60))[1])
            return sources

        assert asyncio.run(scenario()) == ["redis", "local", "redis"]
        assert any("REDIS BACK" in line for line in captured.lines)
    finally:
        server.kill()


def test_counters_queued_during_an_outage_reach_redis_when_it_returns() -> None:
    server = RedisServer().start()
    try:
        config = load_config(CONFIG)
        config = replace(config, redis=RedisSettings(connection=server.connection(), retry_seconds=0.2))
        router = Router(config)
        body = {"model": "auto-chat", "messages": [{"role": "user", "content": "hi"}]}

        async def scenario() -> None:
            server.kill()
            await router.route(RouteRequest("chat", dict(body)))
            await router.flush_counters()  # Redis is down: nothing is lost, nothing is written
            server.start()
            await asyncio.sleep(0.3)
            await router.flush_counters()

        asyncio.run(scenario())
        counters = server.client().hgetall("vibe-router:stats:auto-chat")
        assert counters[b"decisions"] == b"1" and counters[b"tier:cheap"] == b"1"
    finally:
        server.kill()


def test_a_redis_url_the_client_rejects_never_fails_or_unroutes_a_request(
    monkeypatch: pytest.MonkeyPatch, captured: Captured,
) -> None:
    """An unparsable REDIS_URL (here a raw `#` and `/` in the password) is a Redis problem like any
    other: every request is still routed and sticky (from this replica's memory), nothing raises."""
    monkeypatch.setenv("REDIS_URL", "redis://:pa/ss#word@127.0.0.1:6379/0")
    router = Router(load_config(CONFIG))

    async def scenario() -> list[tuple[str, str]]:
        seen = []
        for text in ("hi", "Implement a distributed consensus algorithm", "thanks"):
            body = {"model": "auto-chat", "messages": [{"role": "user", "content": text}]}
            routed = await router.route(RouteRequest("chat", body, {"x-session-id": "bad-url"}))
            assert routed is not None
            seen.append((routed.decision.pool, routed.decision.decided_by))
        await router.flush_counters()
        return seen

    assert asyncio.run(scenario()) == [("pool-chat-mini", "score"), ("pool-chat-standard", "score"),
                                       ("pool-chat-standard", "sticky:escalate_only")]
    assert any("REDIS UNAVAILABLE" in line for line in captured.lines)


def test_every_call_raises_redis_to_the_replicas_floor() -> None:
    """The script takes the replica's floor: Redis never answers, nor keeps, less than a tier this
    replica holds, in either mode, and "first" keeps the held tier over a new proposal."""
    server = RedisServer().start()
    try:
        async def scenario() -> list[tuple[int, bytes | None]]:
            store = SessionStore(RedisSettings(connection=server.connection()))
            seen = []
            for key, stored, floor, mode, proposed in (("a", b"0", 1, "max", 0), ("b", None, 1, "first", 0),
                                                       ("c", None, 0, "first", 1), ("d", b"0", 1, "first", 0)):
                if stored is not None:
                    server.client().set(key, stored)
                store.local.remember(key, floor, 60)
                tier, source = await store.apply_tier(key, mode, proposed, 60)
                assert source == "redis"
                seen.append((tier, server.client().get(key)))
            await store.close()
            return seen

        assert asyncio.run(scenario()) == [(1, b"1"), (1, b"1"), (0, b"0"), (1, b"1")]
    finally:
        server.kill()
