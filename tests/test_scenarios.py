"""Housekeeping patterns (found in the head of the system or the user's text, case-insensitively); the scenario
registry and the config's order."""

from __future__ import annotations

import pytest

from vibe_router.config_scenarios import parse_scenarios
from vibe_router.request import TurnView
from vibe_router.scenarios import MEMO_SIZE, SCENARIOS, SYSTEM_CHARS, Housekeeping, Images, Scenarios, Target


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


# ------------------------------------------------------------------ the registry and the config's order
def test_every_registered_scenario_has_its_name_and_attribute() -> None:
    assert list(SCENARIOS) == ["housekeeping", "long_context", "images", "thinking"]
    scenarios = Scenarios((Images(Target(tier="standard")),))
    assert scenarios.images == Images(Target(tier="standard")) and scenarios.long_context is None
    with pytest.raises(AttributeError):
        _ = scenarios.unknown


LONG_IMAGE_TURN = TurnView(endpoint="chat", text="look", images=1, total_chars=400_000)


@pytest.mark.parametrize(("order", "taken_by"), [
    (("long_context", "images"), "long_context"),
    (("images", "long_context"), "images"),
])
def test_scenarios_are_asked_in_the_configs_order(order: tuple[str, ...], taken_by: str) -> None:
    raw = {"long_context": {"min_tokens": 1000, "pool": "pool-long"}, "images": {"pool": "pool-vision"}}
    scenarios = parse_scenarios({name: raw[name] for name in order}, "scenarios", ["cheap", "standard"],
                                ["pool-long", "pool-vision"])
    assert [item.name for item in scenarios.items] == list(order)
    assert scenarios.route(LONG_IMAGE_TURN, "auto-chat")[0] == taken_by


def test_a_floor_scenario_is_never_taken_first_wherever_it_is_listed() -> None:
    scenarios = parse_scenarios({"thinking": {"min_tier": "standard"}, "images": {"tier": "standard"}}, "scenarios",
                                ["cheap", "standard"], [])
    turn = TurnView(endpoint="chat", text="x", images=1, reasoning_effort="high")
    assert scenarios.route(turn, "auto-chat")[0] == "images"
    assert scenarios.floor(turn, "auto-chat") == ("thinking", "high sets the minimum tier", Target(tier="standard"))
    assert scenarios.floor(turn._replace(reasoning_effort="low"), "auto-chat") is None
