"""Hostile input: whatever arrives, the router answers (a decision or a clear 400) and never raises.

Property-based over arbitrary JSON shapes for every endpoint, with a fixed, derandomized
budget so CI is repeatable; plus the explicit monsters. Speed on these bodies is measured in
`bench/hostile.py`, not asserted here.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import HTTPException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.hooks import hook
from tests.support.stack import CONFIG
from vibe_router.config import load_config
from vibe_router.plugin import METADATA_KEY, VibeRouter
from vibe_router.policy import Policy
from vibe_router.router import Router, RouteRequest
from vibe_router.sessions import RedisSettings, SessionStore
from vibe_router.wire import shape_error

ENDPOINT_CALL_TYPES = {
    "chat": "acompletion",
    "completions": "atext_completion",
    "messages": "anthropic_messages",
    "responses": "aresponses",
}
BUDGET = settings(max_examples=250, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=60),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30,
)
part = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "image_url", "tool_result", "input_text", "thinking", "mystery"]) | json_values},
    optional={"text": st.text(max_size=80) | json_values, "content": json_values},
)
message = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system", "developer", "tool"]) | json_values},
    optional={"content": st.text(max_size=200) | st.lists(part | json_values, max_size=4) | json_values,
              "type": st.sampled_from(["message", "function_call_output", "reasoning"]) | json_values},
)
bodies = st.fixed_dictionaries(
    {"model": st.sampled_from(["auto-chat", "auto-codex", "auto-claude", "claude-haiku-4-5-20251001"]) | json_values},
    optional={
        "messages": st.lists(message | json_values, max_size=8) | json_values,
        "input": st.text(max_size=100) | st.lists(message | json_values, max_size=6) | json_values,
        "prompt": st.text(max_size=100) | st.lists(st.text(max_size=20), max_size=3) | json_values,
        "system": st.text(max_size=100) | json_values,
        "metadata": st.fixed_dictionaries({}, optional={"user_id": st.text(max_size=50) | json_values}) | json_values,
        "max_tokens": st.integers() | json_values,
        "thinking": json_values,
        "reasoning": json_values,
        "tools": json_values,
        "prompt_cache_key": json_values,
    },
)
headers = st.dictionaries(
    st.sampled_from(["x-session-id", "x-vibe-route", "x-claude-code-session-id", "session-id", "other"]),
    st.text(max_size=30), max_size=3,
)


ROUTER = Router(load_config(CONFIG), SessionStore(RedisSettings()))


@pytest.fixture(scope="module")
def plugin() -> VibeRouter:
    return VibeRouter(load_config(CONFIG), SessionStore(RedisSettings()))


def run_hook(plugin: VibeRouter, endpoint: str, body: Any) -> Any:
    return hook(plugin, body, ENDPOINT_CALL_TYPES[endpoint])


@BUDGET
@given(endpoint=st.sampled_from(list(ENDPOINT_CALL_TYPES)), body=bodies, request_headers=headers)
def test_the_engine_never_raises(endpoint: str, body: dict[str, Any], request_headers: dict[str, str]) -> None:
    shape_error(endpoint, body)
    Policy(ROUTER.config).decide(endpoint, body)
    asyncio.run(ROUTER.route(RouteRequest(endpoint, body, request_headers)))


@BUDGET
@given(endpoint=st.sampled_from(list(ENDPOINT_CALL_TYPES)), body=bodies)
def test_the_hook_routes_or_answers_400(plugin: VibeRouter, endpoint: str, body: dict[str, Any]) -> None:
    try:
        data = run_hook(plugin, endpoint, body)
    except HTTPException as exc:
        assert exc.status_code == 400
        assert getattr(exc, "param", None)
        return
    record = None
    for field in ("metadata", "litellm_metadata"):
        if isinstance(data.get(field), dict):
            record = data[field].get(METADATA_KEY) or record
    if record is not None:
        assert not record.get("fail_open"), record


HUGE = "word " * 2_000_000  # 10 MB


@pytest.mark.parametrize(("endpoint", "body"), [
    ("chat", {"model": "auto-chat", "messages": [{"role": "user", "content": HUGE}]}),
    ("completions", {"model": "auto-chat", "prompt": HUGE}),
    ("messages", {"model": "auto-claude", "messages": [{"role": "user", "content": [{"type": "text", "text": HUGE}]}]}),
    ("responses", {"model": "auto-codex", "input": HUGE}),
    ("chat", {"model": "auto-chat", "messages": [{"role": "user", "content": "hi"}] * 10_000}),
    ("messages", {"model": "auto-claude", "messages": [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i}"} for i in range(10_001)]}),
    ("chat", {"model": "auto-chat", "messages": [{"role": "user", "content": "\ud800\udfff lone \udc80 halves"}]}),
    ("responses", {"model": "auto-codex", "input": [{"role": "user", "content": [
        {"type": "input_text", "text": "surrogate \ud83d at the end \ud83d"}]}]}),
])
def test_explicit_monsters_are_routed(plugin: VibeRouter, endpoint: str, body: dict[str, Any]) -> None:
    data = run_hook(plugin, endpoint, body)
    assert data["model"].startswith("pool-")


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


def test_deeply_nested_content_gets_a_400(plugin: VibeRouter) -> None:
    body = {"model": "auto-chat", "messages": [{"role": "user", "content": nested(50_000)}]}
    with pytest.raises(HTTPException) as raised:
        run_hook(plugin, "chat", body)
    assert getattr(raised.value, "param", None) == "messages[0].content[0]"


def test_deeply_nested_content_is_routed_when_rejection_is_off() -> None:
    config = load_config(CONFIG)
    router = Router(config, SessionStore(RedisSettings()))
    body = {"model": "auto-chat", "messages": [{"role": "user", "content": [{"type": "text", "text": nested(50_000)}]}]}
    routed = asyncio.run(router.route(RouteRequest("chat", body)))
    assert routed is not None and routed.decision.pool.startswith("pool-chat")


@pytest.mark.parametrize("model", [None, 42, 3.5, ["auto-chat"], {"name": "auto-chat"}, True, ""])
def test_null_and_non_string_models_are_left_to_litellm(plugin: VibeRouter, model: Any) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    assert run_hook(plugin, "chat", body) is body
    assert body["model"] == model
