"""The one percentile of the tools and benchmarks: pure Python, importing nothing of vibe_router.

bench.decisions --baseline-tree imports its driver beside another checkout's vibe_router,
whose modules may differ from this one's: the driver's helpers must not need them.
"""

from __future__ import annotations

from collections.abc import Sequence


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` quantile (0..1) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
