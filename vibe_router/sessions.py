"""Shared session state and counters: Redis, with a bounded in-process fallback.

A Redis problem never fails a request: every call has a short timeout, the first error is
logged once, the local store answers until `retry_seconds` have passed, and then Redis is
tried again (and its return is logged).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any

from vibe_router.logs import log

# Atomically combine a new tier with the stored one and refresh the idle TTL.
# mode "max": the higher tier wins (escalate_only); "first": the stored tier wins (pin,
# continuations). Returns the tier now in force.
APPLY_TIER_SCRIPT = """
local current = redis.call('GET', KEYS[1])
local proposed = tonumber(ARGV[2])
local result = proposed
if current then
  current = tonumber(current)
  if ARGV[1] == 'first' or current >= proposed then result = current end
end
redis.call('SET', KEYS[1], result, 'EX', tonumber(ARGV[3]))
return result
"""


TIMEOUTS_BEFORE_DOWN = 3  # consecutive timeouts before Redis counts as down (a refused connection counts at once)


@dataclass(frozen=True)
class RedisSettings:
    url: str | None = None
    key_prefix: str = "vibe-router:"
    timeout_ms: float = 20.0
    retry_seconds: float = 5.0
    local_max_sessions: int = 10_000


def redis_url_from_env(env: Any = os.environ) -> str | None:
    """REDIS_URL, else REDIS_HOST / REDIS_PORT / REDIS_PASSWORD (the variables LiteLLM reads)."""
    if env.get("REDIS_URL"):
        return env["REDIS_URL"]
    host = env.get("REDIS_HOST")
    if not host:
        return None
    password = env.get("REDIS_PASSWORD")
    auth = f":{password}@" if password else ""
    return f"redis://{auth}{host}:{env.get('REDIS_PORT', '6379')}/0"


class LocalStore:
    """Bounded, TTL-aware session tiers and counters for one process."""

    def __init__(self, max_sessions: int) -> None:
        self.max_sessions = max_sessions
        self._tiers: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self.counters: dict[str, Counter[str]] = {}

    def apply_tier(self, key: str, mode: str, proposed: int, ttl: float) -> int:
        now = time.monotonic()
        stored = self._tiers.pop(key, None)
        result = proposed
        if stored and stored[1] > now and (mode == "first" or stored[0] >= proposed):
            result = stored[0]
        self.remember(key, result, ttl)
        return result

    def remember(self, key: str, tier: int, ttl: float) -> None:
        """Store a tier as the newest entry (also what Redis answered, so a hiccup forgets nothing)."""
        self._tiers.pop(key, None)
        self._tiers[key] = (tier, time.monotonic() + ttl)
        while len(self._tiers) > self.max_sessions:
            self._tiers.popitem(last=False)

    def peek_tier(self, key: str) -> int | None:
        stored = self._tiers.get(key)
        return stored[0] if stored and stored[1] > time.monotonic() else None

    def count(self, key: str, fields: dict[str, int]) -> None:
        self.counters.setdefault(key, Counter()).update(fields)


class SessionStore:
    """Session tiers and counters in Redis when it answers, else in the local store."""

    def __init__(self, settings: RedisSettings) -> None:
        self.settings = settings
        self.local = LocalStore(settings.local_max_sessions)
        self._client: Any = None
        self._script: Any = None
        self._down_until = 0.0
        self._down = False
        self._failures = 0
        self.transitions: dict[str, int] = {}  # "down" / "up" -> how often Redis went there

    def redis_state(self) -> str:
        """"off" (no Redis configured), "up", or "down" (deciding from the local store)."""
        if not self.shared:
            return "off"
        return "down" if self._down else "up"

    @property
    def shared(self) -> bool:
        return self.settings.url is not None

    def key(self, *parts: str) -> str:
        return self.settings.key_prefix + ":".join(parts)

    async def apply_tier(self, key: str, mode: str, proposed: int, ttl: float) -> tuple[int, str]:
        """The tier in force for a session after this request, and which store answered."""
        client = self._available()
        if client is not None:
            try:
                result = int(await self._script(keys=[key], args=[mode, proposed, int(max(ttl, 1))], client=client))
            except Exception as exc:
                await self._failed(exc)
            else:
                self._recovered()
                self.local.remember(key, result, ttl)
                return result, "redis"
        return self.local.apply_tier(key, mode, proposed, ttl), "local"

    async def count(self, key: str, fields: dict[str, float]) -> bool:
        """Add to a counter hash; False when the shared store should have taken it but could not."""
        if not self.shared:
            self.local.count(key, fields)
            return True
        client = self._available()
        if client is None:
            return False
        try:
            async with client.pipeline(transaction=False) as pipe:
                for field, amount in fields.items():
                    if isinstance(amount, float):  # LiteLLM's response_cost
                        pipe.hincrbyfloat(key, field, amount)
                    else:
                        pipe.hincrby(key, field, amount)
                await pipe.execute()
        except Exception as exc:
            await self._failed(exc)
            return False
        self._recovered()
        return True

    def _available(self) -> Any:
        if not self.shared or time.monotonic() < self._down_until:
            return None
        if self._client is None:
            import redis.asyncio as redis_asyncio

            timeout = self.settings.timeout_ms / 1000
            self._client = redis_asyncio.Redis.from_url(
                self.settings.url, socket_timeout=timeout, socket_connect_timeout=timeout,
                retry_on_timeout=False, health_check_interval=0,
            )
            self._script = self._client.register_script(APPLY_TIER_SCRIPT)
        return self._client

    async def _failed(self, exc: Exception) -> None:
        self._failures += 1
        timed_out = isinstance(exc, TimeoutError) or type(exc).__name__ == "TimeoutError"  # redis' own, or asyncio's
        if timed_out and self._failures < TIMEOUTS_BEFORE_DOWN:
            return  # one slow answer: this call decides locally, the next one tries Redis again
        # Connections opened before a Redis restart are dead: drop them all, not one per request.
        with contextlib.suppress(Exception):
            await self._client.connection_pool.disconnect()
        self._down_until = time.monotonic() + self.settings.retry_seconds
        if not self._down:
            self._down = True
            self.transitions["down"] = self.transitions.get("down", 0) + 1
            log.warning(
                "REDIS UNAVAILABLE (%s): deciding with the in-process store, retrying every %gs",
                type(exc).__name__, self.settings.retry_seconds,
            )

    def _recovered(self) -> None:
        self._failures = 0
        if self._down:
            self._down = False
            self.transitions["up"] = self.transitions.get("up", 0) + 1
            log.warning("REDIS BACK: shared session state in use again")
