"""`vibe-router report`: one self-contained HTML page (and its PNGs) from captured turns.

It shows, per virtual model: the share routed to each tier over time, what decided, the cost
LiteLLM charged against the same tokens on the top tier, and, given labelled rows
(`vibe-router label`), the quality curve of the configured scorer with its threshold marked.
"""

from __future__ import annotations

import base64
import html
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vibe_router.config import RouterConfig
from vibe_router.config_conversation import Price
from vibe_router.policy import Policy
from vibe_router.request import prompt_view
from vibe_router_tools.training.metrics import apgr, quality_curve

TIME_BINS = 24


@dataclass
class ModelReport:
    name: str
    times: list[tuple[float, str]] = field(default_factory=list)  # (time, tier)
    decided_by: Counter[str] = field(default_factory=Counter)
    cost: float = 0.0
    all_top_cost: float | None = 0.0


def read_captures(paths: list[Path]) -> list[dict[str, Any]]:
    records = []
    for path in paths:
        for file in sorted(path.glob("capture-*.jsonl")) if path.is_dir() else [path]:
            records += [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    return sorted(records, key=lambda record: record.get("time", 0))


def summarize(records: list[dict[str, Any]], config: RouterConfig, prices: dict[str, Price]) -> list[ModelReport]:
    reports: dict[str, ModelReport] = {}
    for record in records:
        decision, outcome = record.get("decision") or {}, record.get("outcome") or {}
        name = decision.get("virtual_model")
        virtual = config.virtual_models.get(name)
        if virtual is None:
            continue
        report = reports.setdefault(name, ModelReport(name))
        report.times.append((record.get("time", 0.0), decision.get("tier", "?")))
        report.decided_by[decision.get("decided_by", "?")] += 1
        report.cost += float(outcome.get("response_cost") or 0.0)
        top = prices.get(virtual.tiers[-1].pool)
        if top is None or report.all_top_cost is None:
            report.all_top_cost = None
        else:
            report.all_top_cost += ((outcome.get("prompt_tokens") or 0) * top.input
                                    + (outcome.get("completion_tokens") or 0) * top.output) / 1_000_000
    return list(reports.values())


def quality(labels: list[dict[str, Any]], config: RouterConfig, name: str) -> dict[str, Any] | None:
    """The configured scorer's curve on one virtual model's labelled rows, and where its threshold sits."""
    rows = [row for row in labels if row.get("virtual_model") == name]
    if len(rows) < 2:
        return None
    policy = Policy(config)
    virtual = config.virtual_models[name]
    scores = [policy.decide_view(name, prompt_view(row["prompt"])).score for row in rows]
    curve = quality_curve(scores, [row["weak_score"] for row in rows], [row["strong_score"] for row in rows])
    threshold = virtual.tiers[-1].min_score
    share = sum(score >= threshold for score in scores) / len(scores) if threshold is not None else 1.0
    gap = curve.strong - curve.weak
    return {"curve": curve, "share": share, "threshold": threshold, "apgr": apgr(curve) if gap > 0 else None,
            "rows": len(rows)}


def render(reports: list[ModelReport], labels: list[dict[str, Any]], config: RouterConfig, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    sections = []
    for report in reports:
        tiers = [tier.name for tier in config.virtual_models[report.name].tiers]
        figures = [("share", _share_figure(plt, report, tiers)), ("decided_by", _decided_figure(plt, report))]
        found = quality(labels, config, report.name)
        if found:
            figures.append(("quality", _quality_figure(plt, found)))
        images = []
        for kind, figure in figures:
            path = out / f"{report.name}-{kind}.png"
            figure.savefig(path, dpi=100, bbox_inches="tight")
            plt.close(figure)
            encoded = base64.b64encode(path.read_bytes()).decode()
            images.append(f'<img alt="{kind}" src="data:image/png;base64,{encoded}">')
        sections.append(_section(report, tiers, found, images))
    page = out / "index.html"
    page.write_text(PAGE.format(body="\n".join(sections) or "<p>No captured turns.</p>"), encoding="utf-8")
    return page


def _section(report: ModelReport, tiers: list[str], found: dict[str, Any] | None, images: list[str]) -> str:
    count = Counter(tier for _, tier in report.times)
    shares = ", ".join(f"{tier} {count[tier] / len(report.times):.1%}" for tier in tiers)
    saving = (f"{1 - report.cost / report.all_top_cost:.1%}" if report.all_top_cost else "n/a")
    top_cost = f"${report.all_top_cost:.4f}" if report.all_top_cost is not None else "n/a (no price for the top pool)"
    facts = [f"{len(report.times)} captured turns; routed {shares}",
             f"cost ${report.cost:.4f} (LiteLLM's response_cost) against {top_cost} on the top tier: "
             f"estimated saving {saving}"]
    if found:
        apgr_text = f"{found['apgr']:.3f}" if found["apgr"] is not None else "n/a (no quality gap)"
        facts.append(f"on {found['rows']} labelled turns: APGR {apgr_text}; the threshold "
                     f"{found['threshold']:g} sends {found['share']:.1%} to the top tier")
    items = "".join(f"<li>{html.escape(fact)}</li>" for fact in facts)
    return f"<section><h2>{html.escape(report.name)}</h2><ul>{items}</ul>{''.join(images)}</section>"


def _share_figure(plt: Any, report: ModelReport, tiers: list[str]) -> Any:
    start, end = report.times[0][0], report.times[-1][0]
    width = max((end - start) / TIME_BINS, 1e-9)
    bins: dict[int, Counter[str]] = defaultdict(Counter)
    for when, tier in report.times:
        bins[min(int((when - start) / width), TIME_BINS - 1)][tier] += 1
    keys = sorted(bins)
    figure, axes = plt.subplots(figsize=(7, 3))
    bottom = [0.0] * len(keys)
    for tier in tiers:
        share = [bins[key][tier] / sum(bins[key].values()) for key in keys]
        axes.bar([(key * width) / 3600 for key in keys], share, width=width / 3600 * 0.9, bottom=bottom, label=tier,
                 align="edge")
        bottom = [b + s for b, s in zip(bottom, share, strict=True)]
    axes.set(xlabel="hours since the first captured turn", ylabel="share of turns", title="Routed share by tier")
    axes.legend()
    return figure


def _decided_figure(plt: Any, report: ModelReport) -> Any:
    figure, axes = plt.subplots(figsize=(7, 3))
    names, counts = zip(*report.decided_by.most_common(), strict=True)
    axes.barh(names, counts)
    axes.set(xlabel="turns", title="What decided")
    return figure


def _quality_figure(plt: Any, found: dict[str, Any]) -> Any:
    curve = found["curve"]
    figure, axes = plt.subplots(figsize=(7, 3.5))
    axes.plot(curve.shares, curve.qualities, label="configured scorer")
    axes.plot([0, 1], [curve.weak, curve.strong], linestyle="--", label="random")
    marked = min(range(len(curve.shares)), key=lambda i: abs(curve.shares[i] - found["share"]))
    axes.scatter([curve.shares[marked]], [curve.qualities[marked]], color="red", zorder=3, label="threshold")
    axes.set(xlabel="share sent to the top tier", ylabel="mean quality (labels)", title="Quality against cost")
    axes.legend()
    return figure


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vibe-router report</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto}}img{{display:block;margin:1rem 0}}</style>
</head><body><h1>vibe-router report</h1>
{body}
</body></html>
"""


def add_report(parser: Any) -> None:
    parser.add_argument("captures", type=Path, nargs="+", help="capture files, or directories of capture-*.jsonl")
    parser.add_argument("--labels", type=Path, help="labelled rows from `vibe-router label` (adds the quality curve)")
    parser.add_argument("--config", help="the proxy's config (default: $VIBE_ROUTER_CONFIG, else ./config_final.yaml)")
    parser.add_argument("--out", type=Path, default=Path("build") / "report", help="folder (default build/report)")
    parser.set_defaults(func=run_report)


def run_report(args: Any) -> int:
    import sys

    from vibe_router.config import ConfigError, load_config, resolve_config_path
    from vibe_router.plugin import pool_prices

    try:
        config = load_config(resolve_config_path(args.config))
        records = read_captures(args.captures)
        labels = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines()
                  if line.strip()] if args.labels else []
    except (ConfigError, OSError, ValueError) as error:
        print(f"vibe-router report: {error}", file=sys.stderr)
        return 2
    page = render(summarize(records, config, {**pool_prices(config), **config.prices}), labels, config, args.out)
    print(page)
    return 0
