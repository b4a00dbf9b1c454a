"""`bench.overhead --capture`: what capture costs the proxy, off and on at `sample: 1.0`, in one run (no I/O).

Three proxies with vibe-router take turns with the others: as shipped (no capture section),
with a capture section turned off (`enabled: false`), and with capture on at sample 1.0 into a
directory. Every figure is a ratio between two of them within the same run: capture on against
capture off is what capture costs; capture off against the shipped config is what an operator
who turned it off pays (nothing, within the interval).
"""

from __future__ import annotations

from typing import Any

from bench.intervals import pooled_ratio, pooled_ratio_ci
from bench.overhead_report import PHASES, cell_stats, comparison, round_pairs
from bench.report import fmt
from bench.stack import CAPTURE_OFF, CAPTURE_ON

CPU_SHARE_MAX = 0.03  # capture on may add less than 3 % proxy CPU per request
PAIRS = {"on": (CAPTURE_ON, CAPTURE_OFF), "off": (CAPTURE_OFF, "with")}


def capture_summary(cells: dict[tuple[str, str, str], Any], kinds: list[str], empty: Any,
                    records: int, warmup_requests: int) -> dict[str, Any]:
    """Per traffic kind, capture on against off and off against the shipped config; the records written."""
    out: dict[str, Any] = {"traffic": {}}
    variants = ["with", CAPTURE_OFF, CAPTURE_ON]
    for kind in kinds:
        raw = {(phase, v): cells.get((phase, kind, v), empty) for phase in PHASES for v in variants}
        stats = {v: {phase: cell_stats(raw[phase, v]) for phase in PHASES} for v in variants}
        out["traffic"][kind] = {
            name: {**comparison(raw, stats, a, b), "cpu_throughput_ratio_ci95": pooled_ratio_ci(round_pairs(raw, a, b))}
            for name, (a, b) in PAIRS.items()
        }
    answered = sum(cells.get((phase, kind, CAPTURE_ON), empty).total.ok for phase in PHASES for kind in kinds)
    out["records"] = {"written": records, "requests": answered + warmup_requests}
    out["all_traffic"] = {}
    for name, (a, b) in PAIRS.items():  # every kind's pairs of batches together: the narrowest interval of the run
        pairs = [pair for kind in kinds for pair in round_pairs(
            {(phase, v): cells.get((phase, kind, v), empty) for phase in PHASES for v in (a, b)}, a, b)]
        ratio = pooled_ratio(pairs)
        out["all_traffic"][name] = {"cpu_ratio": None if ratio is None else round(ratio, 4),
                                    "cpu_ratio_ci95": pooled_ratio_ci(pairs)}
    pooled = out["all_traffic"]["on"]
    floor = 1 - CPU_SHARE_MAX
    out["target"] = {"cpu_added_max": CPU_SHARE_MAX,
                     "met": pooled["cpu_ratio"] is not None and pooled["cpu_ratio"] >= floor,
                     "resolved": pooled["cpu_ratio_ci95"] is not None and pooled["cpu_ratio_ci95"][0] >= floor}
    return out


def _row(kind: str, label: str, c: dict[str, Any], a: str, b: str) -> str:
    cpu = c["proxy_cpu_ms_per_request"]
    ci = c["cpu_throughput_ratio_ci95"]
    added = 1 / c["cpu_throughput_ratio"] - 1 if c["cpu_throughput_ratio"] else None
    return (f"| {kind} | {label} | {fmt(cpu[a])} / {fmt(cpu[b])} | {fmt(c['cpu_throughput_ratio'], 3)} "
            f"({fmt(ci[0], 3) if ci else '–'} … {fmt(ci[1], 3) if ci else '–'}) "
            f"| {'–' if added is None else f'{100 * added:+.1f} %'} "
            f"| {fmt(c['cpu_throughput_ratio_outside_full_gc'], 3)} | {fmt(c['throughput_ratio'], 3)} "
            f"| {c['added_p50_ms']:+.2f} |")


def _pooled(found: dict[str, Any]) -> str:
    ci = found["cpu_ratio_ci95"]
    return f"{fmt(found['cpu_ratio'], 3)}" + (f" ({fmt(ci[0], 3)} … {fmt(ci[1], 3)})" if ci else "")


def capture_table(results: dict[str, Any]) -> str:
    s, m, capture = results["settings"], results["machine"], results["capture"]
    lat, thr = s["phases"]["latency"], s["phases"]["throughput"]
    restarts = s.get("restarts", 1)
    records = capture["records"]
    lines = [
        f"Measured with `{results['command']}` ({m['cpus']} CPUs, LiteLLM {m['litellm']}, {m['when'][:10]}). "
        "Three proxies with vibe-router in the same run, asked for the virtual model: as shipped (no capture "
        "section), with capture turned off (`enabled: false`), and with capture on at `sample: 1.0` into a "
        f"directory (`keep_text: true`, every request's body kept); same upstream ({s['upstream']}), "
        f"{s['workers']} worker(s), {'streaming' if s['stream'] else 'non-streaming'}"
        f"{f'; all started {restarts} times, rounds pooled' if restarts > 1 else ''}. Latency phase: one "
        f"request at a time, alternating every {lat['batch']} requests; throughput phase: {thr['concurrency']} in "
        f"flight, {thr['rounds']} alternating batches of {thr['batch']}. CPU ratio = proxy CPU per request of the "
        "second / the first (higher is better), over both phases, with its 95 % bootstrap interval over the "
        "pairs of batches that ran back to back.",
        "",
        "| traffic | compared | proxy CPU ms/req | CPU ratio (95 % interval) | CPU added "
        "| CPU ratio outside full collections | req/s ratio | p50 added ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, t in capture["traffic"].items():
        lines.append(_row(kind, "capture on / off", t["on"], CAPTURE_ON, CAPTURE_OFF))
        lines.append(_row(kind, "capture off / no capture section", t["off"], CAPTURE_OFF, "with"))
    cpu_all, pooled, target = results["proxy_cpu_ms_per_request_all"], capture["all_traffic"], capture["target"]
    lines += [
        "",
        f"- Proxy CPU per request over both phases and all traffic: no capture section {fmt(cpu_all['with'])} ms, "
        f"capture off {fmt(cpu_all[CAPTURE_OFF])} ms, capture on {fmt(cpu_all[CAPTURE_ON])} ms. CPU ratio over "
        f"every pair of batches: capture on / off {_pooled(pooled['on'])}; capture off / no capture section "
        f"{_pooled(pooled['off'])}.",
        f"- Records written by the proxy with capture on: {records['written']} for {records['requests']} "
        "requests (warm-up included).",
        f"- Target: capture on adds < {100 * CPU_SHARE_MAX:g} % proxy CPU per request (CPU ratio over all traffic ≥ "
        f"{1 - CPU_SHARE_MAX:g}) {'✓' if target['met'] else '✗'}; its whole interval above {1 - CPU_SHARE_MAX:g}: "
        f"{'✓' if target['resolved'] else '✗ (this run cannot resolve it)'}. "
        f"{results['requests']} requests, {results['failed_requests']} failed.",
    ]
    return "\n".join(lines)
