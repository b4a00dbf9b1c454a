"""vibe-router's Prometheus metrics, served on LiteLLM's own `/metrics` (docs/metrics.md).

The request path only adds to plain counters: the router's counter batches are summed here
when they are flushed (every half second), and a decision's latency goes into a fixed bucket.
Prometheus families are built when `/metrics` is scraped, by `MetricsCollector.collect`.
Labels are bounded: virtual models, tiers, pools, `decided_by` kinds and endpoints come from
the config and the code, never from a request.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from typing import Any

DECISION_BUCKETS_SECONDS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)
# Counter fields of the router (router.Router.count) with no value part -> (metric name, help text).
PER_MODEL_COUNTERS = {
    "fail_open": ("vibe_router_fail_open", "Requests left on the virtual model's own deployment after a router error"),
    "overrides": ("vibe_router_overrides", "Decisions forced by an override header or inline tag"),
    "shadow": ("vibe_router_shadow_decisions", "Decisions made in shadow mode (not applied)"),
}


def add_fields(totals: dict[str, dict[str, float]], virtual_model: str, fields: Mapping[str, float]) -> None:
    """Add counter increments to a virtual model's totals (the router's batches and these metrics alike)."""
    found = totals.get(virtual_model)
    if found is None:
        totals[virtual_model] = dict(fields)
        return
    for name, amount in fields.items():
        found[name] = found.get(name, 0) + amount


class RouterMetrics:
    """Cumulative counts of one proxy process, read by the collector at scrape time."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, float]] = {}  # virtual model -> counter field -> total
        self.rejected: dict[str, int] = {}  # endpoint -> malformed bodies answered 400
        self.latency_buckets = [0] * (len(DECISION_BUCKETS_SECONDS) + 1)
        self.latency_sum = 0.0

    def add_counts(self, batch: Mapping[str, Mapping[str, float]]) -> None:
        """Add one flushed batch of the router's counters ({virtual model: {field: amount}})."""
        for virtual_model, fields in batch.items():
            add_fields(self.counts, virtual_model, fields)

    def observe_decision(self, seconds: float) -> None:
        self.latency_buckets[bisect_left(DECISION_BUCKETS_SECONDS, seconds)] += 1
        self.latency_sum += seconds

    def reject(self, endpoint: str) -> None:
        self.rejected[endpoint] = self.rejected.get(endpoint, 0) + 1


class MetricsCollector:
    """A prometheus_client collector over a RouterMetrics and the router's caches and store.

    `source` returns what to read at each scrape (the plugin instance LiteLLM loaded last), so
    one collector, registered once per process, follows a reloaded plugin.
    """

    def __init__(self, source: Callable[[], Any]) -> None:
        self.source = source

    def describe(self) -> list[Any]:
        return []  # built at scrape time; an empty description keeps registration from calling collect

    def collect(self) -> Iterator[Any]:
        plugin = self.source()
        if plugin is None:
            return
        router = plugin.router
        yield from _counted(router.metrics)
        yield from _decision_latency(router.metrics)
        yield from _caches(router.policy)
        yield from _redis(router.store)
        capture = getattr(plugin, "capture", None)
        if capture is not None and capture.settings.enabled:
            yield from _capture(capture)


def _counted(metrics: RouterMetrics) -> Iterator[Any]:
    """The router's counter fields as families: `tier:cheap` -> vibe_router_decisions{tier="cheap"}, ..."""
    from prometheus_client.core import CounterMetricFamily

    by_kind = {
        "tier": CounterMetricFamily("vibe_router_decisions", "Routing decisions by tier",
                                    labels=["virtual_model", "tier"]),
        "by": CounterMetricFamily("vibe_router_decided_by", "Routing decisions by what decided them",
                                  labels=["virtual_model", "decided_by"]),
        "tokens_in": CounterMetricFamily("vibe_router_pool_tokens", "Tokens each pool served (LiteLLM's usage)",
                                         labels=["virtual_model", "pool", "direction"]),
        "failures": CounterMetricFamily("vibe_router_pool_failures", "Routed requests that failed, by pool",
                                        labels=["virtual_model", "pool"]),
        "cost_usd": CounterMetricFamily("vibe_router_pool_cost_usd", "LiteLLM's response_cost of routed requests",
                                        labels=["virtual_model", "pool"]),
    }
    by_kind["tokens_out"] = by_kind["tokens_in"]
    simple = {field: CounterMetricFamily(name, text, labels=["virtual_model"])
              for field, (name, text) in PER_MODEL_COUNTERS.items()}
    for virtual_model, fields in sorted(metrics.counts.items()):
        for field, amount in fields.items():
            kind, _, value = field.partition(":")
            family = by_kind.get(kind) if value else simple.get(field)
            if family is None:
                continue
            if kind.startswith("tokens_"):
                family.add_metric([virtual_model, value, kind.removeprefix("tokens_")], amount)
            else:
                family.add_metric([virtual_model, value] if value else [virtual_model], amount)
    rejected = CounterMetricFamily("vibe_router_rejected", "Malformed bodies answered with a 400", labels=["endpoint"])
    for endpoint, amount in sorted(metrics.rejected.items()):
        rejected.add_metric([endpoint], amount)
    yield from {id(family): family for family in by_kind.values()}.values()
    yield from simple.values()
    yield rejected


def _decision_latency(metrics: RouterMetrics) -> Iterator[Any]:
    from prometheus_client.core import HistogramMetricFamily

    buckets, running = [], 0
    for bound, count in zip((*DECISION_BUCKETS_SECONDS, float("inf")), metrics.latency_buckets, strict=True):
        running += count
        buckets.append(("+Inf" if bound == float("inf") else repr(bound), running))
    yield HistogramMetricFamily("vibe_router_decision_seconds", "Time the pre-call hook spent deciding",
                                buckets=buckets, sum_value=metrics.latency_sum)


def _caches(policy: Any) -> Iterator[Any]:
    from prometheus_client.core import CounterMetricFamily

    for name, text, cache in (("vibe_router_view_cache", "Conversation-cache look-ups", policy.conversations),
                              ("vibe_router_score_memo", "Score-memo look-ups", policy.scores)):
        if cache is not None:
            family = CounterMetricFamily(name, text, labels=["result"])
            family.add_metric(["hit"], cache.hits)
            family.add_metric(["miss"], cache.misses)
            yield family


def _redis(store: Any) -> Iterator[Any]:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    state = store.redis_state()
    if state == "off":
        return
    up = GaugeMetricFamily("vibe_router_redis_up", "1 while Redis answers, 0 while the router decides from its "
                           "in-process store")
    up.add_metric([], 1 if state == "up" else 0)
    changes = CounterMetricFamily("vibe_router_redis_transitions", "Redis going down and coming back", labels=["to"])
    for to, amount in sorted(store.transitions.items()):
        changes.add_metric([to], amount)
    yield up
    yield changes


def _capture(capture: Any) -> Iterator[Any]:
    from prometheus_client.core import CounterMetricFamily

    records = CounterMetricFamily("vibe_router_capture_records", "Captured turns written (to a file or the stream)")
    records.add_metric([], capture.counts["captured"])
    dropped = CounterMetricFamily("vibe_router_capture_dropped", "Captured turns lost, by why", labels=["reason"])
    for reason, amount in sorted(capture.dropped.items()):
        dropped.add_metric([reason], amount)
    yield records
    yield dropped


_registered: list[MetricsCollector] = []


def register(source: Callable[[], Any]) -> bool:
    """Add the collector to prometheus_client's default registry, the one LiteLLM's /metrics serves.

    Once per process; False when prometheus_client is not installed (metrics are then off).
    """
    if _registered:
        _registered[0].source = source
        return True
    try:
        from prometheus_client import REGISTRY
    except ImportError:
        return False
    collector = MetricsCollector(source)
    REGISTRY.register(collector)
    _registered.append(collector)
    return True
