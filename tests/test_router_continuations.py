"""Continuations keep the session's tier: tool results, reasoning the next request must carry, new human text."""

from __future__ import annotations

import pytest

from tests.support.routing import (
    COMPLEX,
    SIMPLE,
    chat,
    chat_messages,
    decide,
    make_router,
    one,
    request,
    route_all,
)
from vibe_router.router import RouteRequest

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

