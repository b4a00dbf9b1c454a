"""`build_view` on inline bodies of every endpoint: text and system text, continuation, reasoning,
thinking and effort, max tokens, images, tools and code blocks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.bodies import user
from vibe_router.request import build_view

# --------------------------------------------------------------------------- four endpoints, inline bodies

@pytest.mark.parametrize(("endpoint", "body", "text", "system"), [
    ("chat", {"messages": [{"role": "system", "content": "Be brief."}, user("hello there")]},
     "hello there", "Be brief."),
    ("chat", {"messages": [{"role": "developer", "content": "Dev rules."},
                           user([{"type": "text", "text": "part one"}, {"type": "text", "text": "part two"}])]},
     "part one\npart two", "Dev rules."),
    ("chat", {"messages": [user("first"), {"role": "assistant", "content": "ok"}, user("second")]}, "second", ""),
    ("completions", {"prompt": "Say this is a test"}, "Say this is a test", ""),
    ("completions", {"prompt": ["an older prompt", "the newest prompt"]}, "the newest prompt", ""),
    ("completions", {"prompt": [1734, 318, 257]}, "", ""),  # token ids: no text to judge
    ("messages", {"system": "You are terse.", "messages": [user("What is 2+2?")]}, "What is 2+2?", "You are terse."),
    ("messages", {"system": [{"type": "text", "text": "Block system."}],
                  "messages": [user([{"type": "text", "text": "block user"}])]}, "block user", "Block system."),
    ("responses", {"instructions": "Be helpful.", "input": "plain string input"}, "plain string input", "Be helpful."),
    ("responses", {"input": [{"type": "message", "role": "user",
                              "content": [{"type": "input_text", "text": "item input"}]}]}, "item input", ""),
    ("responses", {"input": [{"role": "developer", "content": "dev"}, {"role": "user", "content": "short form"}]},
     "short form", "dev"),
])
def test_each_endpoint_finds_text_and_system_text(endpoint: str, body: dict[str, Any], text: str,
                                                  system: str) -> None:
    turn = build_view(endpoint, body)
    assert (turn.endpoint, turn.text, turn.system_text) == (endpoint, text, system)



# --------------------------------------------------------------------------- continuation and reasoning

@pytest.mark.parametrize(("endpoint", "messages", "expected"), [
    ("chat", [user("weather?"), {"role": "assistant", "tool_calls": []}, {"role": "tool", "content": "9C"}], True),
    ("chat", [user("hi"), {"role": "assistant", "content": None}, {"role": "function", "content": "x"}], True),
    ("chat", [user("weather?"), {"role": "tool", "content": "9C"}, user("and tomorrow?")], False),
    ("messages", [user("ls"), user([{"type": "tool_result", "tool_use_id": "t", "content": "a.py"}])], True),
    ("messages", [user([{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": "x"}]},
                        {"type": "text", "text": "<system-reminder>r</system-reminder>"}])], True),
    ("messages", [user("hi"), {"role": "system", "content": "env"}], False),  # Claude Code's messages[1]
    ("messages", [user("hi"), {"role": "assistant", "content": "hello"}], False),
])
def test_continuation_chat_and_messages(endpoint: str, messages: list[Any], expected: bool) -> None:
    assert build_view(endpoint, {"messages": messages}).continuation is expected


@pytest.mark.parametrize(("items", "expected"), [
    ([{"role": "user", "content": "run it"}, {"type": "function_call", "call_id": "c", "arguments": "{}"},
      {"type": "function_call_output", "call_id": "c", "output": "done"}], True),
    ([{"role": "user", "content": "patch it"}, {"type": "custom_tool_call", "call_id": "c", "input": "x"},
      {"type": "custom_tool_call_output", "call_id": "c", "output": "ok"}], True),
    ([{"type": "function_call_output", "call_id": "c", "output": "ok"}, {"role": "user", "content": "thanks"}], False),
])
def test_continuation_responses(items: list[Any], expected: bool) -> None:
    assert build_view("responses", {"input": items}).continuation is expected


TOOL_RESULT = user([{"type": "tool_result", "tool_use_id": "t", "content": "ok"}])


@pytest.mark.parametrize(("endpoint", "body", "expected"), [
    ("messages", {"messages": [user("q"), {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "hmm", "signature": "sig"}, {"type": "tool_use", "id": "t"}]}, TOOL_RESULT]},
     True),
    ("messages", {"messages": [user("q"), {"role": "assistant", "content": [
        {"type": "redacted_thinking", "data": "opaque"}]}, TOOL_RESULT]}, True),
    ("responses", {"input": [{"role": "user", "content": "q"},
                             {"type": "reasoning", "summary": [], "encrypted_content": "gAAA"}]}, True),
    ("chat", {"messages": [user("q"), {"role": "assistant", "content": "a", "reasoning_content": "because"},
                           {"role": "tool", "content": "9C"}]}, True),
    ("chat", {"messages": [user("q"), {"role": "assistant", "content": "a"}, user("q2")]}, False),
    # Reasoning from an earlier human turn does not bind the next turn to its pool.
    ("messages", {"messages": [user("q"), {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "hmm", "signature": "sig"}, {"type": "text", "text": "a"}]}, user("q2")]},
     False),
    ("chat", {"messages": [user("q"), {"role": "assistant", "content": "a", "reasoning_content": "because"},
                           user("q2")]}, False),
])
def test_carries_reasoning(endpoint: str, body: dict[str, Any], expected: bool) -> None:
    assert build_view(endpoint, body).carries_reasoning is expected


@pytest.mark.parametrize(("extra", "thinking", "effort"), [
    ({}, False, None),
    ({"thinking": {"type": "enabled", "budget_tokens": 2048}}, True, None),
    ({"thinking": {"type": "adaptive"}}, True, None),
    ({"thinking": {"type": "disabled"}}, False, None),
    ({"reasoning_effort": "LOW"}, False, "low"),
    ({"reasoning_effort": "high"}, True, "high"),
    ({"reasoning": {"effort": "medium", "summary": "auto"}}, True, "medium"),
    ({"output_config": {"effort": "high"}}, True, "high"),
    ({"reasoning": "high"}, False, None),
])
def test_thinking_and_reasoning_effort(extra: dict[str, Any], thinking: bool, effort: str | None) -> None:
    turn = build_view("messages", {"messages": [user("q")], **extra})
    assert (turn.thinking, turn.reasoning_effort) == (thinking, effort)


@pytest.mark.parametrize(("extra", "expected"), [
    ({"max_tokens": 1}, 1),
    ({"max_completion_tokens": 2048}, 2048),
    ({"max_output_tokens": 4096}, 4096),
    ({"max_tokens": True}, None),
    ({"max_tokens": "100"}, None),
    ({}, None),
])
def test_max_tokens(extra: dict[str, Any], expected: int | None) -> None:
    assert build_view("chat", {"messages": [user("q")], **extra}).max_tokens == expected


@pytest.mark.parametrize(("endpoint", "body", "images", "tools"), [
    ("chat", {"messages": [user([{"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": "u"}},
                                 {"type": "image_url", "image_url": {"url": "v"}}])]}, 2, 0),
    ("messages", {"messages": [user([{"type": "image", "source": {"type": "base64", "data": "AA"}},
                                     {"type": "text", "text": "see"}])]}, 1, 0),
    ("responses", {"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "u"},
                                                          {"type": "input_text", "text": "see"}]}]}, 1, 0),
    ("chat", {"messages": [user("q")], "tools": [{}, {}], "functions": [{}]}, 0, 3),
])
def test_images_and_tools(endpoint: str, body: dict[str, Any], images: int, tools: int) -> None:
    turn = build_view(endpoint, body)
    assert (turn.images, turn.tools) == (images, tools)


@pytest.mark.parametrize(("text", "blocks"), [
    ("no code", 0),
    ("```py\nx = 1\n```", 1),
    ("```py\nx = 1\n```\nthen\n```sh\nls\n```", 2),
    ("an unclosed ```fence", 1),
])
def test_code_blocks(text: str, blocks: int) -> None:
    assert build_view("chat", {"messages": [user(text)]}).code_blocks == blocks



def test_responses_items_without_a_role_are_tool_outputs_or_the_models_own() -> None:
    body = {"input": [
        {"role": "user", "content": [{"type": "input_text", "text": "fix it"}]},
        {"type": "function_call", "call_id": "c", "name": "shell", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c", "output": "12345"},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "done"}]},
        {"type": "function_call_output", "call_id": "d", "output": [{"type": "input_text", "text": "678"}]},
    ]}
    turn = build_view("responses", body)
    assert (turn.text, turn.turns, turn.messages) == ("fix it", 1, 5)
    assert turn.total_chars == len("fix it") + len("12345") + len("done") + len("678")
    assert turn.continuation and not turn.carries_reasoning
    assert body["input"][1] == {"type": "function_call", "call_id": "c", "name": "shell", "arguments": "{}"}

