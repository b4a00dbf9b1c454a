"""Variants of the repo's config_final.yaml, written to a temporary directory."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.support.stack import CONFIG


def config_variant(directory: Path, change: Callable[[dict[str, Any]], None], name: str = "config.yaml",
                   source: Path = CONFIG) -> Path:
    """config_final.yaml (or `source`, e.g. another checkout's) with `change` applied to its parsed document."""
    document = yaml.safe_load(source.read_text())
    change(document)
    path = directory / name
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return path


HEURISTIC_MIN_SCORE = 50


def heuristic_document() -> dict[str, Any]:
    """config_final.yaml with every virtual model on the `heuristic` scorer at min_score 50.

    The heuristic's and the router's own tests were written against this policy, whose scores
    (e.g. "hi" = -98) a reader can add up by hand; config_final.yaml itself may route with another
    scorer (tests/test_learned_gain.py checks what it ships).
    """
    document = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    for virtual in document["vibe_router"]["virtual_models"].values():
        if virtual.get("scorer") != "heuristic":
            virtual["scorer"] = "heuristic"
            virtual.pop("scorer_settings", None)
            for tier in virtual["tiers"][1:]:
                tier["min_score"] = HEURISTIC_MIN_SCORE
    return document


@cache
def heuristic_config() -> Path:
    """`heuristic_document()` as a file (written once per test session), for the CLI and the proxy."""
    path = Path(tempfile.mkdtemp(prefix="vibe-heuristic-config-")) / "config_final.yaml"
    path.write_text(yaml.safe_dump(heuristic_document(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
