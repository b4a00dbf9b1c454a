"""The `scenarios:` of a virtual model: what each takes, checked against its tiers and the pools."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import PrivateAttr, field_validator, model_validator

from vibe_router.config_values import Names, NameSet, Section, Whole, fail, parse, required
from vibe_router.scenarios import (
    DEFAULT_HOUSEKEEPING_PATTERNS,
    Housekeeping,
    Images,
    LongContext,
    Scenarios,
    Target,
    Thinking,
)
from vibe_router.side_requests import DEFAULT_MARKERS, DEFAULT_MIN_SIGNALS, SideRequests

MARKER_NAME = re.compile(r"[A-Za-z][\w.:-]*")


class SideRequestsSpec(Section):
    min_signals: Whole = DEFAULT_MIN_SIGNALS
    no_tools: bool = True
    output_schema: bool = True
    markers: Names | None = None

    @field_validator("markers")
    @classmethod
    def _tag_names(cls, markers: tuple[str, ...] | None) -> tuple[str, ...] | None:
        bad = next((tag for tag in markers or () if not MARKER_NAME.fullmatch(tag)), None)
        if bad is not None:
            raise fail(f"{bad!r} is not a tag name (give `session` for <session>...</session>)")
        return markers

    @model_validator(mode="after")
    def _reachable(self) -> SideRequestsSpec:
        side = self.build()
        if side.min_signals > side.kinds:
            raise fail(f"{side.min_signals} signals can never be present: only {side.kinds} are looked for "
                       "(no_tools, output_schema, markers)", at="min_signals")
        return self

    def build(self) -> SideRequests:
        return SideRequests(self.min_signals, self.no_tools, self.output_schema,
                            DEFAULT_MARKERS if self.markers is None else self.markers)


class HousekeepingSpec(Section):
    max_tokens: Whole | None = None
    patterns: Names | None = None
    client_models: NameSet = frozenset()
    side_requests: SideRequestsSpec | None = SideRequestsSpec()

    @field_validator("side_requests", mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        """`true` (the default signals), `false` (off), or a mapping of the signals to look for."""
        return ({} if value else None) if isinstance(value, bool) else value

    def build(self) -> Housekeeping:
        patterns = self.patterns
        return Housekeeping(
            max_tokens=self.max_tokens,
            patterns=DEFAULT_HOUSEKEEPING_PATTERNS if patterns is None else tuple(p.lower() for p in patterns),
            client_models=self.client_models,
            side_requests=self.side_requests.build() if self.side_requests else None,
        )


class TargetSpec(Section):
    """A tier of this model, or a pool outside its ladder."""

    tier: str | None = None
    pool: str | None = None

    def check(self, at: str, tiers: list[str], pools: set[str]) -> Target:
        if (self.tier is None) == (self.pool is None):
            raise fail("give exactly one of `tier` (a tier of this model) or `pool` (a model_list entry)", at)
        if self.tier is not None and self.tier not in tiers:
            raise fail(f"unknown tier {self.tier!r} (tiers: {', '.join(tiers)})", f"{at}.tier")
        if self.pool is not None and self.pool not in pools:
            raise fail(f"unknown pool {self.pool!r}: not a physical pool in model_list", f"{at}.pool")
        return Target(tier=self.tier, pool=self.pool)


class LongContextSpec(TargetSpec):
    min_tokens: Whole = required()


class ThinkingSpec(Section):
    min_tier: str | None = None
    efforts: Names | None = None
    thinking_types: bool = True

    def check(self, at: str, tiers: list[str]) -> Thinking:
        if self.min_tier not in tiers:
            raise fail(f"unknown tier {self.min_tier!r} (tiers: {', '.join(tiers)})", f"{at}.min_tier")
        efforts = Thinking.efforts if self.efforts is None else frozenset(e.lower() for e in self.efforts)
        return Thinking(self.min_tier, efforts, self.thinking_types)


class ScenariosSpec(Section):
    housekeeping: HousekeepingSpec | None = None
    long_context: LongContextSpec | None = None
    images: TargetSpec | None = None
    thinking: ThinkingSpec | None = None
    _order: tuple[str, ...] = PrivateAttr(default=())  # the config's order: the scenarios are asked in it

    @model_validator(mode="wrap")
    @classmethod
    def _keep_order(cls, value: Any, handler: Any) -> Any:
        spec = handler(value)
        spec._order = tuple(value) if isinstance(value, dict) else ()
        return spec

    @field_validator("*", mode="before")
    @classmethod
    def _present(cls, value: Any) -> Any:
        return {} if value is None else value  # a scenario named without settings is on, with its defaults

    def check(self, at: str, tiers: list[str], pools: set[str]) -> Scenarios:
        """The scenarios in the config's order, or an error at the first target outside the tiers and pools."""
        built: dict[str, Any] = {}
        if self.housekeeping:
            built["housekeeping"] = self.housekeeping.build()
        if self.long_context:
            target = self.long_context.check(f"{at}.long_context", tiers, pools)
            built["long_context"] = LongContext(self.long_context.min_tokens, target)
        if self.images:
            built["images"] = Images(self.images.check(f"{at}.images", tiers, pools))
        if self.thinking:
            built["thinking"] = self.thinking.check(f"{at}.thinking", tiers)
        return Scenarios(tuple(built[name] for name in self._order if name in built))


def parse_scenarios(value: Any, key: str, tiers: Iterable[str], pools: Iterable[str]) -> Scenarios:
    """A `scenarios:` mapping read on its own (the config reads it inside its virtual model)."""
    return parse(ScenariosSpec, value, key).check(key, list(tiers), set(pools))
