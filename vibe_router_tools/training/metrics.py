"""Quality-vs-cost curves of a router and their summaries (APGR, CPT).

A router ranks prompts by score; sending the top share x to the strong tier gives a mean
quality q(x). Prompts with equal scores are sent together, so between two distinct scores
the curve is a straight line (the expectation of breaking the tie at random). APGR is the
area under q normalised so that always-weak = 0 and always-strong = 1; CPT(p) is the
smallest strong share that recovers the fraction p of the quality gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby


@dataclass(frozen=True)
class Curve:
    """Points (strong share, mean quality), share from 0 to 1."""

    shares: tuple[float, ...]
    qualities: tuple[float, ...]
    weak: float
    strong: float


def quality_curve(scores: Sequence[float], weak: Sequence[float], strong: Sequence[float]) -> Curve:
    """The curve of routing the highest scores to the strong tier first."""
    n = len(scores)
    if n == 0 or not len(weak) == len(strong) == n:
        raise ValueError("scores, weak and strong must be non-empty and of equal length")
    order = sorted(range(n), key=lambda i: -scores[i])
    total = sum(weak)
    shares, qualities = [0.0], [total / n]
    done = 0
    for _, group in groupby(order, key=lambda i: scores[i]):
        for i in group:
            total += strong[i] - weak[i]
            done += 1
        shares.append(done / n)
        qualities.append(total / n)
    return Curve(tuple(shares), tuple(qualities), sum(weak) / n, sum(strong) / n)


def area(curve: Curve) -> float:
    """Trapezoid area under the curve over shares 0..1."""
    points = list(zip(curve.shares, curve.qualities, strict=False))
    return sum((x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False))


def apgr(curve: Curve) -> float:
    """Average performance gap recovered: 0 = always weak, 1 = always strong."""
    gap = curve.strong - curve.weak
    if gap <= 0:
        raise ValueError("the strong tier is not better than the weak one on these prompts")
    return (area(curve) - curve.weak) / gap


def cpt(curve: Curve, recovered: float) -> float:
    """Smallest share of strong calls whose quality recovers `recovered` of the gap."""
    target = curve.weak + recovered * (curve.strong - curve.weak)
    points = list(zip(curve.shares, curve.qualities, strict=False))
    if points[0][1] >= target:
        return 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if y1 >= target:
            return x0 + (x1 - x0) * (target - y0) / (y1 - y0)
    return 1.0


def summarize(scores: Sequence[float], weak: Sequence[float], strong: Sequence[float]) -> dict[str, float]:
    """APGR, CPT(50%) and CPT(80%) of one router on one prompt set."""
    curve = quality_curve(scores, weak, strong)
    return {"apgr": apgr(curve), "cpt50": cpt(curve, 0.5), "cpt80": cpt(curve, 0.8)}


def resample(curve: Curve, points: int = 101) -> list[float]:
    """Quality at evenly spaced shares 0, 1/(points-1), ..., 1 (for averaging and plots)."""
    out = []
    j = 0
    for k in range(points):
        x = k / (points - 1)
        while j + 1 < len(curve.shares) - 1 and curve.shares[j + 1] < x:
            j += 1
        x0, x1 = curve.shares[j], curve.shares[j + 1]
        y0, y1 = curve.qualities[j], curve.qualities[j + 1]
        out.append(y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0))
    return out
