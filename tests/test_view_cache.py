"""The conversation cache: a request that repeats a known history walks only its new messages,
and gets exactly the turn view a full walk gives."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest
from fastapi import HTTPException
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.bodies import agent_bodies
from tests.support.hooks import hook
from tests.support.stack import CONFIG
from vibe_router.config import load_config
from vibe_router.plugin import VibeRouter
from vibe_router.request import build_view, conversation_of
from vibe_router.router import Router, RouteRequest
from vibe_router.sessions import RedisSettings, SessionStore
from vibe_router.view_cache import ConversationCache
from vibe_router.wire import shape_error

CONFIG_VALUES = load_config(CONFIG)


def parsed(value: Any) -> Any:
    """A new copy, as the proxy parses every request anew."""
    return json.loads(json.dumps(value))


def cached_view(cache: ConversationCache, endpoint: str, body: dict[str, Any]) -> Any:
    """The view with `cache`, its bookkeeping (how much was resumed) set aside."""
    return build_view(endpoint, body, states=cache)._replace(resumed=0)


TEXTS = st.sampled_from([
    "hi", "", "  ", "fix the bug", "[[route:standard]] go", "<system-reminder>r</system-reminder>",
    "<system-reminder>r</system-reminder> explain the design", "x" * 9000, "# AGENTS.md instructions for /p\nx",
])
PARTS = st.one_of(
    TEXTS,
    st.builds(lambda text, kind: {"type": kind, "text": text}, TEXTS,
              st.sampled_from(["text", "input_text", "output_text", "thinking", "image", "tool_result"])),
    st.builds(lambda text: {"type": "tool_result", "content": text}, TEXTS),
)
CONTENT = st.one_of(TEXTS, st.lists(PARTS, max_size=3), st.none())
MESSAGES = st.one_of(
    st.builds(lambda role, content: {"role": role, "content": content},
              st.sampled_from(["user", "user", "assistant", "system", "developer", "tool"]), CONTENT),
    st.builds(lambda kind, output: {"type": kind, "output": output, "call_id": "c"},
              st.sampled_from(["function_call_output", "function_call", "reasoning"]), TEXTS),
    st.builds(lambda: {"role": "assistant", "content": "ok", "reasoning_content": "thought"}),
)
OPENING = {"role": "user", "content": "open the session"}


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["chat", "messages", "responses"]),
    st.lists(st.lists(MESSAGES, max_size=4), min_size=1, max_size=5),
    st.lists(st.tuples(st.integers(0, 30), MESSAGES), max_size=2),
)
def test_every_request_of_a_growing_conversation_sees_a_full_walks_view(
    endpoint: str, turns: list[list[dict[str, Any]]], edits: list[tuple[int, dict[str, Any]]]
) -> None:
    cache = ConversationCache()
    field = "input" if endpoint == "responses" else "messages"
    history: list[dict[str, Any]] = [OPENING]
    for number, new in enumerate(turns):
        history = history + new
        if number == len(turns) - 1:  # the client edits earlier messages before its last request
            for at, message in edits:
                history[min(at, len(history) - 1)] = message
        body = parsed({"model": "m", "system": "be brief", field: history})
        assert cached_view(cache, endpoint, body) == build_view(endpoint, parsed(body))


def agent_conversation(kind: str) -> dict[str, Any]:
    return agent_bodies(80_000)[kind]


@pytest.mark.parametrize("kind", ["chat", "messages", "responses"])
def test_an_agent_conversation_resumes_from_its_previous_request(kind: str) -> None:
    cache = ConversationCache()
    body = agent_conversation(kind)
    endpoint = kind
    messages = conversation_of(endpoint, body)
    assert messages is not None
    earlier = parsed({**body, "messages" if kind != "responses" else "input": messages[:-1]})
    cached_view(cache, endpoint, earlier)
    assert (cache.hits, cache.misses) == (0, 1)
    assert cached_view(cache, endpoint, parsed(body)) == build_view(endpoint, parsed(body))
    assert (cache.hits, cache.misses) == (1, 1)
    assert len(cache) == 1  # the longer state replaced the one it resumed from


def test_an_edited_history_is_walked_again() -> None:
    cache = ConversationCache()
    first = {"messages": [OPENING, {"role": "assistant", "content": "ok"}, {"role": "user", "content": "hi"}]}
    cached_view(cache, "chat", parsed(first))
    edited = parsed(first)
    edited["messages"][2]["content"] = "Implement a distributed consensus algorithm"
    edited["messages"].append({"role": "assistant", "content": "sure"})
    view = cached_view(cache, "chat", edited)
    assert view.text == "Implement a distributed consensus algorithm"
    assert (cache.hits, cache.misses) == (0, 2)


def test_a_list_changed_in_place_is_never_trusted_against_itself() -> None:
    cache = ConversationCache()
    body = {"messages": [OPENING, {"role": "user", "content": "hi"}]}
    cached_view(cache, "chat", body)
    body["messages"][1]["content"] = "explain the design"
    assert cached_view(cache, "chat", body).text == "explain the design"
    assert cache.hits == 0


def test_the_cache_is_bounded_in_conversations_and_in_text() -> None:
    cache = ConversationCache(max_conversations=3, max_chars=10_000)
    for number in range(5):
        cached_view(cache, "chat", {"messages": [{"role": "user", "content": f"conversation {number}"}]})
    assert len(cache) == 3
    cached_view(cache, "chat", {"messages": [{"role": "user", "content": "long " * 3000}]})
    assert len(cache) == 0  # 15,000 characters: more than the whole cache may keep alive
    cached_view(cache, "chat", {"messages": [{"role": "user", "content": "conversation 4"}]})
    assert cache.hits == 0 and len(cache) == 1


def test_a_growing_conversation_keeps_one_entry_and_counts_its_text_once() -> None:
    cache = ConversationCache(max_conversations=3, max_chars=10_000)
    messages = [{"role": "user", "content": "open the repo"}]
    for number in range(6):
        turn = [{"role": "assistant", "content": "x" * 500}, {"role": "user", "content": f"q{number}"}]
        messages = [*parsed(messages), *turn]
        view = cached_view(cache, "chat", {"messages": messages})
        assert view == build_view("chat", {"messages": messages})._replace(resumed=0)
        assert len(cache) == 1
        assert cache._chars == view.total_chars + 1  # the entry grew in place: its old size is not counted twice
    assert cache.hits == 5
    messages = [*parsed(messages), {"role": "assistant", "content": "y" * 7_000}]
    cached_view(cache, "chat", {"messages": messages})
    assert len(cache) == 0  # grown past what the cache may keep alive: dropped, as a new entry would be


def test_conversations_with_the_same_opening_keep_their_own_states() -> None:
    cache = ConversationCache()
    a = [OPENING, {"role": "assistant", "content": "a"}, {"role": "user", "content": "hi"}]
    b = [OPENING, {"role": "assistant", "content": "b"}, {"role": "user", "content": "Implement a parser"}]
    for messages in (a, b):
        cached_view(cache, "chat", parsed({"messages": messages}))
    assert cached_view(cache, "chat", parsed({"messages": [*a, {"role": "tool", "content": "9C"}]})).text == "hi"
    later_b = parsed({"messages": [*b, {"role": "tool", "content": "9C"}]})
    assert cached_view(cache, "chat", later_b).text == "Implement a parser"
    assert cache.hits == 2


def test_absurdly_deep_content_is_a_miss_not_an_error() -> None:
    cache = ConversationCache()
    deep: Any = "x"
    for _ in range(100_000):
        deep = [deep]
    messages = [OPENING, {"role": "assistant", "content": deep}]
    cached_view(cache, "chat", {"messages": messages})
    again = {"messages": [OPENING, {"role": "assistant", "content": deep}, {"role": "user", "content": "hi"}]}
    assert cached_view(cache, "chat", again).text == "hi"


def test_shape_check_starts_after_the_known_prefix_and_names_the_absolute_field() -> None:
    messages = [OPENING, {"role": "assistant", "content": "ok"}, {"role": "user", "content": 5}]
    assert shape_error("chat", {"messages": messages}, start=2) == (
        "messages[2].content: must be a string or a list of content parts, got number")
    assert shape_error("responses", {"input": messages}, start=1) == (
        "input[2].content: must be a string or a list of content parts, got number")
    assert shape_error("chat", {"messages": messages}, start=3) is None


def test_a_forbidden_shape_after_a_known_prefix_still_gets_its_400() -> None:
    plugin = VibeRouter(CONFIG_VALUES, SessionStore(RedisSettings()))
    history = [OPENING, {"role": "assistant", "content": "ok"}]
    hook(plugin, parsed({"model": "auto-chat", "messages": history}))
    with pytest.raises(HTTPException) as raised:
        hook(plugin, parsed({"model": "auto-chat", "messages": [*history, {"role": "user", "content": 5}]}))
    assert raised.value.status_code == 400
    assert "messages[2].content" in raised.value.detail
    assert plugin.policy.conversations.hits == 1


def test_an_inline_tag_is_stripped_from_a_conversation_the_cache_knows() -> None:
    router = Router(CONFIG_VALUES, SessionStore(RedisSettings()))
    history = [OPENING, {"role": "assistant", "content": "ok"}]
    asyncio.run(router.route(RouteRequest("chat", parsed({"model": "auto-chat", "messages": history}))))
    tag = {"role": "user", "content": "hi [[route:standard]]"}
    tagged = parsed({"model": "auto-chat", "messages": [*history, tag]})
    routed = asyncio.run(router.route(RouteRequest("chat", tagged)))
    assert routed is not None
    assert (routed.turn.text, routed.turn.double_brackets) == ("hi", False)
    assert tagged["messages"][-1]["content"] == "hi"
    again = copy.deepcopy(tagged)
    again["messages"][-1]["content"] = "hi [[route:standard]]"
    again["messages"].append({"role": "assistant", "content": "done"})
    routed = asyncio.run(router.route(RouteRequest("chat", again)))
    assert routed is not None and routed.turn.text == "hi"
