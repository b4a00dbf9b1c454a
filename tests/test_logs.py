"""The router's log lines: LineFormatter writes exactly what the stdlib formatter would."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from vibe_router.logs import (
    FLUSH_LINES,
    FLUSH_SECONDS,
    LINE_FORMAT,
    TIME_FORMAT,
    LineFormatter,
    _handler,
    log,
    request_line,
    use_json_lines,
)


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


class Writes(io.StringIO):
    """A stream that counts its writes."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def write(self, text: str) -> int:
        self.calls += 1
        return super().write(text)


@pytest.fixture
def stream() -> Iterator[Writes]:
    """The router's handler writing to `Writes`."""
    writes = Writes()
    old = _handler.setStream(writes)
    try:
        yield writes
    finally:
        _handler.write_pending()
        _handler.setStream(old)


@contextlib.contextmanager
def alone() -> Iterator[None]:
    """The router's handler alone on its logger, as in the proxy (pytest adds its own during a test)."""
    others = log.handlers[:]
    log.handlers[:] = [_handler]
    try:
        yield
    finally:
        log.handlers[:] = others


def test_lines_logged_in_an_event_loop_are_written_together_in_order(stream: Writes) -> None:
    async def requests() -> str:
        for number in range(5):
            request_line(logging.INFO, f"ROUTING DECISION n={number}")
        written_at_once = stream.getvalue()
        await asyncio.sleep(FLUSH_SECONDS * 3)
        return written_at_once

    with alone():
        assert asyncio.run(requests()) == ""
    lines = stream.getvalue().splitlines()
    assert [line.split("] ", 3)[-1] for line in lines] == [f"ROUTING DECISION n={n}" for n in range(5)]
    assert all(re.fullmatch(r"\[\d\d:\d\d:\d\d\] \[VIBE-ROUTER\] \[INFO\] ROUTING DECISION n=\d", line)
               for line in lines)
    assert stream.calls == 1


def test_an_ordinary_record_writes_the_waiting_lines_first(stream: Writes) -> None:
    async def requests() -> None:
        request_line(logging.INFO, "ROUTING DECISION first")
        request_line(logging.WARNING, "FAILURE second")
        log.warning("REDIS UNAVAILABLE third")

    with alone():
        asyncio.run(requests())
    assert [line.split("] ", 2)[-1] for line in stream.getvalue().splitlines()] == [
        "[INFO] ROUTING DECISION first", "[WARNING] FAILURE second", "[WARNING] REDIS UNAVAILABLE third"]


def test_without_an_event_loop_a_line_is_written_at_once(stream: Writes) -> None:
    with alone():
        request_line(logging.INFO, "SUCCESS virtual_model=auto-chat")
    assert stream.getvalue().endswith("[VIBE-ROUTER] [INFO] SUCCESS virtual_model=auto-chat\n")


def test_a_full_buffer_is_written_without_waiting(stream: Writes) -> None:
    async def burst() -> str:
        for number in range(FLUSH_LINES):
            request_line(logging.INFO, f"n={number}")
        return stream.getvalue()

    with alone():
        assert len(asyncio.run(burst()).splitlines()) == FLUSH_LINES


def test_lines_left_by_a_closed_loop_go_out_with_the_next_line(stream: Writes) -> None:
    async def one(text: str) -> None:
        request_line(logging.INFO, text)

    with alone():
        asyncio.run(one("left behind"))  # its loop closes before the timer fires
        assert stream.getvalue() == ""
        time.sleep(FLUSH_SECONDS)
        asyncio.run(one("next"))
    assert [line.split("] ", 3)[-1] for line in stream.getvalue().splitlines()] == ["left behind", "next"]


def test_below_the_level_nothing_is_written(stream: Writes) -> None:
    log.setLevel(logging.WARNING)
    try:
        with alone():
            request_line(logging.INFO, "ROUTING DECISION quiet")
    finally:
        log.setLevel(logging.INFO)
    assert stream.getvalue() == ""


def test_an_operators_handler_gets_ordinary_records(stream: Writes) -> None:
    seen: list[logging.LogRecord] = []
    extra = logging.Handler()
    extra.emit = seen.append  # type: ignore[method-assign]
    with alone():
        log.addHandler(extra)
        request_line(logging.INFO, "ROUTING DECISION 100% shown")
        request_line(logging.INFO, "ROUTING DECISION pool={}".format, "pool-mini")  # a line made at once
    assert [record.getMessage() for record in seen] == ["ROUTING DECISION 100% shown",
                                                        "ROUTING DECISION pool=pool-mini"]
    assert [line.split("] ", 2)[-1] for line in stream.getvalue().splitlines()] == [
        "[INFO] ROUTING DECISION 100% shown", "[INFO] ROUTING DECISION pool=pool-mini"]


def test_a_failing_stream_never_raises(stream: Writes, capsys: pytest.CaptureFixture[str]) -> None:
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    _handler.setStream(Broken())
    with alone():
        request_line(logging.INFO, "SUCCESS lost")
    assert "BrokenPipeError" in capsys.readouterr().err


def test_no_line_is_lost_when_threads_log_at_once(stream: Writes) -> None:
    async def lines(thread: int) -> None:
        for number in range(300):
            request_line(logging.INFO, f"t{thread} n{number}")
            if number % 50 == 0:
                await asyncio.sleep(0)

    with alone():
        threads = [threading.Thread(target=asyncio.run, args=(lines(t),)) for t in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        _handler.write_pending()
    written = [line.rsplit("] ", 1)[-1] for line in stream.getvalue().splitlines()]
    assert sorted(written) == sorted(f"t{t} n{n}" for t in range(6) for n in range(300))
    for thread in range(6):  # each thread's lines in the order it logged them
        assert [w for w in written if w.startswith(f"t{thread} ")] == [f"t{thread} n{n}" for n in range(300)]


def test_a_line_given_as_a_function_is_made_when_it_is_written(stream: Writes) -> None:
    made: list[int] = []

    def decision(number: int, pool: str) -> str:
        made.append(number)
        return f"ROUTING DECISION n={number} pool={pool}"

    async def requests() -> list[int]:
        for number in range(3):
            request_line(logging.INFO, decision, number, "pool-mini")
        made_at_once = list(made)
        await asyncio.sleep(FLUSH_SECONDS * 3)
        return made_at_once

    with alone():
        assert asyncio.run(requests()) == []
    assert made == [0, 1, 2]
    assert [line.split("] ", 3)[-1] for line in stream.getvalue().splitlines()] == [
        f"ROUTING DECISION n={n} pool=pool-mini" for n in range(3)]


def test_a_line_that_cannot_be_made_loses_only_itself(stream: Writes) -> None:
    def broken() -> str:
        raise KeyError("pool")

    async def requests() -> None:
        request_line(logging.INFO, "ROUTING DECISION first")
        request_line(logging.INFO, broken)
        request_line(logging.WARNING, "FAILURE third")

    with alone():
        asyncio.run(requests())
        _handler.write_pending()
    assert [line.split("] ", 2)[-1] for line in stream.getvalue().splitlines()] == [
        "[INFO] ROUTING DECISION first", "[INFO] (a log line could not be made: KeyError)", "[WARNING] FAILURE third"]


@pytest.fixture
def json_mode() -> Iterator[None]:
    use_json_lines(True)
    try:
        yield
    finally:
        use_json_lines(False)


def test_json_mode_writes_every_line_as_one_json_object(stream: Writes, json_mode: None) -> None:
    with alone():
        request_line(logging.INFO, lambda pool: {"message": "ROUTING DECISION", "pool": pool, "score": -98.0}, "p")
        log.warning("REDIS UNAVAILABLE (%s): deciding locally", "ConnectionError")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("ROUTING FAILURE")
    _handler.write_pending()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == [
        "ROUTING DECISION", "REDIS UNAVAILABLE (ConnectionError): deciding locally", "ROUTING FAILURE"]
    assert lines[0]["pool"] == "p" and lines[0]["score"] == -98.0 and lines[0]["level"] == "INFO"
    assert {line["component"] for line in lines} == {"vibe_router"}
    assert lines[1]["level"] == "WARNING"
    assert "ValueError: boom" in lines[2]["stacktrace"]


def test_switching_back_to_text_writes_what_waited_in_json_first(stream: Writes) -> None:
    async def switch() -> None:
        use_json_lines(True)
        request_line(logging.INFO, lambda: {"message": "SUCCESS", "pool": "p"})
        use_json_lines(False)
        request_line(logging.INFO, "SUCCESS pool=p")
        await asyncio.sleep(FLUSH_SECONDS * 3)

    with alone():
        asyncio.run(switch())
    first, second = stream.getvalue().splitlines()
    assert json.loads(first)["message"] == "SUCCESS"
    assert second.endswith("[VIBE-ROUTER] [INFO] SUCCESS pool=p")


def test_a_json_line_reaches_an_operators_handler_as_json_text(json_mode: None) -> None:
    seen = io.StringIO()
    extra = logging.StreamHandler(seen)
    log.addHandler(extra)
    try:
        request_line(logging.INFO, lambda: {"message": "SUCCESS", "pool": "p"})
    finally:
        log.removeHandler(extra)
    assert json.loads(seen.getvalue()) == {"message": "SUCCESS", "pool": "p"}
