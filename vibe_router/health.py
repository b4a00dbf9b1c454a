"""Pool health: a pool that keeps failing is skipped for a while, then tried again.

A hung upstream costs each request the whole deployment timeout before LiteLLM's fallback
carries it to the next pool. `PoolHealth` learns from the first failures instead: after
`failures` consecutive failures (timeouts, connection errors, 5xx, 429, auth errors of the
pool's own key) a pool *cools down* for `cooldown_seconds`, and the router sends its
requests to the next tier up (`decided_by=health`). When the cooldown ends, one request is
let through as a probe while the others keep skipping; a success ends the cooldown, a
failure starts a new one twice as long (up to `max_cooldown_seconds`).

State lives in this process: each proxy worker learns on its own. Pure: no I/O, no LiteLLM.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, NamedTuple

from pydantic import Field, ValidationInfo, field_validator

from vibe_router.config_values import Finite, Section, Whole, fail, parse

Seconds = Annotated[Finite, Field(ge=0.1)]


@dataclass(frozen=True)
class HealthSettings:
    enabled: bool = True
    failures: int = 2  # consecutive failures that start a cooldown
    cooldown_seconds: float = 30.0
    max_cooldown_seconds: float = 300.0


class HealthSection(Section):
    enabled: bool = True
    failures: Whole = 2
    cooldown_seconds: Seconds = 30.0
    max_cooldown_seconds: Seconds | None = Field(None, validate_default=True)  # default: max(cooldown, 300)

    @field_validator("max_cooldown_seconds")
    @classmethod
    def _not_below_cooldown(cls, longest: float | None, info: ValidationInfo) -> float | None:
        cooldown = info.data.get("cooldown_seconds")
        if cooldown is None:  # itself wrong: that is the error
            return longest
        if longest is None:
            return max(cooldown, 300.0)
        if longest < cooldown:
            raise fail(f"must be at least cooldown_seconds ({cooldown:g})")
        return longest


def parse_health(value: Any, key: str) -> HealthSettings:
    return HealthSettings(**dict(parse(HealthSection, value, key)))


class Change(NamedTuple):
    """A change of a pool's state, for the log: `cooldown` (started, or restarted after a failed probe)
    or `recovered`."""

    kind: str
    pool: str
    failures: int
    error: str
    cooldown_seconds: float


class _State:
    __slots__ = ("cooldown", "error", "failures", "probing", "until")

    def __init__(self) -> None:
        self.failures = 0
        self.error = ""
        self.until = 0.0  # monotonic time the cooldown ends; 0: not cooling down
        self.cooldown = 0.0
        self.probing = False


class PoolHealth:
    """Consecutive failures per pool, and which pools are cooling down."""

    def __init__(self, settings: HealthSettings | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings or HealthSettings()
        self._clock = clock
        self._pools: dict[str, _State] = {}

    def available(self, pool: str) -> bool:
        """Whether a request may go to `pool` now. At the end of a cooldown this lets one request
        through as a probe and holds the others back for another cooldown period."""
        state = self._pools.get(pool)
        if state is None or not state.until:
            return True
        now = self._clock()
        if now < state.until:
            return False
        state.probing = True
        state.until = now + state.cooldown  # a probe that never reports back holds nobody for long
        return True

    def why_skipped(self, pool: str) -> str:
        """The note of a decision that skipped `pool`."""
        state = self._pools.get(pool)
        if state is None:
            return f"{pool} cooling down"
        return f"{pool} cooling down after {state.failures} failures ({state.error})"

    def failed(self, pool: str, error: str) -> Change | None:
        """Count a failure of `pool` that was the pool's fault; the change it causes, if any."""
        if not self.settings.enabled:
            return None
        state = self._pools.get(pool)
        if state is None:
            state = self._pools[pool] = _State()
        state.failures += 1
        state.error = error
        now = self._clock()
        if state.probing:
            state.probing = False
            state.cooldown = min(2 * state.cooldown, self.settings.max_cooldown_seconds)
        elif state.until:
            return None  # a request let through before the cooldown began: already counted as down
        elif state.failures >= self.settings.failures:
            state.cooldown = self.settings.cooldown_seconds
        else:
            return None
        state.until = now + state.cooldown
        return Change("cooldown", pool, state.failures, error, state.cooldown)

    def succeeded(self, pool: str) -> Change | None:
        """Count a success of `pool`: it ends a cooldown (`recovered`) and any run of failures."""
        state = self._pools.pop(pool, None)
        if state is None or not state.until:
            return None
        return Change("recovered", pool, state.failures, state.error, 0.0)

    def cooling(self) -> dict[str, float]:
        """Seconds left of each pool's cooldown (0 while a probe is out)."""
        now = self._clock()
        return {pool: max(0.0, state.until - now) for pool, state in self._pools.items() if state.until}
