"""Numbers and the Markdown table of `bench.overhead` (no I/O)."""

from __future__ import annotations

import random
import statistics
from typing import Any

from bench.bodies import PATHS, VIRTUAL_MODELS
from bench.report import fmt
from bench.stack import CONTROL
from vibe_router_tools.percentile import percentile

PLUGIN_LABELS = {
    "vibe-router": "vibe-router",
    "floor": "the floor plugin (`bench/floor_plugin.py`: each virtual model to its cheapest pool, no decision)",
}
TARGETS = {"throughput_ratio_min": 0.97, "added_p50_ms_max": 0.5, "rss_added_mb_max": 30.0}
BOOTSTRAP_ROUNDS = 400
SATURATED_CORE_SHARE = 0.85
PHASES = ("latency", "throughput")


def cell_stats(cell: Any) -> dict[str, Any]:
    total = cell.total
    latencies = total.latencies_ms
    return {
        "requests": total.ok,
        "failed": total.failed,
        "errors": total.errors,
        "rps": round(total.ok / total.wall_s, 2) if total.wall_s else 0.0,
        # The worker answers nothing while it collects its whole heap: the same rate without those pauses.
        "rps_outside_full_gc": round(total.ok / (total.wall_s - cell.full_gc_wall_s), 2)
        if total.wall_s > cell.full_gc_wall_s else 0.0,
        "p50_ms": round(percentile(latencies, 0.5), 3),
        "p99_ms": round(percentile(latencies, 0.99), 3),
        "mean_ms": round(statistics.fmean(latencies), 3) if latencies else None,
        "overhead_header_p50_ms": round(percentile(total.overhead_ms, 0.5), 3),
        "overhead_header_p99_ms": round(percentile(total.overhead_ms, 0.99), 3),
        "proxy_cpu_ms_per_request": round(1000 * cell.cpu_s / total.ok, 3) if total.ok else None,
        "proxy_core_share": round(cell.cpu_s / total.wall_s, 3) if total.wall_s else None,
        "model_groups": total.model_groups,
        "routed_by_plugin": total.routed,
        "rounds": [{key: round(value, 3) for key, value in r.items()} for r in cell.rounds],
    }


def median_difference_ci(a: list[float], b: list[float], seed: int = 0) -> list[float] | None:
    """95 % bootstrap interval of median(a) - median(b) (treats samples as independent)."""
    if len(a) < 5 or len(b) < 5:
        return None
    rng = random.Random(seed)
    diffs = sorted(
        statistics.median(rng.choices(a, k=len(a))) - statistics.median(rng.choices(b, k=len(b)))
        for _ in range(BOOTSTRAP_ROUNDS)
    )
    return [round(percentile(diffs, 0.025), 3), round(percentile(diffs, 0.975), 3)]


def _paired(a_rounds: list[dict[str, float]], b_rounds: list[dict[str, float]], key: str,
            ratio: bool) -> dict[str, float]:
    """Median (and range) over rounds of a/b (or a-b): each round's two batches ran back to back."""
    pairs = zip(a_rounds, b_rounds, strict=False)
    values = [a[key] / b[key] if ratio else a[key] - b[key] for a, b in pairs if not ratio or b[key]]
    if not values:
        return {}
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3), "rounds": len(values)}


def cpu_ms_per_request(*cells: Any) -> float | None:
    """Proxy CPU time per answered request over both phases (what bounds a CPU-bound proxy)."""
    answered = sum(cell.total.ok for cell in cells)
    return round(1000 * sum(cell.cpu_s for cell in cells) / answered, 3) if answered else None


def _full_gc(*cells: Any) -> dict[str, float | None]:
    """Full garbage collections per 1,000 answered requests, and CPU ms per request outside them."""
    answered = sum(cell.total.ok for cell in cells)
    if not answered:
        return {"per_1000_requests": None, "cpu_ms_per_request_outside": None}
    outside = sum(cell.cpu_s - cell.full_gc_s for cell in cells)
    return {"per_1000_requests": round(1000 * sum(cell.full_gc for cell in cells) / answered, 2),
            "cpu_ms_per_request_outside": round(1000 * outside / answered, 3)}


def comparison(raw: dict[tuple[str, str], Any], stats: dict[str, Any], a: str, b: str) -> dict[str, Any]:
    """Proxy `a` against proxy `b` for one traffic kind."""
    sa, sb = stats[a], stats[b]
    cpu_a = cpu_ms_per_request(*(raw[p, a] for p in PHASES))
    cpu_b = cpu_ms_per_request(*(raw[p, b] for p in PHASES))
    gc_a, gc_b = (_full_gc(*(raw[p, v] for p in PHASES)) for v in (a, b))
    outside_a, outside_b = gc_a["cpu_ms_per_request_outside"], gc_b["cpu_ms_per_request_outside"]
    return {
        "throughput_ratio": round(sa["throughput"]["rps"] / sb["throughput"]["rps"], 4)
        if sb["throughput"]["rps"] else None,
        "throughput_ratio_per_round": _paired(sa["throughput"]["rounds"], sb["throughput"]["rounds"], "rps", True),
        "throughput_ratio_outside_full_gc": _ratio(sa["throughput"]["rps_outside_full_gc"],
                                                   sb["throughput"]["rps_outside_full_gc"]),
        "added_p50_ms": round(sa["latency"]["p50_ms"] - sb["latency"]["p50_ms"], 3),
        "added_p50_ms_ci95": median_difference_ci(raw["latency", a].total.latencies_ms,
                                                  raw["latency", b].total.latencies_ms),
        "added_p50_ms_per_round": _paired(sa["latency"]["rounds"], sb["latency"]["rounds"], "p50_ms", False),
        "added_p99_ms": round(sa["latency"]["p99_ms"] - sb["latency"]["p99_ms"], 3),
        "added_p50_ms_under_load": round(sa["throughput"]["p50_ms"] - sb["throughput"]["p50_ms"], 3),
        "added_overhead_header_p50_ms": round(
            sa["latency"]["overhead_header_p50_ms"] - sb["latency"]["overhead_header_p50_ms"], 3),
        "proxy_cpu_ms_per_request": {a: cpu_a, b: cpu_b},
        "added_proxy_cpu_ms_per_request": round(cpu_a - cpu_b, 3) if cpu_a and cpu_b else None,
        "cpu_throughput_ratio": round(cpu_b / cpu_a, 4) if cpu_a and cpu_b else None,
        # b/a per throughput round: robust to the one garbage collection of an old generation
        # that lands in a single batch and moves a pooled figure by half a millisecond.
        "cpu_throughput_ratio_per_round": _paired(sb["throughput"]["rounds"], sa["throughput"]["rounds"],
                                                  "cpu_ms", True),
        "full_gc": {a: gc_a, b: gc_b},
        # The same ratio with the CPU of full collections taken out of both: how often each proxy
        # paid for one is reported beside it (`full_gc`), so a plugin that caused more would show.
        "cpu_throughput_ratio_outside_full_gc": _ratio(outside_b, outside_a),
    }


def round_pairs(raw: dict[tuple[str, str], Any], a: str, b: str, cost: str = "cpu",
                phases: tuple[str, ...] = PHASES) -> list[tuple[float, int, float, int]]:
    """(cost of a, requests of a, cost of b, requests of b) of each pair of batches that ran back to back.

    cost "cpu": proxy CPU ms (bench.intervals.pooled_ratio: CPU per request of b / a); "wall": the
    batch's seconds (the ratio is then a's req/s / b's).
    """
    def spent(found: dict[str, float]) -> float:
        if cost == "cpu":
            return found["cpu_ms"] * found["ok"]
        return found["ok"] / found["rps"] if found["rps"] else 0.0

    return [(spent(ra), int(ra["ok"]), spent(rb), int(rb["ok"]))
            for phase in phases
            for ra, rb in zip(raw[phase, a].rounds, raw[phase, b].rounds, strict=False)]


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 4) if a and b else None


def traffic_summary(kind: str, cells: dict[tuple[str, str, str], Any], variants: list[str],
                    empty: Any) -> dict[str, Any]:
    raw = {(phase, v): cells.get((phase, kind, v), empty) for phase in PHASES for v in variants}
    stats = {v: {phase: cell_stats(raw[phase, v]) for phase in PHASES} for v in variants}
    out: dict[str, Any] = {"path": PATHS[kind], "virtual_model": VIRTUAL_MODELS[kind], **stats,
                           "comparison": comparison(raw, stats, "with", "without")}
    if CONTROL in variants:
        out["control_comparison"] = comparison(raw, stats, CONTROL, "without")
    return out


def summarize(run: Any, settings: dict[str, Any], body_bytes: dict[str, int]) -> dict[str, Any]:
    from bench.overhead import Cell  # the dataclass lives with the driver

    variants = run.variants
    traffic = {kind: traffic_summary(kind, run.cells, variants, Cell()) for kind in settings["kinds"]}
    starts = settings.get("restarts", 1)
    planned = {phase: plan["rounds"] * plan["batch"] * starts for phase, plan in settings["phases"].items()}
    sent = [(p, traffic[k][v][p]) for k in traffic for v in variants for p in PHASES]
    complete = all(s["requests"] + s["failed"] == planned[p] for p, s in sent)
    rss = run.rss
    rss_added = {moment: round(values["with"] - values["without"], 1) for moment, values in rss.items()}
    wall = run.throughput_wall_s
    answered = {v: sum(t[v][p]["requests"] for t in traffic.values() for p in PHASES) for v in variants}
    cpu_all: dict[str, Any] = {v: round(1000 * run.phase_cpu_s.get(v, 0.0) / answered[v], 3) if answered[v] else None
                               for v in variants}
    if cpu_all["with"] and cpu_all["without"]:
        cpu_all["ratio"] = round(cpu_all["without"] / cpu_all["with"], 4)
    decisions = run.decisions_ms
    return {
        "settings": settings,
        "variants": variants,
        "body_bytes": body_bytes,
        "requests": sum(s["requests"] + s["failed"] for _, s in sent),
        "failed_requests": sum(s["failed"] for _, s in sent),
        "planned_per_cell": planned,
        "complete": complete,
        "traffic": traffic,
        "rss_mb": {**rss, "added": rss_added},
        "proxy_cpu_ms_per_request_all": cpu_all,
        "hook_decision_ms": {"count": len(decisions), "p50": round(percentile(decisions, 0.5), 3),
                             "p99": round(percentile(decisions, 0.99), 3)},
        "upstream_alone": run.capacity,
        "throughput_phase_core_share": {
            "client": round(run.client_cpu_s / wall, 3) if wall else None,
            "upstream": round(run.upstream_cpu_s / wall, 3) if wall else None,
        },
        "bottleneck": bottleneck(traffic, run.capacity),
        "targets": targets(traffic, rss_added),
    }


# The throughput target is judged on these: full collections of LiteLLM's heap (half-second pauses,
# about as frequent with the plugin as without, see `full_gc`) land in one proxy's batches at random
# and move its pooled figures by as much as the plugin costs; the A/A control shows how much.
JUDGED_MEASURES = ("throughput_ratio_outside_full_gc", "cpu_throughput_ratio_outside_full_gc")


def throughput_checks(comparisons: dict[str, dict[str, Any]], minimum: float) -> dict[str, Any]:
    """The throughput target on each of its measures, over every traffic kind."""
    measures = {
        "throughput_ratio": {kind: c["throughput_ratio"] for kind, c in comparisons.items()},
        "cpu_throughput_ratio": {kind: c["cpu_throughput_ratio"] for kind, c in comparisons.items()},
        "cpu_throughput_ratio_median_of_rounds": {
            kind: c["cpu_throughput_ratio_per_round"].get("median") for kind, c in comparisons.items()},
        "throughput_ratio_outside_full_gc": {
            kind: c["throughput_ratio_outside_full_gc"] for kind, c in comparisons.items()},
        "cpu_throughput_ratio_outside_full_gc": {
            kind: c["cpu_throughput_ratio_outside_full_gc"] for kind, c in comparisons.items()},
    }
    checks: dict[str, Any] = {name: {"target": f">= {minimum}", "values": values,
                                     "met": all(v is not None and v >= minimum for v in values.values())}
                              for name, values in measures.items()}
    checks["judged"] = {"measures": list(JUDGED_MEASURES), "met": all(checks[m]["met"] for m in JUDGED_MEASURES)}
    return checks


def targets(traffic: dict[str, Any], rss_added: dict[str, float]) -> dict[str, Any]:
    minimum, ceiling, rss_ceiling = (TARGETS[k] for k in ("throughput_ratio_min", "added_p50_ms_max",
                                                          "rss_added_mb_max"))
    added = {kind: t["comparison"]["added_p50_ms"] for kind, t in traffic.items()}
    worst_rss = max(rss_added.values()) if rss_added else None
    found = {
        **throughput_checks({kind: t["comparison"] for kind, t in traffic.items()}, minimum),
        "added_p50_ms": {"target": f"< {ceiling}", "values": added, "met": all(a < ceiling for a in added.values())},
        "rss_added_mb": {"target": f"< {rss_ceiling:g}", "values": rss_added,
                         "met": worst_rss is not None and worst_rss < rss_ceiling},
    }
    if traffic and all("control_comparison" in t for t in traffic.values()):
        # Two identical proxies under the same rule: where they fail it, the run cannot resolve the target.
        found["control"] = throughput_checks({kind: t["control_comparison"] for kind, t in traffic.items()},
                                             minimum)
    return found


def bottleneck(traffic: dict[str, Any], capacity: dict[str, dict[str, Any]]) -> str:
    """Which process limited the throughput phase, in one sentence per traffic kind."""
    notes = []
    for kind, t in traffic.items():
        proxy_rps = max(t[v]["throughput"]["rps"] for v in ("with", "without"))
        upstream_rps = capacity.get(kind, {}).get("rps") or 0.0
        shares = [t[v]["throughput"]["proxy_core_share"] or 0.0 for v in ("with", "without")]
        if upstream_rps and upstream_rps < 1.5 * proxy_rps:
            notes.append(f"{kind}: the upstream ({upstream_rps:.0f} req/s alone) is close to the proxy's rate")
        elif min(shares) >= SATURATED_CORE_SHARE:
            notes.append(f"{kind}: the proxy's one worker ({min(shares):.2f}-{max(shares):.2f} of a core)")
        else:
            notes.append(f"{kind}: no process saturated (proxy {max(shares):.2f} of a core, upstream "
                         f"{upstream_rps:.0f} req/s alone): CPU shared with other load on the machine")
    return "; ".join(notes)


MEASURE_NAMES = {
    "throughput_ratio": "req/s",
    "cpu_throughput_ratio": "CPU per request",
    "cpu_throughput_ratio_median_of_rounds": "CPU per request, median of rounds",
    "throughput_ratio_outside_full_gc": "req/s outside full collections",
    "cpu_throughput_ratio_outside_full_gc": "CPU per request outside full collections",
}


def _judged_marks(checks: dict[str, Any], control: dict[str, Any] | None) -> str:
    """The verdict on the judged measures, with the lowest ratio of each over the traffic kinds."""
    parts = []
    for measure in checks["judged"]["measures"]:
        lowest = min((v for v in checks[measure]["values"].values() if v is not None), default=None)
        parts.append(f"{MEASURE_NAMES[measure]} {_mark(checks[measure]['met'])} (lowest {fmt(lowest, 3)})")
    text = f"{_mark(checks['judged']['met'])}: " + ", ".join(parts)
    if control is not None:
        text += f"; the A/A control on the same rule {_mark(control['judged']['met'])}"
    return text


def _every_measure(checks: dict[str, Any], control: dict[str, Any] | None) -> str:
    """The throughput rule on every measure, as with-plugin / A/A marks."""
    return ", ".join(f"{name} {_mark(checks[measure]['met'])}"
                     + (f"/{_mark(control[measure]['met'])}" if control is not None else "")
                     for measure, name in MEASURE_NAMES.items())


def _mark(met: bool) -> str:
    return "✓" if met else "✗"


def _row(label: str, body_kb: float, t: dict[str, Any], a: str, b: str, c: dict[str, Any]) -> str:
    sa, sb = t[a], t[b]
    ci = c["added_p50_ms_ci95"]
    ci_text = f" ({fmt(ci[0])} … {fmt(ci[1])})" if ci else ""
    ratio, rounds = c["throughput_ratio"], c["throughput_ratio_per_round"]
    paired = c["added_p50_ms_per_round"].get("median")
    cpu = c["proxy_cpu_ms_per_request"]
    return (
        f"| {label} | {body_kb:.0f} KB | {fmt(sa['throughput']['rps'], 1)} / {fmt(sb['throughput']['rps'], 1)} "
        f"| {fmt(ratio, 3)} ({fmt(rounds.get('median'), 3)}) | {fmt(cpu[a])} / {fmt(cpu[b])} "
        f"| {fmt(c['cpu_throughput_ratio'], 3)} ({fmt(c['cpu_throughput_ratio_per_round'].get('median'), 3)}) "
        f"| {fmt(sa['latency']['p50_ms'])} / {fmt(sb['latency']['p50_ms'])} "
        f"| {c['added_p50_ms']:+.2f}{ci_text}; {fmt(paired)} "
        f"| {fmt(sa['latency']['p99_ms'])} / {fmt(sb['latency']['p99_ms'])} "
        f"| {fmt(sa['latency']['overhead_header_p50_ms'])} / {fmt(sb['latency']['overhead_header_p50_ms'])} |"
    )


def markdown_table(results: dict[str, Any]) -> str:
    s, m = results["settings"], results["machine"]
    lat, thr = s["phases"]["latency"], s["phases"]["throughput"]
    control = CONTROL in results["variants"]
    restarts = s.get("restarts", 1)
    lines = [
        f"Measured with `{results['command']}` ({m['cpus']} CPUs, LiteLLM {m['litellm']}, {m['when'][:10]}). "
        f"The proxy with {PLUGIN_LABELS[s.get('plugin', 'vibe-router')]}, asked for the virtual model, against the "
        f"same proxy without it (no "
        f"`callbacks`), asked for the pool the plugin picks for that body, so both serve the same deployment; "
        f"same upstream "
        f"({s['upstream']}), {s['workers']} worker(s), {'streaming' if s['stream'] else 'non-streaming'}"
        f"{', and an identical second proxy without it as an A/A control' if control else ''}"
        f"{f'; all started {restarts} times, rounds pooled' if restarts > 1 else ''}. "
        f"Latency phase: one request at a time, the proxies alternating every {lat['batch']} requests "
        f"({lat['rounds'] * lat['batch']} requests each per traffic kind). Throughput phase: {thr['concurrency']} in "
        f"flight, {thr['rounds']} alternating batches of {thr['batch']}. Ratios are with / without (higher is "
        "better); CPU ratio = proxy CPU per request without / with.",
        "",
        "| traffic | body | req/s with / without | req/s ratio (median of rounds) | proxy CPU ms/req with / without "
        "| CPU ratio (median of rounds) | p50 ms with / without | p50 added ms (95 % CI); median of rounds "
        "| p99 ms with / without | LiteLLM overhead p50 ms with / without |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, t in results["traffic"].items():
        kb = results["body_bytes"][kind] / 1000
        lines.append(_row(f"{kind} `{t['path']}` {t['virtual_model']}", kb, t, "with", "without", t["comparison"]))
        if control:
            lines.append(_row(f"{kind}: A/A control (no plugin in either)", kb, t, CONTROL, "without",
                              t["control_comparison"]))
    rss, tg = results["rss_mb"], results["targets"]
    hook, cpu_all = results["hook_decision_ms"], results["proxy_cpu_ms_per_request_all"]
    upstream = ", ".join(f"{k} {v['rps']:.0f} req/s" for k, v in results["upstream_alone"].items())
    share = results["throughput_phase_core_share"]
    lines += [
        "",
        f"- Proxy RSS after warm-up / at the end: with {fmt(rss['after_warmup']['with'], 0)} / "
        f"{fmt(rss['end']['with'], 0)} MB, without {fmt(rss['after_warmup']['without'], 0)} / "
        f"{fmt(rss['end']['without'], 0)} MB: added {rss['added']['after_warmup']:+.0f} / "
        f"{rss['added']['end']:+.0f} MB {_mark(tg['rss_added_mb']['met'])}.",
        f"- Proxy CPU per request over both phases and all traffic: with {fmt(cpu_all['with'])} ms, without "
        f"{fmt(cpu_all['without'])} ms"
        + (f", control {fmt(cpu_all[CONTROL])} ms" if control else "")
        + f" (ratio without / with {fmt(cpu_all.get('ratio'), 3)}).",
        _full_gc_line(results["traffic"], control),
        *([f"- vibe-router's own decision inside the hook (`decision_ms` in its log): p50 {fmt(hook['p50'], 3)} "
           f"ms, p99 {fmt(hook['p99'], 3)} ms over {hook['count']} requests."] if hook["count"] else []),
        f"- Upstream alone at concurrency {s['concurrency']}: {upstream}. In the throughput phase the load "
        f"generator used {fmt(share['client'])} and the upstream {fmt(share['upstream'])} of a core. "
        f"Bottleneck: {results['bottleneck']}.",
        f"- Targets: throughput ratio ≥ {TARGETS['throughput_ratio_min']} with full collections taken out of "
        f"both proxies {_judged_marks(tg, tg.get('control'))}; p50 added < "
        f"{TARGETS['added_p50_ms_max']} ms {_mark(tg['added_p50_ms']['met'])}; RSS added < "
        f"{TARGETS['rss_added_mb_max']:g} MB {_mark(tg['rss_added_mb']['met'])}. "
        f"{results['requests']} requests, {results['failed_requests']} failed."
        + (" Read every difference against the A/A rows: that is what no difference looks like here." if control
           else ""),
        f"- The throughput rule on every measure (with the plugin{' / A/A control' if control else ''}): "
        f"{_every_measure(tg, tg.get('control'))}.",
    ]
    return "\n".join(lines)


def _full_gc_line(traffic: dict[str, Any], control: bool) -> str:
    """Full collections per 1,000 requests in each proxy, and the req/s and CPU ratios outside them."""
    parts = []
    for kind, t in traffic.items():
        c = t["comparison"]
        counts = [c["full_gc"]["with"]["per_1000_requests"], c["full_gc"]["without"]["per_1000_requests"]]
        a_a = t["control_comparison"] if control else {}
        ratios = ", ".join(
            f"{name} ratio outside them {fmt(c.get(key), 3)}" + (f" (A/A {fmt(a_a.get(key), 3)})" if control else "")
            for name, key in (("req/s", "throughput_ratio_outside_full_gc"),
                              ("CPU", "cpu_throughput_ratio_outside_full_gc")))
        if control:
            counts.append(a_a["full_gc"][CONTROL]["per_1000_requests"])
        parts.append(f"{kind} {' / '.join(fmt(n, 2) for n in counts)}, {ratios}")
    who = "with / without / control" if control else "with / without"
    return (f"- Full garbage collections of the proxy's heap per 1,000 requests ({who}), each a long pause "
            f"that lands in whichever proxy is running: {'; '.join(parts)}.")
