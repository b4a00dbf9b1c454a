"""Variants of the repo's config_final.yaml, written to a temporary directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.support.stack import CONFIG


def config_variant(directory: Path, change: Callable[[dict[str, Any]], None], name: str = "config.yaml") -> Path:
    """config_final.yaml with `change` applied to its parsed document."""
    document = yaml.safe_load(CONFIG.read_text())
    change(document)
    path = directory / name
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return path
