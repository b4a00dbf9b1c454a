"""The score memo: turns with equal memo keys score the same, so an agent's tool loop scores
its human turn once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.configs import heuristic_document
from tests.support.stack import CONFIG
from vibe_router.config import load_config, parse_config
from vibe_router.policy import Policy
from vibe_router.request import ENDPOINTS, TurnView
from vibe_router.router import Router, RouteRequest
from vibe_router.scoring import Score, Scorer, UnavailableScorer
from vibe_router.scoring.features import turn_features
from vibe_router.scoring.heuristic import HeuristicScorer
from vibe_router.scoring.learned import LearnedScorer, LinearModel
from vibe_router.scoring.memo import ScoreMemo
from vibe_router.sessions import RedisSettings, SessionStore

CONFIG_VALUES = load_config(CONFIG)
BUDGET = settings(max_examples=200, deadline=None, derandomize=True)

WORDS = st.sampled_from(["hi", "implement", "debug the", "architecture", "```py\nx = 1\n```", "why?", "Then.",
                         "ls", "2 + 3 = 5", "Paris", "\n", " "])
TEXT = st.lists(WORDS, max_size=30).map(" ".join)
SMALL = st.integers(min_value=0, max_value=12)
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "endpoint": st.sampled_from(ENDPOINTS),
    "text": TEXT,
    "turns": SMALL,
    "messages": SMALL,
    "code_blocks": SMALL,
    "images": SMALL,
    "tools": SMALL,
    "thinking": st.booleans(),
    "reasoning_effort": st.sampled_from([None, "low", "high"]),
    "total_chars": st.integers(min_value=0, max_value=10**6),
    "continuation": st.booleans(),
    "carries_reasoning": st.booleans(),
    "max_tokens": st.sampled_from([None, 1, 16, 4096]),
    "system_text": TEXT,
    "first_text": TEXT,
    "double_brackets": st.booleans(),
    "items": SMALL,
    "resumed": SMALL,
    "structured_output": st.booleans(),
    "client_source": st.sampled_from(["", "thread_title"]),
}
VIEWS = st.builds(TurnView, **FIELDS)


def scorers() -> list[Scorer]:
    configured = {virtual.scorer_name: virtual.scorer for virtual in CONFIG_VALUES.virtual_models.values()}
    # The shipped model leaves some structure unweighted; this one weighs every feature it can see.
    every_feature = {name: 0.1 * (i + 1) for i, name in enumerate(turn_features(TurnView("chat", "x")).dense)}
    every_feature |= {"implement": 0.7, "debug the": 0.4, "hi": -0.5}
    learned_everything = LearnedScorer(LinearModel.from_names(-0.3, every_feature))
    return [HeuristicScorer(), LearnedScorer.from_settings({}), learned_everything, *configured.values()]


def test_every_field_of_the_turn_view_is_generated() -> None:
    assert set(FIELDS) == set(TurnView._fields)


@BUDGET
@given(view=VIEWS, other=VIEWS)
def test_views_with_equal_memo_keys_score_the_same(view: TurnView, other: TurnView) -> None:
    """Changing any field a scorer leaves out of its key must leave its score alone."""
    for scorer in scorers():
        key = scorer.memo_key(view)
        assert key is not None and hash(key) is not None
        unread = {name: getattr(other, name) for name in TurnView._fields
                  if scorer.memo_key(view._replace(**{name: getattr(other, name)})) == key}
        assert scorer.score(view._replace(**unread)) == scorer.score(view)


class Counting(Scorer):
    kind = "counting"

    def __init__(self, keyed: bool = True) -> None:
        self.calls = 0
        self.keyed = keyed

    def memo_key(self, turn: TurnView) -> Any:
        return turn.text if self.keyed else None

    def score(self, turn: TurnView) -> Score:
        self.calls += 1
        return Score(len(turn.text))


def test_a_score_is_reused_for_an_equal_key_and_recomputed_otherwise() -> None:
    memo, scorer = ScoreMemo(), Counting()
    first = memo.score(scorer, TurnView("chat", "hello there"))
    assert memo.score(scorer, TurnView("chat", "hello there", total_chars=900, continuation=True)) is first
    memo.score(scorer, TurnView("chat", "something else"))
    assert (scorer.calls, memo.hits) == (2, 1)
    other = Counting()
    memo.score(other, TurnView("chat", "hello there"))
    assert other.calls == 1  # one scorer's score is never another's


def test_scorers_without_a_key_are_always_called() -> None:
    memo, scorer = ScoreMemo(), Counting(keyed=False)
    for _ in range(3):
        memo.score(scorer, TurnView("chat", "same"))
    assert (scorer.calls, len(memo)) == (3, 0)
    with pytest.raises(Exception, match="gone"):
        memo.score(UnavailableScorer("gone"), TurnView("chat", "same"))


def test_the_memo_keeps_only_the_newest_scores() -> None:
    memo, scorer = ScoreMemo(size=3), Counting()
    for text in ("a", "b", "c", "a", "d"):  # "a" was used again, so "b" is the oldest
        memo.score(scorer, TurnView("chat", text))
    assert len(memo) == 3
    memo.score(scorer, TurnView("chat", "a"))
    memo.score(scorer, TurnView("chat", "b"))
    assert scorer.calls == 5


def test_a_tool_loop_is_scored_once_and_decided_as_without_the_memo() -> None:
    # On the heuristic, which reads no continuation flag: one score for the whole loop. (The learned
    # and gain scorers' keys include it, so their loops cost two scoring passes.)
    values = parse_config(heuristic_document())
    router = Router(values, SessionStore(RedisSettings()))
    fresh = Policy(values)
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Implement a parser for the config, and debug it."}]
    for step in range(4):
        body = {"model": "auto-chat", "messages": [dict(message) for message in messages]}
        routed = asyncio.run(router.route(RouteRequest("chat", body)))
        expected = fresh.decide("chat", body)
        assert (routed.decision.score, routed.decision.reasons) == (expected.score, expected.reasons)
        messages += [{"role": "assistant", "content": None, "tool_calls": [{"id": f"c{step}", "type": "function",
                      "function": {"name": "read", "arguments": "{}"}}]},
                     {"role": "tool", "tool_call_id": f"c{step}", "content": f"file {step}"}]
    assert router.policy.scores.hits == 3
