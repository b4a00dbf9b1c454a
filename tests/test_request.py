"""`build_view`: any wire format -> the newest human text and the shape of the turn."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vibe_router.request import DEFAULT_MAX_TEXT_CHARS, TurnView, bound, build_view
from vibe_router.wrappers import WrapperStripper

FIXTURES = Path(__file__).parent / "fixtures"
_spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)

ENDPOINT = {"claude": "messages", "codex": "responses", "chat": "chat"}


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def view(name: str, **kwargs: Any) -> TurnView:
    return build_view(ENDPOINT[name.split("_")[0]], load(name), **kwargs)


def user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


# --------------------------------------------------------------------------- the fixtures themselves

def test_fixture_files_match_their_generator() -> None:
    built = fx.build_all()
    assert sorted(built) == sorted(path.stem for path in FIXTURES.glob("*.json"))
    for name, body in built.items():
        assert load(name) == body, f"{name}.json is stale: run tests/fixtures/make_fixtures.py"


@pytest.mark.parametrize(("name", "low", "high"), [
    ("claude_code_hi", 44_000, 54_000),
    ("codex_hi", 36_000, 44_000),
])
def test_agent_fixtures_are_as_big_as_the_real_clients_bodies(name: str, low: int, high: int) -> None:
    assert low <= len(json.dumps(load(name))) <= high


# --------------------------------------------------------------------------- fixtures: text and counts

@pytest.mark.parametrize(("name", "expected"), [
    ("claude_code_hi", "hi"),
    ("claude_code_complex", fx.CLAUDE_COMPLEX),
    ("claude_code_tool_loop", fx.CLAUDE_REFACTOR),  # a tool loop keeps judging the task that started it
    ("codex_hi", "hi"),
    ("codex_complex", fx.CODEX_COMPLEX),
    ("codex_tool_loop", fx.CODEX_LOOP_TASK),
    ("chat_plain", "What is the capital of France?"),
    ("chat_image", "What is in this picture?"),
    ("chat_tool_continuation", "What's the weather in Paris and Berlin?"),
    ("chat_conversation", "Thanks! Can you summarize the plan in a short list?"),
])
def test_text_is_exactly_the_newest_human_words(name: str, expected: str) -> None:
    assert view(name).text == expected


@pytest.mark.parametrize("name", ["claude_code_hi", "claude_code_complex", "codex_hi", "codex_complex"])
def test_harness_text_is_system_text_not_user_text(name: str) -> None:
    turn = view(name, max_text_chars=200_000)
    for marker in ("<system-reminder>", "claudeMd", "AGENTS.md", "<INSTRUCTIONS>", "<environment_context>",
                   "You are Claude Code", "You are Codex", "# Environment", "permissions instructions"):
        assert marker not in turn.text
    if name.startswith("claude"):
        assert fx.CLAUDE_IDENTITY in turn.system_text
        assert fx.CLAUDE_BILLING in turn.system_text
        assert "# Environment\nYou have been invoked" in turn.system_text  # messages[1], role "system"
    else:
        assert turn.system_text.startswith("You are Codex")  # input[0], a developer message
        assert "<permissions instructions>" in turn.system_text  # input[1]
    assert "Contents of /home/u/proj/CLAUDE.md" not in turn.system_text  # a user-turn wrapper: neither


COUNTS = {
    # name: turns, messages, tools, images, continuation, carries_reasoning
    "claude_code_hi": (1, 1, 13, 0, False, False),
    "claude_code_complex": (1, 1, 13, 0, False, False),
    "claude_code_tool_loop": (1, 5, 13, 0, True, True),
    "codex_hi": (1, 1, 21, 0, False, False),
    "codex_complex": (1, 2, 21, 0, False, False),
    "codex_tool_loop": (1, 8, 21, 0, True, True),
    "chat_plain": (1, 1, 0, 0, False, False),
    "chat_image": (1, 1, 0, 1, False, False),
    "chat_tool_continuation": (1, 4, 1, 0, True, False),
    "chat_conversation": (7, 13, 0, 0, False, False),
}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_fixture_counts(name: str) -> None:
    turn = view(name)
    got = (turn.turns, turn.messages, turn.tools, turn.images, turn.continuation, turn.carries_reasoning)
    assert got == COUNTS[name]
    assert turn.code_blocks == 0


@pytest.mark.parametrize(("name", "thinking", "effort", "max_tokens"), [
    ("claude_code_hi", True, "high", 32000),  # every Claude Code request: adaptive thinking, effort high
    ("claude_code_tool_loop", True, "high", 32000),
    ("codex_hi", True, "medium", None),
    ("chat_plain", False, None, None),
    ("chat_image", False, None, 500),
])
def test_fixture_thinking_effort_and_max_tokens(name: str, thinking: bool, effort: str | None,
                                                max_tokens: int | None) -> None:
    turn = view(name)
    assert (turn.thinking, turn.reasoning_effort, turn.max_tokens) == (thinking, effort, max_tokens)


def _texts(node: Any) -> int:
    """Characters of every "text" string (content blocks, input_text parts, system blocks)."""
    if isinstance(node, dict):
        own = len(node["text"]) if isinstance(node.get("text"), str) else 0
        return own + sum(_texts(value) for key, value in node.items() if key != "text")
    if isinstance(node, list):
        return sum(_texts(item) for item in node)
    return 0


@pytest.mark.parametrize(("name", "parts"), [
    ("claude_code_hi", ("system", "messages")),
    ("claude_code_complex", ("system", "messages")),
    ("codex_hi", ("input",)),
    ("codex_complex", ("input",)),
])
def test_total_chars_counts_the_whole_bodys_text(name: str, parts: tuple[str, ...]) -> None:
    body = load(name)
    expected = sum(_texts(body[part]) for part in parts)
    assert expected > 18_000  # system prompt, environment, CLAUDE.md / AGENTS.md: not just "hi"
    assert view(name).total_chars == expected


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


WRAPPED = [
    "<system-reminder>\nCLAUDE.md says: implement the architecture, debug everything.\n</system-reminder>\nfix typo",
    '<system-reminder priority="high">remember the todo list</system-reminder>fix typo',
    "<environment_context>\n  <cwd>/home/u/proj</cwd>\n  <shell>bash</shell>\n</environment_context>\nfix typo",
    "<user_instructions>\nAlways analyze the architecture first.\n</user_instructions>\n\nfix typo",
    "# AGENTS.md instructions for /home/u/proj\n\n<INSTRUCTIONS>\nImplement with care.\n</INSTRUCTIONS>\nfix typo",
    "<command-name>/clear</command-name>\n<local-command-stdout></local-command-stdout>fix typo",
    "fix typo\n<system-reminder>a wrapper cut off by the size bound, never closed",
]


@pytest.mark.parametrize("text", WRAPPED)
def test_wrappers_are_stripped(text: str) -> None:
    assert build_view("chat", {"messages": [user(text)]}).text == "fix typo"


def test_wrapper_only_user_message_is_not_a_turn() -> None:
    body = {"messages": [user("real question"), user("<system-reminder>only a reminder</system-reminder>")]}
    turn = build_view("chat", body)
    assert (turn.text, turn.turns, turn.messages) == ("real question", 1, 2)


@pytest.mark.parametrize(("text", "expected"), [
    ("<harness>ctx</harness> go", "go"),
    ("<system-reminder>x</system-reminder> go", "<system-reminder>x</system-reminder> go"),
])
def test_custom_wrapper_tags(text: str, expected: str) -> None:
    turn = build_view("chat", {"messages": [user(text)]}, stripper=WrapperStripper(("harness",)))
    assert turn.text == expected


@pytest.mark.parametrize("text", [
    "what does <environment_context> contain? Implement a parser for it.",
    "Why does Claude Code put <system-reminder> tags in my transcript? Debug the exporter.",
])
def test_a_tag_named_in_prose_keeps_the_users_words(text: str) -> None:
    assert build_view("chat", {"messages": [user(text)]}).text == text


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


# The definition `WrapperStripper._remove_blocks` must keep: one regex substitution.
def _reference_strip(text: str, tags: tuple[str, ...]) -> str:
    names = "|".join(re.escape(tag) for tag in tags)
    blocks = re.compile(rf"<({names})(?:\s[^>]*)?>.*?</\1\s*>", re.DOTALL)
    return blocks.sub("", text)


FRAGMENTS = st.sampled_from([
    "<system-reminder>", "</system-reminder>", "</system-reminder >", '<system-reminder a="1">', "<system-reminderx>",
    "<command-name>", "</command-name>", "<command-message>", "</command-message>", "<x>", "</x>", "<", ">", "</",
    "fix typo", " ", "\n", "\t", "a", "# AGENTS.md instructions for /p\n",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, max_size=16).map("".join))
def test_block_removal_matches_the_regex_definition(text: str) -> None:
    tags = ("system-reminder", "command-name", "command-message")
    assert WrapperStripper(tags)._remove_blocks(text) == _reference_strip(text, tags)


def test_no_wrapper_tags_strip_no_blocks() -> None:
    text = "<></> go <x>y</x>"
    assert WrapperStripper(()).strip(text) == text
