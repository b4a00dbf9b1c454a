"""docs/configuration.md names every key the config models accept (checked against the models, not a list)."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from pathlib import Path

from vibe_router.config import RouterSpec
from vibe_router.config_values import Section
from vibe_router.scoring.heuristic import HeuristicSection
from vibe_router.scoring.learned import LearnedSettings

DOCS = Path(__file__).resolve().parents[1] / "docs"
CONFIGURATION = (DOCS / "configuration.md").read_text(encoding="utf-8")
ALL_DOCS = "\n".join(path.read_text(encoding="utf-8") for path in sorted(DOCS.glob("*.md")))


def sections(annotation: object) -> Iterator[type[Section]]:
    """The Section models inside a field's type (through `X | None`, lists, dicts, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, Section):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from sections(argument)


def keys(model: type[Section], prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        yield prefix + name
        for inner in sections(field.annotation):
            yield from keys(inner, f"{prefix}{name}.")


def documented(name: str, text: str) -> bool:
    return re.search(rf"`[^`]*\b{re.escape(name)}\b[^`]*`|\b{re.escape(name)}:", text) is not None


def test_every_section_key_is_in_the_configuration_table() -> None:
    rows = [line for line in CONFIGURATION.splitlines() if line.startswith("| `")]
    missing = [key for key in RouterSpec.model_fields if not any(documented(key, row.split("|")[1]) for row in rows)]
    assert missing == []


def test_every_nested_key_is_documented() -> None:
    nested = {key.rsplit(".", 1)[-1] for key in keys(RouterSpec) if "." in key}
    assert len(nested) > 30  # the walk reaches sticky, scenarios, side_requests, redis, capture, health, ...
    missing = sorted(name for name in nested if not documented(name, ALL_DOCS))
    assert missing == []


def test_every_scorer_setting_is_in_the_configuration_table() -> None:
    settings = [*HeuristicSection.model_fields, *LearnedSettings.model_fields]
    assert [name for name in settings if not documented(name, CONFIGURATION)] == []
