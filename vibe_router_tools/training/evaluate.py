"""`vibe-router eval`: every router on the five shared benchmarks, leave one benchmark out (train
on four, test on the fifth: how a scorer carries over to prompts of a kind it has never seen,
the target), in-domain (grouped k-fold CV on each benchmark), plus decision latency.

Results are a JSON-able dict; `render_table` turns them into the Markdown tables of
docs/learned-scorer.md.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from vibe_router.scoring.gain import DEFAULT_GAIN_MODEL
from vibe_router.scoring.learned import DEFAULT_MODEL, ModelFileError, load_model
from vibe_router_tools.doc_sections import markers, update_file
from vibe_router_tools.training import latency
from vibe_router_tools.training.baselines import CandidateRouter, default_routers, litellm_classifier
from vibe_router_tools.training.benchmarks import LABELS, WIDE, available, load_benchmark
from vibe_router_tools.training.folds import grouped_folds, near_duplicate_groups
from vibe_router_tools.training.gain import fit_gain
from vibe_router_tools.training.metrics import quality_curve, resample, summarize
from vibe_router_tools.training.routellm import Example
from vibe_router_tools.training.train import FeatureSet, TrainOptions, featurize, fit

T = TypeVar("T")
TABLE_START, TABLE_END = markers("eval-table")
BASELINES = ("prompt length", "seed heuristic", "heuristic (config_final.yaml)", "LiteLLM complexity heuristic")
CANDIDATE = "gain"
CODE = ("lcb", "crux")  # the benchmarks closest to coding-agent traffic (auto-codex, auto-claude)


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
    router: CandidateRouter,
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


def cross_validate(routers: Sequence[CandidateRouter], data: Dataset, show: bool = True) -> dict[str, dict[str, Any]]:
    """k-fold CV within one benchmark; a fold whose held-out rows have no quality gap (nothing to
    route: the strong tier no better on average) is left out, which small labelled sets can meet."""
    k = max(data.folds) + 1
    usable = [fold for fold in range(k) if _has_gap(data.take(data.split(fold)[1])[0])]
    if not usable:
        raise ValueError(f"{data.name}: in no fold is the strong tier better than the weak one: nothing to route")
    runs: dict[str, list[tuple[dict[str, float], list[float]]]] = {router.name: [] for router in routers}
    jobs = [(fold, router) for fold in usable for router in routers]
    for fold, router in progress(jobs, len(jobs), f"{data.name} CV", show):
        train_idx, test_idx = data.split(fold)
        runs[router.name].append(_score_router(router, data.take(train_idx), data.take(test_idx)))
    return {name: _aggregate(result) for name, result in runs.items()}


def _has_gap(examples: Sequence[Example]) -> bool:
    return bool(examples) and statistics.fmean(e.strong_score for e in examples) > statistics.fmean(
        e.weak_score for e in examples)


def leave_one_out(
    routers: Sequence[CandidateRouter], data: dict[str, Dataset], held_out: str, show: bool = True
) -> dict[str, dict[str, Any]]:
    """Train on every benchmark but `held_out`, test on all of `held_out`."""
    examples = [e for name, d in data.items() if name != held_out for e in d.examples]
    features = [f for name, d in data.items() if name != held_out for f in d.features]
    test = data[held_out]
    results = {}
    for router in progress(routers, len(routers), f"without {held_out}", show):
        run = _score_router(router, (examples, features), test.take(range(len(test.examples))))
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
    """The whole evaluation on the benchmarks found from `data_dir` (the RouteLLM dir)."""
    started = time.monotonic()
    options = options or TrainOptions()
    names = available(data_dir)
    data = {
        name: Dataset(name, load_benchmark(data_dir, name), folds, seed)
        for name in progress(names, len(names), "loading", show)
    }
    routers = default_routers(options, with_litellm)
    results: dict[str, Any] = {"settings": _settings(data, folds, seed, options), "leave_one_out": {}, "in_domain": {}}
    for name in data:
        results["leave_one_out"][name] = leave_one_out(routers, data, name, show)
    for name, dataset in data.items():
        results["in_domain"][name] = cross_validate(routers, dataset, show)
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
                "pairs": [list(pair) for pair in WIDE[name].pairs] if name in WIDE else None,
            }
            for name, d in data.items()
        },
    }


def _latency(data: dict[str, Dataset], options: TrainOptions, show: bool, with_litellm: bool) -> dict[str, Any]:
    """Latency of the shipped models (or, if one cannot load, of one trained on everything)."""
    if show:
        print("measuring decision latency ...", file=sys.stderr, flush=True)
    examples = [e for d in data.values() for e in d.examples]
    features = [f for d in data.values() for f in d.features]
    try:
        model = load_model(DEFAULT_MODEL)
    except ModelFileError:
        model = fit(examples, options, features)
    try:
        gain = load_model(DEFAULT_GAIN_MODEL)
    except ModelFileError:
        gain = fit_gain(examples, None, features)
    litellm = litellm_classifier() if with_litellm else None
    return latency.measure([e.prompt for e in examples], model, litellm, gain_model=gain)


def render_table(results: dict[str, Any]) -> str:
    """Markdown tables of APGR (leave one benchmark out, then in-domain) and latency."""
    lines = [*leave_one_out_table(results["leave_one_out"]), "", *in_domain_table(results)]
    if "latency" in results:
        lines += ["", *latency_table(results["latency"])]
    return "\n".join(lines)


def held_out_summary(
    by_benchmark: dict[str, dict[str, Any]], names: Sequence[str] | None = None
) -> dict[str, dict[str, float]]:
    """router -> mean and worst APGR over the held-out benchmarks (`names`: only those)."""
    names = [name for name in by_benchmark if names is None or name in names]
    routers = list(next(iter(by_benchmark.values())))
    out = {}
    for router in routers:
        values = [by_benchmark[name][router]["apgr"] for name in names]
        out[router] = {"mean": statistics.fmean(values), "worst": min(values)}
    return out


def leave_one_out_table(by_benchmark: dict[str, dict[str, Any]]) -> list[str]:
    summary = held_out_summary(by_benchmark)
    code = held_out_summary(by_benchmark, CODE) if set(CODE) <= set(by_benchmark) else None
    head = ["Router", *(LABELS.get(name, name) for name in by_benchmark), "mean", "worst"]
    head += ["code mean", "code worst"] if code else []
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for router, stats in summary.items():
        cells = [f"{by_benchmark[name][router]['apgr']:.3f}" for name in by_benchmark]
        cells += [f"{stats['mean']:.3f}", f"{stats['worst']:.3f}"]
        cells += [f"{code[router]['mean']:.3f}", f"{code[router]['worst']:.3f}"] if code else []
        lines.append(f"| {router} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Leave one benchmark out: APGR on each benchmark of routers trained on the others "
        "(1 = always-strong quality, 0 = always-weak, 0.5 = random); mean and worst over the held-out benchmarks"
        + (", and over the two code benchmarks (LiveCodeBench, CRUXEval) alone." if code else "."),
    ]
    for label, stats in (("all benchmarks", summary), ("the code benchmarks", code)):
        if stats is not None:
            lines.append(_verdict(stats, label))
    return lines


def _verdict(summary: dict[str, dict[str, float]], label: str) -> str:
    """Which fixed baselines the candidate beats on both mean and worst APGR."""
    baselines = [name for name in BASELINES if name in summary]
    if CANDIDATE not in summary or not baselines:
        return ""
    mine = summary[CANDIDATE]
    beaten = [name for name in baselines
              if mine["mean"] > summary[name]["mean"] and mine["worst"] > summary[name]["worst"]]
    lost = [name for name in baselines if name not in beaten]
    verdict = "every fixed baseline"
    if lost:
        verdict = f"{len(beaten)} of {len(baselines)} fixed baselines (not: {', '.join(lost)})"
    return f"\nOn {label}, `{CANDIDATE}` beats {verdict} on both mean and worst APGR."


def in_domain_table(results: dict[str, Any]) -> list[str]:
    in_domain = results["in_domain"]
    names = list(next(iter(in_domain.values())))
    head = ["Router (in-domain)", *(f"{LABELS.get(name, name)} APGR" for name in in_domain)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for router in names:
        cells = [f"{r['apgr']:.3f} ± {r['apgr_std']:.3f}" if (r := in_domain[name].get(router)) else "–"
                 for name in in_domain]
        lines.append(f"| {router} | " + " | ".join(cells) + " |")
    folds = results["settings"]["folds"]
    lines += [
        "",
        f"In-domain: APGR mean ± std over {folds} folds within one benchmark, near-duplicate prompts kept "
        "in one fold. Not the target: real traffic is not these benchmarks.",
    ]
    return lines


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
    update_file(path, "eval-table", table)
