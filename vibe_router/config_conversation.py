"""Config for routing conversations: stickiness, scenarios, overrides, Redis, prices."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from vibe_router.config_values import (
    ConfigError,
    boolean,
    mapping,
    number,
    optional_string,
    positive_int,
    reject_unknown,
    string_list,
)
from vibe_router.overrides import DEFAULT_HEADER, OverrideSettings
from vibe_router.redis_connection import RedisConnection
from vibe_router.scenarios import (
    DEFAULT_HOUSEKEEPING_PATTERNS,
    Housekeeping,
    Images,
    LongContext,
    Scenarios,
    Target,
    Thinking,
)
from vibe_router.session_id import label_key
from vibe_router.sessions import RedisSettings
from vibe_router.side_requests import DEFAULT_MARKERS, DEFAULT_MIN_SIGNALS, SideRequests

STICKY_MODES = ("escalate_only", "pin", "off")
MARKER_NAME = re.compile(r"[A-Za-z][\w.:-]*")
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
class Sticky:
    mode: str = "escalate_only"
    ttl_seconds: float = 1800.0


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float


def parse_sticky(value: Any, key: str) -> Sticky:
    section = mapping(value, key)
    reject_unknown(section, key, {"mode", "ttl_seconds"})
    mode = section.get("mode", "escalate_only")
    if mode not in STICKY_MODES:
        raise ConfigError(f"{key}.mode", f"must be one of {', '.join(STICKY_MODES)}, got {mode!r}")
    ttl = number(section.get("ttl_seconds", 1800), f"{key}.ttl_seconds", minimum=1)
    return Sticky(mode=mode, ttl_seconds=ttl)


def parse_scenarios(value: Any, key: str, tiers: list[str], pools: Iterable[str]) -> Scenarios:
    section = mapping(value, key)
    reject_unknown(section, key, {"housekeeping", "long_context", "images", "thinking"})
    pools = set(pools)
    parsed: dict[str, Any] = {}
    if "housekeeping" in section:
        parsed["housekeeping"] = _housekeeping(section["housekeeping"], f"{key}.housekeeping")
    if "long_context" in section:
        sub = f"{key}.long_context"
        raw = mapping(section["long_context"], sub)
        reject_unknown(raw, sub, {"min_tokens", "tier", "pool"})
        min_tokens = positive_int(raw.get("min_tokens"), f"{sub}.min_tokens")
        parsed["long_context"] = LongContext(min_tokens, _target(raw, sub, tiers, pools))
    if "images" in section:
        sub = f"{key}.images"
        raw = mapping(section["images"], sub)
        reject_unknown(raw, sub, {"tier", "pool"})
        parsed["images"] = Images(_target(raw, sub, tiers, pools))
    if "thinking" in section:
        parsed["thinking"] = _thinking(section["thinking"], f"{key}.thinking", tiers)
    return Scenarios(tuple(parsed[name] for name in section))  # asked in the config's order


def _housekeeping(value: Any, key: str) -> Housekeeping:
    raw = mapping(value, key)
    reject_unknown(raw, key, {"max_tokens", "patterns", "client_models", "side_requests"})
    max_tokens = raw.get("max_tokens")
    patterns = raw.get("patterns")
    return Housekeeping(
        side_requests=_side_requests(raw.get("side_requests", True), f"{key}.side_requests"),
        max_tokens=None if max_tokens is None else positive_int(max_tokens, f"{key}.max_tokens"),
        patterns=DEFAULT_HOUSEKEEPING_PATTERNS if patterns is None else tuple(
            p.lower() for p in string_list(patterns, f"{key}.patterns")
        ),
        client_models=frozenset(string_list(raw.get("client_models"), f"{key}.client_models")),
    )


def _side_requests(value: Any, key: str) -> SideRequests | None:
    """`true` (the default signals), `false` (off), or a mapping of the signals to look for."""
    if isinstance(value, bool):
        return SideRequests() if value else None
    raw = mapping(value, key)
    reject_unknown(raw, key, {"min_signals", "no_tools", "output_schema", "markers"})
    markers = raw.get("markers")
    side = SideRequests(
        min_signals=positive_int(raw.get("min_signals", DEFAULT_MIN_SIGNALS), f"{key}.min_signals"),
        no_tools=boolean(raw.get("no_tools", True), f"{key}.no_tools"),
        output_schema=boolean(raw.get("output_schema", True), f"{key}.output_schema"),
        markers=DEFAULT_MARKERS if markers is None else string_list(markers, f"{key}.markers"),
    )
    bad = next((tag for tag in side.markers if not MARKER_NAME.fullmatch(tag)), None)
    if bad is not None:
        raise ConfigError(f"{key}.markers", f"{bad!r} is not a tag name (give `session` for <session>...</session>)")
    if side.min_signals > side.kinds:
        raise ConfigError(f"{key}.min_signals", f"{side.min_signals} signals can never be present: "
                          f"only {side.kinds} are looked for (no_tools, output_schema, markers)")
    return side


def _thinking(value: Any, key: str, tiers: list[str]) -> Thinking:
    raw = mapping(value, key)
    reject_unknown(raw, key, {"min_tier", "efforts", "thinking_types"})
    min_tier = raw.get("min_tier")
    if min_tier not in tiers:
        raise ConfigError(f"{key}.min_tier", f"unknown tier {min_tier!r} (tiers: {', '.join(tiers)})")
    efforts = raw.get("efforts")
    return Thinking(
        min_tier=min_tier,
        efforts=Thinking.efforts if efforts is None else frozenset(
            e.lower() for e in string_list(efforts, f"{key}.efforts")
        ),
        thinking_types=boolean(raw.get("thinking_types", True), f"{key}.thinking_types"),
    )


def _target(raw: dict[str, Any], key: str, tiers: list[str], pools: set[str]) -> Target:
    tier, pool = raw.get("tier"), raw.get("pool")
    if (tier is None) == (pool is None):
        raise ConfigError(key, "give exactly one of `tier` (a tier of this model) or `pool` (a model_list entry)")
    if tier is not None and tier not in tiers:
        raise ConfigError(f"{key}.tier", f"unknown tier {tier!r} (tiers: {', '.join(tiers)})")
    if pool is not None and pool not in pools:
        raise ConfigError(f"{key}.pool", f"unknown pool {pool!r}: not a physical pool in model_list")
    return Target(tier=tier, pool=pool)


def parse_overrides(value: Any, key: str) -> OverrideSettings:
    raw = mapping(value, key)
    reject_unknown(raw, key, {"header", "inline_tag", "allow", "allow_keys", "allow_teams"})
    header = optional_string(raw.get("header"), f"{key}.header") or DEFAULT_HEADER
    return OverrideSettings(
        header=header.lower(),
        inline_tag=boolean(raw.get("inline_tag", True), f"{key}.inline_tag"),
        allow_all=boolean(raw.get("allow", False), f"{key}.allow"),
        allow_keys=frozenset(string_list(raw.get("allow_keys"), f"{key}.allow_keys")),
        allow_teams=frozenset(string_list(raw.get("allow_teams"), f"{key}.allow_teams")),
    )


def parse_session_labels(value: Any, key: str, document: Mapping[str, Any],
                         env: Mapping[str, str] = os.environ) -> SessionLabels:
    """sessions.label_key, else the proxy's master key (config, then LITELLM_MASTER_KEY): a secret
    every replica of a deployment shares, so one session has one label on all of them."""
    secret = optional_string(mapping(value, key).get("label_key"), f"{key}.label_key")
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


def parse_redis(value: Any, key: str, env: Any = os.environ) -> RedisSettings:
    raw = mapping(value, key)
    reject_unknown(raw, key, {"enabled", "key_prefix", "timeout_ms", "retry_seconds", "local_max_sessions"})
    enabled = boolean(raw.get("enabled", True), f"{key}.enabled")
    try:
        connection = RedisConnection.from_env(env) if enabled else None
    except ValueError as exc:
        raise ConfigError(key, f"environment: {exc}") from None
    return RedisSettings(
        connection=connection,
        key_prefix=optional_string(raw.get("key_prefix"), f"{key}.key_prefix") or RedisSettings.key_prefix,
        timeout_ms=number(raw.get("timeout_ms", RedisSettings.timeout_ms), f"{key}.timeout_ms", minimum=1),
        retry_seconds=number(raw.get("retry_seconds", RedisSettings.retry_seconds), f"{key}.retry_seconds", 0.1),
        local_max_sessions=positive_int(
            raw.get("local_max_sessions", RedisSettings.local_max_sessions), f"{key}.local_max_sessions"
        ),
    )


def parse_prices(value: Any, key: str, pools: Iterable[str]) -> dict[str, Price]:
    raw = mapping(value, key)
    known = set(pools)
    prices = {}
    for pool, spec in raw.items():
        sub = f"{key}.{pool}"
        if pool not in known:
            raise ConfigError(sub, f"unknown pool {pool!r}: not a model_name in model_list")
        spec = mapping(spec, sub)
        reject_unknown(spec, sub, {"input", "output"})
        prices[pool] = Price(
            input=number(spec.get("input"), f"{sub}.input", minimum=0),
            output=number(spec.get("output", 0), f"{sub}.output", minimum=0),
        )
    return prices
