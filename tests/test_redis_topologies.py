"""SessionStore, counters, the capture stream and `stats` on a real Redis Cluster and a real Sentinel setup.

The cluster: three masters built by `redis-cli --cluster create`. Sentinel: a master, its
replica, three sentinels with quorum 2. Both with passwords, reached through LiteLLM's
variables (tests/support/redis_topologies.py).
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.support.logs import Captured
from tests.support.redis_topologies import (
    DATA_PASSWORD,
    SENTINEL_PASSWORD,
    RedisClusterSetup,
    SentinelSetup,
    values,
    wait_for,
)
from tests.support.stack import CONFIG
from vibe_router.config import load_config
from vibe_router.redis_clients import server_identity, sync_client
from vibe_router.redis_connection import RedisConnection
from vibe_router.session_keys import epoch_key, hash_tag
from vibe_router.sessions import RedisSettings, SessionStore
from vibe_router_tools.stats import read_counters


def digests(count: int) -> list[str]:
    return [f"{index:03x}" + "ab" * 14 + f"{index:01x}"[-1] for index in range(count)]


def store_on(connection: RedisConnection, **settings: float) -> SessionStore:
    return SessionStore(RedisSettings(connection=connection, timeout_ms=1000, **settings))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- cluster

def test_cluster_keeps_the_atomic_maximum_across_replicas_and_slots(cluster: RedisClusterSetup) -> None:
    async def scenario() -> tuple[list[str], list[tuple[int, str]]]:
        first, second = store_on(cluster.connection()), store_on(cluster.connection())
        keys = [first.session_key("auto-chat", digest) for digest in digests(48)]
        # Both replicas at once, the higher tier from either side: Redis keeps the maximum.
        await asyncio.gather(*(first.apply_tier(key, "max", index % 2, 60) for index, key in enumerate(keys)),
                             *(second.apply_tier(key, "max", 1 - index % 2, 60) for index, key in enumerate(keys)))
        fresh = store_on(cluster.connection())
        seen = [await fresh.apply_tier(key, "max", 0, 60) for key in keys]
        for store in (first, second, fresh):
            await store.close()
        return keys, seen

    keys, seen = asyncio.run(scenario())
    assert seen == [(1, "redis")] * len(keys)
    client = cluster.client()
    assert values(client, keys) == [b"1"] * len(keys)
    assert {cluster.port_of(key) for key in keys} == set(cluster.ports)  # every master holds some
    for key in keys:  # the script's two keys share a slot (CROSSSLOT otherwise), one epoch key per tag
        assert client.keyslot(key) == client.keyslot(epoch_key("vibe-router:", key))
    epochs = [key for key in client.scan_iter("vibe-router:epoch*", target_nodes="primaries")]
    assert len(epochs) == len({hash_tag(key) for key in keys})


def test_cluster_counters_capture_stream_and_stats(cluster: RedisClusterSetup) -> None:
    config = load_config(CONFIG)

    async def scenario() -> list[bool]:
        store = store_on(cluster.connection())
        landed = [await store.count(f"vibe-router:stats:{name}", {"decisions": 2, "cost_usd:pool-chat-mini": 0.25})
                  for name in config.virtual_models]
        landed.append(await store.count("vibe-router:stats:auto-chat", {"decisions": 1}))
        await store.close()
        return landed

    assert all(asyncio.run(scenario()))
    client = sync_client(cluster.connection(), 2, retries=False)  # the CLI's and the capture writer's client
    counters = read_counters(client, config)
    assert counters["auto-chat"] == {"decisions": 3, "cost_usd:pool-chat-mini": 0.25}
    assert all(counters[name]["decisions"] == 2 for name in config.virtual_models if name != "auto-chat")
    client.xadd("vibe-router:capture", {"record": json.dumps({"id": "x"})}, maxlen=10, approximate=True)
    assert client.xlen("vibe-router:capture") == 1


def test_cluster_node_that_lost_its_data_gets_its_sessions_back(cluster: RedisClusterSetup,
                                                                 captured: Captured) -> None:
    """A master killed and restarted empty: the replica writes back the sessions of its slots, only those."""
    async def scenario() -> tuple[list[str], int, list[tuple[int, str]]]:
        store = store_on(cluster.connection(), retry_seconds=0.2)
        keys = [store.session_key("auto-codex", digest) for digest in digests(30)]
        for key in keys:
            await store.apply_tier(key, "max", 1, 300)
        victim = cluster.port_of(keys[0])
        cluster.kill(victim)
        during = await store.apply_tier(keys[0], "max", 0, 300)  # unknown: decided from the floor
        await asyncio.to_thread(cluster.restart, victim)  # back on its slots, with no data
        lost = [key for key in keys if cluster.port_of(key) == victim]

        def all_back() -> bool:
            return values(cluster.client(), keys) == [b"1"] * len(keys)

        await asyncio.to_thread(wait_for, all_back, 15, "the lost sessions were not written back")
        fresh = store_on(cluster.connection())
        seen = [await fresh.apply_tier(key, "max", 0, 300) for key in lost]
        await store.close()
        await fresh.close()
        return lost, during[0], seen

    lost, during, seen = asyncio.run(scenario())
    assert during == 1
    assert 0 < len(lost) < 30 and seen == [(1, "redis")] * len(lost)
    assert any("REDIS UNAVAILABLE" in line for line in captured.lines)


# ---------------------------------------------------------------------------------------------- sentinel

def test_sentinel_failovers_lose_no_session(sentinel: SentinelSetup, captured: Captured) -> None:
    """SENTINEL FAILOVER, then SIGKILL of the new master: calls never fail, tiers never come down,
    and what was decided while no master answered reaches the master that follows."""
    async def scenario() -> dict[str, object]:
        store = store_on(sentinel.connection(), retry_seconds=0.2)
        before = [store.key("session", "auto-chat", f"before-{index}") for index in range(10)]
        for key in before:
            assert await store.apply_tier(key, "max", 1, 300) == (1, "redis")
        first_master = sentinel.master_port_now()
        sentinel.failover()
        calls: list[tuple[int, str]] = []
        second_master, deadline = 0, time.monotonic() + 15
        while not second_master and time.monotonic() < deadline:  # until this replica talks to the new master
            calls += [await store.apply_tier(key, "max", 0, 300) for key in before]
            named = sentinel.master_port_now()
            if named != first_master and server_identity(store._client) == ("127.0.0.1", named):
                second_master = named
            await asyncio.sleep(0.05)
        assert second_master, "the store never followed the failover"
        await asyncio.to_thread(wait_for, lambda: store.redis_state() == "up", 10, "Redis stayed down")
        after_graceful = await store.apply_tier(before[0], "max", 0, 300)
        sentinel.kill(second_master)  # the hard way: the new master dies
        during = store.key("session", "auto-chat", "during-outage")
        calls.append(await store.apply_tier(during, "max", 1, 300))
        third_master = await asyncio.to_thread(sentinel.wait_for_new_master, second_master)
        await asyncio.to_thread(wait_for, lambda: sentinel.data_client(third_master).get(during) == b"1", 15,
                                "the outage's decision did not reach the new master")
        final = [await store.apply_tier(key, "max", 0, 300) for key in [*before, during]]
        await store.close()
        return {"calls": calls, "after_graceful": after_graceful, "final": final,
                "masters": (first_master, second_master, third_master),
                "stored": values(sentinel.data_client(third_master), [*before, during])}

    result = asyncio.run(scenario())
    assert all(tier == 1 for tier, _ in result["calls"])  # type: ignore[attr-defined]
    assert result["after_graceful"] == (1, "redis")
    assert result["final"] == [(1, "redis")] * 11
    assert result["stored"] == [b"1"] * 11
    first, second, third = result["masters"]  # type: ignore[misc]
    assert first != second != third  # two failovers (the demoted first master may well be the third)
    log = "\n".join(captured.lines)
    assert "REDIS MASTER CHANGED" in log
    assert DATA_PASSWORD not in log and SENTINEL_PASSWORD not in log


# ---------------------------------------------------------------------------------------------- variables

@pytest.mark.parametrize(("env", "message"), [
    ({"REDIS_CLUSTER_NODES": "[{host: 1}]"}, "REDIS_CLUSTER_NODES is not valid JSON"),
    ({"REDIS_CLUSTER_NODES": "[]"}, "REDIS_CLUSTER_NODES must be a non-empty JSON list"),
    ({"REDIS_CLUSTER_NODES": '[["h", 7000]]'}, "REDIS_CLUSTER_NODES: every node must look like"),
    ({"REDIS_CLUSTER_NODES": '[{"host": "h", "port": 70000}]'}, "REDIS_CLUSTER_NODES: every node"),
    ({"REDIS_SENTINEL_NODES": '[{"host": "h", "port": 26379}]'}, "REDIS_SENTINEL_NODES: every node"),
    ({"REDIS_SENTINEL_NODES": '[["h", 26379]]'}, "REDIS_SERVICE_NAME"),
])
def test_malformed_variables_name_themselves(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RedisConnection.from_env(env)


def test_which_variable_wins_is_litellms_order() -> None:
    cluster = '[{"host": "c", "port": 7000}]'
    sentinels = '[["s", 26379]]'
    everything = {"REDIS_CLUSTER_NODES": cluster, "REDIS_URL": "redis://u:6379/0", "REDIS_HOST": "h",
                  "REDIS_SENTINEL_NODES": sentinels, "REDIS_SERVICE_NAME": "m", "REDIS_PASSWORD": "pw",
                  "REDIS_SENTINEL_PASSWORD": "spw"}
    order = []
    for drop in ("REDIS_CLUSTER_NODES", "REDIS_URL", "REDIS_SENTINEL_NODES", "REDIS_HOST"):
        connection = RedisConnection.from_env(everything)
        assert connection is not None
        order.append(connection.describe())
        everything.pop(drop)
    assert order == ["redis cluster c:7000", "redis://u:6379/0", "redis sentinel master 'm' via s:26379 db 0",
                     "redis://h:6379/0"]
    assert RedisConnection.from_env(everything) is None
    connection = RedisConnection.from_env({"REDIS_SENTINEL_NODES": sentinels, "REDIS_SERVICE_NAME": "m",
                                           "REDIS_PASSWORD": "pw", "REDIS_SENTINEL_PASSWORD": "spw"})
    assert connection is not None
    assert connection.client_arguments()["password"] == "pw" and connection.sentinel_arguments()["password"] == "spw"
    assert "pw" not in repr(connection) and "pw" not in connection.describe()


def test_verify_pings_the_cluster_and_the_sentinel_master(cluster: RedisClusterSetup, sentinel: SentinelSetup) -> None:
    from vibe_router_tools import verify

    for setup, named in ((cluster, "redis cluster 127.0.0.1:"), (sentinel, "redis sentinel master 'vibemaster'")):
        ctx = verify.Context(CONFIG, verify.Settings(setup.env(), {}))
        verify.check_redis(ctx)
        assert ctx.checks[0]["status"] == "ok", ctx.checks
        assert ctx.checks[0]["detail"].startswith(named) and ctx.checks[0]["detail"].endswith("answers PING")
    ctx = verify.Context(CONFIG, verify.Settings({"REDIS_CLUSTER_NODES": "nodes"}, {}))
    verify.check_redis(ctx)
    assert ctx.checks[0]["status"] == "fail" and "REDIS_CLUSTER_NODES is not valid JSON" in ctx.checks[0]["detail"]


CLUSTER_NODES = '[{"host": "h", "port": 7000}]'


def test_a_hash_tag_in_the_key_prefix_is_refused_under_a_cluster() -> None:
    from vibe_router.config_conversation import parse_redis
    from vibe_router.config_values import ConfigError

    with pytest.raises(ConfigError) as error:
        parse_redis({"key_prefix": "{vr}:"}, "vibe_router.redis", env={"REDIS_CLUSTER_NODES": CLUSTER_NODES})
    assert error.value.key == "vibe_router.redis.key_prefix"
    assert parse_redis({"key_prefix": "{vr}:"}, "vibe_router.redis", env={"REDIS_HOST": "h"}).key_prefix == "{vr}:"
