"""`build_view` on hostile input: malformed shapes never raise, and huge bodies stay bounded."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.bodies import user
from vibe_router.request import DEFAULT_MAX_TEXT_CHARS, bound, build_view

# --------------------------------------------------------------------------- malformed shapes never raise

MALFORMED = [
    ("chat", {}),
    ("chat", {"messages": None}),
    ("chat", {"messages": "hello"}),
    ("chat", {"messages": 5}),
    ("chat", {"messages": [None, 3, "x", [], {}]}),
    ("chat", {"messages": [user(None)]}),
    ("chat", {"messages": [user(42)]}),
    ("chat", {"messages": [user([[["nested"]], [{"type": "text", "text": "deep"}]])]}),
    ("chat", {"messages": [user([{"type": "text", "text": None}, {"type": "text", "text": 5}, {"no": "type"}])]}),
    ("chat", {"messages": [{"role": "assistant", "content": "no user message at all"}]}),
    ("chat", {"messages": [{"content": "no role"}, {"role": 7, "content": "odd role"}]}),
    ("messages", {"system": 5, "messages": [user([{"type": "mystery_block", "payload": {"a": 1}}])]}),
    ("messages", {"system": [None, {"type": "text", "text": {"text": {"text": {"text": {"text": "x"}}}}}]}),
    ("messages", {"messages": [user([{"type": "tool_result", "content": None}, {"type": "document"}])]}),
    ("completions", {"prompt": None}),
    ("completions", {"prompt": 5}),
    ("completions", {"prompt": [["nested"], "mixed"]}),
    ("responses", {"input": 5}),
    ("responses", {"input": [1, "x", None, {}]}),
    ("responses", {"input": [{"type": "function_call_output", "output": None}], "instructions": ["a", {"t": 1}]}),
    ("responses", {"input": None, "reasoning": "high", "tools": "not a list", "max_output_tokens": 1.5}),
]


@pytest.mark.parametrize(("endpoint", "body"), MALFORMED)
def test_malformed_bodies_never_raise(endpoint: str, body: dict[str, Any]) -> None:
    turn = build_view(endpoint, body)
    assert isinstance(turn.text, str) and isinstance(turn.system_text, str)
    assert "no user message" not in turn.text


def test_deeply_nested_content_is_cut_off() -> None:
    node: dict[str, Any] = {"text": "bottom"}
    for _ in range(2000):
        node = {"content": [node]}
    turn = build_view("chat", {"messages": [{"role": "system", "content": [node]}, user("q")]})
    assert (turn.text, turn.system_text) == ("q", "")


def test_unknown_endpoint_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="embeddings"):
        build_view("embeddings", {"input": "x"})


# --------------------------------------------------------------------------- size bound

FIVE_MB = 5_000_000
HUGE = "HEAD " + "lorem ipsum " * ((FIVE_MB - 10) // 12) + " TAIL"


@pytest.mark.parametrize(("endpoint", "body"), [
    ("chat", {"messages": [user(HUGE)]}),
    ("completions", {"prompt": HUGE}),
    ("messages", {"messages": [user([{"type": "text", "text": HUGE}])]}),
    ("responses", {"input": HUGE}),
])
def test_five_megabyte_prompt_keeps_head_and_tail(endpoint: str, body: dict[str, Any]) -> None:
    turn = build_view(endpoint, body)
    assert turn.text.startswith("HEAD ") and turn.text.endswith(" TAIL")
    assert len(turn.text) < 2 * DEFAULT_MAX_TEXT_CHARS
    assert turn.total_chars == len(HUGE)  # size is counted in full, text is bounded


@pytest.mark.parametrize("body", [
    {"messages": [user("<system-reminder>" * (FIVE_MB // 17))]},
    {"messages": [user("<system-reminder>" + "x" * FIVE_MB + "</system-reminder>hi")]},
    {"messages": [user("<a" * (FIVE_MB // 2))]},
    {"messages": [user("hi")] * 100_000},
])
def test_adversarial_bodies_stay_bounded(body: dict[str, Any]) -> None:
    turn = build_view("chat", body)
    assert len(turn.text) <= 2 * DEFAULT_MAX_TEXT_CHARS
    assert turn.text in ("", "hi") or turn.text.startswith("<a<a")


@pytest.mark.parametrize("limit", [DEFAULT_MAX_TEXT_CHARS, 10])
def test_text_is_never_longer_than_max_text_chars(limit: int) -> None:
    assert len(bound(HUGE, limit)) <= limit
    turn = build_view("completions", {"prompt": HUGE}, max_text_chars=limit)
    assert len(turn.text) <= limit
