"""Shadow mode in the adapter (decide and tell, never rewrite) and `vibe-router stats` arithmetic."""

from __future__ import annotations

import asyncio
import copy
from datetime import datetime, timedelta
from typing import Any

import pytest
import yaml

from tests.support.hooks import hook
from tests.support.logs import Captured
from tests.support.redis_server import RedisServer
from tests.support.stack import CONFIG
from vibe_router.config import RouterConfig, parse_config
from vibe_router.config_conversation import Price
from vibe_router.plugin import METADATA_KEY, VibeRouter, pool_prices
from vibe_router.redis_connection import RedisConnection
from vibe_router.sessions import RedisSettings, SessionStore
from vibe_router_tools.stats import ModelStats, read_counters, render, summarize

DOCUMENT = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
COMPLEX = "Implement a distributed consensus algorithm"


def config(global_shadow: bool = False, **per_model: bool) -> RouterConfig:
    document = copy.deepcopy(DOCUMENT)
    document["vibe_router"]["shadow"] = global_shadow
    for name, shadow in per_model.items():
        document["vibe_router"]["virtual_models"][name.replace("_", "-")]["shadow"] = shadow
    return parse_config(document)


def plugin(cfg: RouterConfig) -> VibeRouter:
    return VibeRouter(cfg, SessionStore(RedisSettings()))


def headers_for(router: VibeRouter, data: dict[str, Any]) -> dict[str, str]:
    return asyncio.run(router.async_post_call_response_headers_hook(data, None, None))


def chat(text: str, model: str = "auto-chat") -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}], "metadata": {}}


# ------------------------------------------------------------------------------ shadow mode

def test_config_shadow_defaults_and_inheritance() -> None:
    assert {vm.shadow for vm in config().virtual_models.values()} == {False}
    assert {vm.shadow for vm in config(True).virtual_models.values()} == {True}
    mixed = config(True, auto_chat=False)
    assert {name: vm.shadow for name, vm in mixed.virtual_models.items()} == {
        "auto-chat": False, "auto-codex": True, "auto-claude": True}
    assert config(auto_codex=True).virtual_models["auto-codex"].shadow is True


@pytest.mark.parametrize("cfg", [config(True), config(auto_chat=True)], ids=["global", "per-model"])
def test_shadow_decides_but_does_not_rewrite(cfg: RouterConfig, captured: Captured) -> None:
    router = plugin(cfg)
    data = hook(router, chat(COMPLEX))
    assert data["model"] == "auto-chat"
    record = data["metadata"][METADATA_KEY]
    assert record["shadow"] is True
    assert (record["pool"], record["tier"], record["decided_by"]) == ("pool-chat-standard", "standard", "score")
    headers = headers_for(router, data)
    assert headers["x-vibe-router-mode"] == "shadow"
    assert headers["x-vibe-router-pool"] == "pool-chat-standard"
    lines = [line for line in captured.lines if line.startswith("ROUTING DECISION")]
    assert len(lines) == 1
    assert "mode=shadow" in lines[0].split()
    assert "pool=pool-chat-standard" in lines[0].split()


@pytest.mark.parametrize(
    ("call_type", "body", "field", "pool"),
    [
        ("anthropic_messages", chat("hi", "auto-claude"), "litellm_metadata", "pool-claude-haiku"),
        ("aresponses", {"model": "auto-codex", "input": "hi"}, "litellm_metadata", "pool-codex-mini"),
        ("atext_completion", {"model": "auto-chat", "prompt": "hi"}, "metadata", "pool-chat-mini"),
    ],
)
def test_shadow_in_every_wire_format(call_type: str, body: dict[str, Any], field: str, pool: str) -> None:
    router = plugin(config(True))
    data = hook(router, copy.deepcopy(body), call_type)
    assert data["model"] == body["model"]
    assert (data[field][METADATA_KEY]["pool"], data[field][METADATA_KEY]["shadow"]) == (pool, True)
    assert headers_for(router, data)["x-vibe-router-mode"] == "shadow"


def test_shadow_for_one_model_leaves_the_others_live(captured: Captured) -> None:
    router = plugin(config(auto_codex=True))
    live = hook(router, chat(COMPLEX))
    assert live["model"] == "pool-chat-standard"
    assert live["metadata"][METADATA_KEY]["shadow"] is False
    assert "x-vibe-router-mode" not in headers_for(router, live)
    assert not any("mode=shadow" in line for line in captured.lines)


def test_shadow_client_model_alias_keeps_the_requested_name() -> None:
    router = plugin(config(True))
    data = hook(router, chat("hi", "claude-haiku-4-5-20251001"), "anthropic_messages")
    assert data["model"] == "claude-haiku-4-5-20251001"
    record = data["litellm_metadata"][METADATA_KEY]
    assert (record["virtual_model"], record["pool"], record["shadow"]) == ("auto-claude", "pool-claude-haiku", True)


def test_shadow_strips_inline_tags_like_live_mode() -> None:
    router = plugin(config(True))
    data = hook(router, chat("hi [[route:standard]]"))
    assert data["messages"][0]["content"] == "hi"
    assert data["model"] == "auto-chat"


def test_shadow_still_keeps_session_state_and_counts() -> None:
    router = plugin(config(True))
    store = router.router.store

    async def run() -> list[dict[str, Any]]:
        records = []
        for text in (COMPLEX, "hi"):
            data = {**chat(text), "metadata": {"headers": {"x-session-id": "shadow-1"}}}
            await router.async_pre_call_hook(None, None, data, "acompletion")
            records.append(data["metadata"][METADATA_KEY])
        await router.router.flush_counters()
        return records

    records = asyncio.run(run())
    assert [(r["tier"], r["decided_by"]) for r in records] == [
        ("standard", "score"), ("standard", "sticky:escalate_only")]
    counters = store.local.counters[store.key("stats", "auto-chat")]
    assert (counters["decisions"], counters["tier:standard"]) == (2, 2)


# ------------------------------------------------------------------------------ stats

PRICES = {  # config_final.yaml's prices
    "pool-chat-mini": Price(input=0.25, output=2.0),
    "pool-chat-standard": Price(input=1.25, output=10.0),
}
COUNTERS = {
    "decisions": 10,
    "tier:cheap": 7,
    "tier:standard": 3,
    "by:score": 8,
    "by:sticky:escalate_only": 2,
    "overrides": 1,
    "fail_open": 1,
    "tokens_in:pool-chat-mini": 400_000,
    "tokens_out:pool-chat-mini": 100_000,
    "tokens_in:pool-chat-standard": 200_000,
    "tokens_out:pool-chat-standard": 50_000,
    "tokens_in_estimate:pool-chat-mini": 123,
}


def chat_model() -> Any:
    return config().virtual_models["auto-chat"]


def test_config_final_prices_are_the_ones_used_here() -> None:
    assert {pool: config().prices[pool] for pool in PRICES} == PRICES


def test_summarize_cheap_share_cost_and_saving() -> None:
    stats = summarize(chat_model(), COUNTERS, PRICES)
    assert stats.tiers == {"cheap": 7, "standard": 3}
    assert stats.decided_by == {"score": 8, "sticky:escalate_only": 2}
    assert stats.cheap_share == pytest.approx(0.7)
    # mini: 0.4M in x $0.25 + 0.1M out x $2 = 0.10 + 0.20 = 0.30
    # standard: 0.2M in x $1.25 + 0.05M out x $10 = 0.25 + 0.50 = 0.75
    assert stats.cost == pytest.approx(1.05)
    # all on standard: 0.6M in x $1.25 + 0.15M out x $10 = 0.75 + 1.50 = 2.25
    assert stats.baseline_cost == pytest.approx(2.25)
    assert stats.saving == pytest.approx(1 - 1.05 / 2.25)  # 53.3 %
    assert stats.to_json() == {
        "virtual_model": "auto-chat", "decisions": 10, "tiers": {"cheap": 7, "standard": 3},
        "decided_by": {"score": 8, "sticky:escalate_only": 2}, "overrides": 1, "fail_open": 1, "failures": {},
        "cheap_share": pytest.approx(0.7), "cost_usd": pytest.approx(1.05), "cost_source": "prices",
        "all_standard_cost_usd": pytest.approx(2.25), "estimated_saving": pytest.approx(0.5333, abs=1e-4),
    }


def test_render_lines() -> None:
    assert render([summarize(chat_model(), COUNTERS, PRICES)]).splitlines() == [
        "auto-chat: 10 decisions",
        "  tiers        cheap 7, standard 3",
        "  decided by   score 8, sticky:escalate_only 2",
        "  overrides 1, fail-opens 1",
        "  routed cheap 70.0%",
        "  cost $1.0500 (the price table) vs $2.2500 all-standard: estimated saving 53.3%",
    ]


def test_the_cost_is_litellms_response_cost_when_the_plugin_counted_it() -> None:
    counters = {**COUNTERS, "cost_usd:pool-chat-mini": 0.25, "cost_usd:pool-chat-standard": 0.5,
                "failures:pool-chat-mini": 2}
    stats = summarize(chat_model(), counters, PRICES)
    assert (stats.cost, stats.cost_source) == (pytest.approx(0.75), "litellm")
    assert stats.baseline_cost == pytest.approx(2.25)  # the same tokens at the standard pool's price
    assert stats.failures == {"pool-chat-mini": 2}
    lines = render([stats]).splitlines()
    assert "  failures     pool-chat-mini 2" in lines
    assert lines[-1] == "  cost $0.7500 (LiteLLM's response_cost) vs $2.2500 all-standard: estimated saving 66.7%"


@pytest.mark.parametrize(
    ("counters", "prices"),
    [
        ({**COUNTERS, "tokens_in:pool-chat-long": 1000}, PRICES),  # a served pool without a price
        (COUNTERS, {"pool-chat-mini": PRICES["pool-chat-mini"]}),  # no price for the top tier
        ({"decisions": 2, "tier:cheap": 2}, PRICES),  # no served tokens yet
        ({"decisions": 1, "tier:cheap": 1, "tokens_in:auto-chat": 500}, PRICES),  # shadow: served by the virtual model
    ],
    ids=["unpriced-pool", "unpriced-top", "no-tokens", "shadow-served"],
)
def test_saving_is_na_without_prices_or_tokens(counters: dict[str, int], prices: dict[str, Price]) -> None:
    stats = summarize(chat_model(), counters, prices)
    assert (stats.cost, stats.baseline_cost, stats.saving) == (None, None, None)
    assert render([stats]).splitlines()[-1] == (
        "  estimated saving: n/a (no served tokens yet, or no price for the standard pool)")


def test_zero_baseline_gives_no_saving() -> None:
    stats = summarize(chat_model(), {"decisions": 1, "tier:cheap": 1, "tokens_in:pool-chat-mini": 0}, PRICES)
    assert (stats.cost, stats.baseline_cost, stats.saving) == (0, 0, None)


def test_render_a_model_without_decisions() -> None:
    empty = summarize(chat_model(), {}, PRICES)
    assert empty.cheap_share is None
    assert render([empty, summarize(chat_model(), {"decisions": 1, "tier:standard": 1}, PRICES)]).splitlines()[:3] == [
        "auto-chat: 0 decisions", "auto-chat: 1 decisions", "  tiers        standard 1"]


def test_all_standard_saves_nothing() -> None:
    counters = {"decisions": 4, "tier:standard": 4,
                "tokens_in:pool-chat-standard": 1000, "tokens_out:pool-chat-standard": 10}
    stats = summarize(chat_model(), counters, PRICES)
    assert (stats.cheap_share, stats.saving) == (0, pytest.approx(0))
    assert isinstance(stats, ModelStats)


class FakeRedis:
    def __init__(self, hashes: dict[str, dict[bytes, bytes]]) -> None:
        self.hashes = hashes

    def hgetall(self, key: str) -> dict[bytes, bytes]:
        return self.hashes.get(key, {})


def test_read_counters_decodes_every_virtual_model() -> None:
    client = FakeRedis({"vibe-router:stats:auto-chat": {b"decisions": b"3", b"tier:cheap": b"2"}})
    assert read_counters(client, config()) == {
        "auto-chat": {"decisions": 3, "tier:cheap": 2}, "auto-codex": {}, "auto-claude": {}}


def test_live_counters_feed_summarize() -> None:
    router = plugin(config())
    store = router.router.store
    start = datetime(2025, 1, 1)

    async def run() -> None:
        for text, pool, tokens in (("hi", "pool-chat-mini", 400_000), (COMPLEX, "pool-chat-standard", 200_000)):
            data = {**chat(text), "metadata": {"headers": {"x-session-id": text}}}
            await router.async_pre_call_hook(None, None, data, "acompletion")
            logged = {"model_group": pool, "prompt_tokens": tokens, "completion_tokens": tokens // 4}
            kwargs = {"litellm_params": {"metadata": data["metadata"]}, "standard_logging_object": logged}
            await router.async_log_success_event(kwargs, None, start, start + timedelta(seconds=1))
        await router.router.flush_counters()

    asyncio.run(run())
    counters = dict(store.local.counters[store.key("stats", "auto-chat")])
    stats = summarize(chat_model(), counters, PRICES)
    assert stats.cheap_share == pytest.approx(0.5)
    assert (stats.cost, stats.baseline_cost) == (pytest.approx(1.05), pytest.approx(2.25))


def test_read_counters_takes_the_float_costs_a_real_redis_holds(redis_server: RedisServer) -> None:
    store = SessionStore(RedisSettings(connection=RedisConnection(url=redis_server.url)))
    key = store.key("stats", "auto-chat")
    redis_server.client().delete(key)

    async def two_flushes() -> list[bool]:
        return [await store.count(key, {"decisions": 2, "cost_usd:pool-chat-mini": 0.000125}),
                await store.count(key, {"decisions": 1, "cost_usd:pool-chat-mini": 0.000375})]

    assert asyncio.run(two_flushes()) == [True, True]
    counters = read_counters(redis_server.client(), config())["auto-chat"]
    assert counters == {"decisions": 3, "cost_usd:pool-chat-mini": pytest.approx(0.0005)}
    assert isinstance(counters["decisions"], int)


def test_pool_prices_come_from_model_info_then_litellms_cost_map(monkeypatch: pytest.MonkeyPatch) -> None:
    import litellm

    monkeypatch.setenv("CHAT_STANDARD_MODEL", "openai/gpt-5")
    prices = pool_prices(parse_config(copy.deepcopy(DOCUMENT)))
    codex_mini = next(entry for entry in DOCUMENT["model_list"] if entry["model_name"] == "pool-codex-mini")
    assert prices["pool-codex-mini"] == Price(codex_mini["model_info"]["input_cost_per_token"] * 1_000_000,
                                              codex_mini["model_info"]["output_cost_per_token"] * 1_000_000)
    info = litellm.get_model_info("openai/gpt-5")
    assert prices["pool-chat-standard"] == Price(info["input_cost_per_token"] * 1_000_000,
                                                 info["output_cost_per_token"] * 1_000_000)
