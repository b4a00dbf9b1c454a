"""The router's own log: one grep-able `[VIBE-ROUTER]` line per event."""

from __future__ import annotations

import logging
import sys
import time

PREVIEW_CHARS = 60
LINE_FORMAT = "[%(asctime)s] [VIBE-ROUTER] [%(levelname)s] %(message)s"
TIME_FORMAT = "%H:%M:%S"


class LineFormatter(logging.Formatter):
    """LINE_FORMAT, with the time text made once per second (two lines per request go through it)."""

    def __init__(self) -> None:
        super().__init__(LINE_FORMAT, TIME_FORMAT)
        self._second = -1
        self._stamp = ""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.exc_text or record.stack_info:
            return super().format(record)
        second = int(record.created)
        if second != self._second:
            self._stamp = time.strftime(TIME_FORMAT, self.converter(second))
            self._second = second
        return f"[{self._stamp}] [VIBE-ROUTER] [{record.levelname}] {record.getMessage()}"


log = logging.getLogger("vibe_router")
if not log.handlers:
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(LineFormatter())
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """A short, single-line, quoted excerpt of the user's text."""
    short = text[:limit].replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{short}…"' if len(text) > limit else f'"{short}"'
