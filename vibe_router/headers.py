"""Request headers by lowercase name: HTTP names are case-insensitive, and several readers look."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class LowercaseHeaders(dict):
    """Headers whose names are already lowercase strings (made once per request)."""


def lowercase_headers(headers: Mapping[Any, Any]) -> LowercaseHeaders:
    """`headers` with lowercase names; the same object when it is one already."""
    if isinstance(headers, LowercaseHeaders):
        return headers
    try:
        return LowercaseHeaders(zip(map(str.lower, headers), headers.values(), strict=True))
    except TypeError:  # a name that is not a string
        return LowercaseHeaders({str(name).lower(): value for name, value in headers.items()})
