"""Summaries of the fault campaign: per phase and in total, as JSON and as a Markdown table.

A failed request is *router-caused* unless every upstream model that could have served it
(its decided pool and that pool's fallbacks, or the virtual deployment when it failed
open) was deliberately broken in that phase: then it is *upstream* (not the router's doing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bench.campaign_load import RequestRecord, session_decision
from bench.report import fmt
from vibe_router_tools.percentile import percentile


@dataclass(frozen=True)
class Topology:
    """Which upstream model serves each model group, fallbacks, and the pools of each virtual model."""

    pool_model: dict[str, str]
    fallbacks: dict[str, list[str]]
    virtual_pools: dict[str, list[str]]

    @classmethod
    def from_config(cls, document: dict[str, Any], env: dict[str, str]) -> Topology:
        def upstream(params: dict[str, Any]) -> str:
            model = str(params.get("model", ""))
            if model.startswith("os.environ/"):
                model = env.get(model.removeprefix("os.environ/"), model)
            return model.split("/", 1)[-1]

        pool_model = {entry["model_name"]: upstream(entry.get("litellm_params", {}))
                      for entry in document.get("model_list", [])}
        fallbacks: dict[str, list[str]] = {}
        for item in (document.get("router_settings") or {}).get("fallbacks") or []:
            for source, targets in item.items():
                fallbacks.setdefault(source, []).extend(targets)
        virtual = (document.get("vibe_router") or {}).get("virtual_models") or {}
        virtual_pools = {name: [tier["pool"] for tier in spec.get("tiers", [])] for name, spec in virtual.items()}
        return cls(pool_model, fallbacks, virtual_pools)

    def candidates(self, record: RequestRecord) -> set[str]:
        """Upstream models that could legitimately have served this request."""
        if record.fail_open:
            groups = [record.virtual_model]
        elif record.pool:
            groups = [record.pool, *self.fallbacks.get(record.pool, [])]
        else:  # no decision header: any pool of the virtual model, or its own deployment
            pools = self.virtual_pools.get(record.virtual_model, [])
            groups = [*pools, *(f for p in pools for f in self.fallbacks.get(p, [])), record.virtual_model]
        return {self.pool_model.get(group, group) for group in groups}

    def is_fallback(self, record: RequestRecord) -> bool:
        return bool(record.ok and record.pool and record.model_group
                    and record.model_group in self.fallbacks.get(record.pool, []))


@dataclass
class PhaseResult:
    """What one phase set up and checked, besides its request records."""

    name: str
    title: str
    available: bool = True
    unavailable_reason: str = ""
    targets: list[str] = field(default_factory=list)
    broken_models: list[str] = field(default_factory=list)
    faults: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    checks: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str, ok: bool, detail: str = "", required: bool = True) -> bool:
        """Record a check; a failed `required` check fails the campaign, any other is a warning."""
        self.checks.append({"name": name, "ok": bool(ok), "required": required, "detail": detail})
        return ok


def responsibility(record: RequestRecord, broken: set[str], topology: Topology) -> str:
    """'router' or 'upstream' for a failed request."""
    candidates = topology.candidates(record)
    return "upstream" if candidates and candidates <= broken else "router"


def _latency(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    return {"p50": round(percentile(values, 0.5), 1), "p95": round(percentile(values, 0.95), 1),
            "max": round(max(values), 1)}


def count_records(records: list[RequestRecord], broken: set[str], topology: Topology) -> dict[str, Any]:
    """Request counts, failures by cause and reason, fail-opens, fallbacks and decisions."""
    failed = [r for r in records if not r.ok]
    causes = Counter(responsibility(r, broken, topology) for r in failed)
    fallbacks = [r for r in records if topology.is_fallback(r)]
    routers_first = sorted(failed, key=lambda r: responsibility(r, broken, topology) != "router")
    examples = [{"cause": responsibility(r, broken, topology), "endpoint": r.endpoint, "stream": r.stream,
                 "target": r.target, "pool": r.pool, "reason": r.error, "detail": r.detail, "at_s": r.at_s,
                 "latency_ms": round(r.latency_ms, 1), "session": r.session, "turn": r.turn}
                for r in routers_first[:5]]
    return {
        "requests": len(records),
        "succeeded": len(records) - len(failed),
        "failed": len(failed),
        "router_caused_failures": causes.get("router", 0),
        "upstream_failures": causes.get("upstream", 0),
        "failures_by_reason": dict(Counter(f"{r.error}" for r in failed).most_common()),
        "failure_examples": examples,
        "fail_opens": sum(r.fail_open for r in records),
        "fallbacks": len(fallbacks),
        "fallbacks_by_pool": dict(Counter(f"{r.pool}->{r.model_group}" for r in fallbacks)),
        "decided_by": dict(Counter(r.decided_by or ("(fail-open)" if r.fail_open else "(no header)")
                                   for r in records).most_common()),
        "decided_pool": dict(Counter(r.pool or "(no header)" for r in records).most_common()),
        "served_by": dict(Counter(r.model_group or "(none)" for r in records).most_common()),
        "by_endpoint": {e: {"requests": sum(r.endpoint == e for r in records),
                            "failed": sum(r.endpoint == e and not r.ok for r in records),
                            "streamed": sum(r.endpoint == e and r.stream for r in records)}
                        for e in sorted({r.endpoint for r in records})},
        "streamed": sum(r.stream for r in records),
        "sessions": len({r.session for r in records}),
        "sticky_downgrades": sum(map(served_below_reached, records)),
        "sessions_down": len({r.session for r in records if served_below_reached(r)}),
        "body_model_not_virtual": sum(r.ok and r.body_model is not None and r.body_model != r.virtual_model
                                      for r in records),
        "body_model_values": dict(Counter(r.body_model for r in records
                                          if r.ok and r.body_model and r.body_model != r.virtual_model)),
        "latency_ms": _latency([r.latency_ms for r in records if r.ok]),
        "fallback_latency_ms": _latency([r.latency_ms for r in fallbacks]),
    }


def served_below_reached(record: RequestRecord) -> bool:
    """Decided cheap by its session after the session had reached standard (the campaign is far
    shorter than the TTL)."""
    return record.escalated_before and record.tier == "cheap" and session_decision(record)


def summarize_phase(phase: PhaseResult, records: list[RequestRecord], topology: Topology) -> dict[str, Any]:
    broken = set(phase.broken_models)
    summary: dict[str, Any] = {
        "name": phase.name, "title": phase.title, "available": phase.available,
        "unavailable_reason": phase.unavailable_reason, "targets": phase.targets, "faults": phase.faults,
        "broken_models": phase.broken_models, "duration_s": round(phase.duration_s, 1),
    }
    summary.update(count_records(records, broken, topology))
    stages = sorted({r.stage for r in records})
    if len(stages) > 1:
        summary["stages"] = {s: count_records([r for r in records if r.stage == s], broken, topology)
                             for s in stages}
        for counts in summary["stages"].values():
            counts.pop("failure_examples", None)
    summary.update(phase.extra)
    summary["checks"] = phase.checks
    summary["notes"] = phase.notes
    return summary


TOTAL_KEYS = ("requests", "succeeded", "failed", "router_caused_failures", "upstream_failures", "fail_opens",
              "fallbacks", "streamed", "sticky_downgrades", "body_model_not_virtual")


def totals(phases: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Sums over the phases that ran."""
    ran = [p for p in phases if p["available"]]
    out: dict[str, Any] = {key: sum(p.get(key, 0) for p in ran) for key in TOTAL_KEYS}
    for key in ("decided_by", "failures_by_reason"):
        merged: Counter[str] = Counter()
        for phase in ran:
            merged.update(phase.get(key, {}))
        out[key] = dict(merged.most_common())
    failed = [(p["name"], c) for p in ran for c in p["checks"] if not c["ok"]]
    out["checks_failed"] = [f"{name}: {c['name']}" for name, c in failed if c["required"]]
    out["warnings"] = [f"{name}: {c['name']} ({c['detail']})" for name, c in failed if not c["required"]]
    return out


def verdict(total: dict[str, Any]) -> dict[str, Any]:
    zero = total["router_caused_failures"] == 0
    text = ("PASS: zero failed client requests for any fault the router is responsible for" if zero
            else f"FAIL: {total['router_caused_failures']} failed client requests the router is responsible for")
    if total["upstream_failures"]:
        text += f" ({total['upstream_failures']} failed where every upstream that could serve them was broken)"
    return {"zero_router_caused_failures": zero, "checks_passed": not total["checks_failed"], "text": text}


def _top(counter: dict[str, int], limit: int = 3) -> str:
    return ", ".join(f"{k} {v}" for k, v in list(counter.items())[:limit]) or "–"


def markdown(report: dict[str, Any]) -> str:
    """The campaign as a Markdown table, then checks, failure reasons and the verdict."""
    lines = [
        "| phase | requests | ok | failed (router / upstream) | fail-open | fallbacks | p50 / p95 ms "
        "| fallback p50 ms | decided by (top 3) | checks |",
        "|---|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for p in report["phases"]:
        if not p["available"]:
            lines.append(f"| {p['title']} | – | – | – | – | – | – | – | not available: {p['unavailable_reason']} | – |")
            continue
        checks = sum(c["ok"] for c in p["checks"])
        lat, fb = p["latency_ms"], p["fallback_latency_ms"]
        lines.append(
            f"| {p['title']} | {p['requests']} | {p['succeeded']} | {p['failed']} "
            f"({p['router_caused_failures']} / {p['upstream_failures']}) | {p['fail_opens']} | {p['fallbacks']} "
            f"| {fmt(lat['p50'], 0)} / {fmt(lat['p95'], 0)} | {fmt(fb['p50'], 0)} | {_top(p['decided_by'])} "
            f"| {checks}/{len(p['checks'])} |"
        )
    t = report["totals"]
    lines.append(
        f"| **total** | {t['requests']} | {t['succeeded']} | {t['failed']} ({t['router_caused_failures']} / "
        f"{t['upstream_failures']}) | {t['fail_opens']} | {t['fallbacks']} | | | {_top(t['decided_by'])} "
        f"| {len(t['checks_failed'])} failed, {len(t['warnings'])} warnings |"
    )
    lines += ["", "Checks:", ""]
    for p in report["phases"]:
        for c in p["checks"]:
            mark = "✓" if c["ok"] else "✗" if c["required"] else "⚠"
            lines.append(f"- {mark} {p['name']}: {c['name']}" + (f" ({c['detail']})" if c["detail"] else ""))
    reasons = {p["name"]: p["failures_by_reason"] for p in report["phases"] if p["available"] and p["failed"]}
    if reasons:
        lines += ["", "Failed requests by reason:", ""]
        lines += [f"- {name}: {_top(counter, 6)}" for name, counter in reasons.items()]
    lines += ["", f"**{report['verdict']['text']}.**"]
    return "\n".join(lines)
