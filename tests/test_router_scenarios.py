"""Scenarios before scoring: housekeeping, long context, images, thinking effort."""

from __future__ import annotations

from tests.support.routing import (
    COMPLEX,
    SIMPLE,
    Change,
    chat,
    chat_messages,
    decide,
    make_router,
    one,
    request,
    route_all,
    scenarios,
    vm,
)
from vibe_router.router import RouteRequest


def test_housekeeping_by_max_tokens() -> None:
    decision = one(make_router(), chat(COMPLEX, max_tokens=1))
    assert (decision.tier, decision.decided_by, decision.note) == ("cheap", "scenario:housekeeping", "max_tokens<=16")
    assert one(make_router(), chat(COMPLEX, max_tokens=17)).tier == "standard"


def test_housekeeping_by_title_pattern_in_system() -> None:
    body = {"model": "auto-claude", "system": [{"type": "text", "text": "Generate a concise title for this chat."}],
            "messages": [{"role": "user", "content": COMPLEX}]}
    decision = one(make_router(), request("messages", body))
    assert (decision.pool, decision.decided_by, decision.note) == (
        "pool-claude-haiku", "scenario:housekeeping", "title-or-summary")


def test_housekeeping_by_client_small_fast_model() -> None:
    body = {"model": "claude-haiku-4-5-20251001", "max_tokens": 512, "messages": [{"role": "user", "content": COMPLEX}]}
    decision = one(make_router(), request("messages", body))
    assert (decision.virtual_model, decision.pool, decision.note) == (
        "auto-claude", "pool-claude-haiku", "small-fast-model")


def test_housekeeping_does_not_change_session_state() -> None:
    router = make_router()
    route_all(router, chat(COMPLEX))
    assert decide(router, chat("Summarize the conversation so far"), chat(SIMPLE)) == [
        ("cheap", "scenario:housekeeping"), ("standard", "sticky:escalate_only")]
    pinned = make_router(vm("auto-chat", sticky={"mode": "pin", "ttl_seconds": 60}))
    assert decide(pinned, chat("hi", max_tokens=1), chat(COMPLEX)) == [
        ("cheap", "scenario:housekeeping"), ("standard", "score")]


def add_pool(name: str) -> Change:
    return lambda document: document["model_list"].append({"model_name": name, "litellm_params": {"model": "x/y"}})


LONG_SYSTEM = {"role": "system", "content": "x" * 4000}  # ~1000 tokens


def test_long_context_to_a_tier_leaves_the_session_alone() -> None:
    router = make_router(scenarios("auto-chat", long_context={"min_tokens": 500, "tier": "standard"}))
    decision = one(router, chat_messages([LONG_SYSTEM, {"role": "user", "content": "hi"}]))
    assert (decision.tier, decision.decided_by, decision.note) == ("standard", "scenario:long_context", "~1000 tokens")
    assert decide(router, chat("hi")) == [("cheap", "score")]


def test_long_context_to_a_pool_outside_the_ladder() -> None:
    router = make_router(add_pool("pool-chat-long"),
                         scenarios("auto-chat", long_context={"min_tokens": 500, "pool": "pool-chat-long"}))
    decision = one(router, chat_messages([LONG_SYSTEM, {"role": "user", "content": "hi"}]))
    assert (decision.pool, decision.tier, decision.decided_by) == ("pool-chat-long", "long_context",
                                                                   "scenario:long_context")
    assert (decision.in_ladder, decision.tier_index) == (False, 2)
    assert decide(router, chat("hi")) == [("cheap", "score")]  # outside the ladder: no session state


def test_images_go_to_their_tier() -> None:
    content = [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]
    decision = one(make_router(), chat(content))
    assert (decision.tier, decision.decided_by, decision.note) == ("standard", "scenario:images", "1 image(s)")


def codex(effort: str) -> RouteRequest:
    return request("responses", {"model": "auto-codex", "input": "hi", "reasoning": {"effort": effort}})


def test_thinking_sets_a_minimum_tier_for_high_effort_only() -> None:
    high = one(make_router(), codex("high"))
    assert (high.tier, high.decided_by, high.note) == ("standard", "scenario:thinking", "high sets the minimum tier")
    assert decide(make_router(), codex("medium"), codex("xhigh")) == [
        ("cheap", "score"), ("standard", "scenario:thinking")]


def test_claude_code_thinking_on_every_request_is_not_forced_standard() -> None:
    body = {"model": "auto-claude", "max_tokens": 32000, "thinking": {"type": "adaptive"},
            "output_config": {"effort": "high"}, "messages": [{"role": "user", "content": "hi"}]}
    decision = one(make_router(), request("messages", body))
    assert (decision.pool, decision.decided_by) == ("pool-claude-haiku", "score")

