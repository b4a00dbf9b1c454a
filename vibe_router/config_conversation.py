"""Config for routing conversations: stickiness, overrides, sessions, Redis, prices."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field

from vibe_router.config_values import ConfigError, Finite, NameSet, Section, Text, Whole, parse, required, section_of
from vibe_router.overrides import DEFAULT_HEADER, OverrideSettings
from vibe_router.redis_connection import RedisConnection
from vibe_router.session_id import label_key
from vibe_router.sessions import RedisSettings

ENV_REFERENCE = "os.environ/"  # LiteLLM's way to take a value from the environment
MASTER_KEY_ENV = "LITELLM_MASTER_KEY"


@dataclass(frozen=True)
class SessionLabels:
    """The key of the session labels in headers and logs, and where it came from."""

    key: bytes
    source: str  # "sessions.label_key", "general_settings.master_key", "LITELLM_MASTER_KEY" or "per-process"

    @classmethod
    def per_process(cls) -> SessionLabels:
        return cls(label_key(secrets.token_hex(32)), "per-process")


@dataclass(frozen=True)
class Sticky:  # the annotations are the checks of its config section
    mode: Literal["escalate_only", "pin", "off"] = "escalate_only"
    ttl_seconds: Annotated[Finite, Field(ge=1)] = 1800.0


StickySection = section_of(Sticky)


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float


class OverridesSpec(Section):
    header: Text | None = None
    inline_tag: bool = True
    allow: bool = False
    allow_keys: NameSet = frozenset()
    allow_teams: NameSet = frozenset()

    def build(self) -> OverrideSettings:
        header = (self.header or DEFAULT_HEADER).lower()
        return OverrideSettings(header, self.inline_tag, self.allow, self.allow_keys, self.allow_teams)


class SessionsSpec(Section):
    header: Text | None = None
    label_key: Text | None = None


class RedisSpec(Section):
    enabled: bool = True
    key_prefix: Text | None = None
    timeout_ms: Annotated[Finite, Field(ge=1)] = RedisSettings.timeout_ms
    retry_seconds: Annotated[Finite, Field(ge=0.1)] = RedisSettings.retry_seconds
    local_max_sessions: Whole = RedisSettings.local_max_sessions

    def build(self, key: str, env: Mapping[str, str] = os.environ) -> RedisSettings:
        try:
            connection = RedisConnection.from_env(env) if self.enabled else None
        except ValueError as exc:
            raise ConfigError(key, f"environment: {exc}") from None
        prefix = self.key_prefix or RedisSettings.key_prefix
        if connection is not None and connection.topology == "cluster" and ("{" in prefix or "}" in prefix):
            raise ConfigError(f"{key}.key_prefix", "must not hold { or } under a Redis Cluster (REDIS_CLUSTER_NODES): "
                              "vibe-router places its own hash tags (docs/sessions.md)")
        return RedisSettings(connection, prefix, self.timeout_ms, self.retry_seconds, self.local_max_sessions)


class PriceSpec(Section):
    input: Annotated[Finite, Field(ge=0)] = required()
    output: Annotated[Finite, Field(ge=0)] = 0.0


def parse_redis(value: Any, key: str, env: Mapping[str, str] = os.environ) -> RedisSettings:
    return parse(RedisSpec, value, key).build(key, env)


def session_labels(sessions: SessionsSpec, key: str, document: Mapping[str, Any],
                   env: Mapping[str, str] = os.environ) -> SessionLabels:
    """sessions.label_key, else the proxy's master key (config, then LITELLM_MASTER_KEY): a secret
    every replica of a deployment shares, so one session has one label on all of them."""
    secret = sessions.label_key
    if secret is not None:
        resolved = _from_env(secret, env)
        if not resolved:
            raise ConfigError(f"{key}.label_key", f"{secret} is not set in the environment")
        return SessionLabels(label_key(resolved), "sessions.label_key")
    general = document.get("general_settings")
    master = general.get("master_key") if isinstance(general, dict) else None
    if isinstance(master, str) and _from_env(master, env):
        return SessionLabels(label_key(_from_env(master, env)), "general_settings.master_key")
    if env.get(MASTER_KEY_ENV):
        return SessionLabels(label_key(env[MASTER_KEY_ENV]), MASTER_KEY_ENV)
    return SessionLabels.per_process()


def _from_env(value: str, env: Mapping[str, str]) -> str:
    return env.get(value.removeprefix(ENV_REFERENCE), "") if value.startswith(ENV_REFERENCE) else value
