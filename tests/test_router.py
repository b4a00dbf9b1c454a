"""Routing a conversation: stickiness, continuations, overrides, scenarios and counters (local store only)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.configs import heuristic_document
from vibe_router import local_store
from vibe_router.config import parse_config
from vibe_router.overrides import Caller
from vibe_router.policy import Decision
from vibe_router.router import Routed, Router, RouteRequest
from vibe_router.sessions import RedisSettings, SessionStore

DOCUMENT = heuristic_document()  # the router's mechanics on scores a reader can add up ("hi" = -98)
SIMPLE = "what is 2+2"  # score 11: cheap
COMPLEX = "Implement a distributed consensus algorithm"  # score 193: standard
Change = Callable[[dict[str, Any]], None]


def make_router(*changes: Change) -> Router:
    """config_final.yaml with `changes` applied to its `vibe_router` section, on a local-only store."""
    document = copy.deepcopy(DOCUMENT)
    for change in changes:
        change(document)
    return Router(parse_config(document), SessionStore(RedisSettings()))


def vm(name: str, **values: Any) -> Change:
    return lambda document: document["vibe_router"]["virtual_models"][name].update(values)


def overrides(**values: Any) -> Change:
    return lambda document: document["vibe_router"]["overrides"].update(values)


def scenarios(name: str, **values: Any) -> Change:
    return lambda document: document["vibe_router"]["virtual_models"][name]["scenarios"].update(values)


def chat(content: Any, session: str = "s1", **body: Any) -> RouteRequest:
    return chat_messages([{"role": "user", "content": content}], session, **body)


def chat_messages(messages: list[Any], session: str = "s1", headers: Any = None, caller: Any = None,
                  **body: Any) -> RouteRequest:
    return request("chat", {"model": "auto-chat", "messages": messages, **body}, session, headers, caller)


def request(endpoint: str, body: dict[str, Any], session: str = "s1", headers: Any = None,
            caller: Caller | None = None) -> RouteRequest:
    return RouteRequest(endpoint, body, {"x-session-id": session, **(headers or {})}, caller or Caller())


def route_all(router: Router, *requests: RouteRequest) -> list[Routed]:
    async def run() -> list[Routed]:
        return [routed for req in requests if (routed := await router.route(req)) is not None]

    return asyncio.run(run())


def decide(router: Router, *requests: RouteRequest) -> list[tuple[str, str]]:
    return [(r.decision.tier, r.decision.decided_by) for r in route_all(router, *requests)]


def one(router: Router, req: RouteRequest) -> Decision:
    return route_all(router, req)[0].decision


# ------------------------------------------------------------------------------ stickiness

def test_escalate_only_keeps_a_session_up_once_escalated() -> None:
    router = make_router()
    assert decide(router, chat(SIMPLE), chat(COMPLEX), chat(SIMPLE), chat("hi")) == [
        ("cheap", "score"), ("standard", "score"), *[("standard", "sticky:escalate_only")] * 2]
    held = one(router, chat(SIMPLE))
    assert (held.pool, held.note) == ("pool-chat-standard", "scored cheap (11), session holds")


def test_sessions_are_independent() -> None:
    router = make_router()
    route_all(router, chat(COMPLEX, session="a"))
    assert decide(router, chat(SIMPLE, session="b"), chat(SIMPLE, session="a")) == [
        ("cheap", "score"), ("standard", "sticky:escalate_only")]


def test_virtual_models_do_not_share_a_session() -> None:
    router = make_router()
    route_all(router, request("responses", {"model": "auto-codex", "input": COMPLEX}))
    assert decide(router, chat(SIMPLE)) == [("cheap", "score")]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(local_store, "time", SimpleNamespace(monotonic=lambda: now[0]))
    return now


def test_an_idle_session_expires_and_can_come_down(clock: list[float]) -> None:
    router = make_router(vm("auto-chat", sticky={"mode": "escalate_only", "ttl_seconds": 60}))
    route_all(router, chat(COMPLEX))
    clock[0] += 59
    assert decide(router, chat(SIMPLE)) == [("standard", "sticky:escalate_only")]  # refreshes the idle TTL
    clock[0] += 59
    assert decide(router, chat(SIMPLE)) == [("standard", "sticky:escalate_only")]
    clock[0] += 61
    assert decide(router, chat(SIMPLE), chat(SIMPLE)) == [("cheap", "score"), ("cheap", "score")]


def test_pin_holds_the_first_tier() -> None:
    router = make_router(vm("auto-chat", sticky={"mode": "pin", "ttl_seconds": 60}))
    assert decide(router, chat(SIMPLE), chat(COMPLEX), chat(COMPLEX)) == [
        ("cheap", "score"), ("cheap", "sticky:pin"), ("cheap", "sticky:pin")]
    assert decide(router, chat(COMPLEX, session="s2"), chat(SIMPLE, session="s2")) == [
        ("standard", "score"), ("standard", "sticky:pin")]


def test_off_scores_every_turn_alone() -> None:
    router = make_router(vm("auto-chat", sticky={"mode": "off"}))
    assert decide(router, chat(SIMPLE), chat(COMPLEX), chat(SIMPLE)) == [
        ("cheap", "score"), ("standard", "score"), ("cheap", "score")]


# ------------------------------------------------------------------------------ continuations

TOOL_CALL = {"role": "assistant", "content": None,
             "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "ls", "arguments": "{}"}}]}
ANTHROPIC_TOOL_USE = {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "ls", "input": {}}]}
TOOL_RESULT_BLOCK = {"type": "tool_result", "tool_use_id": "t1", "content": "a.py b.py"}


def continuations(text: str) -> list[RouteRequest]:
    return [
        chat_messages([{"role": "user", "content": text}, TOOL_CALL,
                       {"role": "tool", "tool_call_id": "c1", "content": "a.py b.py"}]),
        request("messages", {"model": "auto-chat", "messages": [
            {"role": "user", "content": [{"type": "text", "text": text}]}, ANTHROPIC_TOOL_USE,
            {"role": "user", "content": [TOOL_RESULT_BLOCK]},
        ]}),
        request("messages", {"model": "auto-chat", "messages": [  # Claude Code adds reminders beside results
            {"role": "user", "content": text}, ANTHROPIC_TOOL_USE,
            {"role": "user", "content": [TOOL_RESULT_BLOCK,
                                         {"type": "text", "text": "<system-reminder>todo list</system-reminder>"}]},
        ]}),
        request("responses", {"model": "auto-chat", "input": [
            {"role": "user", "content": [{"type": "input_text", "text": text}]},
            {"type": "function_call", "call_id": "c1", "name": "ls", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "a.py b.py"},
        ]}),
    ]


@pytest.mark.parametrize("index", range(4), ids=["chat-tool", "anthropic-tool_result", "with-reminder", "responses"])
def test_continuation_keeps_the_sessions_tier(index: int) -> None:
    router = make_router()
    route_all(router, chat(COMPLEX))
    kept = one(router, continuations(SIMPLE)[index])
    assert (kept.tier, kept.decided_by) == ("standard", "continuation")
    assert kept.note == "tool result: kept the session's tier"
    # Its own text would escalate, but a continuation keeps what the session holds.
    low = make_router()
    route_all(low, chat(SIMPLE))
    assert decide(low, continuations(COMPLEX)[index]) == [("cheap", "continuation")]


def test_a_tool_result_with_new_human_text_is_a_new_turn() -> None:
    router = make_router()
    route_all(router, chat(SIMPLE))
    mixed = request("messages", {"model": "auto-chat", "messages": [
        {"role": "user", "content": SIMPLE}, ANTHROPIC_TOOL_USE,
        {"role": "user", "content": [TOOL_RESULT_BLOCK, {"type": "text", "text": "Now refactor the parser module"}]},
    ]})
    routed = route_all(router, mixed)[0]
    assert routed.turn.text == "Now refactor the parser module"
    assert (routed.decision.tier, routed.decision.decided_by) == ("standard", "score")


def test_reasoning_after_the_newest_human_text_keeps_the_pool() -> None:
    router = make_router()
    route_all(router, chat(SIMPLE))
    thinking = {"role": "assistant", "content": [{"type": "thinking", "thinking": "plan", "signature": "x"}]}
    carried = one(router, chat_messages([{"role": "user", "content": COMPLEX}, thinking]))
    assert (carried.tier, carried.decided_by) == ("cheap", "reasoning")
    responses = request("responses", {"model": "auto-chat", "input": [
        {"role": "user", "content": COMPLEX}, {"type": "reasoning", "summary": [], "encrypted_content": "e"}]})
    assert one(router, responses).decided_by == "reasoning"


def test_reasoning_before_the_newest_human_text_does_not_count() -> None:
    router = make_router()
    route_all(router, chat(SIMPLE))
    older = chat_messages([
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello", "reasoning_content": "greet back"},
        {"role": "user", "content": COMPLEX},
    ])
    assert decide(router, older) == [("standard", "score")]


# ------------------------------------------------------------------------------ overrides

FORCE = {"x-vibe-route": "standard"}
KEY_HASH = "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589"  # LiteLLM stores sha256 of the key


@pytest.mark.parametrize(
    ("change", "caller"),
    [
        (overrides(allow=True), Caller()),
        (overrides(allow_keys=["ci-bot"]), Caller(key_alias="ci-bot")),
        (overrides(allow_keys=[KEY_HASH]), Caller(key_hash=KEY_HASH)),
        (overrides(allow_teams=["platform"]), Caller(team_alias="platform")),
    ],
    ids=["allow", "key-alias", "key-hash", "team"],
)
def test_overrides_are_honoured_when_allowed(change: Change, caller: Caller) -> None:
    router = make_router(change)
    by_header = one(router, chat("hi", headers={"X-Vibe-Route": "Standard"}, caller=caller))
    assert (by_header.tier, by_header.pool) == ("standard", "pool-chat-standard")
    assert (by_header.decided_by, by_header.note) == ("override:header", "scored cheap (-98)")
    by_tag = one(router, chat("hi [[route:standard]]", caller=caller))
    assert (by_tag.tier, by_tag.decided_by) == ("standard", "override:tag")
    down = one(router, chat(COMPLEX, headers={"x-vibe-route": "cheap"}, caller=caller))
    assert (down.tier, down.decided_by) == ("cheap", "override:header")


@pytest.mark.parametrize(
    ("change", "caller"),
    [
        (lambda document: None, Caller(key_alias="ci-bot", team_alias="platform", key_hash="h")),
        (overrides(allow_keys=["ci-bot"]), Caller(key_alias="other", team_alias="ci-bot")),
        (overrides(allow_teams=["platform"]), Caller(key_alias="platform", team_alias="infra")),
        (overrides(allow_keys=["ci-bot"], allow_teams=["platform"]), Caller()),
    ],
    ids=["default-config", "wrong-key", "wrong-team", "anonymous"],
)
def test_overrides_are_ignored_when_not_allowed(change: Change, caller: Caller) -> None:
    router = make_router(change)
    tagged = chat("hi [[route:standard]]", caller=caller)
    assert decide(router, chat("hi", headers=FORCE, caller=caller), tagged) == [("cheap", "score"), ("cheap", "score")]
    assert tagged.body["messages"][0]["content"] == "hi"


def test_an_unknown_tier_is_ignored() -> None:
    router = make_router(overrides(allow=True))
    assert decide(router, chat("hi", headers={"x-vibe-route": "turbo"}), chat("hi [[route:turbo]]")) == [
        ("cheap", "score"), ("cheap", "score")]


def test_a_tier_name_with_capitals_can_be_forced() -> None:
    def rename(document: dict[str, Any]) -> None:
        chat_model = document["vibe_router"]["virtual_models"]["auto-chat"]
        chat_model["tiers"][1]["name"] = "Standard"
        chat_model["scenarios"]["long_context"]["tier"] = chat_model["scenarios"]["images"]["tier"] = "Standard"

    router = make_router(overrides(allow=True), rename)
    assert one(router, chat("hi", headers={"x-vibe-route": "Standard"})).decided_by == "override:header"


def test_a_renamed_header_replaces_the_default_one() -> None:
    router = make_router(overrides(allow=True, header="X-Force-Tier"))
    assert one(router, chat("hi", headers={"x-force-tier": "standard"})).decided_by == "override:header"
    assert one(router, chat("hi", headers=FORCE)).decided_by == "score"


def test_inline_tag_can_be_disabled_but_is_still_stripped() -> None:
    router = make_router(overrides(allow=True, inline_tag=False))
    req = chat("hi [[route:standard]]")
    assert one(router, req).decided_by == "score"
    assert req.body["messages"][0]["content"] == "hi"


TAGGED = [
    ("chat", {"model": "auto-chat", "messages": [{"role": "user", "content": "hi [[route:standard]]"}]},
     lambda b: b["messages"][0]["content"]),
    ("chat", {"model": "auto-chat", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "[[route:standard]] hi"}]}]}, lambda b: b["messages"][0]["content"][0]["text"]),
    ("completions", {"model": "auto-chat", "prompt": "[[route:standard]] hi"}, lambda b: b["prompt"]),
    ("responses", {"model": "auto-codex", "input": "hi [[route:standard]]"}, lambda b: b["input"]),
    ("responses", {"model": "auto-codex", "input": [{"type": "message", "role": "user", "content": [
        {"type": "input_text", "text": "hi [[route:standard]]"}]}]}, lambda b: b["input"][0]["content"][0]["text"]),
    ("messages", {"model": "auto-claude", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "hi\n[[route:standard]]"}]}]}, lambda b: b["messages"][0]["content"][0]["text"]),
    ("messages", {"model": "auto-claude", "messages": [{"role": "user", "content": "hi [[route:standard]]"}]},
     lambda b: b["messages"][0]["content"]),
    pytest.param(
        "completions", {"model": "auto-chat", "prompt": ["[[route:standard]] hi"]}, lambda b: b["prompt"][0],
    ),
]


@pytest.mark.parametrize("allowed", [True, False], ids=["honoured", "ignored"])
@pytest.mark.parametrize(("endpoint", "body", "text_of"), TAGGED)
def test_tags_are_stripped_and_not_scored_in_every_wire_format(
    endpoint: str, body: dict[str, Any], text_of: Callable[[dict[str, Any]], str], allowed: bool
) -> None:
    router = make_router(overrides(allow=allowed))
    body = copy.deepcopy(body)
    routed = route_all(router, request(endpoint, body))[0]
    assert text_of(body) == "hi"
    assert routed.turn.text == "hi"
    assert routed.decision.score == -98  # exactly the score of "hi"
    assert routed.decision.decided_by == ("override:tag" if allowed else "score")


@pytest.mark.parametrize(("endpoint", "body", "texts_of"), [
    ("chat", {"model": "auto-chat", "messages": [
        {"role": "user", "content": "first [[route:standard]]"}, {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "hi"}]}, lambda b: [b["messages"][0]["content"]]),
    ("completions", {"model": "auto-chat", "prompt": ["first [[route:standard]]", "second [[ROUTE:cheap]]"]},
     lambda b: b["prompt"]),
    ("responses", {"model": "auto-codex", "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "first [[route:standard]]"}]},
        {"type": "function_call_output", "call_id": "c1", "output": "done"}]},
     lambda b: [b["input"][0]["content"][0]["text"]]),
])
def test_tags_in_earlier_turns_are_stripped_too(
    endpoint: str, body: dict[str, Any], texts_of: Callable[[dict[str, Any]], list[str]]
) -> None:
    body = copy.deepcopy(body)
    route_all(make_router(overrides(allow=False)), request(endpoint, body))
    assert all("[[" not in text and text.startswith(("first", "second")) for text in texts_of(body))


def test_overrides_do_not_write_session_state() -> None:
    router = make_router(overrides(allow=True))
    assert decide(router, chat("hi", headers=FORCE), chat("hi")) == [
        ("standard", "override:header"), ("cheap", "score")]
    pinned = make_router(overrides(allow=True), vm("auto-chat", sticky={"mode": "pin", "ttl_seconds": 60}))
    assert decide(pinned, chat(COMPLEX, headers={"x-vibe-route": "cheap"}), chat(COMPLEX)) == [
        ("cheap", "override:header"), ("standard", "score")]


# ------------------------------------------------------------------------------ scenarios

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


# ------------------------------------------------------------------------------ counters

def test_counters_per_virtual_model() -> None:
    router = make_router(overrides(allow=True))

    async def run() -> None:
        for req in (chat("hi"), chat(COMPLEX), chat("hi"), chat("hi", session="s2", headers=FORCE)):
            await router.route(req)
        await router.flush_counters()

    asyncio.run(run())
    counters = router.store.local.counters[router.store.key("stats", "auto-chat")]
    assert {name: value for name, value in counters.items() if not name.startswith("tokens")} == {
        "decisions": 4, "tier:cheap": 1, "tier:standard": 3, "overrides": 1,
        "by:score": 2, "by:sticky:escalate_only": 1, "by:override:header": 1}
    assert counters["tokens_in_estimate:pool-chat-mini"] == 0  # "hi" is 2 characters
    assert counters["tokens_in_estimate:pool-chat-standard"] == len(COMPLEX) // 4
    assert router.store.key("stats", "auto-codex") not in router.store.local.counters
