"""Config for conversations: sticky, scenarios, overrides, redis, prices, sessions, shadow; errors name the key."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.support.stack import CONFIG
from vibe_router.config import ConfigError, RouterConfig, parse_config
from vibe_router.config_conversation import Price, Sticky, parse_redis
from vibe_router.overrides import OverrideSettings
from vibe_router.redis_connection import RedisConnection
from vibe_router.scenarios import DEFAULT_HOUSEKEEPING_PATTERNS, Target
from vibe_router.sessions import RedisSettings

DOCUMENT = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
VM = "vibe_router.virtual_models"
Change = Callable[[dict[str, Any]], None]


def parsed(change: Change | None = None) -> RouterConfig:
    document = copy.deepcopy(DOCUMENT)
    if change is not None:
        change(document)
    return parse_config(document)


def section(document: dict[str, Any]) -> dict[str, Any]:
    return document["vibe_router"]


def model(document: dict[str, Any], name: str = "auto-chat") -> dict[str, Any]:
    return document["vibe_router"]["virtual_models"][name]


def error_key(change: Change) -> str:
    with pytest.raises(ConfigError) as caught:
        parsed(change)
    assert str(caught.value).startswith(caught.value.key + ": ")
    return caught.value.key


# ------------------------------------------------------------------------------ the repo's config

def test_repo_config_conversation_settings() -> None:
    config = parsed()
    chat, codex, claude = (config.virtual_models[name] for name in ("auto-chat", "auto-codex", "auto-claude"))
    assert (chat.sticky, codex.sticky) == (Sticky("escalate_only", 1800.0), Sticky("escalate_only", 3600.0))
    assert chat.scenarios.housekeeping is not None and chat.scenarios.housekeeping.max_tokens == 16
    assert chat.scenarios.housekeeping.patterns == DEFAULT_HOUSEKEEPING_PATTERNS
    assert chat.scenarios.long_context is not None and chat.scenarios.long_context.target == Target(tier="standard")
    assert chat.scenarios.images.target == Target(tier="standard") and codex.scenarios.images is None
    assert chat.scenarios.thinking is None and claude.scenarios.thinking is None
    assert codex.scenarios.thinking is not None
    assert (codex.scenarios.thinking.min_tier, codex.scenarios.thinking.efforts) == ("standard", {"high", "xhigh"})
    assert claude.scenarios.housekeeping is not None
    assert "claude-haiku-4-5-20251001" in claude.scenarios.housekeeping.client_models
    assert config.overrides == OverrideSettings()
    assert config.session_header == "x-session-id"
    assert config.prices["pool-claude-sonnet"] == Price(3.0, 15.0)
    assert (config.redis.key_prefix, config.redis.timeout_ms, config.redis.retry_seconds) == ("vibe-router:", 250, 5)
    assert {vm.shadow for vm in config.virtual_models.values()} == {False}


def test_sections_are_optional() -> None:
    def strip(document: dict[str, Any]) -> None:
        for key in ("redis", "sessions", "overrides", "prices", "shadow"):
            section(document).pop(key)
        for spec in section(document)["virtual_models"].values():
            spec.pop("sticky")
            spec.pop("scenarios")

    config = parsed(strip)
    chat = config.virtual_models["auto-chat"]
    assert (chat.sticky, chat.scenarios.housekeeping, chat.shadow) == (Sticky(), None, False)
    assert (config.overrides, config.prices, config.session_header) == (OverrideSettings(), {}, None)


def test_overrides_are_parsed() -> None:
    def change(document: dict[str, Any]) -> None:
        section(document)["overrides"] = {"header": "X-Force", "inline_tag": False, "allow": True,
                                          "allow_keys": ["ci-bot"], "allow_teams": ["platform"]}

    assert parsed(change).overrides == OverrideSettings(
        header="x-force", inline_tag=False, allow_all=True,
        allow_keys=frozenset({"ci-bot"}), allow_teams=frozenset({"platform"}),
    )


def test_housekeeping_patterns_are_lowercased_and_thinking_efforts_too() -> None:
    def change(document: dict[str, Any]) -> None:
        model(document)["scenarios"]["housekeeping"] = {"patterns": ["Write A Title"]}
        thinking = {"min_tier": "standard", "efforts": ["HIGH"], "thinking_types": False}
        model(document)["scenarios"]["thinking"] = thinking

    scenarios = parsed(change).virtual_models["auto-chat"].scenarios
    assert scenarios.housekeeping is not None and scenarios.housekeeping.patterns == ("write a title",)
    assert scenarios.thinking is not None
    assert (scenarios.thinking.efforts, scenarios.thinking.thinking_types) == ({"high"}, False)


def test_scenario_pool_outside_the_ladder() -> None:
    def change(document: dict[str, Any]) -> None:
        document["model_list"].append({"model_name": "pool-vision", "litellm_params": {"model": "x/y"}})
        model(document)["scenarios"]["images"] = {"pool": "pool-vision"}

    assert parsed(change).virtual_models["auto-chat"].scenarios.images.target == Target(pool="pool-vision")


# ------------------------------------------------------------------------------ errors name the key

def setter(*path: str, value: Any) -> Change:
    """Set vibe_router.<path> (creating mappings on the way)."""

    def change(document: dict[str, Any]) -> None:
        node = section(document)
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value

    return change


def vm_setter(*path: str, value: Any) -> Change:
    return setter("virtual_models", "auto-chat", *path, value=value)


CHAT = f"{VM}.auto-chat"
ERRORS = [
    # sticky
    (vm_setter("sticky", "mode", value="sometimes"), f"{CHAT}.sticky.mode"),
    (vm_setter("sticky", "mode", value=None), f"{CHAT}.sticky.mode"),
    (vm_setter("sticky", "ttl_seconds", value=0), f"{CHAT}.sticky.ttl_seconds"),
    (vm_setter("sticky", "ttl_seconds", value=-60), f"{CHAT}.sticky.ttl_seconds"),
    (vm_setter("sticky", "ttl_seconds", value=0.5), f"{CHAT}.sticky.ttl_seconds"),
    (vm_setter("sticky", "ttl_seconds", value="1800"), f"{CHAT}.sticky.ttl_seconds"),
    (vm_setter("sticky", "ttl_seconds", value=float("inf")), f"{CHAT}.sticky.ttl_seconds"),
    (vm_setter("sticky", "idle", value=5), f"{CHAT}.sticky.idle"),
    (vm_setter("sticky", value="pin"), f"{CHAT}.sticky"),
    # scenarios
    (vm_setter("scenarios", "long_context", value={"min_tokens": 10, "tier": "standard", "pool": "pool-chat-mini"}),
     f"{CHAT}.scenarios.long_context"),
    (vm_setter("scenarios", "long_context", value={"min_tokens": 10}), f"{CHAT}.scenarios.long_context"),
    (vm_setter("scenarios", "images", value={"tier": "cheap", "pool": "pool-chat-mini"}), f"{CHAT}.scenarios.images"),
    (vm_setter("scenarios", "images", value={}), f"{CHAT}.scenarios.images"),
    (vm_setter("scenarios", "images", value={"tier": "premium"}), f"{CHAT}.scenarios.images.tier"),
    (vm_setter("scenarios", "long_context", value={"min_tokens": 10, "tier": "Standard"}),
     f"{CHAT}.scenarios.long_context.tier"),
    (vm_setter("scenarios", "images", value={"pool": "pool-nope"}), f"{CHAT}.scenarios.images.pool"),
    (vm_setter("scenarios", "long_context", value={"min_tokens": 10, "pool": "pool-nope"}),
     f"{CHAT}.scenarios.long_context.pool"),
    (vm_setter("scenarios", "long_context", value={"min_tokens": 0, "tier": "standard"}),
     f"{CHAT}.scenarios.long_context.min_tokens"),
    (vm_setter("scenarios", "long_context", value={"tier": "standard"}), f"{CHAT}.scenarios.long_context.min_tokens"),
    (vm_setter("scenarios", "long_context", value={"min_tokens": 10, "tier": "standard", "max": 1}),
     f"{CHAT}.scenarios.long_context.max"),
    (vm_setter("scenarios", "thinking", value={"min_tier": "premium"}), f"{CHAT}.scenarios.thinking.min_tier"),
    (vm_setter("scenarios", "thinking", value={}), f"{CHAT}.scenarios.thinking.min_tier"),
    (vm_setter("scenarios", "thinking", value={"min_tier": "standard", "efforts": "high"}),
     f"{CHAT}.scenarios.thinking.efforts"),
    (vm_setter("scenarios", "thinking", value={"min_tier": "standard", "thinking_types": "yes"}),
     f"{CHAT}.scenarios.thinking.thinking_types"),
    (vm_setter("scenarios", "housekeeping", value={"max_tokens": 0}), f"{CHAT}.scenarios.housekeeping.max_tokens"),
    (vm_setter("scenarios", "housekeeping", value={"patterns": "title"}), f"{CHAT}.scenarios.housekeeping.patterns"),
    (vm_setter("scenarios", "housekeeping", value={"client_models": [""]}),
     f"{CHAT}.scenarios.housekeeping.client_models"),
    (vm_setter("scenarios", "housekeeping", value={"models": ["x"]}), f"{CHAT}.scenarios.housekeeping.models"),
    (vm_setter("scenarios", "web_search", value={"tier": "standard"}), f"{CHAT}.scenarios.web_search"),
    (vm_setter("scenarios", value=["images"]), f"{CHAT}.scenarios"),
    # overrides
    (setter("overrides", "allow", value="yes"), "vibe_router.overrides.allow"),
    (setter("overrides", "inline_tag", value=1), "vibe_router.overrides.inline_tag"),
    (setter("overrides", "allow_keys", value="ci-bot"), "vibe_router.overrides.allow_keys"),
    (setter("overrides", "allow_keys", value=[None]), "vibe_router.overrides.allow_keys"),
    (setter("overrides", "allow_teams", value=[7]), "vibe_router.overrides.allow_teams"),
    (setter("overrides", "header", value=""), "vibe_router.overrides.header"),
    (setter("overrides", "header", value=["x-a"]), "vibe_router.overrides.header"),
    (setter("overrides", "allow_users", value=["u"]), "vibe_router.overrides.allow_users"),
    (setter("overrides", value=True), "vibe_router.overrides"),
    # prices
    (setter("prices", "pool-nope", value={"input": 1, "output": 1}), "vibe_router.prices.pool-nope"),
    (setter("prices", "pool-chat-mini", value={"input": -0.1, "output": 1}), "vibe_router.prices.pool-chat-mini.input"),
    (setter("prices", "pool-chat-mini", value={"input": 1, "output": -1}), "vibe_router.prices.pool-chat-mini.output"),
    (setter("prices", "pool-chat-mini", value={"output": 1}), "vibe_router.prices.pool-chat-mini.input"),
    (setter("prices", "pool-chat-mini", value={"input": "cheap"}), "vibe_router.prices.pool-chat-mini.input"),
    (setter("prices", "pool-chat-mini", value={"input": 1, "cached": 0.1}), "vibe_router.prices.pool-chat-mini.cached"),
    (setter("prices", "pool-chat-mini", value=0.25), "vibe_router.prices.pool-chat-mini"),
    (setter("prices", value=[1, 2]), "vibe_router.prices"),
    # redis
    (setter("redis", "timeout_ms", value=0), "vibe_router.redis.timeout_ms"),
    (setter("redis", "timeout_ms", value=0.5), "vibe_router.redis.timeout_ms"),
    (setter("redis", "timeout_ms", value="20"), "vibe_router.redis.timeout_ms"),
    (setter("redis", "retry_seconds", value=0), "vibe_router.redis.retry_seconds"),
    (setter("redis", "local_max_sessions", value=0), "vibe_router.redis.local_max_sessions"),
    (setter("redis", "enabled", value="no"), "vibe_router.redis.enabled"),
    (setter("redis", "key_prefix", value=""), "vibe_router.redis.key_prefix"),
    (setter("redis", "url", value="redis://x"), "vibe_router.redis.url"),
    # sessions, shadow
    (setter("sessions", "header", value=""), "vibe_router.sessions.header"),
    (setter("sessions", value="x-session-id"), "vibe_router.sessions"),
    (setter("shadow", value="on"), "vibe_router.shadow"),
    (vm_setter("shadow", value=1), f"{CHAT}.shadow"),
    (setter("conversations", value={}), "vibe_router.conversations"),
    # a virtual model is not a physical pool, and sessions take only known keys
    pytest.param(
        setter("sessions", "headers", value="x-team-session"), "vibe_router.sessions.headers",
    ),
    pytest.param(
        vm_setter("scenarios", "images", value={"pool": "auto-codex"}), f"{CHAT}.scenarios.images.pool",
    ),
]


@pytest.mark.parametrize(("change", "key"), ERRORS, ids=[
    (case.values[1] if hasattr(case, "values") else case[1]).removeprefix("vibe_router.") + f"#{index}"
    for index, case in enumerate(ERRORS)
])
def test_errors_name_the_key(change: Change, key: str) -> None:
    assert error_key(change) == key


def test_sticky_error_names_the_other_virtual_model() -> None:
    assert error_key(setter("virtual_models", "auto-codex", "sticky", "mode", value="max")) == (
        f"{VM}.auto-codex.sticky.mode")


def test_error_messages_say_what_is_allowed() -> None:
    with pytest.raises(ConfigError, match="escalate_only, pin, off"):
        parsed(vm_setter("sticky", "mode", value="sometimes"))
    with pytest.raises(ConfigError, match="give exactly one of `tier`"):
        parsed(vm_setter("scenarios", "images", value={}))
    with pytest.raises(ConfigError, match=r"unknown tier 'premium' \(tiers: cheap, standard\)"):
        parsed(vm_setter("scenarios", "thinking", value={"min_tier": "premium"}))


# ------------------------------------------------------------------------------ redis from the environment

def test_redis_disabled_gives_no_connection_even_with_redis_host() -> None:
    env = {"REDIS_HOST": "redis", "REDIS_URL": "redis://elsewhere:6379/0"}
    assert parse_redis({"enabled": False}, "vibe_router.redis", env=env).connection is None


@pytest.mark.parametrize(
    ("env", "connection"),
    [
        ({}, None),
        ({"REDIS_HOST": "redis"}, RedisConnection(host="redis")),
        ({"REDIS_HOST": "redis", "REDIS_PORT": "6380", "REDIS_PASSWORD": "p/w#x@y:z"},
         RedisConnection(host="redis", port=6380, password="p/w#x@y:z")),
        ({"REDIS_URL": "rediss://cache:6390/2", "REDIS_HOST": "redis"}, RedisConnection(url="rediss://cache:6390/2")),
        ({"REDIS_HOST": "", "REDIS_PORT": "6380"}, None),
        ({"REDIS_HOST": "r", "REDIS_DB": "3", "REDIS_USERNAME": "app", "REDIS_SSL": "True",
          "REDIS_SSL_CA_CERTS": "/ca.pem", "REDIS_SSL_CERT_REQS": "none", "REDIS_SSL_CHECK_HOSTNAME": "false"},
         RedisConnection(host="r", db=3, username="app", ssl=True, ssl_options=(
             ("ssl_ca_certs", "/ca.pem"), ("ssl_cert_reqs", "none"), ("ssl_check_hostname", False)))),
    ],
)
def test_redis_connection_from_the_environment(env: dict[str, str], connection: RedisConnection | None) -> None:
    assert parse_redis({}, "vibe_router.redis", env=env).connection == connection
    assert parse_redis(None, "vibe_router.redis", env=env).connection == connection


def test_a_password_is_passed_as_it_is_and_never_shown() -> None:
    connection = parse_redis({}, "vibe_router.redis", env={"REDIS_HOST": "h", "REDIS_PASSWORD": "p/w#x@y"}).connection
    assert connection is not None
    assert connection.client_arguments()["password"] == "p/w#x@y"
    assert "p/w" not in repr(connection) and "p/w" not in connection.describe()
    from_url = RedisConnection(url="redis://:secret@cache:6390/2")
    assert from_url.describe() == "redis://cache:6390/2" and "secret" not in repr(from_url)
    assert RedisConnection(url="rediss://cache:6390/0?password=secret").describe() == "rediss://cache:6390/0"
    assert RedisConnection(url="unix:///run/redis.sock").describe() == "unix:///run/redis.sock"


def test_a_bad_redis_port_names_the_variable() -> None:
    with pytest.raises(ConfigError) as error:
        parse_redis({}, "vibe_router.redis", env={"REDIS_HOST": "h", "REDIS_PORT": "six"})
    assert error.value.key == "vibe_router.redis" and "REDIS_PORT" in error.value.message


def test_redis_settings_are_parsed() -> None:
    settings = parse_redis(
        {"key_prefix": "vr:", "timeout_ms": 50, "retry_seconds": 1, "local_max_sessions": 10}, "redis", env={}
    )
    assert settings == RedisSettings(key_prefix="vr:", timeout_ms=50, retry_seconds=1, local_max_sessions=10)


def test_session_labels_come_from_a_secret_every_replica_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    document = yaml.safe_load(CONFIG.read_text())  # general_settings.master_key: os.environ/LITELLM_MASTER_KEY
    monkeypatch.setenv("LITELLM_MASTER_KEY", "sk-deployment-a")
    one, two = parse_config(copy.deepcopy(document)), parse_config(copy.deepcopy(document))
    assert one.session_labels == two.session_labels  # two replicas: one label per session
    assert one.session_labels.source == "general_settings.master_key"
    monkeypatch.setenv("LITELLM_MASTER_KEY", "sk-deployment-b")
    assert parse_config(copy.deepcopy(document)).session_labels.key != one.session_labels.key

    document["vibe_router"]["sessions"]["label_key"] = "os.environ/LABEL_KEY"
    with pytest.raises(ConfigError) as error:
        parse_config(copy.deepcopy(document))
    assert error.value.key == "vibe_router.sessions.label_key"
    monkeypatch.setenv("LABEL_KEY", "shared by the replicas")
    assert parse_config(copy.deepcopy(document)).session_labels.source == "sessions.label_key"

    del document["vibe_router"]["sessions"]["label_key"]
    del document["general_settings"]
    assert parse_config(copy.deepcopy(document)).session_labels.source == "LITELLM_MASTER_KEY"
    monkeypatch.delenv("LITELLM_MASTER_KEY")
    alone = parse_config(copy.deepcopy(document)).session_labels
    assert alone.source == "per-process" and alone != parse_config(copy.deepcopy(document)).session_labels
