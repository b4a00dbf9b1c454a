"""Forcing a tier: the `x-vibe-route` header and the inline `[[route:TIER]]` tag.

The tag is always removed from the request before it goes upstream (each wire format's
`strip_tags`); it is honoured only where the config allows overrides (globally, or for listed
key or team aliases).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

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
