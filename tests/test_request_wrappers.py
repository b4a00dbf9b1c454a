"""`build_view` strips the wrappers clients put around the user's words, and only those."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.bodies import user
from vibe_router.request import build_view
from vibe_router.wrappers import WrapperStripper

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
