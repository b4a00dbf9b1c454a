"""The gain scorer: its shipped model, its training recipe, the five-benchmark loader, and the
agent turns config_final.yaml must route the obvious way."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from vibe_router.config import load_config
from vibe_router.policy import Policy
from vibe_router.scoring import build_scorer
from vibe_router.scoring.gain import DEFAULT_GAIN_MODEL, GainScorer
from vibe_router.scoring.learned import load_model
from vibe_router_tools.training.calibrate import view_of

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config_final.yaml"
# How config_final.yaml's min_score for the gain scorer was chosen (docs/learned-scorer.md says why 0.55).
CALIBRATION = ["calibrate", str(ROOT / "docs" / "agent-turns.jsonl"), "--kind", "gain", "--strong-share", "0.55"]

# The seed's own examples (SEED.md), which the calibration keeps.
SEED_TABLE = [("hi", "cheap"), ("cat test.py", "cheap"), ("Implement a distributed consensus algorithm", "standard"),
              ("Analyze the architecture of microservices", "standard")]
# Obvious agent turns, as a user types them. Changing this list needs a reason in the commit.
CHEAP_TURNS = ["hi", "thanks", "run the tests", "commit this", "show me the file"]
STANDARD_TURNS = [
    "Design a multi-step migration of our session store from Redis to Postgres: plan the schema, the "
    "dual-write phase, the backfill, the cutover and the rollback, and say what can go wrong at each step.",
    "There is a race condition in the connection pool: two workers sometimes get the same socket and the "
    "tests fail about one run in fifty. Find the cause and fix it without a global lock.",
    "Refactor the config loading across the cli, policy and plugin modules so that one module owns "
    "validation, keep the public API stable, and update the tests that depend on it.",
    "Do a security review of the authentication middleware: check token validation, timing attacks, "
    "header injection and how secrets are logged, and list the issues by severity.",
]


def gain_models() -> list[str]:
    policy = Policy(load_config(CONFIG))
    return [name for name, virtual in policy.config.virtual_models.items() if isinstance(virtual.scorer, GainScorer)]


def test_shipped_gain_model_loads_and_explains_itself() -> None:
    model = load_model(DEFAULT_GAIN_MODEL)
    assert model.meta["recipe"] == "gain"
    assert set(model.meta["sources"]) == {"mmlu", "gsm8k", "lcb", "math", "crux"}
    scorer = build_scorer("gain", {"kind": "gain", "top_reasons": 2})
    score = scorer.score(view_of("Prove that the sum of two even numbers is even.", "t"))
    assert 0.0 < score.value < 1.0
    assert len(score.reasons) == 2 and all(reason.feature.startswith("#") for reason in score.reasons)


TURNS = [(text, "cheap") for text in CHEAP_TURNS] + [(text, "standard") for text in STANDARD_TURNS] + SEED_TABLE


@pytest.mark.parametrize(("text", "want"), TURNS)
def test_agent_turns_route_the_obvious_way(text: str, want: str) -> None:
    """Through config_final.yaml, every virtual model that uses the gain scorer."""
    policy = Policy(load_config(CONFIG))
    models = gain_models()
    assert models, "no virtual model in config_final.yaml uses the gain scorer"
    for model in models:
        decision = policy.decide("chat", {"model": model, "messages": [{"role": "user", "content": text}]})
        assert decision is not None and decision.decided_by == "score", (model, decision)
        assert decision.tier == want, (model, text, decision.score, decision.reasons)


def test_min_score_is_what_calibrate_prints(capsys: pytest.CaptureFixture[str]) -> None:
    from vibe_router_tools.training import commands

    assert commands.main(CALIBRATION) == 0
    printed = float(capsys.readouterr().out.split("min_score:")[1].split()[0])
    config = load_config(CONFIG)
    for model in gain_models():
        assert config.virtual_models[model].tiers[-1].min_score == printed, model


def test_fit_gain_learns_within_sources_not_between_them() -> None:
    """A feature that only tells the sources apart gets no weight; one that tracks the gain
    inside each source does."""
    pytest.importorskip("scipy")
    from vibe_router.scoring.features import Features
    from vibe_router_tools.training.gain import fit_gain
    from vibe_router_tools.training.routellm import Example

    rng = random.Random(0)
    examples, features = [], []
    for source, level in (("a", 0.8), ("b", -0.4)):
        for _ in range(200):
            signal = rng.random()
            gain = max(-1.0, min(1.0, level + 0.4 * (signal - 0.5)))
            examples.append(Example("p", 0.0, 0.0, source=source, mean_gain=gain))
            features.append(Features(set(), {"#signal": signal, "#source": 1.0 if source == "a" else 0.0}))
    model = fit_gain(examples, None, features)
    weights = model.named_weights()
    assert weights["#signal"] > 0.5
    assert abs(weights.get("#source", 0.0)) < 1e-6


def test_wide_benchmark_rows(tmp_path: Path) -> None:
    from vibe_router_tools.training.benchmarks import read_wide
    from vibe_router_tools.training.routellm import DataError

    rows = [
        {"prompt": "p1", "scores": {"w1": 0.0, "s1": 1.0, "w2": 0.5, "s2": 0.5}},
        {"prompt": "p2", "scores": {"w1": None, "s1": 1.0}},  # no primary pair: skipped
        {"prompt": "p3", "scores": {"w1": 1.0, "s1": 1.0, "w2": 0.0, "s2": None}},
    ]
    path = tmp_path / "wide.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    first, third = read_wide(path, (("w1", "s1"), ("w2", "s2")), "x")
    assert (first.weak_score, first.strong_score, first.mean_gain, first.target) == (0.0, 1.0, 0.5, 0.75)
    assert (third.gain, third.mean_gain, third.source) == (0.0, 0.0, "x")
    path.write_text(json.dumps({"prompt": "p", "scores": {}}) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="no prompt"):
        read_wide(path, (("w1", "s1"),), "x")


def test_gain_scorer_needs_no_numpy() -> None:
    """What the proxy loads: config_final.yaml with the gain scorer, and no numpy or scipy."""
    code = (
        "import sys\n"
        "from vibe_router.config import load_config\n"
        "from vibe_router.policy import Policy\n"
        "policy = Policy(load_config('config_final.yaml'))\n"
        "decision = policy.decide('chat', {'model': 'auto-chat', 'messages': [{'role': 'user', 'content': 'hi'}]})\n"
        "assert decision.scorer == 'gain', decision\n"
        "loaded = [name for name in ('numpy', 'scipy', 'sklearn') if name in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
