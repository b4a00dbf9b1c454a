"""The router's own log: one grep-able `[VIBE-ROUTER]` line per event."""

from __future__ import annotations

import logging
import sys

PREVIEW_CHARS = 60

log = logging.getLogger("vibe_router")
if not log.handlers:
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("[%(asctime)s] [VIBE-ROUTER] [%(levelname)s] %(message)s", "%H:%M:%S"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """A short, single-line, quoted excerpt of the user's text."""
    short = text[:limit].replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{short}…"' if len(text) > limit else f'"{short}"'
