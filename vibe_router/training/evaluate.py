"""`vibe-router eval`: every router on MMLU and GSM8K, in-domain (grouped k-fold CV) and
cross-domain (train on one set, test on the other), plus decision latency.

Results are a JSON-able dict; `render_table` turns them into the Markdown table of docs/learned-scorer.md.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from vibe_router.scoring.learned import DEFAULT_MODEL, ModelFileError, load_model
from vibe_router.training import latency
from vibe_router.training.baselines import Router, default_routers, learned_router, litellm_classifier
from vibe_router.training.folds import grouped_folds, near_duplicate_groups
from vibe_router.training.metrics import quality_curve, resample, summarize
from vibe_router.training.routellm import DATASETS, Example, load_routellm
from vibe_router.training.train import FeatureSet, TrainOptions, featurize, fit

T = TypeVar("T")
JOINT = "learned, trained on both sets"
TABLE_START = "<!-- eval-table:start -->"
TABLE_END = "<!-- eval-table:end -->"
LABELS = {"mmlu": "MMLU", "gsm8k": "GSM8K"}


def progress(items: Iterable[T], total: int, label: str, enabled: bool = True) -> Iterator[T]:
    """Yield items while drawing a bar on stderr (tqdm when installed)."""
    if not enabled:
        yield from items
        return
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        yield from tqdm(items, total=total, desc=label, file=sys.stderr, leave=False)
        return
    for done, item in enumerate(items):
        width = 30 * done // max(total, 1)
        print(f"\r{label} [{'#' * width}{'.' * (30 - width)}] {done}/{total}", end="", file=sys.stderr, flush=True)
        yield item
    print(f"\r{label} done{' ' * 40}", file=sys.stderr, flush=True)


class Dataset:
    """Examples of one benchmark with their features and grouped folds."""

    def __init__(self, name: str, examples: list[Example], folds: int, seed: int) -> None:
        self.name = name
        self.examples = examples
        self.features = featurize(examples)
        groups = near_duplicate_groups([example.prompt for example in examples], seed)
        self.groups = len(set(groups))
        self.folds = grouped_folds(groups, folds, seed)

    def split(self, fold: int) -> tuple[list[int], list[int]]:
        train = [i for i, f in enumerate(self.folds) if f != fold]
        test = [i for i, f in enumerate(self.folds) if f == fold]
        return train, test

    def take(self, indices: Sequence[int]) -> tuple[list[Example], list[FeatureSet]]:
        return [self.examples[i] for i in indices], [self.features[i] for i in indices]


def _score_router(
    router: Router,
    train: tuple[Sequence[Example], Sequence[FeatureSet]],
    test: tuple[Sequence[Example], Sequence[FeatureSet]],
) -> tuple[dict[str, float], list[float]]:
    predict = router.fit(*train)
    scores = predict(*test)
    weak = [example.weak_score for example in test[0]]
    strong = [example.strong_score for example in test[0]]
    return summarize(scores, weak, strong), resample(quality_curve(scores, weak, strong))


def _aggregate(runs: list[tuple[dict[str, float], list[float]]]) -> dict[str, Any]:
    summaries = [summary for summary, _ in runs]
    out: dict[str, Any] = {key: statistics.fmean(s[key] for s in summaries) for key in summaries[0]}
    out["apgr_std"] = statistics.pstdev(s["apgr"] for s in summaries) if len(summaries) > 1 else 0.0
    out["folds"] = summaries
    out["curve"] = [statistics.fmean(values) for values in zip(*(curve for _, curve in runs), strict=False)]
    return out


def cross_validate(
    routers: Sequence[Router], data: Dataset, extra: Dataset | None = None, show: bool = True
) -> dict[str, dict[str, Any]]:
    """k-fold CV; with `extra`, its examples are added to every training split."""
    k = max(data.folds) + 1
    runs: dict[str, list[tuple[dict[str, float], list[float]]]] = {router.name: [] for router in routers}
    jobs = [(fold, router) for fold in range(k) for router in routers]
    label = f"{data.name} CV" + (f" (+{extra.name})" if extra else "")
    for fold, router in progress(jobs, len(jobs), label, show):
        train_idx, test_idx = data.split(fold)
        examples, features = data.take(train_idx)
        if extra is not None:
            examples, features = examples + extra.examples, features + extra.features
        runs[router.name].append(_score_router(router, (examples, features), data.take(test_idx)))
    return {name: _aggregate(result) for name, result in runs.items()}


def train_test(
    routers: Sequence[Router], train: Dataset, test: Dataset, show: bool = True
) -> dict[str, dict[str, Any]]:
    everything = range(len(train.examples))
    results = {}
    for router in progress(routers, len(routers), f"{train.name}->{test.name}", show):
        run = _score_router(router, train.take(everything), test.take(range(len(test.examples))))
        results[router.name] = _aggregate([run])
    return results


def run_eval(
    data_dir: Path,
    folds: int = 5,
    seed: int = 0,
    options: TrainOptions | None = None,
    show: bool = True,
    with_latency: bool = True,
    with_litellm: bool = True,
) -> dict[str, Any]:
    """The whole evaluation; returns the results document."""
    started = time.monotonic()
    options = options or TrainOptions()
    data = {
        name: Dataset(name, load_routellm(data_dir, name), folds, seed)
        for name in progress(DATASETS, len(DATASETS), "loading", show)
    }
    routers = default_routers(options, with_litellm)
    results: dict[str, Any] = {"settings": _settings(data, folds, seed, options), "in_domain": {}, "cross_domain": {}}
    for name, dataset in data.items():
        results["in_domain"][name] = cross_validate(routers, dataset, show=show)
        other = next(d for n, d in data.items() if n != name)
        joint = learned_router(options)
        results["in_domain"][name][JOINT] = cross_validate([joint], dataset, other, show)["learned"]
    for name, dataset in data.items():
        for other_name, other in data.items():
            if other_name != name:
                results["cross_domain"][f"{name}->{other_name}"] = train_test(routers, dataset, other, show)
    if with_latency:
        results["latency"] = _latency(data, options, show, with_litellm)
    results["settings"]["seconds"] = round(time.monotonic() - started, 1)
    return results


def _settings(data: dict[str, Dataset], folds: int, seed: int, options: TrainOptions) -> dict[str, Any]:
    return {
        "folds": folds,
        "seed": seed,
        "train_options": asdict(options),
        "datasets": {
            name: {
                "prompts": len(d.examples),
                "near_duplicate_groups": d.groups,
                "weak_accuracy": statistics.fmean(e.weak_score for e in d.examples),
                "strong_accuracy": statistics.fmean(e.strong_score for e in d.examples),
            }
            for name, d in data.items()
        },
    }


def _latency(data: dict[str, Dataset], options: TrainOptions, show: bool, with_litellm: bool) -> dict[str, Any]:
    """Latency of the shipped model (or, if it cannot load, of one trained on everything)."""
    if show:
        print("measuring decision latency ...", file=sys.stderr, flush=True)
    examples = [e for d in data.values() for e in d.examples]
    try:
        model = load_model(DEFAULT_MODEL)
    except ModelFileError:
        model = fit(examples, options, [f for d in data.values() for f in d.features])
    litellm = litellm_classifier() if with_litellm else None
    return latency.measure([e.prompt for e in examples], model, litellm)


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def render_table(results: dict[str, Any]) -> str:
    """Markdown tables of APGR / CPT (and latency) from a results document."""
    in_domain, cross = results["in_domain"], results["cross_domain"]
    names = list(next(iter(in_domain.values())))
    head = ["Router"]
    for name in in_domain:
        label = LABELS.get(name, name)
        head += [f"{label} APGR", f"{label} CPT(50%)", f"{label} CPT(80%)"]
    head += [f"{LABELS.get(a, a)}→{LABELS.get(b, b)} APGR" for a, b in (key.split("->") for key in cross)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for router in names:
        row = [router]
        for name in in_domain:
            r = in_domain[name].get(router)
            row += [f"{r['apgr']:.3f} ± {r['apgr_std']:.3f}", _pct(r["cpt50"]), _pct(r["cpt80"])] if r else ["–"] * 3
        row += [f"{cross[key][router]['apgr']:.3f}" if router in cross[key] else "–" for key in cross]
        lines.append("| " + " | ".join(row) + " |")
    settings = results["settings"]
    lines += [
        "",
        f"APGR: mean ± std over {settings['folds']} folds that keep near-duplicate prompts together "
        "(1 = always-strong quality, 0 = always-weak). CPT(p): share of strong calls needed to "
        f"recover p of the quality gap. “{JOINT}”: each fold's model also sees the other benchmark "
        "(the shipped model's recipe). Cross-domain: train on one benchmark, test on all of the other.",
    ]
    if "latency" in results:
        lines += ["", *latency_table(results["latency"])]
    return "\n".join(lines)


def latency_table(results: dict[str, dict[str, float]]) -> list[str]:
    """Markdown rows of p50/p99 per scorer, wall clock and thread CPU time."""
    lines = [
        "| Scorer | clock | p50 (prompts) | p99 (prompts) | p50 (4,000 chars) | p99 (4,000 chars) |",
        "|---|---|---|---|---|---|",
    ]
    for name, lat in results.items():
        for clock in latency.CLOCKS:
            keys = [f"{clock}_{part}_us" for part in ("prompts_p50", "prompts_p99", "turn4000_p50", "turn4000_p99")]
            if all(key in lat for key in keys):
                lines.append(f"| {name} | {clock} | " + " | ".join(f"{lat[key]:.0f} µs" for key in keys) + " |")
    return lines


def update_readme(path: Path, table: str) -> None:
    """Replace the text between the eval-table markers of `path` with `table`."""
    text = path.read_text(encoding="utf-8")
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"{path} has no '{TABLE_START}' ... '{TABLE_END}' markers")
    head = text[: start + len(TABLE_START)]
    path.write_text(f"{head}\n{table}\n{text[end:]}", encoding="utf-8")
