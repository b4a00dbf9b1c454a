"""Numbers and the Markdown table of `bench.hook_cost --capture` (no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.hook_cost_capture import compared
from bench.intervals import bootstrap_ci
from bench.overhead_capture import CPU_SHARE_MAX
from bench.report import fmt
from bench.stack import CAPTURE_ON, CAPTURE_STREAM

Pair = tuple[dict[str, int], dict[str, int]]  # one round's batch of the first proxy, and of the second
LABELS = {"on": "capture on / off (files)", "off": "capture off / no capture section",
          "stream": "capture on / off (Redis stream)"}


def _per_request(pairs: Sequence[Pair], side: int, key: str) -> float | None:
    requests = sum(pair[side]["ok"] for pair in pairs)
    return sum(pair[side][key] for pair in pairs) / requests / 1000 if requests else None  # µs


def direct_us(pairs: Sequence[Pair]) -> float | None:
    """vibe-router's hooks, first minus second, plus the writer's CPU, first minus second: µs per request."""
    values = [_per_request(pairs, side, key) for key in ("hooks_ns", "writer_ns") for side in (0, 1)]
    return None if None in values else values[0] - values[1] + values[2] - values[3]


def direct_share(pairs: Sequence[Pair]) -> float | None:
    """The direct CPU as a share of the second proxy's CPU per request."""
    added, base = direct_us(pairs), _per_request(pairs, 1, "cpu_ns")
    return added / base if added is not None and base else None


def whole_ratio(pairs: Sequence[Pair]) -> float | None:
    """Whole-proxy CPU per request, second / first (what bench.overhead reads; higher is better)."""
    first, second = _per_request(pairs, 0, "cpu_ns"), _per_request(pairs, 1, "cpu_ns")
    return second / first if first and second else None


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def pair_summary(pairs: Sequence[Pair]) -> dict[str, Any]:
    us = {name: [_rounded(_per_request(pairs, side, key), 1) for side in (0, 1)]
          for name, key in (("proxy_cpu", "cpu_ns"), ("hooks", "hooks_ns"), ("writer", "writer_ns"),
                            ("young_collections", "young_gc_ns"))}
    return {
        "requests": [sum(pair[side]["ok"] for pair in pairs) for side in (0, 1)],
        "pairs_of_batches": len(pairs),
        "us_per_request": us,  # [first, second]
        "direct_us": _rounded(direct_us(pairs), 2),
        "direct_us_ci95": bootstrap_ci(pairs, direct_us, digits=2),
        "direct_share": _rounded(direct_share(pairs), 5),
        "direct_share_ci95": bootstrap_ci(pairs, direct_share, digits=5),
        "whole_proxy_cpu_ratio": _rounded(whole_ratio(pairs), 4),
        "whole_proxy_cpu_ratio_ci95": bootstrap_ci(pairs, whole_ratio),
    }


def _pairs(rounds: list[dict[str, dict[str, int]]], first: str, second: str) -> list[Pair]:
    return [(row[first], row[second]) for row in rounds if first in row and second in row]


def summarize(measured: dict[str, dict[str, Any]], stream: bool, records: dict[str, int | None],
              warmup_requests: int) -> dict[str, Any]:
    pairs = compared(stream)
    traffic = {kind: {name: pair_summary(_pairs(m["rounds"], *pair)) for name, pair in pairs.items()}
               for kind, m in measured.items()}
    every = {name: pair_summary([p for m in measured.values() for p in _pairs(m["rounds"], *pair)])
             for name, pair in pairs.items()}
    rows = [side for m in measured.values() for row in m["rounds"] for side in row.values()]
    answered = {variant: sum(row[variant]["ok"] for m in measured.values() for row in m["rounds"] if variant in row)
                for variant in records}
    target = {}
    for name in ("on", "stream") if stream else ("on",):
        share, ci = every[name]["direct_share"], every[name]["direct_share_ci95"]
        target[name] = {"share_max": CPU_SHARE_MAX, "met": share is not None and share < CPU_SHARE_MAX,
                        "resolved": ci is not None and ci[1] < CPU_SHARE_MAX}
    return {
        "traffic": traffic,
        "all_traffic": every,
        "records": {variant: {"written": written, "requests": answered[variant] + warmup_requests}
                    for variant, written in records.items()},
        "requests": sum(row["ok"] for row in rows),
        "failed_requests": sum(row["failed"] for row in rows),
        "errors": [error for m in measured.values() for error in m["errors"]][:5],
        "target": target,
    }


def _interval(ci: list[float] | None, scale: float = 1, digits: int = 2) -> str:
    return f"({fmt(scale * ci[0], digits)} … {fmt(scale * ci[1], digits)})" if ci else "(–)"


def _row(kind: str, name: str, c: dict[str, Any]) -> str:
    us = c["us_per_request"]
    share = c["direct_share"]
    writer = "–" if name == "off" else fmt(us["writer"][0], 1)
    return (f"| {kind} | {LABELS[name]} | {c['requests'][0]} / {c['requests'][1]} | {fmt(us['proxy_cpu'][1], 0)} "
            f"| {fmt(us['hooks'][0], 1)} / {fmt(us['hooks'][1], 1)} | {writer} "
            f"| {fmt(c['direct_us'], 1)} {_interval(c['direct_us_ci95'], 1, 1)} "
            f"| {fmt(None if share is None else 100 * share, 2)} % {_interval(c['direct_share_ci95'], 100)} "
            f"| {fmt(c['whole_proxy_cpu_ratio'], 3)} {_interval(c['whole_proxy_cpu_ratio_ci95'], 1, 3)} "
            f"| {fmt(us['young_collections'][0], 0)} / {fmt(us['young_collections'][1], 0)} |")


def _target_line(name: str, every: dict[str, Any], target: dict[str, Any]) -> str:
    share, ci = every["direct_share"], every["direct_share_ci95"]
    where = "files" if name == "on" else "a Redis stream"
    limit = f"{100 * target['share_max']:g} %"
    verdict = (f"the whole interval is below {limit} ✓" if target["resolved"] else
               f"the interval is not wholly below {limit} ✗" if ci else "no interval (too few pairs of batches)")
    return (f"- Target, capture into {where}: it adds < {limit} of the proxy's CPU per request. Measured directly: "
            f"{fmt(None if share is None else 100 * share, 2)} % {_interval(ci, 100)} over all traffic: {verdict}.")


def capture_cost_table(results: dict[str, Any]) -> str:
    s, m, c = results["settings"], results["machine"], results["capture"]
    stream = s["stream"]
    lines = [
        f"Measured with `{results['command']}` ({m['cpus']} CPUs, Python {m['python']}, LiteLLM {m['litellm']}, "
        f"{m['when'][:10]}). Proxies with vibe-router and hook clocks that differ only in their capture section: "
        "none, capture turned off (`enabled: false`), capture on at `sample: 1.0` into a directory (`keep_text: "
        "true`, every request's ~80 KB body kept)"
        + (", and with a Redis (sessions there too) capture off and on into a Redis stream" if stream else "")
        + f"; one traffic kind at a time, {s['batches']} rounds of one batch of "
        f"{max(1, s['requests'] // s['batches'])} requests per proxy, {s['concurrency']} in flight. µs of CPU per "
        "request, first / second proxy; hooks: vibe-router's own hooks (where a record is started and finished); "
        "writer: the capture thread's work per record (serialise, write); direct CPU = hooks first − second + "
        "writer; its share is of the second proxy's whole CPU per request. Intervals: 95 % bootstrap over the "
        "rounds (pairs of batches).",
        "",
        "| traffic | compared | requests | proxy CPU µs/req (second) | hooks µs/req | writer µs/req "
        "| direct CPU µs/req (95 %) | share of the proxy's CPU (95 %) | whole-proxy CPU ratio (95 %) "
        "| young collections µs/req |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, pairs in [*c["traffic"].items(), ("all", c["all_traffic"])]:
        lines += [_row(kind, name, found) for name, found in pairs.items()]
    sinks = {CAPTURE_ON: "files", CAPTURE_STREAM: "Redis stream"}
    written = "; ".join(f"{sinks.get(variant, variant)} {r['written']} for {r['requests']} requests"
                        for variant, r in c["records"].items())
    lines += [
        "",
        f"- Records written (warm-up included): {written}.",
        *(_target_line(name, c["all_traffic"][name], target) for name, target in c["target"].items()),
        f"- {c['requests']} requests, {c['failed_requests']} failed. The \"capture off / no capture section\" "
        "row is what turning capture off leaves behind; the whole-proxy ratio is this run's /proc reading, as "
        "noisy as bench.overhead's. Young collections are shown, not added.",
    ]
    return "\n".join(lines)
