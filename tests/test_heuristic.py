"""The heuristic scorer through `Policy`, configured by the repo's config_final.yaml with every virtual model on
the heuristic (`tests.support.configs.heuristic_document`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.bodies import load
from tests.support.configs import heuristic_document
from vibe_router.config import parse_config
from vibe_router.policy import Decision, Policy
from vibe_router.request import TurnView
from vibe_router.scoring import Reason
from vibe_router.scoring.heuristic import SENTENCE_END, HeuristicScorer, count_sentences

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config_final.yaml"
POOLS = {  # virtual model: (cheap pool, standard pool), as named in config_final.yaml
    "auto-chat": ("pool-chat-mini", "pool-chat-standard"),
    "auto-codex": ("pool-codex-mini", "pool-codex-standard"),
    "auto-claude": ("pool-claude-haiku", "pool-claude-sonnet"),
}


@pytest.fixture(scope="module")
def policy() -> Policy:
    """config_final.yaml with every virtual model on the heuristic (see `heuristic_document`)."""
    return Policy(parse_config(heuristic_document()))


def chat(text: str, model: str = "auto-chat") -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}]}


def decide(policy: Policy, text: str, model: str = "auto-chat") -> Decision:
    decision = policy.decide("chat", chat(text, model))
    assert decision is not None
    return decision


def features(policy: Policy, text: str, model: str = "auto-chat") -> dict[str, float]:
    return {reason.feature: reason.weight for reason in decide(policy, text, model).reasons}


# --------------------------------------------------------------------------- the seed's table

SEED_TABLE = [
    ("hi", 0),
    ("cat test.py", 0),
    ("Implement a distributed consensus algorithm", 1),
    ("Analyze the architecture of microservices", 1),
]


@pytest.mark.parametrize("model", sorted(POOLS))
@pytest.mark.parametrize(("text", "tier_index"), SEED_TABLE)
def test_seed_examples_route_as_listed(policy: Policy, model: str, text: str, tier_index: int) -> None:
    decision = decide(policy, text, model)
    assert decision.pool == POOLS[model][tier_index]
    assert decision.tier == ("cheap", "standard")[tier_index]
    assert decision.label == ("SIMPLE", "COMPLEX")[tier_index]


def test_seed_scores(policy: Policy) -> None:
    assert decide(policy, "hi").score == -98  # the seed's own number: 2 - 100
    assert features(policy, "Analyze the architecture of microservices") == {
        "length": 41, "complex:analyze": 150, "complex:architecture": 150,
    }


# --------------------------------------------------------------------------- keyword matching

@pytest.mark.parametrize(("text", "feature", "fires"), [
    ("this is fine", "simple:hi", False),  # the seed's substring match fired "hi" inside "this"
    ("HI there", "simple:hi", True),
    ("oh, Hi!", "simple:hi", True),
    ("show lscpu output", "simple:ls", False),
    ("run ls -la", "simple:ls", True),
    ("concatenate them", "simple:cat", False),
    ("cat test.py", "simple:test", True),  # "." ends the word
    ("contest results", "simple:test", False),
    ("Thank you!", "simple:thank you", True),
    ("IMPLEMENT it", "complex:implement", True),
    ("reimplemented", "complex:implement", False),
    ("DeBuG this", "complex:debug", True),
])
def test_keywords_match_whole_words_case_insensitively(policy: Policy, text: str, feature: str, fires: bool) -> None:
    assert (feature in features(policy, text)) is fires


def test_each_keyword_counts_once(policy: Policy) -> None:
    fired = features(policy, "debug, Debug, DEBUG and debug again")
    assert [name for name in fired if name.startswith("complex:")] == ["complex:debug"]


@pytest.mark.parametrize(("text", "expected"), [
    ("你好", {"simple:你好"}),
    ("请实现一个分布式锁", {"complex:实现"}),
    ("帮我分析一下这个系统的架构", {"complex:分析", "complex:架构"}),
    ("谢谢，测试通过了", {"simple:谢谢", "simple:测试"}),
])
def test_chinese_keywords_match_without_spaces(policy: Policy, text: str, expected: set[str]) -> None:
    fired = {name for name in features(policy, text) if ":" in name}
    assert fired == expected


@pytest.mark.parametrize(("text", "route"), [("你好", 0), ("请实现一个分布式锁", 1)])
def test_chinese_routes(policy: Policy, text: str, route: int) -> None:
    assert decide(policy, text).tier_index == route


# --------------------------------------------------------------------------- sentences, code, turns

@pytest.mark.parametrize(("text", "sentences"), [
    ("", 0),
    ("one sentence without a stop", 1),
    ("One. Two. Three.", 3),
    ("Why? Because! Yes.", 3),
    ("Wait... what", 2),
    ("3.14 test.py", 1),
    ("see v1.2.3 in setup.py and 2.71 in main.py", 1),
    ("第一句。第二句！第三句？", 3),
    ("中文句子。English one. 第三句", 3),
])
def test_count_sentences(text: str, sentences: int) -> None:
    assert count_sentences(text) == sentences
    assert count_sentences(text, stop_above=1) == min(sentences, 2)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from("ab .!?。！？\n\t"), max_size=40))
def test_count_sentences_counts_the_non_blank_pieces_between_sentence_ends(text: str) -> None:
    assert count_sentences(text) == sum(1 for piece in SENTENCE_END.split(text) if piece.strip())


@pytest.mark.parametrize(("text", "fires"), [
    ("Fix it. Test it. Ship it.", True),
    ("第一步。第二步。第三步。", True),
    ("Fix it. Ship it.", False),
    ("compare 3.14 and 2.71 in test.py and main.py vs v1.2.3", False),
])
def test_more_than_two_sentences_adds_weight(policy: Policy, text: str, fires: bool) -> None:
    assert features(policy, text).get("sentences>2") == (50 if fires else None)


@pytest.mark.parametrize(("text", "weight"), [
    ("```python\nprint(1)\n```", 100),
    ("a\n```sh\nls\n```\nb\n```sh\npwd\n```", 100),
    ("no fences here", None),
])
def test_code_block_adds_its_weight(policy: Policy, text: str, weight: float | None) -> None:
    assert features(policy, text).get("code_block") == weight


def conversation(turns: int) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    for n in range(turns):
        messages += [{"role": "user", "content": f"question {n}"}, {"role": "assistant", "content": "answer"}]
    return {"model": "auto-chat", "messages": messages[:-1]}


@pytest.mark.parametrize(("turns", "weight"), [(5, None), (6, 30), (7, 30)])
def test_more_than_five_turns_adds_weight(policy: Policy, turns: int, weight: float | None) -> None:
    decision = policy.decide("chat", conversation(turns))
    assert decision is not None
    assert {r.feature: r.weight for r in decision.reasons}.get("turns>5") == weight


def test_every_feature_is_a_reason_with_its_weight(policy: Policy) -> None:
    body = conversation(6)
    body["messages"][-1]["content"] = "Implement the parser. Analyze the grammar. Debug it.\n```py\nparse()\n```"
    decision = policy.decide("chat", body)
    assert decision is not None
    text = body["messages"][-1]["content"]
    assert [(r.feature, r.weight) for r in decision.reasons] == [
        ("length", len(text)), ("complex:implement", 150), ("complex:analyze", 150), ("complex:debug", 150),
        ("code_block", 100), ("sentences>2", 50), ("turns>5", 30),
    ]
    assert decision.score == len(text) + 630


@pytest.mark.parametrize("text", [t for t, _ in SEED_TABLE] + ["", "你好。谢谢！", "x" * 5000, "ls\n```\nx\n```"])
def test_reasons_sum_to_the_score(policy: Policy, text: str) -> None:
    decision = decide(policy, text)
    assert decision.score == pytest.approx(sum(r.weight for r in decision.reasons))


def test_length_is_capped(policy: Policy) -> None:
    assert features(policy, "x" * 5000) == {"length": 200}


# --------------------------------------------------------------------------- real client bodies

@pytest.mark.parametrize(("name", "endpoint", "pool"), [
    ("claude_code_hi", "messages", "pool-claude-haiku"),
    ("claude_code_complex", "messages", "pool-claude-sonnet"),
    ("claude_code_tool_loop", "messages", "pool-claude-sonnet"),
    ("codex_hi", "responses", "pool-codex-mini"),
    ("codex_complex", "responses", "pool-codex-standard"),
    ("codex_tool_loop", "responses", "pool-codex-standard"),
    ("chat_plain", "chat", "pool-chat-mini"),
    ("chat_conversation", "chat", "pool-chat-mini"),
])
def test_agent_bodies_route_by_the_users_words(policy: Policy, name: str, endpoint: str, pool: str) -> None:
    decision = policy.decide(endpoint, load(name))
    assert decision is not None
    assert (decision.pool, decision.endpoint) == (pool, endpoint)


@pytest.mark.parametrize(("name", "endpoint"), [("claude_code_hi", "messages"), ("codex_hi", "responses")])
def test_hi_is_minus_98_although_the_body_is_40_to_50_kb(policy: Policy, name: str, endpoint: str) -> None:
    body = load(name)
    assert len(json.dumps(body)) > 38_000
    decision = policy.decide(endpoint, body)
    assert decision is not None
    assert (decision.score, [r.feature for r in decision.reasons]) == (-98, ["length", "simple:hi"])
    # Scored as a whole, the same body looks complex: that is why only the user's words count.
    whole = policy.decide_view(body["model"], TurnView(endpoint=endpoint, text=json.dumps(body)))
    assert whole.tier_index == 1


# --------------------------------------------------------------------------- settings change behaviour

def configured(edit: dict[str, Any] | None = None, tiers: list[dict[str, Any]] | None = None) -> Policy:
    document = heuristic_document()
    document["vibe_router"]["scorers"]["heuristic"].update(edit or {})
    if tiers is not None:
        document["vibe_router"]["virtual_models"]["auto-chat"]["tiers"] = tiers
    return Policy(parse_config(document))


def test_custom_keyword_list() -> None:
    custom = configured({"complex_keywords": ["kubernetes"], "simple_keywords": ["ping"]})
    assert features(custom, "debug the Kubernetes operator") == {"length": 29, "complex:kubernetes": 150}
    assert decide(custom, "ping").tier_index == 0
    assert decide(custom, "Implement a distributed consensus algorithm").tier_index == 0


def test_custom_weights() -> None:
    custom = configured({"simple_weight": -1, "length_weight": 0.5, "code_block_weight": 7})
    assert decide(custom, "hi").score == 0  # 2 * 0.5 - 1
    assert features(custom, "```\nx\n```")["code_block"] == 7


def test_custom_thresholds_counts() -> None:
    custom = configured({"sentences_more_than": 0, "turns_more_than": 0, "length_cap": 10})
    assert features(custom, "One sentence and it is long") == {"length": 10, "sentences>0": 50, "turns>0": 30}


def test_custom_tier_threshold() -> None:
    low = configured(tiers=[{"name": "cheap", "pool": "pool-chat-mini"},
                            {"name": "standard", "pool": "pool-chat-standard", "min_score": -1000}])
    assert decide(low, "hi").pool == "pool-chat-standard"


def test_three_tiers_pick_the_highest_reached() -> None:
    three = configured(tiers=[{"name": "cheap", "pool": "pool-chat-mini"},
                              {"name": "standard", "pool": "pool-chat-standard", "min_score": 50},
                              {"name": "max", "pool": "pool-claude-sonnet", "min_score": 300}])
    assert [decide(three, t).tier for t in ("hi", "Implement it", "Implement and analyze it")] == [
        "cheap", "standard", "max"]


def test_per_model_scorer_settings(policy: Policy) -> None:
    assert "complex:migrate" in features(policy, "migrate the db", "auto-codex")
    assert "complex:migrate" not in features(policy, "migrate the db", "auto-chat")
    assert "simple:thanks" in features(policy, "thanks", "auto-codex")  # the rest is inherited


def test_default_settings_are_the_seeds() -> None:
    scorer = HeuristicScorer()
    score = scorer.score(TurnView(endpoint="chat", text="hi, thanks"))
    assert [(r.feature, r.weight) for r in score.reasons] == [("length", 10), ("simple:hi", -100)]


# --------------------------------------------------------------------------- decisions explain themselves

def test_repeated_decisions_explain_themselves_the_same_way(policy: Policy) -> None:
    decision = decide(policy, "Implement it. Analyze it.", "auto-chat")
    first = decision.headers()
    first["x-vibe-router-pool"] = "changed by a caller"
    assert decision.headers()["x-vibe-router-pool"] == decision.pool  # each caller gets its own dict
    record = decision.to_metadata()
    record["pool"] = "changed by a caller"
    assert decision.to_metadata()["pool"] == decision.pool
    other = decision._replace(session="abc", reasons=(Reason("b", 1.0), Reason("a", -3.0)), note="why")
    assert other.headers()["x-vibe-router-session"] == "abc"
    assert other.reason_summary() == "score: why; a-3 b+1"
    assert other.reason_summary(limit=1) == "score: why; a-3"
    as_list = other._replace(reasons=list(other.reasons))  # a custom scorer's reasons, unhashable
    assert as_list.headers() == other.headers()
    assert as_list.reason_summary(limit=1) == other.reason_summary(limit=1)
    record = other.record()
    assert record == {**other.to_metadata(), "headers": other.headers()}
    record["pool"] = "changed by a caller"
    assert other.record()["pool"] == decision.pool
    assert as_list.record() == other.record()
    assert as_list.log_fields() == other.log_fields()
    assert 'session=abc' in other.log_fields() and 'reasons="score: why; a-3 b+1"' in other.log_fields()


def test_non_virtual_model_is_not_routed(policy: Policy) -> None:
    assert policy.decide("chat", chat("hi", "pool-chat-mini")) is None
    assert policy.decide("chat", {"messages": []}) is None


def test_headers_and_metadata(policy: Policy) -> None:
    decision = decide(policy, "请实现 Implement it. Analyze it. Debug it.", "auto-claude")
    headers = decision.headers()
    assert headers["x-vibe-router-pool"] == "pool-claude-sonnet"
    assert headers["x-vibe-router-virtual-model"] == "auto-claude"
    assert headers["x-vibe-router-tier"] == "standard"
    assert float(headers["x-vibe-router-score"]) == decision.score
    assert all(value.isascii() and "\n" not in value for value in headers.values())
    assert headers["x-vibe-router-reason"].startswith("score: ")
    assert len(headers["x-vibe-router-reason"].split(" ")) == 1 + 4  # the four strongest reasons
    record = json.loads(json.dumps(decision.to_metadata()))
    assert (record["pool"], record["tier"], record["score"]) == (decision.pool, decision.tier, decision.score)
    assert [r["feature"] for r in record["reasons"]] == [r.feature for r in decision.reasons]
