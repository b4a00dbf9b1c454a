"""Removing inline route tags (`overrides.TAG`) from the user's text of a body, in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vibe_router.overrides import TAG


def strip_field(body: dict[str, Any], field: str, strings_only: bool = False) -> bool:
    """Strip a field that is the user's text itself, or a list: of messages, whose user ones are
    stripped, or (`strings_only`) of strings, each stripped (other items are left alone)."""
    value = body.get(field)
    if isinstance(value, str):
        body[field], changed = strip(value)
        return changed
    changed = False
    if isinstance(value, list):
        item: Callable[[list[Any], int], bool] = _strip_string if strings_only else _strip_message
        for index in range(len(value)):
            changed |= item(value, index)
    return changed


def _strip_string(items: list[Any], index: int) -> bool:
    if not isinstance(items[index], str):
        return False
    items[index], changed = strip(items[index])
    return changed


def _strip_message(items: list[Any], index: int) -> bool:
    message = items[index]
    if not isinstance(message, dict) or message.get("role") != "user":
        return False
    content = message.get("content")
    if isinstance(content, str):
        stripped, changed = strip(content)
        if changed:
            message["content"] = stripped
        return changed
    changed = False
    for part in content if isinstance(content, list) else ():
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            stripped, hit = strip(part["text"])
            if hit:
                part["text"] = stripped
                changed = True
    return changed


def strip(text: str) -> tuple[str, bool]:
    if "[[" not in text or "[[route:" not in text.lower():
        return text, False
    stripped = TAG.sub("", text)
    return stripped, stripped != text
