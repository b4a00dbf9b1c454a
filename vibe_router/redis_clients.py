"""redis-py clients for a RedisConnection: one Redis, a Sentinel-managed master, or a Redis Cluster.

Every client has the same manners whatever the topology: it waits at most the timeout for
an answer, never retries a timeout, and retries a broken connection once, at once (after a
Redis restart or a failover the pooled connections are dead, and the first call on each
must not count as Redis being down). That retry is also what finds a new master: a
Sentinel-managed connection asks the sentinels again when it reconnects (and turns a
demoted master's READONLY into a broken connection); a cluster client re-reads the slot
map after a broken connection.
"""

from __future__ import annotations

from typing import Any

from vibe_router.redis_connection import RedisConnection


def async_client(connection: RedisConnection, timeout_s: float) -> Any:
    """A redis.asyncio client (Redis, Sentinel master or RedisCluster) with the manners above."""
    import redis.asyncio as redis_asyncio
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError

    timeouts = {"socket_timeout": timeout_s, "socket_connect_timeout": timeout_s}
    if connection.topology == "cluster":
        return _async_cluster_class()(startup_nodes=_cluster_nodes(connection), retry=Retry(NoBackoff(), 1),
                                      health_check_interval=0, **timeouts, **connection.client_arguments())
    retry = Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
    options = {**timeouts, "retry": retry, "health_check_interval": 0}
    if connection.topology == "sentinel":
        from redis.asyncio.sentinel import Sentinel

        sentinels = Sentinel(list(connection.sentinel_nodes), sentinel_kwargs={
            **timeouts, "retry": Retry(NoBackoff(), 0), **connection.sentinel_arguments()})
        return sentinels.master_for(connection.service_name, **options, **connection.client_arguments())
    if connection.url is not None:
        return redis_asyncio.Redis.from_url(connection.url, **options)
    return redis_asyncio.Redis(**connection.client_arguments(), **options)


def sync_client(connection: RedisConnection, timeout_s: float, retries: bool = True) -> Any:
    """A blocking client (the CLI's, the capture writer's, verify.py's), same target and credentials.

    `retries=False`: one attempt per call (redis-py otherwise retries a failed call with backoff).
    """
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    options: dict[str, Any] = {"socket_timeout": timeout_s, "socket_connect_timeout": timeout_s}
    if not retries:
        options["retry"] = Retry(NoBackoff(), 0)
    if connection.topology == "cluster":
        return redis.RedisCluster(startup_nodes=_cluster_nodes(connection), **options,
                                  **connection.client_arguments())
    if connection.topology == "sentinel":
        sentinels = redis.Sentinel(list(connection.sentinel_nodes), sentinel_kwargs={
            "socket_timeout": timeout_s, "socket_connect_timeout": timeout_s, "retry": Retry(NoBackoff(), 0),
            **connection.sentinel_arguments()})
        return sentinels.master_for(connection.service_name, **options, **connection.client_arguments())
    if connection.url is not None:
        return redis.Redis.from_url(connection.url, **options)
    return redis.Redis(**connection.client_arguments(), **options)


async def drop_connections(client: Any) -> None:
    """Close a client's pooled connections (dead after a restart), so the next call opens fresh ones.

    A cluster client does this itself for the node that failed and re-reads the slot map."""
    pool = getattr(client, "connection_pool", None)
    if pool is not None:
        await pool.disconnect()


async def ready(client: Any) -> None:
    """What a client must do before its first calls: a cluster client reads its slot map once.

    redis-py 8.1's async cluster client, left to initialize itself from many first calls at
    once, breaks connections in their handshake ("'NoneType' object has no attribute
    'writelines'"); initialized first, it does not. Concurrent callers wait on its own lock."""
    if hasattr(client, "nodes_manager"):
        await client.initialize()


async def follow_master(client: Any) -> None:
    """A Sentinel-managed client: ask the sentinels who the master is; if another, drop every connection.

    Needed because a demoted master can go on accepting writes for seconds: after SENTINEL FAILOVER
    the sentinels reconfigure the old master only at their next periodic look at it, and a client
    still connected to it would write where nobody reads. Nothing for other clients."""
    pool = getattr(client, "connection_pool", None)
    manager = getattr(pool, "sentinel_manager", None)
    if manager is None or pool.master_address is None:
        return
    if await manager.discover_master(pool.service_name) != pool.master_address:
        # Idle connections now, those in use when they come back: a connection taken from the pool
        # reconnects through the sentinels. (Not a disconnect under a running command: redis-py's
        # retry would then reconnect that connection to the address it had, the old master.)
        await pool.update_active_connections_for_reconnect()
        await pool.disconnect(inuse_connections=False)


def server_identity(client: Any) -> Any:
    """Which server answered last when that can change under the same client: a Sentinel master's address.

    None for a single Redis (always the same server) and for a cluster (one answer per slot)."""
    return getattr(getattr(client, "connection_pool", None), "master_address", None)


def _cluster_nodes(connection: RedisConnection) -> list[Any]:
    from redis.cluster import ClusterNode

    return [ClusterNode(host, port) for host, port in connection.cluster_nodes]


_ONE_ATTEMPT_CLUSTER: list[type] = []


def _async_cluster_class() -> type:
    """redis-py's async RedisCluster, retrying a broken connection once but never a timeout.

    redis-py retries `ERRORS_ALLOW_RETRY` (timeouts and CLUSTERDOWN included, the latter after a
    pause) up to the retry's count; a request must not wait twice the timeout, so only a broken
    connection or a stale slot map is retried here. (Its pipelines use the base class' list: the
    write-back and the counters, which no request waits for.)"""
    if not _ONE_ATTEMPT_CLUSTER:
        from redis.asyncio.cluster import RedisCluster
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import SlotNotCoveredError

        class OneAttemptCluster(RedisCluster):
            ERRORS_ALLOW_RETRY = (RedisConnectionError, SlotNotCoveredError)

        _ONE_ATTEMPT_CLUSTER.append(OneAttemptCluster)
    return _ONE_ATTEMPT_CLUSTER[0]
