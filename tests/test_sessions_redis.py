"""SessionStore against a real redis-server: shared answers, and what survives an outage."""

from __future__ import annotations

import asyncio

from tests.support.logs import Captured
from tests.support.redis_server import RedisServer
from vibe_router.sessions import RedisSettings, SessionStore


def test_redis_answers_are_remembered_through_an_outage(captured: Captured) -> None:
    server = RedisServer().start()
    try:
        async def scenario() -> list[tuple[int, str]]:
            store = SessionStore(RedisSettings(url=server.url, retry_seconds=60))
            other_replica = SessionStore(RedisSettings(url=server.url))
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
            store = SessionStore(RedisSettings(url=server.url, retry_seconds=0.2))
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
