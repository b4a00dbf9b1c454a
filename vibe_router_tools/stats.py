"""`vibe-router stats`: decision counters from Redis, share routed cheap, estimated saving.

The cost is what LiteLLM charged (its `response_cost`, summed per pool by the plugin). The
saving compares it with what the same tokens would have cost on the virtual model's top
(standard) tier, at that pool's price: `prices:` from the config where it names the pool, else
the pool's `model_info` or LiteLLM's cost map (`vibe-router stats` looks them up). Token
counts are LiteLLM's usage figures for successful requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vibe_router.config import RouterConfig, VirtualModel
from vibe_router.config_conversation import Price


@dataclass
class ModelStats:
    virtual_model: str
    counters: dict[str, float]
    tiers: dict[str, float] = field(default_factory=dict)
    decided_by: dict[str, float] = field(default_factory=dict)
    failures: dict[str, float] = field(default_factory=dict)
    cheap_share: float | None = None
    cost: float | None = None
    cost_source: str | None = None  # "litellm" (response_cost) or "prices" (tokens at the price table)
    baseline_cost: float | None = None

    @property
    def saving(self) -> float | None:
        if self.cost is None or not self.baseline_cost:
            return None
        return 1 - self.cost / self.baseline_cost

    def to_json(self) -> dict[str, Any]:
        return {
            "virtual_model": self.virtual_model,
            "decisions": self.counters.get("decisions", 0),
            "tiers": self.tiers,
            "decided_by": self.decided_by,
            "overrides": self.counters.get("overrides", 0),
            "fail_open": self.counters.get("fail_open", 0),
            "failures": self.failures,
            "cheap_share": self.cheap_share,
            "cost_usd": self.cost,
            "cost_source": self.cost_source,
            "all_standard_cost_usd": self.baseline_cost,
            "estimated_saving": self.saving,
        }


def summarize(virtual: VirtualModel, counters: dict[str, float], prices: dict[str, Price]) -> ModelStats:
    stats = ModelStats(virtual.name, counters)
    stats.tiers = _prefixed(counters, "tier:")
    stats.decided_by = _prefixed(counters, "by:")
    stats.failures = _prefixed(counters, "failures:")
    decisions = counters.get("decisions", 0)
    if decisions:
        stats.cheap_share = stats.tiers.get(virtual.tiers[0].name, 0) / decisions
    tokens_in, tokens_out = _prefixed(counters, "tokens_in:"), _prefixed(counters, "tokens_out:")
    top = prices.get(virtual.tiers[-1].pool)
    served = set(tokens_in) | set(tokens_out)
    charged = _prefixed(counters, "cost_usd:")
    if charged:
        stats.cost, stats.cost_source = sum(charged.values()), "litellm"
    elif served and all(pool in prices for pool in served):
        stats.cost = sum(_cost(prices[pool], tokens_in.get(pool, 0), tokens_out.get(pool, 0)) for pool in served)
        stats.cost_source = "prices"
    if top is not None and served and stats.cost is not None:
        stats.baseline_cost = _cost(top, sum(tokens_in.values()), sum(tokens_out.values()))
    return stats


def _cost(price: Price, tokens_in: float, tokens_out: float) -> float:
    return (tokens_in * price.input + tokens_out * price.output) / 1_000_000


def _prefixed(counters: dict[str, float], prefix: str) -> dict[str, float]:
    return {name[len(prefix):]: value for name, value in sorted(counters.items()) if name.startswith(prefix)}


def read_counters(client: Any, config: RouterConfig) -> dict[str, dict[str, float]]:
    """The raw counters of every virtual model, from a (synchronous) Redis client."""
    prefix = config.redis.key_prefix
    return {
        name: {field.decode(): _number(value) for field, value in client.hgetall(f"{prefix}stats:{name}").items()}
        for name in config.virtual_models
    }


def _number(value: bytes) -> float:
    """A counter: an integer (HINCRBY), or a float for the costs (HINCRBYFLOAT)."""
    text = value.decode()
    return int(text) if text.lstrip("-").isdigit() else float(text)


def render(all_stats: list[ModelStats]) -> str:
    lines = []
    for stats in all_stats:
        decisions = stats.counters.get("decisions", 0)
        lines.append(f"{stats.virtual_model}: {decisions} decisions")
        if not decisions:
            continue
        lines.append("  tiers        " + ", ".join(f"{tier} {count}" for tier, count in stats.tiers.items()))
        lines.append("  decided by   " + ", ".join(f"{why} {count}" for why, count in stats.decided_by.items()))
        lines.append(
            f"  overrides {stats.counters.get('overrides', 0)}, fail-opens {stats.counters.get('fail_open', 0)}"
        )
        if stats.failures:
            lines.append("  failures     " + ", ".join(f"{pool} {count:g}" for pool, count in stats.failures.items()))
        if stats.cheap_share is not None:
            lines.append(f"  routed cheap {stats.cheap_share:.1%}")
        if stats.saving is not None:
            source = "LiteLLM's response_cost" if stats.cost_source == "litellm" else "the price table"
            lines.append(
                f"  cost ${stats.cost:.4f} ({source}) vs ${stats.baseline_cost:.4f} all-standard: "
                f"estimated saving {stats.saving:.1%}"
            )
        else:
            lines.append("  estimated saving: n/a (no served tokens yet, or no price for the standard pool)")
    return "\n".join(lines)
