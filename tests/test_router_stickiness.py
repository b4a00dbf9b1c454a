"""Sticky sessions (local store): escalate_only, pin, off, the idle TTL, one session per conversation and model."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.support.routing import (
    COMPLEX,
    SIMPLE,
    chat,
    decide,
    make_router,
    one,
    request,
    route_all,
    vm,
)
from vibe_router import local_store


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

