"""`build_view` on the committed client fixtures: the newest human words, system text, counts and sizes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures.bodies.claude_code import CLAUDE_COMPLEX, CLAUDE_REFACTOR
from tests.fixtures.bodies.claude_code_prompt import CLAUDE_BILLING, CLAUDE_IDENTITY
from tests.fixtures.bodies.codex import CODEX_COMPLEX, CODEX_LOOP_TASK
from tests.fixtures.make_fixtures import build_all  # the entry script writes what this checks
from tests.support.bodies import FIXTURES, load
from vibe_router.request import TurnView, build_view

ENDPOINT = {"claude": "messages", "codex": "responses", "chat": "chat"}


def view(name: str, **kwargs: Any) -> TurnView:
    return build_view(ENDPOINT[name.split("_")[0]], load(name), **kwargs)


# --------------------------------------------------------------------------- the fixtures themselves

def test_fixture_files_match_their_generator() -> None:
    built = build_all()
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
    ("claude_code_complex", CLAUDE_COMPLEX),
    ("claude_code_tool_loop", CLAUDE_REFACTOR),  # a tool loop keeps judging the task that started it
    ("codex_hi", "hi"),
    ("codex_complex", CODEX_COMPLEX),
    ("codex_tool_loop", CODEX_LOOP_TASK),
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
        assert CLAUDE_IDENTITY in turn.system_text
        assert CLAUDE_BILLING in turn.system_text
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

