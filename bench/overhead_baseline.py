"""`bench.overhead --baseline-tree DIR`: this checkout's vibe-router against another checkout's, in one run (no I/O).

One more proxy with vibe-router takes turns with the others: its plugin is imported from DIR
and configured by DIR's config_final.yaml (bench.stack, bench.versions). Both ratios are higher
when the current tree is cheaper: CPU ratio = the baseline's proxy CPU per request / the current
tree's (both phases), req/s ratio = the current tree's / the baseline's (throughput phase), each
with its 95 % bootstrap interval over the pairs of batches that ran back to back. The verdicts
are computed from the intervals over all traffic (bench.intervals.verdict).
"""

from __future__ import annotations

from typing import Any

from bench.intervals import pooled_ratio, pooled_ratio_ci, verdict
from bench.overhead_report import PHASES, cell_stats, cpu_ms_per_request, round_pairs
from bench.report import fmt
from bench.stack import CONTROL
from bench.versions import BASELINE

CURRENT = "with"  # the proxy with this checkout's vibe-router
PAIRS = {"current / baseline": (CURRENT, BASELINE),
         "A/A: control / without (no plugin in either)": (CONTROL, "without")}


def _ratio(pairs: list[tuple[float, int, float, int]]) -> dict[str, Any]:
    found = pooled_ratio(pairs)
    return {"ratio": None if found is None else round(found, 4), "ci95": pooled_ratio_ci(pairs), "pairs": len(pairs)}


def _compare(raw: dict[tuple[str, str], Any], a: str, b: str) -> dict[str, Any]:
    """Proxy `a` against proxy `b`: CPU per request of b / a, req/s of a / b."""
    return {"cpu": _ratio(round_pairs(raw, a, b)), "rps": _ratio(round_pairs(raw, a, b, "wall", ("throughput",)))}


def baseline_summary(cells: dict[tuple[str, str, str], Any], kinds: list[str], variants: list[str], empty: Any,
                     trees: dict[str, str]) -> dict[str, Any]:
    """Per traffic kind and over all traffic, the current tree against the baseline (and the A/A control)."""
    pairs = {label: pair for label, pair in PAIRS.items() if set(pair) <= set(variants)}
    out: dict[str, Any] = {"trees": trees, "traffic": {}, "all_traffic": {}}
    for kind in kinds:
        raw = {(phase, v): cells.get((phase, kind, v), empty) for phase in PHASES for v in variants}
        cpu_ms = {v: cpu_ms_per_request(*(raw[phase, v] for phase in PHASES)) for v in variants}
        out["traffic"][kind] = {label: {**_compare(raw, a, b), "proxy_cpu_ms_per_request": {a: cpu_ms[a], b: cpu_ms[b]},
                                        "req_per_s": {v: cell_stats(raw["throughput", v])["rps"] for v in (a, b)}}
                                for label, (a, b) in pairs.items()}
    for label, (a, b) in pairs.items():
        raws = [{(phase, v): cells.get((phase, kind, v), empty) for phase in PHASES for v in (a, b)} for kind in kinds]
        found = {"cpu": _ratio([pair for raw in raws for pair in round_pairs(raw, a, b)]),
                 "rps": _ratio([pair for raw in raws for pair in round_pairs(raw, a, b, "wall", ("throughput",))])}
        for measure in found.values():
            measure["verdict"] = verdict(measure["ratio"], measure["ci95"])
        out["all_traffic"][label] = found
    return out


def _interval(found: dict[str, Any]) -> str:
    ci = found["ci95"]
    return f"{fmt(found['ratio'], 3)} ({fmt(ci[0], 3)} … {fmt(ci[1], 3)})" if ci else f"{fmt(found['ratio'], 3)} (–)"


def baseline_table(results: dict[str, Any]) -> str:
    s, m, compared = results["settings"], results["machine"], results["baseline"]
    lat, thr = s["phases"]["latency"], s["phases"]["throughput"]
    restarts = s.get("restarts", 1)
    trees = compared["trees"]
    control = CONTROL in results["variants"]
    lines = [
        f"Measured with `{results['command']}` ({m['cpus']} CPUs, LiteLLM {m['litellm']}, {m['when'][:10]}). "
        f"Two proxies with vibe-router in the same run, asked for the virtual model: the current tree "
        f"({trees['current']}) and the baseline tree ({trees['baseline']}), each running its own checkout's "
        f"plugin and config_final.yaml; beside them the proxy without the plugin"
        f"{' and its identical A/A control' if control else ''}; same upstream ({s['upstream']}), {s['workers']} "
        f"worker(s), {'streaming' if s['stream'] else 'non-streaming'}"
        f"{f'; all started {restarts} times, rounds pooled' if restarts > 1 else ''}. Latency phase: one "
        f"request at a time, alternating every {lat['batch']} requests; throughput phase: {thr['concurrency']} in "
        f"flight, {thr['rounds']} alternating batches of {thr['batch']}. CPU ratio = proxy CPU per request of "
        "the baseline / the current tree (both phases); req/s ratio = the current tree's / the baseline's "
        "(throughput phase); above 1 the current tree is cheaper. 95 % bootstrap intervals over the pairs of "
        "batches that ran back to back.",
        "",
        "| traffic | compared | proxy CPU ms/req | CPU ratio (95 % interval) | req/s | req/s ratio (95 % interval) |",
        "|---|---|---|---|---|---|",
    ]
    for kind, rows in compared["traffic"].items():
        for label, c in rows.items():
            a, b = PAIRS[label]
            cpu, rps = c["proxy_cpu_ms_per_request"], c["req_per_s"]
            lines.append(f"| {kind} | {label} | {fmt(cpu[a])} / {fmt(cpu[b])} | {_interval(c['cpu'])} "
                         f"| {fmt(rps[a], 1)} / {fmt(rps[b], 1)} | {_interval(c['rps'])} |")
    lines.append("")
    for label, found in compared["all_traffic"].items():
        lines.append(f"- All traffic, {label}: CPU ratio {_interval(found['cpu'])}, {found['cpu']['verdict']}; "
                     f"req/s ratio {_interval(found['rps'])}, {found['rps']['verdict']}.")
    if control:
        lines.append("- The A/A line is two identical proxies: how far from 1 this run's noise alone puts a ratio "
                     "and its interval.")
    lines.append(f"- {results['requests']} requests, {results['failed_requests']} failed.")
    return "\n".join(lines)
