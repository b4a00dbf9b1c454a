"""The judge's verdicts and the answers of every wire format, as `vibe-router label` reads them."""

from __future__ import annotations

import pytest

from vibe_router_tools.echo_quality import judge_verdict
from vibe_router_tools.training.label import RUBRIC, answer_text, parse_verdict


@pytest.mark.parametrize(("reply", "winner"), [
    ('{"winner": "A", "reason": "correct"}', "A"),
    ('Sure.\n```json\n{"winner": "b", "reason": "more complete"}\n```', "B"),
    ('{"winner": "Tie", "reason": "same"}', "tie"),
    ("B. It handles the edge case.", "B"),
    ("tie", "tie"),
    ("I cannot decide.", "?"),
    ('{"winner": "C"}', "?"),
])
def test_parse_verdict(reply: str, winner: str) -> None:
    assert parse_verdict(reply)[0] == winner


def test_the_echo_judge_reads_the_rubric_it_is_sent() -> None:
    prompt = RUBRIC.format(request="q", a="WRONG answer from gpt-5-mini", b="RIGHT answer from gpt-5")
    assert parse_verdict(judge_verdict(prompt))[0] == "B"
    both = RUBRIC.format(request="q", a="RIGHT answer from x", b="RIGHT answer from y")
    assert parse_verdict(judge_verdict(both))[0] == "tie"


@pytest.mark.parametrize(("endpoint", "payload"), [
    ("chat", {"choices": [{"message": {"content": "hello"}}]}),
    ("completions", {"choices": [{"text": "hello"}]}),
    ("messages", {"content": [{"type": "thinking", "thinking": "x"}, {"type": "text", "text": "hello"}]}),
    ("responses", {"output": [{"type": "reasoning"}, {"type": "message", "content": [
        {"type": "output_text", "text": "hel"}, {"type": "output_text", "text": "lo"}]}]}),
])
def test_answer_text_of_every_wire_format(endpoint: str, payload: dict) -> None:
    assert answer_text(endpoint, payload) == "hello"
