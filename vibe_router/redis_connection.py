"""Where Redis is, from the variables LiteLLM reads: a client built from parts, never a hand-made URL.

REDIS_URL is taken as it is. Otherwise REDIS_HOST (required), REDIS_PORT, REDIS_DB,
REDIS_USERNAME, REDIS_PASSWORD, REDIS_SSL and REDIS_SSL_* go to the client as separate
arguments, so a password holding `/`, `#`, `@` or `:` is passed as it is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TRUE_WORDS = ("true", "1", "yes")  # what LiteLLM's _str_to_bool accepts
# REDIS_SSL_<NAME> -> the redis-py argument it sets (LiteLLM maps REDIS_<ARG> to <arg> the same way).
SSL_TEXT_VARIABLES = ("ssl_ca_certs", "ssl_ca_path", "ssl_certfile", "ssl_keyfile", "ssl_cert_reqs", "ssl_password")
SSL_FLAG_VARIABLES = ("ssl_check_hostname",)


@dataclass(frozen=True)
class RedisConnection:
    """The connection target; `repr` never shows the password."""

    url: str | None = field(default=None, repr=False)
    host: str | None = None
    port: int = 6379
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ssl: bool = False
    ssl_options: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> RedisConnection | None:
        """REDIS_URL as it is, else REDIS_HOST and its companions; None when neither is set."""
        if env.get("REDIS_URL"):
            return cls(url=env["REDIS_URL"])
        host = env.get("REDIS_HOST")
        if not host:
            return None
        options: list[tuple[str, Any]] = []
        for name in SSL_TEXT_VARIABLES:
            if env.get(f"REDIS_{name.upper()}"):
                options.append((name, env[f"REDIS_{name.upper()}"]))
        for name in SSL_FLAG_VARIABLES:
            if env.get(f"REDIS_{name.upper()}"):
                options.append((name, _flag(env[f"REDIS_{name.upper()}"])))
        return cls(
            host=host,
            port=_whole(env.get("REDIS_PORT"), 6379, "REDIS_PORT"),
            db=_whole(env.get("REDIS_DB"), 0, "REDIS_DB"),
            username=env.get("REDIS_USERNAME") or None,
            password=env.get("REDIS_PASSWORD") or None,
            ssl=_flag(env.get("REDIS_SSL", "")),
            ssl_options=tuple(options),
        )

    def describe(self) -> str:
        """Where Redis is, for a log line: host and port, never credentials."""
        if self.url is not None:  # no user info, no query (a password may sit in either)
            scheme, _, rest = self.url.partition("://") if "://" in self.url else ("redis", "", self.url)
            return f"{scheme}://{rest.split('?', 1)[0].rsplit('@', 1)[-1]}"
        return f"{'rediss' if self.ssl else 'redis'}://{self.host}:{self.port}/{self.db}"

    def client_arguments(self) -> dict[str, Any]:
        """Keyword arguments for redis.Redis / redis.asyncio.Redis (empty for a URL: use from_url)."""
        if self.url is not None:
            return {}
        arguments: dict[str, Any] = {"host": self.host, "port": self.port, "db": self.db,
                                     "username": self.username, "password": self.password}
        if self.ssl:
            arguments["ssl"] = True
            arguments.update(self.ssl_options)
        return arguments


def async_client(connection: RedisConnection, timeout_s: float) -> Any:
    """A redis.asyncio client that waits at most `timeout_s` for an answer and never retries a timeout.

    A broken connection is retried once, at once: after a Redis restart the pooled connections
    are dead, and the first call on each must not count as Redis being down."""
    import redis.asyncio as redis_asyncio
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError

    retry = Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
    options = {"socket_timeout": timeout_s, "socket_connect_timeout": timeout_s, "retry": retry,
               "health_check_interval": 0}
    if connection.url is not None:
        return redis_asyncio.Redis.from_url(connection.url, **options)
    return redis_asyncio.Redis(**connection.client_arguments(), **options)


def sync_client(connection: RedisConnection, timeout_s: float, retries: bool = True) -> Any:
    """A blocking redis client (the CLI's, the capture writer's), same target and credentials.

    `retries=False`: one attempt per call (redis-py otherwise retries a failed call with backoff).
    """
    import redis

    options: dict[str, Any] = {"socket_timeout": timeout_s, "socket_connect_timeout": timeout_s}
    if not retries:
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        options["retry"] = Retry(NoBackoff(), 0)
    if connection.url is not None:
        return redis.Redis.from_url(connection.url, **options)
    return redis.Redis(**connection.client_arguments(), **options)


def _flag(value: str) -> bool:
    return value.strip().lower() in TRUE_WORDS


def _whole(value: str | None, default: int, name: str) -> int:
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None
