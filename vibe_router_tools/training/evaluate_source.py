"""`vibe-router eval --source FILE`: the routers on an operator's own labelled rows, k-fold.

Random, prompt length, the seed heuristic, LiteLLM's heuristic, the learned scorer retrained on
each fold's training rows, and the oracle, held out fold by fold (near-duplicate prompts kept in
one fold), as APGR, CPT(50%) and CPT(80%); the results document has the same shape as
`vibe-router eval`'s, so the plot is drawn the same way.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict
from pathlib import Path
from typing import Any

from vibe_router_tools.training.baselines import default_routers
from vibe_router_tools.training.evaluate import Dataset, cross_validate
from vibe_router_tools.training.routellm import DataError, load_jsonl
from vibe_router_tools.training.train import TrainOptions


def run_source_eval(path: Path, folds: int, seed: int, options: TrainOptions, show: bool = True,
                    with_litellm: bool = True) -> dict[str, Any]:
    examples = sorted(load_jsonl(path), key=lambda example: example.prompt)  # folds independent of row order
    if len(examples) < 2 * folds:
        raise DataError(f"{path}: {len(examples)} rows is too few for {folds} folds (at least {2 * folds})")
    if not any(example.gain for example in examples):
        raise DataError(f"{path}: the strong pool never did better than the weak one: nothing to route")
    data = Dataset(path.stem, examples, folds, seed)
    return {
        "settings": {
            "folds": folds, "seed": seed, "train_options": asdict(options),
            "datasets": {data.name: {
                "prompts": len(examples), "near_duplicate_groups": data.groups,
                "weak_accuracy": statistics.fmean(e.weak_score for e in examples),
                "strong_accuracy": statistics.fmean(e.strong_score for e in examples),
            }},
        },
        "in_domain": {data.name: cross_validate(default_routers(options, with_litellm), data, show=show)},
        "cross_domain": {},
    }


def render_source_table(results: dict[str, Any]) -> str:
    (name, routers), = results["in_domain"].items()
    settings = results["settings"]
    rows = settings["datasets"][name]
    lines = [f"| Router | {name} APGR | CPT(50%) | CPT(80%) |", "|---|---|---|---|"]
    for router, result in routers.items():
        lines.append(f"| {router} | {result['apgr']:.3f} ± {result['apgr_std']:.3f} | {100 * result['cpt50']:.1f}% "
                     f"| {100 * result['cpt80']:.1f}% |")
    used = len(next(iter(routers.values()))["folds"])
    lines += ["", f"{rows['prompts']} labelled rows ({rows['near_duplicate_groups']} groups of near-duplicates), "
              f"{settings['folds']}-fold held-out ({used} folds with a quality gap to route); weak pool quality "
              f"{rows['weak_accuracy']:.3f}, strong "
              f"{rows['strong_accuracy']:.3f}. APGR: 0 = always weak, 1 = always strong, 0.5 = random order."]
    return "\n".join(lines)
