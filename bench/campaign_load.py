"""Traffic for the fault campaign: multi-turn sessions over chat, messages and responses.

Each session is one virtual model on its native wire format (`auto-chat` on
`/v1/chat/completions`, `auto-claude` on `/v1/messages`, `auto-codex` on `/v1/responses`),
2-5 turns, simple and complex texts, some turns streamed. Consecutive turns go to
different targets, so stickiness only holds when the replicas share state. Every request
is bounded by the client timeout, and a runner stops at its deadline or request budget.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from vibe_router.router import STICKY_DECISIONS

SIMPLE_TEXTS = ("hi", "thanks", "hello", "cat test.py", "ls", "ok, thank you", "test")
COMPLEX_TEXTS = (
    "Implement a distributed consensus algorithm",
    "Analyze the architecture of microservices",
    "Refactor the session store and debug the race in it",
    "Design and optimize a rate limiter for a multi-tenant API",
)
WIRE = {  # endpoint -> (path, virtual model)
    "chat": ("/v1/chat/completions", "auto-chat"),
    "messages": ("/v1/messages", "auto-claude"),
    "responses": ("/v1/responses", "auto-codex"),
}
# The decisions a session governs: its escalations count, a pool skipped for health does not.
SESSION_DECISIONS = (*sorted(STICKY_DECISIONS), "sticky:", "continuation", "reasoning")
ENDPOINT_WEIGHTS = {"chat": 0.4, "messages": 0.3, "responses": 0.3}
STREAM_END = {"chat": b"[DONE]", "messages": b"message_stop", "responses": b"response.completed"}
ASSISTANT_REPLY = "done."
MAX_BODY_BYTES = 1 << 20


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    key: str


@dataclass
class Session:
    sid: str
    endpoint: str
    texts: list[str]
    complex_turns: list[bool]
    streams: list[bool]
    first_target: int
    escalated: bool = False

    @property
    def virtual_model(self) -> str:
        return WIRE[self.endpoint][1]


@dataclass
class RequestRecord:
    """One client request and what came back (headers named after the router's and LiteLLM's)."""

    phase: str
    stage: str
    target: str
    endpoint: str
    virtual_model: str
    session: str
    turn: int
    stream: bool
    complex_turn: bool
    escalated_before: bool
    at_s: float
    latency_ms: float = 0.0
    status: int | None = None
    error: str | None = None
    detail: str = ""
    pool: str | None = None
    model_group: str | None = None
    decided_by: str | None = None
    tier: str | None = None
    fail_open: bool = False
    body_model: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "ok": self.ok}


def make_session(rng: random.Random, sid: str, complex_share: float, stream_share: float,
                 endpoint: str | None = None) -> Session:
    """A random session: endpoint by weight, 2-5 turns, each simple or complex, streamed or not."""
    endpoint = endpoint or rng.choices(list(ENDPOINT_WEIGHTS), weights=list(ENDPOINT_WEIGHTS.values()))[0]
    turns = rng.randint(2, 5)
    complex_turns = [rng.random() < complex_share for _ in range(turns)]
    texts = [rng.choice(COMPLEX_TEXTS if hard else SIMPLE_TEXTS) for hard in complex_turns]
    streams = [rng.random() < stream_share for _ in range(turns)]
    return Session(sid, endpoint, texts, complex_turns, streams, rng.randrange(2))


def scripted_session(sid: str, endpoint: str, texts: list[str], first_target: int = 0) -> Session:
    """A session with fixed texts, not streamed (for checks)."""
    return Session(sid, endpoint, list(texts), [t in COMPLEX_TEXTS for t in texts], [False] * len(texts),
                   first_target)


def request_body(session: Session, turn: int) -> dict[str, Any]:
    """The body of turn `turn`: the whole conversation so far, the new user text last."""
    model, stream = session.virtual_model, session.streams[turn]
    history: list[dict[str, Any]] = []
    for text in session.texts[:turn]:
        history += [{"role": "user", "content": text}, {"role": "assistant", "content": ASSISTANT_REPLY}]
    history.append({"role": "user", "content": session.texts[turn]})
    if session.endpoint == "chat":
        return {"model": model, "messages": history, "stream": stream}
    if session.endpoint == "messages":
        return {"model": model, "max_tokens": 64, "messages": history, "stream": stream}
    return {"model": model, "input": [{"type": "message", **item} for item in history], "stream": stream}


def send(client: httpx.Client, target: Target, session: Session, turn: int, record: RequestRecord) -> RequestRecord:
    """Send one turn, fill `record` with status, headers, latency and any error; never raises httpx errors."""
    path = WIRE[session.endpoint][0]
    headers = {"Authorization": f"Bearer {target.key}", "x-session-id": session.sid}
    started = time.monotonic()
    try:
        with client.stream("POST", f"{target.url}{path}", json=request_body(session, turn), headers=headers) as resp:
            raw = _read_bounded(resp)
            _fill_from_response(record, resp, raw, session)
    except httpx.HTTPError as exc:
        record.error, record.detail = type(exc).__name__, str(exc)[:200]
    record.latency_ms = (time.monotonic() - started) * 1000
    if record.tier == "standard" and session_decision(record):
        session.escalated = True
    return record


def session_decision(record: RequestRecord) -> bool:
    """Decided by the session's tier (score or stickiness), not by something that bypasses it.

    A pool skipped for health, an override or a scenario's own tier is not an escalation of the
    session, and the session's own tier applies again after it (docs/sessions.md)."""
    return (record.decided_by or "").startswith(SESSION_DECISIONS)


def warm_up(targets: list[Target], client_timeout: float) -> None:
    """One request per endpoint, plain and streamed, on each proxy (first calls are slow); not counted."""
    with httpx.Client(trust_env=False, timeout=client_timeout) as client:
        for target in targets:
            for endpoint in WIRE:
                session = Session(f"warmup-{uuid.uuid4()}", endpoint, ["hi", "hi"], [False, False], [False, True], 0)
                for turn in (0, 1):
                    record = RequestRecord("warmup", "warmup", target.name, endpoint, session.virtual_model,
                                           session.sid, turn, session.streams[turn], False, False, 0.0)
                    send(client, target, session, turn, record)


def _read_bounded(response: httpx.Response) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            break
    return b"".join(chunks)


def _fill_from_response(record: RequestRecord, response: httpx.Response, raw: bytes, session: Session) -> None:
    h = response.headers
    record.status = response.status_code
    record.pool = h.get("x-vibe-router-pool")
    record.model_group = h.get("x-litellm-model-group")
    record.decided_by = h.get("x-vibe-router-decided-by")
    record.tier = h.get("x-vibe-router-tier")
    record.fail_open = h.get("x-vibe-router-fail-open") == "true"
    if response.status_code != 200:
        record.error, record.detail = f"HTTP {response.status_code}", _error_message(raw)
    elif record.stream:
        if STREAM_END[session.endpoint] not in raw:
            record.error, record.detail = "incomplete stream", raw[-200:].decode(errors="replace")
    else:
        try:
            record.body_model = json.loads(raw).get("model")
        except (ValueError, AttributeError):
            record.error, record.detail = "bad JSON body", raw[:200].decode(errors="replace")
            return
        if b"echo from" not in raw:
            record.error, record.detail = "no answer in body", raw[:200].decode(errors="replace")


def _error_message(raw: bytes) -> str:
    try:
        error = json.loads(raw).get("error")
        message = error.get("message") if isinstance(error, dict) else str(error)
    except (ValueError, AttributeError):
        message = raw.decode(errors="replace")
    return " ".join(str(message).split())[:200]


@dataclass
class LoadRunner:
    """Sustained load on `targets` from `concurrency` threads until the deadline or the budget."""

    phase: str
    targets: list[Target]
    concurrency: int
    budget: int
    duration_s: float
    seed: int
    client_timeout_s: float = 30.0
    complex_share: float = 0.3
    stream_share: float = 0.25
    stage: str = "load"
    records: list[RequestRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _sent: int = 0
    _t0: float = 0.0

    def start(self) -> LoadRunner:
        self._t0 = time.monotonic()
        self._threads = [threading.Thread(target=self._worker, args=(i,), daemon=True, name=f"load-{i}")
                         for i in range(self.concurrency)]
        for thread in self._threads:
            thread.start()
        return self

    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    def remaining(self) -> float:
        return max(0.0, self.duration_s - self.elapsed())

    def stop(self) -> None:
        self._stop.set()

    def join(self) -> list[RequestRecord]:
        """Wait for the workers (each finishes its request in flight, bounded by the client timeout)."""
        for thread in self._threads:
            thread.join(timeout=self.remaining() + self.client_timeout_s + 5)
        self._stop.set()
        with self._lock:
            return list(self.records)

    def client(self) -> httpx.Client:
        return httpx.Client(trust_env=False, timeout=httpx.Timeout(self.client_timeout_s, connect=5.0))

    def one(self, client: httpx.Client, session: Session, turn: int, stage: str | None = None,
            target_index: int | None = None) -> RequestRecord:
        """Send one turn now (outside the budget when scripted) and keep its record."""
        if target_index is None:
            target_index = session.first_target + turn
        target = self.targets[target_index % len(self.targets)]
        record = RequestRecord(
            self.phase, stage or self.stage, target.name, session.endpoint, session.virtual_model, session.sid,
            turn, session.streams[turn], session.complex_turns[turn], session.escalated, round(self.elapsed(), 3),
        )
        send(client, target, session, turn, record)
        with self._lock:
            self.records.append(record)
        return record

    def _take(self) -> bool:
        with self._lock:
            if self._stop.is_set() or self._sent >= self.budget or self.elapsed() >= self.duration_s:
                return False
            self._sent += 1
            return True

    def _worker(self, index: int) -> None:
        rng = random.Random(f"{self.seed}-{self.phase}-{index}")
        with self.client() as client:
            for number in range(1_000_000):
                sid = f"campaign-{self.seed}-{self.phase}-{index}-{number}-{rng.getrandbits(32):08x}"
                session = make_session(rng, sid, self.complex_share, self.stream_share)
                session.first_target = (index + number) % len(self.targets)
                for turn in range(len(session.texts)):
                    if not self._take():
                        return
                    self.one(client, session, turn)
