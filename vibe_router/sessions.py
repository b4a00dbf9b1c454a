"""Shared session state and counters: Redis, with each replica's own memory as a floor.

The promise: within its idle TTL a session's tier never goes down, whichever replica
serves it and whatever Redis does.

- Redis keeps the tier as an atomic maximum (the Lua script below); no path overwrites it.
- Every call passes this replica's floor (the highest tier it has served or seen for the
  session), so Redis never answers lower than what this replica knows.
- A Redis call that fails or times out is "unknown", not "lower". A session that already had
  turns may have reached the highest tier on another replica, so it is served there (the caller
  says so with `if_unknown`); a new session is decided from its own tier. Either decision is
  written back (as a maximum) as soon as Redis answers again, from a background task that does
  not wait for the next request.
- Redis that lost its data (a restart without persistence) is noticed by its epoch key, which
  each replica also looks at every `retry_seconds` while idle: the replica then writes back every
  session it still holds (under a cluster, per hash tag: see session_keys.py). A Sentinel
  failover (a new master, which may have missed the old one's last writes) is treated the same way.
- Until every replica can have written back (SETTLE_RETRIES x retry_seconds after Redis came back
  or lost its data), Redis may hold a session low: a session with earlier turns is then served at
  the highest tier too.

A Redis problem never fails a request: every call has a timeout and sits inside a `try`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from vibe_router.local_store import UNKNOWN, LocalStore, combine
from vibe_router.logs import log
from vibe_router.redis_clients import async_client, drop_connections, follow_master, ready, server_identity
from vibe_router.redis_connection import RedisConnection
from vibe_router.session_keys import epoch_key, session_key

__all__ = ["APPLY_TIER_SCRIPT", "LocalStore", "RedisSettings", "SessionStore", "combine"]

# KEYS[1] the session, KEYS[2] its epoch (gone when Redis lost its data; same hash slot as KEYS[1]).
# ARGV: mode ("max": the higher tier wins; "first": a stored tier wins), the proposed tier,
# the idle TTL in seconds, the replica's floor (-1: none), an epoch to set when there is none.
# The tier in force is never below the stored tier nor below the floor. Returns {tier, epoch}.
APPLY_TIER_SCRIPT = """
local stored = tonumber(redis.call('GET', KEYS[1]) or '-1')
local proposed = tonumber(ARGV[2])
local floor = tonumber(ARGV[4])
local result = proposed
if stored >= 0 then
  if ARGV[1] == 'first' then result = stored else result = math.max(stored, proposed) end
elseif floor >= 0 and ARGV[1] == 'first' then
  result = floor
end
result = math.max(result, floor)
redis.call('SET', KEYS[1], result, 'EX', tonumber(ARGV[3]))
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[5]
  redis.call('SET', KEYS[2], epoch)
end
return {result, epoch}
"""

TIMEOUTS_BEFORE_DOWN = 3  # consecutive timeouts before Redis counts as down (a refused connection counts at once)
WRITE_BACK_BATCH = 200  # sessions per pipeline when writing back (each batch must beat the timeout)
FIRST_RETRY_SECONDS = 0.05
SETTLE_RETRIES = 2  # after an outage or a data loss, Redis is complete again within this many retry_seconds
MASTER_CHECK_SECONDS = 1.0  # under Sentinel, ask the sentinels who the master is at most this often


@dataclass(frozen=True)
class RedisSettings:
    connection: RedisConnection | None = None
    key_prefix: str = "vibe-router:"
    timeout_ms: float = 250.0
    retry_seconds: float = 5.0
    local_max_sessions: int = 10_000


class SessionStore:
    """Session tiers and counters in Redis when it answers, never below this replica's floor."""

    def __init__(self, settings: RedisSettings) -> None:
        self.settings = settings
        self.local = LocalStore(settings.local_max_sessions)
        self._client: Any = None
        self._script: Any = None
        self._ready = False  # the client has done what it must before its first calls
        self._down = False
        self._timeouts = 0
        self._unsynced: OrderedDict[str, None] = OrderedDict()  # sessions decided while Redis was unknown
        self._epochs: dict[str, str] = {}  # epoch key -> the epoch last seen there (one key, or one per tag)
        self._resync_all = False  # Redis lost data, or a new master took over: write back every session held
        self._server: Any = None  # the Sentinel master last seen (None otherwise)
        self._token = secrets.token_hex(8)
        self._proposals = itertools.count()
        self._healer: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._epoch_watch: asyncio.Task[None] | None = None
        self._settled_at = 0.0  # until then, Redis may still miss tiers other replicas are writing back
        self._master_checked = 0.0
        self.transitions: dict[str, int] = {}  # "down" / "up" -> how often Redis went there

    def redis_state(self) -> str:
        """"off" (no Redis configured), "up", or "down" (deciding from the local store)."""
        if not self.shared:
            return "off"
        return "down" if self._down else "up"

    @property
    def shared(self) -> bool:
        return self.settings.connection is not None

    def key(self, *parts: str) -> str:
        return self.settings.key_prefix + ":".join(parts)

    def session_key(self, virtual_model: str, digest: str) -> str:
        """Where a session's tier lives (hash-tagged under a Redis Cluster: session_keys.py)."""
        connection = self.settings.connection
        cluster = connection is not None and connection.topology == "cluster"
        return session_key(self.settings.key_prefix, virtual_model, digest, cluster)

    async def apply_tier(
        self, key: str, mode: str, proposed: int, ttl: float, if_unknown: int = UNKNOWN
    ) -> tuple[int, str]:
        """The tier in force for a session after this request, and which store answered.

        `if_unknown`: the tier the session may have reached on another replica, taken when Redis
        cannot say (a session that already had turns: the highest tier). The answer is then
        "assumed" when that raised it, "local" otherwise, and "redis" when Redis answered."""
        if self.shared and not self._down:
            # Just after an outage or a data loss, Redis may not yet hold what other replicas decided.
            settling = if_unknown > proposed and time.monotonic() < self._settled_at
            try:
                script = await self._connect()
                guard = self._epoch_key(key)
                answer = await script(keys=[key, guard],
                                      args=[mode, if_unknown if settling else proposed, _ttl(ttl),
                                            self.local.floor(key), self._new_epoch()])
                tier = int(answer[0])
            except Exception as exc:
                await self._failed(exc)
            else:
                self._answered(guard, answer[1])
                self._watch_master()
                self._watch_epoch()
                return self.local.remember(key, tier, ttl), "assumed" if settling else "redis"
        tier = self.local.apply_tier(key, mode, proposed, ttl)
        source = "local"
        if self.shared and if_unknown > tier:
            tier, source = self.local.remember(key, if_unknown, ttl), "assumed"
        if self.shared:
            self._unsynced.pop(key, None)
            self._unsynced[key] = None
            while len(self._unsynced) > self.settings.local_max_sessions:
                self._unsynced.popitem(last=False)
            self._heal_soon()
        return tier, source

    async def count(self, key: str, fields: dict[str, float]) -> bool:
        """Add to a counter hash; False when the shared store should have taken it but could not."""
        if not self.shared:
            self.local.count(key, fields)
            return True
        if self._down:
            return False
        try:
            await self._connect()
            async with self._client.pipeline(transaction=False) as pipe:
                for field, amount in fields.items():
                    if isinstance(amount, float):  # LiteLLM's response_cost
                        pipe.hincrbyfloat(key, field, amount)
                    else:
                        pipe.hincrby(key, field, amount)
                await pipe.execute()
        except Exception as exc:
            await self._failed(exc)
            return False
        self._timeouts = 0
        return True

    async def close(self) -> None:
        """Stop the background write-back and close the connections (what is unwritten stays unwritten)."""
        for task in (self._healer, self._watcher, self._epoch_watch):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()
        self._client = self._script = self._healer = self._watcher = self._epoch_watch = None

    def _watch_master(self) -> None:
        """Under Sentinel, at most every MASTER_CHECK_SECONDS and in the background: follow a failover."""
        connection = self.settings.connection
        if connection is None or connection.topology != "sentinel":
            return
        now = time.monotonic()
        if now - self._master_checked < MASTER_CHECK_SECONDS or (self._watcher and not self._watcher.done()):
            return
        self._master_checked = now
        self._watcher = asyncio.get_running_loop().create_task(self._follow_master())

    async def _follow_master(self) -> None:
        with contextlib.suppress(Exception):  # no sentinel answers: the data connection will tell
            await follow_master(self._client)

    def _new_epoch(self) -> str:
        """An epoch for Redis to take if it has none: never one it had before, even from this replica."""
        return f"{self._token}-{next(self._proposals)}"

    def _epoch_key(self, key: str) -> str:
        return epoch_key(self.settings.key_prefix, key)

    async def _connect(self) -> Any:
        if self._script is None:
            assert self.settings.connection is not None
            self._client = async_client(self.settings.connection, self.settings.timeout_ms / 1000)
            self._script = self._client.register_script(APPLY_TIER_SCRIPT)
            self._ready = False
        if not self._ready:
            await ready(self._client)
            self._ready = True
        return self._script

    def _answered(self, guard: str, epoch: Any) -> None:
        """Redis answered: a new epoch under `guard`, or a new Sentinel master, means write back."""
        self._timeouts = 0
        epoch = epoch.decode("utf-8", "replace") if isinstance(epoch, bytes) else str(epoch)
        known = self._epochs.get(guard)
        if known is not None and epoch != known and not self._resync_all:
            # A cluster node loses all its slots at once, not one tag's: write back everything held.
            self._resync_all = True
            self._settle()
            log.warning("REDIS LOST ITS SESSIONS (new epoch at %s): writing back the %d this replica holds",
                        guard, sum(1 for _ in self.local.live()))
        self._epochs[guard] = epoch
        server = server_identity(self._client)
        if server is not None and server != self._server:
            if self._server is not None and not self._resync_all:
                self._resync_all = True
                self._settle()
                log.warning("REDIS MASTER CHANGED (Sentinel failover): writing back the %d sessions this replica "
                            "holds (the new master may have missed the last writes)", sum(1 for _ in self.local.live()))
            self._server = server
        if self._resync_all or self._unsynced:
            self._heal_soon()

    async def _failed(self, exc: Exception) -> None:
        if _timed_out(exc):
            self._timeouts += 1
            if self._timeouts < TIMEOUTS_BEFORE_DOWN:
                return  # one slow answer is "unknown": decide locally, write back later, try Redis next time
        # Connections opened before a Redis restart are dead: drop them all, not one per request.
        with contextlib.suppress(Exception):
            await drop_connections(self._client)
        self._mark_down(exc)
        self._heal_soon()

    def _mark_down(self, exc: Exception) -> None:
        """Requests stop asking Redis until the background task reaches it again."""
        if not self._down:
            self._down = True
            self.transitions["down"] = self.transitions.get("down", 0) + 1
            log.warning("REDIS UNAVAILABLE (%s): deciding from this replica's sessions, writing back when it "
                        "answers (retrying at most %gs apart)", type(exc).__name__, self.settings.retry_seconds)

    def _settle(self) -> None:
        """Other replicas reach Redis again within `retry_seconds` of it (their healer, or their epoch
        watch) and then write back what they hold: until that can have happened, a session with
        earlier turns that Redis holds low (or not at all) may be higher elsewhere."""
        self._settled_at = time.monotonic() + SETTLE_RETRIES * self.settings.retry_seconds

    def _watch_epoch(self) -> None:
        """Look at the epoch every `retry_seconds`, so a Redis restart that no call of this replica
        failed on is noticed, and what this replica holds is written back, even while it is idle."""
        if self._epoch_watch is None or self._epoch_watch.done():
            self._epoch_watch = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.settings.retry_seconds)
            if self._down or (self._healer is not None and not self._healer.done()):
                continue
            try:
                await self._write_back()
            except Exception as exc:
                await self._failed(exc)

    def _heal_soon(self) -> None:
        if self._healer is not None and not self._healer.done():
            return
        try:
            self._healer = asyncio.get_running_loop().create_task(self._heal())
        except RuntimeError:  # no running loop: the next call in one starts it
            self._healer = None

    async def _heal(self) -> None:
        """Reach Redis again and write back what was decided without it, until nothing is left."""
        delay = FIRST_RETRY_SECONDS
        while self._down or self._unsynced or self._resync_all:
            try:
                await self._write_back()
            except Exception as exc:
                if not _timed_out(exc):
                    self._mark_down(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.retry_seconds)
                continue
            delay = FIRST_RETRY_SECONDS
            if self._down:
                self._down = False
                self.transitions["up"] = self.transitions.get("up", 0) + 1
                self._settle()
                log.warning("REDIS BACK: shared session state in use again")

    async def _write_back(self) -> None:
        """One pass: each session's floor goes to Redis as a maximum (all of them after Redis lost data).

        A full pass forgets the epochs it knew and learns them again from its own answers: the
        lost ones come back new (the pass recreates them), and must not start another pass.
        The script goes as EVAL in a non-transactional pipeline: under a cluster, redis-py's
        cluster pipeline sends each call to its slot's node."""
        await self._connect()
        if self._resync_all:
            self._epochs.clear()
            keys = [key for key, _, _ in self.local.live()]
            self._resync_all = False
        else:
            keys = list(self._unsynced)
        if not keys:  # only "is Redis back?": ask for the epoch (and notice a restart)
            guard = self._epoch_key("")
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.set(guard, self._new_epoch(), nx=True)
                pipe.get(guard)
                self._answered(guard, (await pipe.execute())[1])
            return
        for start in range(0, len(keys), WRITE_BACK_BATCH):
            batch = keys[start:start + WRITE_BACK_BATCH]
            for key in batch:
                self._unsynced.pop(key, None)
            try:
                async with self._client.pipeline(transaction=False) as pipe:
                    written = []
                    for key in batch:
                        floor = self.local.floor(key)
                        if floor == UNKNOWN:
                            continue
                        pipe.eval(APPLY_TIER_SCRIPT, 2, key, self._epoch_key(key),
                                  "max", floor, _ttl(self.local.seconds_left(key)), floor, self._new_epoch())
                        written.append(key)
                    answers = await pipe.execute() if written else []
            except BaseException:
                for key in keys[start:]:  # not written: keep them (this batch and the rest) for the next pass
                    self._unsynced[key] = None
                raise
            for key, answer in zip(written, answers, strict=True):
                self.local.remember(key, int(answer[0]), self.local.seconds_left(key))
                self._answered(self._epoch_key(key), answer[1])


def _timed_out(exc: Exception) -> bool:
    return isinstance(exc, TimeoutError) or type(exc).__name__ == "TimeoutError"  # redis' own, or asyncio's


def _ttl(seconds: float) -> int:
    return max(1, math.ceil(seconds))
