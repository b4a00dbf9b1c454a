"""The learned scorer: model files, scoring, reasons, and staying free of numpy."""

from __future__ import annotations

import gzip
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from vibe_router.request import build_view
from vibe_router.scoring.base import ScorerSettingsError, build_scorer
from vibe_router.scoring.features import Features, name_of, turn_features
from vibe_router.scoring.learned import (
    DEFAULT_MODEL,
    LearnedScorer,
    LinearModel,
    ModelFileError,
    load_model,
    save_model,
)

ROOT = Path(__file__).resolve().parents[1]


def chat(text: str):
    return build_view("chat", {"messages": [{"role": "user", "content": text}]})


def tiny_model() -> LinearModel:
    return LinearModel.from_names(-0.5, {"prove": 3.0, "theorem": 2.0, "hello": -4.0, "#len": 1.0, "the theorem": 0.5})


def test_shipped_model_loads_and_scores_in_unit_range() -> None:
    scorer = build_scorer("learned", {})
    assert isinstance(scorer, LearnedScorer)
    assert DEFAULT_MODEL.exists() and DEFAULT_MODEL.stat().st_size < 4 * 1024 * 1024
    for text in ("hi", "Prove that there are infinitely many primes.", "x" * 20000, ""):
        score = scorer.score(chat(text))
        assert 0.0 <= score.value <= 1.0
        assert len(score.reasons) <= 3


def test_build_scorer_with_settings(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    save_model(tiny_model(), path)
    scorer = build_scorer("learned", {"kind": "learned", "model": str(path), "top_reasons": 2})
    hard = scorer.score(chat("Prove the theorem"))
    easy = scorer.score(chat("hello there"))
    assert 0.0 <= easy.value < 0.5 < hard.value <= 1.0
    assert [reason.feature for reason in hard.reasons] == ["prove", "theorem"]
    assert len(hard.reasons) == 2


def test_reasons_are_top_contributions_in_logit_units() -> None:
    model = tiny_model()
    scorer = LearnedScorer(model, top_reasons=3)
    turn = chat("hello, prove it")
    score = scorer.score(turn)
    features = turn_features(turn)
    words = len(features.words)
    expected = {"hello": -4.0 / words**0.5, "prove": 3.0 / words**0.5, "#len": features.dense["#len"]}
    assert [r.feature for r in score.reasons] == ["hello", "prove", "#len"]
    for reason in score.reasons:
        assert reason.weight == pytest.approx(expected[reason.feature], abs=1e-4)
    assert score.value == pytest.approx(model.probability(features))
    assert LearnedScorer(model, top_reasons=0).score(turn).reasons == ()


def test_logit_matches_contributions() -> None:
    model = tiny_model()
    features = Features({"prove", "theorem", "unknown", ("the", "theorem")}, {"#len": 0.5, "#nums": 0.2})
    parts = model.contributions(features)
    assert set(parts) == {"prove", "theorem", "the theorem", "#len"}
    assert model.logit(features) == pytest.approx(model.bias + sum(parts.values()))


def test_gzip_model_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "m.json.gz"
    save_model(tiny_model(), path)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert load_model(path).weights == tiny_model().weights
    assert ("the", "theorem") in load_model(path).weights
    first = path.read_bytes()
    save_model(tiny_model(), path)
    assert path.read_bytes() == first  # reproducible bytes


def test_missing_model_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json.gz"
    with pytest.raises(ScorerSettingsError) as caught:
        build_scorer("learned", {"model": str(missing)})
    assert caught.value.key == "model"
    assert str(missing) in str(caught.value) and "not found" in str(caught.value)


@pytest.mark.parametrize(
    "content",
    [
        b"not json at all",
        b"\x1f\x8b\x08\x00truncated gzip",
        json.dumps({"format": "something-else"}).encode(),
        json.dumps({"format": "vibe-router-learned", "version": 1, "features_version": 1, "bias": 0}).encode(),
        json.dumps(
            {"format": "vibe-router-learned", "version": 1, "features_version": 1, "bias": 0, "weights": {"a": "x"}}
        ).encode(),
        json.dumps({"format": "vibe-router-learned", "version": 99, "features_version": 1}).encode(),
    ],
)
def test_corrupt_model_file_is_a_clear_settings_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ScorerSettingsError) as caught:
        build_scorer("learned", {"model": str(path)})
    assert caught.value.key == "model"
    assert str(path.resolve()) in str(caught.value)


def test_corrupt_gzip_payload(tmp_path: Path) -> None:
    path = tmp_path / "bad.json.gz"
    path.write_bytes(gzip.compress(b"{broken"))
    with pytest.raises(ModelFileError, match="corrupt"):
        load_model(path)


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"top_reasons": -1}, "top_reasons"),
        ({"top_reasons": "3"}, "top_reasons"),
        ({"modle": "x"}, "modle"),
        ({"model": 3}, "model"),
    ],
)
def test_bad_settings_name_their_key(settings: dict, key: str) -> None:
    with pytest.raises(ScorerSettingsError) as caught:
        build_scorer("learned", settings)
    assert caught.value.key == key


def test_features_of_long_turns_are_bounded() -> None:
    short = turn_features(chat("word " * 300))
    long = turn_features(chat("alpha beta " * 5000))
    assert len(long.words) < 10
    assert long.dense["#len"] > short.dense["#len"]
    assert all(name.startswith("#") for name in long.dense)
    assert not any(name_of(word).startswith("#") for word in long.words)
    assert ("alpha", "beta") in long.words and "alpha" in long.words


def test_structure_features_count_what_they_name() -> None:
    text = "Alice paid $2.50, Bob paid $3.75 and Carol paid nothing.\nHow much did Alice and Bob pay together?"
    dense = turn_features(chat(text)).dense
    counts = {"caps": 6, "commas": 1, "decimals": 2, "last_line": 40, "long_words": 0}
    for name, count in counts.items():
        assert dense[f"#{name}"] == pytest.approx(math.log2(1 + count) / 10), name
    assert dense["#distinct_words"] < dense["#words"]


POISON = """
import sys
for name in ("numpy", "scipy", "sklearn", "matplotlib"):
    sys.modules[name] = None
from vibe_router.request import build_view
from vibe_router.scoring.base import build_scorer
import vibe_router.scoring.learned
scorer = build_scorer("learned", {})
score = scorer.score(build_view("chat", {"messages": [{"role": "user", "content": "Solve 2x + 3 = 7"}]}))
assert 0.0 <= score.value <= 1.0, score
loaded = [name for name in ("numpy", "scipy", "sklearn") if sys.modules.get(name) is not None]
assert not loaded, loaded
print("ok", round(score.value, 4))
"""


def test_scorer_needs_no_numpy() -> None:
    result = subprocess.run(
        [sys.executable, "-c", POISON], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
