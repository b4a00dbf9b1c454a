"""Side requests (Claude Code's session title and the like): told apart from turns by structure, and
never moving a session's tier."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.routing import COMPLEX, decide, make_router, route_all, scenarios
from tests.support.stack import CONFIG
from vibe_router.config_values import ConfigError
from vibe_router.policy import Policy
from vibe_router.request import TurnView, build_view
from vibe_router.router import RouteRequest
from vibe_router.session_id import find_session_id
from vibe_router.side_requests import SideRequests
from vibe_router_tools.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
TITLE_SIGNALS = "side-request: no-tools+output-schema+marker:session"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def policy(*changes: Any) -> Policy:
    return make_router(*changes).policy


def reworded(body: dict[str, Any], marker: str = "session") -> dict[str, Any]:
    """The title request as a later release might word it: other prompts, perhaps another wrapper tag."""
    body = copy.deepcopy(body)
    body["system"][2]["text"] = "Give this piece of work a handle of at most four words. Reply as JSON."
    body["messages"][0]["content"][0]["text"] = (
        f"<{marker}>\nRefactor the session store to use Redis and debug the expiry\n</{marker}>\n\nKeep it short.")
    return body


def test_the_genuine_title_request_is_housekeeping_by_its_structure() -> None:
    decision = policy().decide("messages", fixture("claude_code_title"))
    assert decision is not None
    assert (decision.pool, decision.decided_by, decision.note) == (
        "pool-claude-haiku", "scenario:housekeeping", TITLE_SIGNALS)


def test_codexs_thread_title_request_is_housekeeping_by_its_structure() -> None:
    # Codex 0.169's TUI: the same developer prompts as its turns, but no tools and a JSON schema.
    decision = policy().decide("responses", fixture("codex_title"))
    assert decision is not None
    assert (decision.pool, decision.decided_by, decision.note) == (
        "pool-codex-mini", "scenario:housekeeping", "side-request: no-tools+output-schema+marker:thread_title")
    without_metadata = {key: value for key, value in fixture("codex_title").items() if key != "client_metadata"}
    decision = policy().decide("responses", without_metadata)  # e.g. a proxy in front that drops it
    assert decision is not None and decision.note == "side-request: no-tools+output-schema"


def test_the_title_request_scores_as_hard_work_without_the_side_request_rule() -> None:
    # Why the rule is needed: its text (the session it names) scores as a hard turn.
    off = scenarios("auto-claude", housekeeping={"side_requests": False, "patterns": []})
    decision = policy(off).decide("messages", fixture("claude_code_title"))
    assert decision is not None and (decision.pool, decision.decided_by) == ("pool-claude-sonnet", "score")


@pytest.mark.parametrize(("marker", "note"), [
    ("session", TITLE_SIGNALS),
    ("conversation", "side-request: no-tools+output-schema"),  # the wrapper renamed too: two marks are enough
])
def test_new_wording_is_still_recognised(marker: str, note: str) -> None:
    decision = policy().decide("messages", reworded(fixture("claude_code_title"), marker))
    assert decision is not None and (decision.decided_by, decision.note) == ("scenario:housekeeping", note)


@pytest.mark.parametrize(("name", "endpoint", "decided_by"), [
    ("claude_code_hi", "messages", "score"),
    ("claude_code_complex", "messages", "score"),
    ("claude_code_tool_loop", "messages", "score"),
    ("codex_hi", "responses", "score"),
    ("codex_complex", "responses", "score"),
    ("codex_tool_loop", "responses", "score"),
])
def test_genuine_agent_turns_are_judged_by_score(name: str, endpoint: str, decided_by: str) -> None:
    decision = policy().decide(endpoint, fixture(name))
    assert decision is not None and decision.decided_by == decided_by


def test_a_codex_turn_with_an_output_schema_keeps_its_tools_and_its_score() -> None:
    body = fixture("codex_complex")
    body["text"] = {"format": {"type": "json_schema", "name": "answer", "schema": {"type": "object"}}}
    decision = policy().decide("responses", body)
    assert decision is not None and (decision.pool, decision.decided_by) == ("pool-codex-standard", "score")


def test_an_agent_turn_without_tools_needs_a_second_mark() -> None:
    body = fixture("claude_code_complex")
    body["tools"] = []  # e.g. `claude -p --tools ""`: a real question, asked without tools
    decision = policy().decide("messages", body)
    assert decision is not None and (decision.pool, decision.decided_by) == ("pool-claude-sonnet", "score")


def test_no_tools_does_not_count_for_a_chat_client() -> None:
    # A chat UI never sends tools: asking it for JSON is one mark, not two.
    body = {"model": "auto-chat", "response_format": {"type": "json_schema", "json_schema": {"name": "x"}},
            "messages": [{"role": "user", "content": COMPLEX}]}
    decision = policy().decide("chat", body)
    assert decision is not None and (decision.pool, decision.decided_by) == ("pool-chat-standard", "score")
    # The same body from a Codex session (its id in prompt_cache_key) has two.
    turn = build_view("responses", {"input": COMPLEX, "text": {"format": {"type": "json_object"}}})
    assert SideRequests().signals(turn, agent=True) == ["no-tools", "output-schema"]


def claude_turn(text: str) -> dict[str, Any]:
    body = fixture("claude_code_hi")
    body["messages"][0]["content"][-1]["text"] = text
    return body


def test_title_then_hi_then_hard_in_one_session() -> None:
    # The bug: the title request scored 100+, and escalate_only pinned the session to the standard tier.
    router = make_router()
    headers = {"x-claude-code-session-id": "tui-session-1"}

    def turn(body: dict[str, Any]) -> RouteRequest:
        return RouteRequest("messages", body, headers)

    assert decide(router, turn(fixture("claude_code_title")), turn(claude_turn("hi")), turn(claude_turn(COMPLEX)),
                  turn(fixture("claude_code_title")), turn(claude_turn("hi"))) == [
        ("cheap", "scenario:housekeeping"),
        ("cheap", "score"),
        ("standard", "score"),
        ("cheap", "scenario:housekeeping"),  # served cheap even in an escalated session ...
        ("standard", "sticky:escalate_only"),  # ... and leaves the session where it was
    ]


def test_the_title_request_leaves_no_session_state() -> None:
    router = make_router()
    route_all(router, RouteRequest("messages", fixture("claude_code_title")))  # its id: metadata.user_id
    key = router.store.key("session", "auto-claude", session_digest(fixture("claude_code_title")))
    assert router.store.local.peek_tier(key) is None
    route_all(router, RouteRequest("messages", claude_turn(COMPLEX)))
    assert router.store.local.peek_tier(key) == 1  # the same key does hold a turn's tier


def session_digest(body: dict[str, Any]) -> str:
    return find_session_id(body, {}).digest[:32]


def test_settings_from_the_config() -> None:
    change = scenarios("auto-claude", housekeeping={"side_requests": {"min_signals": 3, "markers": ["session"]}})
    housekeeping = make_router(change).config.virtual_models["auto-claude"].scenarios.housekeeping
    assert housekeeping is not None and housekeeping.side_requests == SideRequests(min_signals=3, markers=("session",))
    reworded_title = reworded(fixture("claude_code_title"), "conversation")
    decision = policy(change).decide("messages", reworded_title)
    assert decision is not None and decision.decided_by == "score"  # two marks, three wanted
    off = make_router(scenarios("auto-claude", housekeeping={"side_requests": False}))
    housekeeping = off.config.virtual_models["auto-claude"].scenarios.housekeeping
    assert housekeeping is not None and housekeeping.side_requests is None


@pytest.mark.parametrize(("value", "key"), [
    ({"min_signals": 0}, "side_requests.min_signals"),
    ({"min_signals": 4}, "side_requests.min_signals"),  # only three kinds of mark exist
    ({"markers": [], "no_tools": False, "min_signals": 2}, "side_requests.min_signals"),
    ({"markers": ["<session>"]}, "side_requests.markers"),
    ({"markers": "session"}, "side_requests.markers"),
    ({"no_tools": "yes"}, "side_requests.no_tools"),
    ({"output_schema": 1}, "side_requests.output_schema"),
    ({"max_signals": 2}, "side_requests.max_signals"),
    ("on", "side_requests"),
])
def test_config_errors_name_the_key(value: Any, key: str) -> None:
    change = scenarios("auto-claude", housekeeping={"side_requests": value})
    with pytest.raises(ConfigError) as caught:
        make_router(change)
    assert caught.value.key == f"vibe_router.virtual_models.auto-claude.scenarios.housekeeping.{key}"


@pytest.mark.parametrize(("endpoint", "fields", "structured"), [
    ("messages", {"output_config": {"format": {"type": "json_schema", "schema": {}}}}, True),
    ("messages", {"output_config": {"effort": "high"}}, False),  # every Claude Code turn has this
    ("messages", {"output_format": {"type": "json_schema", "schema": {}}}, True),
    ("chat", {"response_format": {"type": "json_object"}}, True),
    ("chat", {"response_format": {"type": "text"}}, False),
    ("responses", {"text": {"format": {"type": "json_schema", "name": "x", "schema": {}}}}, True),
    ("responses", {"text": {"verbosity": "medium"}}, False),
    ("responses", {"text": "json_schema"}, False),
])
def test_structured_output_in_each_wire_format(endpoint: str, fields: dict[str, Any], structured: bool) -> None:
    body = {"input": "hi"} if endpoint == "responses" else {"messages": [{"role": "user", "content": "hi"}]}
    assert build_view(endpoint, {**body, **fields}).structured_output is structured


def test_explain_names_the_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "title.json"
    path.write_text(json.dumps(fixture("claude_code_title")))
    assert main(["explain", "--config", str(CONFIG), "--file", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == f"decided by     scenario:housekeeping  ({TITLE_SIGNALS})"
    assert main(["explain", "--config", str(CONFIG), "--json", "--file", str(path)]) == 0
    decision = json.loads(capsys.readouterr().out)
    assert (decision["decided_by"], decision["note"], decision["pool"]) == (
        "scenario:housekeeping", TITLE_SIGNALS, "pool-claude-haiku")
    assert decision["reason"].startswith(f"scenario:housekeeping: {TITLE_SIGNALS}; ")


@pytest.mark.parametrize(("turn", "agent", "signals"), [
    (TurnView("responses", "Name this task", client_source="thread_title", structured_output=True), True,
     ["no-tools", "output-schema", "marker:thread_title"]),
    (TurnView("responses", "fix it", tools=9, client_source="subagent"), True, []),  # not a marker it knows
    (TurnView("messages", "<session>\nfix it\n</session>\n\nName it.", structured_output=True), True,
     ["no-tools", "output-schema", "marker:session"]),
    (TurnView("messages", "<session>\nfix it\n</session>", tools=12, structured_output=True), True,
     ["output-schema", "marker:session"]),
    (TurnView("messages", "<session> never closed", structured_output=True), True, ["no-tools", "output-schema"]),
    (TurnView("messages", "see <session>x</session>", structured_output=True), False, ["output-schema"]),
    (TurnView("messages", '<session id="1">x</session>'), False, ["marker:session"]),
    (TurnView("messages", "<sessions>x</sessions>"), True, ["no-tools"]),
    (TurnView("chat", "hi"), False, []),
])
def test_each_mark_and_the_count(turn: TurnView, agent: bool, signals: list[str]) -> None:
    side = SideRequests()
    assert side.signals(turn, agent) == signals
    assert side.matches(turn, agent) == ("side-request: " + "+".join(signals) if len(signals) >= 2 else None)
    assert SideRequests(min_signals=1).matches(turn, agent) == ("side-request: " + "+".join(signals) if signals
                                                                 else None)
