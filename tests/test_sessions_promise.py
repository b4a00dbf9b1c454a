"""The escalate_only promise across two replicas sharing one real redis-server.

A session's tier never goes down within its TTL: with Redis healthy, slow (a TCP proxy holds
back replies 30-100 ms), killed and restarted. The replicas are two `Router`s, each with its
own `SessionStore`, built from the repo's config with Redis named by REDIS_URL, as a proxy
replica builds them; conversations alternate between them, 8 in flight.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.support.configs import config_variant
from tests.support.redis_server import RedisServer
from tests.support.slow_tcp import SlowTcpProxy
from vibe_router.config import load_config
from vibe_router.router import Router, RouteRequest

COMPLEX = "Implement a distributed consensus algorithm with leader election and log compaction"
SIMPLE = "thanks"
SESSIONS = 40
IN_FLIGHT = 8
T = TypeVar("T")


class Ledger:
    """Every tier served, per session, with the replica that served it."""

    def __init__(self) -> None:
        self.served: dict[str, list[tuple[int, int]]] = {}

    def add(self, session: str, replica: int, tier: int) -> None:
        self.served.setdefault(session, []).append((replica, tier))

    def downs(self) -> list[tuple[str, list[int]]]:
        """Sessions served below a tier they had reached (the TTL is far longer than a test)."""
        return [(session, [tier for _, tier in served]) for session, served in self.served.items()
                if any(tier < max(t for _, t in served[:index]) for index, (_, tier) in enumerate(served) if index)]

    def downs_on_one_replica(self) -> list[str]:
        """Sessions a replica served below a tier that same replica had served."""
        found = []
        for session, served in self.served.items():
            reached: dict[int, int] = {}
            for replica, tier in served:
                if tier < reached.get(replica, -1):
                    found.append(session)
                    break
                reached[replica] = max(tier, reached.get(replica, -1))
        return found

    def highest(self, session: str) -> int:
        return max(tier for _, tier in self.served[session])


def replica_config(directory: Path, mode: str = "escalate_only", timeout_ms: float | None = None) -> Path:
    def change(document: dict[str, Any]) -> None:
        section = document["vibe_router"]
        section["virtual_models"]["auto-chat"].setdefault("sticky", {})["mode"] = mode
        section["redis"]["retry_seconds"] = 0.5
        if timeout_ms is not None:
            section["redis"]["timeout_ms"] = timeout_ms

    return config_variant(directory, change, f"replica-{mode}-{timeout_ms}.yaml")


def replicas(config: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Router, Router]:
    monkeypatch.setenv("REDIS_URL", redis_url)
    return Router(load_config(config)), Router(load_config(config))


def run(routers: tuple[Router, Router], scenario: Awaitable[T]) -> T:
    """Run a scenario, then close the replicas' Redis clients inside the same event loop."""
    async def closing() -> T:
        try:
            return await scenario
        finally:
            for router in routers:
                close = getattr(router.store, "close", None)
                if close is not None:
                    await close()

    return asyncio.run(closing())


async def turn(routers: tuple[Router, Router], ledger: Ledger, session: str, index: int, text: str,
               history: list[dict[str, str]] | None = None) -> None:
    """One request to replica `index % 2`: the newest message alone, or after `history`."""
    replica = index % 2
    messages = [*(history or []), {"role": "user", "content": f"{text} ({index})"}]
    body = {"model": "auto-chat", "messages": messages}
    routed = await routers[replica].route(RouteRequest("chat", body, {"x-session-id": session}))
    assert routed is not None
    ledger.add(session, replica, routed.decision.tier_index)


async def converse(routers: tuple[Router, Router], ledger: Ledger, session: str, history: list[dict[str, str]],
                   index: int, text: str) -> None:
    """One turn of a conversation whose body grows: after it, `history` holds the turn and a reply."""
    await turn(routers, ledger, session, index, text, history)
    history.extend([{"role": "user", "content": f"{text} ({index})"}, {"role": "assistant", "content": "ok"}])


async def conversations(routers: tuple[Router, Router], ledger: Ledger, prefix: str, turns: int,
                        texts: Callable[[random.Random], str], seed: int = 21, start: int = 0) -> None:
    """SESSIONS conversations, `turns` turns each, alternating replicas, IN_FLIGHT at a time."""
    chooser = random.Random(seed)
    plans = {f"{prefix}-{number}": [texts(chooser) for _ in range(turns)] for number in range(SESSIONS)}
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(session: str, plan: list[str]) -> None:
        for index, text in enumerate(plan, start):
            async with gate:
                await turn(routers, ledger, session, index, text)
            await asyncio.sleep(chooser.uniform(0, 0.005))

    await asyncio.gather(*(one(session, plan) for session, plan in plans.items()))


def mixed(chooser: random.Random) -> str:
    return COMPLEX if chooser.random() < 0.2 else SIMPLE


def simple(chooser: random.Random) -> str:
    return SIMPLE


async def stored_tiers(server: RedisServer, ledger: Ledger, settle_seconds: float = 5.0) -> dict[str, int]:
    """Each session's tier in Redis, once the replicas' write-back has had time to land."""
    from vibe_router.session_id import find_session_id

    client = server.client()
    deadline = time.monotonic() + settle_seconds
    while True:
        stored = {}
        for session in ledger.served:
            digest = find_session_id({}, {"x-session-id": session}).digest[:32]
            value = client.get(f"vibe-router:session:auto-chat:{digest}")
            stored[session] = -1 if value is None else int(value)
        if all(stored[s] >= ledger.highest(s) for s in stored) or time.monotonic() > deadline:
            return stored
        await asyncio.sleep(0.1)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.kill()


@pytest.fixture
def slow(redis_server: RedisServer) -> Iterator[SlowTcpProxy]:
    proxy = SlowTcpProxy(redis_server.port).start()
    yield proxy
    proxy.stop()


def slow_url(server: RedisServer, proxy: SlowTcpProxy) -> str:
    return f"redis://:{server.password}@127.0.0.1:{proxy.port}/0"


def test_slow_redis_never_brings_a_session_down_with_the_shipped_timeout(
    redis_server: RedisServer, slow: SlowTcpProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    routers = replicas(replica_config(tmp_path), slow_url(redis_server, slow), monkeypatch)
    ledger = Ledger()
    run(routers, conversations(routers, ledger, "slow", turns=10, texts=mixed))
    assert ledger.downs() == []
    assert slow.delayed > 50  # the proxy did hold replies back
    assert any(ledger.highest(s) > 0 for s in ledger.served) and any(
        ledger.highest(s) == 0 for s in ledger.served)


def test_replies_slower_than_the_timeout_leave_each_replica_a_floor_and_are_written_back(
    redis_server: RedisServer, slow: SlowTcpProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 20 ms timeout against 30-100 ms replies: many calls time out. A timeout is "unknown":
    no replica serves a session below a tier it served itself, and every tier decided without
    Redis reaches Redis: two new replicas (no memory of their own) then serve every session
    at least at the tier it reached."""
    url = slow_url(redis_server, slow)
    routers = replicas(replica_config(tmp_path, timeout_ms=20), url, monkeypatch)
    ledger = Ledger()

    async def scenario() -> dict[str, int]:
        await conversations(routers, ledger, "timeouts", turns=10, texts=mixed)
        slow.make_fast()
        return await stored_tiers(redis_server, ledger)

    stored = run(routers, scenario())
    assert ledger.downs_on_one_replica() == []
    assert slow.delayed > 10
    reached = {session: ledger.highest(session) for session in ledger.served}
    assert {s: t for s, t in stored.items() if t < reached[s]} == {}
    fresh = replicas(replica_config(tmp_path), url, monkeypatch)
    after = Ledger()
    run(fresh, conversations(fresh, after, "timeouts", turns=4, texts=simple, start=10))
    assert {s: [t for _, t in served] for s, served in after.served.items()
            if min(t for _, t in served) < reached[s]} == {}


def test_redis_killed_and_restarted_loses_no_escalation(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Escalations made before Redis died hold through the outage and after its restart (it keeps
    no data): both replicas served each session after its last escalation, so both hold its
    floor and write it back. (An escalation neither replica shared before the outage cannot
    reach the other one until Redis is back: see the next test.)"""
    routers = replicas(replica_config(tmp_path), redis_server.url, monkeypatch)
    ledger = Ledger()

    async def scenario() -> None:
        await conversations(routers, ledger, "restart", turns=6, texts=mixed)
        await conversations(routers, ledger, "restart", turns=2, texts=simple, start=6)  # one turn on each
        redis_server.kill()
        await conversations(routers, ledger, "restart", turns=4, texts=simple, start=8)
        redis_server.start()
        await asyncio.sleep(1.0)  # past retry_seconds
        await conversations(routers, ledger, "restart", turns=6, texts=mixed, seed=5, start=12)

    run(routers, scenario())
    assert any(ledger.highest(s) > 0 for s in ledger.served)
    assert ledger.downs() == []
    stored = asyncio.run(stored_tiers(redis_server, ledger))
    assert {s: t for s, t in stored.items() if t < ledger.highest(s)} == {}


def test_an_escalation_made_while_redis_was_dead_reaches_the_other_replica(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Replica 0 escalates during the outage; after the restart it writes the tier back on its
    own (no further request reaches it), and replica 1 then serves the session at that tier."""
    routers = replicas(replica_config(tmp_path), redis_server.url, monkeypatch)
    ledger = Ledger()

    async def scenario() -> None:
        await turn(routers, ledger, "outage", 1, SIMPLE)  # replica 1 sees the session at the cheap tier
        redis_server.kill()
        await turn(routers, ledger, "outage", 0, COMPLEX)  # replica 0 escalates without Redis
        redis_server.start()
        await asyncio.sleep(1.5)  # replica 0 reaches Redis again by itself
        await turn(routers, ledger, "outage", 1, SIMPLE)

    run(routers, scenario())
    assert [tier for _, tier in ledger.served["outage"]] == [0, 1, 1]


def test_a_session_escalated_on_one_replica_while_redis_is_dead_stays_up_on_the_other(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With Redis dead, replica 1 cannot know that replica 0 escalated the session: a request whose
    body shows earlier turns is served at the highest tier (`sticky:unknown`), never below. A
    request that starts a conversation is still judged on its own text."""
    routers = replicas(replica_config(tmp_path), redis_server.url, monkeypatch)
    ledger = Ledger()
    say = functools.partial(converse, routers, ledger, "split", [])

    async def scenario() -> None:
        await say(1, SIMPLE)  # replica 1 holds the session at the cheap tier
        redis_server.kill()
        await say(0, COMPLEX)  # replica 0 escalates; replica 1 cannot hear of it
        await say(1, SIMPLE)
        await turn(routers, ledger, "new", 1, SIMPLE)

    run(routers, scenario())
    assert [tier for _, tier in ledger.served["split"]] == [0, 1, 1]
    assert [tier for _, tier in ledger.served["new"]] == [0]


def test_while_redis_is_dead_a_continuing_session_is_served_at_the_highest_tier(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`sticky:unknown` says why; the tier is held (and written back), so the session does not come
    down when Redis answers again."""
    routers = replicas(replica_config(tmp_path), redis_server.url, monkeypatch)
    decisions: list[Any] = []
    messages: list[dict[str, str]] = []

    async def ask(replica: int, text: str) -> None:
        messages.append({"role": "user", "content": text})
        body = {"model": "auto-chat", "messages": list(messages)}
        routed = await routers[replica].route(RouteRequest("chat", body, {"x-session-id": "unknown"}))
        assert routed is not None
        decisions.append(routed.decision)
        messages.append({"role": "assistant", "content": "ok"})

    async def scenario() -> None:
        await ask(0, SIMPLE)
        redis_server.kill()
        await ask(0, SIMPLE)
        redis_server.start()
        await asyncio.sleep(1.5)  # replica 0 writes the tier back by itself
        await ask(1, SIMPLE)

    run(routers, scenario())
    assert [(d.tier_index, d.decided_by) for d in decisions] == [
        (0, "score"), (1, "sticky:unknown"), (1, "sticky:escalate_only")]


def test_just_after_an_outage_a_continuing_session_redis_does_not_hold_is_served_at_the_highest_tier(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Replica 0 escalates a session while Redis is dead and stops before it could write that back.
    Redis restarts empty; replica 1, back on Redis, cannot tell the session is escalated, so for
    its settling time a continuing session is served at the highest tier (Redis then holds it)."""
    routers = replicas(replica_config(tmp_path), redis_server.url, monkeypatch)
    ledger = Ledger()
    say = functools.partial(converse, routers, ledger, "settle", [])

    async def scenario() -> None:
        await say(1, SIMPLE)
        redis_server.kill()
        await say(0, COMPLEX)
        await say(1, SIMPLE)  # replica 1 sees Redis down too (and holds the session high from now on)
        await routers[0].store.close()
        routers[1].store.local = type(routers[1].store.local)(100)  # as a replica that never saw it
        redis_server.start()
        deadline = time.monotonic() + 10
        while routers[1].store.redis_state() != "up" and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert routers[1].store.redis_state() == "up"
        await say(1, SIMPLE)
        await turn(routers, ledger, "fresh", 1, SIMPLE)

    run(routers, scenario())
    assert [tier for _, tier in ledger.served["settle"]] == [0, 1, 1, 1]
    assert [tier for _, tier in ledger.served["fresh"]] == [0]


def test_a_restart_between_two_requests_is_noticed_and_every_held_session_written_back(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Redis restarts (empty) while no request is in flight, so no call fails. The next call of
    replica 0, for another session, sees a new epoch and writes back every session it holds:
    replica 1, which never saw the escalated session, then serves it at its tier."""
    routers = replicas(replica_config(tmp_path), redis_server.url, monkeypatch)
    ledger = Ledger()

    async def scenario() -> None:
        await turn(routers, ledger, "held", 0, COMPLEX)
        redis_server.kill()
        redis_server.start()
        await turn(routers, ledger, "other", 0, SIMPLE)
        await asyncio.sleep(0.5)
        await turn(routers, ledger, "held", 1, SIMPLE)

    run(routers, scenario())
    assert [tier for _, tier in ledger.served["held"]] == [1, 1]


def test_pin_keeps_the_first_decision_through_slow_and_dead_redis(
    redis_server: RedisServer, slow: SlowTcpProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    routers = replicas(replica_config(tmp_path, mode="pin"), slow_url(redis_server, slow), monkeypatch)
    ledger = Ledger()

    async def scenario() -> None:
        await conversations(routers, ledger, "pin", turns=6, texts=mixed)
        redis_server.kill()
        await conversations(routers, ledger, "pin", turns=3, texts=mixed, seed=3, start=6)
        redis_server.start()
        await asyncio.sleep(1.0)
        await conversations(routers, ledger, "pin", turns=4, texts=mixed, seed=4, start=9)

    run(routers, scenario())
    assert any(ledger.highest(s) > 0 for s in ledger.served) and any(
        ledger.highest(s) == 0 for s in ledger.served)
    changed = {s: [t for _, t in served] for s, served in ledger.served.items() if len({t for _, t in served}) > 1}
    assert changed == {}
