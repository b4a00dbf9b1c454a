"""The `scenarios:` of a virtual model: a key per registered scenario, read by that scenario's settings,
checked against the model's tiers and the pools, kept in the config's order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import PrivateAttr, create_model, field_validator, model_validator

from vibe_router.config_values import Section, parse
from vibe_router.scenarios import SCENARIOS, Scenarios


class ScenariosSection(Section):
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
        given = [(name, getattr(self, name)) for name in self._order]
        return Scenarios(tuple(settings.build(f"{at}.{name}", tiers, pools) for name, settings in given if settings))


ScenariosSpec = create_model(
    "ScenariosSpec", __base__=ScenariosSection,
    **{name: (kind.settings | None, None) for name, kind in SCENARIOS.items()},
)


def parse_scenarios(value: Any, key: str, tiers: Iterable[str], pools: Iterable[str]) -> Scenarios:
    """A `scenarios:` mapping read on its own (the config reads it inside its virtual model)."""
    return parse(ScenariosSpec, value, key).check(key, list(tiers), set(pools))
