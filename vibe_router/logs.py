"""The router's own log: one grep-able `[VIBE-ROUTER]` line per event."""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

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


class JsonLineFormatter(LineFormatter):
    """One JSON object per line, as LiteLLM's `json_logs` writes its own: timestamp, level, message.

    A request line's function returns a dict in this mode: its "message" and fields, flattened.
    """

    def format(self, record: logging.LogRecord) -> str:
        line = self.line(record.created, record.levelname, record.getMessage())
        if record.exc_info:
            return line[:-1] + f', "stacktrace": {json.dumps(self.formatException(record.exc_info))}}}'
        return line

    def line(self, created: float, level_name: str, message: str | dict[str, Any]) -> str:  # type: ignore[override]
        head = {"timestamp": datetime.fromtimestamp(created).isoformat(), "level": level_name,
                "component": "vibe_router"}
        fields = message if isinstance(message, dict) else {"message": message}
        return json.dumps({**head, **fields}, ensure_ascii=False, default=str)


FORMATTERS = (LineFormatter, JsonLineFormatter)


class LineHandler(logging.StreamHandler):
    """The router's handler: per-request lines wait briefly in `pending` and go out together.

    A write to the proxy's stderr (a pipe under Docker) is a system call, and one per line was the
    largest single cost vibe-router added to the proxy. Lines logged inside a running event loop are
    written together, within FLUSH_SECONDS or once FLUSH_LINES have gathered; outside a loop, and at
    exit, at once. Every other record first writes what is waiting, so the log keeps its order.

    A line waits as its parts and is made when it is written: made in a batch, its code and data
    are still in the CPU's caches, which the proxy's own work between two requests evicts.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(LineFormatter())
        self.pending: list[tuple[float, str, str | Callable[..., str], tuple[Any, ...]]] = []
        self._first_at = 0.0

    def add(self, created: float, level_name: str, message: str | Callable[..., str], args: tuple[Any, ...] = ()
            ) -> None:
        """Queue a line: `message`, or `message(*args)` when it is a function."""
        with self.lock:  # LiteLLM may log outcomes from another thread
            self.pending.append((created, level_name, message, args))
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
            waiting, self.pending = self.pending, []
            if waiting:
                text = "".join(self._line(*entry) + self.terminator for entry in waiting)
                try:
                    self.stream.write(text)
                    self.flush()
                except Exception:  # a log write never fails a request; say so as logging would
                    self.handleError(logging.makeLogRecord({"msg": text}))

    def _line(self, created: float, level_name: str, message: str | Callable[..., Any], args: tuple[Any, ...]) -> str:
        try:
            text = message if isinstance(message, str) else message(*args)
        except Exception as exc:  # one bad line must not take the others with it
            text = f"(a log line could not be made: {type(exc).__name__})"
        formatter = self.formatter
        if isinstance(formatter, LineFormatter):
            return formatter.line(created, level_name, text)
        if isinstance(text, dict):
            text = json.dumps(text, ensure_ascii=False, default=str)
        made = logging.makeLogRecord({"msg": text, "levelname": level_name, "created": created, "name": log.name})
        return self.format(made)

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


def request_line(level: int, message: str | Callable[..., str], *args: Any) -> None:
    """Log a per-request line (the decision, the outcome): `message`, or `message(*args)` made later.

    While the logger is as this module set it up (its one handler, no filters), the line goes to
    LineHandler.add as its parts, skipping the LogRecord and the caller lookup, and is made when
    it is written. Any other set-up (an operator's handlers, filters or formatter) gets the
    ordinary logging call at once.
    """
    if not log.isEnabledFor(level):
        return
    handlers = log.handlers
    if len(handlers) != 1 or handlers[0] is not _handler or log.filters or _handler.filters \
            or level < _handler.level or type(_handler.formatter) not in FORMATTERS:
        text = message if isinstance(message, str) else message(*args)
        log.log(level, "%s", json.dumps(text, ensure_ascii=False, default=str) if isinstance(text, dict) else text)
        return
    _handler.add(time.time(), logging.getLevelName(level), message, args)


def json_lines() -> bool:
    """Whether the router's own handler writes JSON (LiteLLM's `json_logs`)."""
    return type(_handler.formatter) is JsonLineFormatter


def use_json_lines(enabled: bool) -> None:
    """Switch the router's handler between `[VIBE-ROUTER]` text lines and JSON objects."""
    if enabled != json_lines():
        _handler.write_pending()  # what waits was made for the old format
        _handler.setFormatter(JsonLineFormatter() if enabled else LineFormatter())


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """A short, single-line, quoted excerpt of the user's text."""
    short = text[:limit].replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{short}…"' if len(text) > limit else f'"{short}"'
