"""Capture: a sample of new human turns with their decision and outcome, for labelling later.

Opt-in (`vibe_router.capture.enabled`). A record is started when a new human turn is routed
(never a tool-loop continuation, a request carrying reasoning, or housekeeping), finished when
LiteLLM reports the outcome, and written by a background thread: to rotating JSONL files in a
directory, and/or to a Redis stream. A full disk or a dead Redis drops records and counts the
drops; nothing here can slow or fail a request. Records hold no API key, no header and no raw
session id; with `keep_text: false` they hold no prompt either.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import queue
import random
import socket
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

try:
    import orjson
except ImportError:  # pragma: no cover - LiteLLM's proxy installs it
    orjson = None  # type: ignore[assignment]

from pydantic import Field, field_validator, model_validator

from vibe_router.config_values import Finite, Text, Whole, fail, parse, section_of
from vibe_router.logs import log
from vibe_router.scenarios import SCENARIOS
from vibe_router.wire import REPLAY_FIELDS

NEW_TURN_DECISIONS = ("score", "sticky:", "override:",
                      *(f"scenario:{name}" for name, kind in SCENARIOS.items() if kind.human_turn))
QUEUE_SIZE = 1024
PENDING_MAX = 4096  # started records waiting for their outcome; the oldest are dropped beyond this
PENDING_SECONDS = 900.0


@dataclass(frozen=True)
class CaptureSettings:  # the annotations are the checks of its config section
    enabled: bool = False
    sample: Annotated[Finite, Field(ge=0)] = 1.0
    directory: Text | None = None
    redis_stream: Text | None = None
    max_bytes: Whole = 100_000_000  # all files of this replica together
    file_bytes: Whole = 10_000_000  # one file, before the next is started
    max_records: Whole = 100_000  # the stream's approximate length
    keep_text: bool = True


class CaptureSection(section_of(CaptureSettings)):
    @field_validator("sample")
    @classmethod
    def _share(cls, sample: float) -> float:
        if sample > 1:
            raise fail(f"must be a share between 0 and 1, got {sample:g}")
        return sample

    @model_validator(mode="after")
    def _somewhere(self) -> CaptureSection:
        if self.enabled and not (self.directory or self.redis_stream):
            raise fail("enabled, but neither directory nor redis_stream says where records go")
        return self


def parse_capture(value: Any, key: str) -> CaptureSettings:
    return CaptureSettings(**dict(parse(CaptureSection, value, key)))


def is_new_human_turn(decided_by: str, continuation: bool, carries_reasoning: bool) -> bool:
    return not continuation and not carries_reasoning and decided_by.startswith(NEW_TURN_DECISIONS)


class Capture:
    """Started records, the writer thread, and what was captured and dropped."""

    def __init__(self, settings: CaptureSettings, redis_client: Callable[[], Any] | None = None) -> None:
        self.settings = settings
        self.counts = {"captured": 0}
        self.dropped: dict[str, int] = {}
        self._pending: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.RLock()
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(QUEUE_SIZE)
        self._files = _Files(settings, _replica()) if settings.directory else None
        self._stream = _Stream(settings, redis_client) if settings.redis_stream and redis_client else None
        self._thread: threading.Thread | None = None

    def wants(self, decided_by: str, continuation: bool, carries_reasoning: bool) -> bool:
        return (self.settings.enabled and is_new_human_turn(decided_by, continuation, carries_reasoning)
                and random.random() < self.settings.sample)

    def begin(self, body: dict[str, Any], turn: Any, decision: dict[str, Any]) -> str:
        """Start a record; its id goes into the routing record so the outcome can find it."""
        record: dict[str, Any] = {
            "id": uuid.uuid4().hex, "time": time.time(), "endpoint": turn.endpoint,
            "decision": decision,
            "turn": {name: getattr(turn, name) for name in ("turns", "messages", "code_blocks", "images", "tools",
                                                              "thinking", "reasoning_effort", "total_chars",
                                                              "max_tokens")},
        }
        if self.settings.keep_text:
            record["text"] = turn.text  # what the router judged: the request's newest human text, unwrapped
            record["request"] = {key: body[key] for key in REPLAY_FIELDS if key in body}
            record["request"]["model"] = decision.get("virtual_model")  # the body now names the pool
        with self._lock:
            self._pending[record["id"]] = (time.monotonic(), record)
            while len(self._pending) > PENDING_MAX:
                self._pending.popitem(last=False)
                self._drop("no_outcome")
        return record["id"]

    def finish(self, capture_id: str, outcome: dict[str, Any]) -> None:
        """Join the outcome and hand the record to the writer; never blocks."""
        with self._lock:
            found = self._pending.pop(capture_id, None)
            cutoff = time.monotonic() - PENDING_SECONDS
            while self._pending and next(iter(self._pending.values()))[0] < cutoff:
                self._pending.popitem(last=False)
                self._drop("no_outcome")
        if found is None:
            return
        record = found[1]
        record["outcome"] = outcome
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self._drop("queue_full")
            return
        self._start_writer()

    def _start_writer(self) -> None:
        thread = self._thread
        if thread is not None and thread.is_alive():
            return
        with self._lock:  # one writer only: the sinks keep their file open between records
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._write_forever, name="vibe-router-capture",
                                                daemon=True)
                self._thread.start()

    def _write_forever(self) -> None:
        while True:
            self._write(self._queue.get())

    def _write(self, record: dict[str, Any]) -> None:
        """One record to each sink: all the writer thread does per record."""
        sinks = [(sink, reason) for sink, reason in ((self._files, "disk"), (self._stream, "redis"))
                 if sink is not None]
        try:
            line = record_line(record)
        except Exception:  # not even json can write it (a lone surrogate): dropped where it was going
            for _, reason in sinks:
                self._drop(reason)
            return
        written = False
        for sink, reason in sinks:
            try:
                sink.write(line)
                written = True
            except Exception as exc:  # a full disk, a dead Redis: the record is dropped there, and counted
                self._drop(reason)
                log.debug("capture write failed (%s): %s", reason, type(exc).__name__)
        if written:
            with self._lock:
                self.counts["captured"] += 1

    def _drop(self, reason: str) -> None:
        with self._lock:
            self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until the writer has taken everything queued (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while not self._queue.empty() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)


def record_line(record: dict[str, Any]) -> bytes:
    """One record as a line of UTF-8 JSON (without its newline): orjson (a LiteLLM dependency) when
    it is installed, json otherwise. Bytes, as orjson makes them: the sinks write them as they are.

    The writer runs in the proxy's process, so its CPU is the proxy's: orjson is several times faster
    than json on an agent's ~80 KB body (what capture costs: docs/benchmarks.md).
    """
    if orjson is not None:
        try:
            return orjson.dumps(record, default=str, option=orjson.OPT_NON_STR_KEYS)
        except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError: e.g. an integer over 64 bits
            pass
    return json.dumps(record, ensure_ascii=False, default=str).encode("utf-8")


def outcome_of(outcome: str, kwargs: dict, logged: dict, served: Any, latency_ms: float) -> dict[str, Any]:
    """What a captured turn keeps of how it went (no key, no header, no response text)."""
    exception = kwargs.get("exception")
    return {"status": outcome.lower(), "served_by": served, "latency_ms": round(latency_ms),
            "prompt_tokens": logged.get("prompt_tokens"), "completion_tokens": logged.get("completion_tokens"),
            "response_cost": logged.get("response_cost"),
            "error": type(exception).__name__ if exception is not None else None}


def _replica() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class _Files:
    """capture-REPLICA-N.jsonl in the directory; a new file past file_bytes, the oldest deleted past max_bytes.

    The current file stays open between records; it is opened again after a failed write, and when
    its path no longer names it (deleted, moved or replaced, or its directory: the directory is
    made again, as for the first record).
    """

    def __init__(self, settings: CaptureSettings, replica: str) -> None:
        self.directory = Path(settings.directory or ".")
        self.settings = settings
        self.replica = replica
        self.number = 0
        self.size = 0
        self._descriptor: int | None = None

    def write(self, line: bytes) -> None:
        length = len(line) + 1
        if self.number == 0 or self.size + length > self.settings.file_bytes:
            self._close()
            self.number += 1
            self.size = 0
            self._prune(length)
        descriptor = self._open()
        try:
            start = os.lseek(descriptor, 0, os.SEEK_END)
            try:
                if os.writev(descriptor, (line, b"\n")) != length:
                    raise OSError(errno.ENOSPC, "short write")
            except OSError:
                os.ftruncate(descriptor, start)  # never leave half a line behind
                raise
        except OSError:
            self._close()
            raise
        self.size += length

    def _open(self) -> int:
        if self._descriptor is not None:
            try:
                held, named = os.fstat(self._descriptor), os.stat(self._path(self.number))
                if (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino):
                    return self._descriptor
            except OSError:
                pass
            self._close()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._descriptor = os.open(self._path(self.number), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return self._descriptor

    def _close(self) -> None:
        if self._descriptor is not None:
            descriptor, self._descriptor = self._descriptor, None
            with contextlib.suppress(OSError):
                os.close(descriptor)

    def _path(self, number: int) -> Path:
        return self.directory / f"capture-{self.replica}-{number:06d}.jsonl"

    def _prune(self, incoming: int) -> None:
        files = sorted(self.directory.glob(f"capture-{self.replica}-*.jsonl"))
        total = sum(path.stat().st_size for path in files) + incoming
        for path in files:
            if total <= self.settings.max_bytes:
                break
            total -= path.stat().st_size
            path.unlink(missing_ok=True)


class _Stream:
    def __init__(self, settings: CaptureSettings, client: Callable[[], Any]) -> None:
        self.key = settings.redis_stream or ""
        self.max_records = settings.max_records
        self.client = client

    def write(self, line: bytes) -> None:
        self.client().xadd(self.key, {"record": line}, maxlen=self.max_records, approximate=True)
