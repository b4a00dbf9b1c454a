"""One replica's memory of sessions: the highest tier it has served or seen, for the idle TTL.

It answers when Redis cannot, and it is the floor under what Redis says: a replica
never serves a session below a tier it knows the session reached within its TTL.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import Iterator

UNKNOWN = -1  # "no tier known" where a tier index is expected (the Lua script takes it too)


def combine(mode: str, stored: int, proposed: int) -> int:
    """The tier in force: "max" takes the higher, "first" keeps a known tier (pin, continuations)."""
    if stored == UNKNOWN:
        return proposed
    return stored if mode == "first" else max(stored, proposed)


class LocalStore:
    """Bounded, TTL-aware session tiers and counters for one process."""

    def __init__(self, max_sessions: int) -> None:
        self.max_sessions = max_sessions
        self._tiers: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self.counters: dict[str, Counter[str]] = {}

    def apply_tier(self, key: str, mode: str, proposed: int, ttl: float) -> int:
        result = combine(mode, self.floor(key), proposed)
        self.remember(key, result, ttl)
        return result

    def remember(self, key: str, tier: int, ttl: float) -> int:
        """Keep a tier served or seen, never lowering one still in force; refresh the idle TTL.

        Returns the tier now held (the higher of the two)."""
        tier = max(tier, self.floor(key))
        self._tiers.pop(key, None)
        self._tiers[key] = (tier, time.monotonic() + ttl)
        while len(self._tiers) > self.max_sessions:
            self._tiers.popitem(last=False)
        return tier

    def floor(self, key: str) -> int:
        """The highest tier known for the session within its TTL, else UNKNOWN."""
        stored = self._tiers.get(key)
        return stored[0] if stored and stored[1] > time.monotonic() else UNKNOWN

    def peek_tier(self, key: str) -> int | None:
        tier = self.floor(key)
        return None if tier == UNKNOWN else tier

    def live(self) -> Iterator[tuple[str, int, float]]:
        """(key, tier, seconds left) of every session still in force, oldest first."""
        now = time.monotonic()
        for key, (tier, expires) in list(self._tiers.items()):
            if expires > now:
                yield key, tier, expires - now

    def seconds_left(self, key: str) -> float:
        stored = self._tiers.get(key)
        return max(0.0, stored[1] - time.monotonic()) if stored else 0.0

    def count(self, key: str, fields: dict[str, int]) -> None:
        self.counters.setdefault(key, Counter()).update(fields)
