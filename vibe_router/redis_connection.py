"""Where Redis is, from the variables LiteLLM reads: a target built from parts, never a hand-made URL.

Which variable wins is LiteLLM's order (`litellm/_redis.py`, get_redis_async_client):

1. REDIS_CLUSTER_NODES: a Redis Cluster, JSON `[{"host": "10.0.0.1", "port": 7000}, ...]`
   (startup nodes; the client learns the rest from them). REDIS_URL is then ignored;
   REDIS_PASSWORD, REDIS_USERNAME, REDIS_SSL and REDIS_SSL_* still apply.
2. REDIS_URL, taken as it is.
3. REDIS_SENTINEL_NODES: Sentinel, JSON `[["10.0.0.1", 26379], ...]`, with REDIS_SERVICE_NAME
   (the master's name in the sentinels) required. The master is reached with REDIS_PASSWORD,
   REDIS_USERNAME, REDIS_DB, REDIS_SSL*; the sentinels with REDIS_SENTINEL_PASSWORD (none when
   unset) and the same TLS settings.
4. REDIS_HOST (required), REDIS_PORT, REDIS_DB, REDIS_USERNAME, REDIS_PASSWORD, REDIS_SSL, REDIS_SSL_*.

Credentials go to the client as separate arguments, so a password holding `/`, `#`, `@` or
`:` is passed as it is. A malformed value raises ValueError naming the variable (the config
loader turns it into the one start-up line); an empty variable counts as unset.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TRUE_WORDS = ("true", "1", "yes")  # what LiteLLM's _str_to_bool accepts
# REDIS_SSL_<NAME> -> the redis-py argument it sets (LiteLLM maps REDIS_<ARG> to <arg> the same way).
SSL_TEXT_VARIABLES = ("ssl_ca_certs", "ssl_ca_path", "ssl_certfile", "ssl_keyfile", "ssl_cert_reqs", "ssl_password")
SSL_FLAG_VARIABLES = ("ssl_check_hostname",)
CLUSTER_EXAMPLE = '[{"host": "10.0.0.1", "port": 7000}]'
SENTINEL_EXAMPLE = '[["10.0.0.1", 26379]]'

Nodes = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class RedisConnection:
    """The connection target; `repr` never shows a password."""

    url: str | None = field(default=None, repr=False)
    host: str | None = None
    port: int = 6379
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ssl: bool = False
    ssl_options: tuple[tuple[str, Any], ...] = ()
    cluster_nodes: Nodes = ()
    sentinel_nodes: Nodes = ()
    service_name: str | None = None
    sentinel_password: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> RedisConnection | None:
        """The target LiteLLM would connect to from the same variables; None when none is named."""
        cluster = _nodes(env, "REDIS_CLUSTER_NODES", _cluster_node, CLUSTER_EXAMPLE)
        sentinels = _nodes(env, "REDIS_SENTINEL_NODES", _sentinel_node, SENTINEL_EXAMPLE)
        if not cluster and env.get("REDIS_URL"):
            return cls(url=env["REDIS_URL"])
        if not (cluster or sentinels or env.get("REDIS_HOST")):
            return None
        if sentinels and not cluster and not env.get("REDIS_SERVICE_NAME"):
            raise ValueError("REDIS_SENTINEL_NODES is set but REDIS_SERVICE_NAME (the master's name in the "
                             "sentinels) is not")
        options: list[tuple[str, Any]] = []
        for name in SSL_TEXT_VARIABLES:
            if env.get(f"REDIS_{name.upper()}"):
                options.append((name, env[f"REDIS_{name.upper()}"]))
        for name in SSL_FLAG_VARIABLES:
            if env.get(f"REDIS_{name.upper()}"):
                options.append((name, _flag(env[f"REDIS_{name.upper()}"])))
        common = {
            "username": env.get("REDIS_USERNAME") or None,
            "password": env.get("REDIS_PASSWORD") or None,
            "ssl": _flag(env.get("REDIS_SSL", "")),
            "ssl_options": tuple(options),
        }
        if cluster:
            return cls(cluster_nodes=cluster, **common)
        db = _whole(env.get("REDIS_DB"), 0, "REDIS_DB")
        if sentinels:
            return cls(sentinel_nodes=sentinels, service_name=env["REDIS_SERVICE_NAME"], db=db,
                       sentinel_password=env.get("REDIS_SENTINEL_PASSWORD") or None, **common)
        return cls(host=env["REDIS_HOST"], port=_whole(env.get("REDIS_PORT"), 6379, "REDIS_PORT"), db=db, **common)

    @property
    def topology(self) -> str:
        """"cluster", "sentinel", or "single" (one Redis, by REDIS_URL or REDIS_HOST)."""
        if self.cluster_nodes:
            return "cluster"
        return "sentinel" if self.sentinel_nodes else "single"

    def describe(self) -> str:
        """Where Redis is, for a log line: hosts and ports, never credentials."""
        scheme = "rediss" if self.ssl else "redis"
        if self.cluster_nodes:
            return f"{scheme} cluster {_joined(self.cluster_nodes)}"
        if self.sentinel_nodes:
            return f"{scheme} sentinel master {self.service_name!r} via {_joined(self.sentinel_nodes)} db {self.db}"
        if self.url is not None:  # no user info, no query (a password may sit in either)
            scheme, _, rest = self.url.partition("://") if "://" in self.url else ("redis", "", self.url)
            return f"{scheme}://{rest.split('?', 1)[0].rsplit('@', 1)[-1]}"
        return f"{scheme}://{self.host}:{self.port}/{self.db}"

    def client_arguments(self) -> dict[str, Any]:
        """Keyword arguments for the data connections (empty for a URL: use from_url).

        Host and port only for a single Redis (sentinels and the cluster name the servers);
        no database for a cluster (it has only db 0)."""
        if self.url is not None:
            return {}
        arguments: dict[str, Any] = {"username": self.username, "password": self.password}
        if self.topology == "single":
            arguments.update(host=self.host, port=self.port)
        if self.topology != "cluster":
            arguments["db"] = self.db
        arguments.update(self.tls_arguments())
        return arguments

    def sentinel_arguments(self) -> dict[str, Any]:
        """Keyword arguments for the connections to the sentinels themselves."""
        arguments: dict[str, Any] = {"password": self.sentinel_password}
        if self.sentinel_password and self.username:
            arguments["username"] = self.username
        arguments.update(self.tls_arguments())
        return arguments

    def tls_arguments(self) -> dict[str, Any]:
        return {"ssl": True, **dict(self.ssl_options)} if self.ssl else {}


def _nodes(env: Mapping[str, str], name: str, parse_one: Any, example: str) -> Nodes:
    text = env.get(name, "").strip()
    if not text:
        return ()
    try:
        raw = json.loads(text)
    except ValueError:
        raise ValueError(f"{name} is not valid JSON (expected e.g. {example})") from None
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{name} must be a non-empty JSON list (e.g. {example})")
    nodes = tuple(parse_one(item) for item in raw)
    if any(node is None for node in nodes):
        raise ValueError(f"{name}: every node must look like {example[1:-1]} (a host and a whole-number port)")
    return nodes


def _cluster_node(item: Any) -> tuple[str, int] | None:
    if not isinstance(item, dict) or set(item) != {"host", "port"}:
        return None
    return _host_port(item["host"], item["port"])


def _sentinel_node(item: Any) -> tuple[str, int] | None:
    if not isinstance(item, list) or len(item) != 2:
        return None
    return _host_port(item[0], item[1])


def _host_port(host: Any, port: Any) -> tuple[str, int] | None:
    if not isinstance(host, str) or not host or isinstance(port, bool):
        return None
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    return (host, port) if isinstance(port, int) and 0 < port < 65536 else None


def _joined(nodes: Nodes) -> str:
    return ",".join(f"{host}:{port}" for host, port in nodes)


def _flag(value: str) -> bool:
    return value.strip().lower() in TRUE_WORDS


def _whole(value: str | None, default: int, name: str) -> int:
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None
