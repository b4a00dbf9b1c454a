"""Housekeeping patterns: found in the head of the system text or of the user's text, case-insensitively."""

from __future__ import annotations

import pytest

from vibe_router.request import TurnView
from vibe_router.scenarios import MEMO_SIZE, SYSTEM_CHARS, Housekeeping


def turn(system: str, text: str = "hi") -> TurnView:
    return TurnView(endpoint="chat", text=text, system_text=system)


@pytest.mark.parametrize(("system", "text", "found"), [
    ("Write a 5-10 word title for the conversation.", "hi", True),
    ("You are Claude Code.", "Please GENERATE A CONCISE TITLE", True),
    ("You are Claude Code.", "fix the bug", False),
    ("x" * SYSTEM_CHARS + " write a 5-10 word title", "hi", False),  # past the head of the system text
])
def test_patterns_in_system_or_user_text(system: str, text: str, found: bool) -> None:
    housekeeping = Housekeeping()
    for _ in range(2):  # the second look at the same system text answers from the memo
        assert (housekeeping.matches(turn(system, text), "auto-chat") == "title-or-summary") is found


def test_the_same_system_text_with_other_user_text_is_judged_on_that_text() -> None:
    housekeeping = Housekeeping()
    system = "You are Claude Code."
    assert housekeeping.matches(turn(system, "fix the bug"), "auto-chat") is None
    assert housekeeping.matches(turn(system, "summarize the conversation so far"), "auto-chat") == "title-or-summary"


def test_a_pattern_with_a_newline_can_span_system_and_user_text() -> None:
    housekeeping = Housekeeping(patterns=("end of rules\nplease title",))
    assert housekeeping.matches(turn("... end of rules", "please title this"), "auto-chat") == "title-or-summary"
    assert housekeeping.matches(turn("... end of rules", "fix it"), "auto-chat") is None


def test_the_memo_is_bounded() -> None:
    housekeeping = Housekeeping()
    for number in range(MEMO_SIZE + 10):
        housekeeping.matches(turn(f"system prompt {number}"), "auto-chat")
    assert len(housekeeping._in_system) <= MEMO_SIZE


def test_alternating_system_texts_are_each_judged_on_their_own() -> None:
    # The last system text is remembered beside the memo; another one in between must not borrow its verdict.
    housekeeping = Housekeeping()
    titled, plain = "Write a 5-10 word title for the conversation.", "You are Claude Code."
    for _ in range(3):
        assert housekeeping.matches(turn(titled), "auto-chat") == "title-or-summary"
        equal_copy = "".join(["You are ", "Claude Code."])  # equal to `plain`, not the same object
        assert housekeeping.matches(turn(equal_copy), "auto-chat") is None
        assert housekeeping.matches(turn(plain), "auto-chat") is None
