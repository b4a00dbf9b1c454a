"""`bench.hook_cost --capture`: capture's own CPU per request, timed where it runs.

Whole-proxy CPU per request differs by several percent between two identical proxies on a
busy host, so it cannot resolve a 3 % target. The hook clocks can: vibe-router's hooks (where
a record is started and finished) and the capture writer's work per record (serialising it and
writing it, in the writer's own thread) are timed in the running thread's CPU clock. Proxies
that differ only in their capture section take turns, one batch each per round; after each
batch the proxy's clocks are read (its /proc CPU around the batch alone), so every round is one
pair of batches to resample. Capture's direct CPU per request = vibe-router's hooks with capture on minus with it
off, plus the writer's CPU per request; its share is that over the proxy's CPU per request with
capture off.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from bench.load import Target, new_client, run_batch, warm_up
from bench.overhead import cpu_seconds
from bench.overhead_capture import PAIRS
from bench.proxy_watch.vibe_bench_hook_clock import WRITE_SECONDS
from bench.stack import (
    CAPTURE_OFF_REDIS,
    CAPTURE_ON,
    CAPTURE_STREAM,
    STREAM_KEY,
    Stack,
    captured_records,
)

# Beside bench.overhead --capture's pairs (capture on / off, off / no section): capture into a stream / off.
STREAM_PAIR = {"stream": (CAPTURE_STREAM, CAPTURE_OFF_REDIS)}
HOOKS = ("vibe_router:VibeRouter.async_pre_call_hook", "vibe_router:VibeRouter.async_post_call_response_headers_hook",
         "vibe_router:VibeRouter.async_log_success_event")
WRITER = "vibe_router:Capture._write"
YOUNG = "gc:young collections"
# After a batch: its success callbacks and records finish, then the clocks' next write (every WRITE_SECONDS).
AFTER_BATCH_SECONDS = WRITE_SECONDS + 0.15


def compared(stream: bool) -> dict[str, tuple[str, str]]:
    """name -> (first proxy, second proxy) of every comparison the run makes."""
    return {**PAIRS, **(STREAM_PAIR if stream else {})}


def variants_of(stream: bool) -> list[str]:
    return list(dict.fromkeys(variant for pair in compared(stream).values() for variant in pair))


def _reading(stack: Stack, variant: str) -> dict[str, int]:
    clocks = stack.hook_clocks(variant)
    return {"hooks_ns": sum(clocks.get(label, [0, 0])[0] for label in HOOKS),
            "writer_ns": clocks.get(WRITER, [0, 0])[0], "records": clocks.get(WRITER, [0, 0])[1],
            "young_gc_ns": clocks.get(YOUNG, [0, 0])[0]}


async def measure_capture_kind(stack: Stack, targets: dict[str, dict[str, Target]], kind: str,
                               args: argparse.Namespace, deadline: float) -> dict[str, Any]:
    """Rounds of one batch per proxy (each proxy first in turn), read after every batch."""
    variants = list(stack.proxies)
    rounds: list[dict[str, dict[str, int]]] = []
    errors: list[str] = []
    async with new_client(args.concurrency) as client:
        await warm_up(client, {f"{variant}/{kind}": targets[variant][kind] for variant in variants}, args.warmup,
                      args.concurrency, deadline)
        await asyncio.sleep(AFTER_BATCH_SECONDS)
        last = {variant: _reading(stack, variant) for variant in variants}
        size = max(1, args.requests // args.batches)
        for index in range(args.batches):
            shift = index % len(variants)
            row: dict[str, dict[str, int]] = {}
            for variant in variants[shift:] + variants[:shift]:
                pid = stack.proxies[variant].process.pid
                cpu = cpu_seconds(pid)
                batch = await run_batch(client, targets[variant][kind], size, args.concurrency, deadline)
                cpu = cpu_seconds(pid) - cpu  # the batch alone: not the proxy's idle work while it waits
                await asyncio.sleep(AFTER_BATCH_SECONDS)
                now = _reading(stack, variant)
                row[variant] = {"ok": batch.ok, "failed": batch.failed, "cpu_ns": round(1e9 * cpu),
                                **{key: now[key] - last[variant][key] for key in now}}
                last[variant] = now
                errors = (errors + [f"{variant}: {error}" for error in batch.errors])[:5]
            rounds.append(row)
    return {"rounds": rounds, "errors": errors}


def records_written(stack: Stack, directory: Path, stream_client: Any) -> dict[str, int | None]:
    """Records each capturing proxy has written: lines in its files; entries ever added to the stream."""
    found: dict[str, int | None] = {}
    if CAPTURE_ON in stack.proxies:
        found[CAPTURE_ON] = captured_records(directory, CAPTURE_ON)
    if CAPTURE_STREAM in stack.proxies and stream_client is not None:
        found[CAPTURE_STREAM] = int(stream_client.xinfo_stream(STREAM_KEY)["entries-added"])
    return found
