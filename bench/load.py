"""One load generator for every target: httpx.AsyncClient, bounded concurrency and time.

Bodies are encoded once; each sample is the client-side time from sending the request to
having read the whole response, with LiteLLM's `x-litellm-overhead-duration-ms` header and
the model group that served it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import httpx

REQUEST_TIMEOUT = 30.0


@dataclass(frozen=True)
class Target:
    """Where to send one kind of traffic: full URL, encoded body, headers."""

    url: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Batch:
    """The outcome of one batch of requests to one target."""

    wall_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    overhead_ms: list[float] = field(default_factory=list)
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    model_groups: dict[str, int] = field(default_factory=dict)
    routed: int = 0

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    def add(self, other: Batch) -> None:
        self.wall_s += other.wall_s
        self.latencies_ms += other.latencies_ms
        self.overhead_ms += other.overhead_ms
        self.failed += other.failed
        self.errors = (self.errors + other.errors)[:5]
        for group, count in other.model_groups.items():
            self.model_groups[group] = self.model_groups.get(group, 0) + count
        self.routed += other.routed


def new_client(concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(limits=limits, timeout=REQUEST_TIMEOUT, trust_env=False)


async def _one(client: httpx.AsyncClient, target: Target, batch: Batch) -> None:
    started = time.perf_counter()
    try:
        response = await client.post(target.url, content=target.body, headers=target.headers)
    except httpx.HTTPError as error:
        batch.failed += 1
        batch.errors.append(f"{type(error).__name__}: {error}"[:200])
        return
    elapsed_ms = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        batch.failed += 1
        batch.errors.append(f"HTTP {response.status_code}: {response.text[:200]}")
        return
    batch.latencies_ms.append(elapsed_ms)
    overhead = response.headers.get("x-litellm-overhead-duration-ms")
    if overhead:
        with contextlib.suppress(ValueError):
            batch.overhead_ms.append(float(overhead))
    group = response.headers.get("x-litellm-model-group", "?")
    batch.model_groups[group] = batch.model_groups.get(group, 0) + 1
    if "x-vibe-router-pool" in response.headers:
        batch.routed += 1


async def run_batch(client: httpx.AsyncClient, target: Target, requests: int, concurrency: int,
                    deadline: float) -> Batch:
    """Send `requests` requests with at most `concurrency` in flight; stop early at `deadline`
    (time.monotonic()). Wall time runs from the first send to the last answer."""
    batch = Batch()
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0 and time.monotonic() < deadline:
            remaining -= 1
            await _one(client, target, batch)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, requests)))))
    batch.wall_s = time.perf_counter() - started
    return batch


async def warm_up(client: httpx.AsyncClient, targets: dict[str, Target], requests: int, concurrency: int,
                  deadline: float) -> None:
    """`requests` to each target (name -> Target) in turn; any failure stops the benchmark."""
    for name, target in targets.items():
        warm = await run_batch(client, target, requests, concurrency, deadline)
        if warm.failed:
            raise RuntimeError(f"warm-up of {name} failed: {warm.errors[:2]}")
