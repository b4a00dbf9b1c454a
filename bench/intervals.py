"""95 % bootstrap intervals over rounds that ran back to back, and the verdict a ratio's interval allows."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from vibe_router_tools.percentile import percentile

BOOTSTRAP_ROUNDS = 2000
MIN_SAMPLES = 5


def bootstrap_ci(samples: Sequence[Any], statistic: Callable[[Sequence[Any]], float | None],
                 seed: int = 0, digits: int = 4) -> list[float] | None:
    """95 % interval of `statistic` over resamples (with replacement) of `samples`; None for too few."""
    if len(samples) < MIN_SAMPLES:
        return None
    rng = random.Random(seed)
    values = [value for _ in range(BOOTSTRAP_ROUNDS)
              if (value := statistic(rng.choices(samples, k=len(samples)))) is not None]
    return [round(percentile(values, 0.025), digits), round(percentile(values, 0.975), digits)] if values else None


def pooled_ratio(pairs: Sequence[tuple[float, float, float, float]]) -> float | None:
    """(cost of a, count of a, cost of b, count of b) per pair -> pooled cost per count of b / that of a."""
    cost_a, count_a, cost_b, count_b = (sum(pair[i] for pair in pairs) for i in range(4))
    return (cost_b / count_b) / (cost_a / count_a) if cost_a and count_b else None


def pooled_ratio_ci(pairs: Sequence[tuple[float, float, float, float]], seed: int = 0) -> list[float] | None:
    """95 % bootstrap interval of `pooled_ratio`, resampling the pairs."""
    return bootstrap_ci(pairs, pooled_ratio, seed)


def verdict(ratio: float | None, ci: list[float] | None) -> str:
    """What a ratio baseline cost / current cost (higher: the current tree is faster) and its interval allow."""
    if ratio is None or ci is None:
        return "no interval (too few rounds): not resolved"
    if ci[0] > 1:
        return "no regression: the current tree is faster (the whole interval is above 1)"
    if ci[1] >= 1:
        return "no regression: the interval includes 1"
    slower, low, high = (100 * (1 / value - 1) for value in (ratio, ci[1], ci[0]))
    return f"regression: the current tree is {slower:.1f} % slower ({low:.1f} … {high:.1f} %)"
