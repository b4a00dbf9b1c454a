"""`vibe-router eval --source` on small labelled sets: folds with nothing to route are left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vibe_router_tools.training.evaluate_source import render_source_table, run_source_eval
from vibe_router_tools.training.routellm import DataError
from vibe_router_tools.training.train import TrainOptions

TOPICS = ["rain", "bread", "chess", "rivers", "gardens", "trains", "music", "coffee", "mountains", "zebras"]


TEMPLATES = ["Tell me something new about {}", "Why do people like {} so much", "Write one line on {}"]


def write_rows(path: Path, needing_strong: set[str]) -> Path:
    rows = [{"prompt": template.format(topic), "weak_score": 0.0 if topic in needing_strong else 1.0,
             "strong_score": 1.0} for topic in TOPICS for template in TEMPLATES]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_folds_without_a_quality_gap_are_left_out_and_said(tmp_path: Path) -> None:
    results = run_source_eval(write_rows(tmp_path / "rows.jsonl", {"zebras"}), 5, 0, TrainOptions(), show=False,
                              with_litellm=False)
    used = len(results["in_domain"]["rows"]["random"]["folds"])
    assert 1 <= used < 5, "the three zebra rows sit in at most three of five folds"
    assert f"5-fold held-out ({used} folds with a quality gap to route)" in render_source_table(results)


def test_rows_where_the_strong_pool_never_helps_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="never did better"):
        run_source_eval(write_rows(tmp_path / "rows.jsonl", set()), 5, 0, TrainOptions(), show=False,
                        with_litellm=False)
