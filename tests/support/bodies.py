"""Request bodies for the tests: the committed fixture files (tests/fixtures/*.json) and a user message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load(name: str) -> dict[str, Any]:
    """The body of tests/fixtures/`name`.json."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def user(content: Any) -> dict[str, Any]:
    """A user message with `content` as given (string, blocks or anything malformed)."""
    return {"role": "user", "content": content}
