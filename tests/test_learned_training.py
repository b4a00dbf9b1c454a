"""Training, evaluation metrics, folds, calibration and the train/eval/calibrate commands."""

from __future__ import annotations

import csv
import gzip
import json
import random
from pathlib import Path

import pytest

pytest.importorskip("scipy")  # training needs numpy + scipy (the [train] extra)

from vibe_router.scoring.base import build_scorer  # noqa: E402
from vibe_router.scoring.features import Features  # noqa: E402
from vibe_router_tools.training import commands, train  # noqa: E402
from vibe_router_tools.training.calibrate import pick_threshold, view_of  # noqa: E402
from vibe_router_tools.training.evaluate import TABLE_END, TABLE_START, update_readme  # noqa: E402
from vibe_router_tools.training.folds import grouped_folds, near_duplicate_groups  # noqa: E402
from vibe_router_tools.training.metrics import apgr, cpt, quality_curve, summarize  # noqa: E402
from vibe_router_tools.training.routellm import (  # noqa: E402
    STRONG_COLUMN,
    WEAK_COLUMN,
    DataError,
    example_from_row,
    load_jsonl,
)

HARD = ["integral", "eigenvalue", "theorem", "derivative", "topology", "manifold"]
EASY = ["apple", "colour", "dog", "weather", "breakfast", "garden"]


def synthetic(n: int, seed: int = 0) -> list[dict]:
    """Prompts whose hard words predict that only the strong model answers right."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        hard = rng.random() < 0.4
        words = rng.sample(HARD if hard else EASY, 3) + [f"item{i}", "what", "is", "the", "answer"]
        rng.shuffle(words)
        weak = 0.0 if hard and rng.random() < 0.8 else 1.0
        rows.append({"prompt": " ".join(words) + "?", "weak_score": weak, "strong_score": 1.0})
    return rows


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


# --- metrics -------------------------------------------------------------------------


def test_apgr_of_hand_checkable_routers() -> None:
    weak, strong = [0, 0, 1, 1], [1, 1, 1, 1]
    # Oracle: both gains first -> (0, .5), (.5, 1), (1, 1): area .875 -> (.875 - .5) / .5
    assert apgr(quality_curve([1, 1, 0, 0], weak, strong)) == pytest.approx(0.75)
    # Worst order: gains last -> (0, .5), (.5, .5), (1, 1): area .625
    assert apgr(quality_curve([0, 0, 1, 1], weak, strong)) == pytest.approx(0.25)
    # All tied (random in expectation): a straight line
    assert apgr(quality_curve([7, 7, 7, 7], weak, strong)) == pytest.approx(0.5)


def test_apgr_limits_always_weak_zero_always_strong_one() -> None:
    curve = quality_curve([3, 2, 1], [0, 0, 0], [1, 1, 1])
    assert curve.qualities[0] == pytest.approx(0.0) and curve.qualities[-1] == pytest.approx(1.0)
    one = quality_curve([1] * 1000 + [0], [1] * 1000 + [0], [1] * 1000 + [1])
    assert apgr(quality_curve([0] * 1000 + [1], [1] * 1000 + [0], [1] * 1000 + [1])) > 0.999
    assert apgr(one) < 0.001


def test_oracle_exceeds_one_when_weak_sometimes_wins() -> None:
    # 2 prompts only the strong model gets, 1 only the weak one gets, 17 both get.
    weak, strong = [0, 0, 1] + [1] * 17, [1, 1, 0] + [1] * 17
    gains = [s - w for w, s in zip(weak, strong, strict=True)]
    # (0, .9) -> (.1, 1) -> (.95, 1) -> (1, .95): area .99375; weak .9, strong .95
    assert apgr(quality_curve(gains, weak, strong)) == pytest.approx(1.875)


def test_cpt() -> None:
    curve = quality_curve([1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1])
    assert cpt(curve, 0.5) == pytest.approx(0.25)
    assert cpt(curve, 0.8) == pytest.approx(0.4)
    tied = summarize([0, 0, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1])
    assert tied["cpt50"] == pytest.approx(0.5) and tied["cpt80"] == pytest.approx(0.8)


# --- folds ---------------------------------------------------------------------------


def test_near_duplicates_share_a_fold() -> None:
    texts = [f"question number {i} about {' '.join(random.Random(i).sample(HARD + EASY, 6))}" for i in range(60)]
    texts += ["What is the capital city of France and why is it there today?"] * 3
    texts += ["What is the capital city of France and why is it there today ?  "]
    groups = near_duplicate_groups(texts)
    assert len({groups[i] for i in range(60, 64)}) == 1
    folds = grouped_folds(groups, 5)
    assert len({folds[i] for i in range(60, 64)}) == 1
    sizes = [folds.count(f) for f in range(5)]
    assert max(sizes) - min(sizes) <= 4


# --- data ----------------------------------------------------------------------------


def test_jsonl_label_styles_and_errors(tmp_path: Path) -> None:
    good = write_jsonl(
        tmp_path / "a.jsonl", [{"prompt": "p", "label": 1}, {"prompt": "q", "weak_score": 0.2, "strong_score": 0.9}]
    )
    first, second = load_jsonl(good)
    assert first.target == 1.0 and first.needs_strong
    assert second.target == pytest.approx(0.85)
    bad = write_jsonl(tmp_path / "b.jsonl", [{"prompt": "p"}])
    with pytest.raises(DataError, match=r"b\.jsonl:1"):
        load_jsonl(bad)
    (tmp_path / "c.jsonl").write_text('{"prompt": "p", "label": 1}\n{oops\n')
    with pytest.raises(DataError, match=r"c\.jsonl:2"):
        load_jsonl(tmp_path / "c.jsonl")


# --- training ------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["scores", "labels"])
def test_train_command_writes_a_model_that_loads(tmp_path: Path, style: str) -> None:
    rows = synthetic(240)
    if style == "labels":
        rows = [{"prompt": r["prompt"], "label": int(r["weak_score"] < r["strong_score"])} for r in rows]
    data = write_jsonl(tmp_path / "train.jsonl", rows)
    model = tmp_path / "model.json.gz"
    assert commands.main(["train", "--source", str(data), "--output", str(model), "--min-df", "1"]) == 0
    # Hard words are also long words: structure (fitted first) shares the explanation.
    scorer = build_scorer("learned", {"model": str(model), "top_reasons": 3})
    hard = scorer.score(view_of("prove the eigenvalue theorem for this manifold", "t"))
    easy = scorer.score(view_of("my dog likes the garden weather", "t"))
    assert 0.0 <= easy.value < hard.value <= 1.0
    assert any(reason.feature in HARD for reason in hard.reasons)


def test_train_options_reach_the_model(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "train.jsonl", synthetic(240))
    meta = {}
    for name, extra in (("staged", []), ("joint", ["--joint", "--common-share", "0.01"])):
        model = tmp_path / f"{name}.json.gz"
        assert commands.main(["train", "--source", str(data), "--output", str(model), "--min-df", "1", *extra]) == 0
        meta[name] = json.loads(gzip.decompress(model.read_bytes()))["meta"]["options"]
    assert (meta["staged"]["structure_first"], meta["joint"]["structure_first"]) == (True, False)
    assert meta["joint"]["common_share"] == 0.01


def test_soft_target_fit_matches_scikit_learn() -> None:
    """One row with a soft target = a positive row weighted by it plus a negative by its complement."""
    pytest.importorskip("sklearn")
    import numpy as np
    from scipy import optimize, sparse
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    matrix = sparse.random(200, 12, density=0.3, random_state=1, format="csr")
    target = rng.choice([0.0, 0.5, 1.0], size=200)
    weight = rng.uniform(0.5, 2.0, size=200)
    w, b = train._logistic(matrix, target, weight, np.zeros(200), 0.7, 2000, np, optimize)
    reference = LogisticRegression(C=0.7, tol=1e-10, max_iter=10000)
    stacked = sparse.vstack([matrix, matrix])
    reference.fit(stacked, np.r_[np.ones(200), np.zeros(200)], np.r_[target * weight, (1 - target) * weight])
    assert w == pytest.approx(reference.coef_[0], abs=1e-4)
    assert b == pytest.approx(reference.intercept_[0], abs=1e-4)


def test_common_words_get_a_stronger_penalty() -> None:
    examples = [example_from_row(row, "x") for row in synthetic(240)]
    features = train.featurize(examples)
    plain = train.fit(examples, train.TrainOptions(min_df=1, common_share=1.0), features)
    damped = train.fit(examples, train.TrainOptions(min_df=1), features)
    for word in HARD:
        assert 0 < damped.weights[word] < plain.weights[word]
    # Structure is fitted first, alone: its weights are those of a model without words.
    no_words = [Features(set(), f.dense) for f in features]
    options = train.TrainOptions(min_df=1, structure_first=False, c=train.TrainOptions().structure_c)
    alone = train.fit(examples, options, no_words)
    structure = {name: weight for name, weight in damped.named_weights().items() if name.startswith("#")}
    assert structure == pytest.approx(alone.named_weights(), abs=2e-4)


def test_train_reports_bad_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        commands.main(["train", "--source", str(tmp_path / "missing.jsonl"), "--output", str(tmp_path / "m.json")]) == 2
    )
    assert "missing.jsonl" in capsys.readouterr().err


# --- calibration ---------------------------------------------------------------------


def test_pick_threshold_gives_the_share_asked() -> None:
    scores = [i / 100 for i in range(100)]
    for share in (0.0, 0.1, 0.3, 0.75, 1.0):
        result = pick_threshold(scores, share)
        assert sum(s >= result.threshold for s in scores) == round(100 * share)
        assert result.share == pytest.approx(share)
    tied = pick_threshold([0.5] * 10 + [0.9] * 10, 0.3)
    assert tied.share == pytest.approx(0.5)


def test_calibrate_command_prints_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"prompt": r["prompt"]} for r in synthetic(50, seed=1)]
    rows += [
        {"messages": [{"role": "user", "content": "hello there"}]},
        "plain string prompt",
        {"input": "a responses api prompt", "instructions": "be brief"},
    ]
    prompts = write_jsonl(tmp_path / "prompts.jsonl", rows)
    assert commands.main(["calibrate", str(prompts), "--strong-share", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "min_score:" in out and "kind: learned" in out
    assert "% of 53 prompts" in out
    share = float(out.split("%")[0].lstrip("# "))
    assert abs(share - 30) < 5


# --- evaluation ----------------------------------------------------------------------


def fake_routellm(root: Path) -> Path:
    """A miniature RouteLLM data dir (two MMLU subjects, GSM8K) of synthetic prompts."""
    rows = synthetic(160, seed=2)
    (root / "mmlu").mkdir(parents=True)
    (root / "gsm8k").mkdir()
    parts = {"mmlu/mmlu_a.csv": rows[:50], "mmlu/mmlu_b.csv": rows[50:100], "gsm8k/gsm8k_responses.csv": rows[100:]}
    for name, chunk in parts.items():
        with (root / name).open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["prompt", WEAK_COLUMN, STRONG_COLUMN])
            for row in chunk:
                writer.writerow([row["prompt"], bool(row["weak_score"]), bool(row["strong_score"])])
    return root


def test_eval_command_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = fake_routellm(tmp_path / "data")
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\n{TABLE_START}\nold table\n{TABLE_END}\n\nafter\n")
    results = tmp_path / "out" / "results.json"
    args = [
        "eval",
        "--data",
        str(data),
        "--folds",
        "2",
        "--json",
        str(results),
        "--no-plot",
        "--no-latency",
        "--without-litellm",
        "--quiet",
        "--min-df",
        "1",
        "--update-readme",
        str(readme),
    ]
    assert commands.main(args) == 0
    document = json.loads(results.read_text())
    for dataset in ("mmlu", "gsm8k"):
        routers = document["in_domain"][dataset]
        assert routers["random"]["apgr"] == pytest.approx(0.5)
        assert routers["learned"]["apgr"] > 0.6
        assert routers["oracle"]["apgr"] >= routers["learned"]["apgr"]
        assert {"cpt50", "cpt80", "apgr_std", "folds", "curve"} <= set(routers["learned"])
    # Leave one benchmark out: with only MMLU and GSM8K there, train on one and test on the other.
    assert set(document["leave_one_out"]) == {"mmlu", "gsm8k"}
    for routers in document["leave_one_out"].values():
        assert {"gain", "learned", "heuristic (config_final.yaml)", "oracle"} <= set(routers)
    text = readme.read_text()
    assert "old table" not in text and "| learned |" in text and text.endswith("after\n")
    assert "| Router | MMLU | GSM8K | mean | worst |" in text
    assert "| learned |" in capsys.readouterr().out
    # Re-rendering saved results needs no data.
    assert commands.main(["eval", "--from-json", str(results), "--no-plot"]) == 0


def test_update_readme_needs_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("no markers here\n")
    with pytest.raises(ValueError, match="markers"):
        update_readme(readme, "table")


def test_plot_writes_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from vibe_router_tools.training.plot import plot

    curve = [0.5 + 0.5 * k / 100 for k in range(101)]
    router = {"apgr": 0.5, "curve": curve}
    results = {
        "settings": {"folds": 2, "datasets": {"mmlu": {"weak_accuracy": 0.5, "strong_accuracy": 1.0}}},
        "in_domain": {"mmlu": {"random": router, "learned": router}},
        "leave_one_out": {"mmlu": {"random": router}},
    }
    plot(results, tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
