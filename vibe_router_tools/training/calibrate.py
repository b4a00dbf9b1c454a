"""`vibe-router calibrate`: the threshold that sends a chosen share of prompts to the strong tier."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vibe_router.request import TurnView, build_view, prompt_view
from vibe_router.scoring.base import Scorer
from vibe_router.wire import TURN_FIELDS, detect_endpoint
from vibe_router_tools.training.metrics import cpt, quality_curve
from vibe_router_tools.training.routellm import DataError, Example, iter_jsonl


@dataclass(frozen=True)
class Calibration:
    threshold: float
    share: float
    prompts: int


def view_of(row: Any, where: str) -> TurnView:
    """A JSONL row as a turn: a string, {"prompt": ...}, or a request body of any endpoint."""
    if isinstance(row, str):
        return prompt_view(row)
    if not isinstance(row, dict):
        raise DataError(f"{where}: expected a string, a prompt object or a request body")
    if isinstance(row.get("prompt"), str) and "messages" not in row:
        return prompt_view(row["prompt"])
    if not TURN_FIELDS.intersection(row):
        raise DataError(f"{where}: no 'prompt', 'messages' or 'input' to score")
    return build_view(detect_endpoint(row), row)


def load_views(path: Path) -> list[TurnView]:
    views = [view_of(row, where) for where, row in iter_jsonl(path)]
    if not views:
        raise DataError(f"{path}: no prompts")
    return views


def pick_threshold(scores: Sequence[float], strong_share: float) -> Calibration:
    """Threshold t such that the share of scores >= t is as close as possible to `strong_share`."""
    if not 0.0 <= strong_share <= 1.0:
        raise ValueError("the strong share must be between 0 and 1")
    if not scores:
        raise ValueError("no scores to calibrate on")
    ordered = sorted(scores)
    distinct = sorted(set(ordered))
    candidates = [distinct[-1] + 1e-6, distinct[0]]
    candidates += [(low + high) / 2 for low, high in zip(distinct, distinct[1:], strict=False)]
    best = min(candidates, key=lambda t: (abs(_share(ordered, t) - strong_share), -t))
    return Calibration(best, _share(ordered, best), len(ordered))


def _share(ordered: Sequence[float], threshold: float) -> float:
    """Share of the (ascending) scores that are >= threshold."""
    return (len(ordered) - bisect_left(ordered, threshold)) / len(ordered)


def calibrate(scorer: Scorer, views: Sequence[TurnView], strong_share: float) -> Calibration:
    return pick_threshold([scorer.score(view).value for view in views], strong_share)


def calibrate_to_quality(scorer: Scorer, examples: Sequence[Example], recovered: float) -> Calibration:
    """The threshold whose strong share recovers `recovered` of the quality gap on labelled rows."""
    if not 0.0 < recovered <= 1.0:
        raise ValueError("the share of the quality gap to recover must be above 0 and at most 1")
    views = [prompt_view(example.prompt) for example in examples]
    scores = [scorer.score(view).value for view in views]
    curve = quality_curve(scores, [e.weak_score for e in examples], [e.strong_score for e in examples])
    if curve.strong <= curve.weak:
        raise ValueError("on these rows the strong tier is not better than the weak one: nothing to recover")
    return pick_threshold(scores, cpt(curve, recovered))


def config_lines(result: Calibration, scorer_name: str, model: str | None, kind: str = "learned") -> str:
    """The YAML to paste into config_final.yaml."""
    settings = f"\n      model: {model}" if model else ""
    return f"""# {100 * result.share:.1f}% of {result.prompts} prompts score >= {result.threshold:.4f}
vibe_router:
  scorers:
    {scorer_name}:
      kind: {kind}{settings}
  virtual_models:
    auto:                      # your virtual model's name
      scorer: {scorer_name}
      tiers:
        - name: cheap
          pool: cheap-pool     # your pools
        - name: strong
          pool: strong-pool
          min_score: {result.threshold:.4f}"""
