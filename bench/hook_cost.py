"""Where vibe-router's CPU goes inside the proxy: each hook dispatcher, with and without the plugin.

    .venv-dev/bin/python -m bench.hook_cost [--requests N] [--json out.json] [--update-doc docs/benchmarks.md]
    .venv-dev/bin/python -m bench.hook_cost --capture [--stream] ...   (bench/hook_cost_capture.py)

The two proxies of bench.overhead (config_final.yaml with and without the callbacks entry),
each loading bench/proxy_watch with its hook clocks on: LiteLLM's dispatchers of the hooks a
plugin can define, vibe-router's own hooks inside them and its batched writes, timed in the
proxy thread's CPU clock while they run (not while they wait), full collections left out.
Batches alternate between the proxies, one traffic kind at a time. The differences per request
are the CPU the plugin adds directly; what it adds indirectly (collecting what it allocates, a
colder cache for LiteLLM's own code) shows only in bench.overhead's whole-proxy figures.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bodies import DEFAULT_BODY_BYTES, KINDS, bodies_for, chosen_kinds
from bench.hook_cost_capture import measure_capture_kind, records_written, variants_of
from bench.hook_cost_capture_report import capture_cost_table
from bench.hook_cost_capture_report import summarize as summarize_capture
from bench.hook_cost_report import markdown_table, summarize
from bench.load import new_client, run_batch, warm_up
from bench.overhead import build_targets, cpu_seconds
from bench.report import RESULTS_DIR, add_output_arguments, command_line, machine, write_outputs
from bench.stack import VARIANTS, Stack, start_stack
from tests.support.redis_server import RedisServer

NAME = "hook_cost"
# Success callbacks finish after the response is sent, and the clocks write every 0.25 s.
SETTLE_SECONDS = 1.0


def _difference(after: dict[str, list[int]], before: dict[str, list[int]]) -> dict[str, list[int]]:
    return {label: [total[0] - before.get(label, [0, 0])[0], total[1] - before.get(label, [0, 0])[1]]
            for label, total in after.items()}


async def measure_kind(stack: Stack, targets: dict[str, Any], kind: str, args: argparse.Namespace,
                       deadline: float) -> dict[str, Any]:
    """Alternating batches of one traffic kind; the clocks and the proxies' CPU around them."""
    async with new_client(args.concurrency) as client:
        await warm_up(client, {f"{variant}/{kind}": targets[variant][kind] for variant in VARIANTS}, args.warmup,
                      args.concurrency, deadline)
        await asyncio.sleep(SETTLE_SECONDS)
        pids = {variant: stack.proxies[variant].process.pid for variant in VARIANTS}
        clocks = {variant: stack.hook_clocks(variant) for variant in VARIANTS}
        cpu = {variant: cpu_seconds(pid) for variant, pid in pids.items()}
        answered, failed = dict.fromkeys(VARIANTS, 0), dict.fromkeys(VARIANTS, 0)
        errors: list[str] = []
        size = max(1, args.requests // args.batches)
        for round_index in range(args.batches):
            for variant in VARIANTS if round_index % 2 == 0 else VARIANTS[::-1]:
                batch = await run_batch(client, targets[variant][kind], size, args.concurrency, deadline)
                answered[variant] += batch.ok
                failed[variant] += batch.failed
                errors = (errors + [f"{variant}: {error}" for error in batch.errors])[:5]
        await asyncio.sleep(SETTLE_SECONDS)
        return {
            "requests": answered,
            "failed": failed,
            "errors": errors,
            "proxy_cpu_s": {variant: cpu_seconds(pid) - cpu[variant] for variant, pid in pids.items()},
            "clocks": {variant: _difference(stack.hook_clocks(variant), clocks[variant]) for variant in VARIANTS},
        }


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.hook_cost", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000,
                        help="requests per traffic kind and proxy (default 2000)")
    parser.add_argument("--batches", type=int, default=40,
                        help="alternating batches per proxy and traffic kind (default 40)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (default 8)")
    parser.add_argument("--warmup", type=int, default=50, help="warm-up requests per proxy and kind (default 50)")
    parser.add_argument("--body-bytes", type=int, default=DEFAULT_BODY_BYTES, help="body size (default 80000)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="traffic kinds (default chat,messages,responses)")
    parser.add_argument("--upstream", choices=("fast", "echo"), default="fast",
                        help="fast: bench.upstream (fixed tiny answers); echo: vibe_router_tools.echo_upstream")
    parser.add_argument("--max-seconds", type=float, default=900, help="stop sending after this long (default 900)")
    parser.add_argument("--capture", action="store_true",
                        help="capture's own CPU: vibe-router with no capture section, capture off, and capture on "
                             "at sample 1.0 into a directory; its section of docs/benchmarks.md is "
                             "bench-hook_cost_capture")
    parser.add_argument("--stream", action="store_true",
                        help="with --capture: also capture off and on into a Redis stream (starts a redis-server)")
    add_output_arguments(parser, NAME)
    args = parser.parse_args(argv)
    if args.stream and not args.capture:
        parser.error("--stream needs --capture")
    args.name = f"{NAME}_capture" if args.capture else NAME
    if args.json == RESULTS_DIR / f"{NAME}.json":
        args.json = RESULTS_DIR / f"{args.name}.json"
    args.kinds = chosen_kinds(parser, args.kinds)
    if min(args.requests, args.batches, args.concurrency) < 1 or args.warmup < 1:
        parser.error("counts must be >= 1")
    args.batches = min(args.batches, args.requests)
    return args


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.capture:
        return main_capture(args, argv)
    started = time.monotonic()
    bodies = bodies_for(args.kinds, args.body_bytes)
    measured: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-hook-cost-") as directory:
        print(f"starting the upstream ({args.upstream}) and two LiteLLM proxies with hook clocks...", file=sys.stderr)
        stack = start_stack(Path(directory), args.upstream, hook_clocks=True)
        try:
            targets = build_targets(stack, bodies)
            for kind in args.kinds:
                print(f"{kind}: {args.requests} requests per proxy...", file=sys.stderr)
                measured[kind] = asyncio.run(measure_kind(stack, targets, kind, args, started + args.max_seconds))
        finally:
            stack.stop()
    results = {"benchmark": NAME, "command": command_line("bench.hook_cost", argv), "machine": machine(),
               "settings": _settings(args), **summarize(measured, {k: len(t.body) for k, t in targets["with"].items()}),
               "elapsed_s": round(time.monotonic() - started, 1)}
    write_outputs(args, args.name, results, markdown_table(results))
    return 0 if results["failed_requests"] == 0 else 1


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    return {key: value for key, value in vars(args).items() if key not in ("json", "markdown", "update_readme", "name")}


def main_capture(args: argparse.Namespace, argv: list[str]) -> int:
    """--capture: capture's own CPU per request (bench/hook_cost_capture.py)."""
    started = time.monotonic()
    bodies = bodies_for(args.kinds, args.body_bytes)
    measured: dict[str, Any] = {}
    redis = RedisServer().start() if args.stream else None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-hook-cost-capture-") as directory:
            variants = tuple(variants_of(args.stream))
            print(f"starting the upstream ({args.upstream}) and LiteLLM proxies {', '.join(variants)} with hook "
                  "clocks...", file=sys.stderr)
            stack = start_stack(Path(directory), args.upstream, hook_clocks=True, capture=True, only=variants,
                                redis_env=redis.env() if redis else None)
            try:
                targets = build_targets(stack, bodies)
                for kind in args.kinds:
                    print(f"{kind}: {args.requests} requests per proxy...", file=sys.stderr)
                    measured[kind] = asyncio.run(measure_capture_kind(stack, targets, kind, args,
                                                                      started + args.max_seconds))
                records = records_written(stack, Path(directory), redis.client() if redis else None)
            finally:
                stack.stop()
    finally:
        if redis is not None:
            redis.kill()
    # the records of the warm-up (build_targets asks the proxy with no capture section for the pools)
    warmup = args.warmup * len(args.kinds)
    results = {"benchmark": args.name, "command": command_line("bench.hook_cost", argv), "machine": machine(),
               "settings": _settings(args), "body_bytes": {k: len(t.body) for k, t in targets["with"].items()},
               "capture": summarize_capture(measured, args.stream, records, warmup),
               "elapsed_s": round(time.monotonic() - started, 1)}
    write_outputs(args, args.name, results, capture_cost_table(results))
    return 0 if results["capture"]["failed_requests"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
