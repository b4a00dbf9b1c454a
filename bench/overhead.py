"""The plugin's cost in a real LiteLLM proxy: the same proxy with and without vibe-router.

    .venv-dev/bin/python -m bench.overhead [--requests N] [--concurrency C] [--json out.json]

One upstream, two proxies (config_final.yaml with and without `litellm_settings.callbacks`)
plus, by default, a second proxy without the plugin as an A/A control, and one load
generator. For chat, messages and responses traffic with ~80 KB agent bodies it runs a
latency phase (one request at a time, alternating between the proxies every few requests)
and a throughput phase (C in flight, in alternating batches), and reports the ratios.
Timings are never asserted: compare the columns of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.bodies import DEFAULT_BODY_BYTES, KINDS, PATHS, bodies_for, chosen_kinds
from bench.load import Batch, Target, new_client, run_batch, warm_up
from bench.overhead_baseline import baseline_summary, baseline_table
from bench.overhead_capture import capture_summary, capture_table
from bench.overhead_report import markdown_table, summarize
from bench.report import RESULTS_DIR, add_output_arguments, command_line, machine, write_outputs
from bench.stack import (
    CAPTURE_ON,
    PLUGGED,
    PLUGINS,
    Stack,
    captured_records,
    decision_ms,
    descendants,
    rss_mb,
    start_stack,
)
from bench.versions import BASELINE, CURRENT, ROOT, baseline_tree, tree_commit
from tests.support.processes import Proxy
from vibe_router.logs import FLUSH_SECONDS

NAME = "overhead"
# The pool each kind's upstream request names when the upstream is measured alone.
UPSTREAM_MODELS = {"chat": "gpt-5-mini", "messages": "claude-haiku-4-5", "responses": "gpt-5-codex-mini"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PHASES = ("latency", "throughput")


def cpu_seconds(pid: int, processes: list[int] | None = None) -> float:
    """CPU time of a process, its threads and its descendants (`processes`, when already listed).

    The scheduler's nanosecond counters (/proc/PID/task/TID/schedstat), summed over live
    threads: /proc/PID/stat counts in clock ticks (10 ms), too coarse for a batch that
    takes a quarter of a second. Falls back to ticks where schedstat is missing.
    """
    total = 0.0
    for each in processes if processes is not None else descendants(pid):
        try:
            total += sum(int((task / "schedstat").read_text().split()[0])
                         for task in Path(f"/proc/{each}/task").iterdir()) / 1e9
        except (OSError, ValueError, IndexError):
            total += _tick_seconds(each)
    return total


def _tick_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class Cell:
    """Everything measured for one (phase, kind, variant)."""

    total: Batch = field(default_factory=Batch)
    rounds: list[dict[str, float]] = field(default_factory=list)
    cpu_s: float = 0.0
    full_gc: int = 0  # full garbage collections the proxy did during the cell's batches
    full_gc_s: float = 0.0  # and their CPU seconds (part of cpu_s)
    full_gc_wall_s: float = 0.0  # and their wall-clock seconds (part of total.wall_s: the worker stops)


@dataclass
class Run:
    args: argparse.Namespace
    stack: Stack
    targets: dict[str, dict[str, Target]]
    deadline: float
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)
    capacity: dict[str, dict[str, Any]] = field(default_factory=dict)
    decisions_ms: list[float] = field(default_factory=list)
    rss_samples: list[dict[str, dict[str, float]]] = field(default_factory=list)  # one per start of the proxies
    client_cpu_s: float = 0.0
    upstream_cpu_s: float = 0.0
    phase_cpu_s: dict[str, float] = field(default_factory=dict)
    throughput_wall_s: float = 0.0
    captured: int = 0  # records the capture proxy wrote (--capture)

    @property
    def variants(self) -> list[str]:
        return list(self.stack.proxies)

    @property
    def rss(self) -> dict[str, dict[str, float]]:
        """RSS per moment and variant, averaged over the starts of the proxies."""
        samples = self.rss_samples
        return {moment: {variant: round(sum(s[moment][variant] for s in samples) / len(samples), 1)
                         for variant in samples[0][moment]} for moment in samples[0]}


def proxy_headers(proxy: Proxy) -> dict[str, str]:
    """A JSON request to a proxy, with its master key."""
    return {"Authorization": f"Bearer {proxy.key}", "Content-Type": "application/json"}


def routed_pools(stack: Stack, bodies: dict[str, dict[str, Any]]) -> dict[str, str]:
    """kind -> the pool the plugin routes that kind's body to (its `x-vibe-router-pool` header)."""
    proxy = next(proxy for variant, proxy in stack.proxies.items() if variant in PLUGGED)
    headers = proxy_headers(proxy)
    pools = {}
    with httpx.Client(timeout=60, trust_env=False) as client:
        for kind, body in bodies.items():
            response = client.post(proxy.url + PATHS[kind], content=json.dumps(body).encode(), headers=headers)
            pool = response.headers.get("x-vibe-router-pool")
            if response.status_code != 200 or not pool:
                raise RuntimeError(f"{kind}: the proxy with the plugin answered {response.status_code} "
                                   f"without an x-vibe-router-pool header: {response.text[:200]}")
            pools[kind] = pool
    return pools


def build_targets(stack: Stack, bodies: dict[str, dict[str, Any]]) -> dict[str, dict[str, Target]]:
    """variant ("with", "without", "control", the capture proxies, "upstream") -> kind -> Target.

    The proxies with the plugin are asked for the virtual model; the proxies without it for the pool
    the plugin routes that body to, so every proxy serves the same deployment and LiteLLM does the
    same work for it after the hooks (its price lookups and logging depend on the model).
    """
    pools = routed_pools(stack, bodies)
    targets: dict[str, dict[str, Target]] = {}
    for variant, proxy in stack.proxies.items():
        headers = proxy_headers(proxy)
        targets[variant] = {
            kind: Target(proxy.url + PATHS[kind],
                         json.dumps(body if variant in PLUGGED else {**body, "model": pools[kind]}).encode(), headers)
            for kind, body in bodies.items()
        }
    plain = {"Content-Type": "application/json", "Authorization": "Bearer sk-echo"}
    targets["upstream"] = {
        kind: Target(stack.upstream.url + PATHS[kind],
                     json.dumps({**body, "model": UPSTREAM_MODELS[kind]}).encode(), plain)
        for kind, body in bodies.items()
    }
    return targets


async def measured_batch(run: Run, phase: str, kind: str, variant: str, requests: int, concurrency: int,
                         client: httpx.AsyncClient) -> None:
    pid = run.stack.proxies[variant].process.pid
    processes = descendants(pid)  # one scan of /proc for both readings
    gc_before = run.stack.full_collections(variant, processes)
    cpu_before = cpu_seconds(pid, processes)
    batch = await run_batch(client, run.targets[variant][kind], requests, concurrency, run.deadline)
    cell = run.cells.setdefault((phase, kind, variant), Cell())
    processes = descendants(pid)
    cpu_s = cpu_seconds(pid, processes) - cpu_before
    gc_after = run.stack.full_collections(variant, processes)
    cell.cpu_s += cpu_s
    cell.full_gc += gc_after[0] - gc_before[0]
    cell.full_gc_s += gc_after[1] - gc_before[1]
    cell.full_gc_wall_s += gc_after[2] - gc_before[2]
    cell.total.add(batch)
    if batch.ok:
        ordered = sorted(batch.latencies_ms)
        cell.rounds.append({"rps": batch.ok / batch.wall_s if batch.wall_s else 0.0,
                            "p50_ms": ordered[len(ordered) // 2], "ok": batch.ok,
                            "cpu_ms": 1000 * cpu_s / batch.ok})


async def measure_upstream(run: Run, client: httpx.AsyncClient) -> None:
    """The upstream alone at the throughput phase's concurrency, so a bottleneck there shows."""
    args = run.args
    for kind in args.kinds:
        await run_batch(client, run.targets["upstream"][kind], args.warmup, args.concurrency, run.deadline)
        batch = await run_batch(client, run.targets["upstream"][kind], args.requests, args.concurrency, run.deadline)
        run.capacity[kind] = {"rps": round(batch.ok / batch.wall_s, 1) if batch.wall_s else 0.0,
                              "requests": batch.ok, "failed": batch.failed, "errors": batch.errors}


def phase_plan(args: argparse.Namespace, phase: str) -> tuple[int, int, int]:
    """(rounds, requests per batch, concurrency) of a phase."""
    if phase == "latency":
        size = max(1, min(args.latency_batch, args.requests))
        return max(1, args.requests // size), size, args.latency_concurrency
    return args.batches, max(1, args.requests // args.batches), args.concurrency


async def drive(run: Run) -> None:
    args = run.args
    variants = run.variants
    async with new_client(max(args.concurrency, args.latency_concurrency)) as client:
        await measure_upstream(run, client)
        await warm_up(client, {f"{variant}/{kind}": run.targets[variant][kind] for variant in variants
                                for kind in args.kinds}, args.warmup, args.concurrency, run.deadline)
        rss = {"after_warmup": {v: rss_mb(p.process.pid) for v, p in run.stack.proxies.items()}}
        await asyncio.sleep(2 * FLUSH_SECONDS)  # the warm-up's decision lines reach the log before the mark
        log_offset = len(run.stack.proxies["with"].log_text())
        upstream_pid = run.stack.upstream.process.pid
        for phase in PHASES:
            rounds, size, concurrency = phase_plan(args, phase)
            client_cpu, wall = time.process_time(), time.perf_counter()
            upstream_cpu = cpu_seconds(upstream_pid)
            proxy_cpu = {v: cpu_seconds(p.process.pid) for v, p in run.stack.proxies.items()}
            for round_index in range(rounds):
                for kind_index, kind in enumerate(args.kinds):
                    shift = (round_index + kind_index) % len(variants)  # every proxy goes first in turn
                    for variant in variants[shift:] + variants[:shift]:
                        await measured_batch(run, phase, kind, variant, size, concurrency, client)
            for variant, proxy in run.stack.proxies.items():
                spent = cpu_seconds(proxy.process.pid) - proxy_cpu[variant]
                run.phase_cpu_s[variant] = run.phase_cpu_s.get(variant, 0.0) + spent
            if phase == "throughput":
                run.client_cpu_s += time.process_time() - client_cpu
                run.upstream_cpu_s += cpu_seconds(upstream_pid) - upstream_cpu
                run.throughput_wall_s += time.perf_counter() - wall
        rss["end"] = {v: rss_mb(p.process.pid) for v, p in run.stack.proxies.items()}
        run.rss_samples.append(rss)
        await asyncio.sleep(2 * FLUSH_SECONDS)  # let the last decision lines reach the log
        run.decisions_ms += decision_ms(run.stack.proxies["with"], log_offset)


def settled_records(directory: Path, expected: int, seconds: float = 60.0) -> int:
    """The capture proxy's records, once it has written `expected` (or `seconds` have passed)."""
    deadline = time.monotonic() + seconds
    while True:
        count = captured_records(directory, CAPTURE_ON)
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.5)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.overhead", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000,
                        help="requests per traffic kind, proxy and phase (default 1000)")
    parser.add_argument("--concurrency", type=int, default=8, help="in flight in the throughput phase (default 8)")
    parser.add_argument("--batches", type=int, default=40,
                        help="alternating batches per proxy and traffic kind in the throughput phase (default 40)")
    parser.add_argument("--latency-concurrency", type=int, default=1,
                        help="in flight in the latency phase (default 1)")
    parser.add_argument("--latency-batch", type=int, default=5,
                        help="requests per proxy before switching to the next, latency phase (default 5)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up requests per proxy and kind (default 20)")
    parser.add_argument("--body-bytes", type=int, default=DEFAULT_BODY_BYTES, help="body size (default 80000)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="traffic kinds (default chat,messages,responses)")
    parser.add_argument("--stream", action="store_true", help="send stream: true (SSE answers)")
    parser.add_argument("--upstream", choices=("fast", "echo"), default="fast",
                        help="fast: bench.upstream (fixed tiny answers); echo: vibe_router_tools.echo_upstream "
                             "(parses and records every body)")
    parser.add_argument("--workers", type=int, default=1, help="LiteLLM workers, every proxy (default 1)")
    parser.add_argument("--no-control", dest="control", action="store_false",
                        help="skip the A/A control (a second proxy without the plugin)")
    parser.add_argument("--restarts", type=int, default=1,
                        help="start the proxies this many times and pool the rounds: two identical proxies "
                             "differ by a few percent for as long as they run (default 1)")
    parser.add_argument("--max-seconds", type=float, default=1200,
                        help="stop sending after this long (default 1200)")
    parser.add_argument("--plugin", choices=PLUGINS, default=PLUGINS[0],
                        help="what the proxy with a plugin loads: vibe-router, or floor (bench/floor_plugin.py: "
                             "the cheapest pool of each virtual model, no decision); its section of "
                             "docs/benchmarks.md is bench-overhead_floor (default vibe-router)")
    parser.add_argument("--capture", action="store_true",
                        help="also vibe-router with capture off (enabled: false) and on (sample 1.0, a directory): "
                             "what capture costs; its section of docs/benchmarks.md is bench-overhead_capture")
    parser.add_argument("--baseline-tree", type=baseline_tree, metavar="DIR",
                        help="also vibe-router from another checkout (e.g. git worktree add --detach /tmp/base "
                             "<commit>), its plugin and config_final.yaml from DIR: this tree against that one; "
                             "its section of docs/benchmarks.md is bench-overhead_baseline")
    add_output_arguments(parser, NAME)
    args = parser.parse_args(argv)
    if (args.capture or args.baseline_tree) and args.plugin != PLUGINS[0]:
        parser.error("--capture and --baseline-tree measure vibe-router: leave --plugin at vibe-router")
    if args.capture and args.baseline_tree:
        parser.error("--capture and --baseline-tree: one comparison per run")
    args.kinds = chosen_kinds(parser, args.kinds)
    numbers = (args.requests, args.concurrency, args.latency_concurrency, args.latency_batch, args.batches,
               args.workers, args.restarts)
    if min(numbers) < 1 or args.warmup < 0:
        parser.error("counts must be >= 1 (--warmup >= 0)")
    args.batches = min(args.batches, args.requests)
    args.name = (f"{NAME}_capture" if args.capture else f"{NAME}_baseline" if args.baseline_tree
                 else NAME if args.plugin == PLUGINS[0] else f"{NAME}_{args.plugin}")
    if args.json == RESULTS_DIR / f"{NAME}.json":
        args.json = RESULTS_DIR / f"{args.name}.json"
    return args


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    started = time.monotonic()
    bodies = bodies_for(args.kinds, args.body_bytes, args.stream)
    run: Run | None = None
    for start in range(1, args.restarts + 1):
        with tempfile.TemporaryDirectory(prefix="bench-overhead-") as directory:
            print(f"start {start}/{args.restarts}: the upstream ({args.upstream}) and the LiteLLM proxies...",
                  file=sys.stderr)
            stack = start_stack(Path(directory), args.upstream, args.workers, args.control, plugin=args.plugin,
                                capture=args.capture, baseline=args.baseline_tree)
            try:
                if run is None:
                    run = Run(args, stack, build_targets(stack, bodies), started + args.max_seconds)
                else:
                    run.stack, run.targets = stack, build_targets(stack, bodies)
                print(f"ready after {time.monotonic() - started:.1f}s; measuring...", file=sys.stderr)
                asyncio.run(drive(run))
                if args.capture:
                    answered = sum(c.total.ok for (_, _, variant), c in run.cells.items() if variant == CAPTURE_ON)
                    expected = answered + args.warmup * len(args.kinds) * start - run.captured
                    run.captured += settled_records(Path(directory), expected)
                print(f"measured after {time.monotonic() - started:.1f}s; stopping...", file=sys.stderr)
            finally:
                stack.stop()
    assert run is not None
    settings = {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()
                if key not in ("json", "markdown", "update_readme", "name")}
    plans = {phase: dict(zip(("rounds", "batch", "concurrency"), phase_plan(args, phase), strict=True))
             for phase in PHASES}
    results = summarize(run, {**settings, "phases": plans}, {k: len(t.body) for k, t in run.targets["with"].items()})
    results = {"benchmark": NAME, "command": command_line("bench.overhead", argv), "machine": machine(),
               **results, "elapsed_s": round(time.monotonic() - started, 1)}
    if args.capture:
        warmup = args.warmup * len(args.kinds) * args.restarts
        results["capture"] = capture_summary(run.cells, args.kinds, Cell(), run.captured, warmup)
    if args.baseline_tree:
        trees = {CURRENT: tree_commit(ROOT), BASELINE: tree_commit(args.baseline_tree)}
        results["baseline"] = baseline_summary(run.cells, args.kinds, run.variants, Cell(), trees)
    table = (capture_table if args.capture else baseline_table if args.baseline_tree else markdown_table)(results)
    write_outputs(args, args.name, results, table)
    return 0 if results["failed_requests"] == 0 and results["complete"] else 1


if __name__ == "__main__":
    sys.exit(main())
