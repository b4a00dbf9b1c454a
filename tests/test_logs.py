"""The router's log lines: LineFormatter writes exactly what the stdlib formatter would."""

from __future__ import annotations

import logging
import sys

from vibe_router.logs import LINE_FORMAT, TIME_FORMAT, LineFormatter, log


def record(created: float, message: str = "ROUTING DECISION pool=%s", args: tuple = ("p",),
           exc_info: object = None) -> logging.LogRecord:
    made = logging.LogRecord("vibe_router", logging.INFO, __file__, 1, message, args, exc_info)
    made.created = created
    return made


def test_lines_match_the_stdlib_formatter_across_seconds() -> None:
    fast, stdlib = LineFormatter(), logging.Formatter(LINE_FORMAT, TIME_FORMAT)
    for created in (1_700_000_000.1, 1_700_000_000.9, 1_700_000_001.0, 1_700_000_059.5, 1_700_003_600.2):
        made = record(created)
        assert fast.format(made) == stdlib.format(made)
    assert fast.format(record(1_700_000_002.0)).endswith("[VIBE-ROUTER] [INFO] ROUTING DECISION pool=p")


def test_a_percent_sign_without_arguments_is_kept() -> None:
    assert LineFormatter().format(record(1.0, 'reasons="100% sure"', ())).endswith('reasons="100% sure"')


def test_exceptions_keep_their_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        made = record(1.0, "failed", (), exc_info=sys.exc_info())
    assert LineFormatter().format(made) == logging.Formatter(LINE_FORMAT, TIME_FORMAT).format(made)
    assert "ValueError: boom" in LineFormatter().format(made)


def test_the_router_logger_uses_it() -> None:
    assert any(isinstance(handler.formatter, LineFormatter) for handler in log.handlers)
