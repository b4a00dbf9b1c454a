"""Numbers and the Markdown table of `bench.hook_cost` (no I/O)."""

from __future__ import annotations

from typing import Any

from bench.report import fmt
from bench.stack import VARIANTS

WITH, WITHOUT = VARIANTS
# (what the column shows, the clocks it adds up, the clocks of vibe-router's own code among them).
# vibe-router's hooks run inside LiteLLM's dispatchers, so only the dispatchers are added up;
# its batched log and counter writes run outside any hook and count on their own. Collections
# are timed apart from the hooks they interrupt.
GROUPS = (
    ("pre-call hooks", ("litellm:ProxyLogging.pre_call_hook",), ("vibe_router:VibeRouter.async_pre_call_hook",)),
    ("response-header hooks", ("litellm:ProxyLogging.post_call_response_headers_hook",),
     ("vibe_router:VibeRouter.async_post_call_response_headers_hook",)),
    ("success logging", ("litellm:Logging.async_success_handler",),
     ("vibe_router:VibeRouter.async_log_success_event",)),
    ("other hooks", ("litellm:ProxyLogging.during_call_hook", "litellm:ProxyLogging.post_call_success_hook"), ()),
    ("batched writes", ("vibe_router:LineHandler.write_pending", "vibe_router:Router.flush_counters"),
     ("vibe_router:LineHandler.write_pending", "vibe_router:Router.flush_counters")),
    ("young collections", ("gc:young collections",), ()),
)
# Not added up: one full collection costs about half a second and lands in either proxy at random
# (bench.overhead counts how often each proxy has one).
FULL_COLLECTIONS = "gc:full collections"
PRE_CALL = GROUPS[0][1][0]


def _us_per_request(clocks: dict[str, list[int]], labels: tuple[str, ...], requests: int) -> float | None:
    if not requests:
        return None
    return sum(clocks.get(label, [0, 0])[0] for label in labels) / requests / 1000


def kind_summary(measured: dict[str, Any]) -> dict[str, Any]:
    """µs of CPU per request in each group of hooks, with and without the plugin, and what it adds."""
    requests, clocks = measured["requests"], measured["clocks"]
    groups: dict[str, dict[str, float | None]] = {}
    for name, labels, own in GROUPS:
        found = {variant: _us_per_request(clocks[variant], labels, requests[variant]) for variant in VARIANTS}
        added = found[WITH] - found[WITHOUT] if None not in found.values() else None
        groups[name] = {**found, "added": added, "vibe_router_own": _us_per_request(clocks[WITH], own, requests[WITH])}
    cpu = {variant: 1e6 * measured["proxy_cpu_s"][variant] / requests[variant] if requests[variant] else None
           for variant in VARIANTS}
    added_directly = sum(g["added"] for g in groups.values()) if all(g["added"] is not None for g in groups.values()) \
        else None
    base = cpu[WITHOUT]
    full = {variant: _rounded(_us_per_request(clocks[variant], (FULL_COLLECTIONS,), requests[variant]), 1)
            for variant in VARIANTS}
    return {
        "requests": requests,
        "failed": measured["failed"],
        "errors": measured.get("errors", []),
        # Every request passes LiteLLM's pre-call dispatcher once: the clocks saw them all.
        "pre_call_dispatches": {variant: clocks[variant].get(PRE_CALL, [0, 0])[1] for variant in VARIANTS},
        "proxy_cpu_us_per_request": {variant: _rounded(value, 1) for variant, value in cpu.items()},
        "groups_us_per_request": {name: {key: _rounded(value, 1) for key, value in g.items()}
                                  for name, g in groups.items()},
        "full_collections_us_per_request": full,
        "added_directly_us": _rounded(added_directly, 1),
        "added_directly_share": _rounded(added_directly / base, 4) if added_directly is not None and base else None,
        # What bench.overhead's CPU ratio would read if the plugin cost only this.
        "cpu_ratio_from_direct_cost": _rounded(base / (base + added_directly), 4)
        if added_directly is not None and base else None,
        "cpu_ratio_measured": _rounded(cpu[WITHOUT] / cpu[WITH], 4) if cpu[WITH] and cpu[WITHOUT] else None,
    }


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def summarize(measured: dict[str, dict[str, Any]], body_bytes: dict[str, int]) -> dict[str, Any]:
    traffic = {kind: kind_summary(m) for kind, m in measured.items()}
    return {
        "body_bytes": body_bytes,
        "requests": sum(sum(t["requests"].values()) for t in traffic.values()),
        "failed_requests": sum(sum(t["failed"].values()) for t in traffic.values()),
        "traffic": traffic,
    }


def _cell(group: dict[str, float | None]) -> str:
    text = f"{fmt(group[WITH], 0)} / {fmt(group[WITHOUT], 0)}"
    if group["added"] is not None:
        text += f" ({group['added']:+.0f}"
        text += f"; own {fmt(group['vibe_router_own'], 0)})" if group["vibe_router_own"] else ")"
    return text


def markdown_table(results: dict[str, Any]) -> str:
    s, m = results["settings"], results["machine"]
    names = [name for name, _, _ in GROUPS]
    lines = [
        f"Measured with `{results['command']}` ({m['cpus']} CPUs, Python {m['python']}, LiteLLM {m['litellm']}, "
        f"{m['when'][:10]}). The proxy with vibe-router and the same proxy without it, one traffic kind at a "
        f"time, {s['requests']} requests each in {s['batches']} alternating batches, {s['concurrency']} in flight. "
        "µs of proxy CPU per request, with / without (added; of which vibe-router's own code), timed inside "
        "the proxies while each hook runs, full collections left out.",
        "",
        "| traffic | body | proxy CPU µs/req with / without | " + " | ".join(names)
        + " | added, all columns | share of the proxy's CPU | CPU ratio from it (whole proxy, measured) "
        "| full collections (not added) |",
        "|---|---|---|" + "---|" * len(names) + "---|---|---|---|",
    ]
    for kind, t in results["traffic"].items():
        cpu, groups = t["proxy_cpu_us_per_request"], t["groups_us_per_request"]
        full = t["full_collections_us_per_request"]
        share = t["added_directly_share"]
        lines.append(
            f"| {kind} | {results['body_bytes'][kind] / 1000:.0f} KB | {fmt(cpu[WITH], 0)} / {fmt(cpu[WITHOUT], 0)} | "
            + " | ".join(_cell(groups[name]) for name in names)
            + f" | {fmt(t['added_directly_us'], 0)} µs | {fmt(100 * share if share is not None else None, 1)} % "
            f"| {fmt(t['cpu_ratio_from_direct_cost'], 3)} ({fmt(t['cpu_ratio_measured'], 3)}) "
            f"| {fmt(full[WITH], 0)} / {fmt(full[WITHOUT], 0)} |"
        )
    lines += [
        "",
        f"{results['requests']} requests, {results['failed_requests']} failed. \"Other hooks\" are LiteLLM's "
        "during-call and post-call dispatchers, which vibe-router does not join: their difference is the "
        "noise of this measure. Young collections are the proxy's collections of generations 0 and 1, "
        "timed apart from the hooks they interrupt: what a plugin allocates is collected there. Full "
        "collections (about half a second each, landing in either proxy at random) are shown, not added. "
        "The whole-proxy ratio in brackets is this run's /proc reading, as noisy as one round of "
        "bench.overhead.",
    ]
    return "\n".join(lines)
