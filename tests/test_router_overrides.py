"""Forcing a tier by header or inline tag: who may, which names count, and the tag never reaches the model."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.routing import (
    COMPLEX,
    FORCE,
    Change,
    chat,
    decide,
    make_router,
    one,
    overrides,
    request,
    route_all,
    vm,
)
from vibe_router.overrides import Caller

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

