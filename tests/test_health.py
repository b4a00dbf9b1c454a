"""Pool health in process: when a pool cools down, what the router does meanwhile, what counts as its fault."""

from __future__ import annotations

import asyncio
import datetime
import time
from typing import Any

import httpx
import litellm
import pytest

from tests.support.logs import Captured
from tests.support.routing import COMPLEX, DOCUMENT, Change, chat, decide, make_router, overrides
from vibe_router.config import ConfigError, parse_config
from vibe_router.health import HealthSettings, PoolHealth, parse_health
from vibe_router.plugin import VibeRouter, pool_fault
from vibe_router.sessions import RedisSettings, SessionStore

CHEAP, STANDARD = "pool-chat-mini", "pool-chat-standard"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def health(**settings: Any) -> tuple[PoolHealth, Clock]:
    clock = Clock()
    return PoolHealth(HealthSettings(**settings), clock), clock


# ------------------------------------------------------------------------------ PoolHealth

def test_a_pool_cools_down_after_the_configured_failures_in_a_row() -> None:
    pools, _ = health(failures=3)
    assert pools.failed(CHEAP, "Timeout") is None
    assert pools.failed(CHEAP, "Timeout") is None
    assert pools.available(CHEAP)
    change = pools.failed(CHEAP, "Timeout")
    assert change is not None and (change.kind, change.failures, change.cooldown_seconds) == ("cooldown", 3, 30.0)
    assert not pools.available(CHEAP)
    assert pools.available(STANDARD)


def test_a_success_ends_a_run_of_failures() -> None:
    pools, _ = health(failures=2)
    pools.failed(CHEAP, "Timeout")
    assert pools.succeeded(CHEAP) is None  # not cooling down: nothing to report
    assert pools.failed(CHEAP, "Timeout") is None
    assert pools.available(CHEAP)


def test_late_failures_during_a_cooldown_do_not_extend_it() -> None:
    pools, clock = health(failures=1, cooldown_seconds=10)
    pools.failed(CHEAP, "Timeout")
    clock.now += 5
    assert pools.failed(CHEAP, "Timeout") is None  # a request let in before the cooldown began
    clock.now += 5
    assert pools.available(CHEAP)


def test_one_probe_at_the_end_of_a_cooldown_and_a_failed_probe_doubles_it() -> None:
    pools, clock = health(failures=1, cooldown_seconds=10, max_cooldown_seconds=25)
    pools.failed(CHEAP, "APIConnectionError")
    clock.now += 10
    assert pools.available(CHEAP)  # the probe
    assert not pools.available(CHEAP)  # everyone else, while the probe is out
    change = pools.failed(CHEAP, "APIConnectionError")
    assert change is not None and change.cooldown_seconds == 20
    clock.now += 19.9
    assert not pools.available(CHEAP)
    clock.now += 0.1
    assert pools.available(CHEAP)
    change = pools.failed(CHEAP, "APIConnectionError")
    assert change is not None and change.cooldown_seconds == 25  # capped


def test_a_successful_probe_ends_the_cooldown() -> None:
    pools, clock = health(failures=2, cooldown_seconds=10)
    pools.failed(CHEAP, "Timeout")
    pools.failed(CHEAP, "Timeout")
    clock.now += 10
    assert pools.available(CHEAP)
    change = pools.succeeded(CHEAP)
    assert change is not None and (change.kind, change.failures) == ("recovered", 2)
    assert pools.available(CHEAP) and pools.available(CHEAP)
    assert pools.cooling() == {}


def test_a_lost_probe_holds_the_pool_back_for_one_more_cooldown_only() -> None:
    pools, clock = health(failures=1, cooldown_seconds=10)
    pools.failed(CHEAP, "Timeout")
    clock.now += 10
    assert pools.available(CHEAP)  # its outcome never arrives
    clock.now += 10
    assert pools.available(CHEAP)


def test_disabled_health_never_cools_a_pool() -> None:
    pools, _ = health(enabled=False, failures=1)
    assert pools.failed(CHEAP, "Timeout") is None
    assert pools.available(CHEAP)


def test_settings_are_checked_with_their_key() -> None:
    assert parse_health(None, "vibe_router.health") == HealthSettings()
    with pytest.raises(ConfigError) as raised:
        parse_health({"failures": 0}, "vibe_router.health")
    assert raised.value.key == "vibe_router.health.failures"
    with pytest.raises(ConfigError) as raised:
        parse_health({"cooldown_seconds": 60, "max_cooldown_seconds": 30}, "vibe_router.health")
    assert raised.value.key == "vibe_router.health.max_cooldown_seconds"
    with pytest.raises(ConfigError) as raised:
        parse_health({"cooldown": 60}, "vibe_router.health")
    assert raised.value.key == "vibe_router.health.cooldown"


def test_the_shipped_config_turns_health_on() -> None:
    settings = parse_config(DOCUMENT).health
    assert settings.enabled and settings.failures == 2 and settings.cooldown_seconds == 30


# ------------------------------------------------------------------------------ the router

def cool(router: Any, pool: str = CHEAP) -> None:
    for _ in range(router.health.settings.failures):
        router.health.failed(pool, "Timeout")


def test_a_cooling_pool_sends_its_requests_to_the_next_tier_up() -> None:
    router = make_router()
    cool(router)
    decisions = decide(router, chat("hi", session="a"), chat(COMPLEX, session="b"))
    assert decisions == [("standard", "health"), ("standard", "score")]


def test_health_is_not_stored_in_the_session() -> None:
    router = make_router()
    cool(router)
    assert decide(router, chat("hi")) == [("standard", "health")]
    router.health.succeeded(CHEAP)
    assert decide(router, chat("hi")) == [("cheap", "score")]  # escalate_only did not keep it up


def test_when_every_tier_above_is_cooling_the_decision_stands() -> None:
    router = make_router()
    cool(router, CHEAP)
    cool(router, STANDARD)
    assert decide(router, chat("hi")) == [("cheap", "score")]


def test_an_override_to_a_cooling_pool_goes_up_too() -> None:
    router = make_router(overrides(allow=True))
    cool(router)
    assert decide(router, chat("hi", headers={"x-vibe-route": "cheap"})) == [("standard", "health")]


def test_health_settings_off_keeps_every_decision() -> None:
    off: Change = lambda document: document["vibe_router"].update(health={"enabled": False})  # noqa: E731
    router = make_router(off)
    cool(router)
    assert decide(router, chat("hi")) == [("cheap", "score")]


# ------------------------------------------------------------------------------ the plugin's callbacks

REQUEST = httpx.Request("POST", "http://upstream/v1/chat/completions")


def behind(outer: Exception, inner: BaseException) -> Exception:
    """`outer` raised from `inner`, as LiteLLM chains what the HTTP client raised."""
    outer.__cause__ = inner
    return outer


def answered(status: int) -> httpx.HTTPStatusError:
    return httpx.HTTPStatusError("upstream", request=REQUEST, response=httpx.Response(status, request=REQUEST))


@pytest.mark.parametrize(("exception", "counted"), [
    (litellm.Timeout("no answer", model="m", llm_provider="openai"), "Timeout"),
    (behind(litellm.InternalServerError("Connection error.", llm_provider="openai", model="m"),
            httpx.ConnectError("refused", request=REQUEST)), "ConnectError"),
    (behind(litellm.ServiceUnavailableError("down", llm_provider="openai", model="m"), answered(503)), "HTTP_503"),
    (behind(litellm.RateLimitError("slow down", llm_provider="openai", model="m"), answered(429)), "HTTP_429"),
    (behind(litellm.AuthenticationError("bad key", llm_provider="openai", model="m"), answered(401)), "HTTP_401"),
    (behind(litellm.BadRequestError("bad body", model="m", llm_provider="openai"), answered(400)), None),
    # LiteLLM's own error before any upstream call, reported as a 500 all the same
    (behind(litellm.APIConnectionError("Unmapped prompt format", llm_provider="openai", model="m"),
            Exception("Unmapped prompt format")), None),
    (litellm.ContextWindowExceededError("too long", model="m", llm_provider="openai"), None),
    (None, None),
], ids=["timeout", "refused", "503", "429", "401", "400", "litellm-itself", "context-window", "none"])
def test_only_the_pools_own_failures_count(exception: Exception | None, counted: str | None) -> None:
    assert pool_fault(exception) == counted


def failure_event(pool: str, exception: Exception) -> dict[str, Any]:
    return {"exception": exception, "standard_logging_object": {"model_group": pool}, "litellm_params": {}}


def test_failure_events_cool_a_pool_and_a_success_recovers_it(captured: Captured) -> None:
    document = {**DOCUMENT, "vibe_router": {**DOCUMENT["vibe_router"], "health": {"cooldown_seconds": 0.2}}}
    plugin = VibeRouter(parse_config(document), SessionStore(RedisSettings()))
    now = datetime.datetime.now()
    timeout = litellm.Timeout("no answer", model="gpt-5-mini", llm_provider="openai")

    async def events() -> None:
        for _ in range(2):
            await plugin.async_log_failure_event(failure_event(CHEAP, timeout), None, now, now)
        await plugin.async_log_failure_event(
            failure_event("auto-chat", timeout), None, now, now)  # the virtual deployment: not a ladder pool
        await plugin.async_log_success_event({"standard_logging_object": {"model_group": STANDARD}}, None, now, now)

    asyncio.run(events())
    assert not plugin.router.health.available(CHEAP)
    assert plugin.router.health.available(STANDARD)
    assert any(line.startswith("POOL COOLDOWN pool=pool-chat-mini failures=2 error=Timeout cooldown_s=0.2")
               for line in captured.lines)
    time.sleep(0.25)
    assert plugin.router.health.available(CHEAP)  # the cooldown is over: this request is the probe

    async def recovered() -> None:
        await plugin.async_log_success_event({"standard_logging_object": {"model_group": CHEAP}}, None, now, now)

    asyncio.run(recovered())
    assert any(line.startswith("POOL RECOVERED pool=pool-chat-mini") for line in captured.lines)
    assert plugin.router.health.cooling() == {}


def test_a_bad_config_value_names_its_key() -> None:
    document = {**DOCUMENT, "vibe_router": {**DOCUMENT["vibe_router"], "health": {"failures": "two"}}}
    with pytest.raises(ConfigError) as raised:
        parse_config(document)
    assert raised.value.key == "vibe_router.health.failures"
