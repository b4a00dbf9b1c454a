"""Forcing a tier: the `x-vibe-route` header and the inline `[[route:TIER]]` tag.

The tag is always removed from the request before it goes upstream; it is honoured only
where the config allows overrides (globally, or for listed key or team aliases).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from vibe_router.headers import lowercase_headers

# The tag and one space beside it: "a [[route:x]] b" -> "a b", "[[route:x]] hi" -> "hi".
TAG = re.compile(r"\s\[\[route:([A-Za-z0-9_-]{1,40})\]\]|\[\[route:([A-Za-z0-9_-]{1,40})\]\]\s?", re.IGNORECASE)
DEFAULT_HEADER = "x-vibe-route"


@dataclass(frozen=True)
class OverrideSettings:
    header: str = DEFAULT_HEADER
    inline_tag: bool = True
    allow_all: bool = False
    allow_keys: frozenset[str] = frozenset()
    allow_teams: frozenset[str] = frozenset()

    def allowed(self, caller: Caller) -> bool:
        return (
            self.allow_all
            or bool({caller.key_alias, caller.key_hash} & self.allow_keys)
            or (caller.team_alias is not None and caller.team_alias in self.allow_teams)
        )


class Caller(NamedTuple):  # not a frozen dataclass: built per request (see request.TurnView)
    """Who sent the request, as LiteLLM's auth saw it."""

    key_hash: str | None = None
    key_alias: str | None = None
    team_alias: str | None = None


@dataclass(frozen=True)
class Override:
    tier: str
    source: str  # "header" or "tag"


def requested_override(headers: Mapping[str, str], text: str, settings: OverrideSettings) -> Override | None:
    """The tier the request asks for, if any (permission is checked separately)."""
    value = lowercase_headers(headers).get(settings.header)
    if isinstance(value, str) and value.strip():
        return Override(value.strip().lower(), "header")
    if settings.inline_tag and "[[" in text and "[[route:" in text.lower():
        found = TAG.search(text)
        if found:
            return Override((found.group(1) or found.group(2)).lower(), "tag")
    return None


def strip_tags(body: dict[str, Any]) -> bool:
    """Remove every inline route tag from the user's text in a request body, in place."""
    changed = False
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        body["prompt"], changed = _strip(prompt)
    elif isinstance(prompt, list):
        for index, item in enumerate(prompt):
            if isinstance(item, str):
                prompt[index], hit = _strip(item)
                changed |= hit
    for key in ("messages", "input"):
        value = body.get(key)
        if isinstance(value, str):
            body[key], hit = _strip(value)
            changed |= hit
        elif isinstance(value, list):
            for message in value:
                if isinstance(message, dict) and message.get("role") == "user":
                    changed |= _strip_content(message)
    return changed


def _strip_content(message: dict[str, Any]) -> bool:
    content = message.get("content")
    if isinstance(content, str):
        stripped, changed = _strip(content)
        if changed:
            message["content"] = stripped
        return changed
    changed = False
    for part in content if isinstance(content, list) else ():
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            stripped, hit = _strip(part["text"])
            if hit:
                part["text"] = stripped
                changed = True
    return changed


def _strip(text: str) -> tuple[str, bool]:
    if "[[" not in text or "[[route:" not in text.lower():
        return text, False
    stripped = TAG.sub("", text)
    return stripped, stripped != text
