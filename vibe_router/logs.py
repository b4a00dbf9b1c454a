"""The router's own log: one grep-able `[VIBE-ROUTER]` line per event."""

from __future__ import annotations

import asyncio
import atexit
import logging
import sys
import time

PREVIEW_CHARS = 60
LINE_FORMAT = "[%(asctime)s] [VIBE-ROUTER] [%(levelname)s] %(message)s"
TIME_FORMAT = "%H:%M:%S"
FLUSH_SECONDS = 0.1
FLUSH_LINES = 64


class LineFormatter(logging.Formatter):
    """LINE_FORMAT, with the time text made once per second (two lines per request go through it)."""

    def __init__(self) -> None:
        super().__init__(LINE_FORMAT, TIME_FORMAT)
        self._second = -1
        self._stamp = ""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.exc_text or record.stack_info:
            return super().format(record)
        return self.line(record.created, record.levelname, record.getMessage())

    def line(self, created: float, level_name: str, message: str) -> str:
        second = int(created)
        if second != self._second:
            self._stamp = time.strftime(TIME_FORMAT, self.converter(second))
            self._second = second
        return f"[{self._stamp}] [VIBE-ROUTER] [{level_name}] {message}"


class LineHandler(logging.StreamHandler):
    """The router's handler: per-request lines wait briefly in `pending` and go out together.

    A write to the proxy's stderr (a pipe under Docker) is a system call, and one per line was the
    largest single cost vibe-router added to the proxy. Lines logged inside a running event loop are
    written together, within FLUSH_SECONDS or once FLUSH_LINES have gathered; outside a loop, and at
    exit, at once. Every other record first writes what is waiting, so the log keeps its order.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(LineFormatter())
        self.pending: list[str] = []
        self._first_at = 0.0

    def add(self, line: str) -> None:
        with self.lock:  # LiteLLM may log outcomes from another thread
            self.pending.append(line)
            if len(self.pending) == 1:
                self._first_at = time.monotonic()
                try:
                    asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.write_pending)
                except RuntimeError:  # no event loop in this thread: nothing would come back to write it
                    self.write_pending()
            elif len(self.pending) >= FLUSH_LINES or time.monotonic() - self._first_at >= FLUSH_SECONDS:
                self.write_pending()  # full, or its timer's loop has gone

    def write_pending(self) -> None:
        with self.lock:
            lines, self.pending = self.pending, []
            if lines:
                text = self.terminator.join(lines) + self.terminator
                try:
                    self.stream.write(text)
                    self.flush()
                except Exception:  # a log write never fails a request; say so as logging would
                    self.handleError(logging.makeLogRecord({"msg": text}))

    def emit(self, record: logging.LogRecord) -> None:
        self.write_pending()
        super().emit(record)


log = logging.getLogger("vibe_router")
_handler = LineHandler()
if not log.handlers:
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False
atexit.register(_handler.write_pending)


def request_line(level: int, message: str) -> None:
    """Log a per-request line (the decision, the outcome) as `log.log(level, message)` would.

    While the logger is as this module set it up (its one handler, no filters), the line is
    formatted here and handed to LineHandler.add, skipping the LogRecord and the caller lookup.
    Any other set-up (an operator's handlers, filters or formatter) gets the ordinary logging call.
    """
    if not log.isEnabledFor(level):
        return
    formatter = _handler.formatter
    if log.handlers != [_handler] or log.filters or _handler.filters or level < _handler.level \
            or type(formatter) is not LineFormatter:
        log.log(level, "%s", message)
        return
    _handler.add(formatter.line(time.time(), logging.getLevelName(level), message))


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """A short, single-line, quoted excerpt of the user's text."""
    short = text[:limit].replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{short}…"' if len(text) > limit else f'"{short}"'
